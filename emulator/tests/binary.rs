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
