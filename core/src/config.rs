//! Configuration: the builder, the shared AWS environment and profile settings, and the
//! resolved values with the source of each.
//!
//! # Precedence
//!
//! Each setting is taken from the first source that has it:
//!
//! 1. a value set in code (a [`Builder`] setter, a binding's keyword argument, a CLI flag);
//! 2. the environment (`AWS_EC2_METADATA_SERVICE_ENDPOINT`, ...);
//! 3. the profile in the shared config file (`AWS_PROFILE` in `AWS_CONFIG_FILE`, by
//!    default `default` in `~/.aws/config`);
//! 4. the built-in default.
//!
//! An endpoint from any source beats an endpoint mode from any source, even a mode set in
//! code. An invalid value is an [`ErrorKind::InvalidInput`](crate::ErrorKind) error that
//! names the setting and where it came from; it never falls back to a default silently.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::audit::AuditSink;
use crate::error::{Error, Result};

/// IMDS on IPv4, the address every instance has.
pub const IPV4_ENDPOINT: &str = "http://169.254.169.254";
/// IMDS on IPv6, on Nitro instances where it is turned on.
pub const IPV6_ENDPOINT: &str = "http://[fd00:ec2::254]";
/// Default token lifetime: 300 s. Short-lived tokens limit the damage of a leak.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(300);
/// The longest token lifetime IMDS grants: 21,600 s (6 hours).
pub const MAX_TOKEN_TTL: Duration = Duration::from_secs(21_600);
/// Default time allowed for one attempt, from the start of connecting to the last body
/// byte: 1 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);
/// Default time allowed to open a connection: 1 s (never more than the attempt timeout).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Default number of attempts per request, the first one included: 3.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// The most attempts accepted; more would only prolong an outage for every caller.
pub const MAX_ATTEMPTS_LIMIT: u32 = 20;
/// Default first backoff step before a retry: 100 ms, doubled each retry, fully jittered.
pub const DEFAULT_BACKOFF_BASE: Duration = Duration::from_millis(100);
/// Default ceiling of one backoff step: 1 s.
pub const DEFAULT_BACKOFF_MAX: Duration = Duration::from_secs(1);
/// Default time an unreachable endpoint is remembered, so off-EC2 calls fail fast: 10 s.
pub const DEFAULT_UNREACHABLE_MEMORY: Duration = Duration::from_secs(10);
/// Default largest body accepted: 1 MiB (user-data is at most 16 KiB on EC2).
pub const DEFAULT_MAX_RESPONSE_SIZE: usize = 1024 * 1024;

/// Which IMDS address to use when no endpoint is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointMode {
    /// `169.254.169.254`, the default.
    IPv4,
    /// `fd00:ec2::254`, for IPv6-only or Nitro hosts with the IPv6 endpoint turned on.
    IPv6,
}

impl EndpointMode {
    /// Parses `IPv4` or `IPv6`, ignoring case.
    pub fn parse(value: &str) -> Option<EndpointMode> {
        match value.trim().to_ascii_lowercase().as_str() {
            "ipv4" => Some(EndpointMode::IPv4),
            "ipv6" => Some(EndpointMode::IPv6),
            _ => None,
        }
    }

    /// The endpoint this mode stands for.
    pub fn endpoint(self) -> &'static str {
        match self {
            EndpointMode::IPv4 => IPV4_ENDPOINT,
            EndpointMode::IPv6 => IPV6_ENDPOINT,
        }
    }
}

impl fmt::Display for EndpointMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EndpointMode::IPv4 => "IPv4",
            EndpointMode::IPv6 => "IPv6",
        })
    }
}

/// Where a resolved setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Set in code: a builder setter, a binding argument or a CLI flag.
    Code,
    /// An environment variable, named.
    Environment(&'static str),
    /// A key of a profile in the shared config file.
    Profile {
        /// The key, such as `ec2_metadata_service_endpoint`.
        key: &'static str,
        /// The profile name.
        profile: String,
        /// The file it was read from.
        file: PathBuf,
    },
    /// Derived from another setting (the endpoint from the endpoint mode).
    Derived(&'static str),
    /// The built-in default.
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Code => f.write_str("code"),
            Source::Environment(var) => write!(f, "environment variable {var}"),
            Source::Profile { key, profile, file } => {
                write!(f, "key {key} of profile {profile} in {}", file.display())
            }
            Source::Derived(from) => write!(f, "derived from {from}"),
            Source::Default => f.write_str("default"),
        }
    }
}

/// A resolved value and its source.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting<T> {
    /// The value in force.
    pub value: T,
    /// Where it came from.
    pub source: Source,
}

/// Where environment variables are read from.
///
/// The process environment by default; tests and embedders can supply their own map so
/// that resolution is deterministic and needs no mutation of the process environment.
#[derive(Debug, Clone, Default)]
pub enum Environment {
    /// `std::env::var`.
    #[default]
    Process,
    /// A fixed set of variables; anything absent counts as unset.
    Map(HashMap<String, String>),
}

impl Environment {
    /// An environment built from `(name, value)` pairs.
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Environment
    where
        K: Into<String>,
        V: Into<String>,
    {
        Environment::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<String> {
        let value = match self {
            Environment::Process => std::env::var(name).ok(),
            Environment::Map(map) => map.get(name).cloned(),
        };
        // An empty variable counts as unset, as in the AWS SDKs.
        value.filter(|v| !v.trim().is_empty())
    }
}

/// The shared settings, as environment variable and profile key pairs.
mod keys {
    pub const ENDPOINT: (&str, &str) = (
        "AWS_EC2_METADATA_SERVICE_ENDPOINT",
        "ec2_metadata_service_endpoint",
    );
    pub const MODE: (&str, &str) = (
        "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
        "ec2_metadata_service_endpoint_mode",
    );
    pub const DISABLED: &str = "AWS_EC2_METADATA_DISABLED";
    pub const V1_DISABLED: (&str, &str) =
        ("AWS_EC2_METADATA_V1_DISABLED", "ec2_metadata_v1_disabled");
    pub const TIMEOUT: (&str, &str) = ("AWS_METADATA_SERVICE_TIMEOUT", "metadata_service_timeout");
    pub const ATTEMPTS: (&str, &str) = (
        "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
        "metadata_service_num_attempts",
    );
}

/// Builds a [`Config`]; every setter states its default.
///
/// Obtain one with [`Config::builder`] or [`Client::builder`](crate::Client::builder).
#[derive(Clone, Default)]
pub struct Builder {
    endpoint: Option<String>,
    endpoint_mode: Option<String>,
    disabled: Option<bool>,
    v1_disabled: Option<bool>,
    v1_fallback: Option<bool>,
    token_ttl: Option<Duration>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    max_attempts: Option<u32>,
    deadline: Option<Duration>,
    backoff_base: Option<Duration>,
    backoff_max: Option<Duration>,
    unreachable_memory: Option<Duration>,
    max_response_size: Option<usize>,
    cache_immutable: Option<bool>,
    environment: Environment,
    config_file: Option<PathBuf>,
    profile: Option<String>,
    audit_sink: Option<AuditSink>,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("endpoint", &self.endpoint)
            .field("endpoint_mode", &self.endpoint_mode)
            .field("token_ttl", &self.token_ttl)
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

impl Builder {
    /// The IMDS base URL, such as `http://127.0.0.1:1338`. Default: from the endpoint mode,
    /// `http://169.254.169.254`. Beats an endpoint mode from any source. `https` is accepted
    /// only when set explicitly, and is not supported by this build (no TLS is linked).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Builder {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// `IPv4` or `IPv6`, ignoring case. Default: `IPv4`.
    pub fn endpoint_mode(mut self, mode: impl Into<String>) -> Builder {
        self.endpoint_mode = Some(mode.into());
        self
    }

    /// Turns IMDS off: every call fails with `disabled` and sends nothing. Default: `false`.
    pub fn disabled(mut self, disabled: bool) -> Builder {
        self.disabled = Some(disabled);
        self
    }

    /// Forbids the IMDSv1 fallback whatever else is configured. Default: `false`.
    pub fn v1_disabled(mut self, v1_disabled: bool) -> Builder {
        self.v1_disabled = Some(v1_disabled);
        self
    }

    /// Allows falling back to tokenless IMDSv1 requests when no token can be had.
    /// Default: `false`. Ignored when `v1_disabled` is set from any source.
    pub fn v1_fallback(mut self, allow: bool) -> Builder {
        self.v1_fallback = Some(allow);
        self
    }

    /// The session token lifetime to ask for, 1..=21600 whole seconds. Default: 300 s.
    pub fn token_ttl(mut self, ttl: Duration) -> Builder {
        self.token_ttl = Some(ttl);
        self
    }

    /// Time allowed for one attempt, from the start of connecting to the last body byte;
    /// no attempt lasts longer, whatever the connect timeout. Default: 1 s.
    pub fn timeout(mut self, timeout: Duration) -> Builder {
        self.timeout = Some(timeout);
        self
    }

    /// Time allowed to open a connection, as part of the attempt timeout and capped at it.
    /// Default: 1 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Builder {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Attempts per request, the first included, 1..=20. Default: 3.
    pub fn max_attempts(mut self, attempts: u32) -> Builder {
        self.max_attempts = Some(attempts);
        self
    }

    /// An overall deadline for one call, retries and token fetch included.
    /// Default: none beyond what the attempts and timeouts add up to.
    pub fn deadline(mut self, deadline: Duration) -> Builder {
        self.deadline = Some(deadline);
        self
    }

    /// The first backoff step and its ceiling. Default: 100 ms, doubling up to 1 s, with
    /// full jitter (each wait is uniformly random between zero and the step).
    pub fn backoff(mut self, base: Duration, max: Duration) -> Builder {
        self.backoff_base = Some(base);
        self.backoff_max = Some(max);
        self
    }

    /// How long a refused or timed-out endpoint is remembered, so later calls fail at once
    /// instead of waiting again. Zero turns the memory off. Default: 10 s.
    pub fn unreachable_memory(mut self, duration: Duration) -> Builder {
        self.unreachable_memory = Some(duration);
        self
    }

    /// The largest body accepted, in bytes. Default: 1 MiB.
    pub fn max_response_size(mut self, bytes: usize) -> Builder {
        self.max_response_size = Some(bytes);
        self
    }

    /// Caches values that cannot change while the instance runs (instance id, AMI, type,
    /// region, zone, identity document) after their first answer. Default: `true`.
    pub fn cache_immutable(mut self, cache: bool) -> Builder {
        self.cache_immutable = Some(cache);
        self
    }

    /// Where environment variables come from. Default: the process environment.
    pub fn environment(mut self, environment: Environment) -> Builder {
        self.environment = environment;
        self
    }

    /// The shared config file. Default: `AWS_CONFIG_FILE`, else `~/.aws/config`.
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Builder {
        self.config_file = Some(path.into());
        self
    }

    /// The profile to read. Default: `AWS_PROFILE`, else `default`.
    pub fn profile(mut self, profile: impl Into<String>) -> Builder {
        self.profile = Some(profile.into());
        self
    }

    /// Receives every audit event as a plain value, besides the `tracing` event.
    /// Default: none.
    pub fn audit_sink(mut self, sink: AuditSink) -> Builder {
        self.audit_sink = Some(sink);
        self
    }

    /// Resolves every setting; fails with `invalid input` naming a bad setting's source.
    pub fn resolve(self) -> Result<Config> {
        Resolver::new(&self)?.resolve(self)
    }

    /// Resolves the configuration and builds an async client with it.
    pub fn build(self) -> Result<crate::Client> {
        Ok(crate::Client::with_config(self.resolve()?))
    }

    /// Resolves the configuration and builds a blocking client with it.
    pub fn build_blocking(self) -> Result<crate::blocking::Client> {
        Ok(crate::blocking::Client::with_config(self.resolve()?))
    }
}

/// A fully resolved configuration. Immutable; shared by a client and its clones.
#[derive(Clone)]
pub struct Config {
    pub(crate) endpoint: Setting<Url>,
    pub(crate) endpoint_mode: Setting<EndpointMode>,
    pub(crate) disabled: Setting<bool>,
    pub(crate) v1_disabled: Setting<bool>,
    pub(crate) v1_fallback: Setting<bool>,
    pub(crate) token_ttl: Setting<Duration>,
    pub(crate) timeout: Setting<Duration>,
    pub(crate) connect_timeout: Setting<Duration>,
    pub(crate) max_attempts: Setting<u32>,
    pub(crate) deadline: Option<Duration>,
    pub(crate) backoff_base: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) unreachable_memory: Duration,
    pub(crate) max_response_size: usize,
    pub(crate) cache_immutable: bool,
    pub(crate) audit_sink: Option<AuditSink>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Config");
        for entry in self.entries() {
            s.field(
                entry.name,
                &format_args!("{} ({})", entry.value, entry.source),
            );
        }
        s.finish()
    }
}

/// One line of the resolved configuration, for display (`imds config`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    /// The setting's name, such as `endpoint` or `token_ttl`.
    pub name: &'static str,
    /// The value, formatted.
    pub value: String,
    /// Where it came from, formatted.
    pub source: String,
}

impl Config {
    /// A builder with nothing set in code.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The configuration from the environment, the profile and the defaults alone.
    pub fn from_env() -> Result<Config> {
        Builder::default().resolve()
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &Setting<Url> {
        &self.endpoint
    }

    /// The endpoint mode (the endpoint, when set, beats it).
    pub fn endpoint_mode(&self) -> &Setting<EndpointMode> {
        &self.endpoint_mode
    }

    /// Whether IMDS is turned off.
    pub fn disabled(&self) -> &Setting<bool> {
        &self.disabled
    }

    /// Whether the IMDSv1 fallback is forbidden.
    pub fn v1_disabled(&self) -> &Setting<bool> {
        &self.v1_disabled
    }

    /// Whether tokenless IMDSv1 requests are used when no token can be had.
    pub fn v1_fallback_allowed(&self) -> bool {
        self.v1_fallback.value && !self.v1_disabled.value
    }

    /// The token lifetime asked for.
    pub fn token_ttl(&self) -> &Setting<Duration> {
        &self.token_ttl
    }

    /// Time allowed for one attempt.
    pub fn timeout(&self) -> &Setting<Duration> {
        &self.timeout
    }

    /// Time allowed to connect.
    pub fn connect_timeout(&self) -> &Setting<Duration> {
        &self.connect_timeout
    }

    /// Attempts per request.
    pub fn max_attempts(&self) -> &Setting<u32> {
        &self.max_attempts
    }

    /// Every setting with its value and source, in a stable order.
    pub fn entries(&self) -> Vec<ConfigEntry> {
        fn entry(name: &'static str, value: String, source: &Source) -> ConfigEntry {
            ConfigEntry {
                name,
                value,
                source: source.to_string(),
            }
        }
        fn secs(d: Duration) -> String {
            format!("{}s", d.as_secs_f64())
        }
        let code_or_default = |set: bool| if set { Source::Code } else { Source::Default };
        vec![
            entry(
                "endpoint",
                self.endpoint
                    .value
                    .as_str()
                    .trim_end_matches('/')
                    .to_owned(),
                &self.endpoint.source,
            ),
            entry(
                "endpoint_mode",
                self.endpoint_mode.value.to_string(),
                &self.endpoint_mode.source,
            ),
            entry(
                "disabled",
                self.disabled.value.to_string(),
                &self.disabled.source,
            ),
            entry(
                "v1_disabled",
                self.v1_disabled.value.to_string(),
                &self.v1_disabled.source,
            ),
            entry(
                "v1_fallback",
                self.v1_fallback.value.to_string(),
                &self.v1_fallback.source,
            ),
            entry(
                "token_ttl",
                secs(self.token_ttl.value),
                &self.token_ttl.source,
            ),
            entry("timeout", secs(self.timeout.value), &self.timeout.source),
            entry(
                "connect_timeout",
                secs(self.connect_timeout.value),
                &self.connect_timeout.source,
            ),
            entry(
                "max_attempts",
                self.max_attempts.value.to_string(),
                &self.max_attempts.source,
            ),
            entry(
                "deadline",
                self.deadline.map_or_else(|| "none".to_owned(), secs),
                &code_or_default(self.deadline.is_some()),
            ),
            entry(
                "unreachable_memory",
                secs(self.unreachable_memory),
                &code_or_default(self.unreachable_memory != DEFAULT_UNREACHABLE_MEMORY),
            ),
            entry(
                "max_response_size",
                self.max_response_size.to_string(),
                &code_or_default(self.max_response_size != DEFAULT_MAX_RESPONSE_SIZE),
            ),
            entry(
                "cache_immutable",
                self.cache_immutable.to_string(),
                &code_or_default(!self.cache_immutable),
            ),
        ]
    }
}

/// Reads the environment and the profile once and answers lookups from them.
struct Resolver {
    environment: Environment,
    profile_name: String,
    profile_file: PathBuf,
    profile: HashMap<String, String>,
}

impl Resolver {
    fn new(builder: &Builder) -> Result<Resolver> {
        let environment = builder.environment.clone();
        let profile_name = builder
            .profile
            .clone()
            .or_else(|| environment.get("AWS_PROFILE"))
            .unwrap_or_else(|| "default".to_owned());
        let profile_file = builder
            .config_file
            .clone()
            .or_else(|| environment.get("AWS_CONFIG_FILE").map(PathBuf::from))
            .or_else(|| home_dir(&environment).map(|home| home.join(".aws").join("config")))
            .unwrap_or_default();
        let profile = match std::fs::read_to_string(&profile_file) {
            Ok(text) => parse_profile(&text, &profile_name),
            // A missing file is the common case, and any other read failure leaves the
            // environment and code settings in force; neither is worth failing a call.
            Err(err) => {
                if err.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(
                        file = %profile_file.display(),
                        error = %err,
                        "could not read the shared config file; ignoring it"
                    );
                }
                HashMap::new()
            }
        };
        Ok(Resolver {
            environment,
            profile_name,
            profile_file,
            profile,
        })
    }

    /// The first of environment and profile that has `keys`, with its source.
    fn lookup(&self, (var, key): (&'static str, &'static str)) -> Option<(String, Source)> {
        if let Some(value) = self.environment.get(var) {
            return Some((value, Source::Environment(var)));
        }
        self.profile
            .get(key)
            .filter(|v| !v.is_empty())
            .map(|value| {
                (
                    value.clone(),
                    Source::Profile {
                        key,
                        profile: self.profile_name.clone(),
                        file: self.profile_file.clone(),
                    },
                )
            })
    }

    fn lookup_env(&self, var: &'static str) -> Option<(String, Source)> {
        self.environment
            .get(var)
            .map(|value| (value, Source::Environment(var)))
    }

    fn resolve(self, builder: Builder) -> Result<Config> {
        let endpoint_mode = match builder.endpoint_mode {
            Some(raw) => Setting {
                value: parse_mode(&raw, &Source::Code)?,
                source: Source::Code,
            },
            None => match self.lookup(keys::MODE) {
                Some((raw, source)) => Setting {
                    value: parse_mode(&raw, &source)?,
                    source,
                },
                None => Setting {
                    value: EndpointMode::IPv4,
                    source: Source::Default,
                },
            },
        };
        let endpoint = match builder
            .endpoint
            .map(|raw| (raw, Source::Code))
            .or_else(|| self.lookup(keys::ENDPOINT))
        {
            Some((raw, source)) => Setting {
                value: parse_endpoint(&raw, &source)?,
                source,
            },
            None => Setting {
                value: Url::parse(endpoint_mode.value.endpoint())
                    .expect("built-in endpoints are valid URLs"),
                source: Source::Derived("endpoint_mode"),
            },
        };

        let disabled = bool_setting(
            builder.disabled,
            self.lookup_env(keys::DISABLED),
            false,
            "disabled",
        )?;
        let v1_disabled = bool_setting(
            builder.v1_disabled,
            self.lookup(keys::V1_DISABLED),
            false,
            "v1_disabled",
        )?;
        let v1_fallback = Setting {
            value: builder.v1_fallback.unwrap_or(false),
            source: if builder.v1_fallback.is_some() {
                Source::Code
            } else {
                Source::Default
            },
        };

        let token_ttl = match builder.token_ttl {
            Some(ttl) => {
                check_ttl(ttl)?;
                Setting {
                    value: ttl,
                    source: Source::Code,
                }
            }
            None => Setting {
                value: DEFAULT_TOKEN_TTL,
                source: Source::Default,
            },
        };

        let timeout = match builder.timeout {
            Some(timeout) => Setting {
                value: check_positive(timeout, "timeout", &Source::Code)?,
                source: Source::Code,
            },
            None => match self.lookup(keys::TIMEOUT) {
                Some((raw, source)) => Setting {
                    value: parse_seconds(&raw, "timeout", &source)?,
                    source,
                },
                None => Setting {
                    value: DEFAULT_TIMEOUT,
                    source: Source::Default,
                },
            },
        };
        let connect_timeout = match builder.connect_timeout {
            Some(connect) => Setting {
                value: check_positive(connect, "connect_timeout", &Source::Code)?
                    .min(timeout.value),
                source: Source::Code,
            },
            None => Setting {
                value: DEFAULT_CONNECT_TIMEOUT.min(timeout.value),
                source: if timeout.value < DEFAULT_CONNECT_TIMEOUT {
                    Source::Derived("timeout")
                } else {
                    Source::Default
                },
            },
        };

        let max_attempts = match builder.max_attempts {
            Some(attempts) => Setting {
                value: check_attempts(attempts, &Source::Code)?,
                source: Source::Code,
            },
            None => match self.lookup(keys::ATTEMPTS) {
                Some((raw, source)) => {
                    let parsed = raw.trim().parse::<u32>().map_err(|_| {
                        Error::invalid_input(format!(
                            "invalid max_attempts {raw:?} from {source}: expected a whole \
                             number from 1 to {MAX_ATTEMPTS_LIMIT}"
                        ))
                    })?;
                    Setting {
                        value: check_attempts(parsed, &source)?,
                        source,
                    }
                }
                None => Setting {
                    value: DEFAULT_MAX_ATTEMPTS,
                    source: Source::Default,
                },
            },
        };

        if let Some(deadline) = builder.deadline {
            check_positive(deadline, "deadline", &Source::Code)?;
        }
        let backoff_base = builder.backoff_base.unwrap_or(DEFAULT_BACKOFF_BASE);
        let backoff_max = builder.backoff_max.unwrap_or(DEFAULT_BACKOFF_MAX);
        if backoff_base > backoff_max {
            return Err(Error::invalid_input(format!(
                "invalid backoff from code: base {backoff_base:?} is larger than the \
                 ceiling {backoff_max:?}"
            )));
        }
        let max_response_size = builder
            .max_response_size
            .unwrap_or(DEFAULT_MAX_RESPONSE_SIZE);
        if max_response_size == 0 {
            return Err(Error::invalid_input(
                "invalid max_response_size from code: must be at least 1 byte",
            ));
        }

        Ok(Config {
            endpoint,
            endpoint_mode,
            disabled,
            v1_disabled,
            v1_fallback,
            token_ttl,
            timeout,
            connect_timeout,
            max_attempts,
            deadline: builder.deadline,
            backoff_base,
            backoff_max,
            unreachable_memory: builder
                .unreachable_memory
                .unwrap_or(DEFAULT_UNREACHABLE_MEMORY),
            max_response_size,
            cache_immutable: builder.cache_immutable.unwrap_or(true),
            audit_sink: builder.audit_sink,
        })
    }
}

fn home_dir(environment: &Environment) -> Option<PathBuf> {
    environment.get("HOME").map(PathBuf::from)
}

/// Reads one profile's top-level keys from a shared config file.
///
/// `[default]`, `[profile default]` and `[profile NAME]` headers are understood; indented
/// sub-section lines (such as an `s3 =` block) and comments are skipped. Keys are matched
/// without regard to case, as the AWS SDKs do.
pub(crate) fn parse_profile(text: &str, profile: &str) -> HashMap<String, String> {
    let mut values = HashMap::new();
    let mut in_profile = false;
    let mut in_nested = false;
    for raw in text.lines() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(header) = trimmed
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
        {
            let header = header.trim();
            let name = header
                .strip_prefix("profile ")
                .map(str::trim)
                .unwrap_or(header);
            in_profile = name == profile && (header.starts_with("profile ") || name == "default");
            in_nested = false;
            continue;
        }
        if !in_profile {
            continue;
        }
        let indented = line.starts_with(' ') || line.starts_with('\t');
        if indented && in_nested {
            continue;
        }
        if let Some((key, value)) = trimmed.split_once('=') {
            let value = strip_comment(value.trim());
            in_nested = !indented && value.is_empty();
            if !indented {
                values.insert(key.trim().to_ascii_lowercase(), value.to_owned());
            }
        }
    }
    values
}

fn strip_comment(value: &str) -> &str {
    // Inline comments need whitespace before them, so `#` inside a URL fragment survives.
    match value.find(" #").or_else(|| value.find(" ;")) {
        Some(at) => value[..at].trim_end(),
        None => value,
    }
}

fn parse_mode(raw: &str, source: &Source) -> Result<EndpointMode> {
    EndpointMode::parse(raw).ok_or_else(|| {
        Error::invalid_input(format!(
            "invalid endpoint_mode {raw:?} from {source}: expected IPv4 or IPv6"
        ))
    })
}

fn parse_endpoint(raw: &str, source: &Source) -> Result<Url> {
    let bad = |why: &str| {
        Error::invalid_input(format!(
            "invalid endpoint {raw:?} from {source}: {why}; expected a URL such as \
             http://169.254.169.254"
        ))
    };
    let url = Url::parse(raw.trim()).map_err(|e| bad(&e.to_string()))?;
    match url.scheme() {
        "http" => {}
        "https" => {
            return Err(bad(
                "https endpoints need TLS, which this build does not include",
            ))
        }
        other => return Err(bad(&format!("scheme {other:?} is not http"))),
    }
    if url.host().is_none() {
        return Err(bad("no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials in the URL are not allowed"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("a query or fragment is not allowed"));
    }
    if url.path() != "/" && !url.path().is_empty() {
        return Err(bad(
            "a path is not allowed; give only scheme, host and port",
        ));
    }
    Ok(url)
}

fn bool_setting(
    code: Option<bool>,
    found: Option<(String, Source)>,
    default: bool,
    name: &str,
) -> Result<Setting<bool>> {
    if let Some(value) = code {
        return Ok(Setting {
            value,
            source: Source::Code,
        });
    }
    match found {
        Some((raw, source)) => {
            let value = match raw.trim().to_ascii_lowercase().as_str() {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(Error::invalid_input(format!(
                        "invalid {name} {raw:?} from {source}: expected true or false"
                    )))
                }
            };
            Ok(Setting { value, source })
        }
        None => Ok(Setting {
            value: default,
            source: Source::Default,
        }),
    }
}

/// Checks a token lifetime: whole seconds from 1 to 21,600.
pub(crate) fn check_ttl(ttl: Duration) -> Result<()> {
    if ttl.subsec_nanos() != 0 || ttl.is_zero() || ttl > MAX_TOKEN_TTL {
        return Err(Error::invalid_input(format!(
            "invalid token_ttl {}s from code: expected whole seconds from 1 to {}",
            ttl.as_secs_f64(),
            MAX_TOKEN_TTL.as_secs()
        )));
    }
    Ok(())
}

fn check_positive(value: Duration, name: &str, source: &Source) -> Result<Duration> {
    if value.is_zero() {
        return Err(Error::invalid_input(format!(
            "invalid {name} 0s from {source}: must be more than zero"
        )));
    }
    Ok(value)
}

fn check_attempts(attempts: u32, source: &Source) -> Result<u32> {
    if attempts == 0 || attempts > MAX_ATTEMPTS_LIMIT {
        return Err(Error::invalid_input(format!(
            "invalid max_attempts {attempts} from {source}: expected 1 to {MAX_ATTEMPTS_LIMIT}"
        )));
    }
    Ok(attempts)
}

fn parse_seconds(raw: &str, name: &str, source: &Source) -> Result<Duration> {
    let seconds: f64 = raw.trim().parse().map_err(|_| {
        Error::invalid_input(format!(
            "invalid {name} {raw:?} from {source}: expected a number of seconds"
        ))
    })?;
    if !seconds.is_finite() || seconds <= 0.0 || seconds > 3600.0 {
        return Err(Error::invalid_input(format!(
            "invalid {name} {raw:?} from {source}: expected seconds above 0 and at most 3600"
        )));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn env(pairs: &[(&str, &str)]) -> Builder {
        Config::builder()
            .environment(Environment::from_pairs(pairs.iter().copied()))
            .config_file("/nonexistent/imds-test-config")
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let config = env(&[]).resolve().unwrap();
        assert_eq!(config.endpoint.value.as_str(), "http://169.254.169.254/");
        assert_eq!(config.endpoint.source, Source::Derived("endpoint_mode"));
        assert_eq!(config.token_ttl.value, Duration::from_secs(300));
        assert_eq!(config.timeout.value, Duration::from_secs(1));
        assert_eq!(config.max_attempts.value, 3);
        assert!(!config.disabled.value);
        assert!(!config.v1_fallback_allowed());
    }

    #[test]
    fn code_beats_environment_beats_profile() {
        let dir = std::env::temp_dir().join(format!("imds-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("config");
        std::fs::write(
            &file,
            "[default]\nmetadata_service_timeout = 7\nmetadata_service_num_attempts = 5\n\
             ec2_metadata_service_endpoint_mode = IPv6\n",
        )
        .unwrap();
        let builder = Config::builder()
            .environment(Environment::from_pairs([(
                "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
                "4",
            )]))
            .config_file(&file);

        let config = builder.clone().resolve().unwrap();
        assert_eq!(config.timeout.value, Duration::from_secs(7));
        assert!(matches!(config.timeout.source, Source::Profile { .. }));
        assert_eq!(config.max_attempts.value, 4);
        assert_eq!(
            config.max_attempts.source,
            Source::Environment("AWS_METADATA_SERVICE_NUM_ATTEMPTS")
        );
        assert_eq!(config.endpoint.value.as_str(), "http://[fd00:ec2::254]/");

        let config = builder.max_attempts(2).resolve().unwrap();
        assert_eq!(config.max_attempts.value, 2);
        assert_eq!(config.max_attempts.source, Source::Code);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn endpoint_from_any_source_beats_mode_set_in_code() {
        let config = env(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9")])
            .endpoint_mode("IPv6")
            .resolve()
            .unwrap();
        assert_eq!(config.endpoint.value.as_str(), "http://127.0.0.1:9/");
        assert_eq!(config.endpoint_mode.value, EndpointMode::IPv6);
    }

    #[test]
    fn invalid_values_name_the_setting_and_source() {
        let cases: Vec<(Builder, &str, &str)> = vec![
            (
                env(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv5")]),
                "endpoint_mode",
                "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
            ),
            (env(&[]).endpoint("not a url"), "endpoint", "code"),
            (env(&[]).endpoint("ftp://x"), "endpoint", "code"),
            (env(&[]).endpoint("http://x/latest"), "endpoint", "code"),
            (
                env(&[]).token_ttl(Duration::from_secs(21_601)),
                "token_ttl",
                "code",
            ),
            (env(&[]).token_ttl(Duration::ZERO), "token_ttl", "code"),
            (env(&[]).max_attempts(0), "max_attempts", "code"),
            (
                env(&[("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "zero")]),
                "max_attempts",
                "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
            ),
            (
                env(&[("AWS_METADATA_SERVICE_TIMEOUT", "-1")]),
                "timeout",
                "AWS_METADATA_SERVICE_TIMEOUT",
            ),
            (
                env(&[("AWS_EC2_METADATA_V1_DISABLED", "maybe")]),
                "v1_disabled",
                "AWS_EC2_METADATA_V1_DISABLED",
            ),
        ];
        for (builder, setting, source) in cases {
            let err = builder.resolve().expect_err(setting);
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert!(err.message().contains(setting), "{}", err.message());
            assert!(err.message().contains(source), "{}", err.message());
        }
    }

    #[test]
    fn v1_disabled_always_wins_over_fallback() {
        let config = env(&[("AWS_EC2_METADATA_V1_DISABLED", "TRUE")])
            .v1_fallback(true)
            .resolve()
            .unwrap();
        assert!(!config.v1_fallback_allowed());
    }

    #[test]
    fn profile_parser_reads_named_profiles_and_skips_nested_sections() {
        let text = "\
[default]
metadata_service_timeout = 2
[profile ci]
metadata_service_timeout = 3 # inline comment
s3 =
  metadata_service_timeout = 99
Metadata_Service_Num_Attempts=6
[ci]
metadata_service_timeout = 4
";
        assert_eq!(
            parse_profile(text, "default")["metadata_service_timeout"],
            "2"
        );
        let ci = parse_profile(text, "ci");
        assert_eq!(ci["metadata_service_timeout"], "3");
        assert_eq!(ci["metadata_service_num_attempts"], "6");
    }

    #[test]
    fn aws_profile_selects_a_named_profile_from_aws_config_file() {
        let dir = std::env::temp_dir().join(format!("imds-cfg-profile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("shared-config");
        std::fs::write(
            &file,
            "[default]\nmetadata_service_timeout = 2\n\
             [profile ci]\nmetadata_service_timeout = 3\nmetadata_service_num_attempts = 6\n\
             ec2_metadata_service_endpoint = http://127.0.0.1:9\n",
        )
        .unwrap();
        let file_var = file.to_str().unwrap().to_owned();
        let with_env = |pairs: Vec<(&str, &str)>| {
            Config::builder().environment(Environment::from_pairs(pairs))
        };

        let config = with_env(vec![("AWS_PROFILE", "ci"), ("AWS_CONFIG_FILE", &file_var)])
            .resolve()
            .unwrap();
        assert_eq!(config.timeout.value, Duration::from_secs(3));
        assert_eq!(
            config.timeout.source,
            Source::Profile {
                key: "metadata_service_timeout",
                profile: "ci".to_owned(),
                file: file.clone(),
            }
        );
        assert_eq!(config.max_attempts.value, 6);
        assert_eq!(config.endpoint.value.as_str(), "http://127.0.0.1:9/");

        // Without AWS_PROFILE the same file's default profile applies.
        let config = with_env(vec![("AWS_CONFIG_FILE", &file_var)])
            .resolve()
            .unwrap();
        assert_eq!(config.timeout.value, Duration::from_secs(2));
        assert_eq!(config.max_attempts.value, DEFAULT_MAX_ATTEMPTS);

        // A profile the file lacks contributes nothing.
        let config = with_env(vec![
            ("AWS_PROFILE", "absent"),
            ("AWS_CONFIG_FILE", &file_var),
        ])
        .resolve()
        .unwrap();
        assert_eq!(config.timeout.value, DEFAULT_TIMEOUT);
        assert_eq!(config.timeout.source, Source::Default);

        // A profile named in code beats AWS_PROFILE.
        let config = with_env(vec![("AWS_PROFILE", "ci"), ("AWS_CONFIG_FILE", &file_var)])
            .profile("default")
            .resolve()
            .unwrap();
        assert_eq!(config.timeout.value, Duration::from_secs(2));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn connect_timeout_never_exceeds_attempt_timeout() {
        let config = env(&[("AWS_METADATA_SERVICE_TIMEOUT", "0.25")])
            .resolve()
            .unwrap();
        assert_eq!(config.connect_timeout.value, Duration::from_millis(250));
    }
}
