//! The `long` handles Java holds for native clients: the only casts between integers and
//! pointers in this crate.
//!
//! Java guarantees that a handle is released exactly once and never used after release or
//! during it (a reference count in `ImdsClient.State`), so a handle passed in is either 0,
//! refused here, or points to a live [`Client`].

use std::sync::atomic::{AtomicUsize, Ordering};

use jni::sys::jlong;

use crate::boundary::BridgeError;

/// What a handle points to.
pub(crate) struct Client {
    pub(crate) inner: imds::Client,
}

/// Native clients alive now, for the tests that prove every handle is released.
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// Moves `client` to the heap and returns its handle; [`release`] frees it.
pub(crate) fn into_handle(client: imds::Client) -> jlong {
    LIVE.fetch_add(1, Ordering::SeqCst);
    Box::into_raw(Box::new(Client { inner: client })) as jlong
}

/// The client behind `handle`.
pub(crate) fn borrow<'a>(handle: jlong) -> Result<&'a Client, BridgeError> {
    if handle == 0 {
        return Err(BridgeError::Closed);
    }
    // SAFETY: a non-zero handle came from `into_handle` and Java keeps it alive, and
    // unreleased, for as long as a native call uses it (see the module docs).
    Ok(unsafe { &*(handle as *const Client) })
}

/// Frees the client behind `handle`; 0 is accepted and ignored.
pub(crate) fn release(handle: jlong) {
    if handle == 0 {
        return;
    }
    // SAFETY: as in `borrow`; Java calls this once per handle, after every other use.
    drop(unsafe { Box::from_raw(handle as *mut Client) });
    LIVE.fetch_sub(1, Ordering::SeqCst);
}

/// How many native clients are alive.
pub(crate) fn live() -> usize {
    LIVE.load(Ordering::SeqCst)
}
