//! Access modes and IMDS's answers: 401, 403, 404, 405, HEAD, content types, listings.

mod common;

use common::*;
use imds_emulator::{HttpEndpoint, HttpTokens};

const INSTANCE_ID: &str = "/latest/meta-data/instance-id";

#[test]
fn required_mode_answers_401_without_a_token_and_with_a_bad_one() {
    let emulator = start();
    let tokenless = request(emulator.metadata_addr(), "GET", INSTANCE_ID, &[], b"");
    assert_eq!(tokenless.status, 401);
    let bad = get(&emulator, INSTANCE_ID, "not-a-token-at-all");
    assert_eq!(bad.status, 401);
    let forged = get(&emulator, INSTANCE_ID, &"A".repeat(56));
    assert_eq!(forged.status, 401);
}

#[test]
fn optional_mode_serves_tokenless_reads_but_still_rejects_bad_tokens() {
    let emulator = start_with(|o| o.http_tokens = HttpTokens::Optional);
    let tokenless = request(emulator.metadata_addr(), "GET", INSTANCE_ID, &[], b"");
    assert_eq!(
        (tokenless.status, tokenless.text().as_str()),
        (200, "i-0b22a22eec53b9321")
    );
    assert_eq!(get(&emulator, INSTANCE_ID, "bogus").status, 401);
    assert_eq!(read(&emulator, INSTANCE_ID).status, 200);
}

#[test]
fn http_tokens_switch_at_run_time() {
    let emulator = start();
    let tokenless = || request(emulator.metadata_addr(), "GET", INSTANCE_ID, &[], b"").status;
    assert_eq!(tokenless(), 401);
    emulator.control().set_http_tokens(HttpTokens::Optional);
    assert_eq!(tokenless(), 200);
    admin_ok(&emulator, "PUT", "/mode", r#"{"http_tokens":"required"}"#);
    assert_eq!(tokenless(), 401);
}

#[test]
fn disabled_endpoint_answers_403_to_everything() {
    let emulator = start_with(|o| o.http_endpoint = HttpEndpoint::Disabled);
    assert_eq!(put_token(emulator.metadata_addr(), "60").status, 403);
    let tokenless = request(emulator.metadata_addr(), "GET", INSTANCE_ID, &[], b"");
    assert_eq!(tokenless.status, 403);
    emulator.control().set_http_endpoint(HttpEndpoint::Enabled);
    assert_eq!(read(&emulator, INSTANCE_ID).status, 200);
    admin_ok(&emulator, "PUT", "/mode", r#"{"http_endpoint":"disabled"}"#);
    assert_eq!(
        request(emulator.metadata_addr(), "GET", "/", &[], b"").status,
        403
    );
}

#[test]
fn absent_paths_are_404_with_the_imds_xhtml_page() {
    let emulator = start();
    for path in [
        "/latest/meta-data/no-such-leaf",
        "/latest/meta-data/spot/instance-action",
        "/nope",
    ] {
        let response = read(&emulator, path);
        assert_eq!(response.status, 404, "{path}");
        assert_eq!(response.header("Content-Type"), Some("text/html"));
        let page = response.text();
        assert!(
            page.starts_with("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>"),
            "{page}"
        );
        assert!(page.contains("<title>404 - Not Found</title>"), "{page}");
    }
}

#[test]
fn methods_other_than_get_and_head_are_405_on_metadata() {
    let emulator = start();
    let token = token(&emulator);
    for method in ["POST", "PUT", "DELETE", "OPTIONS"] {
        let response = request(
            emulator.metadata_addr(),
            method,
            INSTANCE_ID,
            &[(TOKEN_HEADER, &token)],
            b"",
        );
        assert_eq!(response.status, 405, "{method}");
    }
}

#[test]
fn head_sends_the_headers_of_get_without_a_body() {
    let emulator = start();
    let token = token(&emulator);
    let mut conn = Conn::open(emulator.metadata_addr());
    let head = conn
        .send("HEAD", INSTANCE_ID, &[(TOKEN_HEADER, &token)], b"")
        .unwrap();
    assert_eq!(head.status, 200);
    assert_eq!(head.header("Content-Length"), Some("19"));
    assert!(head.body.is_empty());
    // The next response on the connection starts right away: no stray body bytes were sent.
    let get = conn
        .send("GET", INSTANCE_ID, &[(TOKEN_HEADER, &token)], b"")
        .unwrap();
    assert_eq!(get.text(), "i-0b22a22eec53b9321");
}

#[test]
fn content_is_text_plain_and_user_data_octet_stream() {
    let emulator = start();
    let token = token(&emulator);
    for path in [
        INSTANCE_ID,
        "/latest/meta-data/",
        "/latest/dynamic/instance-identity/document",
    ] {
        assert_eq!(
            get(&emulator, path, &token).header("Content-Type"),
            Some("text/plain"),
            "{path}"
        );
    }
    let user_data = get(&emulator, "/latest/user-data", &token);
    assert_eq!(
        user_data.header("Content-Type"),
        Some("application/octet-stream")
    );
}

#[test]
fn directories_answer_alike_with_and_without_the_trailing_slash() {
    let emulator = start();
    let token = token(&emulator);
    for dir in [
        "/latest/meta-data/placement",
        "/latest/meta-data/network/interfaces/macs",
    ] {
        let bare = get(&emulator, dir, &token);
        let slashed = get(&emulator, &format!("{dir}/"), &token);
        assert_eq!(bare.status, 200, "{dir}");
        assert_eq!(bare.body, slashed.body, "{dir}");
    }
    let leaf = get(&emulator, "/latest/meta-data/instance-id/", &token);
    assert_eq!(leaf.text(), "i-0b22a22eec53b9321");
}

#[test]
fn listings_are_one_entry_per_line_with_slashes_on_directories() {
    let emulator = start();
    let token = token(&emulator);
    let meta = lines(&get(&emulator, "/latest/meta-data/", &token));
    for entry in [
        "ami-id",
        "instance-id",
        "placement/",
        "network/",
        "iam/",
        "public-keys/",
        "services/",
    ] {
        assert!(
            meta.contains(&entry.to_owned()),
            "{entry} missing from {meta:?}"
        );
    }
    assert!(
        !meta.contains(&"tags/".to_owned()),
        "tags are off by default: {meta:?}"
    );
    let placement = lines(&get(&emulator, "/latest/meta-data/placement/", &token));
    assert_eq!(
        placement,
        ["availability-zone", "availability-zone-id", "region"]
    );
    let latest = lines(&get(&emulator, "/latest/", &token));
    assert_eq!(latest, ["dynamic/", "meta-data/", "user-data"]);
}

#[test]
fn listing_quirks_match_imds() {
    let emulator = start();
    let token = token(&emulator);
    assert_eq!(
        get(&emulator, "/latest/meta-data/public-keys/", &token).text(),
        "0=my-key"
    );
    assert_eq!(
        get(
            &emulator,
            "/latest/meta-data/iam/security-credentials/",
            &token
        )
        .text(),
        "emulator-role"
    );
    assert_eq!(
        get(
            &emulator,
            "/latest/meta-data/network/interfaces/macs/",
            &token
        )
        .text(),
        "0e:49:61:0f:c3:11/"
    );
}

#[test]
fn root_lists_dated_versions_then_latest_and_dated_versions_serve_the_tree() {
    let emulator = start();
    let token = token(&emulator);
    let versions = lines(&get(&emulator, "/", &token));
    assert_eq!(versions.last().map(String::as_str), Some("latest"));
    assert!(
        versions.len() > 3 && versions.contains(&"2021-03-23".to_owned()),
        "{versions:?}"
    );
    let dated = get(&emulator, "/2021-03-23/meta-data/instance-id", &token);
    assert_eq!(dated.text(), "i-0b22a22eec53b9321");
    assert_eq!(
        get(&emulator, "/1999-01-01/meta-data/instance-id", &token).status,
        404
    );
}

#[test]
fn query_strings_do_not_change_the_answer() {
    let emulator = start();
    let response = read(&emulator, "/latest/meta-data/instance-id?x=1");
    assert_eq!(response.text(), "i-0b22a22eec53b9321");
}

#[test]
fn malformed_requests_get_400_and_a_closed_connection() {
    let emulator = start();
    let mut conn = Conn::open(emulator.metadata_addr());
    conn.send_raw(b"GARBAGE\x01 / HTTP/1.1\r\n\r\n").unwrap();
    let response = conn.read_response(false).unwrap();
    assert_eq!(response.status, 400);
    assert!(conn.read_to_close().unwrap().is_empty());
    let counters = emulator.control().counters();
    assert_eq!((counters.requests, counters.reads["400"]), (1, 1));
}
