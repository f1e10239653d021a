//! The role credentials provider against the emulator: one refresh however many callers
//! ask, the last good set through an outage (with a warning, never past its expiry), and
//! named roles.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::{emulator_with, isolated, AuditLog};
use imds::{Credentials, ErrorKind};
use imds_emulator::{Counters, Emulator, FaultTarget, Faults, InstanceConfig};

const ROLE: &str = "emulator-role";

/// Sets that live a few seconds: always inside the core's 5-minute refresh window, so the
/// core asks IMDS again after half their remaining life.
fn short_lived_credentials() -> Emulator {
    emulator_with(InstanceConfig {
        credentials_lifetime_seconds: 4,
        credentials_refresh_before_expiry_seconds: 1,
        ..InstanceConfig::default()
    })
}

fn reads_200(counters: &Counters) -> u64 {
    counters.reads.get("200").copied().unwrap_or(0)
}

/// Sleeps until the core's refresh point for `credentials`, fetched just now, has passed:
/// half their remaining life, and a margin.
async fn wait_past_refresh_point(credentials: &Credentials) {
    let remaining = credentials
        .expiration
        .duration_since(SystemTime::now())
        .expect("fresh credentials have not expired");
    tokio::time::sleep(remaining / 2 + Duration::from_millis(200)).await;
}

/// The `Expiration` IMDS itself states for the role, read raw.
async fn stated_expiration(client: &imds::Client) -> SystemTime {
    let raw = client
        .get_metadata(&format!("iam/security-credentials/{ROLE}"))
        .await
        .unwrap();
    let document: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let expiration = document["Expiration"].as_str().expect("an Expiration");
    time::OffsetDateTime::parse(expiration, &time::format_description::well_known::Rfc3339)
        .expect("an RFC 3339 Expiration")
        .into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_callers_inside_the_refresh_window_cause_one_credentials_request() {
    let emu = short_lived_credentials();
    let audit = AuditLog::default();
    let client = isolated(&emu.endpoint())
        .audit_sink(audit.sink())
        .build()
        .unwrap();
    let first = client.credentials().await.unwrap();
    emu.control().rotate_credentials();
    wait_past_refresh_point(&first).await;
    emu.control().reset_counters();
    let events_before = audit.events().len();

    let tasks: Vec<_> = (0..48)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.credentials().await })
        })
        .collect();
    let mut served = Vec::new();
    for task in tasks {
        served.push(task.await.unwrap().unwrap());
    }

    let counters = emu.control().counters();
    assert_eq!(
        counters.token_puts, 0,
        "the token was still good: {counters:?}"
    );
    // One refresh: the role listing and the credentials document, nothing more.
    assert_eq!(counters.requests, 2, "{counters:?}");
    assert_eq!(reads_200(&counters), 2, "{counters:?}");
    let refreshes = audit.events()[events_before..]
        .iter()
        .filter(|e| e.operation == "credentials")
        .count();
    assert_eq!(refreshes, 1);

    // The refreshing caller got the rotated set; the others the cached one meanwhile.
    let fresh: Vec<_> = served
        .iter()
        .filter(|c| c.access_key_id != first.access_key_id)
        .collect();
    assert!(!fresh.is_empty(), "the refresh picked up the rotation");
    assert!(fresh.iter().all(|c| **c == *fresh[0]));
    assert!(served.iter().all(|c| *c == first || *c == *fresh[0]));
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

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

// One thread: the subscriber below is this thread's default, so every event the client
// emits while polled here is captured, and no other test's events are.
#[tokio::test(flavor = "current_thread")]
async fn an_outage_serves_the_last_good_set_with_a_warning_until_its_own_expiry() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _subscriber = tracing::subscriber::set_default(subscriber);

    let emu = short_lived_credentials();
    let client = isolated(&emu.endpoint()).build().unwrap();
    let good = client.credentials().await.unwrap();
    let stated = stated_expiration(&client).await;
    assert!(good.expiration <= stated, "never later than IMDS says");
    assert!(
        !captured.text().contains("last good set"),
        "no warning while IMDS answers"
    );

    emu.control().set_faults(Faults {
        error_status: Some(500),
        error_count: 1_000_000,
        target: FaultTarget::Metadata,
        ..Faults::default()
    });
    wait_past_refresh_point(&good).await;
    let failed_before = emu
        .control()
        .counters()
        .reads
        .get("500")
        .copied()
        .unwrap_or(0);
    let during = client.credentials().await.unwrap();
    assert_eq!(during, good, "the last good set");
    assert_eq!(
        during.expiration, good.expiration,
        "its expiry is not stretched"
    );
    assert!(during.expiration <= stated);
    let failed_after = emu
        .control()
        .counters()
        .reads
        .get("500")
        .copied()
        .unwrap_or(0);
    assert!(failed_after > failed_before, "IMDS was asked, and failed");

    let logs = captured.text();
    assert!(logs.contains("WARN"), "{logs}");
    assert!(logs.contains("serving the last good set"), "{logs}");
    assert!(logs.contains(ROLE), "{logs}");
    assert!(!logs.contains(good.secret_access_key.expose()), "{logs}");
    assert!(!logs.contains(good.session_token.expose()), "{logs}");

    // Past its expiry the set is gone, outage or not.
    let until_expiry = good
        .expiration
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    tokio::time::sleep(until_expiry + Duration::from_millis(100)).await;
    let err = client.credentials().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServerError, "{err}");

    emu.control().clear_faults();
    let recovered = client.credentials().await.unwrap();
    assert_ne!(recovered.access_key_id, good.access_key_id);
    assert!(recovered.expiration > SystemTime::now());
}

#[tokio::test]
async fn credentials_for_a_named_role_skip_discovery_and_an_unknown_role_is_not_found() {
    let emu = emulator_with(InstanceConfig::default());
    let client = isolated(&emu.endpoint()).build().unwrap();
    client.instance_id().await.unwrap();
    emu.control().reset_counters();

    let named = client.credentials_for_role(ROLE).await.unwrap();
    assert_eq!(named.role, ROLE);
    assert!(named.access_key_id.starts_with("ASIA"), "{named:?}");
    assert!(named.expiration > SystemTime::now());
    // The role was given, so only its document was read, not the role listing.
    assert_eq!(emu.control().counters().requests, 1);
    assert_eq!(
        client.credentials().await.unwrap(),
        named,
        "the same IMDS set"
    );

    let err = client
        .credentials_for_role("no-such-role")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(err.status(), Some(404));

    for bad in ["", "a/b", "../info", "role\r\nX: y"] {
        let err = client.credentials_for_role(bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}: {err}");
    }
}
