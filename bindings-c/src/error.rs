//! Result codes, their messages, and the detail of the last error on each
//! thread.

use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::sync::OnceLock;

use imds_core::{Error, ErrorKind};

use crate::ffi;

/// The result of every fallible call: `IMDS_OK` or one of the stable error
/// codes, the same numbers as in every other language of this project. A
/// code, once published, is never reused or renumbered.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum imds_result {
    /// Success.
    IMDS_OK = 0,
    /// A bad argument: a NULL pointer, invalid UTF-8, an embedded NUL, a bad
    /// path, a TTL outside 1..21600, a bad endpoint or mode. No request was
    /// sent.
    IMDS_ERR_INVALID_INPUT = 1,
    /// IMDS is turned off by configuration. No request was sent.
    IMDS_ERR_DISABLED = 2,
    /// The connection was refused or timed out: most likely not running on EC2.
    IMDS_ERR_UNREACHABLE = 3,
    /// No answer in time (the per-call deadline included); names the hop-limit
    /// cause when it can tell.
    IMDS_ERR_TIMEOUT = 4,
    /// IMDS answered 400.
    IMDS_ERR_BAD_REQUEST = 5,
    /// IMDS answered 401, still, after a fresh token.
    IMDS_ERR_UNAUTHORIZED = 6,
    /// IMDS answered 403: IMDS is off for this instance, or the request was
    /// refused.
    IMDS_ERR_FORBIDDEN = 7,
    /// IMDS answered 404: the path, role, user-data or notice is not there.
    IMDS_ERR_NOT_FOUND = 8,
    /// IMDS answered 429 on every attempt.
    IMDS_ERR_THROTTLED = 9,
    /// IMDS answered 5xx on every attempt.
    IMDS_ERR_SERVER_ERROR = 10,
    /// The answer could not be understood: a malformed body, JSON document or
    /// header.
    IMDS_ERR_INVALID_RESPONSE = 11,
    /// The body was larger than the configured limit.
    IMDS_ERR_RESPONSE_TOO_LARGE = 12,
    /// The call was cancelled through its `imds_cancel` handle.
    IMDS_ERR_CANCELLED = 13,
    /// The identity document failed signature verification.
    IMDS_ERR_SIGNATURE_INVALID = 14,
    /// IMDS answered with an error document instead of role credentials.
    IMDS_ERR_CREDENTIALS_ERROR = 15,
    /// A bug in libimds, such as a caught panic. Never a crash; please report
    /// it.
    IMDS_ERR_INTERNAL = 99,
}

impl imds_result {
    /// The code of an error kind of the core.
    pub fn from_kind(kind: ErrorKind) -> imds_result {
        use imds_result::*;
        match kind {
            ErrorKind::InvalidInput => IMDS_ERR_INVALID_INPUT,
            ErrorKind::Disabled => IMDS_ERR_DISABLED,
            ErrorKind::Unreachable => IMDS_ERR_UNREACHABLE,
            ErrorKind::Timeout => IMDS_ERR_TIMEOUT,
            ErrorKind::BadRequest => IMDS_ERR_BAD_REQUEST,
            ErrorKind::Unauthorized => IMDS_ERR_UNAUTHORIZED,
            ErrorKind::Forbidden => IMDS_ERR_FORBIDDEN,
            ErrorKind::NotFound => IMDS_ERR_NOT_FOUND,
            ErrorKind::Throttled => IMDS_ERR_THROTTLED,
            ErrorKind::ServerError => IMDS_ERR_SERVER_ERROR,
            ErrorKind::InvalidResponse => IMDS_ERR_INVALID_RESPONSE,
            ErrorKind::ResponseTooLarge => IMDS_ERR_RESPONSE_TOO_LARGE,
            ErrorKind::Cancelled => IMDS_ERR_CANCELLED,
            ErrorKind::SignatureInvalid => IMDS_ERR_SIGNATURE_INVALID,
            ErrorKind::CredentialsError => IMDS_ERR_CREDENTIALS_ERROR,
            // Internal, and any kind a newer core adds before this table learns it.
            _ => IMDS_ERR_INTERNAL,
        }
    }
}

/// The detail of the last failed call on this thread.
struct LastError {
    code: imds_result,
    status: u16,
    message: String,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

/// Records `err` as this thread's last error and returns its code.
pub(crate) fn set_last(err: &Error) -> imds_result {
    let code = imds_result::from_kind(err.kind());
    let detail = LastError {
        code,
        status: err.status().unwrap_or(0),
        message: err.message().to_owned(),
    };
    // `try_with`: a call made while the thread is being torn down has no detail to keep.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = Some(detail));
    code
}

/// Forgets this thread's last error, after a call that succeeded.
pub(crate) fn clear_last() {
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = None);
}

fn with_last<T>(read: impl FnOnce(Option<&LastError>) -> T) -> T {
    let mut read = Some(read);
    LAST_ERROR
        .try_with(|slot| (read.take().expect("called once"))(slot.borrow().as_ref()))
        .unwrap_or_else(|_| (read.take().expect("called once"))(None))
}

#[cfg(test)]
pub(crate) fn last_for_tests() -> Option<(imds_result, u16, String)> {
    with_last(|last| last.map(|l| (l.code, l.status, l.message.clone())))
}

/// The name and description of each code, NUL-terminated for C, taken from
/// the core so that every language prints the same words.
struct Words {
    code: u32,
    name: CString,
    description: CString,
}

fn words(code: i32) -> Option<&'static Words> {
    static TABLE: OnceLock<Vec<Words>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let text = |s: &str| CString::new(s).expect("the core's words hold no NUL");
        ErrorKind::ALL
            .iter()
            .map(|kind| Words {
                code: kind.code(),
                name: text(kind.name()),
                description: text(kind.description()),
            })
            .collect()
    });
    let code = u32::try_from(code).ok()?;
    table.iter().find(|w| w.code == code)
}

fn static_message(code: i32) -> &'static CStr {
    match (code, words(code)) {
        (0, _) => c"success",
        (_, Some(words)) => &words.description,
        (_, None) => c"unknown result code",
    }
}

fn static_name(code: i32) -> &'static CStr {
    match (code, words(code)) {
        (0, _) => c"ok",
        (_, Some(words)) => &words.name,
        (_, None) => c"unknown",
    }
}

/// A one-line description of a result code, such as "the call was
/// cancelled".
///
/// Takes the code as an `int` so that any value is safe to pass; an unknown
/// one gives "unknown result code". The string is static: never free it.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn imds_result_message(code: i32) -> *const c_char {
    ffi_boundary! {
        static_message(code).as_ptr()
    }
}

/// The short snake_case name of a result code ("not_found", "timeout",
/// ...), the same in every language; "ok" for `IMDS_OK`, "unknown" for an
/// unknown code.
///
/// The string is static: never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn imds_result_name(code: i32) -> *const c_char {
    ffi_boundary! {
        static_name(code).as_ptr()
    }
}

/// The code of the last failed call on the calling thread; `IMDS_OK` when
/// the last call succeeded or none failed yet.
///
/// Every fallible call replaces the detail: read it right after the call
/// that failed, on the same thread.
#[no_mangle]
pub extern "C" fn imds_last_error_code() -> imds_result {
    ffi_boundary! {
        with_last(|last| last.map_or(imds_result::IMDS_OK, |l| l.code))
    }
}

/// The HTTP status of the last failed call on the calling thread, or 0 when
/// IMDS did not answer (or no call failed).
#[no_mangle]
pub extern "C" fn imds_last_error_status() -> u16 {
    ffi_boundary! {
        with_last(|last| last.map_or(0, |l| l.status))
    }
}

/// Copies the message of the last failed call on the calling thread into
/// `buf`.
///
/// Works like `snprintf`: writes at most `buf_len - 1` bytes (cut at a
/// UTF-8 character boundary) and a terminating NUL, and returns the full
/// length of the message in bytes, without the NUL. When the return value
/// is `>= buf_len` the message was cut; call again with a buffer of the
/// returned length plus one. `buf` may be NULL when `buf_len` is 0, to ask
/// for the length only. Returns 0, and writes an empty string, when no call
/// failed. The message says what happened and what to do, and never
/// contains a secret.
#[no_mangle]
pub extern "C" fn imds_last_error_message(buf: *mut c_char, buf_len: usize) -> usize {
    ffi_boundary! {
        with_last(|last| {
            let message = last.map_or("", |l| l.message.as_str());
            ffi::write_c_string(buf, buf_len, message);
            message.len()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_kind_keeps_its_code_and_name() {
        for kind in ErrorKind::ALL {
            let code = imds_result::from_kind(kind);
            assert_eq!(code as u32, kind.code(), "{kind}");
            assert_eq!(static_name(code as i32).to_str(), Ok(kind.name()));
            assert_eq!(static_message(code as i32).to_str(), Ok(kind.description()));
        }
        assert_eq!(static_name(0), c"ok");
        assert_eq!(static_name(16), c"unknown");
        assert_eq!(static_message(-1), c"unknown result code");
    }

    #[test]
    fn messages_are_cut_like_snprintf_on_a_character_boundary() {
        set_last(&Error::new(ErrorKind::NotFound, "héllo").with_status(404));
        assert_eq!(imds_last_error_status(), 404);
        assert_eq!(imds_last_error_code(), imds_result::IMDS_ERR_NOT_FOUND);
        assert_eq!(imds_last_error_message(std::ptr::null_mut(), 0), 6);
        let mut buf = [0x55 as c_char; 3];
        assert_eq!(imds_last_error_message(buf.as_mut_ptr(), buf.len()), 6);
        // "hé" would need 3 bytes plus the NUL: only "h" fits whole.
        assert_eq!(buf[0] as u8, b'h');
        assert_eq!(buf[1], 0);
        let mut big = [0 as c_char; 16];
        assert_eq!(imds_last_error_message(big.as_mut_ptr(), big.len()), 6);
        assert_eq!(big[6], 0);
        clear_last();
        assert_eq!(imds_last_error_message(big.as_mut_ptr(), big.len()), 0);
        assert_eq!(big[0], 0);
        assert_eq!(imds_last_error_status(), 0);
    }
}
