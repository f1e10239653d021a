//! The Rust runner of the language-neutral conformance scenarios in `tests/conformance/`.
//!
//! Every scenario file runs against a fresh emulator, driven through its admin API over
//! HTTP exactly as the other languages' runners drive it. The whole scenario is checked
//! against the format (`tests/conformance/README.md`) before the emulator starts: a key, a
//! step type, a call, a setting or a value of a type this runner does not know fails the
//! scenario as a format error, so a new kind of scenario is never passed by being skipped.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use imds::{Builder, Environment, Error, ErrorKind};
use imds_emulator::Emulator;
use serde_json::{json, Value};

type Object = serde_json::Map<String, Value>;

// What a scenario may say, by where it says it.
const SCENARIO_KEYS: &[&str] = &["description", "emulator", "client", "steps", "counters"];
const EMULATOR_KEYS: &[&str] = &["config", "mode", "faults", "credentials", "user_data"];
const CLIENT_KEYS: &[&str] = &["settings", "env", "profile", "endpoint_from"];
const ENDPOINT_SOURCES: &[&str] = &["code", "env", "profile", "closed_port", "silent", "none"];
const ADMIN_KEYS: &[&str] = &["method", "path", "body"];
const COUNTER_KEYS: &[&str] = &["token_puts", "token_rejected", "requests", "reads"];
const ERROR_KEYS: &[&str] = &["error", "status", "message_contains"];
const VALUE_KEYS: &[&str] = &[
    "value", "contains", "fields", "prefix", "none", "count", "save", "same", "differs",
];
/// The emulator set-up keys that are a `PUT` of their object, and where it goes.
const EMULATOR_PUTS: &[(&str, &str)] = &[
    ("config", "/config"),
    ("mode", "/mode"),
    ("faults", "/faults"),
    ("credentials", "/credentials"),
];
/// Every call of the format, with the number of string arguments it takes.
const CALLS: &[(&str, usize)] = &[
    ("get_metadata", 1),
    ("list_metadata", 1),
    ("get_dynamic", 1),
    ("user_data", 0),
    ("identity_document", 0),
    ("region", 0),
    ("credentials", 0),
    ("iam_info", 0),
    ("instance_tags", 0),
    ("spot_instance_action", 0),
    ("scheduled_events", 0),
    ("instance_id", 0),
    ("availability_zone", 0),
    ("credentials_for_role", 1),
    ("network_interfaces", 0),
    ("rebalance_recommendation", 0),
    ("autoscaling_target_state", 0),
    ("verified_identity_document", 0),
];

/// Why a scenario did not pass.
#[derive(Debug)]
enum Failure {
    /// The scenario says something this runner does not understand: fix one or the other.
    Format(String),
    /// The client did not behave as the scenario says.
    Mismatch(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Format(message) => write!(f, "scenario format error: {message}"),
            Failure::Mismatch(message) => f.write_str(message),
        }
    }
}

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

// --- the format: everything is checked before anything starts --------------------------------

fn object<'a>(value: &'a Value, what: &str) -> Result<&'a Object, String> {
    value
        .as_object()
        .ok_or_else(|| format!("{what} must be an object, not {value}"))
}

fn text<'a>(value: &'a Value, what: &str) -> Result<&'a str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("{what} must be a string, not {value}"))
}

/// Fails on a key the format does not define, so a new kind of scenario can never be
/// skipped silently by a runner that does not know it.
fn known_keys(object: &Object, allowed: &[&str], what: &str) -> Result<(), String> {
    match object.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(unknown) => Err(format!(
            "unknown key {unknown:?} in {what}; this runner knows {allowed:?}"
        )),
        None => Ok(()),
    }
}

/// A setting made in code, by the JSON type its name requires.
enum Setting<'a> {
    Seconds(Duration),
    Count(u64),
    Flag(bool),
    Text(&'a str),
}

fn setting<'a>(name: &str, value: &'a Value) -> Result<Setting<'a>, String> {
    match name {
        "token_ttl" | "timeout" | "connect_timeout" => value
            .as_f64()
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .map(Setting::Seconds)
            .ok_or_else(|| format!("setting {name} must be a number of seconds, not {value}")),
        "max_attempts" | "max_response_size" => value
            .as_u64()
            .map(Setting::Count)
            .ok_or_else(|| format!("setting {name} must be a non-negative integer, not {value}")),
        "disabled" | "cache_immutable" | "v1_fallback" | "v1_disabled" => value
            .as_bool()
            .map(Setting::Flag)
            .ok_or_else(|| format!("setting {name} must be true or false, not {value}")),
        "endpoint_mode" => text(value, &format!("setting {name}")).map(Setting::Text),
        other => Err(format!("unknown setting {other}")),
    }
}

/// Checks a scenario's `client` section, or the options of a `build` step.
fn validate_client(options: &Value, what: &str) -> Result<(), String> {
    let options = object(options, what)?;
    known_keys(options, CLIENT_KEYS, what)?;
    if let Some(settings) = options.get("settings") {
        for (name, value) in object(settings, "settings")? {
            setting(name, value)?;
        }
    }
    if let Some(env) = options.get("env") {
        for (name, value) in object(env, "env")? {
            text(value, &format!("env.{name}"))?;
        }
    }
    if let Some(profile) = options.get("profile") {
        text(profile, "profile")?;
    }
    if let Some(source) = options.get("endpoint_from") {
        let source = text(source, "endpoint_from")?;
        if !ENDPOINT_SOURCES.contains(&source) {
            return Err(format!(
                "unknown endpoint_from {source:?}; this runner knows {ENDPOINT_SOURCES:?}"
            ));
        }
    }
    Ok(())
}

fn count_of(value: &Value, what: &str) -> Result<(), String> {
    match value.as_u64() {
        Some(_) => Ok(()),
        None => Err(format!(
            "{what} must be a non-negative integer, not {value}"
        )),
    }
}

/// Checks an expectation; `saved` holds the names saved by the steps before this one.
fn validate_expect(expect: Option<&Value>, saved: &mut HashSet<String>) -> Result<(), String> {
    let Some(expect) = expect else {
        return Ok(());
    };
    let expect = object(expect, "expect")?;
    if let Some(kind) = expect.get("error") {
        known_keys(expect, ERROR_KEYS, "an error expectation")?;
        let kind = text(kind, "expect.error")?;
        if !ErrorKind::ALL.iter().any(|known| known.name() == kind) {
            return Err(format!("unknown error kind {kind}"));
        }
        if let Some(status) = expect.get("status") {
            count_of(status, "expect.status")?;
        }
        if let Some(message) = expect.get("message_contains") {
            text(message, "expect.message_contains")?;
        }
        return Ok(());
    }
    if let Some(misplaced) = ERROR_KEYS.iter().find(|key| expect.contains_key(**key)) {
        return Err(format!("{misplaced} without `error`"));
    }
    known_keys(expect, VALUE_KEYS, "expect")?;
    for (key, wanted) in expect {
        match key.as_str() {
            "fields" => {
                object(wanted, "expect.fields")?;
            }
            "prefix" => {
                for prefix in object(wanted, "expect.prefix")?.values() {
                    text(prefix, "expect.prefix value")?;
                }
            }
            "none" if !wanted.is_boolean() => {
                return Err(format!("expect.none must be true or false, not {wanted}"));
            }
            "count" => count_of(wanted, "expect.count")?,
            "same" | "differs" => {
                for name in object(wanted, &format!("expect.{key}"))?.values() {
                    let name = text(name, &format!("expect.{key} name"))?;
                    if !saved.contains(name) {
                        return Err(format!("expect.{key}: nothing was saved as {name:?}"));
                    }
                }
            }
            _ => {}
        }
    }
    // Saved after the comparisons: a step compares with what earlier steps saved.
    if let Some(save) = expect.get("save") {
        for name in object(save, "expect.save")?.values() {
            saved.insert(text(name, "expect.save name")?.to_owned());
        }
    }
    Ok(())
}

fn validate_step(step: &Value, saved: &mut HashSet<String>) -> Result<(), String> {
    let step = object(step, "a step")?;
    if let Some(seconds) = step.get("sleep") {
        known_keys(step, &["sleep"], "a sleep step")?;
        if !seconds.as_f64().is_some_and(|s| s.is_finite() && s >= 0.0) {
            return Err(format!(
                "sleep must be a non-negative number of seconds, not {seconds}"
            ));
        }
    } else if let Some(request) = step.get("admin") {
        known_keys(step, &["admin"], "an admin step")?;
        let request = object(request, "admin")?;
        known_keys(request, ADMIN_KEYS, "admin")?;
        text(
            request.get("method").unwrap_or(&Value::Null),
            "admin.method",
        )?;
        text(request.get("path").unwrap_or(&Value::Null), "admin.path")?;
    } else if let Some(options) = step.get("build") {
        known_keys(step, &["build", "expect"], "a build step")?;
        validate_client(options, "build")?;
        validate_expect(step.get("expect"), saved)?;
    } else if let Some(name) = step.get("call") {
        known_keys(step, &["call", "args", "expect", "repeat"], "a call step")?;
        let name = text(name, "call")?;
        let arity = CALLS
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, arity)| *arity)
            .ok_or_else(|| format!("unknown call {name}; this runner knows {CALLS:?}"))?;
        let args = match step.get("args") {
            None => &[][..],
            Some(Value::Array(args)) => args.as_slice(),
            Some(other) => return Err(format!("args must be a list of strings, not {other}")),
        };
        for arg in args {
            text(arg, "an argument")?;
        }
        if args.len() != arity {
            return Err(format!(
                "{name} takes {arity} argument(s), the step gives {}",
                args.len()
            ));
        }
        if let Some(repeat) = step.get("repeat") {
            if !repeat.as_u64().is_some_and(|n| n >= 1) {
                return Err(format!("repeat must be a positive integer, not {repeat}"));
            }
        }
        validate_expect(step.get("expect"), saved)?;
    } else {
        let keys: Vec<_> = step.keys().collect();
        return Err(format!("unknown step type {keys:?}"));
    }
    Ok(())
}

/// Checks the whole scenario against the format, before anything is started.
fn validate(scenario: &Value) -> Result<(), String> {
    let top = object(scenario, "the scenario")?;
    known_keys(top, SCENARIO_KEYS, "the scenario")?;
    if let Some(description) = top.get("description") {
        text(description, "description")?;
    }
    if let Some(setup) = top.get("emulator") {
        let setup = object(setup, "emulator")?;
        known_keys(setup, EMULATOR_KEYS, "emulator")?;
        for (key, _) in EMULATOR_PUTS {
            if let Some(body) = setup.get(*key) {
                object(body, &format!("emulator.{key}"))?;
            }
        }
        if setup.get("user_data").is_some_and(|v| !v.is_null()) {
            return Err("emulator.user_data can only be null (no user-data)".into());
        }
    }
    if let Some(client) = top.get("client") {
        validate_client(client, "client")?;
    }
    if let Some(counters) = top.get("counters") {
        let counters = object(counters, "counters")?;
        known_keys(counters, COUNTER_KEYS, "counters")?;
        for (key, wanted) in counters {
            if key == "reads" {
                for (status, count) in object(wanted, "counters.reads")? {
                    count_of(count, &format!("counters.reads.{status}"))?;
                }
            } else {
                count_of(wanted, &format!("counters.{key}"))?;
            }
        }
    }
    let steps = top
        .get("steps")
        .and_then(Value::as_array)
        .filter(|steps| !steps.is_empty())
        .ok_or("`steps` must be a non-empty list")?;
    let mut saved = HashSet::new();
    for (index, step) in steps.iter().enumerate() {
        validate_step(step, &mut saved).map_err(|e| format!("step {index}: {e}"))?;
    }
    Ok(())
}

// --- running a validated scenario -------------------------------------------------------------

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
                env.insert(name.clone(), value.as_str().unwrap_or_default().to_owned());
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
            other => unreachable!("validation lets no unknown endpoint source through: {other}"),
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
    let setting = setting(name, value).expect("settings are validated before the run");
    match (name, setting) {
        ("token_ttl", Setting::Seconds(s)) => builder.token_ttl(s),
        ("timeout", Setting::Seconds(s)) => builder.timeout(s),
        ("connect_timeout", Setting::Seconds(s)) => builder.connect_timeout(s),
        // Beyond u32 saturates: the core refuses it like any other out-of-range count.
        ("max_attempts", Setting::Count(n)) => {
            builder.max_attempts(u32::try_from(n).unwrap_or(u32::MAX))
        }
        ("max_response_size", Setting::Count(n)) => {
            builder.max_response_size(usize::try_from(n).unwrap_or(usize::MAX))
        }
        ("disabled", Setting::Flag(b)) => builder.disabled(b),
        ("cache_immutable", Setting::Flag(b)) => builder.cache_immutable(b),
        ("v1_fallback", Setting::Flag(b)) => builder.v1_fallback(b),
        ("v1_disabled", Setting::Flag(b)) => builder.v1_disabled(b),
        ("endpoint_mode", Setting::Text(mode)) => builder.endpoint_mode(mode),
        (other, _) => unreachable!("setting {other} is validated but not applied"),
    }
}

fn time(t: std::time::SystemTime) -> Value {
    json!(imds::format_time(t))
}

/// Calls the API and projects the result to a plain value, as every runner does.
///
/// The scenario was validated first, so `args` holds exactly the strings the call takes.
/// `verified_identity_document` verifies with the certificate the emulator's admin API serves.
fn call(
    client: &imds::blocking::Client,
    admin_url: &str,
    name: &str,
    args: &[&str],
) -> Result<Value, Error> {
    let arg = |i: usize| args[i];
    let document = |d: imds::IdentityDocument| {
        json!({
            "account_id": d.account_id, "architecture": d.architecture,
            "availability_zone": d.availability_zone, "image_id": d.image_id,
            "instance_id": d.instance_id, "instance_type": d.instance_type,
            "private_ip": d.private_ip, "region": d.region, "version": d.version,
        })
    };
    let credentials = |c: imds::Credentials| {
        json!({
            "role": c.role, "access_key_id": c.access_key_id,
            "expiration": time(c.expiration),
        })
    };
    Ok(match name {
        "get_metadata" => json!(client.get_metadata(arg(0))?),
        "list_metadata" => json!(client.list_metadata(arg(0))?),
        "get_dynamic" => json!(client.get_dynamic(arg(0))?),
        "user_data" => match client.user_data()? {
            Some(data) => json!(String::from_utf8_lossy(data.expose())),
            None => Value::Null,
        },
        "identity_document" => document(client.identity_document()?),
        "region" => json!(client.region()?),
        "credentials" => credentials(client.credentials()?),
        "credentials_for_role" => credentials(client.credentials_for_role(arg(0))?),
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
        "instance_id" => json!(client.instance_id()?),
        "availability_zone" => json!(client.availability_zone()?),
        "network_interfaces" => Value::Array(
            client
                .network_interfaces()?
                .into_iter()
                .map(|i| {
                    json!({
                        "mac": i.mac, "device_number": i.device_number,
                        "interface_id": i.interface_id, "local_ipv4s": i.local_ipv4s,
                        "subnet_id": i.subnet_id, "vpc_id": i.vpc_id,
                    })
                })
                .collect(),
        ),
        "rebalance_recommendation" => match client.rebalance_recommendation()? {
            Some(r) => json!({"notice_time": time(r.notice_time)}),
            None => Value::Null,
        },
        "autoscaling_target_state" => json!(client.autoscaling_target_state()?),
        "verified_identity_document" => {
            let certificate = admin(admin_url, "GET", "/certificate", None);
            document(client.verified_identity_document(&certificate)?)
        }
        other => unreachable!("validation lets no unknown call through: {other}"),
    })
}

fn check(
    expect: Option<&Value>,
    outcome: Result<Value, Error>,
    saved: &mut HashMap<String, Value>,
) -> Result<(), String> {
    let expect = expect
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(kind) = expect.get("error").and_then(Value::as_str) {
        let err = match outcome {
            Ok(value) => return Err(format!("expected error {kind}, got {value}")),
            Err(err) => err,
        };
        if err.kind().name() != kind {
            return Err(format!("expected error {kind}, got {}: {err}", err.kind()));
        }
        if let Some(status) = expect.get("status").and_then(Value::as_u64) {
            if err.status().map(u64::from) != Some(status) {
                let got = err.status().map_or("none".to_owned(), |s| s.to_string());
                return Err(format!("expected status {status}, got {got}: {err}"));
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
    let empty = Object::new();
    let entries = |wanted: &Value| wanted.as_object().unwrap_or(&empty).clone();
    for (key, wanted) in keys {
        let ok = match key.as_str() {
            "value" => &value == wanted,
            "contains" => match &value {
                Value::Array(items) => items.contains(wanted),
                Value::String(text) => wanted.as_str().is_some_and(|w| text.contains(w)),
                _ => false,
            },
            "fields" => entries(wanted)
                .iter()
                .all(|(field, v)| value.get(field) == Some(v)),
            "prefix" => entries(wanted).iter().all(|(field, p)| {
                let prefix = p.as_str().unwrap_or_default();
                value
                    .get(field)
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.starts_with(prefix))
            }),
            "none" => Some(value.is_null()) == wanted.as_bool(),
            "count" => value.as_array().map(|a| a.len() as u64) == wanted.as_u64(),
            "save" => {
                for (field, name) in entries(wanted) {
                    let found = value
                        .get(&field)
                        .ok_or_else(|| format!("save: the result has no field {field}"))?;
                    saved.insert(name.as_str().unwrap_or_default().to_owned(), found.clone());
                }
                true
            }
            "same" | "differs" => {
                let mut all = true;
                for (field, name) in entries(wanted) {
                    let name = name.as_str().unwrap_or_default();
                    let earlier = saved
                        .get(name)
                        .ok_or_else(|| format!("{key}: nothing was saved as {name}"))?;
                    let equal = value.get(&field) == Some(earlier);
                    all &= equal == (key == "same");
                }
                all
            }
            other => unreachable!("validation lets no unknown expectation through: {other}"),
        };
        if !ok {
            return Err(format!("expectation {key}: {wanted} not met by {value}"));
        }
    }
    Ok(())
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Runs one scenario, checked first; `name` names its temporary directory.
fn run_scenario(name: &str, scenario: &Value) -> Result<(), Failure> {
    validate(scenario).map_err(Failure::Format)?;
    let dir = tempdir(name);
    let result = run_validated(scenario, &dir).map_err(Failure::Mismatch);
    std::fs::remove_dir_all(&dir).ok();
    result
}

fn run_validated(scenario: &Value, dir: &Path) -> Result<(), String> {
    let emulator = Emulator::start_default().unwrap();
    let admin_url = emulator.admin_url();

    let setup = scenario.get("emulator").cloned().unwrap_or(json!({}));
    for (key, admin_path) in EMULATOR_PUTS {
        if let Some(body) = setup.get(*key) {
            admin(&admin_url, "PUT", admin_path, Some(body));
        }
    }
    if setup.get("user_data") == Some(&Value::Null) {
        admin(&admin_url, "DELETE", "/user-data", None);
    }

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
    let steps = scenario["steps"].as_array().map_or(&[][..], Vec::as_slice);
    for (index, step) in steps.iter().enumerate() {
        let context = |e: String| format!("step {index}: {e}");
        if let Some(seconds) = step.get("sleep").and_then(Value::as_f64) {
            std::thread::sleep(Duration::from_secs_f64(seconds));
        } else if let Some(request) = step.get("admin") {
            admin(
                &admin_url,
                request["method"].as_str().unwrap_or_default(),
                request["path"].as_str().unwrap_or_default(),
                request.get("body"),
            );
        } else if let Some(options) = step.get("build") {
            let built = spec
                .builder(options)
                .build_blocking()
                .map(|_| json!("built"));
            check(step.get("expect"), built, &mut saved).map_err(context)?;
        } else if let Some(name) = step.get("call").and_then(Value::as_str) {
            let args: Vec<&str> = step
                .get("args")
                .and_then(Value::as_array)
                .map(|args| args.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let repeat = step.get("repeat").and_then(Value::as_u64).unwrap_or(1);
            for round in 1..=repeat {
                check(
                    step.get("expect"),
                    call(&client, &admin_url, name, &args),
                    &mut saved,
                )
                .map_err(|e| context(format!("{name}, call {round} of {repeat}: {e}")))?;
            }
        }
    }

    if let Some(expected) = scenario.get("counters").and_then(Value::as_object) {
        let counters: Value = serde_json::from_str(&admin(&admin_url, "GET", "/counters", None))
            .map_err(|e| format!("counters unreadable: {e}"))?;
        let mut wrong = Vec::new();
        for (key, wanted) in expected {
            if key == "reads" {
                for (status, count) in wanted.as_object().into_iter().flatten() {
                    let got = counters["reads"].get(status).cloned().unwrap_or(json!(0));
                    if &got != count {
                        wrong.push(format!("reads[{status}]: expected {count}, got {got}"));
                    }
                }
            } else if counters.get(key) != Some(wanted) {
                wrong.push(format!("{key}: expected {wanted}, got {}", counters[key]));
            }
        }
        if !wrong.is_empty() {
            return Err(format!(
                "emulator counters {counters}: {}",
                wrong.join("; ")
            ));
        }
    }
    Ok(())
}

fn tempdir(scenario: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "imds-conformance-{}-{scenario}",
        std::process::id()
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
                            run_scenario(&name, &load(path))
                                .err()
                                .map(|e| format!("{name}: {e}"))
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

// --- the runner itself: it must be able to fail, and refuse what it does not know -------------

fn scenario_file(name: &str) -> Value {
    load(&scenario_dir().join(format!("{name}.json")))
}

fn step_calling<'a>(scenario: &'a mut Value, name: &str) -> &'a mut Value {
    scenario["steps"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|step| step["call"] == name)
        .unwrap()
}

#[test]
fn runner_fails_a_scenario_the_client_does_not_meet() {
    let mut broken_region_value = scenario_file("typed_calls_read_the_default_instance");
    step_calling(&mut broken_region_value, "region")["expect"]["value"] = json!("eu-west-1");
    let mut broken_error_kind = scenario_file("not_found_is_not_retried");
    broken_error_kind["steps"][0]["expect"]["error"] = json!("timeout");
    let mut broken_error_status = scenario_file("not_found_is_not_retried");
    broken_error_status["steps"][0]["expect"]["status"] = json!(410);
    let mut broken_counter = scenario_file("token_is_fetched_once_and_reused");
    broken_counter["counters"]["token_puts"] = json!(2);
    let mut broken_read_count = scenario_file("server_error_burst_is_retried");
    broken_read_count["counters"]["reads"]["503"] = json!(3);
    let cases = [
        (
            "broken-region-value",
            broken_region_value,
            "expectation value",
        ),
        (
            "broken-error-kind",
            broken_error_kind,
            "expected error timeout, got not_found",
        ),
        (
            "broken-error-status",
            broken_error_status,
            "expected status 410, got 404",
        ),
        (
            "broken-counter",
            broken_counter,
            "token_puts: expected 2, got 1",
        ),
        (
            "broken-read-count",
            broken_read_count,
            "reads[503]: expected 3, got 2",
        ),
        (
            "success-expected-to-fail",
            json!({"steps": [{"call": "region", "expect": {"error": "not_found"}}]}),
            "expected error not_found, got",
        ),
        (
            "failure-expected-to-succeed",
            json!({"steps": [
                {"call": "get_metadata", "args": ["nothing-here"], "expect": {}}
            ]}),
            "unexpected error not_found",
        ),
        (
            "wrong-same-field",
            json!({"steps": [
                {"call": "credentials", "expect": {"save": {"role": "role"}}},
                {"call": "credentials", "expect": {"same": {"access_key_id": "role"}}}
            ]}),
            "expectation same",
        ),
    ];
    for (id, scenario, complaint) in cases {
        match run_scenario(&format!("self-test-{id}"), &scenario) {
            Err(Failure::Mismatch(message)) => {
                assert!(message.contains(complaint), "{id}: {message}");
            }
            other => panic!("{id}: expected a failure naming {complaint:?}, got {other:?}"),
        }
    }
}

#[test]
fn runner_refuses_a_scenario_it_does_not_understand() {
    let region = || json!([{"call": "region"}]);
    let cases = [
        (
            "unknown-step-type",
            json!({"steps": [{"wait": 1}]}),
            "unknown step type",
        ),
        (
            "unknown-step-key",
            json!({"steps": [{"call": "region", "retries": 2}]}),
            "unknown key",
        ),
        (
            "unknown-call",
            json!({"steps": [{"call": "instance_colour"}]}),
            "unknown call",
        ),
        (
            "missing-argument",
            json!({"steps": [{"call": "get_metadata"}]}),
            "takes 1 argument",
        ),
        (
            "extra-argument",
            json!({"steps": [{"call": "region", "args": ["x"]}]}),
            "takes 0 argument",
        ),
        (
            "argument-not-a-string",
            json!({"steps": [{"call": "get_metadata", "args": [1]}]}),
            "must be a string",
        ),
        (
            "unknown-expectation",
            json!({"steps": [{"call": "region", "expect": {"equals": "x"}}]}),
            "unknown key",
        ),
        (
            "status-without-error",
            json!({"steps": [{"call": "region", "expect": {"status": 404}}]}),
            "without `error`",
        ),
        (
            "unknown-error-kind",
            json!({"steps": [{"call": "region", "expect": {"error": "exploded"}}]}),
            "unknown error kind",
        ),
        (
            "zero-repeat",
            json!({"steps": [{"call": "region", "repeat": 0}]}),
            "repeat",
        ),
        (
            "fractional-repeat",
            json!({"steps": [{"call": "region", "repeat": 1.5}]}),
            "repeat",
        ),
        (
            "repeat-not-a-number",
            json!({"steps": [{"call": "region", "repeat": "2"}]}),
            "repeat",
        ),
        (
            "comparison-with-nothing-saved",
            json!({"steps": [{"call": "region", "expect": {"same": {"x": "y"}}}]}),
            "nothing was saved",
        ),
        (
            "comparison-before-the-save",
            json!({"steps": [
                {"call": "credentials", "expect": {"same": {"role": "r"}}},
                {"call": "credentials", "expect": {"save": {"role": "r"}}}
            ]}),
            "nothing was saved",
        ),
        (
            "unknown-admin-key",
            json!({"steps": [{"admin": {"method": "GET", "path": "/state", "x": 1}}]}),
            "unknown key",
        ),
        (
            "admin-without-a-path",
            json!({"steps": [{"admin": {"method": "GET"}}]}),
            "admin.path",
        ),
        (
            "sleep-not-a-number",
            json!({"steps": [{"sleep": "1"}]}),
            "sleep",
        ),
        ("negative-sleep", json!({"steps": [{"sleep": -1}]}), "sleep"),
        (
            "unknown-setting",
            json!({"steps": [{"build": {"settings": {"retries": 3}}}]}),
            "unknown setting",
        ),
        (
            "setting-of-the-wrong-type",
            json!({"steps": [{"build": {"settings": {"timeout": true}}}]}),
            "number of seconds",
        ),
        (
            "unknown-build-key",
            json!({"steps": [{"build": {"hooks": []}}]}),
            "unknown key",
        ),
        (
            "env-value-not-text",
            json!({"steps": [{"build": {"env": {"AWS_PROFILE": 1}}}]}),
            "must be a string",
        ),
        (
            "unknown-endpoint-source",
            json!({"client": {"endpoint_from": "dns"}, "steps": region()}),
            "endpoint_from",
        ),
        (
            "unknown-client-key",
            json!({"client": {"retries": 1}, "steps": region()}),
            "unknown key",
        ),
        (
            "unknown-emulator-key",
            json!({"emulator": {"tags": {}}, "steps": region()}),
            "unknown key",
        ),
        (
            "user-data-not-null",
            json!({"emulator": {"user_data": "x"}, "steps": region()}),
            "only be null",
        ),
        (
            "unknown-counter",
            json!({"steps": region(), "counters": {"tokens": 1}}),
            "unknown key",
        ),
        (
            "counter-not-a-count",
            json!({"steps": region(), "counters": {"reads": {"200": "1"}}}),
            "non-negative integer",
        ),
        (
            "unknown-scenario-key",
            json!({"steps": region(), "teardown": []}),
            "unknown key",
        ),
        (
            "description-not-text",
            json!({"description": 1, "steps": region()}),
            "description",
        ),
        ("no-steps", json!({"steps": []}), "non-empty"),
        ("steps-missing", json!({"description": "x"}), "non-empty"),
    ];
    for (id, scenario, complaint) in cases {
        match run_scenario(&format!("self-test-{id}"), &scenario) {
            Err(Failure::Format(message)) => {
                assert!(message.contains(complaint), "{id}: {message}");
            }
            other => panic!("{id}: expected a format error naming {complaint:?}, got {other:?}"),
        }
    }
}
