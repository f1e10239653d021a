//! The emulator's configuration file (`--config FILE`): the instance and, optionally, every
//! setting the admin API changes at run time, so one file can describe a whole scenario.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::config::InstanceConfig;
use crate::events::MaintenanceEvent;
use crate::faults::Faults;
use crate::requests::{Autoscaling, CredentialsRequest, Mode, Rebalance, Spot};
use crate::state::Control;
use crate::tokens::DEFAULT_CAPACITY;
use crate::EmulatorOptions;

/// The top-level keys of the sectioned layout. None of them is an instance field, so a file
/// holding none of them is an instance object alone, the layout older files have.
const SECTIONS: &[&str] = &[
    "instance",
    "mode",
    "faults",
    "credentials",
    "events",
    "token_capacity",
];

/// `events` in the configuration file: notices scheduled when the emulator starts, each body
/// the one of its admin route.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Events {
    spot: Option<Spot>,
    rebalance: Option<Rebalance>,
    maintenance: Vec<MaintenanceEvent>,
    autoscaling: Option<Autoscaling>,
}

/// A configuration file: the instance, plus the access mode, faults, credentials mode,
/// scheduled notices and token-store capacity to start with.
///
/// Two layouts are accepted. An object whose keys are instance fields is the instance alone.
/// An object with any of the keys `instance`, `mode`, `faults`, `credentials`, `events` and
/// `token_capacity` is sectioned: each section takes the JSON body of the matching admin
/// route (`PUT /config`, `PUT /mode`, `PUT /faults`, `PUT /credentials`, `POST /events/...`,
/// `PUT /autoscaling`). Unknown keys, at any depth, are an error naming the key.
#[derive(Debug, Clone, Default)]
pub struct EmulatorConfig {
    instance: InstanceConfig,
    mode: Option<Mode>,
    faults: Option<Faults>,
    credentials: Option<CredentialsRequest>,
    events: Events,
    token_capacity: Option<usize>,
}

impl EmulatorConfig {
    /// Reads a configuration file; errors name the file and the offending key.
    pub fn from_json_file(path: &Path) -> std::io::Result<EmulatorConfig> {
        let bytes = std::fs::read(path)
            .map_err(|err| std::io::Error::new(err.kind(), format!("{}: {err}", path.display())))?;
        EmulatorConfig::from_json_slice(&bytes).map_err(|message| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {message}", path.display()),
            )
        })
    }

    /// Parses a configuration document in either layout.
    pub fn from_json_slice(bytes: &[u8]) -> Result<EmulatorConfig, String> {
        let value: Value =
            serde_json::from_slice(bytes).map_err(|err| format!("not valid JSON: {err}"))?;
        let Value::Object(mut object) = value else {
            return Err("expected a JSON object".into());
        };
        if !object.keys().any(|key| SECTIONS.contains(&key.as_str())) {
            return Ok(EmulatorConfig {
                instance: section(Value::Object(object), "instance")?,
                ..EmulatorConfig::default()
            });
        }
        if let Some(key) = object.keys().find(|key| !SECTIONS.contains(&key.as_str())) {
            return Err(unknown_key(key));
        }
        let config = EmulatorConfig {
            instance: optional(&mut object, "instance")?.unwrap_or_default(),
            mode: optional(&mut object, "mode")?,
            faults: optional(&mut object, "faults")?,
            credentials: optional(&mut object, "credentials")?,
            events: optional(&mut object, "events")?.unwrap_or_default(),
            token_capacity: optional(&mut object, "token_capacity")?,
        };
        if let Some(faults) = &config.faults {
            faults
                .validate()
                .map_err(|message| format!("faults: {message}"))?;
        }
        if config.token_capacity == Some(0) {
            return Err("token_capacity: the token store holds at least 1 token".into());
        }
        Ok(config)
    }

    /// The instance the file describes (the defaults where it is silent).
    pub fn instance(&self) -> &InstanceConfig {
        &self.instance
    }

    /// Options to start an emulator with: the instance, the access mode and the token-store
    /// capacity of the file, default listeners. The rest is set by [`EmulatorConfig::apply`].
    pub fn options(&self) -> EmulatorOptions {
        let mut options = EmulatorOptions {
            instance: self.instance.clone(),
            token_capacity: self.token_capacity.unwrap_or(DEFAULT_CAPACITY),
            ..EmulatorOptions::default()
        };
        if let Some(mode) = &self.mode {
            options.http_tokens = mode.http_tokens.unwrap_or(options.http_tokens);
            options.http_endpoint = mode.http_endpoint.unwrap_or(options.http_endpoint);
        }
        options
    }

    /// Applies the run-time settings to a running emulator as the admin API would: the
    /// access mode, faults, credentials mode, and the notices, scheduled from now.
    pub fn apply(&self, control: &Control) {
        if let Some(mode) = &self.mode {
            mode.apply(control);
        }
        if let Some(faults) = &self.faults {
            control.set_faults(faults.clone());
        }
        if let Some(credentials) = &self.credentials {
            credentials.apply(control);
        }
        let events = self.events.clone();
        if let Some(spot) = &events.spot {
            spot.apply(control);
        }
        if let Some(rebalance) = &events.rebalance {
            rebalance.apply(control);
        }
        for event in events.maintenance {
            control.schedule_maintenance(event);
        }
        if let Some(autoscaling) = events.autoscaling {
            autoscaling.apply(control);
        }
    }
}

fn unknown_key(key: &str) -> String {
    let expected = SECTIONS
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let is_instance_field = serde_json::to_value(InstanceConfig::default())
        .ok()
        .and_then(|value| value.as_object().map(|fields| fields.contains_key(key)))
        .unwrap_or(false);
    if is_instance_field {
        format!(
            "unknown top-level key `{key}`: it is an instance field, which belongs under \
             `instance` once the file has any of {expected}"
        )
    } else {
        format!("unknown top-level key `{key}`; expected one of {expected}")
    }
}

fn section<T: DeserializeOwned>(value: Value, name: &str) -> Result<T, String> {
    serde_json::from_value(value).map_err(|err| format!("{name}: {err}"))
}

fn optional<T: DeserializeOwned>(
    object: &mut Map<String, Value>,
    name: &str,
) -> Result<Option<T>, String> {
    match object.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => section(value, name).map(Some),
    }
}
