//! The request pipeline against a real emulator: tokens, retries, failures, limits.

mod common;

use std::time::Duration;

use common::{closed_port_endpoint, emulator, isolated, AuditLog};
use imds::{ErrorKind, Outcome};
use imds_emulator::{FaultTarget, Faults, HttpEndpoint, HttpTokens};

fn read_count(counters: &imds_emulator::Counters, status: &str) -> u64 {
    counters.reads.get(status).copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_one_token_fetch() {
    let emu = emulator();
    let client = isolated(&emu.endpoint())
        .cache_immutable(false)
        .build()
        .unwrap();

    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get_metadata("instance-id").await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), "i-0b22a22eec53b9321");
    }

    let counters = emu.control().counters();
    assert_eq!(counters.token_puts, 1, "{counters:?}");
    assert_eq!(read_count(&counters, "200"), 64);
}

#[tokio::test]
async fn token_is_reused_across_calls() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).build().unwrap();
    for path in ["ami-id", "instance-type", "local-ipv4", "mac", "hostname"] {
        client.get_metadata(path).await.unwrap();
    }
    assert_eq!(emu.control().counters().token_puts, 1);
}

#[tokio::test]
async fn stale_token_gets_a_401_and_one_fresh_token_recovers() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).build().unwrap();
    client.get_metadata("local-ipv4").await.unwrap();

    emu.control().expire_tokens();
    assert_eq!(
        client.get_metadata("local-ipv4").await.unwrap(),
        "172.31.16.5"
    );

    let counters = emu.control().counters();
    assert_eq!(counters.token_puts, 2, "{counters:?}");
    assert_eq!(read_count(&counters, "401"), 1, "{counters:?}");
}

#[tokio::test]
async fn short_lived_token_is_refreshed_before_it_expires() {
    let emu = emulator();
    let client = isolated(&emu.endpoint())
        .token_ttl(Duration::from_secs(1))
        .build()
        .unwrap();
    client.get_metadata("mac").await.unwrap();
    // Past the refresh point (250 ms before expiry) but before expiry itself.
    tokio::time::sleep(Duration::from_millis(800)).await;
    client.get_metadata("mac").await.unwrap();

    let counters = emu.control().counters();
    assert_eq!(counters.token_puts, 2, "{counters:?}");
    assert_eq!(read_count(&counters, "401"), 0, "{counters:?}");
}

#[tokio::test]
async fn server_error_burst_is_retried_and_recovered() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).build().unwrap();
    emu.control().set_faults(Faults {
        error_status: Some(503),
        error_count: 2,
        target: FaultTarget::Metadata,
        ..Faults::default()
    });

    assert_eq!(
        client.get_metadata("instance-type").await.unwrap(),
        "m5.large"
    );
    let counters = emu.control().counters();
    assert_eq!(read_count(&counters, "503"), 2, "{counters:?}");
    assert_eq!(read_count(&counters, "200"), 1, "{counters:?}");
}

#[tokio::test]
async fn token_throttling_is_retried_and_recovered() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).build().unwrap();
    emu.control().set_faults(Faults {
        error_status: Some(429),
        error_count: 2,
        target: FaultTarget::Token,
        ..Faults::default()
    });
    assert_eq!(client.instance_id().await.unwrap(), "i-0b22a22eec53b9321");
    assert_eq!(emu.control().counters().token_puts, 1);
}

#[tokio::test]
async fn persistent_throttling_fails_as_throttled_after_every_attempt() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).max_attempts(3).build().unwrap();
    client.get_metadata("mac").await.unwrap();
    emu.control().reset_counters();
    emu.control().set_faults(Faults {
        error_status: Some(429),
        error_count: 100,
        target: FaultTarget::Metadata,
        ..Faults::default()
    });

    let err = client.get_metadata("mac").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throttled);
    assert_eq!(err.status(), Some(429));
    assert_eq!(read_count(&emu.control().counters(), "429"), 3);
}

#[tokio::test]
async fn persistent_server_errors_fail_as_server_error() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).max_attempts(2).build().unwrap();
    emu.control().set_faults(Faults {
        error_status: Some(500),
        error_count: 100,
        target: FaultTarget::Metadata,
        ..Faults::default()
    });
    let err = client.get_metadata("mac").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServerError);
    assert_eq!(read_count(&emu.control().counters(), "500"), 2);
}

#[tokio::test]
async fn client_errors_400_403_404_are_never_retried() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).max_attempts(5).build().unwrap();

    let err = client.get_metadata("no-such-leaf").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.status(), Some(404));
    assert_eq!(read_count(&emu.control().counters(), "404"), 1);

    emu.control().set_faults(Faults {
        error_status: Some(400),
        error_count: 100,
        target: FaultTarget::Metadata,
        ..Faults::default()
    });
    let err = client.get_metadata("mac").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    assert_eq!(read_count(&emu.control().counters(), "400"), 1);
    emu.control().clear_faults();

    emu.control().set_http_endpoint(HttpEndpoint::Disabled);
    let fresh = isolated(&emu.endpoint()).max_attempts(5).build().unwrap();
    let err = fresh.get_metadata("mac").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert!(err.message().contains("HttpEndpoint=disabled"), "{err}");
    assert_eq!(emu.control().counters().token_rejected, 1);
}

#[tokio::test]
async fn disabled_client_sends_nothing() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).disabled(true).build().unwrap();
    let err = client.instance_id().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Disabled);
    assert_eq!(emu.control().counters().requests, 0);
}

#[tokio::test]
async fn nothing_listening_fails_as_unreachable_and_is_remembered() {
    let endpoint = closed_port_endpoint();
    let client = isolated(&endpoint).build().unwrap();

    let err = client.instance_id().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unreachable);
    assert!(err.message().contains("refused"), "{err}");

    let again = client.region().await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Unreachable);
    assert!(again.message().contains("remembered"), "{again}");
}

#[tokio::test]
async fn unreachable_memory_can_be_turned_off() {
    let client = isolated(&closed_port_endpoint())
        .unreachable_memory(Duration::ZERO)
        .build()
        .unwrap();
    client.instance_id().await.unwrap_err();
    let again = client.instance_id().await.unwrap_err();
    assert!(!again.message().contains("remembered"), "{again}");
}

#[tokio::test]
async fn silent_listener_times_out_and_later_calls_fail_at_once() {
    let silent = imds_emulator::silent_listener().unwrap();
    let client = isolated(&silent.endpoint())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();

    let err = client.instance_id().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.message().contains("answered nothing"), "{err}");

    let again = client.instance_id().await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Timeout);
    assert!(again.message().contains("remembered"), "{again}");
}

#[tokio::test]
async fn lost_token_response_is_diagnosed_as_the_hop_limit() {
    let emu = emulator();
    emu.control().set_faults(Faults {
        never_answer: true,
        target: FaultTarget::Token,
        ..Faults::default()
    });
    let client = isolated(&emu.endpoint())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();

    let err = client.instance_id().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.message().contains("HttpPutResponseHopLimit"), "{err}");
    assert!(err.message().contains("2"), "{err}");
}

#[tokio::test]
async fn overall_deadline_bounds_retries() {
    let emu = emulator();
    emu.control().set_faults(Faults {
        latency_ms: Some(400),
        target: FaultTarget::Metadata,
        ..Faults::default()
    });
    let client = isolated(&emu.endpoint())
        .deadline(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = client.get_metadata("mac").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.message().contains("deadline"), "{err}");
}

#[tokio::test]
async fn broken_connections_are_retried() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).build().unwrap();
    client.get_metadata("mac").await.unwrap();
    for faults in [
        Faults {
            drop_before_response: 1,
            target: FaultTarget::Metadata,
            ..Faults::default()
        },
        Faults {
            reset_during_response: 1,
            target: FaultTarget::Metadata,
            ..Faults::default()
        },
        Faults {
            truncate_body: 1,
            target: FaultTarget::Metadata,
            ..Faults::default()
        },
    ] {
        emu.control().set_faults(faults.clone());
        let value = client.get_metadata("local-hostname").await;
        assert!(value.is_ok(), "{faults:?}: {value:?}");
    }
}

#[tokio::test]
async fn truncated_bodies_on_every_attempt_are_an_invalid_response() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).max_attempts(2).build().unwrap();
    client.get_metadata("mac").await.unwrap();
    emu.control().set_faults(Faults {
        truncate_body: 10,
        target: FaultTarget::Metadata,
        ..Faults::default()
    });
    let err = client.get_metadata("local-hostname").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{err}");
}

#[tokio::test]
async fn body_over_the_limit_is_refused() {
    let emu = emulator();
    emu.control().set_metadata("big", &"x".repeat(64 * 1024));
    let client = isolated(&emu.endpoint())
        .max_response_size(16 * 1024)
        .build()
        .unwrap();
    let err = client.get_metadata("big").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResponseTooLarge);

    let roomy = isolated(&emu.endpoint()).build().unwrap();
    assert_eq!(roomy.get_metadata("big").await.unwrap().len(), 64 * 1024);
}

#[tokio::test]
async fn every_bad_path_is_rejected_before_any_request() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).build().unwrap();
    for bad in [
        "instance-id\r\nX-Evil: 1",
        "../api/token",
        "a/../../user-data",
        "instance-id?x",
        "instance-id#x",
        "%2e%2e/api/token",
        "http://169.254.169.254/latest/meta-data/",
        "nul\0byte",
    ] {
        let err = client.get_metadata(bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        let err = client.list_metadata(bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        let err = client.get_dynamic(bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
    }
    assert_eq!(emu.control().counters().requests, 0);
}

#[tokio::test]
async fn v1_fallback_is_off_unless_asked_and_v1_disabled_always_wins() {
    let emu = emulator();
    emu.control().set_http_tokens(HttpTokens::Optional);
    emu.control().set_faults(Faults {
        error_status: Some(403),
        error_count: 1000,
        target: FaultTarget::Token,
        ..Faults::default()
    });

    let strict = isolated(&emu.endpoint()).build().unwrap();
    assert_eq!(
        strict.instance_id().await.unwrap_err().kind(),
        ErrorKind::Forbidden
    );

    let fallback = isolated(&emu.endpoint()).v1_fallback(true).build().unwrap();
    assert_eq!(fallback.instance_id().await.unwrap(), "i-0b22a22eec53b9321");

    let forbidden = isolated(&emu.endpoint())
        .v1_fallback(true)
        .v1_disabled(true)
        .build()
        .unwrap();
    assert_eq!(
        forbidden.instance_id().await.unwrap_err().kind(),
        ErrorKind::Forbidden
    );
}

#[tokio::test]
async fn audit_events_cover_token_and_reads_with_attempts_and_outcome() {
    let emu = emulator();
    let audit = AuditLog::default();
    let client = isolated(&emu.endpoint())
        .audit_sink(audit.sink())
        .build()
        .unwrap();
    client.instance_id().await.unwrap();
    client.instance_id().await.unwrap();
    client.get_metadata("nope").await.unwrap_err();

    let events = audit.events();
    let ops: Vec<_> = events.iter().map(|e| (e.operation, e.cached)).collect();
    assert_eq!(
        ops,
        vec![
            ("token", false),
            ("get_metadata", false),
            ("get_metadata", true),
            ("get_metadata", false)
        ]
    );
    assert_eq!(events[0].status, Some(200));
    assert_eq!(events[1].attempts, 1);
    assert_eq!(events[2].attempts, 0);
    assert_eq!(events[3].outcome, Outcome::Failure(ErrorKind::NotFound));
    assert_eq!(events[3].path, "nope");
}

#[tokio::test]
async fn immutable_values_are_cached_unless_caching_is_off() {
    let emu = emulator();
    let cached = isolated(&emu.endpoint()).build().unwrap();
    cached.instance_id().await.unwrap();
    emu.control().set_metadata("instance-id", "i-changed");
    assert_eq!(cached.instance_id().await.unwrap(), "i-0b22a22eec53b9321");

    let uncached = isolated(&emu.endpoint())
        .cache_immutable(false)
        .build()
        .unwrap();
    assert_eq!(uncached.instance_id().await.unwrap(), "i-changed");
    // Mutable values are never cached.
    emu.control().set_metadata("local-ipv4", "10.0.0.9");
    assert_eq!(cached.get_metadata("local-ipv4").await.unwrap(), "10.0.0.9");
}

#[test]
fn blocking_client_reads_and_honours_cancel_and_deadline() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).build_blocking().unwrap();
    assert_eq!(client.instance_id().unwrap(), "i-0b22a22eec53b9321");

    emu.control().set_faults(Faults {
        latency_ms: Some(2_000),
        target: FaultTarget::Metadata,
        ..Faults::default()
    });
    let err = client
        .run(
            None,
            Some(Duration::from_millis(100)),
            client.async_client().get_metadata("mac"),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);

    let cancel = imds::Cancel::new();
    let canceller = {
        let cancel = cancel.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            cancel.cancel();
        })
    };
    let err = client
        .run(
            Some(&cancel),
            None,
            client.async_client().get_metadata("mac"),
        )
        .unwrap_err();
    canceller.join().unwrap();
    assert_eq!(err.kind(), ErrorKind::Cancelled);

    let err = client
        .run(
            Some(&cancel),
            None,
            client.async_client().get_metadata("mac"),
        )
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Cancelled,
        "a cancelled handle stays cancelled"
    );
}

#[tokio::test]
async fn blocking_client_inside_a_runtime_errors_instead_of_deadlocking() {
    let client = isolated("http://127.0.0.1:9").build_blocking().unwrap();
    assert_eq!(
        client.instance_id().unwrap_err().kind(),
        ErrorKind::Internal
    );
}

#[tokio::test]
async fn response_size_limit_applies_to_values_not_to_the_token() {
    let emu = emulator();
    let client = isolated(&emu.endpoint())
        .max_response_size(8)
        .build()
        .unwrap();
    assert_eq!(
        client.get_metadata("mac").await.unwrap_err().kind(),
        ErrorKind::ResponseTooLarge
    );
    assert_eq!(client.get_metadata("ami-launch-index").await.unwrap(), "0");
}

#[tokio::test]
async fn a_reads_audit_event_shows_its_own_status_not_the_tokens() {
    let emu = emulator();
    emu.control().set_faults(Faults {
        never_answer: true,
        target: FaultTarget::Metadata,
        ..Faults::default()
    });
    let audit = AuditLog::default();
    let client = isolated(&emu.endpoint())
        .timeout(Duration::from_millis(200))
        .max_attempts(1)
        .audit_sink(audit.sink())
        .build()
        .unwrap();
    client.get_metadata("mac").await.unwrap_err();

    let events = audit.events();
    assert_eq!(events[0].operation, "token");
    assert_eq!(events[0].status, Some(200));
    assert_eq!(events[1].operation, "get_metadata");
    assert_eq!(events[1].status, None, "no answer arrived for the read");
    assert_eq!(events[1].outcome, Outcome::Failure(ErrorKind::Timeout));
}

#[tokio::test]
async fn a_401_that_survives_one_fresh_token_is_unauthorized_without_a_refresh_loop() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).max_attempts(3).build().unwrap();
    client.get_metadata("mac").await.unwrap();
    emu.control().reset_counters();
    // More 401s than any number of retries would use up, so only the client's own rule
    // (one fresh token, then give up) can end the call.
    emu.control().set_faults(Faults {
        error_status: Some(401),
        error_count: 10,
        target: FaultTarget::Metadata,
        ..Faults::default()
    });

    let err = client.get_metadata("local-ipv4").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert_eq!(err.kind().code(), 6);
    assert_eq!(err.status(), Some(401));

    let counters = emu.control().counters();
    assert_eq!(counters.token_puts, 1, "exactly one refresh: {counters:?}");
    assert_eq!(counters.token_rejected, 0, "{counters:?}");
    assert_eq!(read_count(&counters, "401"), 2, "{counters:?}");
    assert_eq!(
        emu.control().faults().error_count,
        8,
        "no request beyond the two"
    );
}

/// A loopback port where connecting hangs: its listener never accepts and its accept
/// queue is full, so the kernel drops new connection requests, as a firewall that drops
/// link-local traffic does. The returned streams keep the queue full.
fn black_hole_endpoint() -> (String, tokio::net::TcpListener, Vec<std::net::TcpStream>) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut queued = Vec::new();
    for _ in 0..64 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(stream) => queued.push(stream),
            Err(_) => break,
        }
    }
    assert!(queued.len() < 64, "the accept queue never filled");
    (format!("http://{addr}"), listener, queued)
}

#[tokio::test]
async fn a_connection_still_opening_when_the_attempt_timeout_ends_is_unreachable() {
    let (endpoint, _listener, _queued) = black_hole_endpoint();
    // The connect timeout defaults to the attempt timeout here: both end together, and
    // the attempt's own bound must still say it never connected.
    let client = isolated(&endpoint)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    assert_eq!(
        client.config().connect_timeout().value,
        client.config().timeout().value
    );

    let err = client.instance_id().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unreachable, "{err}");
    assert!(err.message().contains("could not connect"), "{err}");
    assert!(err.message().contains("0.300s"), "{err}");

    let again = client.instance_id().await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Unreachable);
    assert!(again.message().contains("remembered"), "{again}");
}
