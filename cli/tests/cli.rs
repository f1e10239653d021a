//! The `imds` tool as a user runs it: each subcommand against a real emulator, each exit
//! code, `--help`, and `imds emulate` as a child process.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use imds_emulator::{
    CredentialsMode, Emulator, FaultTarget, Faults, HttpEndpoint, MaintenanceEvent, SpotAction,
};

fn imds(endpoint: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_imds"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_CONFIG_FILE", "/nonexistent/imds-cli-tests/config")
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint)
        .output()
        .expect("the imds binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout)
        .trim_end()
        .to_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr)
        .trim_end()
        .to_owned()
}

#[test]
fn read_commands_print_values_from_the_emulator() {
    let emu = Emulator::start_default().unwrap();
    let e = emu.endpoint();

    let get = imds(&e, &["get", "instance-id"]);
    assert!(get.status.success(), "{}", stderr(&get));
    assert_eq!(stdout(&get), "i-0b22a22eec53b9321");

    assert!(stdout(&imds(&e, &["list"]))
        .lines()
        .any(|l| l == "placement/"));
    assert_eq!(stdout(&imds(&e, &["region"])), "us-east-1");
    assert!(stdout(&imds(&e, &["dynamic", "instance-identity/document"])).contains("accountId"));
    assert_eq!(
        imds(&e, &["user-data"]).stdout,
        b"#!/bin/bash\necho hello from user-data\n"
    );

    let identity = imds(&e, &["identity", "--json"]);
    let document: serde_json::Value = serde_json::from_slice(&identity.stdout).unwrap();
    assert_eq!(document["instanceId"], "i-0b22a22eec53b9321");
    assert_eq!(document["signatureVerified"], false);

    let get_json = imds(&e, &["--json", "get", "mac"]);
    let value: serde_json::Value = serde_json::from_slice(&get_json.stdout).unwrap();
    assert_eq!(value["value"], "0e:49:61:0f:c3:11");
}

#[test]
fn identity_verify_checks_the_signature_against_the_given_certificate() {
    let emu = Emulator::start_default().unwrap();
    let dir = std::env::temp_dir().join(format!("imds-cli-cert-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.pem");
    std::fs::write(&good, imds_emulator::certificate_pem()).unwrap();
    let wrong = dir.join("wrong.pem");
    std::fs::write(&wrong, imds_emulator::dsa_certificate_pem()).unwrap();

    let ok = imds(
        &emu.endpoint(),
        &["identity", "--verify", "--cert", good.to_str().unwrap()],
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("signature: verified"));

    let bad = imds(
        &emu.endpoint(),
        &["identity", "--verify", "--cert", wrong.to_str().unwrap()],
    );
    assert!(!bad.status.success());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn credentials_are_redacted_unless_secrets_are_asked_for() {
    let emu = Emulator::start_default().unwrap();
    let redacted = imds(&emu.endpoint(), &["credentials", "--json"]);
    let value: serde_json::Value = serde_json::from_slice(&redacted.stdout).unwrap();
    assert_eq!(value["role"], "emulator-role");
    assert_eq!(value["secret_access_key"], "<redacted>");
    assert_eq!(value["session_token"], "<redacted>");

    let shown = imds(
        &emu.endpoint(),
        &["credentials", "--json", "--show-secrets"],
    );
    let value: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_ne!(value["secret_access_key"], "<redacted>");
}

#[test]
fn config_prints_each_value_with_its_source() {
    let emu = Emulator::start_default().unwrap();
    let out = imds(&emu.endpoint(), &["--attempts", "5", "config", "--json"]);
    let config: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(config["endpoint"]["value"], emu.endpoint());
    assert_eq!(
        config["endpoint"]["source"],
        "environment variable AWS_EC2_METADATA_SERVICE_ENDPOINT"
    );
    assert_eq!(config["max_attempts"]["value"], "5");
    assert_eq!(config["max_attempts"]["source"], "code");
    assert_eq!(config["token_ttl"]["source"], "default");

    let text = imds(&emu.endpoint(), &["config"]);
    assert!(stdout(&text)
        .lines()
        .any(|l| l.starts_with("token_ttl") && l.contains("300s")));
}

#[test]
fn exit_codes_are_the_error_kind_codes() {
    let emu = Emulator::start_default().unwrap();
    let e = emu.endpoint();
    let code = |args: &[&str]| imds(&e, args).status.code().unwrap();

    assert_eq!(code(&["get", "no-such-leaf"]), 8);
    assert_eq!(code(&["get", "../api/token"]), 1);
    assert_eq!(code(&["--token-ttl", "0", "get", "mac"]), 1);
    assert_eq!(code(&["--endpoint-mode", "IPv5", "region"]), 1);
    assert_eq!(code(&["no-such-command"]), 64);

    let refused = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        imds(&format!("http://127.0.0.1:{port}"), &["get", "instance-id"])
    };
    assert_eq!(refused.status.code(), Some(3));
    let message = stderr(&refused);
    assert!(message.starts_with("imds: unreachable: "), "{message}");
    assert_eq!(message.lines().count(), 1, "one clear line: {message}");

    emu.control().set_faults(Faults {
        error_status: Some(503),
        error_count: 100,
        ..Faults::default()
    });
    assert_eq!(code(&["--attempts", "1", "get", "mac"]), 10);
    emu.control().clear_faults();

    let disabled = Command::new(env!("CARGO_BIN_EXE_imds"))
        .args(["get", "mac"])
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    assert_eq!(disabled.status.code(), Some(2));
}

/// Asserts the documented failure shape: the kind's exit code and one stderr line
/// `imds: <kind>: <message>`.
#[track_caller]
fn assert_fails_with(output: &Output, code: i32, kind: &str) {
    let message = stderr(output);
    assert_eq!(output.status.code(), Some(code), "{message}");
    assert!(message.starts_with(&format!("imds: {kind}: ")), "{message}");
    assert_eq!(message.lines().count(), 1, "one clear line: {message}");
}

#[test]
fn a_400_from_imds_exits_5_bad_request() {
    let emu = Emulator::start_default().unwrap();
    emu.control().set_faults(Faults {
        error_status: Some(400),
        error_count: 1,
        target: FaultTarget::Metadata,
        ..Faults::default()
    });
    assert_fails_with(&imds(&emu.endpoint(), &["get", "mac"]), 5, "bad_request");
    assert_eq!(emu.control().counters().reads.get("400"), Some(&1));
}

#[test]
fn a_401_that_persists_after_a_fresh_token_exits_6_unauthorized() {
    let emu = Emulator::start_default().unwrap();
    emu.control().set_faults(Faults {
        error_status: Some(401),
        error_count: 2,
        target: FaultTarget::Metadata,
        ..Faults::default()
    });
    assert_fails_with(&imds(&emu.endpoint(), &["get", "mac"]), 6, "unauthorized");
    let counters = emu.control().counters();
    assert_eq!(
        counters.token_puts, 2,
        "a fresh token was fetched after the first 401"
    );
    assert_eq!(counters.reads.get("401"), Some(&2));
}

#[test]
fn a_disabled_metadata_endpoint_exits_7_forbidden() {
    let emu = Emulator::start_default().unwrap();
    emu.control().set_http_endpoint(HttpEndpoint::Disabled);
    assert_fails_with(&imds(&emu.endpoint(), &["get", "mac"]), 7, "forbidden");
}

#[test]
fn a_429_on_every_attempt_exits_9_throttled() {
    let emu = Emulator::start_default().unwrap();
    emu.control().set_faults(Faults {
        error_status: Some(429),
        error_count: 2,
        target: FaultTarget::Metadata,
        ..Faults::default()
    });
    let out = imds(&emu.endpoint(), &["--attempts", "2", "get", "mac"]);
    assert_fails_with(&out, 9, "throttled");
    assert_eq!(emu.control().counters().reads.get("429"), Some(&2));
}

#[test]
fn a_malformed_credentials_document_exits_11_invalid_response() {
    let emu = Emulator::start_default().unwrap();
    emu.control().set_metadata(
        "iam/security-credentials/emulator-role",
        r#"{"Code": "Success", "AccessKeyId": "ASIA"#,
    );
    assert_fails_with(
        &imds(&emu.endpoint(), &["credentials"]),
        11,
        "invalid_response",
    );
}

#[test]
fn a_value_over_the_response_limit_exits_12_response_too_large() {
    let emu = Emulator::start_default().unwrap();
    let oversized = "x".repeat(imds::config::DEFAULT_MAX_RESPONSE_SIZE + 1);
    emu.control().set_metadata("ami-id", &oversized);
    assert_fails_with(
        &imds(&emu.endpoint(), &["get", "ami-id"]),
        12,
        "response_too_large",
    );
}

/// A self-signed RSA certificate for a key the emulator never signed with.
fn foreign_rsa_certificate_pem() -> String {
    use rsa::pkcs1v15::{Signature, SigningKey};
    use sha2::Sha256;
    use std::str::FromStr;
    use x509_cert::builder::{Builder, CertificateBuilder, Profile};
    use x509_cert::der::{pem::LineEnding, EncodePem};
    use x509_cert::name::Name;
    use x509_cert::serial_number::SerialNumber;
    use x509_cert::spki::SubjectPublicKeyInfoOwned;
    use x509_cert::time::Validity;

    let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
    let public = SubjectPublicKeyInfoOwned::from_key(key.to_public_key()).unwrap();
    let signer = SigningKey::<Sha256>::new(key);
    let certificate = CertificateBuilder::new(
        Profile::Root,
        SerialNumber::from(7u32),
        Validity::from_now(Duration::from_secs(3600)).unwrap(),
        Name::from_str("CN=not the emulator").unwrap(),
        public,
        &signer,
    )
    .unwrap()
    .build::<Signature>()
    .unwrap();
    certificate.to_pem(LineEnding::LF).unwrap()
}

#[test]
fn identity_verify_with_another_rsa_certificate_exits_14_signature_invalid() {
    let emu = Emulator::start_default().unwrap();
    let dir = std::env::temp_dir().join(format!("imds-cli-foreign-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let foreign = dir.join("foreign.pem");
    std::fs::write(&foreign, foreign_rsa_certificate_pem()).unwrap();
    let out = imds(
        &emu.endpoint(),
        &["identity", "--verify", "--cert", foreign.to_str().unwrap()],
    );
    std::fs::remove_dir_all(&dir).ok();
    assert_fails_with(&out, 14, "signature_invalid");
    assert!(
        stdout(&out).is_empty(),
        "an unverified document is not printed"
    );
}

#[test]
fn a_credentials_error_document_exits_15_credentials_error() {
    let emu = Emulator::start_default().unwrap();
    emu.control().set_credentials_mode(CredentialsMode::Error);
    let out = imds(&emu.endpoint(), &["credentials"]);
    assert_fails_with(&out, 15, "credentials_error");
    assert!(stderr(&out).contains("AssumeRoleUnauthorizedAccess"));
}

#[test]
fn watch_spot_prints_the_notice_once_it_appears() {
    let emu = Emulator::start_default().unwrap();
    emu.control()
        .schedule_spot(SpotAction::Stop, Duration::from_millis(300));
    let out = imds(
        &emu.endpoint(),
        &[
            "watch",
            "spot",
            "--interval",
            "0.1",
            "--exit-on-notice",
            "--max-wait",
            "20",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("spot stop at "),
        "{}",
        stdout(&out)
    );

    let nothing = imds(
        &Emulator::start_default().unwrap().endpoint(),
        &["watch", "events", "--interval", "0.1", "--max-wait", "0.3"],
    );
    assert_eq!(nothing.status.code(), Some(4));
}

#[test]
fn watch_reports_each_failed_poll_and_keeps_polling_until_the_notice() {
    let emu = Emulator::start_default().unwrap();
    emu.control().set_faults(Faults {
        error_status: Some(503),
        error_count: 3,
        target: FaultTarget::Metadata,
        ..Faults::default()
    });
    emu.control()
        .schedule_spot(SpotAction::Terminate, Duration::ZERO);
    let out = imds(
        &emu.endpoint(),
        &[
            "--attempts",
            "1",
            "watch",
            "spot",
            "--interval",
            "0.05",
            "--exit-on-notice",
            "--max-wait",
            "120",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("spot terminate at "),
        "{}",
        stdout(&out)
    );
    let failures = stderr(&out);
    assert_eq!(
        failures.lines().count(),
        3,
        "one line per failed poll: {failures}"
    );
    assert!(
        failures
            .lines()
            .all(|l| l.starts_with("imds: server_error: ") && l.contains("polling again")),
        "{failures}"
    );
    assert_eq!(emu.control().counters().reads.get("503"), Some(&3));
}

#[test]
fn watch_ends_at_once_when_imds_is_disabled_for_the_instance() {
    let emu = Emulator::start_default().unwrap();
    emu.control().set_http_endpoint(HttpEndpoint::Disabled);
    let out = imds(
        &emu.endpoint(),
        &["watch", "spot", "--interval", "0.05", "--max-wait", "120"],
    );
    assert_fails_with(&out, 7, "forbidden");
}

#[test]
fn watch_that_only_failed_names_the_last_failure_when_max_wait_runs_out() {
    let emu = Emulator::start_default().unwrap();
    emu.control().set_faults(Faults {
        error_status: Some(503),
        error_count: 1000,
        target: FaultTarget::Metadata,
        ..Faults::default()
    });
    let out = imds(
        &emu.endpoint(),
        &[
            "--attempts",
            "1",
            "watch",
            "events",
            "--interval",
            "0.05",
            "--max-wait",
            "0.2",
        ],
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let last = stderr(&out).lines().last().unwrap_or_default().to_owned();
    assert!(
        last.starts_with("imds: timeout: no notice appeared")
            && last.contains("the last poll failed: server_error"),
        "{last}"
    );
}

/// An endpoint on which nothing listens.
fn closed_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[test]
fn endpoint_flag_beats_the_environment_variable() {
    let emu = Emulator::start_default().unwrap();
    let nowhere = closed_endpoint();
    assert_eq!(
        imds(&nowhere, &["get", "instance-id"]).status.code(),
        Some(3),
        "the variable alone points nowhere"
    );

    let out = imds(
        &nowhere,
        &["--endpoint", &emu.endpoint(), "get", "instance-id"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "i-0b22a22eec53b9321");

    let config = imds(
        &nowhere,
        &["--endpoint", &emu.endpoint(), "config", "--json"],
    );
    let config: serde_json::Value = serde_json::from_slice(&config.stdout).unwrap();
    assert_eq!(config["endpoint"]["value"], emu.endpoint());
    assert_eq!(config["endpoint"]["source"], "code");
}

#[test]
fn timeout_flag_sets_the_attempt_timeout() {
    let emu = Emulator::start_default().unwrap();
    let config = imds(&emu.endpoint(), &["--timeout", "0.25", "config", "--json"]);
    let config: serde_json::Value = serde_json::from_slice(&config.stdout).unwrap();
    assert_eq!(config["timeout"]["source"], "code");

    let silent = imds_emulator::silent_listener().unwrap();
    let out = imds(
        &silent.endpoint(),
        &["--timeout", "0.25", "--attempts", "1", "get", "mac"],
    );
    assert_fails_with(&out, 4, "timeout");
    assert!(
        stderr(&out).contains("did not answer within 0.250s"),
        "the message names the timeout given: {}",
        stderr(&out)
    );

    for bad in ["0", "-1", "nan", "3601"] {
        let flag = format!("--timeout={bad}");
        let out = imds(&emu.endpoint(), &[&flag, "get", "mac"]);
        assert_fails_with(&out, 1, "invalid_input");
    }
}

#[test]
fn list_below_the_root_prints_that_directory() {
    let emu = Emulator::start_default().unwrap();
    let out = imds(&emu.endpoint(), &["list", "placement"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let entries: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    for entry in ["availability-zone", "availability-zone-id", "region"] {
        assert!(entries.iter().any(|e| e == entry), "{entry} in {entries:?}");
    }
    assert!(
        !entries.iter().any(|e| e == "instance-id"),
        "root entries do not leak into a subdirectory: {entries:?}"
    );

    let json = imds(&emu.endpoint(), &["list", "placement", "--json"]);
    let listed: Vec<String> = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(listed, entries);
}

#[test]
fn watch_events_prints_a_scheduled_maintenance_event() {
    let emu = Emulator::start_default().unwrap();
    emu.control().schedule_maintenance(MaintenanceEvent {
        code: "system-reboot".into(),
        description: "scheduled reboot".into(),
        in_seconds: 0,
        starts_after_seconds: None,
        duration_seconds: None,
    });
    let args = [
        "watch",
        "events",
        "--interval",
        "0.05",
        "--exit-on-notice",
        "--max-wait",
        "120",
    ];
    let out = imds(&emu.endpoint(), &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let line = stdout(&out);
    assert!(
        line.starts_with("instance-event-")
            && line.contains(" system-reboot (active) from ")
            && line.ends_with(": scheduled reboot"),
        "{line}"
    );

    let json = imds(&emu.endpoint(), &[&["--json"][..], &args].concat());
    let event: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(event["kind"], "maintenance");
    assert_eq!(event["code"], "system-reboot");
    assert_eq!(event["state"], "active");
    assert_eq!(event["description"], "scheduled reboot");
}

#[test]
fn emulate_help_shows_the_loopback_default_host() {
    let out = imds("http://127.0.0.1:9", &["emulate", "--help"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let help = stdout(&out);
    let host = help
        .lines()
        .find(|l| l.trim_start().starts_with("--host"))
        .unwrap_or_else(|| panic!("--host missing: {help}"));
    assert!(host.contains("[default: 127.0.0.1]"), "{host}");
}

#[test]
fn help_lists_every_subcommand_and_the_exit_codes() {
    let out = imds("http://127.0.0.1:9", &["--help"]);
    assert!(out.status.success());
    let help = stdout(&out);
    for command in [
        "get",
        "list",
        "dynamic",
        "user-data",
        "identity",
        "region",
        "credentials",
        "watch",
        "config",
        "emulate",
    ] {
        assert!(help.contains(command), "{command} missing from --help");
    }
    assert!(help.contains("Exit status"));
    assert!(
        help.contains("64 for a usage error; 69 when `imds emulate` cannot run the emulator"),
        "{help}"
    );
}

#[test]
fn emulate_on_a_port_in_use_exits_69_not_an_error_kind_code() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = imds(
        "http://127.0.0.1:9",
        &["emulate", "--port", &port, "--log-level", "warn"],
    );
    assert_eq!(out.status.code(), Some(69), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(message.starts_with("imds: emulator: "), "{message}");
    assert!(stdout(&out).is_empty(), "no ready line: {}", stdout(&out));
    drop(taken);

    let missing_config = imds(
        "http://127.0.0.1:9",
        &[
            "emulate",
            "--port",
            "0",
            "--config",
            "/nonexistent/imds.json",
        ],
    );
    assert_eq!(missing_config.status.code(), Some(69));
}

#[test]
fn emulate_serves_loopback_and_prints_its_ready_line() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_imds"))
        .args([
            "emulate",
            "--port",
            "0",
            "--exit-on-stdin-eof",
            "--log-level",
            "warn",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: serde_json::Value = serde_json::from_str(&line).unwrap();
    let endpoint = ready["endpoint"].as_str().unwrap().to_owned();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");

    let out = imds(&endpoint, &["get", "instance-type"]);
    assert_eq!(stdout(&out), "m5.large");

    drop(child.stdin.take());
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "the emulator exits cleanly when stdin closes"
    );
}
