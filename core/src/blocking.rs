//! A blocking facade over the async client, for synchronous code and the language
//! bindings.
//!
//! Every blocking client in the process runs its I/O on one shared runtime, started on
//! first use and started afresh in a child process after `fork()`.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use bytes::Bytes;

use crate::config::{Builder, Config};
use crate::error::{Error, ErrorKind, Result};
use crate::models::{
    Credentials, IamInfo, IdentityDocument, NetworkInterface, RebalanceRecommendation,
    ScheduledEvent, SpotInstanceAction,
};
use crate::runtime::{shared_runtime, with_cancel_and_deadline, Cancel};
use crate::secret::SecretBytes;

/// A blocking IMDSv2 client.
///
/// Cheap to clone and safe to share across threads; each call blocks the calling thread
/// only. Must not be called from inside an async runtime (use [`crate::Client`] there):
/// such a call fails with `internal` instead of deadlocking.
///
/// ```no_run
/// let client = imds::blocking::Client::builder().build_blocking()?;
/// println!("{}", client.get_metadata("instance-id")?);
/// # Ok::<(), imds::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    inner: crate::Client,
}

impl Client {
    /// A builder with nothing set in code; finish it with
    /// [`Builder::build_blocking`].
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// A client configured from the environment, the shared profile and the defaults.
    pub fn from_env() -> Result<Client> {
        Builder::default().build_blocking()
    }

    /// A client for an already resolved configuration.
    pub fn with_config(config: Config) -> Client {
        Client {
            inner: crate::Client::with_config(config),
        }
    }

    /// The async client this one drives; clones share every cache.
    pub fn async_client(&self) -> &crate::Client {
        &self.inner
    }

    /// The resolved configuration.
    pub fn config(&self) -> &Config {
        self.inner.config()
    }

    /// Forgets every cache; see [`crate::Client::clear_caches`].
    pub fn clear_caches(&self) {
        self.inner.clear_caches()
    }

    /// Runs `future` on the shared runtime, ending it early with `cancelled` when `cancel`
    /// fires or `timeout` when `deadline` passes. The bindings' entry point.
    ///
    /// The future is polled on the calling thread: a value the client already holds
    /// (cached credentials, an immutable value) comes back without waking any other
    /// thread, and audit events reach the sink on the calling thread.
    pub fn run<T>(
        &self,
        cancel: Option<&Cancel>,
        deadline: Option<Duration>,
        future: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::new(
                ErrorKind::Internal,
                "the blocking IMDS client was called from inside an async runtime; use \
                 imds::Client there instead",
            ));
        }
        if cancel.is_some_and(Cancel::is_cancelled) {
            return Err(Error::new(ErrorKind::Cancelled, "the call was cancelled"));
        }
        // Polled here rather than handed to the runtime as a task, which was measured: a
        // task saves a lone sequential caller some CPU, but it needs a first poll here
        // anyway so that held values cost no wake-up (and that poll, racing the worker,
        // undid the saving), it funnels every caller's work through the workers (slower
        // at 16 concurrent callers), and it would move audit callbacks off this thread.
        shared_runtime().block_on(with_cancel_and_deadline(future, cancel, deadline))
    }

    fn block<T>(&self, future: impl Future<Output = Result<T>>) -> Result<T> {
        self.run(None, None, future)
    }

    /// See [`crate::Client::get_metadata`].
    pub fn get_metadata(&self, path: &str) -> Result<String> {
        self.block(self.inner.get_metadata(path))
    }

    /// See [`crate::Client::get_metadata_bytes`].
    pub fn get_metadata_bytes(&self, path: &str) -> Result<Bytes> {
        self.block(self.inner.get_metadata_bytes(path))
    }

    /// See [`crate::Client::list_metadata`].
    pub fn list_metadata(&self, path: &str) -> Result<Vec<String>> {
        self.block(self.inner.list_metadata(path))
    }

    /// See [`crate::Client::get_dynamic`].
    pub fn get_dynamic(&self, path: &str) -> Result<String> {
        self.block(self.inner.get_dynamic(path))
    }

    /// See [`crate::Client::user_data`].
    pub fn user_data(&self) -> Result<Option<SecretBytes>> {
        self.block(self.inner.user_data())
    }

    /// See [`crate::Client::identity_document`].
    pub fn identity_document(&self) -> Result<IdentityDocument> {
        self.block(self.inner.identity_document())
    }

    /// See [`crate::Client::region`].
    pub fn region(&self) -> Result<String> {
        self.block(self.inner.region())
    }

    /// See [`crate::Client::availability_zone`].
    pub fn availability_zone(&self) -> Result<String> {
        self.block(self.inner.availability_zone())
    }

    /// See [`crate::Client::instance_id`].
    pub fn instance_id(&self) -> Result<String> {
        self.block(self.inner.instance_id())
    }

    /// See [`crate::Client::iam_info`].
    pub fn iam_info(&self) -> Result<IamInfo> {
        self.block(self.inner.iam_info())
    }

    /// See [`crate::Client::credentials`].
    pub fn credentials(&self) -> Result<Credentials> {
        self.block(self.inner.credentials())
    }

    /// See [`crate::Client::credentials_for_role`].
    pub fn credentials_for_role(&self, role: &str) -> Result<Credentials> {
        self.block(self.inner.credentials_for_role(role))
    }

    /// See [`crate::Client::instance_tags`].
    pub fn instance_tags(&self) -> Result<BTreeMap<String, String>> {
        self.block(self.inner.instance_tags())
    }

    /// See [`crate::Client::network_interfaces`].
    pub fn network_interfaces(&self) -> Result<Vec<NetworkInterface>> {
        self.block(self.inner.network_interfaces())
    }

    /// See [`crate::Client::spot_instance_action`].
    pub fn spot_instance_action(&self) -> Result<Option<SpotInstanceAction>> {
        self.block(self.inner.spot_instance_action())
    }

    /// See [`crate::Client::rebalance_recommendation`].
    pub fn rebalance_recommendation(&self) -> Result<Option<RebalanceRecommendation>> {
        self.block(self.inner.rebalance_recommendation())
    }

    /// See [`crate::Client::scheduled_events`].
    pub fn scheduled_events(&self) -> Result<Vec<ScheduledEvent>> {
        self.block(self.inner.scheduled_events())
    }

    /// See [`crate::Client::autoscaling_target_state`].
    pub fn autoscaling_target_state(&self) -> Result<Option<String>> {
        self.block(self.inner.autoscaling_target_state())
    }

    /// See [`crate::Client::verified_identity_document`].
    pub fn verified_identity_document(&self, certificate_pem: &str) -> Result<IdentityDocument> {
        self.block(self.inner.verified_identity_document(certificate_pem))
    }

    /// See [`crate::Client::verified_identity_document_pkcs7`].
    pub fn verified_identity_document_pkcs7(
        &self,
        certificate_pem: &str,
    ) -> Result<IdentityDocument> {
        self.block(self.inner.verified_identity_document_pkcs7(certificate_pem))
    }
}
