//! The blocking facade's promises about threads: where audit events arrive, where a
//! panic surfaces, and that a value already at hand never leaves the calling thread.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::Duration;

use common::{emulator, isolated};
use imds::{AuditEvent, ErrorKind};
use imds_emulator::{FaultTarget, Faults};

/// An audit sink that records each event's operation with the thread it arrived on.
#[derive(Clone, Default)]
struct ThreadLog(Arc<Mutex<Vec<(&'static str, ThreadId)>>>);

impl ThreadLog {
    fn sink(&self) -> imds::AuditSink {
        let log = self.0.clone();
        Arc::new(move |event: &AuditEvent| {
            log.lock()
                .unwrap()
                .push((event.operation, thread::current().id()));
        })
    }

    fn entries(&self) -> Vec<(&'static str, ThreadId)> {
        self.0.lock().unwrap().clone()
    }
}

#[test]
fn audit_events_of_blocking_calls_reach_the_sink_on_the_calling_thread() {
    let emu = emulator();
    let log = ThreadLog::default();
    let client = isolated(&emu.endpoint())
        .audit_sink(log.sink())
        .build_blocking()
        .unwrap();

    let callers: Vec<ThreadId> = (0..3)
        .map(|_| {
            let client = client.clone();
            thread::spawn(move || {
                client.get_metadata("local-ipv4").unwrap();
                client.instance_id().unwrap();
                client.instance_id().unwrap();
                thread::current().id()
            })
        })
        .map(|caller| caller.join().unwrap())
        .collect();

    let entries = log.entries();
    assert_eq!(
        entries.iter().filter(|(op, _)| *op == "token").count(),
        1,
        "one token fetch for every thread: {entries:?}"
    );
    assert_eq!(
        entries.len(),
        1 + 3 * 3,
        "a token event and three reads per thread: {entries:?}"
    );
    for (operation, thread) in &entries {
        assert!(
            callers.contains(thread),
            "the {operation} event arrived on a thread that made no call"
        );
    }
    for caller in &callers {
        assert!(
            entries.iter().filter(|(_, t)| t == caller).count() >= 3,
            "each caller sees the events of its own reads: {entries:?}"
        );
    }
}

#[test]
fn audit_events_raised_before_a_deadline_cut_a_call_short_still_reach_the_caller() {
    let emu = emulator();
    let log = ThreadLog::default();
    let client = isolated(&emu.endpoint())
        .audit_sink(log.sink())
        .build_blocking()
        .unwrap();
    emu.control().set_faults(Faults {
        latency_ms: Some(2_000),
        target: FaultTarget::Metadata,
        ..Faults::default()
    });

    let err = client
        .run(
            None,
            Some(Duration::from_millis(200)),
            client.async_client().get_metadata("local-ipv4"),
        )
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(
        log.entries(),
        vec![("token", thread::current().id())],
        "the token fetch finished before the deadline and is reported on this thread"
    );
}

#[test]
fn a_panic_inside_a_blocking_call_surfaces_on_the_calling_thread() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).build_blocking().unwrap();

    let payload = catch_unwind(AssertUnwindSafe(|| {
        client.run(None, None, async {
            // Waits first, so that the panic happens wherever the call is driven from
            // once it has to wait, not only on its first poll.
            tokio::time::sleep(Duration::from_millis(5)).await;
            broken_operation()
        })
    }))
    .unwrap_err();

    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"bad state in the operation")
    );
    assert_eq!(
        client.get_metadata("local-ipv4").unwrap(),
        "172.31.16.5",
        "the shared runtime survives a panicking call"
    );
}

fn broken_operation() -> imds::Result<()> {
    panic!("bad state in the operation")
}

#[test]
fn a_blocking_call_borrows_from_the_callers_stack_while_it_waits() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).build_blocking().unwrap();
    let paths: Vec<String> = ["local-ipv4", "instance-type", "ami-id"]
        .iter()
        .map(|p| p.to_string())
        .collect();

    let values = client
        .run(None, None, async {
            let mut values = Vec::new();
            for path in &paths {
                values.push(client.async_client().get_metadata(path).await?);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            Ok(values)
        })
        .unwrap();

    assert_eq!(values, ["172.31.16.5", "m5.large", "ami-0abcdef1234567890"]);
}

#[test]
fn a_call_answered_from_what_the_client_holds_never_leaves_the_calling_thread() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).build_blocking().unwrap();
    client.instance_id().unwrap();
    let caller = thread::current().id();

    let polled_on = client
        .run(None, None, async {
            let id = client.async_client().instance_id().await?;
            Ok((id, thread::current().id()))
        })
        .unwrap();

    assert_eq!(polled_on, ("i-0b22a22eec53b9321".to_owned(), caller));
}
