//! Shared set-up for the core's integration tests: a real emulator on a free loopback
//! port, and clients isolated from the machine's own AWS environment and profile.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use imds::{AuditEvent, Builder, Environment};
use imds_emulator::{Emulator, EmulatorOptions, InstanceConfig};

pub fn emulator() -> Emulator {
    Emulator::start_default().expect("the emulator starts on a free port")
}

pub fn emulator_with(instance: InstanceConfig) -> Emulator {
    Emulator::start(EmulatorOptions {
        instance,
        ..EmulatorOptions::default()
    })
    .expect("the emulator starts on a free port")
}

/// A builder that sees neither the process environment nor `~/.aws/config`, with a
/// short backoff so retry tests do not wait for nothing.
pub fn isolated(endpoint: &str) -> Builder {
    imds::Client::builder()
        .environment(Environment::from_pairs(Vec::<(String, String)>::new()))
        .config_file("/nonexistent/imds-core-tests/config")
        .endpoint(endpoint)
        .backoff(Duration::from_millis(1), Duration::from_millis(20))
}

/// Collects audit events handed to the sink.
#[derive(Clone, Default)]
pub struct AuditLog(pub Arc<Mutex<Vec<AuditEvent>>>);

impl AuditLog {
    pub fn sink(&self) -> imds::AuditSink {
        let events = self.0.clone();
        Arc::new(move |event: &AuditEvent| events.lock().unwrap().push(event.clone()))
    }

    pub fn events(&self) -> Vec<AuditEvent> {
        self.0.lock().unwrap().clone()
    }
}

/// A port on 127.0.0.1 where nothing listens: bound, then released.
pub fn closed_port_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}
