//! A secure, fast client for the EC2 Instance Metadata Service (IMDSv2).
//!
//! This crate is the one core behind the Python, Java, C and Go bindings: every behaviour
//! lives here once.
//!
//! - [`Client`] is async (tokio); [`blocking::Client`] is its blocking facade.
//! - Configuration follows the shared AWS settings; see [`config`] for the precedence.
//! - Session tokens are cached, fetched once however many callers wait, refreshed ahead
//!   of expiry, and replaced on a 401.
//! - Failures are [`Error`]s with a stable [`ErrorKind`] code shared by every language.
//! - Every token fetch and metadata access emits one [`AuditEvent`], never with a secret.
//!
//! ```no_run
//! # async fn demo() -> imds::Result<()> {
//! let client = imds::Client::builder()
//!     .endpoint("http://127.0.0.1:1338")
//!     .build()?;
//! let document = client.identity_document().await?;
//! println!("{} in {}", document.instance_id, document.region);
//! if let Some(action) = client.spot_instance_action().await? {
//!     println!("spot {} at {}", action.action, imds::format_time(action.time));
//! }
//! # Ok(()) }
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_op_in_unsafe_fn)]

mod api;
pub mod audit;
pub mod blocking;
mod client;
pub mod config;
mod credentials;
mod error;
mod models;
pub mod path;
mod runtime;
mod secret;
pub mod signature;
mod token;

pub use audit::{AuditEvent, AuditSink, Outcome};
pub use client::Client;
pub use config::{Builder, Config, ConfigEntry, EndpointMode, Environment, Setting, Source};
pub use credentials::REFRESH_BEFORE_EXPIRY;
pub use error::{Error, ErrorKind, Result};
pub use models::{
    format_time, parse_listing, Credentials, IamInfo, IdentityDocument, NetworkInterface,
    RebalanceRecommendation, ScheduledEvent, SpotInstanceAction,
};
pub use runtime::{shared_handle, shared_runtime, with_cancel_and_deadline, Cancel};
pub use secret::{SecretBytes, SecretString};

/// The version of this crate, as in `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Entry points for the fuzz targets in `core/fuzz`: every parser of untrusted input.
/// Not part of the supported API.
#[doc(hidden)]
pub mod fuzzing {
    use std::time::Duration;

    /// Parses a token response body and TTL header.
    pub fn token_response(body: &[u8], ttl_header: Option<&[u8]>) -> crate::Result<Duration> {
        crate::client::parse_token(body, ttl_header, Duration::from_secs(300)).map(|(_, t)| t)
    }

    /// Runs every JSON document parser over `bytes`.
    pub fn documents(bytes: &[u8]) {
        let _ = crate::models::IdentityDocument::parse(bytes);
        let _ = crate::models::IamInfo::parse(bytes);
        let _ = crate::models::Credentials::parse("role", bytes);
        let _ = crate::models::SpotInstanceAction::parse(bytes);
        let _ = crate::models::RebalanceRecommendation::parse(bytes);
        let _ = crate::models::ScheduledEvent::parse_list(bytes);
    }

    /// Parses a listing.
    pub fn listing(bytes: &[u8]) -> crate::Result<Vec<String>> {
        crate::models::parse_listing(bytes)
    }

    /// Validates a path.
    pub fn path(path: &str) -> crate::Result<&str> {
        crate::path::validate(path)
    }

    /// Verifies `signature` and `pkcs7` forms against the certificate.
    pub fn signatures(document: &[u8], signature: &str, certificate_pem: &str) {
        let _ = crate::signature::verify_signature(document, signature, certificate_pem);
        let _ = crate::signature::verify_pkcs7(signature, certificate_pem);
    }
}
