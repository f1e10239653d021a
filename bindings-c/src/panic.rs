//! The one panic boundary: every exported function's body runs inside
//! [`ffi_boundary!`].
//!
//! A panic must never unwind into C (that aborts the host process), so the
//! boundary catches it, records an `internal` error as the calling thread's
//! last error, and returns the fallback value of the export's return type:
//! `IMDS_ERR_INTERNAL`, a NULL pointer, zero or `false`.
//! `tests/boundary.rs` fails when an export does not start with the macro.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use imds_core::{Error, ErrorKind};

use crate::error::{self, imds_result};

/// Runs the body of an exported function behind the panic boundary.
///
/// The body is a block evaluating to the export's Rust-side result: a
/// `Result<(), imds_core::Error>` for functions returning [`imds_result`]
/// (so `?` works inside), or the C return value itself for accessors.
macro_rules! ffi_boundary {
    ($($body:tt)*) => {
        $crate::panic::boundary(move || { $($body)* })
    };
}

/// How a body's value becomes the C return value, and what is returned
/// after a panic.
pub(crate) trait Returns {
    /// The C return type.
    type C;
    /// Converts a normal result.
    fn into_c(self) -> Self::C;
    /// The value returned when the body panicked.
    fn panicked() -> Self::C;
}

impl Returns for Result<(), Error> {
    type C = imds_result;

    fn into_c(self) -> imds_result {
        match self {
            Ok(()) => {
                error::clear_last();
                imds_result::IMDS_OK
            }
            Err(err) => error::set_last(&err),
        }
    }

    fn panicked() -> imds_result {
        imds_result::IMDS_ERR_INTERNAL
    }
}

macro_rules! returns_itself {
    ($($ty:ty => $fallback:expr),+ $(,)?) => {
        $(impl Returns for $ty {
            type C = $ty;

            fn into_c(self) -> $ty {
                self
            }

            fn panicked() -> $ty {
                $fallback
            }
        })+
    };
}

returns_itself!(
    () => (),
    bool => false,
    u16 => 0,
    u32 => 0,
    i64 => 0,
    usize => 0,
    imds_result => imds_result::IMDS_ERR_INTERNAL,
);

impl<T> Returns for *const T {
    type C = *const T;

    fn into_c(self) -> *const T {
        self
    }

    fn panicked() -> *const T {
        std::ptr::null()
    }
}

/// Runs `body`, turning a panic into the fallback value of its C return
/// type.
pub(crate) fn boundary<R: Returns>(body: impl FnOnce() -> R) -> R::C {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value.into_c(),
        Err(payload) => {
            error::set_last(&Error::new(
                ErrorKind::Internal,
                format!(
                    "internal error: a panic was caught at the C boundary ({}); \
                     this is a bug in libimds, please report it",
                    describe(payload.as_ref())
                ),
            ));
            R::panicked()
        }
    }
}

fn describe(payload: &(dyn Any + Send)) -> &str {
    if let Some(message) = payload.downcast_ref::<&'static str>() {
        message
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message
    } else {
        "no message"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_internal_with_a_message() {
        let code: imds_result = boundary(|| -> Result<(), Error> { panic!("boom") });
        assert_eq!(code, imds_result::IMDS_ERR_INTERNAL);
        let last = error::last_for_tests().expect("a last error");
        assert_eq!(last.0, imds_result::IMDS_ERR_INTERNAL);
        assert!(
            last.2.contains("boom") && last.2.contains("report"),
            "{}",
            last.2
        );
    }

    #[test]
    fn accessors_fall_back_to_null_zero_and_false() {
        assert!(boundary(|| -> *const u8 { panic!("x") }).is_null());
        assert_eq!(boundary(|| -> usize { panic!("x") }), 0);
        assert!(!boundary(|| -> bool { panic!("x") }));
        let formatted = String::from("formatted");
        assert_eq!(
            boundary(|| -> imds_result { std::panic::panic_any(formatted) }),
            imds_result::IMDS_ERR_INTERNAL
        );
    }

    #[test]
    fn success_clears_the_last_error() {
        let _: imds_result =
            boundary(|| -> Result<(), Error> { Err(Error::new(ErrorKind::NotFound, "x")) });
        assert!(error::last_for_tests().is_some());
        let _: imds_result = boundary(|| -> Result<(), Error> { Ok(()) });
        assert!(error::last_for_tests().is_none());
    }
}
