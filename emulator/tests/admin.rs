//! The admin API, over raw HTTP on its own port.

mod common;

use common::*;

#[test]
fn admin_listens_on_its_own_port_and_metadata_does_not_serve_it() {
    let emulator = start();
    assert_ne!(emulator.admin_url(), emulator.endpoint());
    let health = admin(&emulator, "GET", "/health", "");
    assert_eq!((health.status, health.text().as_str()), (200, "ok"));
    let on_metadata = request(emulator.metadata_addr(), "GET", "/health", &[], b"");
    assert_eq!(
        on_metadata.status, 401,
        "the metadata port knows nothing of admin routes"
    );
    let mode = request(
        emulator.metadata_addr(),
        "PUT",
        "/mode",
        &[],
        br#"{"http_tokens":"optional"}"#,
    );
    assert_eq!(mode.status, 405);
    assert_eq!(
        admin(&emulator, "GET", "/state", "").json()["http_tokens"],
        "required"
    );
}

#[test]
fn counters_count_token_puts_rejections_reads_by_status_and_connections() {
    let emulator = start();
    let token = token(&emulator);
    put_token(emulator.metadata_addr(), "0");
    get(&emulator, "/latest/meta-data/instance-id", &token);
    get(&emulator, "/latest/meta-data/nothing", &token);
    request(
        emulator.metadata_addr(),
        "GET",
        "/latest/meta-data/",
        &[],
        b"",
    );
    let counters = admin(&emulator, "GET", "/counters", "").json();
    assert_eq!(counters["token_puts"], 1);
    assert_eq!(counters["token_rejected"], 1);
    assert_eq!(
        counters["reads"],
        serde_json::json!({"200": 1, "401": 1, "404": 1})
    );
    assert_eq!(counters["requests"], 5);
    assert_eq!(counters["connections"], 5);
    admin_ok(&emulator, "POST", "/counters/reset", "");
    let counters = emulator.control().counters();
    assert_eq!(
        (counters.requests, counters.token_puts, counters.reads.len()),
        (0, 0, 0)
    );
}

#[test]
fn concurrent_readers_sharing_one_token_need_one_token_put() {
    let emulator = start();
    let token = token(&emulator);
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                let mut conn = Conn::open(emulator.metadata_addr());
                for _ in 0..25 {
                    let r = conn
                        .send(
                            "GET",
                            "/latest/meta-data/instance-id",
                            &[(TOKEN_HEADER, &token)],
                            b"",
                        )
                        .unwrap();
                    assert_eq!(r.status, 200);
                }
            });
        }
    });
    let counters = emulator.control().counters();
    assert_eq!((counters.token_puts, counters.reads["200"]), (1, 200));
}

#[test]
fn mode_changes_take_either_field() {
    let emulator = start();
    admin_ok(&emulator, "PUT", "/mode", r#"{"http_tokens":"optional"}"#);
    admin_ok(&emulator, "PUT", "/mode", r#"{"http_endpoint":"disabled"}"#);
    let state = admin(&emulator, "GET", "/state", "").json();
    assert_eq!(
        (
            state["http_tokens"].as_str(),
            state["http_endpoint"].as_str()
        ),
        (Some("optional"), Some("disabled"))
    );
    assert_eq!(
        admin(&emulator, "PUT", "/mode", r#"{"http_tokens":"sometimes"}"#).status,
        400
    );
}

#[test]
fn tokens_expire_on_request() {
    let emulator = start();
    let token = token(&emulator);
    admin_ok(&emulator, "POST", "/tokens/expire", "");
    assert_eq!(
        get(&emulator, "/latest/meta-data/instance-id", &token).status,
        401
    );
}

#[test]
fn metadata_and_user_data_are_set_and_removed_with_raw_bodies() {
    let emulator = start();
    admin_ok(
        &emulator,
        "PUT",
        "/metadata/placement/partition-number",
        "3",
    );
    admin_ok(&emulator, "DELETE", "/metadata/public-hostname", "");
    admin_ok(&emulator, "PUT", "/user-data", "#cloud-config\n");
    let token = token(&emulator);
    assert_eq!(
        get(
            &emulator,
            "/latest/meta-data/placement/partition-number",
            &token
        )
        .text(),
        "3"
    );
    assert_eq!(
        get(&emulator, "/latest/meta-data/public-hostname", &token).status,
        404
    );
    assert_eq!(
        get(&emulator, "/latest/user-data", &token).text(),
        "#cloud-config\n"
    );
    admin_ok(&emulator, "DELETE", "/user-data", "");
    assert_eq!(get(&emulator, "/latest/user-data", &token).status, 404);
    assert_eq!(
        admin(&emulator, "GET", "/state", "").json()["user_data_bytes"],
        serde_json::Value::Null
    );
}

#[test]
fn credentials_mode_and_rotation_are_driven_over_admin() {
    let emulator = start();
    let path = "/latest/meta-data/iam/security-credentials/emulator-role";
    let before = read(&emulator, path).json()["AccessKeyId"].clone();
    admin_ok(&emulator, "POST", "/credentials/rotate", "");
    assert_ne!(read(&emulator, path).json()["AccessKeyId"], before);
    admin_ok(&emulator, "PUT", "/credentials", r#"{"mode":"error"}"#);
    assert_eq!(
        read(&emulator, path).json()["Code"],
        "AssumeRoleUnauthorizedAccess"
    );
    admin_ok(&emulator, "PUT", "/credentials", r#"{"mode":"success"}"#);
    assert_eq!(read(&emulator, path).json()["Code"], "Success");
}

#[test]
fn tags_can_be_replaced_over_admin() {
    let emulator = start();
    admin_ok(
        &emulator,
        "PUT",
        "/tags",
        r#"{"enabled":true,"tags":{"Owner":"qa"}}"#,
    );
    assert_eq!(
        read(&emulator, "/latest/meta-data/tags/instance/Owner").text(),
        "qa"
    );
    assert_eq!(
        read(&emulator, "/latest/meta-data/tags/instance/Name").status,
        404
    );
}

#[test]
fn certificates_are_served_as_pem() {
    let emulator = start();
    let rsa = admin(&emulator, "GET", "/certificate", "");
    assert_eq!(rsa.text(), imds_emulator::certificate_pem());
    assert!(rsa.text().starts_with("-----BEGIN CERTIFICATE-----"));
    let dsa = admin(&emulator, "GET", "/certificate/dsa", "");
    assert_eq!(dsa.text(), imds_emulator::dsa_certificate_pem());
    assert_ne!(rsa.body, dsa.body);
}

#[test]
fn config_is_replaced_whole_and_reported_in_state() {
    let emulator = start();
    admin_ok(
        &emulator,
        "PUT",
        "/config",
        r#"{"instance_type":"t3.micro","iam_role":null}"#,
    );
    let token = token(&emulator);
    assert_eq!(
        get(&emulator, "/latest/meta-data/instance-type", &token).text(),
        "t3.micro"
    );
    assert_eq!(
        get(&emulator, "/latest/meta-data/iam/info", &token).status,
        404
    );
    let doc = get(
        &emulator,
        "/latest/dynamic/instance-identity/document",
        &token,
    )
    .json();
    assert_eq!(doc["instanceType"], "t3.micro");
    let state = admin(&emulator, "GET", "/state", "").json();
    assert_eq!(state["config"]["instance_type"], "t3.micro");
    assert_eq!(state["config"]["instance_id"], "i-0b22a22eec53b9321");
    assert_eq!(
        admin(&emulator, "PUT", "/config", r#"{"no_such_field":1}"#).status,
        400
    );
}

#[test]
fn unknown_routes_are_404_and_wrong_methods_405() {
    let emulator = start();
    assert_eq!(admin(&emulator, "GET", "/nope", "").status, 404);
    assert_eq!(admin(&emulator, "DELETE", "/health", "").status, 405);
    assert_eq!(
        admin(&emulator, "GET", "/metadata/instance-id", "").status,
        405
    );
    let bad = admin(&emulator, "POST", "/events/spot", r#"{"action":"explode"}"#);
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"].as_str().is_some());
}

#[test]
fn a_body_sent_after_100_continue_is_accepted() {
    let emulator = start();
    let addr = emulator
        .admin_url()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let mut conn = Conn::open(addr);
    let head = "PUT /user-data HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
    conn.send_raw(head.as_bytes()).unwrap();
    let interim = conn
        .read_response(true)
        .unwrap_or_else(|err| panic!("no 100 Continue: {err}"));
    assert_eq!(interim.status, 100);
    conn.send_raw(b"hello").unwrap();
    assert_eq!(conn.read_response(false).unwrap().status, 200);
    assert_eq!(read(&emulator, "/latest/user-data").text(), "hello");
}

#[test]
fn metadata_paths_with_empty_segments_are_ignored() {
    let emulator = start();
    emulator.control().set_metadata("placement//odd", "x");
    let listing = lines(&read(&emulator, "/latest/meta-data/placement/"));
    assert_eq!(
        listing,
        ["availability-zone", "availability-zone-id", "region"]
    );
}
