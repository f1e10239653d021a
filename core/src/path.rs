//! Validation of the metadata paths callers pass in, before anything is sent.
//!
//! IMDS paths are short, plain ASCII names separated by `/`. Anything else (control
//! characters, `..`, query strings, percent-encoding, absolute URLs) is either a mistake or
//! an attempt to make the client request something other than what the caller's code
//! says, so it is refused with [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput)
//! and no request is sent.

use crate::error::{Error, Result};

/// The longest path accepted, in bytes. Real IMDS paths are far shorter.
pub const MAX_PATH_LEN: usize = 1024;

/// Checks `path` and returns it without its leading slash, keeping a trailing `/`.
///
/// Accepts `instance-id`, `/placement/region`, `network/interfaces/macs/` and the empty
/// path (the root of the tree). Allowed bytes are ASCII letters, digits and
/// `- . _ ~ : @ = + , /`, which covers every IMDS path including instance tag keys.
pub fn validate(path: &str) -> Result<&str> {
    if path.len() > MAX_PATH_LEN {
        return Err(Error::invalid_input(format!(
            "invalid path: {} bytes is longer than the {MAX_PATH_LEN}-byte limit",
            path.len()
        )));
    }
    if path.contains("://") {
        return Err(Error::invalid_input(
            "invalid path: pass a path such as `instance-id`, not a URL; \
             set the endpoint in the configuration instead",
        ));
    }
    if let Some(bad) = path.chars().find(|c| !is_allowed(*c)) {
        return Err(Error::invalid_input(format!(
            "invalid path: character {} is not allowed in an IMDS path{}",
            describe(bad),
            advice_for(bad)
        )));
    }

    // One leading slash is a common spelling; more than one would be an empty segment.
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    if trimmed.starts_with('/') {
        return Err(Error::invalid_input(
            "invalid path: empty segment (`//`) at the start of the path",
        ));
    }
    let body = trimmed.strip_suffix('/').unwrap_or(trimmed);
    if !body.is_empty() {
        for segment in body.split('/') {
            match segment {
                "" => {
                    return Err(Error::invalid_input(
                        "invalid path: empty segment (`//`) in the path",
                    ))
                }
                "." | ".." => {
                    return Err(Error::invalid_input(format!(
                        "invalid path: `{segment}` segments are not allowed"
                    )))
                }
                _ => {}
            }
        }
    }
    Ok(trimmed)
}

fn is_allowed(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '-' | '.' | '_' | '~' | ':' | '@' | '=' | '+' | ',' | '/')
}

fn describe(c: char) -> String {
    if c.is_control() || c == ' ' {
        format!("U+{:04X}", c as u32)
    } else {
        format!("`{c}`")
    }
}

fn advice_for(c: char) -> &'static str {
    match c {
        '?' | '#' => " (query strings and fragments are not part of IMDS paths)",
        '%' => " (paths are sent as written; percent-encoding is refused)",
        '\r' | '\n' | '\0' => " (control characters could forge headers)",
        '\\' => " (use `/` to separate segments)",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn accepts_real_imds_paths() {
        for (input, expected) in [
            ("instance-id", "instance-id"),
            ("/placement/region", "placement/region"),
            ("network/interfaces/macs/", "network/interfaces/macs/"),
            ("network/interfaces/macs/0e:49:61:0f:c3:11/local-ipv4s", ""),
            ("tags/instance/aws:autoscaling:groupName", ""),
            ("public-keys/0=my-key", ""),
            ("", ""),
            ("/", ""),
        ] {
            let got = validate(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            if !expected.is_empty() {
                assert_eq!(got, expected);
            }
        }
    }

    #[test]
    fn rejects_every_trick_with_invalid_input() {
        for bad in [
            "instance-id\r\nX-Injected: 1",
            "instance-id\n",
            "inst\0ance-id",
            "../latest/api/token",
            "iam/../../user-data",
            "./instance-id",
            "instance-id?x=1",
            "instance-id#frag",
            "%2e%2e/api/token",
            "instance%2Did",
            "http://evil.example/latest/meta-data",
            "//evil.example/x",
            "a//b",
            "//",
            "///",
            "back\\slash",
            "space here",
            "tab\there",
            "caf\u{e9}",
        ] {
            let err = validate(bad).expect_err(bad);
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
            assert!(
                err.message().starts_with("invalid path"),
                "{}",
                err.message()
            );
        }
        let long = "a".repeat(MAX_PATH_LEN + 1);
        assert_eq!(validate(&long).unwrap_err().kind(), ErrorKind::InvalidInput);
    }
}
