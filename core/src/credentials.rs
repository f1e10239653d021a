//! The role credentials provider: cached, refreshed ahead of expiry by one caller while
//! the others keep using the cached set, and resilient to IMDS outages.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crate::client::{Client, Root};
use crate::error::{ErrorKind, Result};
use crate::models::{self, Credentials};

/// Credentials are refreshed this long before they expire: 5 minutes, the margin within
/// which IMDS guarantees that a new set is available.
pub const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(300);
/// When IMDS still serves the same set inside the refresh window, the next try waits at
/// least this long, so callers do not ask IMDS on every call.
const MIN_RETRY_INTERVAL: Duration = Duration::from_secs(10);

#[derive(Default)]
pub(crate) struct CredentialsCache {
    current: Mutex<Option<Cached>>,
}

#[derive(Clone)]
struct Cached {
    credentials: Arc<Credentials>,
    /// The role these were fetched for; `None` when the role was discovered.
    requested_role: Option<String>,
    refresh_at: Instant,
}

impl CredentialsCache {
    pub(crate) fn clear(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Cached>> {
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get(&self, role: Option<&str>) -> Option<Cached> {
        self.lock()
            .as_ref()
            .filter(|c| c.requested_role.as_deref() == role)
            .cloned()
    }
}

fn is_unexpired(credentials: &Credentials) -> bool {
    SystemTime::now() < credentials.expiration
}

/// True when `cached` may be handed out without asking IMDS. The refresh point alone is
/// not enough: after an outage, or for a set with little life left, it can lie beyond the
/// set's own expiry, and an expired set is never served.
fn needs_no_refresh(cached: &Cached) -> bool {
    Instant::now() < cached.refresh_at && is_unexpired(&cached.credentials)
}

/// When to next ask IMDS for a newer set.
fn next_refresh(credentials: &Credentials) -> Instant {
    let now = Instant::now();
    let remaining = credentials
        .expiration
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    match remaining.checked_sub(REFRESH_BEFORE_EXPIRY) {
        Some(until_window) if !until_window.is_zero() => now + until_window,
        // Already inside the window: IMDS has not rotated yet; try again soon, but not on
        // every call.
        _ => now + (remaining / 2).clamp(Duration::from_secs(1), MIN_RETRY_INTERVAL),
    }
}

impl Client {
    /// The instance's role credentials, from cache when fresh.
    ///
    /// The role is discovered from `iam/security-credentials/`. The set is refreshed
    /// 5 minutes before it expires by one caller while the others keep the cached set. If
    /// IMDS fails during a refresh and the cached set has not expired, the cached set is
    /// returned with a warning; its expiration is IMDS's own, never stretched.
    ///
    /// Errors: `not_found` when no role is attached; `credentials_error` when IMDS answers
    /// with an error document (such as `AssumeRoleUnauthorizedAccess`).
    pub async fn credentials(&self) -> Result<Credentials> {
        self.credentials_inner(None).await
    }

    /// Like [`credentials`](Client::credentials), for a named role.
    pub async fn credentials_for_role(&self, role: &str) -> Result<Credentials> {
        crate::path::validate(role)?;
        if role.is_empty() || role.contains('/') {
            return Err(crate::Error::invalid_input(
                "invalid role name: it must be a single path segment",
            ));
        }
        self.credentials_inner(Some(role)).await
    }

    async fn credentials_inner(&self, role: Option<&str>) -> Result<Credentials> {
        let cache = &self.shared.credentials;
        let held = cache.get(role);
        if let Some(c) = &held {
            if needs_no_refresh(c) {
                return Ok((*c.credentials).clone());
            }
        }
        let state = self.state();
        let _guard = match (&held, state.credentials_refresh.try_lock()) {
            (_, Ok(guard)) => guard,
            (Some(c), Err(_)) if is_unexpired(&c.credentials) => {
                return Ok((*c.credentials).clone());
            }
            (_, Err(_)) => state.credentials_refresh.lock().await,
        };
        if let Some(c) = cache.get(role) {
            if needs_no_refresh(&c) {
                return Ok((*c.credentials).clone());
            }
        }

        match self.fetch_credentials(role).await {
            Ok(fresh) => {
                let fresh = Arc::new(fresh);
                *cache.lock() = Some(Cached {
                    refresh_at: next_refresh(&fresh),
                    credentials: fresh.clone(),
                    requested_role: role.map(str::to_owned),
                });
                Ok((*fresh).clone())
            }
            Err(error) => match held {
                Some(c)
                    if is_unexpired(&c.credentials)
                        && error.kind() != ErrorKind::CredentialsError =>
                {
                    tracing::warn!(
                        target: "imds::audit",
                        role = %c.credentials.role,
                        expiration = %models::format_time(c.credentials.expiration),
                        error = %error,
                        "IMDS failed during a credentials refresh; serving the last good set"
                    );
                    let retry = Cached {
                        refresh_at: Instant::now() + MIN_RETRY_INTERVAL,
                        ..c
                    };
                    let credentials = retry.credentials.clone();
                    *cache.lock() = Some(retry);
                    Ok((*credentials).clone())
                }
                _ => Err(error),
            },
        }
    }

    async fn fetch_credentials(&self, role: Option<&str>) -> Result<Credentials> {
        let role = match role {
            Some(role) => role.to_owned(),
            None => self.discover_role().await?,
        };
        let path = format!("iam/security-credentials/{role}");
        let body = self.read("credentials", Root::MetaData, &path).await?;
        let parsed = Credentials::parse(&role, &body);
        // The secret key and session token now live only in their zeroizing copies.
        let wiped = crate::secret::wipe_body(body);
        debug_assert!(wiped, "credentials bodies are never cached or shared");
        parsed
    }

    /// The name of the role attached to the instance.
    pub async fn role_name(&self) -> Result<String> {
        self.discover_role().await
    }

    async fn discover_role(&self) -> Result<String> {
        let body = self
            .read("list_metadata", Root::MetaData, "iam/security-credentials/")
            .await
            .map_err(|e| {
                if e.kind() == ErrorKind::NotFound {
                    crate::Error::new(
                        ErrorKind::NotFound,
                        "no IAM role is attached to this instance: attach an instance \
                         profile to get role credentials",
                    )
                    .with_status(404)
                } else {
                    e
                }
            })?;
        models::parse_listing(&body)?
            .into_iter()
            .next()
            .map(|role| role.trim_end_matches('/').to_owned())
            .ok_or_else(|| {
                crate::Error::invalid_response(
                    "IMDS listed no role under iam/security-credentials/",
                )
            })
    }
}
