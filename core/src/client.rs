//! The async client and its request pipeline.
//!
//! A call goes: validate the path -> disabled? -> recently unreachable? -> immutable
//! cache -> token (cached, single-flight) -> HTTP attempt (no proxy, no redirects) ->
//! classify: retry with backoff, or on 401 drop the token and retry once with a fresh one
//! -> size limit -> value or error -> one audit event.

use std::collections::HashMap;
use std::error::Error as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rand::Rng;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};

use crate::audit::{self, AuditEvent, Outcome};
use crate::config::{Builder, Config, MAX_TOKEN_TTL};
use crate::credentials::CredentialsCache;
use crate::error::{Error, ErrorKind, Result};
use crate::path;
use crate::runtime::fork_generation;
use crate::secret::SecretString;
use crate::token::{Token, TokenCache};

const TOKEN_PATH: &str = "/latest/api/token";
const TOKEN_TTL_REQUEST_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
/// The longest wait for the tokenless probe that tells a lost token response (hop limit)
/// from a silent endpoint. A reachable IMDS answers it in milliseconds.
const HOP_LIMIT_PROBE_TIMEOUT: Duration = Duration::from_millis(500);
/// The largest token answer accepted, whatever `max_response_size` says: that limit is
/// for metadata values, and a token is a short header value.
const MAX_TOKEN_RESPONSE: usize = 4096;

tokio::task_local! {
    /// Set while the attempt being polled is opening a new connection, so that running
    /// out of time then is told apart from a server that accepted and fell silent.
    static OPENING_CONNECTION: Arc<AtomicBool>;
}

/// A connector layer that reports into [`OPENING_CONNECTION`] of the attempt that asked
/// for a new connection. A request served by a pooled connection reports nothing.
#[derive(Clone, Copy)]
struct ReportConnecting;

impl<S> tower_layer::Layer<S> for ReportConnecting {
    type Service = Reporting<S>;

    fn layer(&self, inner: S) -> Reporting<S> {
        Reporting(inner)
    }
}

#[derive(Clone)]
struct Reporting<S>(S);

impl<S, R> tower_service::Service<R> for Reporting<S>
where
    S: tower_service::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = std::result::Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<std::result::Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        // Called while the attempt's own task polls it; outside an attempt (the hop-limit
        // probe) there is nothing to report to.
        let opening = OPENING_CONNECTION.try_with(Arc::clone).ok();
        if let Some(flag) = &opening {
            flag.store(true, Ordering::Release);
        }
        let connecting = self.0.call(request);
        Box::pin(async move {
            let result = connecting.await;
            if let Some(flag) = opening {
                flag.store(false, Ordering::Release);
            }
            result
        })
    }
}

/// Metadata paths whose values cannot change while the instance runs.
const IMMUTABLE_PATHS: &[&str] = &[
    "meta-data/instance-id",
    "meta-data/ami-id",
    "meta-data/instance-type",
    "meta-data/ami-launch-index",
    "meta-data/reservation-id",
    "meta-data/placement/region",
    "meta-data/placement/availability-zone",
    "meta-data/placement/availability-zone-id",
    "dynamic/instance-identity/document",
    "dynamic/instance-identity/signature",
    "dynamic/instance-identity/rsa2048",
    "dynamic/instance-identity/pkcs7",
];

/// The top-level trees of IMDS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Root {
    MetaData,
    Dynamic,
    UserData,
}

impl Root {
    fn prefix(self) -> &'static str {
        match self {
            Root::MetaData => "meta-data/",
            Root::Dynamic => "dynamic/",
            Root::UserData => "user-data",
        }
    }
}

/// An async IMDSv2 client.
///
/// Cheap to clone: clones share the configuration, token, caches and connection pool.
/// Safe to use from any number of tasks and threads at once. In a child process after
/// `fork()` it rebuilds its connection pool and token lock before the first request.
///
/// ```no_run
/// # async fn demo() -> imds::Result<()> {
/// let client = imds::Client::builder().build()?;
/// let id = client.get_metadata("instance-id").await?;
/// let region = client.region().await?;
/// println!("{id} in {region}");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.shared.base)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Shared {
    pub(crate) config: Config,
    /// `http://host:port`, without a trailing slash.
    base: String,
    process: RwLock<Arc<ProcessState>>,
    unreachable: Mutex<Option<Remembered>>,
    immutable: RwLock<HashMap<String, Bytes>>,
    /// Until when tokenless IMDSv1 requests are used, after IMDSv2 proved unavailable.
    v1_until: Mutex<Option<Instant>>,
    pub(crate) credentials: CredentialsCache,
}

/// State that must not cross a `fork()`: the connection pool and the async locks.
pub(crate) struct ProcessState {
    generation: u64,
    http: reqwest::Client,
    token: TokenCache,
    pub(crate) credentials_refresh: tokio::sync::Mutex<()>,
}

struct Remembered {
    since: Instant,
    until: Instant,
    error: Error,
}

/// A response that arrived whole.
pub(crate) struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

/// Why an attempt produced no answer.
enum Failure {
    /// Connection refused or not opened in time: IMDS is not there.
    Connect(Error),
    /// Connected, but no complete answer in time.
    Timeout(Error),
    /// Connected, but the connection broke or the body was cut short.
    Broken(Error),
    /// Not worth retrying: too large, or a bug.
    Fatal(Error),
}

/// Bookkeeping for one call, for its audit event.
pub(crate) struct Call {
    state: Arc<ProcessState>,
    attempts: u32,
    status: Option<u16>,
}

impl Client {
    /// A builder with nothing set in code; see [`Builder`] for every setting.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// A client configured from the environment, the shared profile and the defaults.
    pub fn from_env() -> Result<Client> {
        Builder::default().build()
    }

    /// A client for an already resolved configuration.
    pub fn with_config(config: Config) -> Client {
        let base = config
            .endpoint
            .value
            .as_str()
            .trim_end_matches('/')
            .to_owned();
        let state = ProcessState::new(&config, fork_generation());
        Client {
            shared: Arc::new(Shared {
                config,
                base,
                process: RwLock::new(Arc::new(state)),
                unreachable: Mutex::new(None),
                immutable: RwLock::new(HashMap::new()),
                v1_until: Mutex::new(None),
                credentials: CredentialsCache::default(),
            }),
        }
    }

    /// The resolved configuration, with the source of each value.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Forgets the cached token, immutable values, credentials and the memory of an
    /// unreachable endpoint. The next call starts from scratch.
    pub fn clear_caches(&self) {
        self.shared
            .immutable
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        *self
            .shared
            .unreachable
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = None;
        *self
            .shared
            .v1_until
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = None;
        self.shared.credentials.clear();
        let generation = fork_generation();
        *self
            .shared
            .process
            .write()
            .unwrap_or_else(|p| p.into_inner()) =
            Arc::new(ProcessState::new(&self.shared.config, generation));
    }

    pub(crate) fn state(&self) -> Arc<ProcessState> {
        let generation = fork_generation();
        {
            let current = self
                .shared
                .process
                .read()
                .unwrap_or_else(|p| p.into_inner());
            if current.generation == generation {
                return current.clone();
            }
        }
        let mut current = self
            .shared
            .process
            .write()
            .unwrap_or_else(|p| p.into_inner());
        if current.generation != generation {
            tracing::debug!("fork detected: rebuilding the IMDS connection pool and token lock");
            let inherited = current.token.current();
            let fresh = ProcessState::new(&self.shared.config, generation);
            if let Some(token) = inherited {
                // The token is bound to the instance, not the process: keep using it.
                fresh.token.store(token);
            }
            *current = Arc::new(fresh);
        }
        current.clone()
    }

    /// Reads `root` + `path` as bytes: the shared pipeline behind every read.
    pub(crate) async fn read(
        &self,
        operation: &'static str,
        root: Root,
        path: &str,
    ) -> Result<Bytes> {
        self.read_inner(operation, root, path, false)
            .await
            .map(|value| value.expect("absence is an error unless asked for"))
    }

    /// Like [`read`](Client::read), for items that are legitimately absent (notices,
    /// user-data): a 404 is `None`, and is audited as the success it is for the caller.
    pub(crate) async fn read_optional(
        &self,
        operation: &'static str,
        root: Root,
        path: &str,
    ) -> Result<Option<Bytes>> {
        self.read_inner(operation, root, path, true).await
    }

    async fn read_inner(
        &self,
        operation: &'static str,
        root: Root,
        path: &str,
        absent_is_none: bool,
    ) -> Result<Option<Bytes>> {
        let started = Instant::now();
        let mut call = Call {
            state: self.state(),
            attempts: 0,
            status: None,
        };
        let mut cached = false;
        let result = match path::validate(path) {
            Err(e) => Err(e),
            Ok(path) => {
                let key = format!("{}{}", root.prefix(), path);
                match self.cached(&key) {
                    Some(value) => {
                        cached = true;
                        Ok(value)
                    }
                    None => {
                        let outcome = self.with_deadline(self.fetch(&mut call, &key)).await;
                        if let Ok(value) = &outcome {
                            self.remember_immutable(&key, value);
                        }
                        outcome
                    }
                }
            }
        };
        let result = match result {
            Ok(value) => Ok(Some(value)),
            Err(e) if absent_is_none && e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        };
        audit::emit(
            self.shared.config.audit_sink.as_ref(),
            AuditEvent {
                operation,
                path: path.to_owned(),
                status: call.status,
                attempts: call.attempts,
                latency: started.elapsed(),
                outcome: match &result {
                    Ok(_) => Outcome::Success,
                    Err(e) => Outcome::Failure(e.kind()),
                },
                cached,
            },
        );
        result
    }

    async fn with_deadline<T>(
        &self,
        future: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        match self.shared.config.deadline {
            None => future.await,
            Some(deadline) => {
                crate::runtime::with_cancel_and_deadline(future, None, Some(deadline)).await
            }
        }
    }

    fn cached(&self, key: &str) -> Option<Bytes> {
        if !self.shared.config.cache_immutable {
            return None;
        }
        self.shared
            .immutable
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned()
    }

    fn remember_immutable(&self, key: &str, value: &Bytes) {
        if self.shared.config.cache_immutable && IMMUTABLE_PATHS.contains(&key) {
            self.shared
                .immutable
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key.to_owned(), value.clone());
        }
    }

    /// Refuses at once when IMDS is disabled or was recently found unreachable.
    fn preflight(&self) -> Result<()> {
        let config = &self.shared.config;
        if config.disabled.value {
            return Err(Error::new(
                ErrorKind::Disabled,
                format!(
                    "IMDS is disabled by configuration ({}); no request was sent",
                    config.disabled.source
                ),
            ));
        }
        let mut remembered = self
            .shared
            .unreachable
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(r) = remembered.as_ref() {
            let now = Instant::now();
            if now < r.until {
                return Err(Error::new(
                    r.error.kind(),
                    format!(
                        "{} (remembered from {:.1}s ago; no request sent, next try in {:.1}s)",
                        r.error.message(),
                        (now - r.since).as_secs_f64(),
                        (r.until - now).as_secs_f64()
                    ),
                ));
            }
            *remembered = None;
        }
        Ok(())
    }

    fn remember_unreachable(&self, error: &Error) {
        let memory = self.shared.config.unreachable_memory;
        if memory.is_zero() {
            return;
        }
        let now = Instant::now();
        *self
            .shared
            .unreachable
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(Remembered {
            since: now,
            until: now + memory,
            error: error.clone(),
        });
    }

    /// GETs `/latest/<key>` with a token, retrying as configured.
    async fn fetch(&self, call: &mut Call, key: &str) -> Result<Bytes> {
        self.preflight()?;
        let url_path = format!("/latest/{key}");
        let max_attempts = self.shared.config.max_attempts.value;
        let mut token = self.token(call).await?;
        let mut renewed_after_401 = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut headers = HeaderMap::new();
            if let Some(token) = &token {
                let mut value = HeaderValue::from_str(token.value()).map_err(|_| {
                    Error::invalid_response("IMDS sent a token that is not a valid header value")
                })?;
                // Marked sensitive so the HTTP stack never prints it in its own logs.
                value.set_sensitive(true);
                headers.insert(TOKEN_HEADER, value);
            }
            let failure = match self
                .attempt(
                    call,
                    Method::GET,
                    &url_path,
                    headers,
                    self.shared.config.max_response_size,
                )
                .await
            {
                Ok(answer) => {
                    let status = answer.status.as_u16();
                    if status == 200 {
                        return Ok(answer.body);
                    }
                    if status == 401 && !renewed_after_401 {
                        if let Some(used) = token.take() {
                            // The token expired or was revoked: drop it, get one fresh
                            // token, and retry once without spending an attempt.
                            call.state.token.invalidate(&used);
                            renewed_after_401 = true;
                            token = self.token(call).await?;
                            attempt -= 1;
                            continue;
                        }
                    }
                    let error = status_error(status, &format!("reading {key}"));
                    if !is_retryable_status(status) || attempt >= max_attempts {
                        return Err(error);
                    }
                    error
                }
                Err(Failure::Connect(error)) => {
                    self.remember_unreachable(&error);
                    return Err(error);
                }
                Err(Failure::Fatal(error)) => return Err(error),
                Err(Failure::Timeout(error) | Failure::Broken(error)) => {
                    if attempt >= max_attempts {
                        return Err(error);
                    }
                    error
                }
            };
            tracing::debug!(attempt, error = %failure, "retrying IMDS request");
            tokio::time::sleep(self.backoff(attempt)).await;
        }
    }

    /// The wait before retry number `attempt` (1-based): full jitter over an exponential
    /// step, so many clients that failed together do not retry together.
    fn backoff(&self, attempt: u32) -> Duration {
        let config = &self.shared.config;
        let step = config
            .backoff_base
            .saturating_mul(1u32 << (attempt - 1).min(16))
            .min(config.backoff_max);
        step.mul_f64(rand::thread_rng().gen::<f64>())
    }

    /// The token to send: `None` when falling back to IMDSv1.
    async fn token(&self, call: &mut Call) -> Result<Option<Arc<Token>>> {
        if self.in_v1_fallback() {
            return Ok(None);
        }
        let state = call.state.clone();
        let held = state.token.current();
        if let Some(token) = &held {
            if token.is_fresh(Instant::now()) {
                return Ok(held);
            }
        }
        // A refresh is due. If the current token is still valid and someone else is
        // already fetching, keep using it rather than queueing behind the fetch.
        let guard = match (&held, state.token.fetching.try_lock()) {
            (_, Ok(guard)) => guard,
            (Some(token), Err(_)) if token.is_valid(Instant::now()) => return Ok(held),
            (_, Err(_)) => state.token.fetching.lock().await,
        };
        if let Some(token) = state.token.current() {
            if token.is_fresh(Instant::now()) {
                return Ok(Some(token));
            }
        }
        let fetched = self.fetch_token(call).await;
        drop(guard);
        match fetched {
            Ok(token) => Ok(Some(token)),
            Err(error) if self.may_fall_back(&error) => {
                tracing::warn!(
                    error = %error,
                    "IMDSv2 token unavailable; falling back to IMDSv1 as configured"
                );
                let until = Instant::now() + self.shared.config.token_ttl.value;
                *self
                    .shared
                    .v1_until
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) = Some(until);
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    fn in_v1_fallback(&self) -> bool {
        let until = self
            .shared
            .v1_until
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        until.is_some_and(|until| Instant::now() < until)
    }

    fn may_fall_back(&self, error: &Error) -> bool {
        self.shared.config.v1_fallback_allowed()
            && matches!(
                error.kind(),
                ErrorKind::Forbidden
                    | ErrorKind::NotFound
                    | ErrorKind::BadRequest
                    | ErrorKind::Timeout
            )
            && error.status() != Some(400)
    }

    /// PUTs for a new token, stores it, and emits its audit event.
    async fn fetch_token(&self, call: &mut Call) -> Result<Arc<Token>> {
        let started = Instant::now();
        let attempts_before = call.attempts;
        let status_before = call.status;
        let result = self.fetch_token_inner(call).await;
        audit::emit(
            self.shared.config.audit_sink.as_ref(),
            AuditEvent {
                operation: "token",
                path: "api/token".to_owned(),
                status: call.status,
                attempts: call.attempts - attempts_before,
                latency: started.elapsed(),
                outcome: match &result {
                    Ok(_) => Outcome::Success,
                    Err(e) => Outcome::Failure(e.kind()),
                },
                cached: false,
            },
        );
        // The token's requests have their own event; the read's event counts its own
        // requests and shows its own status.
        call.attempts = attempts_before;
        call.status = status_before;
        let token = Arc::new(result?);
        call.state.token.store(token.clone());
        Ok(token)
    }

    async fn fetch_token_inner(&self, call: &mut Call) -> Result<Token> {
        let requested = self.shared.config.token_ttl.value;
        let max_attempts = self.shared.config.max_attempts.value;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut headers = HeaderMap::new();
            headers.insert(
                TOKEN_TTL_REQUEST_HEADER,
                HeaderValue::from(requested.as_secs()),
            );
            // Count the lifetime from when the request left, so time spent on the wire
            // makes the token look older, never younger, than it is.
            let sent_at = Instant::now();
            // A token PUT still unanswered halfway through its timeout may be a response
            // lost to the hop limit. A tokenless probe started then has its answer by the
            // time the PUT gives up, so the diagnosis costs no extra wait.
            let probe_http = call.state.http.clone();
            let probe = self.hop_limit_probe(&probe_http);
            let put = self.attempt(call, Method::PUT, TOKEN_PATH, headers, MAX_TOKEN_RESPONSE);
            tokio::pin!(probe, put);
            let mut probed: Option<Option<u16>> = None;
            let outcome = loop {
                tokio::select! {
                    outcome = &mut put => break outcome,
                    answered = &mut probe, if probed.is_none() => probed = Some(answered),
                }
            };
            let failure = match outcome {
                Ok(answer) if answer.status == StatusCode::OK => {
                    let ttl_header = answer.headers.get(TOKEN_TTL_REQUEST_HEADER);
                    let parsed =
                        parse_token(&answer.body, ttl_header.map(|v| v.as_bytes()), requested);
                    // The token now lives only in its zeroizing copy.
                    let wiped = crate::secret::wipe_body(answer.body);
                    debug_assert!(wiped, "nothing else holds a token response body");
                    return parsed.map(|(value, granted)| Token::new(value, granted, sent_at));
                }
                Ok(answer) => {
                    let status = answer.status.as_u16();
                    let error = token_status_error(status);
                    if !is_retryable_status(status) || attempt >= max_attempts {
                        return Err(error);
                    }
                    error
                }
                Err(Failure::Connect(error)) => {
                    self.remember_unreachable(&error);
                    return Err(error);
                }
                Err(Failure::Timeout(error)) => {
                    // Retrying a lost token response only multiplies the wait; say why.
                    let answered = match probed {
                        Some(answered) => answered,
                        None => probe.await,
                    };
                    return Err(self.diagnose_token_timeout(answered, error));
                }
                Err(Failure::Fatal(error)) => return Err(error),
                Err(Failure::Broken(error)) => {
                    if attempt >= max_attempts {
                        return Err(error);
                    }
                    error
                }
            };
            tracing::debug!(attempt, error = %failure, "retrying IMDS token request");
            tokio::time::sleep(self.backoff(attempt)).await;
        }
    }

    /// After half the attempt timeout, sends a GET without a token and returns the status
    /// it got, or `None` when nothing answered within the probe timeout.
    ///
    /// IMDS sends only the token response with a limited IP TTL. Inside a container that
    /// is one hop too far, so the PUT times out while a tokenless GET, sent with the normal
    /// TTL, is answered (401 or 200) at once.
    async fn hop_limit_probe(&self, http: &reqwest::Client) -> Option<u16> {
        let half = self.shared.config.timeout.value / 2;
        tokio::time::sleep(half).await;
        http.get(format!("{}/latest/meta-data/", self.shared.base))
            .timeout(HOP_LIMIT_PROBE_TIMEOUT.min(half))
            .send()
            .await
            .ok()
            .map(|response| response.status().as_u16())
    }

    /// The error for a token PUT that timed out, given what the tokenless probe saw.
    fn diagnose_token_timeout(&self, probe_status: Option<u16>, timeout: Error) -> Error {
        match probe_status {
            Some(status) => Error::new(
                ErrorKind::Timeout,
                format!(
                    "the IMDSv2 token request timed out, yet IMDS answered a request without \
                     a token at once (HTTP {status}): the token response is being lost on its \
                     way back, which happens inside containers when the instance's \
                     HttpPutResponseHopLimit is 1. Set it to 2 (aws ec2 \
                     modify-instance-metadata-options --http-put-response-hop-limit 2)"
                ),
            ),
            None => {
                let error = Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "{}; IMDS accepted the connection but answered nothing, not even a \
                         request without a token: it is not a working IMDS endpoint",
                        timeout.message()
                    ),
                );
                self.remember_unreachable(&error);
                error
            }
        }
    }

    /// Sends one request and reads the whole body, within the attempt timeout.
    async fn attempt(
        &self,
        call: &mut Call,
        method: Method,
        url_path: &str,
        headers: HeaderMap,
        limit: usize,
    ) -> std::result::Result<Answer, Failure> {
        let config = &self.shared.config;
        call.attempts += 1;
        let url = format!("{}{}", self.shared.base, url_path);
        let request = call
            .state
            .http
            .request(method, &url)
            .headers(headers)
            .send();
        // The whole attempt, connecting included, gets the attempt timeout and no more.
        // The connect and read timeouts on the HTTP client fail faster within it; this
        // bound also stops a server that drips bytes but never finishes.
        let bound = config.timeout.value;
        let opening = Arc::new(AtomicBool::new(false));
        let exchange = async {
            let mut response = request
                .await
                .map_err(|e| classify(&e, &self.shared.base, config))?;
            let status = response.status();
            call.status = Some(status.as_u16());
            if let Some(length) = response.content_length() {
                if length > limit as u64 {
                    return Err(Failure::Fatal(too_large(limit)));
                }
            }
            // Sized up front when the length is known, so that growing it never leaves an
            // unwiped copy of a secret body in freed memory. The chunks themselves, and the
            // connection's read buffers they come from, belong to the HTTP stack and are
            // freed without being wiped: that copy is beyond this crate's reach.
            let capacity = response.content_length().unwrap_or(0) as usize;
            let mut body = BytesMut::with_capacity(capacity);
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| classify(&e, &self.shared.base, config))?
            {
                if body.len() + chunk.len() > limit {
                    return Err(Failure::Fatal(too_large(limit)));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Answer {
                status,
                headers: std::mem::take(response.headers_mut()),
                body: body.freeze(),
            })
        };
        let tracked = OPENING_CONNECTION.scope(opening.clone(), exchange);
        let outcome = match tokio::time::timeout(bound, tracked).await {
            Ok(result) => result,
            Err(_) => Err(Failure::Timeout(Error::new(
                ErrorKind::Timeout,
                format!(
                    "IMDS at {} did not finish answering within {:.3}s",
                    self.shared.base,
                    bound.as_secs_f64()
                ),
            ))),
        };
        match outcome {
            // The connect, read and attempt timeouts can all end together; whichever fired,
            // a connection still being opened means IMDS is not there.
            Err(Failure::Timeout(_)) if opening.load(Ordering::Acquire) => {
                Err(Failure::Connect(Error::new(
                    ErrorKind::Unreachable,
                    format!(
                        "could not connect to IMDS at {} within {:.3}s: most likely this is \
                         not an EC2 instance, or a firewall drops link-local traffic",
                        self.shared.base,
                        config.connect_timeout.value.as_secs_f64()
                    ),
                )))
            }
            other => other,
        }
    }
}

impl ProcessState {
    fn new(config: &Config, generation: u64) -> ProcessState {
        let http = reqwest::Client::builder()
            // Link-local traffic must never go through a proxy from the environment, and
            // a redirect must never carry the token to another host.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connector_layer(ReportConnecting)
            .connect_timeout(config.connect_timeout.value)
            .read_timeout(config.timeout.value)
            .pool_idle_timeout(Duration::from_secs(30))
            .tcp_nodelay(true)
            .build()
            .expect("an HTTP client without TLS or proxies always builds");
        ProcessState {
            generation,
            http,
            token: TokenCache::default(),
            credentials_refresh: tokio::sync::Mutex::new(()),
        }
    }
}

fn is_retryable_status(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status)
}

fn status_error(status: u16, what: &str) -> Error {
    if (300..400).contains(&status) {
        return Error::invalid_response(format!(
            "{what}: IMDS answered with a redirect (HTTP {status}); redirects are never \
             followed, so that the token cannot be sent elsewhere"
        ))
        .with_status(status);
    }
    Error::from_status(status, what)
}

fn token_status_error(status: u16) -> Error {
    let message = match status {
        403 => "IMDS refused the token request (HTTP 403): the metadata endpoint may be \
                disabled for this instance (HttpEndpoint=disabled), or something added a \
                header such as X-Forwarded-For on the way"
            .to_owned(),
        404 | 405 => format!(
            "this endpoint does not offer IMDSv2 tokens (HTTP {status}); enable the IMDSv1 \
             fallback only if you trust this network"
        ),
        400 => {
            "IMDS rejected the token request (HTTP 400): the token TTL was not accepted".to_owned()
        }
        _ => return status_error(status, "fetching a session token"),
    };
    let kind = match status {
        403 => ErrorKind::Forbidden,
        404 => ErrorKind::NotFound,
        _ => ErrorKind::BadRequest,
    };
    Error::new(kind, message).with_status(status)
}

/// Reads a token response: the token itself and the lifetime IMDS granted.
///
/// The token must be usable as a header value; the TTL header, when present, must be a
/// whole number of seconds IMDS could grant. A missing header means the TTL asked for.
pub(crate) fn parse_token(
    body: &[u8],
    ttl_header: Option<&[u8]>,
    requested: Duration,
) -> Result<(SecretString, Duration)> {
    let value = std::str::from_utf8(body)
        .ok()
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_graphic()) && v.len() <= 4096)
        .ok_or_else(|| {
            Error::invalid_response(
                "IMDS sent a session token that is empty or not a valid header value",
            )
            .with_status(200)
        })?;
    let granted = match ttl_header {
        // Some emulators omit the header; the TTL asked for is then the best guess.
        None => requested,
        Some(raw) => std::str::from_utf8(raw)
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Duration::from_secs)
            .filter(|ttl| !ttl.is_zero() && *ttl <= MAX_TOKEN_TTL)
            .ok_or_else(|| {
                Error::invalid_response(
                    "IMDS sent an invalid X-Aws-Ec2-Metadata-Token-Ttl-Seconds header",
                )
                .with_status(200)
            })?,
    };
    Ok((SecretString::new(value.to_owned()), granted))
}

fn too_large(limit: usize) -> Error {
    Error::new(
        ErrorKind::ResponseTooLarge,
        format!("IMDS sent a body larger than the {limit}-byte limit (max_response_size)"),
    )
}

fn classify(error: &reqwest::Error, base: &str, config: &Config) -> Failure {
    if error.is_connect() {
        let refused = source_io_kind(error) == Some(std::io::ErrorKind::ConnectionRefused);
        let message = if refused {
            format!(
                "IMDS at {base} refused the connection: most likely this is not an EC2 \
                 instance. Off EC2, set AWS_EC2_METADATA_DISABLED=true to skip IMDS"
            )
        } else if error.is_timeout() {
            format!(
                "could not connect to IMDS at {base} within {:.3}s: most likely this is not \
                 an EC2 instance, or a firewall drops link-local traffic",
                config.connect_timeout.value.as_secs_f64()
            )
        } else {
            format!("could not connect to IMDS at {base}: {}", root_cause(error))
        };
        return Failure::Connect(Error::new(ErrorKind::Unreachable, message));
    }
    if error.is_timeout() {
        return Failure::Timeout(Error::new(
            ErrorKind::Timeout,
            format!(
                "IMDS at {base} did not answer within {:.3}s",
                config.timeout.value.as_secs_f64()
            ),
        ));
    }
    Failure::Broken(Error::invalid_response(format!(
        "the connection to IMDS at {base} broke before a complete answer arrived: {}",
        root_cause(error)
    )))
}

fn source_io_kind(error: &reqwest::Error) -> Option<std::io::ErrorKind> {
    let mut source = error.source();
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = err.source();
    }
    None
}

/// The innermost cause, which names the actual problem (reset, EOF, refused).
fn root_cause(error: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Environment;

    fn client_with_backoff(base: Duration, max: Duration) -> Client {
        Builder::default()
            .environment(Environment::from_pairs(Vec::<(String, String)>::new()))
            .config_file("/nonexistent/imds-unit-tests/config")
            .endpoint("http://127.0.0.1:9")
            .backoff(base, max)
            .build()
            .unwrap()
    }

    #[test]
    fn backoff_is_full_jitter_within_the_capped_exponential_step() {
        let base = Duration::from_millis(10);
        let max = Duration::from_millis(300);
        let client = client_with_backoff(base, max);
        // Attempt 40 would overflow an unchecked doubling; it must stay at the ceiling.
        for attempt in [1, 2, 3, 4, 5, 6, 8, 40] {
            let step = base
                .saturating_mul(2u32.saturating_pow(attempt - 1))
                .min(max);
            let samples: Vec<Duration> = (0..2_000).map(|_| client.backoff(attempt)).collect();
            for delay in &samples {
                assert!(
                    *delay <= step,
                    "attempt {attempt}: {delay:?} above {step:?}"
                );
            }
            let distinct: std::collections::BTreeSet<_> = samples.iter().collect();
            assert!(
                distinct.len() > 100,
                "attempt {attempt}: only {} distinct delays, jitter is missing",
                distinct.len()
            );
            // Full jitter spreads over the whole step, not just near its top.
            let below_half = samples.iter().filter(|d| **d < step / 2).count();
            assert!(
                (200..=1_800).contains(&below_half),
                "attempt {attempt}: {below_half} of 2000 below half the step"
            );
        }
    }
}
