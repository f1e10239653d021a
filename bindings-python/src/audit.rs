//! Core audit events to the `imds.audit` logger of Python's `logging`.
//!
//! The core calls the sink on its own worker threads, once per token fetch and metadata
//! access. The sink attaches to the interpreter, asks the logger whether the level is
//! enabled (a cached lookup, so a process that does not log pays almost nothing), and only
//! then builds the record. The event holds no secret (paths, statuses, counts), and nothing
//! raised by a handler may escape into the core: failures are reported through
//! `sys.unraisablehook`, like an exception in a `__del__`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use imds::{AuditEvent, ErrorKind, Outcome};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

/// The logger events go to.
pub(crate) const LOGGER: &str = "imds.audit";

// `logging.INFO` and `logging.WARNING`, fixed by the logging module's documentation.
const INFO: u8 = 20;
const WARNING: u8 = 30;

static AUDIT_LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The sink every client built by this module hands to the core.
pub(crate) fn sink() -> imds::AuditSink {
    Arc::new(|event: &AuditEvent| {
        // A panic must not unwind into the core's worker thread.
        let _ = catch_unwind(AssertUnwindSafe(|| {
            // Declines while the interpreter shuts down; the event is dropped.
            crate::interpreter::attach(|py| {
                if let Err(err) = forward(py, event) {
                    err.write_unraisable(py, None);
                }
            });
        }));
    })
}

/// A failure is a warning, except a 404: an absent notice, role or user-data is an ordinary
/// answer that pollers see every few seconds, and not worth a warning each time.
fn level(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Success | Outcome::Failure(ErrorKind::NotFound) => INFO,
        Outcome::Failure(_) => WARNING,
    }
}

fn forward(py: Python<'_>, event: &AuditEvent) -> PyResult<()> {
    let logger = AUDIT_LOGGER.get_or_try_init(py, || {
        Ok::<_, PyErr>(
            py.import("logging")?
                .call_method1("getLogger", (LOGGER,))?
                .unbind(),
        )
    })?;
    let logger = logger.bind(py);
    let level = level(event.outcome);
    if !logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
        return Ok(());
    }

    let outcome = event.outcome.to_string();
    let latency_ms = event.latency.as_secs_f64() * 1000.0;
    let extra = PyDict::new(py);
    extra.set_item("operation", event.operation)?;
    extra.set_item("path", &event.path)?;
    extra.set_item("status", event.status)?;
    extra.set_item("attempts", event.attempts)?;
    extra.set_item("latency_ms", latency_ms)?;
    extra.set_item("outcome", &outcome)?;
    extra.set_item("cached", event.cached)?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("extra", extra)?;
    // %-style arguments: formatted only if a handler emits the record. The path is shown
    // with %r so that control characters in a rejected path cannot forge log lines.
    logger.call_method(
        "log",
        (
            level,
            "imds %s %r: %s (status %s, attempts %d, %.1f ms%s)",
            event.operation,
            &event.path,
            &outcome,
            event.status,
            event.attempts,
            latency_ms,
            if event.cached { ", cached" } else { "" },
        ),
        Some(&kwargs),
    )?;
    Ok(())
}
