//! The C ABI of the imds client: `libimds.so`, `libimds.a` and
//! `include/imds.h`.
//!
//! A thin bridge over the core crate (`imds_core` here): it converts
//! arguments and results, maps errors to the stable codes, owns handle
//! lifetimes, cancellation and the audit callback, and nothing else. Every
//! behaviour lives in the core.
//!
//! The conventions of the C API (names, ownership, errors, thread-safety)
//! are written once, in `bindings-c/README.md`. Each FFI concern has its
//! own module:
//!
//! - [`panic`]: the one boundary every export runs behind;
//! - [`error`]: result codes and the thread-local detail of the last error;
//! - [`ffi`]: pointer and string conversion, handle boxing;
//! - [`config`], [`client`], [`values`], [`models`], [`cancel`], [`audit`],
//!   [`version`]: the exported functions, grouped by the type they act on.

// The exported types keep their C names (`imds_client`, `imds_result`), so that the Rust
// source, the header and the docs use one spelling.
#![allow(non_camel_case_types)]
#![deny(missing_docs)]

#[macro_use]
mod panic;

pub mod audit;
pub mod cancel;
pub mod client;
pub mod config;
pub mod error;
mod ffi;
pub mod models;
pub mod values;
pub mod version;

pub use audit::{imds_audit_callback, imds_audit_event};
pub use cancel::{imds_call_options, imds_cancel};
pub use client::imds_client;
pub use config::imds_config;
pub use error::imds_result;
pub use models::{
    imds_credentials, imds_iam_info, imds_identity_document, imds_network_interface,
    imds_network_interface_list, imds_rebalance_recommendation, imds_scheduled_event,
    imds_scheduled_event_list, imds_spot_action,
};
pub use values::{imds_bytes, imds_string, imds_string_list, imds_string_map};
