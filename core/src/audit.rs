//! Audit events: one per token fetch and per metadata access, never with a secret.
//!
//! Each event is emitted as a `tracing` event with target `imds::audit` and structured
//! fields, and handed as a plain [`AuditEvent`] to the sink a binding registers with
//! [`Builder::audit_sink`](crate::Builder::audit_sink), so Python's `logging`, Java's
//! `System.Logger`, Go's `log/slog` and C callbacks receive the same facts.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::error::ErrorKind;

/// Receives audit events. Called on the thread that finished the operation; keep it quick.
pub type AuditSink = Arc<dyn Fn(&AuditEvent) + Send + Sync>;

/// How an operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A value was returned.
    Success,
    /// The operation failed with this kind.
    Failure(ErrorKind),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Success => f.write_str("success"),
            Outcome::Failure(kind) => write!(f, "error:{kind}"),
        }
    }
}

/// One token fetch or metadata access. Holds no secret: paths and statuses only.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// `token`, `get_metadata`, `list_metadata`, `get_dynamic`, `user_data`, ...
    pub operation: &'static str,
    /// The path asked for, relative to its root (empty for the token).
    pub path: String,
    /// The last HTTP status seen, if IMDS answered.
    pub status: Option<u16>,
    /// Requests sent, retries included; zero when served from a cache or refused early.
    pub attempts: u32,
    /// Time from the start of the operation to its end.
    pub latency: Duration,
    /// Success or the error kind.
    pub outcome: Outcome,
    /// True when the value came from this client's cache and nothing was sent.
    pub cached: bool,
}

pub(crate) fn emit(sink: Option<&AuditSink>, event: AuditEvent) {
    let latency_us = u64::try_from(event.latency.as_micros()).unwrap_or(u64::MAX);
    match event.outcome {
        Outcome::Success => tracing::info!(
            target: "imds::audit",
            operation = event.operation,
            path = %event.path,
            status = event.status,
            attempts = event.attempts,
            latency_us,
            outcome = %event.outcome,
            cached = event.cached,
            "imds access"
        ),
        Outcome::Failure(_) => tracing::warn!(
            target: "imds::audit",
            operation = event.operation,
            path = %event.path,
            status = event.status,
            attempts = event.attempts,
            latency_us,
            outcome = %event.outcome,
            cached = event.cached,
            "imds access failed"
        ),
    }
    if let Some(sink) = sink {
        sink(&event);
    }
}
