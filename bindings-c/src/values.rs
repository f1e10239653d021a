//! Owned results: strings, byte buffers, string lists and string maps.
//!
//! Every value is immutable once returned, so any number of threads may
//! read it; it is freed once, with its `_free`, by the caller that received
//! it. Every buffer is wiped when freed, so a secret read through this
//! library does not linger in memory.

use std::collections::BTreeMap;
use std::ffi::c_char;

use imds_core::{Error, ErrorKind};
use zeroize::Zeroizing;

use crate::ffi;

/// Text kept with a terminating NUL, wiped when dropped.
#[derive(Clone)]
pub(crate) struct CText(Zeroizing<Vec<u8>>);

impl CText {
    /// Text for a C string; an interior NUL would cut it short in C, so it is
    /// refused.
    pub(crate) fn new(text: &str, what: &str) -> Result<CText, Error> {
        if text.contains('\0') {
            return Err(Error::new(
                ErrorKind::InvalidResponse,
                format!("{what} from IMDS contains a NUL byte, which a C string cannot hold"),
            ));
        }
        Ok(CText::with_nul(text.as_bytes()))
    }

    /// Bytes with a NUL appended; interior NULs are kept (the length tells the
    /// truth).
    pub(crate) fn with_nul(bytes: &[u8]) -> CText {
        let mut owned = Zeroizing::new(Vec::with_capacity(bytes.len() + 1));
        owned.extend_from_slice(bytes);
        owned.push(0);
        CText(owned)
    }

    pub(crate) fn as_ptr(&self) -> *const c_char {
        self.0.as_ptr().cast()
    }

    /// Length in bytes, without the NUL.
    pub(crate) fn len(&self) -> usize {
        self.0.len() - 1
    }
}

/// The pointer of an optional text, NULL when absent.
pub(crate) fn opt_ptr(text: &Option<CText>) -> *const c_char {
    text.as_ref().map_or(std::ptr::null(), CText::as_ptr)
}

/// An optional text for a C string.
pub(crate) fn opt_text(text: Option<&str>, what: &str) -> Result<Option<CText>, Error> {
    text.map(|t| CText::new(t, what)).transpose()
}

/// A string returned by a call, such as a metadata value. Owned by the
/// caller: free it with `imds_string_free`.
pub struct imds_string {
    text: CText,
}

impl imds_string {
    pub(crate) fn new(text: &str) -> imds_string {
        imds_string {
            text: CText::with_nul(text.as_bytes()),
        }
    }
}

/// The string's bytes, followed by a NUL so they can be used as a C string.
///
/// UTF-8. IMDS values hold no NUL in practice; `imds_string_len` gives the
/// exact length either way. Valid until the string is freed. NULL for a
/// NULL string.
#[no_mangle]
pub extern "C" fn imds_string_ptr(string: *const imds_string) -> *const c_char {
    ffi_boundary! {
        ffi::borrow(string, "string").map_or(std::ptr::null(), |s| s.text.as_ptr())
    }
}

/// The length of the string in bytes, without the terminating NUL; 0 for
/// NULL.
#[no_mangle]
pub extern "C" fn imds_string_len(string: *const imds_string) -> usize {
    ffi_boundary! {
        ffi::borrow(string, "string").map_or(0, |s| s.text.len())
    }
}

/// Frees a string (and wipes its bytes). NULL is a no-op.
#[no_mangle]
pub extern "C" fn imds_string_free(string: *mut imds_string) {
    ffi_boundary! {
        ffi::free(string)
    }
}

/// Raw bytes returned by a call, such as user-data. Owned by the caller:
/// free it with `imds_bytes_free`, which wipes them.
pub struct imds_bytes {
    data: Zeroizing<Vec<u8>>,
}

impl imds_bytes {
    pub(crate) fn new(data: &[u8]) -> imds_bytes {
        imds_bytes {
            data: Zeroizing::new(data.to_vec()),
        }
    }
}

/// The bytes. Not NUL-terminated: use `imds_bytes_len`. Valid until the
/// buffer is freed; never NULL for a non-NULL buffer (an empty buffer
/// points to zero bytes). NULL for a NULL buffer.
#[no_mangle]
pub extern "C" fn imds_bytes_data(bytes: *const imds_bytes) -> *const u8 {
    ffi_boundary! {
        ffi::borrow(bytes, "bytes").map_or(std::ptr::null(), |b| b.data.as_ptr())
    }
}

/// The number of bytes; 0 for NULL.
#[no_mangle]
pub extern "C" fn imds_bytes_len(bytes: *const imds_bytes) -> usize {
    ffi_boundary! {
        ffi::borrow(bytes, "bytes").map_or(0, |b| b.data.len())
    }
}

/// Frees a byte buffer and wipes its content. NULL is a no-op.
#[no_mangle]
pub extern "C" fn imds_bytes_free(bytes: *mut imds_bytes) {
    ffi_boundary! {
        ffi::free(bytes)
    }
}

/// A list of strings: a metadata listing, or a list inside a typed result.
/// Lists returned by a call are owned by the caller
/// (`imds_string_list_free`); lists reached through another object's
/// accessor belong to that object.
pub struct imds_string_list {
    items: Vec<CText>,
}

impl imds_string_list {
    pub(crate) fn new<S: AsRef<str>>(items: &[S], what: &str) -> Result<imds_string_list, Error> {
        Ok(imds_string_list {
            items: items
                .iter()
                .map(|s| CText::new(s.as_ref(), what))
                .collect::<Result<_, _>>()?,
        })
    }
}

/// The number of strings in the list; 0 for NULL.
#[no_mangle]
pub extern "C" fn imds_string_list_len(list: *const imds_string_list) -> usize {
    ffi_boundary! {
        ffi::borrow(list, "list").map_or(0, |l| l.items.len())
    }
}

/// The string at `index` as a NUL-terminated UTF-8 C string, or NULL when
/// `index` is out of range or `list` is NULL. Valid until the list (or its
/// owner) is freed.
#[no_mangle]
pub extern "C" fn imds_string_list_get(
    list: *const imds_string_list,
    index: usize,
) -> *const c_char {
    ffi_boundary! {
        ffi::borrow(list, "list")
            .ok()
            .and_then(|l| l.items.get(index))
            .map_or(std::ptr::null(), CText::as_ptr)
    }
}

/// Frees a list returned by a call. NULL is a no-op. Never pass a list
/// reached through another object's accessor.
#[no_mangle]
pub extern "C" fn imds_string_list_free(list: *mut imds_string_list) {
    ffi_boundary! {
        ffi::free(list)
    }
}

/// A map of strings to strings, in key order: the instance tags. Owned by
/// the caller: free it with `imds_string_map_free`.
pub struct imds_string_map {
    entries: Vec<(CText, CText)>,
    index: BTreeMap<String, usize>,
}

impl imds_string_map {
    pub(crate) fn new(
        map: &BTreeMap<String, String>,
        what: &str,
    ) -> Result<imds_string_map, Error> {
        let mut entries = Vec::with_capacity(map.len());
        let mut index = BTreeMap::new();
        for (key, value) in map {
            index.insert(key.clone(), entries.len());
            entries.push((CText::new(key, what)?, CText::new(value, what)?));
        }
        Ok(imds_string_map { entries, index })
    }
}

/// The number of entries; 0 for NULL.
#[no_mangle]
pub extern "C" fn imds_string_map_len(map: *const imds_string_map) -> usize {
    ffi_boundary! {
        ffi::borrow(map, "map").map_or(0, |m| m.entries.len())
    }
}

/// The key of the entry at `index` (entries are sorted by key), or NULL
/// when out of range. Valid until the map is freed.
#[no_mangle]
pub extern "C" fn imds_string_map_key(map: *const imds_string_map, index: usize) -> *const c_char {
    ffi_boundary! {
        ffi::borrow(map, "map")
            .ok()
            .and_then(|m| m.entries.get(index))
            .map_or(std::ptr::null(), |(key, _)| key.as_ptr())
    }
}

/// The value of the entry at `index`, or NULL when out of range. Valid
/// until the map is freed.
#[no_mangle]
pub extern "C" fn imds_string_map_value(
    map: *const imds_string_map,
    index: usize,
) -> *const c_char {
    ffi_boundary! {
        ffi::borrow(map, "map")
            .ok()
            .and_then(|m| m.entries.get(index))
            .map_or(std::ptr::null(), |(_, value)| value.as_ptr())
    }
}

/// The value for `key` (`key_len` bytes of UTF-8), or NULL when the map has
/// no such key (or an argument is NULL or not UTF-8). Valid until the map
/// is freed.
#[no_mangle]
pub extern "C" fn imds_string_map_get(
    map: *const imds_string_map,
    key: *const c_char,
    key_len: usize,
) -> *const c_char {
    ffi_boundary! {
        let found = ffi::borrow(map, "map").ok().and_then(|m| {
            let key = ffi::text(key, key_len, "key").ok()?;
            m.index.get(key).map(|&i| m.entries[i].1.as_ptr())
        });
        found.unwrap_or(std::ptr::null())
    }
}

/// Frees a map. NULL is a no-op.
#[no_mangle]
pub extern "C" fn imds_string_map_free(map: *mut imds_string_map) {
    ffi_boundary! {
        ffi::free(map)
    }
}
