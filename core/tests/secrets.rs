//! No secret (token, secret key, session token, user-data) reaches a log line at any
//! level, an error message or a `Debug` output. Its own test binary, because it installs
//! the process-wide `tracing` subscriber.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;

use common::{emulator, isolated};

/// A one-connection-at-a-time server that hands out a known token, so the logs can be
/// searched for it.
fn known_token_server(token: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let request = String::from_utf8_lossy(&buf[..n]);
                let reply = if request.starts_with("PUT") {
                    format!(
                        "HTTP/1.1 200 OK\r\nX-Aws-Ec2-Metadata-Token-Ttl-Seconds: 60\r\n\
                         Content-Length: {}\r\n\r\n{token}",
                        token.len()
                    )
                } else {
                    "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\ni-known".to_owned()
                };
                if stream.write_all(reply.as_bytes()).is_err() {
                    break;
                }
            }
        }
    });
    endpoint
}

/// A `tracing` writer that keeps everything written to it.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn no_secret_reaches_a_log_line_error_or_debug_output() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let emu = emulator();
    let client = isolated(&emu.endpoint()).build_blocking().unwrap();
    let credentials = client.credentials().unwrap();
    let user_data = client.user_data().unwrap().unwrap();
    emu.control().expire_tokens();
    client.get_metadata("local-ipv4").unwrap();
    let error = client.get_metadata("missing").unwrap_err();

    // A server whose token is known, so the logs can be searched for it.
    let known_token = "AQAEAknownSessionTokenValue";
    let known = isolated(&known_token_server(known_token))
        .build_blocking()
        .unwrap();
    assert_eq!(known.instance_id().unwrap(), "i-known");

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("imds access"),
        "audit events were logged: {logs}"
    );
    let secrets = [
        credentials.secret_access_key.expose().to_owned(),
        credentials.session_token.expose().to_owned(),
        String::from_utf8(user_data.expose().to_vec()).unwrap(),
        known_token.to_owned(),
    ];
    let outputs = [
        logs,
        format!("{credentials:?}"),
        format!("{user_data:?}"),
        format!("{client:?}"),
        format!("{:?}", client.config()),
        error.to_string(),
    ];
    for output in &outputs {
        for secret in &secrets {
            assert!(
                !output.contains(secret.trim()),
                "secret leaked into: {output}"
            );
        }
        assert!(!output
            .to_ascii_lowercase()
            .contains("x-aws-ec2-metadata-token:"));
    }
}
