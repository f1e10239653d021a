//! Cancellation handles and per-call options.

use std::time::Duration;

use imds_core::{Cancel, Error};

use crate::error::imds_result;
use crate::ffi::{self, Out};

/// A cancel handle: lets one thread end calls running on others with
/// `IMDS_ERR_CANCELLED`.
///
/// Pass it in `imds_call_options.cancel`. Once cancelled it stays
/// cancelled, so a call started with it afterwards fails at once: use a new
/// handle for new work. `imds_cancel_cancel` and `imds_cancel_is_cancelled`
/// are thread-safe; free the handle (`imds_cancel_free`) only when no call
/// uses it any more.
pub struct imds_cancel {
    pub(crate) inner: Cancel,
}

/// Options for one call. Every field may be left zero; a NULL
/// `imds_call_options *` means all defaults.
///
/// A plain struct: declare it on the stack, `imds_call_options options =
/// {0};`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct imds_call_options {
    /// A cancel handle that can end the call from another thread, or NULL.
    pub cancel: *const imds_cancel,
    /// A deadline for the whole call, retries and token fetch included, in
    /// milliseconds; the call fails with `IMDS_ERR_TIMEOUT` when it passes. 0:
    /// none beyond the configured timeouts, attempts and
    /// `imds_config_set_deadline_ms`.
    pub deadline_ms: u64,
}

/// What a call runs with: the cancel handle and the deadline, if any.
pub(crate) struct CallOptions<'a> {
    pub(crate) cancel: Option<&'a Cancel>,
    pub(crate) deadline: Option<Duration>,
}

impl CallOptions<'_> {
    /// Reads the options; NULL means defaults.
    pub(crate) fn read<'a>(options: *const imds_call_options) -> Result<CallOptions<'a>, Error> {
        let Ok(options) = ffi::borrow(options, "options") else {
            return Ok(CallOptions {
                cancel: None,
                deadline: None,
            });
        };
        let cancel = if options.cancel.is_null() {
            None
        } else {
            Some(&ffi::borrow(options.cancel, "options.cancel")?.inner)
        };
        let deadline =
            (options.deadline_ms > 0).then(|| Duration::from_millis(options.deadline_ms));
        Ok(CallOptions { cancel, deadline })
    }
}

/// Creates a cancel handle, not yet cancelled, into `*cancel_out`.
///
/// Free it with `imds_cancel_free`. Fails only with
/// `IMDS_ERR_INVALID_INPUT` when `cancel_out` is NULL.
#[no_mangle]
pub extern "C" fn imds_cancel_new(cancel_out: *mut *mut imds_cancel) -> imds_result {
    ffi_boundary! {
        let out = Out::new(cancel_out, "cancel_out")?;

        out.boxed(imds_cancel { inner: Cancel::new() });
        Ok(())
    }
}

/// Cancels every call using this handle, now and later: calls in flight end
/// promptly with `IMDS_ERR_CANCELLED`. Thread-safe, and safe to call more
/// than once.
#[no_mangle]
pub extern "C" fn imds_cancel_cancel(cancel: *const imds_cancel) -> imds_result {
    ffi_boundary! {
        let cancel = ffi::borrow(cancel, "cancel")?;

        cancel.inner.cancel();
        Ok(())
    }
}

/// True once `imds_cancel_cancel` was called on this handle; false for
/// NULL. Thread-safe.
#[no_mangle]
pub extern "C" fn imds_cancel_is_cancelled(cancel: *const imds_cancel) -> bool {
    ffi_boundary! {
        ffi::borrow(cancel, "cancel").is_ok_and(|c| c.inner.is_cancelled())
    }
}

/// Frees a cancel handle. NULL is a no-op. No call may still be using it.
#[no_mangle]
pub extern "C" fn imds_cancel_free(cancel: *mut imds_cancel) {
    ffi_boundary! {
        ffi::free(cancel)
    }
}
