//! Faults on demand, observed at the socket.

mod common;

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use common::*;
use imds_emulator::{FaultTarget, Faults};

const INSTANCE_ID: &str = "/latest/meta-data/instance-id";

fn faults(emulator: &imds_emulator::Emulator, faults: Faults) {
    emulator.control().set_faults(faults);
}

#[test]
fn latency_delays_each_response_by_at_least_the_given_time() {
    let emulator = start();
    let token = token(&emulator);
    faults(
        &emulator,
        Faults {
            latency_ms: Some(300),
            ..Faults::default()
        },
    );
    let started = Instant::now();
    let response = get(&emulator, INSTANCE_ID, &token);
    assert_eq!(response.status, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn an_error_burst_fails_exactly_n_requests_then_recovers() {
    let emulator = start();
    let token = token(&emulator);
    faults(
        &emulator,
        Faults {
            error_status: Some(503),
            error_count: 2,
            ..Faults::default()
        },
    );
    let statuses: Vec<u16> = (0..4)
        .map(|_| get(&emulator, INSTANCE_ID, &token).status)
        .collect();
    assert_eq!(statuses, [503, 503, 200, 200]);
    assert_eq!(emulator.control().counters().reads["503"], 2);
}

#[test]
fn a_429_burst_can_target_token_puts_only() {
    let emulator = start();
    let token = token(&emulator);
    faults(
        &emulator,
        Faults {
            error_status: Some(429),
            error_count: 1,
            target: FaultTarget::Token,
            ..Faults::default()
        },
    );
    assert_eq!(
        get(&emulator, INSTANCE_ID, &token).status,
        200,
        "reads are not targeted"
    );
    assert_eq!(put_token(emulator.metadata_addr(), "60").status, 429);
    assert_eq!(put_token(emulator.metadata_addr(), "60").status, 200);
    assert_eq!(emulator.control().counters().token_rejected, 1);
}

#[test]
fn metadata_target_spares_token_puts() {
    let emulator = start();
    faults(
        &emulator,
        Faults {
            error_count: 1,
            target: FaultTarget::Metadata,
            ..Faults::default()
        },
    );
    let token = token(&emulator);
    assert_eq!(
        get(&emulator, INSTANCE_ID, &token).status,
        503,
        "503 when no status is given"
    );
    assert_eq!(get(&emulator, INSTANCE_ID, &token).status, 200);
}

#[test]
fn error_rate_one_fails_every_request_and_zero_none() {
    let emulator = start();
    let token = token(&emulator);
    faults(
        &emulator,
        Faults {
            error_rate: Some(1.0),
            error_status: Some(500),
            ..Faults::default()
        },
    );
    assert!((0..5).all(|_| get(&emulator, INSTANCE_ID, &token).status == 500));
    faults(
        &emulator,
        Faults {
            error_rate: Some(0.0),
            ..Faults::default()
        },
    );
    assert!((0..5).all(|_| get(&emulator, INSTANCE_ID, &token).status == 200));
}

#[test]
fn drop_before_response_closes_without_a_byte() {
    let emulator = start();
    let token = token(&emulator);
    faults(
        &emulator,
        Faults {
            drop_before_response: 1,
            ..Faults::default()
        },
    );
    let mut conn = Conn::open(emulator.metadata_addr());
    let err = conn
        .send("GET", INSTANCE_ID, &[(TOKEN_HEADER, &token)], b"")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{err}");
    assert_eq!(
        get(&emulator, INSTANCE_ID, &token).status,
        200,
        "only one dropped"
    );
    assert_eq!(emulator.control().counters().unanswered["drop"], 1);
}

#[test]
fn reset_during_response_sends_part_of_the_response_then_a_reset() {
    let emulator = start();
    let token = token(&emulator);
    faults(
        &emulator,
        Faults {
            reset_during_response: 1,
            ..Faults::default()
        },
    );
    let mut conn = Conn::open(emulator.metadata_addr());
    let request = format!("GET {INSTANCE_ID} HTTP/1.1\r\n{TOKEN_HEADER}: {token}\r\n\r\n");
    conn.send_raw(request.as_bytes()).unwrap();
    // The head and half the body may or may not be read before the reset lands; the reset
    // itself always shows.
    let mut received = Vec::new();
    let err = loop {
        let mut chunk = [0u8; 4096];
        match std::io::Read::read(&mut conn.stream(), &mut chunk) {
            Ok(0) => panic!("orderly close instead of a reset; got {received:?}"),
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(err) => break err,
        }
    };
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
    assert!(!String::from_utf8_lossy(&received).contains("i-0b22a22eec53b9321"));
    assert_eq!(emulator.control().counters().unanswered["reset"], 1);
}

#[test]
fn truncated_body_announces_more_than_it_sends() {
    let emulator = start();
    let token = token(&emulator);
    faults(
        &emulator,
        Faults {
            truncate_body: 1,
            ..Faults::default()
        },
    );
    let mut conn = Conn::open(emulator.metadata_addr());
    let request = format!("GET {INSTANCE_ID} HTTP/1.1\r\n{TOKEN_HEADER}: {token}\r\n\r\n");
    conn.send_raw(request.as_bytes()).unwrap();
    let raw = String::from_utf8(conn.read_to_close().unwrap()).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(head.contains("Content-Length: 19"), "{head}");
    assert_eq!(
        body, "i-0b22a22",
        "the first half (9 bytes) of the 19-byte body"
    );
}

#[test]
fn never_answer_holds_the_request_silently() {
    let emulator = start();
    let token = token(&emulator);
    faults(
        &emulator,
        Faults {
            never_answer: true,
            ..Faults::default()
        },
    );
    let mut conn = Conn::open(emulator.metadata_addr());
    conn.stream()
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let err = conn
        .send("GET", INSTANCE_ID, &[(TOKEN_HEADER, &token)], b"")
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err}"
    );
    emulator.control().clear_faults();
    assert_eq!(get(&emulator, INSTANCE_ID, &token).status, 200);
}

#[test]
fn silent_listener_accepts_and_never_answers() {
    let silent = imds_emulator::silent_listener().unwrap();
    assert!(silent.endpoint().starts_with("http://127.0.0.1:"));
    let mut conn = Conn::open(silent.addr());
    conn.stream()
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let err = conn
        .send("PUT", "/latest/api/token", &[(TTL_HEADER, "60")], b"")
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err}"
    );
    drop(silent);
    conn.stream().set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    assert!(
        conn.read_to_close().map_or(true, |rest| rest.is_empty()),
        "closed on drop"
    );
}

#[test]
fn omit_token_ttl_header_leaves_the_header_out() {
    let emulator = start();
    faults(
        &emulator,
        Faults {
            omit_token_ttl_header: true,
            ..Faults::default()
        },
    );
    let response = put_token(emulator.metadata_addr(), "60");
    assert_eq!(response.status, 200);
    assert_eq!(response.header(TTL_HEADER), None);
}

#[test]
fn token_ip_ttl_leaves_token_response_and_later_reads_intact_on_loopback() {
    // Loopback never decrements the TTL, so here the token must arrive and the connection
    // must keep working once the TTL is restored; tests/hop_limit.rs shows the loss across a
    // router.
    let emulator = start();
    faults(
        &emulator,
        Faults {
            token_ip_ttl: Some(3),
            ..Faults::default()
        },
    );
    let mut conn = Conn::open(emulator.metadata_addr());
    let token = conn
        .send("PUT", "/latest/api/token", &[(TTL_HEADER, "60")], b"")
        .unwrap();
    assert_eq!(token.status, 200);
    let read = conn
        .send("GET", INSTANCE_ID, &[(TOKEN_HEADER, &token.text())], b"")
        .unwrap();
    assert_eq!(read.status, 200);
}

#[test]
fn faults_replace_each_other_and_counts_are_consumed() {
    let emulator = start();
    let token = token(&emulator);
    admin_ok(
        &emulator,
        "PUT",
        "/faults",
        r#"{"error_status":502,"error_count":5}"#,
    );
    assert_eq!(get(&emulator, INSTANCE_ID, &token).status, 502);
    assert_eq!(
        admin(&emulator, "GET", "/faults", "").json()["error_count"],
        4
    );
    admin_ok(&emulator, "PUT", "/faults", r#"{"truncate_body":1}"#);
    let faults = admin(&emulator, "GET", "/faults", "").json();
    assert_eq!(
        (
            faults["error_count"].as_u64(),
            faults["truncate_body"].as_u64()
        ),
        (Some(0), Some(1))
    );
    admin_ok(&emulator, "DELETE", "/faults", "");
    assert_eq!(get(&emulator, INSTANCE_ID, &token).status, 200);
}

#[test]
fn invalid_faults_are_refused_with_400() {
    let emulator = start();
    for body in [
        r#"{"error_rate":2}"#,
        r#"{"error_status":99}"#,
        r#"{"bogus":1}"#,
        "not json",
    ] {
        assert_eq!(
            admin(&emulator, "PUT", "/faults", body).status,
            400,
            "{body}"
        );
    }
}
