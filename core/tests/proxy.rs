//! Proxy variables in the environment never divert IMDS traffic. Its own test binary, with
//! a single test, because the variables are process-wide: they are set before any other
//! thread of this process exists, and no other test can observe them.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{emulator, isolated};

/// A loopback listener standing in for a proxy: it counts every connection it accepts,
/// then answers 502 so that a client going through it fails visibly. The count is taken
/// before the answer is written, so a client that got any answer from it has been counted.
fn counting_proxy() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            count.fetch_add(1, Ordering::SeqCst);
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(
                b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    (url, accepted)
}

#[test]
fn proxy_variables_are_ignored_and_requests_go_straight_to_imds() {
    let (proxy, accepted) = counting_proxy();
    for var in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        std::env::set_var(var, &proxy);
    }
    for var in ["NO_PROXY", "no_proxy", "REQUEST_METHOD"] {
        std::env::remove_var(var);
    }

    let emu = emulator();
    let client = isolated(&emu.endpoint()).build_blocking().unwrap();
    assert_eq!(client.instance_id().unwrap(), "i-0b22a22eec53b9321");
    assert_eq!(client.region().unwrap(), "us-east-1");

    assert_eq!(
        accepted.load(Ordering::SeqCst),
        0,
        "the proxy saw a connection"
    );
    let counters = emu.control().counters();
    assert_eq!(counters.token_puts, 1, "{counters:?}");
    assert_eq!(counters.reads.get("200").copied(), Some(2), "{counters:?}");

    // Control: an HTTP client that honours the variables does reach the stand-in proxy,
    // so the zero above is the core ignoring them, not the variables being inert.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async {
        reqwest::Client::new()
            .get(format!("{}/latest/meta-data/", emu.endpoint()))
            .send()
            .await
            .map(|response| response.status().as_u16())
    });
    assert_eq!(status.ok(), Some(502));
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}
