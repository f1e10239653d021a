//! Pointer plumbing: checked handle casts, input strings, output pointers,
//! boxing.
//!
//! These helpers take raw pointers from C. C's side of the contract
//! (documented in the header and README) is that a non-NULL pointer is
//! valid for its stated use; NULL is checked here and reported as `invalid
//! input`, never dereferenced.

use std::ffi::c_char;

use imds_core::Error;

/// The error for a NULL where a pointer is required.
fn null(what: &str) -> Error {
    Error::new(
        imds_core::ErrorKind::InvalidInput,
        format!("invalid input: `{what}` is NULL"),
    )
}

/// Borrows the object behind a handle.
pub(crate) fn borrow<'a, T>(ptr: *const T, what: &str) -> Result<&'a T, Error> {
    // SAFETY: non-NULL handles come from this library's `_new` functions and stay valid
    // until their `_free`, as the C contract requires.
    unsafe { ptr.as_ref() }.ok_or_else(|| null(what))
}

/// Borrows the object behind a handle mutably (configuration setters).
pub(crate) fn borrow_mut<'a, T>(ptr: *mut T, what: &str) -> Result<&'a mut T, Error> {
    // SAFETY: as in `borrow`; the caller does not use the handle on another thread
    // during the call, as documented for every non-thread-safe handle.
    unsafe { ptr.as_mut() }.ok_or_else(|| null(what))
}

/// Reads an input string given as a pointer and a length in bytes (no NUL
/// needed).
///
/// NULL, invalid UTF-8 and an embedded NUL are all `invalid input`.
pub(crate) fn text<'a>(ptr: *const c_char, len: usize, what: &str) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Err(null(what));
    }
    // SAFETY: the caller promises `len` readable bytes at `ptr`.
    let bytes = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Error::new(
            imds_core::ErrorKind::InvalidInput,
            format!(
                "invalid input: `{what}` is not valid UTF-8 (bad byte at offset {})",
                e.valid_up_to()
            ),
        )
    })?;
    if let Some(at) = text.find('\0') {
        return Err(Error::new(
            imds_core::ErrorKind::InvalidInput,
            format!("invalid input: `{what}` contains a NUL byte at offset {at}"),
        ));
    }
    Ok(text)
}

/// An output parameter: checked for NULL before any work, written only on
/// success.
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    /// Checks `ptr`; call this before doing the work, so a NULL fails fast.
    pub(crate) fn new(ptr: *mut T, what: &str) -> Result<Out<T>, Error> {
        if ptr.is_null() {
            Err(null(what))
        } else {
            Ok(Out(ptr))
        }
    }

    /// Writes the result. The previous content is not read or dropped: it may
    /// be garbage.
    pub(crate) fn write(self, value: T) {
        // SAFETY: non-NULL, and the caller promises it points to writable storage of T.
        unsafe { self.0.write(value) }
    }
}

impl<T> Out<*mut T> {
    /// Moves `value` to the heap and hands the pointer to C, which frees it
    /// with the type's `_free`.
    pub(crate) fn boxed(self, value: T) {
        self.write(Box::into_raw(Box::new(value)));
    }

    /// Like [`boxed`](Out::boxed), writing NULL for `None`.
    pub(crate) fn boxed_or_null(self, value: Option<T>) {
        self.write(value.map_or(std::ptr::null_mut(), |v| Box::into_raw(Box::new(v))));
    }
}

/// Copies `text` into a caller's buffer of `buf_len` bytes as a C string,
/// cut at a UTF-8 character boundary when it does not fit; nothing is
/// written when `buf` is NULL or `buf_len` is 0.
pub(crate) fn write_c_string(buf: *mut c_char, buf_len: usize, text: &str) {
    if buf.is_null() || buf_len == 0 {
        return;
    }
    let mut n = text.len().min(buf_len - 1);
    while !text.is_char_boundary(n) {
        n -= 1;
    }
    // SAFETY: C promises `buf` holds `buf_len` writable bytes, and n + 1 <= buf_len.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), n);
        *buf.add(n) = 0;
    }
}

/// Frees a handle made by [`Out::boxed`]; NULL is a no-op.
pub(crate) fn free<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: the pointer came from `Box::into_raw` in `Out::boxed` and the caller
        // frees it exactly once, as the C contract requires.
        drop(unsafe { Box::from_raw(ptr) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_reject_null_bad_utf8_and_nul() {
        let kind = |r: Result<&str, Error>| r.unwrap_err().kind();
        assert_eq!(
            kind(text(std::ptr::null(), 0, "path")),
            imds_core::ErrorKind::InvalidInput
        );
        let bad = [b'a', 0xff];
        assert_eq!(
            kind(text(bad.as_ptr().cast(), 2, "path")),
            imds_core::ErrorKind::InvalidInput
        );
        let nul = b"a\0b";
        let err = text(nul.as_ptr().cast(), 3, "path").unwrap_err();
        assert!(err.message().contains("NUL byte at offset 1"));
        assert_eq!(text(nul.as_ptr().cast(), 1, "path").unwrap(), "a");
        assert_eq!(text(nul.as_ptr().cast(), 0, "path").unwrap(), "");
    }
}
