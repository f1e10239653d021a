//! The Rust runner of the language-neutral conformance scenarios in `tests/conformance/`.
//!
//! Every scenario file runs against a fresh emulator, driven through its admin API over
//! HTTP exactly as the other languages' runners drive it.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use imds::{Builder, Environment, Error};
use imds_emulator::Emulator;
use serde_json::{json, Value};

fn scenario_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance")
}

/// One request to the admin API; returns the body. Panics on a non-2xx answer, which is a
/// broken scenario, not a client failure.
fn admin(base: &str, method: &str, path: &str, body: Option<&Value>) -> String {
    let address = base.trim_start_matches("http://");
    let payload = match body {
        None => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    };
    let mut stream = TcpStream::connect(address).expect("admin API reachable");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Content-Length: {}\r\n\r\n{payload}",
        payload.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status_ok = response.starts_with("HTTP/1.1 2");
    assert!(status_ok, "admin {method} {path} failed: {response}");
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
}

fn closed_port_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Everything a scenario's clients are built from.
struct ClientSpec<'a> {
    spec: &'a Value,
    emulator: &'a Emulator,
    profile_file: PathBuf,
}

impl ClientSpec<'_> {
    fn builder(&self, overrides: &Value) -> Builder {
        let pick = |key: &str| overrides.get(key).or_else(|| self.spec.get(key));
        let endpoint = self.emulator.endpoint();
        let endpoint_from = pick("endpoint_from")
            .and_then(Value::as_str)
            .unwrap_or("code");

        let mut profile = pick("profile")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let mut env: HashMap<String, String> = HashMap::new();
        if let Some(vars) = pick("env").and_then(Value::as_object) {
            for (name, value) in vars {
                env.insert(name.clone(), value.as_str().unwrap().to_owned());
            }
        }
        let mut builder = imds::Client::builder();
        match endpoint_from {
            "code" => builder = builder.endpoint(&endpoint),
            "env" => {
                env.insert("AWS_EC2_METADATA_SERVICE_ENDPOINT".into(), endpoint);
            }
            "profile" => {
                if !profile.contains("[default]") {
                    profile.push_str("\n[default]\n");
                }
                profile = profile.replacen(
                    "[default]\n",
                    &format!("[default]\nec2_metadata_service_endpoint = {endpoint}\n"),
                    1,
                );
            }
            "closed_port" => builder = builder.endpoint(closed_port_endpoint()),
            "silent" => {
                admin(
                    &self.emulator.admin_url(),
                    "PUT",
                    "/faults",
                    Some(&json!({"never_answer": true})),
                );
                builder = builder.endpoint(&endpoint);
            }
            "none" => {}
            other => panic!("unknown endpoint_from {other}"),
        }
        std::fs::write(&self.profile_file, profile).unwrap();
        env.insert(
            "AWS_CONFIG_FILE".into(),
            self.profile_file.display().to_string(),
        );
        builder = builder.environment(Environment::from_pairs(env));

        if let Some(settings) = pick("settings").and_then(Value::as_object) {
            for (name, value) in settings {
                builder = apply_setting(builder, name, value);
            }
        }
        builder
    }
}

fn apply_setting(builder: Builder, name: &str, value: &Value) -> Builder {
    let seconds = || Duration::from_secs_f64(value.as_f64().unwrap());
    match name {
        "token_ttl" => builder.token_ttl(seconds()),
        "timeout" => builder.timeout(seconds()),
        "connect_timeout" => builder.connect_timeout(seconds()),
        "max_attempts" => builder.max_attempts(value.as_u64().unwrap() as u32),
        "max_response_size" => builder.max_response_size(value.as_u64().unwrap() as usize),
        "disabled" => builder.disabled(value.as_bool().unwrap()),
        "cache_immutable" => builder.cache_immutable(value.as_bool().unwrap()),
        "endpoint_mode" => builder.endpoint_mode(value.as_str().unwrap()),
        "v1_fallback" => builder.v1_fallback(value.as_bool().unwrap()),
        "v1_disabled" => builder.v1_disabled(value.as_bool().unwrap()),
        other => panic!("unknown setting {other}"),
    }
}

fn time(t: std::time::SystemTime) -> Value {
    json!(imds::format_time(t))
}

/// Calls the API and projects the result to a plain value, as every runner does.
fn call(client: &imds::blocking::Client, name: &str, args: &[Value]) -> Result<Value, Error> {
    let arg = |i: usize| args.get(i).and_then(Value::as_str).unwrap_or("").to_owned();
    Ok(match name {
        "get_metadata" => json!(client.get_metadata(&arg(0))?),
        "list_metadata" => json!(client.list_metadata(&arg(0))?),
        "get_dynamic" => json!(client.get_dynamic(&arg(0))?),
        "user_data" => match client.user_data()? {
            Some(data) => json!(String::from_utf8_lossy(data.expose())),
            None => Value::Null,
        },
        "identity_document" => {
            let d = client.identity_document()?;
            json!({
                "account_id": d.account_id, "architecture": d.architecture,
                "availability_zone": d.availability_zone, "image_id": d.image_id,
                "instance_id": d.instance_id, "instance_type": d.instance_type,
                "private_ip": d.private_ip, "region": d.region, "version": d.version,
            })
        }
        "region" => json!(client.region()?),
        "credentials" => {
            let c = client.credentials()?;
            json!({
                "role": c.role, "access_key_id": c.access_key_id,
                "expiration": time(c.expiration),
            })
        }
        "iam_info" => {
            let i = client.iam_info()?;
            json!({
                "code": i.code, "instance_profile_arn": i.instance_profile_arn,
                "instance_profile_id": i.instance_profile_id,
            })
        }
        "instance_tags" => json!(client.instance_tags()?),
        "spot_instance_action" => match client.spot_instance_action()? {
            Some(a) => json!({"action": a.action, "time": time(a.time)}),
            None => Value::Null,
        },
        "scheduled_events" => Value::Array(
            client
                .scheduled_events()?
                .into_iter()
                .map(|e| json!({"code": e.code, "event_id": e.event_id, "state": e.state}))
                .collect(),
        ),
        other => panic!("unknown call {other}"),
    })
}

fn check(
    expect: &Value,
    outcome: Result<Value, Error>,
    saved: &mut HashMap<String, Value>,
) -> Result<(), String> {
    let expect = expect.as_object().cloned().unwrap_or_default();
    if let Some(kind) = expect.get("error").and_then(Value::as_str) {
        known_keys(
            &expect,
            &["error", "status", "message_contains"],
            "an error expectation",
        )?;
        let err = match outcome {
            Ok(value) => return Err(format!("expected error {kind}, got {value}")),
            Err(err) => err,
        };
        if err.kind().name() != kind {
            return Err(format!("expected error {kind}, got {}: {err}", err.kind()));
        }
        if let Some(status) = expect.get("status").and_then(Value::as_u64) {
            if err.status() != Some(status as u16) {
                return Err(format!("expected status {status}, got {:?}", err.status()));
            }
        }
        if let Some(text) = expect.get("message_contains").and_then(Value::as_str) {
            if !err.message().contains(text) {
                return Err(format!("message lacks {text:?}: {err}"));
            }
        }
        return Ok(());
    }
    let value = outcome.map_err(|err| format!("unexpected error {}: {err}", err.kind()))?;
    // Comparisons first, then `save`, so a step that saves and compares the same name
    // compares with the earlier value.
    let mut keys: Vec<_> = expect.iter().collect();
    keys.sort_by_key(|(key, _)| key.as_str() == "save");
    for (key, wanted) in keys {
        let ok = match key.as_str() {
            "value" => &value == wanted,
            "contains" => match &value {
                Value::Array(items) => items.contains(wanted),
                Value::String(text) => text.contains(wanted.as_str().unwrap_or("\u{0}")),
                _ => false,
            },
            "fields" => wanted
                .as_object()
                .unwrap()
                .iter()
                .all(|(field, v)| value.get(field) == Some(v)),
            "prefix" => wanted.as_object().unwrap().iter().all(|(field, p)| {
                value
                    .get(field)
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.starts_with(p.as_str().unwrap()))
            }),
            "none" => value.is_null() == wanted.as_bool().unwrap(),
            "count" => value.as_array().map(Vec::len) == wanted.as_u64().map(|n| n as usize),
            "save" => {
                for (field, name) in wanted.as_object().unwrap() {
                    let found = value
                        .get(field)
                        .ok_or_else(|| format!("save: the result has no field {field}"))?;
                    saved.insert(name.as_str().unwrap().to_owned(), found.clone());
                }
                true
            }
            "same" | "differs" => {
                let mut all = true;
                for (field, name) in wanted.as_object().unwrap() {
                    let name = name.as_str().unwrap();
                    let earlier = saved
                        .get(name)
                        .ok_or_else(|| format!("{key}: nothing was saved as {name}"))?;
                    let equal = value.get(field) == Some(earlier);
                    all &= equal == (key == "same");
                }
                all
            }
            other => return Err(format!("unknown expectation {other}")),
        };
        if !ok {
            return Err(format!("expectation {key}: {wanted} not met by {value}"));
        }
    }
    Ok(())
}

/// Fails on a key the format does not define, so a new kind of scenario can never be
/// skipped silently by a runner that does not know it.
fn known_keys(
    object: &serde_json::Map<String, Value>,
    allowed: &[&str],
    what: &str,
) -> Result<(), String> {
    match object.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(unknown) => Err(format!("unknown key {unknown:?} in {what}")),
        None => Ok(()),
    }
}

fn object<'a>(value: &'a Value, what: &str) -> Result<&'a serde_json::Map<String, Value>, String> {
    value
        .as_object()
        .ok_or_else(|| format!("{what} is not an object"))
}

fn run_scenario(path: &Path) -> Result<(), String> {
    let scenario: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .map_err(|e| format!("unreadable scenario: {e}"))?;
    let top = object(&scenario, "the scenario")?;
    known_keys(
        top,
        &["description", "emulator", "client", "steps", "counters"],
        "the scenario",
    )?;
    if let Some(setup) = top.get("emulator") {
        known_keys(
            object(setup, "emulator")?,
            &["config", "mode", "faults", "credentials", "user_data"],
            "emulator",
        )?;
        if setup.get("user_data").is_some_and(|v| !v.is_null()) {
            return Err("emulator.user_data may only be null".into());
        }
    }
    if let Some(client) = top.get("client") {
        known_keys(
            object(client, "client")?,
            &["settings", "env", "profile", "endpoint_from"],
            "client",
        )?;
    }
    if let Some(counters) = top.get("counters") {
        known_keys(
            object(counters, "counters")?,
            &["token_puts", "token_rejected", "requests", "reads"],
            "counters",
        )?;
    }
    let emulator = Emulator::start_default().unwrap();
    let admin_url = emulator.admin_url();

    let setup = scenario.get("emulator").cloned().unwrap_or(json!({}));
    for (key, admin_path) in [
        ("config", "/config"),
        ("mode", "/mode"),
        ("faults", "/faults"),
        ("credentials", "/credentials"),
    ] {
        if let Some(body) = setup.get(key) {
            admin(&admin_url, "PUT", admin_path, Some(body));
        }
    }
    if setup.get("user_data") == Some(&Value::Null) {
        admin(&admin_url, "DELETE", "/user-data", None);
    }

    let dir = tempdir(path);
    let spec = ClientSpec {
        spec: scenario.get("client").unwrap_or(&Value::Null),
        emulator: &emulator,
        profile_file: dir.join("config"),
    };
    let client = spec
        .builder(&json!({}))
        .build_blocking()
        .map_err(|e| format!("client did not build: {e}"))?;

    let mut saved = HashMap::new();
    for (index, step) in scenario["steps"].as_array().unwrap().iter().enumerate() {
        let context = |e: String| format!("step {index}: {e}");
        let step_keys = object(step, "a step").map_err(context)?;
        let allowed: &[&str] = if step_keys.contains_key("call") {
            &["call", "args", "expect", "repeat"]
        } else if step_keys.contains_key("build") {
            &["build", "expect"]
        } else if step_keys.contains_key("admin") {
            &["admin"]
        } else {
            &["sleep"]
        };
        known_keys(step_keys, allowed, "a step").map_err(context)?;
        if let Some(seconds) = step.get("sleep").and_then(Value::as_f64) {
            std::thread::sleep(Duration::from_secs_f64(seconds));
        } else if let Some(request) = step.get("admin") {
            admin(
                &admin_url,
                request["method"].as_str().unwrap(),
                request["path"].as_str().unwrap(),
                request.get("body"),
            );
        } else if let Some(options) = step.get("build") {
            let built = spec
                .builder(options)
                .build_blocking()
                .map(|_| json!("built"));
            check(&step["expect"], built, &mut saved).map_err(context)?;
        } else if let Some(name) = step.get("call").and_then(Value::as_str) {
            let args = step
                .get("args")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let repeat = step.get("repeat").and_then(Value::as_u64).unwrap_or(1);
            if repeat == 0 {
                return Err(context("repeat must be at least 1".into()));
            }
            for _ in 0..repeat {
                check(&step["expect"], call(&client, name, &args), &mut saved)
                    .map_err(|e| context(format!("{name}: {e}")))?;
            }
        } else {
            return Err(context(format!("unknown step {step}")));
        }
    }

    if let Some(expected) = scenario.get("counters") {
        let counters: Value = serde_json::from_str(&admin(&admin_url, "GET", "/counters", None))
            .map_err(|e| format!("counters unreadable: {e}"))?;
        for (key, wanted) in expected.as_object().unwrap() {
            if key == "reads" {
                for (status, count) in wanted.as_object().unwrap() {
                    let got = counters["reads"].get(status).cloned().unwrap_or(json!(0));
                    if &got != count {
                        return Err(format!("reads[{status}]: expected {count}, got {got}"));
                    }
                }
            } else if counters.get(key) != Some(wanted) {
                return Err(format!(
                    "counter {key}: expected {wanted}, got {}",
                    counters[key]
                ));
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

fn tempdir(scenario: &Path) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "imds-conformance-{}-{}",
        std::process::id(),
        scenario.file_stem().unwrap().to_string_lossy()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn every_conformance_scenario_passes_through_the_rust_api() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenario_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 25, "scenarios missing: {}", files.len());

    // Scenarios are independent; run them on a few threads to keep the suite short.
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(files.len().div_ceil(4))
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .filter_map(|path| {
                            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
                            run_scenario(path).err().map(|e| format!("{name}: {e}"))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
