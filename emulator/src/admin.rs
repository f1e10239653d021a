//! The admin port: JSON control of the running emulator, never reachable on the metadata port.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::config::{CredentialsMode, HttpEndpoint, HttpTokens, InstanceConfig};
use crate::events::{MaintenanceEvent, SpotAction};
use crate::faults::Faults;
use crate::http::{Method, Reply, Request};
use crate::state::{Control, Shared};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Mode {
    http_tokens: Option<HttpTokens>,
    http_endpoint: Option<HttpEndpoint>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsRequest {
    mode: CredentialsMode,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Tags {
    enabled: bool,
    #[serde(default)]
    tags: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spot {
    action: SpotAction,
    #[serde(default)]
    in_seconds: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rebalance {
    #[serde(default)]
    in_seconds: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Autoscaling {
    state: Option<String>,
}

fn json(status: u16, value: &impl Serialize) -> Reply {
    let body = serde_json::to_vec(value).expect("admin documents always serialise");
    Reply::new(status, "application/json", Bytes::from(body))
}

fn ok() -> Reply {
    json(200, &serde_json::json!({"ok": true}))
}

fn fail(status: u16, message: impl Into<String>) -> Reply {
    json(status, &serde_json::json!({"error": message.into()}))
}

fn body<T: DeserializeOwned>(request: &Request<'_>) -> Result<T, Reply> {
    serde_json::from_slice(request.body).map_err(|err| fail(400, format!("invalid JSON: {err}")))
}

pub(crate) fn handle(shared: &std::sync::Arc<Shared>, request: &Request<'_>) -> Reply {
    let control = Control {
        shared: shared.clone(),
    };
    match route(&control, request) {
        Ok(reply) | Err(reply) => reply,
    }
}

fn route(control: &Control, request: &Request<'_>) -> Result<Reply, Reply> {
    use Method::{Delete, Get, Post, Put};
    let path = request.path.trim_end_matches('/');
    if let Some(leaf) = path.strip_prefix("/metadata/") {
        if leaf.is_empty() {
            return Err(fail(400, "a metadata path is required"));
        }
        return match request.method {
            Put => {
                let value = std::str::from_utf8(request.body)
                    .map_err(|_| fail(400, "metadata values are UTF-8 text"))?;
                control.set_metadata(leaf, value);
                Ok(ok())
            }
            Delete => {
                control.remove_metadata(leaf);
                Ok(ok())
            }
            _ => Err(fail(405, "use PUT or DELETE")),
        };
    }
    let reply = match (request.method, path) {
        (Get, "/health") => Reply::new(200, "text/plain", Bytes::from_static(b"ok")),
        (Get, "/counters") => json(200, &control.counters()),
        (Post, "/counters/reset") => {
            control.reset_counters();
            ok()
        }
        (Get, "/state") => json(200, &control.state()),
        (Put, "/mode") => {
            let mode: Mode = body(request)?;
            if let Some(tokens) = mode.http_tokens {
                control.set_http_tokens(tokens);
            }
            if let Some(endpoint) = mode.http_endpoint {
                control.set_http_endpoint(endpoint);
            }
            ok()
        }
        (Get, "/faults") => json(200, &control.faults()),
        (Put, "/faults") => {
            let faults: Faults = body(request)?;
            faults.validate().map_err(|message| fail(400, message))?;
            control.set_faults(faults);
            ok()
        }
        (Delete, "/faults") => {
            control.clear_faults();
            ok()
        }
        (Post, "/tokens/expire") => {
            control.expire_tokens();
            ok()
        }
        (Put, "/user-data") => {
            control.set_user_data(Some(request.body.to_vec()));
            ok()
        }
        (Delete, "/user-data") => {
            control.set_user_data(None);
            ok()
        }
        (Put, "/credentials") => {
            let credentials: CredentialsRequest = body(request)?;
            control.set_credentials_mode(credentials.mode);
            ok()
        }
        (Post, "/credentials/rotate") => {
            control.rotate_credentials();
            ok()
        }
        (Put, "/tags") => {
            let tags: Tags = body(request)?;
            let current = control.state().config.tags;
            control.set_tags(tags.enabled, tags.tags.unwrap_or(current));
            ok()
        }
        (Post, "/events/spot") => {
            let spot: Spot = body(request)?;
            control.schedule_spot(spot.action, Duration::from_secs(spot.in_seconds));
            ok()
        }
        (Post, "/events/rebalance") => {
            let rebalance: Rebalance = body(request)?;
            control.schedule_rebalance(Duration::from_secs(rebalance.in_seconds));
            ok()
        }
        (Post, "/events/maintenance") => {
            let event: MaintenanceEvent = body(request)?;
            control.schedule_maintenance(event);
            ok()
        }
        (Put, "/autoscaling") => {
            let autoscaling: Autoscaling = body(request)?;
            control.set_autoscaling_state(autoscaling.state);
            ok()
        }
        (Delete, "/events") => {
            control.clear_events();
            ok()
        }
        (Get, "/certificate") => Reply::new(
            200,
            "application/x-pem-file",
            Bytes::from_static(crate::certificate_pem().as_bytes()),
        ),
        (Get, "/certificate/dsa") => Reply::new(
            200,
            "application/x-pem-file",
            Bytes::from_static(crate::dsa_certificate_pem().as_bytes()),
        ),
        (Get, "/config") => json(200, &control.state().config),
        (Put, "/config") => {
            let config: InstanceConfig = body(request)?;
            control.set_config(config);
            ok()
        }
        (_, known) if ROUTES.contains(&known) => fail(405, "method not allowed on this route"),
        _ => fail(404, format!("no admin route {}", request.path)),
    };
    Ok(reply)
}

const ROUTES: &[&str] = &[
    "/health",
    "/counters",
    "/counters/reset",
    "/state",
    "/mode",
    "/faults",
    "/tokens/expire",
    "/user-data",
    "/credentials",
    "/credentials/rotate",
    "/tags",
    "/events/spot",
    "/events/rebalance",
    "/events/maintenance",
    "/autoscaling",
    "/events",
    "/certificate",
    "/certificate/dsa",
    "/config",
];
