//! Audit events forwarded to a C callback.

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

use imds_core::{AuditEvent, AuditSink, Outcome};

use crate::error::imds_result;

/// One token fetch or metadata access, as passed to an
/// `imds_audit_callback`.
///
/// Valid only during the callback: copy what you keep. Holds no secret (no
/// token, key or user-data), only paths, statuses and timings.
#[repr(C)]
#[derive(Debug)]
pub struct imds_audit_event {
    /// "token", "get_metadata", "list_metadata", "get_dynamic", "user_data",
    /// "credentials", ...: NUL-terminated.
    pub operation: *const c_char,
    /// The length of `operation` in bytes.
    pub operation_len: usize,
    /// The path asked for, such as "instance-id", as the core reports it:
    /// NUL-terminated.
    pub path: *const c_char,
    /// The length of `path` in bytes.
    pub path_len: usize,
    /// The last HTTP status seen, or 0 when IMDS did not answer.
    pub status: u16,
    /// Requests sent, retries included; 0 when served from a cache or refused
    /// early.
    pub attempts: u32,
    /// Time from the start of the operation to its end, in microseconds.
    pub latency_us: u64,
    /// `IMDS_OK`, or the error code the operation ended with.
    pub outcome: imds_result,
    /// True when the value came from the client's cache and nothing was sent.
    pub cached: bool,
}

/// Receives audit events, with the `user_data` given to
/// `imds_config_set_audit_callback`.
///
/// Called on the thread that made the call, once per token fetch and
/// metadata access, possibly from several threads at once: it must be
/// thread-safe, quick, must not unwind (no C++ exception may leave it) and
/// must not call back into an `imds_client` function.
pub type imds_audit_callback =
    Option<unsafe extern "C" fn(event: *const imds_audit_event, user_data: *mut c_void)>;

/// The C callback and its user data, shared by the clients built from one
/// config.
struct Callback {
    function: unsafe extern "C" fn(*const imds_audit_event, *mut c_void),
    user_data: *mut c_void,
}

// SAFETY: the callback's contract (documented on `imds_audit_callback`) is that it and
// its user data may be used from any thread at once.
unsafe impl Send for Callback {}
// SAFETY: as above.
unsafe impl Sync for Callback {}

impl Callback {
    fn deliver(&self, event: &AuditEvent) {
        // Strings with an interior NUL cannot reach C whole; paths never have one (the
        // core refuses them), so an empty string is only a theoretical fallback.
        let operation = CString::new(event.operation).unwrap_or_default();
        let path = CString::new(event.path.as_str()).unwrap_or_default();
        let c_event = imds_audit_event {
            operation: operation.as_ptr(),
            operation_len: operation.as_bytes().len(),
            path: path.as_ptr(),
            path_len: path.as_bytes().len(),
            status: event.status.unwrap_or(0),
            attempts: event.attempts,
            latency_us: u64::try_from(event.latency.as_micros()).unwrap_or(u64::MAX),
            outcome: match event.outcome {
                Outcome::Success => imds_result::IMDS_OK,
                Outcome::Failure(kind) => imds_result::from_kind(kind),
            },
            cached: event.cached,
        };
        // SAFETY: the function pointer and user data are what C registered; the event
        // and its strings outlive the call.
        unsafe { (self.function)(&c_event, self.user_data) };
    }
}

/// The core sink that forwards to `callback`, or `None` to remove the
/// callback.
pub(crate) fn sink(callback: imds_audit_callback, user_data: *mut c_void) -> Option<AuditSink> {
    let function = callback?;
    let callback = Callback {
        function,
        user_data,
    };
    Some(Arc::new(move |event: &AuditEvent| callback.deliver(event)))
}
