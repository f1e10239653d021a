//! The session token: a redacted, zeroized value and a single-flight cache.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::secret::SecretString;

/// The most a token is refreshed ahead of its expiry: 60 s.
///
/// Refreshing early keeps a request from leaving with a token that expires on the wire,
/// the cause of the 401s some SDKs see near expiry.
pub const MAX_REFRESH_AHEAD: Duration = Duration::from_secs(60);

/// An IMDSv2 session token. Its value never appears in `Debug` and is wiped on drop.
pub(crate) struct Token {
    value: SecretString,
    /// When IMDS will stop accepting it.
    expires_at: Instant,
    /// When a new one should be fetched: ahead of `expires_at`.
    refresh_at: Instant,
}

impl Token {
    pub(crate) fn new(value: SecretString, granted_ttl: Duration, fetched_at: Instant) -> Token {
        // A quarter of the lifetime, at most a minute: a 1 s token is refreshed 250 ms
        // early, a 6 h token one minute early.
        let ahead = (granted_ttl / 4).min(MAX_REFRESH_AHEAD);
        Token {
            value,
            expires_at: fetched_at + granted_ttl,
            refresh_at: fetched_at + granted_ttl - ahead,
        }
    }

    pub(crate) fn value(&self) -> &str {
        self.value.expose()
    }

    /// True while IMDS still accepts it.
    pub(crate) fn is_valid(&self, now: Instant) -> bool {
        now < self.expires_at
    }

    /// True while no refresh is due.
    pub(crate) fn is_fresh(&self, now: Instant) -> bool {
        now < self.refresh_at
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("value", &self.value)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Holds the current token and lets exactly one caller fetch a new one at a time.
///
/// Readers take the `current` read lock for a pointer copy only. A fetch holds the async
/// `fetching` lock, so every other caller that needs a token waits for that one fetch
/// instead of starting its own; callers holding a token that is due for refresh but still
/// valid keep using it while the fetch runs.
#[derive(Default)]
pub(crate) struct TokenCache {
    current: RwLock<Option<Arc<Token>>>,
    pub(crate) fetching: tokio::sync::Mutex<()>,
}

impl TokenCache {
    pub(crate) fn current(&self) -> Option<Arc<Token>> {
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub(crate) fn store(&self, token: Arc<Token>) {
        *self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(token);
    }

    /// Drops `used` if it is still the current token, after IMDS refused it with a 401.
    /// A token another caller already replaced is left alone.
    pub(crate) fn invalidate(&self, used: &Arc<Token>) {
        let mut current = self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, used)) {
            *current = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_is_due_before_expiry() {
        let now = Instant::now();
        let token = Token::new(SecretString::new("t".into()), Duration::from_secs(300), now);
        assert!(token.is_fresh(now + Duration::from_secs(239)));
        assert!(!token.is_fresh(now + Duration::from_secs(241)));
        assert!(token.is_valid(now + Duration::from_secs(299)));
        assert!(!token.is_valid(now + Duration::from_secs(300)));
    }

    #[test]
    fn invalidate_leaves_a_newer_token_alone() {
        let cache = TokenCache::default();
        let now = Instant::now();
        let old = Arc::new(Token::new(
            SecretString::new("a".into()),
            Duration::from_secs(9),
            now,
        ));
        let new = Arc::new(Token::new(
            SecretString::new("b".into()),
            Duration::from_secs(9),
            now,
        ));
        cache.store(old.clone());
        cache.store(new.clone());
        cache.invalidate(&old);
        assert!(Arc::ptr_eq(&cache.current().unwrap(), &new));
        cache.invalidate(&new);
        assert!(cache.current().is_none());
    }

    #[test]
    fn debug_redacts_the_value() {
        let token = Token::new(
            SecretString::new("AQAEAtopsecret".into()),
            Duration::from_secs(5),
            Instant::now(),
        );
        assert!(!format!("{token:?}").contains("topsecret"));
    }
}
