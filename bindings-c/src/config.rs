//! `imds_config`: the settings a client is built from.

use std::collections::HashMap;
use std::ffi::{c_char, c_void};
use std::time::Duration;

use imds_core::{AuditSink, Builder, Environment, Error};

use crate::audit::{self, imds_audit_callback};
use crate::error::imds_result;
use crate::ffi::{self, Out};

/// Settings for `imds_client_new`. Anything not set here comes from the
/// environment, then the shared AWS config file profile, then the built-in
/// default (see the README).
///
/// Setters only record values; `imds_client_new` checks them all and fails
/// with `IMDS_ERR_INVALID_INPUT` naming the bad one. Not thread-safe: do
/// not change a config while another thread uses it. A config can build any
/// number of clients, and may be freed as soon as they are built.
#[derive(Default)]
pub struct imds_config {
    builder: Builder,
    /// Variables that replace the process environment, once any is set.
    environment: Option<HashMap<String, String>>,
    audit: Option<AuditSink>,
}

impl imds_config {
    /// The builder to resolve, with the environment and audit sink applied.
    pub(crate) fn builder(&self) -> Builder {
        let mut builder = self.builder.clone();
        if let Some(variables) = &self.environment {
            builder = builder.environment(Environment::Map(variables.clone()));
        }
        if let Some(sink) = &self.audit {
            builder = builder.audit_sink(sink.clone());
        }
        builder
    }

    fn update(&mut self, change: impl FnOnce(Builder) -> Builder) {
        self.builder = change(std::mem::take(&mut self.builder));
    }
}

/// Creates a config with nothing set in code, into `*config_out`.
///
/// Free it with `imds_config_free`. Fails only with
/// `IMDS_ERR_INVALID_INPUT` when `config_out` is NULL.
#[no_mangle]
pub extern "C" fn imds_config_new(config_out: *mut *mut imds_config) -> imds_result {
    ffi_boundary! {
        let out = Out::new(config_out, "config_out")?;

        out.boxed(imds_config::default());
        Ok(())
    }
}

/// Frees a config. NULL is a no-op. Clients built from it are not affected.
#[no_mangle]
pub extern "C" fn imds_config_free(config: *mut imds_config) {
    ffi_boundary! {
        ffi::free(config)
    }
}

/// Applies one change to the builder of a config.
fn set(config: *mut imds_config, change: impl FnOnce(Builder) -> Builder) -> Result<(), Error> {
    let config = ffi::borrow_mut(config, "config")?;

    config.update(change);
    Ok(())
}

/// Applies one string setting (pointer and length) to the builder of a config.
fn set_text(
    config: *mut imds_config,
    value: *const c_char,
    value_len: usize,
    what: &str,
    change: impl FnOnce(Builder, String) -> Builder,
) -> Result<(), Error> {
    let config = ffi::borrow_mut(config, "config")?;
    let value = ffi::text(value, value_len, what)?.to_owned();

    config.update(|b| change(b, value));
    Ok(())
}

/// The IMDS base URL, such as "http://127.0.0.1:1338" (`value_len` bytes of
/// UTF-8). Default: from the endpoint mode, "http://169.254.169.254". Beats
/// an endpoint mode from any source.
#[no_mangle]
pub extern "C" fn imds_config_set_endpoint(
    config: *mut imds_config,
    value: *const c_char,
    value_len: usize,
) -> imds_result {
    ffi_boundary! {
        set_text(config, value, value_len, "endpoint", |b, v| b.endpoint(v))
    }
}

/// "IPv4" or "IPv6", ignoring case. Default: "IPv4".
#[no_mangle]
pub extern "C" fn imds_config_set_endpoint_mode(
    config: *mut imds_config,
    value: *const c_char,
    value_len: usize,
) -> imds_result {
    ffi_boundary! {
        set_text(config, value, value_len, "endpoint_mode", |b, v| b.endpoint_mode(v))
    }
}

/// The shared AWS config file to read. Default: `AWS_CONFIG_FILE`, else
/// `~/.aws/config`.
#[no_mangle]
pub extern "C" fn imds_config_set_config_file(
    config: *mut imds_config,
    value: *const c_char,
    value_len: usize,
) -> imds_result {
    ffi_boundary! {
        set_text(config, value, value_len, "config_file", |b, v| b.config_file(v))
    }
}

/// The profile to read in the shared config file. Default: `AWS_PROFILE`,
/// else "default".
#[no_mangle]
pub extern "C" fn imds_config_set_profile(
    config: *mut imds_config,
    value: *const c_char,
    value_len: usize,
) -> imds_result {
    ffi_boundary! {
        set_text(config, value, value_len, "profile", |b, v| b.profile(v))
    }
}

/// Turns IMDS off: every call fails with `IMDS_ERR_DISABLED` and sends
/// nothing. Default: false (or `AWS_EC2_METADATA_DISABLED`).
#[no_mangle]
pub extern "C" fn imds_config_set_disabled(config: *mut imds_config, value: bool) -> imds_result {
    ffi_boundary! {
        set(config, |b| b.disabled(value))
    }
}

/// Forbids the IMDSv1 fallback whatever else is configured. Default: false
/// (or `AWS_EC2_METADATA_V1_DISABLED`).
#[no_mangle]
pub extern "C" fn imds_config_set_v1_disabled(
    config: *mut imds_config,
    value: bool,
) -> imds_result {
    ffi_boundary! {
        set(config, |b| b.v1_disabled(value))
    }
}

/// Allows tokenless IMDSv1 requests when no token can be had. Default:
/// false. Ignored when v1 is disabled from any source.
#[no_mangle]
pub extern "C" fn imds_config_set_v1_fallback(
    config: *mut imds_config,
    value: bool,
) -> imds_result {
    ffi_boundary! {
        set(config, |b| b.v1_fallback(value))
    }
}

/// The session token lifetime to ask for, in seconds, 1..21600. Default:
/// 300.
#[no_mangle]
pub extern "C" fn imds_config_set_token_ttl_secs(
    config: *mut imds_config,
    value: u32,
) -> imds_result {
    ffi_boundary! {
        set(config, |b| b.token_ttl(Duration::from_secs(u64::from(value))))
    }
}

/// Time allowed for one attempt, from connecting to the last body byte, in
/// milliseconds (more than 0). Default: 1000 (or
/// `AWS_METADATA_SERVICE_TIMEOUT`).
#[no_mangle]
pub extern "C" fn imds_config_set_timeout_ms(config: *mut imds_config, value: u64) -> imds_result {
    ffi_boundary! {
        set(config, |b| b.timeout(Duration::from_millis(value)))
    }
}

/// Time allowed to open a connection, in milliseconds (more than 0); capped
/// at the attempt timeout. Default: 1000.
#[no_mangle]
pub extern "C" fn imds_config_set_connect_timeout_ms(
    config: *mut imds_config,
    value: u64,
) -> imds_result {
    ffi_boundary! {
        set(config, |b| b.connect_timeout(Duration::from_millis(value)))
    }
}

/// Attempts per request, the first included, 1..20. Default: 3 (or
/// `AWS_METADATA_SERVICE_NUM_ATTEMPTS`).
#[no_mangle]
pub extern "C" fn imds_config_set_max_attempts(
    config: *mut imds_config,
    value: u32,
) -> imds_result {
    ffi_boundary! {
        set(config, |b| b.max_attempts(value))
    }
}

/// A deadline for every call, retries and token fetch included, in
/// milliseconds (more than 0). Default: none beyond what attempts and
/// timeouts add up to. A per-call `imds_call_options.deadline_ms` applies
/// on top.
#[no_mangle]
pub extern "C" fn imds_config_set_deadline_ms(config: *mut imds_config, value: u64) -> imds_result {
    ffi_boundary! {
        set(config, |b| b.deadline(Duration::from_millis(value)))
    }
}

/// How long a refused or timed-out endpoint is remembered, so later calls
/// fail at once, in milliseconds; 0 turns the memory off. Default: 10000.
#[no_mangle]
pub extern "C" fn imds_config_set_unreachable_memory_ms(
    config: *mut imds_config,
    value: u64,
) -> imds_result {
    ffi_boundary! {
        set(config, |b| b.unreachable_memory(Duration::from_millis(value)))
    }
}

/// The largest body accepted, in bytes (at least 1). Default: 1 MiB.
#[no_mangle]
pub extern "C" fn imds_config_set_max_response_size(
    config: *mut imds_config,
    value: usize,
) -> imds_result {
    ffi_boundary! {
        set(config, |b| b.max_response_size(value))
    }
}

/// Caches values that cannot change while the instance runs (instance id,
/// AMI, type, region, zone, identity document) after their first answer.
/// Default: true.
#[no_mangle]
pub extern "C" fn imds_config_set_cache_immutable(
    config: *mut imds_config,
    value: bool,
) -> imds_result {
    ffi_boundary! {
        set(config, |b| b.cache_immutable(value))
    }
}

/// The first backoff step before a retry and its ceiling, in milliseconds;
/// the step doubles each retry, with full jitter. Default: 100 and 1000.
/// `base_ms` must not exceed `max_ms`.
#[no_mangle]
pub extern "C" fn imds_config_set_backoff_ms(
    config: *mut imds_config,
    base_ms: u64,
    max_ms: u64,
) -> imds_result {
    ffi_boundary! {
        let config = ffi::borrow_mut(config, "config")?;

        config.update(|b| b.backoff(Duration::from_millis(base_ms), Duration::from_millis(max_ms)));
        Ok(())
    }
}

/// Sets an environment variable as the client will see it, such as
/// "AWS_EC2_METADATA_SERVICE_ENDPOINT".
///
/// From the first call on, the client reads only variables set this way,
/// never the process environment: tests and embedders get a deterministic
/// configuration without touching the process. An empty value counts as
/// unset, as in the AWS SDKs.
#[no_mangle]
pub extern "C" fn imds_config_set_environment_var(
    config: *mut imds_config,
    name: *const c_char,
    name_len: usize,
    value: *const c_char,
    value_len: usize,
) -> imds_result {
    ffi_boundary! {
        let config = ffi::borrow_mut(config, "config")?;
        let name = ffi::text(name, name_len, "name")?.to_owned();
        let value = ffi::text(value, value_len, "value")?.to_owned();

        config.environment.get_or_insert_with(HashMap::new).insert(name, value);
        Ok(())
    }
}

/// Makes the client ignore the process environment, with no variable set:
/// as `imds_config_set_environment_var`, before any variable is set.
#[no_mangle]
pub extern "C" fn imds_config_clear_environment(config: *mut imds_config) -> imds_result {
    ffi_boundary! {
        let config = ffi::borrow_mut(config, "config")?;

        config.environment = Some(HashMap::new());
        Ok(())
    }
}

/// Sends every audit event of the clients built from this config to
/// `callback`, with `user_data`. NULL `callback` removes it. Default: none.
///
/// `user_data` must stay valid until every client built from this config is
/// freed; see `imds_audit_callback` for what the callback may do.
#[no_mangle]
pub extern "C" fn imds_config_set_audit_callback(
    config: *mut imds_config,
    callback: imds_audit_callback,
    user_data: *mut c_void,
) -> imds_result {
    ffi_boundary! {
        let config = ffi::borrow_mut(config, "config")?;

        config.audit = audit::sink(callback, user_data);
        Ok(())
    }
}
