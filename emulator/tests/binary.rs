//! The `imds-emulator` binary, started the way other languages' test suites start it.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, Stdio};

use common::*;
use imds_emulator::ReadyLine;

struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    ready: ReadyLine,
}

impl Running {
    fn metadata(&self) -> SocketAddr {
        self.ready
            .endpoint
            .trim_start_matches("http://")
            .parse()
            .unwrap()
    }

    fn admin(&self) -> SocketAddr {
        self.ready
            .admin
            .trim_start_matches("http://")
            .parse()
            .unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(args: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_imds-emulator"))
        .args(["--port", "0", "--log-level", "warn"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn imds-emulator");
    let stdin = child.stdin.take();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).expect("ready line");
    let ready: ReadyLine = serde_json::from_str(&line)
        .unwrap_or_else(|err| panic!("ready line {line:?} is not the documented JSON: {err}"));
    Running {
        child,
        stdin,
        ready,
    }
}

#[test]
fn prints_one_ready_line_with_endpoint_admin_and_pid_then_serves() {
    let running = spawn(&[]);
    assert_eq!(running.ready.pid, running.child.id());
    assert!(
        running.ready.endpoint.starts_with("http://127.0.0.1:"),
        "{:?}",
        running.ready
    );
    assert!(
        running.ready.admin.starts_with("http://127.0.0.1:"),
        "{:?}",
        running.ready
    );
    assert_ne!(running.ready.endpoint, running.ready.admin);
    let token = put_token(running.metadata(), "60").text();
    let id = request(
        running.metadata(),
        "GET",
        "/latest/meta-data/instance-id",
        &[(TOKEN_HEADER, &token)],
        b"",
    );
    assert_eq!(id.text(), "i-0b22a22eec53b9321");
    let health = request(running.admin(), "GET", "/health", &[], b"");
    assert_eq!(health.text(), "ok");
}

#[test]
fn the_ready_line_is_valid_json_with_exactly_three_fields() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_imds-emulator"))
        .args(["--port", "0", "--exit-on-stdin-eof", "--log-level", "warn"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let value: serde_json::Value = serde_json::from_str(&line).unwrap();
    let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["admin", "endpoint", "pid"]);
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert_eq!(rest, "", "nothing but the ready line on stdout");
}

#[test]
fn exits_when_stdin_closes_with_the_flag() {
    let mut running = spawn(&["--exit-on-stdin-eof"]);
    drop(running.stdin.take());
    let status = running.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn keeps_serving_after_stdin_closes_without_the_flag_and_stops_on_sigterm() {
    let mut running = spawn(&[]);
    drop(running.stdin.take());
    let health = request(running.admin(), "GET", "/health", &[], b"");
    assert_eq!(health.status, 200);
    // SAFETY: plain kill(2) on the child this test started.
    assert_eq!(
        unsafe { libc::kill(running.child.id() as libc::pid_t, libc::SIGTERM) },
        0
    );
    assert!(running.child.wait().unwrap().success());
}

#[test]
fn stops_on_sigint() {
    let mut running = spawn(&[]);
    // SAFETY: plain kill(2) on the child this test started.
    assert_eq!(
        unsafe { libc::kill(running.child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    assert!(running.child.wait().unwrap().success());
}

#[test]
fn config_file_and_http_tokens_flags_apply() {
    let path = std::env::temp_dir().join(format!("imds-emulator-bin-{}.json", std::process::id()));
    std::fs::File::create(&path)
        .and_then(|mut file| file.write_all(br#"{"instance_id":"i-00000000000000042"}"#))
        .unwrap();
    let running = spawn(&[
        "--config",
        path.to_str().unwrap(),
        "--http-tokens",
        "optional",
    ]);
    let id = request(
        running.metadata(),
        "GET",
        "/latest/meta-data/instance-id",
        &[],
        b"",
    );
    assert_eq!(
        (id.status, id.text().as_str()),
        (200, "i-00000000000000042")
    );
    std::fs::remove_file(&path).unwrap();
}

/// Writes `contents` to a file of its own, removed when dropped.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(name: &str, contents: &str) -> TempFile {
        let path =
            std::env::temp_dir().join(format!("imds-emulator-{}-{name}.json", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

const SECTIONED: &str = r#"{
  "instance": {"instance_id": "i-0000000000000abcd", "tags_enabled": true,
               "tags": {"Team": "blue"}},
  "mode": {"http_tokens": "optional"},
  "faults": {"error_status": 503, "error_count": 1, "target": "metadata",
             "token_ip_ttl": 64},
  "credentials": {"mode": "error"},
  "events": {
    "spot": {"action": "stop", "in_seconds": 0},
    "rebalance": {"in_seconds": 0},
    "maintenance": [{"code": "system-reboot", "description": "set by the file"}],
    "autoscaling": {"state": "InService"}
  },
  "token_capacity": 2
}"#;

#[test]
fn a_sectioned_config_file_sets_every_setting_observed_over_http() {
    let file = TempFile::new("sectioned", SECTIONED);
    let running = spawn(&["--config", file.path()]);
    let metadata = running.metadata();
    let tokenless = |path: &str| request(metadata, "GET", path, &[], b"");

    // faults: exactly one metadata read fails.
    assert_eq!(tokenless("/latest/meta-data/instance-id").status, 503);
    // mode (optional: no token needed) and instance.
    let id = tokenless("/latest/meta-data/instance-id");
    assert_eq!(
        (id.status, id.text().as_str()),
        (200, "i-0000000000000abcd")
    );
    let faults = request(running.admin(), "GET", "/faults", &[], b"").json();
    assert_eq!(faults["token_ip_ttl"], 64);
    assert_eq!(faults["error_count"], 0);
    // tags enabled, with the file's tags.
    assert_eq!(
        tokenless("/latest/meta-data/tags/instance/Team").text(),
        "blue"
    );
    // credentials: the error document.
    let role = tokenless("/latest/meta-data/iam/security-credentials/emulator-role").json();
    assert_eq!(role["Code"], "AssumeRoleUnauthorizedAccess");
    // events, scheduled at start.
    let spot = tokenless("/latest/meta-data/spot/instance-action").json();
    assert_eq!(spot["action"], "stop");
    assert_eq!(
        tokenless("/latest/meta-data/events/recommendations/rebalance").status,
        200
    );
    let maintenance = tokenless("/latest/meta-data/events/maintenance/scheduled").json();
    assert_eq!(maintenance[0]["Code"], "system-reboot");
    assert_eq!(maintenance[0]["Description"], "set by the file");
    assert_eq!(
        tokenless("/latest/meta-data/autoscaling/target-lifecycle-state").text(),
        "InService"
    );
    // token_capacity: a third token evicts the first.
    let tokens: Vec<String> = (0..3).map(|_| put_token(metadata, "60").text()).collect();
    let with = |token: &str| {
        request(
            metadata,
            "GET",
            "/latest/meta-data/instance-id",
            &[(TOKEN_HEADER, token)],
            b"",
        )
        .status
    };
    assert_eq!(with(&tokens[0]), 401, "the oldest token was evicted");
    assert_eq!((with(&tokens[1]), with(&tokens[2])), (200, 200));
    let state = request(running.admin(), "GET", "/state", &[], b"").json();
    assert_eq!(state["token_capacity"], 2);
    assert_eq!(state["http_tokens"], "optional");
    assert_eq!(state["credentials_mode"], "error");
}

#[test]
fn a_config_file_can_disable_the_endpoint_and_the_flag_beats_its_http_tokens() {
    let disabled = TempFile::new("disabled", r#"{"mode": {"http_endpoint": "disabled"}}"#);
    let running = spawn(&["--config", disabled.path()]);
    assert_eq!(put_token(running.metadata(), "60").status, 403);
    drop(running);

    let optional = TempFile::new("optional", r#"{"mode": {"http_tokens": "optional"}}"#);
    let running = spawn(&["--config", optional.path(), "--http-tokens", "required"]);
    let tokenless = request(
        running.metadata(),
        "GET",
        "/latest/meta-data/instance-id",
        &[],
        b"",
    );
    assert_eq!(tokenless.status, 401, "--http-tokens required wins");
}

/// Runs the binary on a config file that must be refused; returns its stderr.
fn refused(name: &str, contents: &str) -> String {
    let file = TempFile::new(name, contents);
    let output = Command::new(env!("CARGO_BIN_EXE_imds-emulator"))
        .args(["--port", "0", "--config", file.path()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{name} was accepted");
    assert!(output.stdout.is_empty(), "no ready line for {name}");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(stderr.starts_with("imds-emulator: "), "{stderr}");
    assert!(stderr.contains(file.path()), "the file is named: {stderr}");
    stderr
}

#[test]
fn unknown_keys_in_a_config_file_are_refused_by_name() {
    let top = refused("top", r#"{"instance": {}, "fualts": {}}"#);
    assert!(top.contains("`fualts`"), "{top}");
    let nested = refused("nested", r#"{"faults": {"latency": 5}}"#);
    assert!(
        nested.contains("faults: unknown field `latency`"),
        "{nested}"
    );
    let event = refused(
        "event",
        r#"{"events": {"spot": {"action": "stop", "in": 1}}}"#,
    );
    assert!(event.contains("`in`"), "{event}");
    let misplaced = refused("misplaced", r#"{"mode": {}, "region": "eu-west-1"}"#);
    assert!(
        misplaced.contains("`region`") && misplaced.contains("belongs under `instance`"),
        "{misplaced}"
    );
    let flat = refused("flat", r#"{"instanse_id": "i-1"}"#);
    assert!(flat.contains("unknown field `instanse_id`"), "{flat}");
    let capacity = refused("capacity", r#"{"token_capacity": 0}"#);
    assert!(capacity.contains("token_capacity"), "{capacity}");
    let ttl = refused("ttl", r#"{"faults": {"token_ip_ttl": 0}}"#);
    assert!(ttl.contains("token_ip_ttl 0"), "{ttl}");
}

#[test]
fn a_bad_config_file_is_an_error_on_stderr_and_a_failing_exit() {
    let output = Command::new(env!("CARGO_BIN_EXE_imds-emulator"))
        .args(["--port", "0", "--config", "/nonexistent/instance.json"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "no ready line on failure");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("imds-emulator:"), "{stderr}");
}

#[test]
fn request_log_lines_never_contain_the_token() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_imds-emulator"))
        .args(["--port", "0", "--exit-on-stdin-eof", "--log-level", "trace"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let ready: ReadyLine = serde_json::from_str(&line).unwrap();
    let addr: SocketAddr = ready
        .endpoint
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let token = put_token(addr, "60").text();
    let path = "/latest/meta-data/placement/region";
    assert_eq!(
        request(addr, "GET", path, &[(TOKEN_HEADER, &token)], b"").status,
        200
    );
    assert_eq!(
        request(addr, "GET", path, &[(TOKEN_HEADER, "wrong-token")], b"").status,
        401
    );
    drop(child.stdin.take());
    let output = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(
        log.contains("/latest/meta-data/placement/region"),
        "requests are logged: {log}"
    );
    assert!(
        log.contains("status=200") && log.contains("status=401"),
        "{log}"
    );
    assert!(!log.contains(&token), "the token leaked into the log");
    assert!(
        !log.contains("wrong-token"),
        "a token header value leaked into the log"
    );
}
