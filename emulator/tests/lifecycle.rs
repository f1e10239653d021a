//! Starting and stopping the in-process emulator.

mod common;

use std::net::TcpStream;

use common::*;
use imds_emulator::{Emulator, EmulatorOptions};

#[test]
fn endpoints_are_loopback_urls_without_a_trailing_slash_on_distinct_ports() {
    let emulator = start();
    let endpoint = emulator.endpoint();
    assert_eq!(
        endpoint,
        format!("http://127.0.0.1:{}", emulator.metadata_addr().port())
    );
    assert!(emulator.admin_url().starts_with("http://127.0.0.1:"));
    assert_ne!(
        emulator.metadata_addr().port(),
        emulator.admin_addr().port()
    );
    assert_ne!(emulator.metadata_addr().port(), 0);
}

#[test]
fn shutdown_closes_the_ports_and_idle_connections() {
    let emulator = start();
    let addr = emulator.metadata_addr();
    let token = token(&emulator);
    let mut idle = Conn::open(addr);
    let first = idle.send(
        "GET",
        "/latest/meta-data/ami-id",
        &[(TOKEN_HEADER, &token)],
        b"",
    );
    assert_eq!(first.unwrap().status, 200);
    emulator.shutdown();
    assert!(
        TcpStream::connect(addr).is_err(),
        "still listening after shutdown"
    );
    assert!(idle.read_to_close().map_or(true, |rest| rest.is_empty()));
}

#[test]
fn a_fixed_port_is_honoured_and_a_taken_port_is_an_error() {
    let first = start();
    let port = first.metadata_addr().port();
    let taken = Emulator::start(EmulatorOptions {
        port,
        ..EmulatorOptions::default()
    });
    assert!(taken.is_err(), "two emulators bound the same port");
    drop(first);
    let second = Emulator::start(EmulatorOptions {
        port,
        ..EmulatorOptions::default()
    })
    .expect("the port is free again once the first emulator is dropped");
    assert_eq!(second.metadata_addr().port(), port);
}

#[test]
fn works_from_inside_an_async_runtime() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let emulator = start();
        let addr = emulator.metadata_addr();
        let status = tokio::task::spawn_blocking(move || put_token(addr, "60").status);
        assert_eq!(status.await.unwrap(), 200);
        drop(emulator);
    });
}

#[test]
fn control_handles_outlive_clones_and_threads() {
    let emulator = start();
    let control = emulator.control();
    std::thread::spawn(move || control.set_autoscaling_state(Some("InService".into())))
        .join()
        .unwrap();
    let path = "/latest/meta-data/autoscaling/target-lifecycle-state";
    assert_eq!(read(&emulator, path).text(), "InService");
}
