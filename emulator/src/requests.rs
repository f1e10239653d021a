//! The JSON bodies of the admin API's setting routes. The configuration file reuses them for
//! the same settings, so a value accepted by one is accepted by the other.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::config::{CredentialsMode, HttpEndpoint, HttpTokens};
use crate::events::SpotAction;
use crate::state::Control;

/// `PUT /mode`; `mode` in the configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Mode {
    pub http_tokens: Option<HttpTokens>,
    pub http_endpoint: Option<HttpEndpoint>,
}

/// `PUT /credentials`; `credentials` in the configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CredentialsRequest {
    pub mode: CredentialsMode,
}

/// `PUT /tags`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Tags {
    pub enabled: bool,
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
}

/// `POST /events/spot`; `events.spot` in the configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Spot {
    pub action: SpotAction,
    #[serde(default)]
    pub in_seconds: u64,
}

/// `POST /events/rebalance`; `events.rebalance` in the configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Rebalance {
    #[serde(default)]
    pub in_seconds: u64,
}

/// `PUT /autoscaling`; `events.autoscaling` in the configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Autoscaling {
    pub state: Option<String>,
}

impl Mode {
    pub fn apply(&self, control: &Control) {
        if let Some(tokens) = self.http_tokens {
            control.set_http_tokens(tokens);
        }
        if let Some(endpoint) = self.http_endpoint {
            control.set_http_endpoint(endpoint);
        }
    }
}

impl CredentialsRequest {
    pub fn apply(&self, control: &Control) {
        control.set_credentials_mode(self.mode);
    }
}

impl Tags {
    /// Without `tags`, the current tags stay.
    pub fn apply(self, control: &Control) {
        let tags = self.tags.unwrap_or_else(|| control.state().config.tags);
        control.set_tags(self.enabled, tags);
    }
}

impl Spot {
    pub fn apply(&self, control: &Control) {
        control.schedule_spot(self.action, Duration::from_secs(self.in_seconds));
    }
}

impl Rebalance {
    pub fn apply(&self, control: &Control) {
        control.schedule_rebalance(Duration::from_secs(self.in_seconds));
    }
}

impl Autoscaling {
    pub fn apply(self, control: &Control) {
        control.set_autoscaling_state(self.state);
    }
}
