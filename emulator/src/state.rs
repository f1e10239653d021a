//! State shared by the listeners and the control handle.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde::Serialize;

use crate::config::{CredentialsMode, HttpEndpoint, HttpTokens, InstanceConfig};
use crate::counters::{CounterSet, Counters};
use crate::credentials::RotatingCredentials;
use crate::events::{MaintenanceEvent, Schedule, SpotAction};
use crate::faults::{FaultState, Faults};
use crate::identity::IdentityDocuments;
use crate::tokens::TokenStore;
use crate::tree::Tree;

/// Everything built from the configuration; replaced whole on every change, so a read works
/// on one consistent version without holding any lock.
pub(crate) struct Snapshot {
    pub config: InstanceConfig,
    pub user_data: Option<Vec<u8>>,
    pub tree: Tree,
    pub identity: Arc<IdentityDocuments>,
    pub credentials: Arc<CredentialSets>,
}

/// IMDSv1 and IMDSv2 requests get different role credentials, as on EC2.
pub(crate) struct CredentialSets {
    pub v1: RotatingCredentials,
    pub v2: RotatingCredentials,
    pub instance_identity: RotatingCredentials,
    lifetime: (u64, u64),
}

impl CredentialSets {
    fn new(config: &InstanceConfig) -> CredentialSets {
        let lifetime = (
            config.credentials_lifetime_seconds,
            config.credentials_refresh_before_expiry_seconds,
        );
        let make = || RotatingCredentials::new(lifetime.0, lifetime.1);
        CredentialSets {
            v1: make(),
            v2: make(),
            instance_identity: make(),
            lifetime,
        }
    }
}

pub(crate) struct Shared {
    snapshot: RwLock<Arc<Snapshot>>,
    /// Serialises writers, which rebuild the snapshot from the previous one.
    writer: Mutex<()>,
    pub tokens: TokenStore,
    pub faults: FaultState,
    pub counters: CounterSet,
    pub schedule: RwLock<Schedule>,
    http_tokens_optional: AtomicBool,
    http_endpoint_disabled: AtomicBool,
    credentials_mode: AtomicU8,
}

impl Shared {
    pub fn new(
        config: InstanceConfig,
        tokens: HttpTokens,
        endpoint: HttpEndpoint,
        token_capacity: usize,
    ) -> Shared {
        let user_data = config.user_data.clone().map(String::into_bytes);
        let identity = Arc::new(IdentityDocuments::new(&config));
        let credentials = Arc::new(CredentialSets::new(&config));
        let snapshot = build(config, user_data, Some(identity), credentials);
        let shared = Shared {
            snapshot: RwLock::new(Arc::new(snapshot)),
            writer: Mutex::new(()),
            tokens: TokenStore::new(token_capacity),
            faults: FaultState::default(),
            counters: CounterSet::default(),
            schedule: RwLock::new(Schedule::default()),
            http_tokens_optional: AtomicBool::new(false),
            http_endpoint_disabled: AtomicBool::new(false),
            credentials_mode: AtomicU8::new(0),
        };
        shared.set_http_tokens(tokens);
        shared.set_http_endpoint(endpoint);
        shared
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Rebuilds the snapshot after `change` edits the configuration and user-data.
    fn update(&self, change: impl FnOnce(&mut InstanceConfig, &mut Option<Vec<u8>>)) {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let previous = self.snapshot();
        let mut config = previous.config.clone();
        let mut user_data = previous.user_data.clone();
        change(&mut config, &mut user_data);
        let identity = (crate::identity::document_text(&config) == previous.identity.document)
            .then(|| previous.identity.clone());
        // Credentials survive unrelated changes: clients would otherwise see a new set after
        // every metadata tweak.
        let lifetime = (
            config.credentials_lifetime_seconds,
            config.credentials_refresh_before_expiry_seconds,
        );
        let credentials = if previous.credentials.lifetime == lifetime {
            previous.credentials.clone()
        } else {
            Arc::new(CredentialSets::new(&config))
        };
        let snapshot = Arc::new(build(config, user_data, identity, credentials));
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = snapshot;
    }

    pub fn http_tokens(&self) -> HttpTokens {
        match self.http_tokens_optional.load(Ordering::Relaxed) {
            true => HttpTokens::Optional,
            false => HttpTokens::Required,
        }
    }

    pub fn set_http_tokens(&self, mode: HttpTokens) {
        self.http_tokens_optional
            .store(mode == HttpTokens::Optional, Ordering::Relaxed);
    }

    pub fn http_endpoint(&self) -> HttpEndpoint {
        match self.http_endpoint_disabled.load(Ordering::Relaxed) {
            true => HttpEndpoint::Disabled,
            false => HttpEndpoint::Enabled,
        }
    }

    pub fn set_http_endpoint(&self, mode: HttpEndpoint) {
        self.http_endpoint_disabled
            .store(mode == HttpEndpoint::Disabled, Ordering::Relaxed);
    }

    pub fn credentials_mode(&self) -> CredentialsMode {
        match self.credentials_mode.load(Ordering::Relaxed) {
            0 => CredentialsMode::Success,
            _ => CredentialsMode::Error,
        }
    }

    fn schedule(&self) -> std::sync::RwLockWriteGuard<'_, Schedule> {
        self.schedule.write().unwrap_or_else(|e| e.into_inner())
    }
}

fn build(
    config: InstanceConfig,
    user_data: Option<Vec<u8>>,
    identity: Option<Arc<IdentityDocuments>>,
    credentials: Arc<CredentialSets>,
) -> Snapshot {
    let identity = identity.unwrap_or_else(|| Arc::new(IdentityDocuments::new(&config)));
    let tree = Tree::build(&config, user_data.as_deref(), &identity);
    Snapshot {
        config,
        user_data,
        tree,
        identity,
        credentials,
    }
}

/// Records an override. Overrides apply in path order (parents first), so earlier overrides
/// below `path` would wrongly win over this one: they are dropped.
fn override_leaf(config: &mut InstanceConfig, path: String, value: Option<String>) {
    let below = format!("{path}/");
    config
        .metadata
        .retain(|existing, _| !existing.starts_with(&below));
    config.metadata.insert(path, value);
}

/// A handle that changes the running emulator: modes, faults, metadata, events. Cheap to
/// clone, usable from any thread; every method takes effect before it returns.
#[derive(Clone)]
pub struct Control {
    pub(crate) shared: Arc<Shared>,
}

/// The emulator's state as `GET /state` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct State {
    /// Current `HttpTokens`.
    pub http_tokens: HttpTokens,
    /// Current `HttpEndpoint`.
    pub http_endpoint: HttpEndpoint,
    /// Current role credentials document kind.
    pub credentials_mode: CredentialsMode,
    /// Current faults.
    pub faults: Faults,
    /// Unexpired tokens held.
    pub live_tokens: usize,
    /// Live tokens held at most; past it the oldest is evicted.
    pub token_capacity: usize,
    /// Whether user-data is set, and its length.
    pub user_data_bytes: Option<usize>,
    /// The instance configuration in effect.
    pub config: InstanceConfig,
}

impl Control {
    /// Switches between IMDSv2-only and IMDSv1-and-v2.
    pub fn set_http_tokens(&self, mode: HttpTokens) {
        self.shared.set_http_tokens(mode);
    }

    /// Enables or disables the metadata endpoint (disabled: 403 for everything).
    pub fn set_http_endpoint(&self, mode: HttpEndpoint) {
        self.shared.set_http_endpoint(mode);
    }

    /// Replaces all faults (see [`Faults`] for the semantics).
    pub fn set_faults(&self, faults: Faults) {
        self.shared.faults.set(faults);
    }

    /// Removes all faults.
    pub fn clear_faults(&self) {
        self.shared.faults.set(Faults::default());
    }

    /// The faults still in effect (counts already consumed are gone).
    pub fn faults(&self) -> Faults {
        self.shared.faults.get()
    }

    /// The request counters.
    pub fn counters(&self) -> Counters {
        self.shared.counters.snapshot()
    }

    /// Sets every counter back to zero.
    pub fn reset_counters(&self) {
        self.shared.counters.reset();
    }

    /// Expires every token issued so far; clients then get 401 and must fetch a new one.
    pub fn expire_tokens(&self) {
        self.shared.tokens.expire_all();
    }

    /// Sets a leaf under `/latest/meta-data/` (`"placement/group-name"`), creating it and its
    /// directories if needed.
    pub fn set_metadata(&self, path: &str, value: &str) {
        let path = path.trim_matches('/').to_owned();
        self.shared
            .update(|config, _| override_leaf(config, path, Some(value.to_owned())));
    }

    /// Removes a leaf or a whole directory under `/latest/meta-data/`; it then answers 404.
    pub fn remove_metadata(&self, path: &str) {
        let path = path.trim_matches('/').to_owned();
        self.shared
            .update(|config, _| override_leaf(config, path, None));
    }

    /// Sets the user-data bytes, or removes user-data (404) with `None`.
    pub fn set_user_data(&self, data: Option<Vec<u8>>) {
        self.shared.update(|_, user_data| *user_data = data);
    }

    /// Serves the success document or the `AssumeRoleUnauthorizedAccess` error document.
    pub fn set_credentials_mode(&self, mode: CredentialsMode) {
        let value = u8::from(mode == CredentialsMode::Error);
        self.shared.credentials_mode.store(value, Ordering::Relaxed);
    }

    /// Issues new role credentials (IMDSv1 and IMDSv2 sets) and identity credentials now.
    pub fn rotate_credentials(&self) {
        let credentials = self.shared.snapshot().credentials.clone();
        credentials.v1.rotate();
        credentials.v2.rotate();
        credentials.instance_identity.rotate();
    }

    /// Enables or disables instance tags in metadata and sets them.
    pub fn set_tags(&self, enabled: bool, tags: BTreeMap<String, String>) {
        self.shared.update(|config, _| {
            config.tags_enabled = enabled;
            config.tags = tags;
        });
    }

    /// Marks the instance for a spot interruption; the notice appears `after` from now, with
    /// an action time two minutes after the notice.
    pub fn schedule_spot(&self, action: SpotAction, after: Duration) {
        self.shared.schedule().spot(action, after);
    }

    /// Makes a rebalance recommendation appear `after` from now.
    pub fn schedule_rebalance(&self, after: Duration) {
        self.shared.schedule().rebalance(after);
    }

    /// Adds a scheduled maintenance event.
    pub fn schedule_maintenance(&self, event: MaintenanceEvent) {
        self.shared.schedule().maintenance(event);
    }

    /// Sets `autoscaling/target-lifecycle-state` (`InService`, `Terminated`, ...), or removes
    /// it with `None`.
    pub fn set_autoscaling_state(&self, state: Option<String>) {
        self.shared.schedule().autoscaling = state;
    }

    /// Removes every notice: spot, rebalance, maintenance and auto-scaling state.
    pub fn clear_events(&self) {
        self.shared.schedule().clear();
    }

    /// Replaces the whole instance configuration (its user-data included).
    pub fn set_config(&self, config: InstanceConfig) {
        self.shared.update(|current, user_data| {
            *user_data = config.user_data.clone().map(String::into_bytes);
            *current = config;
        });
    }

    /// The current configuration, modes and faults.
    pub fn state(&self) -> State {
        let snapshot = self.shared.snapshot();
        State {
            http_tokens: self.shared.http_tokens(),
            http_endpoint: self.shared.http_endpoint(),
            credentials_mode: self.shared.credentials_mode(),
            faults: self.shared.faults.get(),
            live_tokens: self.shared.tokens.live(),
            token_capacity: self.shared.tokens.capacity(),
            user_data_bytes: snapshot.user_data.as_ref().map(Vec::len),
            config: snapshot.config.clone(),
        }
    }
}
