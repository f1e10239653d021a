//! The admin port: JSON control of the running emulator, never reachable on the metadata port.

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::config::InstanceConfig;
use crate::events::MaintenanceEvent;
use crate::faults::Faults;
use crate::http::{Method, Reply, Request};
use crate::requests::{Autoscaling, CredentialsRequest, Mode, Rebalance, Spot, Tags};
use crate::state::{Control, Shared};

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
            body::<Mode>(request)?.apply(control);
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
            body::<CredentialsRequest>(request)?.apply(control);
            ok()
        }
        (Post, "/credentials/rotate") => {
            control.rotate_credentials();
            ok()
        }
        (Put, "/tags") => {
            body::<Tags>(request)?.apply(control);
            ok()
        }
        (Post, "/events/spot") => {
            body::<Spot>(request)?.apply(control);
            ok()
        }
        (Post, "/events/rebalance") => {
            body::<Rebalance>(request)?.apply(control);
            ok()
        }
        (Post, "/events/maintenance") => {
            let event: MaintenanceEvent = body(request)?;
            control.schedule_maintenance(event);
            ok()
        }
        (Put, "/autoscaling") => {
            body::<Autoscaling>(request)?.apply(control);
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
