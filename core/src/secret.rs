//! Values that must never reach a log: tokens, secret keys, session tokens, user-data.

use std::fmt;

use bytes::Bytes;
use zeroize::{Zeroize, Zeroizing};

/// A secret string: redacted in `Debug` and `Display`, wiped from memory when dropped.
///
/// Read it deliberately with [`expose`](SecretString::expose); nothing else prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Wraps `value`; the original allocation is moved, not copied.
    pub fn new(value: String) -> SecretString {
        SecretString(Zeroizing::new(value))
    }

    /// The secret itself. Call this only to hand the value to the code that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The length in bytes, which is not secret.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"** redacted **\"")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("** redacted **")
    }
}

/// Secret bytes (user-data): redacted in `Debug`, wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Wraps `value`.
    pub fn new(value: Vec<u8>) -> SecretBytes {
        SecretBytes(Zeroizing::new(value))
    }

    /// The bytes themselves.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The length in bytes, which is not secret.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes({} bytes, redacted)", self.0.len())
    }
}

/// Overwrites a response body a secret was parsed from, then frees it.
///
/// Only a buffer held by nobody else can be wiped: a shared one is left intact for its
/// other holders, and `false` says so.
pub(crate) fn wipe_body(body: Bytes) -> bool {
    match body.try_into_mut() {
        Ok(mut owned) => {
            owned[..].zeroize();
            true
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wipe_body_overwrites_an_unshared_body_and_spares_a_shared_one() {
        assert!(wipe_body(Bytes::from(b"AQAEAsecret".to_vec())));
        let shared = Bytes::from(b"AQAEAsecret".to_vec());
        let holder = shared.clone();
        assert!(!wipe_body(shared));
        assert_eq!(&holder[..], b"AQAEAsecret");
    }

    #[test]
    fn debug_and_display_never_show_the_secret() {
        let secret = SecretString::new("AQAEAsecret-token-value".to_owned());
        assert!(!format!("{secret:?}").contains("secret-token"));
        assert!(!format!("{secret}").contains("secret-token"));
        assert_eq!(secret.expose(), "AQAEAsecret-token-value");

        let bytes = SecretBytes::new(b"password=hunter2".to_vec());
        assert!(!format!("{bytes:?}").contains("hunter2"));
        assert_eq!(bytes.len(), 16);
    }
}
