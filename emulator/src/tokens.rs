//! The token store: random tokens with an expiry, bounded in memory.

use std::collections::{HashMap, VecDeque};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;

/// Random bytes per token: 42 bytes give the 56 URL-safe base64 characters EC2's tokens have.
const TOKEN_BYTES: usize = 42;
/// Length of a token as text.
pub(crate) const TOKEN_LEN: usize = 56;
/// Live tokens kept at most; past this the oldest are evicted, so a client that asks for a
/// token per request cannot exhaust memory.
pub(crate) const DEFAULT_CAPACITY: usize = 100_000;

type Token = [u8; TOKEN_LEN];

pub(crate) struct TokenStore {
    inner: RwLock<Inner>,
    capacity: usize,
}

struct Inner {
    expiries: HashMap<Token, Instant>,
    /// Tokens in issue order, for evicting the oldest.
    order: VecDeque<Token>,
}

impl TokenStore {
    pub fn new(capacity: usize) -> TokenStore {
        TokenStore {
            inner: RwLock::new(Inner {
                expiries: HashMap::new(),
                order: VecDeque::new(),
            }),
            capacity: capacity.max(1),
        }
    }

    /// Issues a token valid for `ttl`.
    pub fn issue(&self, ttl: Duration) -> String {
        let mut raw = [0u8; TOKEN_BYTES];
        rand::thread_rng().fill_bytes(&mut raw);
        let mut token = [0u8; TOKEN_LEN];
        let written = URL_SAFE_NO_PAD
            .encode_slice(raw, &mut token)
            .expect("42 bytes always encode to 56 characters");
        debug_assert_eq!(written, TOKEN_LEN);

        let now = Instant::now();
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if inner.order.len() >= self.capacity {
            inner.prune(now);
        }
        while inner.order.len() >= self.capacity {
            if let Some(oldest) = inner.order.pop_front() {
                inner.expiries.remove(&oldest);
            }
        }
        inner.expiries.insert(token, now + ttl);
        inner.order.push_back(token);
        String::from_utf8(token.to_vec()).expect("base64 is ASCII")
    }

    /// Whether `token` was issued here and has not expired.
    pub fn is_valid(&self, token: &[u8]) -> bool {
        let Ok(token) = <Token>::try_from(token) else {
            return false;
        };
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        inner
            .expiries
            .get(&token)
            .is_some_and(|expiry| Instant::now() < *expiry)
    }

    /// Forgets every token, as if they had all expired.
    pub fn expire_all(&self) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        inner.expiries.clear();
        inner.order.clear();
    }

    /// Live tokens held at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Number of tokens held (expired ones are pruned lazily).
    pub fn live(&self) -> usize {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        inner
            .expiries
            .values()
            .filter(|expiry| now < **expiry)
            .count()
    }

    /// Number of tokens held in memory, expired or not.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .order
            .len()
    }
}

impl Inner {
    fn prune(&mut self, now: Instant) {
        self.expiries.retain(|_, expiry| now < *expiry);
        let expiries = &self.expiries;
        self.order.retain(|token| expiries.contains_key(token));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_are_56_url_safe_characters_and_distinct() {
        let store = TokenStore::new(10);
        let a = store.issue(Duration::from_secs(60));
        let b = store.issue(Duration::from_secs(60));
        assert_eq!(a.len(), TOKEN_LEN);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(a, b);
        assert!(store.is_valid(a.as_bytes()) && store.is_valid(b.as_bytes()));
    }

    #[test]
    fn store_evicts_the_oldest_token_at_capacity() {
        let store = TokenStore::new(3);
        let tokens: Vec<String> = (0..5)
            .map(|_| store.issue(Duration::from_secs(60)))
            .collect();
        assert_eq!(store.held(), 3);
        assert!(!store.is_valid(tokens[0].as_bytes()));
        assert!(!store.is_valid(tokens[1].as_bytes()));
        assert!(tokens[2..].iter().all(|t| store.is_valid(t.as_bytes())));
    }

    #[test]
    fn expired_tokens_are_pruned_before_live_ones_are_evicted() {
        let store = TokenStore::new(2);
        let short = store.issue(Duration::ZERO);
        let long = store.issue(Duration::from_secs(60));
        let newest = store.issue(Duration::from_secs(60));
        assert!(!store.is_valid(short.as_bytes()));
        assert!(
            store.is_valid(long.as_bytes()),
            "a live token was evicted before an expired one"
        );
        assert!(store.is_valid(newest.as_bytes()));
    }

    #[test]
    fn unknown_and_malformed_tokens_are_invalid() {
        let store = TokenStore::new(2);
        store.issue(Duration::from_secs(60));
        assert!(!store.is_valid(b"short"));
        assert!(!store.is_valid(&[b'A'; TOKEN_LEN]));
    }
}
