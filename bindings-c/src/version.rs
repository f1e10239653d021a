//! The library's version, as macros in the header and as a function.

use std::ffi::{c_char, CStr};

/// The major version of this header. `IMDS_VERSION_STRING` and
/// `IMDS_VERSION_NUMBER`, defined at the end of the header, are built from
/// the three numbers.
pub const IMDS_VERSION_MAJOR: u32 = 0;
/// The minor version of this header.
pub const IMDS_VERSION_MINOR: u32 = 1;
/// The patch version of this header.
pub const IMDS_VERSION_PATCH: u32 = 0;

/// The crate version with a NUL, checked against the three numbers by the
/// tests.
const VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(version) => version,
        Err(_) => panic!("the crate version holds no NUL"),
    };

/// The version of the linked library, "MAJOR.MINOR.PATCH", such as "0.1.0".
///
/// Compare it with `IMDS_VERSION_STRING` to detect a header and library
/// mismatch. The string is static: never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn imds_version() -> *const c_char {
    ffi_boundary! {
        VERSION.as_ptr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_macros_and_the_function_match_the_crate_version_completely() {
        let parse = |s: &str| s.parse::<u32>().expect("a number");
        assert_eq!(IMDS_VERSION_MAJOR, parse(env!("CARGO_PKG_VERSION_MAJOR")));
        assert_eq!(IMDS_VERSION_MINOR, parse(env!("CARGO_PKG_VERSION_MINOR")));
        assert_eq!(IMDS_VERSION_PATCH, parse(env!("CARGO_PKG_VERSION_PATCH")));
        // No pre-release or build suffix: the header's string is exactly the three
        // numbers, so a suffix would need a new macro first.
        let expected = format!("{IMDS_VERSION_MAJOR}.{IMDS_VERSION_MINOR}.{IMDS_VERSION_PATCH}");
        assert_eq!(env!("CARGO_PKG_VERSION"), expected);
        // SAFETY: imds_version returns a static NUL-terminated string.
        let from_c = unsafe { CStr::from_ptr(imds_version()) };
        assert_eq!(from_c.to_str(), Ok(expected.as_str()));
        assert_eq!(imds_core::VERSION, expected);
    }
}
