//! JNI bridge between the `imds` core and the Java library in `dev.imds`.
//!
//! The Java side is the public API (`dev.imds.ImdsClient`); this crate is its private
//! native half, reached only through the package-private class `dev.imds.Native`. It
//! owns argument conversion, the panic boundary, error mapping, handle lifetime,
//! cancellation and the routing of audit events; every behaviour lives in the core.
//!
//! One module per concern:
//!
//! - [`exports`]: every `Java_dev_imds_Native_*` symbol, each a one-line call into
//!   [`boundary::entry`], the one panic boundary and the one place errors become
//!   exceptions;
//! - [`handle`]: the `long` client handles Java holds;
//! - [`ops`]: the operations, run on the core's shared runtime, and their results;
//! - [`convert`]: results and arguments across the boundary;
//! - [`calls`]: `CompletableFuture` calls, completed and cancelled from the core's threads;
//! - [`attach`]: how the core's threads attach to the JVM to call back into Java;
//! - [`audit`]: audit events to `System.Logger`.

#![forbid(unsafe_op_in_unsafe_fn)]

mod attach;
mod audit;
mod boundary;
mod calls;
mod config;
mod convert;
mod exports;
mod handle;
mod ops;
