//! Token rules: the PUT, its TTL header, refusals, expiry.

mod common;

use std::time::Duration;

use common::*;

#[test]
fn token_put_grants_a_56_character_url_safe_token_and_echoes_the_ttl() {
    let emulator = start();
    let response = put_token(emulator.metadata_addr(), "300");
    assert_eq!(response.status, 200);
    assert_eq!(response.header("Content-Type"), Some("text/plain"));
    assert_eq!(response.header(TTL_HEADER), Some("300"));
    let token = response.text();
    assert_eq!(token.len(), 56);
    assert!(
        token
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
        "{token}"
    );
    assert_ne!(
        token,
        put_token(emulator.metadata_addr(), "300").text(),
        "tokens repeat"
    );
}

#[test]
fn ttl_bounds_one_and_21600_are_accepted() {
    let emulator = start();
    for ttl in ["1", "21600"] {
        let response = put_token(emulator.metadata_addr(), ttl);
        assert_eq!(response.status, 200, "ttl {ttl}");
        assert_eq!(response.header(TTL_HEADER), Some(ttl));
    }
}

#[test]
fn bad_or_missing_ttl_is_400() {
    let emulator = start();
    for ttl in [
        "0",
        "21601",
        "-1",
        "abc",
        "",
        "1.5",
        "99999999999999999999999",
    ] {
        assert_eq!(
            put_token(emulator.metadata_addr(), ttl).status,
            400,
            "ttl {ttl:?}"
        );
    }
    let missing = request(
        emulator.metadata_addr(),
        "PUT",
        "/latest/api/token",
        &[],
        b"",
    );
    assert_eq!(missing.status, 400);
}

#[test]
fn token_put_with_x_forwarded_for_is_403() {
    let emulator = start();
    let response = request(
        emulator.metadata_addr(),
        "PUT",
        "/latest/api/token",
        &[(TTL_HEADER, "60"), ("X-Forwarded-For", "10.0.0.1")],
        b"",
    );
    assert_eq!(response.status, 403);
}

#[test]
fn dated_and_trailing_slash_token_paths_are_403_with_an_empty_body() {
    let emulator = start();
    for path in [
        "/2021-03-23/api/token",
        "/latest/api/token/",
        "/1.0/api/token",
    ] {
        let response = request(
            emulator.metadata_addr(),
            "PUT",
            path,
            &[(TTL_HEADER, "60")],
            b"",
        );
        assert_eq!(response.status, 403, "{path}");
        assert!(response.body.is_empty(), "{path}: {:?}", response.text());
    }
}

#[test]
fn other_methods_on_the_token_path_are_405() {
    let emulator = start();
    for method in ["GET", "POST", "DELETE", "HEAD", "PATCH"] {
        let response = request(
            emulator.metadata_addr(),
            method,
            "/latest/api/token",
            &[(TTL_HEADER, "60")],
            b"",
        );
        assert_eq!(response.status, 405, "{method}");
    }
}

#[test]
fn a_token_stops_working_after_its_ttl() {
    let emulator = start();
    let token = put_token(emulator.metadata_addr(), "1").text();
    assert_eq!(
        get(&emulator, "/latest/meta-data/instance-id", &token).status,
        200
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        get(&emulator, "/latest/meta-data/instance-id", &token).status,
        401
    );
}

#[test]
fn expire_tokens_invalidates_every_issued_token() {
    let emulator = start();
    let first = token(&emulator);
    let second = token(&emulator);
    emulator.control().expire_tokens();
    for token in [first, second] {
        assert_eq!(
            get(&emulator, "/latest/meta-data/instance-id", &token).status,
            401
        );
    }
    assert_eq!(read(&emulator, "/latest/meta-data/instance-id").status, 200);
}

#[test]
fn many_tokens_are_live_at_once() {
    let emulator = start();
    let tokens: Vec<String> = (0..50).map(|_| token(&emulator)).collect();
    for token in &tokens {
        assert_eq!(
            get(&emulator, "/latest/meta-data/instance-id", token).status,
            200
        );
    }
    let state = admin(&emulator, "GET", "/state", "").json();
    assert_eq!(state["live_tokens"], 50);
}

#[test]
fn one_keep_alive_connection_carries_the_token_put_and_many_reads() {
    let emulator = start();
    let mut conn = Conn::open(emulator.metadata_addr());
    let token = conn
        .send("PUT", "/latest/api/token", &[(TTL_HEADER, "60")], b"")
        .unwrap()
        .text();
    for _ in 0..20 {
        let response = conn
            .send(
                "GET",
                "/latest/meta-data/instance-id",
                &[(TOKEN_HEADER, &token)],
                b"",
            )
            .unwrap();
        assert_eq!(response.text(), "i-0b22a22eec53b9321");
    }
    let counters = emulator.control().counters();
    assert_eq!(
        (
            counters.connections,
            counters.token_puts,
            counters.reads["200"]
        ),
        (1, 1, 20)
    );
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let emulator = start();
    let token = token(&emulator);
    let mut conn = Conn::open(emulator.metadata_addr());
    let one =
        |path: &str| format!("GET {path} HTTP/1.1\r\nX-aws-ec2-metadata-token: {token}\r\n\r\n");
    let both = one("/latest/meta-data/instance-id") + &one("/latest/meta-data/placement/region");
    conn.send_raw(both.as_bytes()).unwrap();
    assert_eq!(
        conn.read_response(false).unwrap().text(),
        "i-0b22a22eec53b9321"
    );
    assert_eq!(conn.read_response(false).unwrap().text(), "us-east-1");
}
