//! `Client(...)` keyword arguments to a core builder.
//!
//! An argument left at `None` is not set in code, so the core resolves it from the
//! environment, the shared profile or its default, in that order. Range checks (TTL,
//! attempts, timeouts that must be positive) are the core's; this module only refuses what
//! cannot be expressed in the core's types at all, such as a negative number of seconds.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyMapping, PyTuple};

use crate::errors;

/// The settings a Python caller can pass, all optional.
#[derive(Default)]
pub(crate) struct Settings {
    pub endpoint: Option<String>,
    pub endpoint_mode: Option<String>,
    pub token_ttl: Option<f64>,
    pub timeout: Option<f64>,
    pub connect_timeout: Option<f64>,
    pub max_attempts: Option<i64>,
    pub deadline: Option<f64>,
    /// The first backoff step and its ceiling, in seconds.
    pub backoff: Option<(f64, f64)>,
    pub disabled: Option<bool>,
    pub v1_fallback: Option<bool>,
    pub v1_disabled: Option<bool>,
    pub unreachable_memory: Option<f64>,
    pub max_response_size: Option<i64>,
    pub cache_immutable: Option<bool>,
    pub profile: Option<String>,
    pub config_file: Option<PathBuf>,
    /// Variables read instead of the process environment.
    pub environment: Option<HashMap<String, String>>,
}

fn seconds(py: Python<'_>, name: &str, value: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        errors::invalid_input(
            py,
            format!("invalid {name} {value}: expected a finite, non-negative number of seconds"),
        )
    })
}

fn whole<T: TryFrom<i64>>(py: Python<'_>, name: &str, value: i64) -> PyResult<T> {
    T::try_from(value)
        .map_err(|_| errors::invalid_input(py, format!("invalid {name} {value}: out of range")))
}

/// The variables of the `environment` argument: any mapping of `str` to `str`, such as a
/// `dict` or `os.environ`, copied once so that later changes to it do not reach the client.
pub(crate) fn environment(value: &Bound<'_, PyAny>) -> PyResult<HashMap<String, String>> {
    let mapping = value.cast::<PyMapping>().map_err(|_| {
        PyTypeError::new_err(format!(
            "environment must be a mapping of str to str, not {}",
            type_name(value)
        ))
    })?;
    let mut variables = HashMap::new();
    for item in mapping.items()?.iter() {
        let (name, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
        let (Ok(name), Ok(text)) = (name.extract::<String>(), value.extract::<String>()) else {
            // The value may be a secret someone put in the wrong place: name only the types.
            return Err(PyTypeError::new_err(format!(
                "environment names and values must be str, not {} and {}",
                type_name(&name),
                type_name(&value)
            )));
        };
        variables.insert(name, text);
    }
    Ok(variables)
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "an object".to_owned(), |name| name.to_string())
}

/// The `backoff` argument, a `(base, max)` tuple of seconds. A tuple of another length is
/// invalid input like any other bad value, not the bare `ValueError` of a failed unpacking.
pub(crate) fn backoff(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<(f64, f64)> {
    let tuple = value.cast::<PyTuple>().map_err(|_| {
        PyTypeError::new_err(format!(
            "backoff must be a (base, max) tuple of seconds, not {}",
            type_name(value)
        ))
    })?;
    if tuple.len() != 2 {
        return Err(errors::invalid_input(
            py,
            format!(
                "invalid backoff: expected a (base, max) tuple of seconds, got {} items",
                tuple.len()
            ),
        ));
    }
    Ok((tuple.get_item(0)?.extract()?, tuple.get_item(1)?.extract()?))
}

impl Settings {
    /// A builder with every given setting applied and the audit sink installed.
    pub(crate) fn into_builder(self, py: Python<'_>) -> PyResult<imds::Builder> {
        let mut builder = imds::Client::builder().audit_sink(crate::audit::sink());

        if let Some(endpoint) = self.endpoint {
            builder = builder.endpoint(endpoint);
        }
        if let Some(mode) = self.endpoint_mode {
            builder = builder.endpoint_mode(mode);
        }
        if let Some(ttl) = self.token_ttl {
            builder = builder.token_ttl(seconds(py, "token_ttl", ttl)?);
        }
        if let Some(timeout) = self.timeout {
            builder = builder.timeout(seconds(py, "timeout", timeout)?);
        }
        if let Some(timeout) = self.connect_timeout {
            builder = builder.connect_timeout(seconds(py, "connect_timeout", timeout)?);
        }
        if let Some(attempts) = self.max_attempts {
            builder = builder.max_attempts(whole(py, "max_attempts", attempts)?);
        }
        if let Some(deadline) = self.deadline {
            builder = builder.deadline(seconds(py, "deadline", deadline)?);
        }
        if let Some((base, max)) = self.backoff {
            builder = builder.backoff(
                seconds(py, "backoff base", base)?,
                seconds(py, "backoff max", max)?,
            );
        }
        if let Some(disabled) = self.disabled {
            builder = builder.disabled(disabled);
        }
        if let Some(fallback) = self.v1_fallback {
            builder = builder.v1_fallback(fallback);
        }
        if let Some(v1_disabled) = self.v1_disabled {
            builder = builder.v1_disabled(v1_disabled);
        }
        if let Some(memory) = self.unreachable_memory {
            builder = builder.unreachable_memory(seconds(py, "unreachable_memory", memory)?);
        }
        if let Some(size) = self.max_response_size {
            builder = builder.max_response_size(whole(py, "max_response_size", size)?);
        }
        if let Some(cache) = self.cache_immutable {
            builder = builder.cache_immutable(cache);
        }
        if let Some(profile) = self.profile {
            builder = builder.profile(profile);
        }
        if let Some(file) = self.config_file {
            builder = builder.config_file(file);
        }
        if let Some(variables) = self.environment {
            builder = builder.environment(imds::Environment::Map(variables));
        }
        Ok(builder)
    }
}
