//! The settings of `ImdsClient.Builder`, applied to the core's builder.
//!
//! Java passes the settings it was given as `name, value` string pairs (durations in
//! nanoseconds, booleans as `true`/`false`); a setting Java was not given is absent, so
//! the core resolves it from the environment, the profile or its default.

use std::time::Duration;

use crate::boundary::BridgeError;

/// A core builder with every setting of `pairs` and, when given, a fixed environment.
pub(crate) fn builder(
    pairs: &[String],
    environment: Option<&[String]>,
) -> Result<imds::Builder, BridgeError> {
    if pairs.len() % 2 != 0 {
        return Err(BridgeError::IllegalArgument(
            "settings must come in name, value pairs".to_owned(),
        ));
    }
    let mut builder = imds::Client::builder();
    let mut backoff = (None, None);
    for pair in pairs.chunks_exact(2) {
        let (name, value) = (pair[0].as_str(), pair[1].as_str());
        builder = match name {
            "endpoint" => builder.endpoint(value),
            "endpoint_mode" => builder.endpoint_mode(value),
            "token_ttl" => builder.token_ttl(duration(name, value)?),
            "timeout" => builder.timeout(duration(name, value)?),
            "connect_timeout" => builder.connect_timeout(duration(name, value)?),
            "deadline" => builder.deadline(duration(name, value)?),
            "unreachable_memory" => builder.unreachable_memory(duration(name, value)?),
            "backoff_base" => {
                backoff.0 = Some(duration(name, value)?);
                builder
            }
            "backoff_max" => {
                backoff.1 = Some(duration(name, value)?);
                builder
            }
            "max_attempts" => builder.max_attempts(number(name, value)?),
            "max_response_size" => builder.max_response_size(number(name, value)?),
            "disabled" => builder.disabled(flag(name, value)?),
            "v1_fallback" => builder.v1_fallback(flag(name, value)?),
            "v1_disabled" => builder.v1_disabled(flag(name, value)?),
            "cache_immutable" => builder.cache_immutable(flag(name, value)?),
            "profile" => builder.profile(value),
            "config_file" => builder.config_file(value),
            _ => {
                return Err(BridgeError::IllegalArgument(format!(
                    "unknown setting {name:?}"
                )))
            }
        };
    }
    match backoff {
        (Some(base), Some(max)) => builder = builder.backoff(base, max),
        (None, None) => {}
        _ => {
            return Err(BridgeError::IllegalArgument(
                "backoff_base and backoff_max are set together".to_owned(),
            ))
        }
    }
    if let Some(environment) = environment {
        if environment.len() % 2 != 0 {
            return Err(BridgeError::IllegalArgument(
                "the environment must come in name, value pairs".to_owned(),
            ));
        }
        builder = builder.environment(imds::Environment::from_pairs(
            environment
                .chunks_exact(2)
                .map(|pair| (pair[0].clone(), pair[1].clone())),
        ));
    }
    Ok(builder)
}

fn number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, BridgeError> {
    value.parse().map_err(|_| {
        BridgeError::IllegalArgument(format!("setting {name}: {value:?} is not a valid number"))
    })
}

fn duration(name: &str, nanos: &str) -> Result<Duration, BridgeError> {
    Ok(Duration::from_nanos(number(name, nanos)?))
}

fn flag(name: &str, value: &str) -> Result<bool, BridgeError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(BridgeError::IllegalArgument(format!(
            "setting {name}: {value:?} is not true or false"
        ))),
    }
}

/// The resolved configuration as `name, value, source` triples.
pub(crate) fn describe(client: &imds::Client) -> Vec<String> {
    client
        .config()
        .entries()
        .into_iter()
        .flat_map(|entry| [entry.name.to_owned(), entry.value, entry.source])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn every_setting_reaches_the_core() {
        let pairs = strings(&[
            "endpoint",
            "http://127.0.0.1:9",
            "token_ttl",
            "60000000000",
            "timeout",
            "250000000",
            "max_attempts",
            "5",
            "backoff_base",
            "1000000",
            "backoff_max",
            "2000000",
            "cache_immutable",
            "false",
        ]);
        let config = builder(&pairs, Some(&[])).unwrap().resolve().unwrap();
        assert_eq!(config.endpoint().value.as_str(), "http://127.0.0.1:9/");
        assert_eq!(config.token_ttl().value, Duration::from_secs(60));
        assert_eq!(config.timeout().value, Duration::from_millis(250));
        assert_eq!(config.max_attempts().value, 5);
    }

    #[test]
    fn malformed_settings_are_refused() {
        assert!(builder(&strings(&["timeout"]), None).is_err());
        assert!(builder(&strings(&["timeout", "soon"]), None).is_err());
        assert!(builder(&strings(&["disabled", "yes"]), None).is_err());
        assert!(builder(&strings(&["colour", "blue"]), None).is_err());
        assert!(builder(&strings(&["backoff_base", "1"]), None).is_err());
    }
}
