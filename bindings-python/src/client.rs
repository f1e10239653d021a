//! `imds.Client` and `_AsyncCore`, the engine of `imds.AsyncClient`.
//!
//! Both wrap one core [`imds::Client`] (cheap to clone: every clone shares the token,
//! caches and connection pool) and one [`Cancel`] that `close()` fires. The operations are
//! written once, in the `operations!` table below, and expand into a blocking method on
//! `Client` and a future-returning method on `_AsyncCore`.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;

use imds::Cancel;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::bridge;
use crate::errors;
use crate::models::{
    Credentials, IamInfo, IdentityDocument, NetworkInterface, RebalanceRecommendation,
    ScheduledEvent, SpotInstanceAction,
};
use crate::settings::Settings;

/// What a `Client` and the `_AsyncCore`s made from it share.
struct Shared {
    client: imds::Client,
    /// Fired by `close()`: calls in flight end with `CancelledError`, new ones are refused.
    /// A flag rather than an `Option` behind a lock, so that no lock can be left held
    /// across a `fork()`.
    closing: Cancel,
}

impl Shared {
    fn core(&self, py: Python<'_>) -> PyResult<imds::Client> {
        if self.closing.is_cancelled() {
            return Err(errors::closed(py));
        }
        Ok(self.client.clone())
    }

    fn close(&self) {
        if !self.closing.is_cancelled() {
            self.closing.cancel();
            // Drops the token and the credentials now rather than when Python frees the
            // object; the core wipes them from memory as they go.
            self.client.clear_caches();
        }
    }

    fn repr(&self, class: &str) -> String {
        let endpoint = self.client.config().endpoint().value.as_str();
        let state = if self.closing.is_cancelled() {
            ", closed"
        } else {
            ""
        };
        format!(
            "imds.{class}(endpoint='{}'{state})",
            endpoint.trim_end_matches('/')
        )
    }
}

/// User-data, handed to Python as `bytes` straight from the core's wiped buffer.
struct UserData(imds::SecretBytes);

impl<'py> IntoPyObject<'py> for UserData {
    type Target = PyBytes;
    type Output = Bound<'py, PyBytes>;
    type Error = Infallible;

    fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
        Ok(PyBytes::new(py, self.0.expose()))
    }
}

fn each<T, U: From<T>>(items: Vec<T>) -> Vec<U> {
    items.into_iter().map(U::from).collect()
}

/// Expands each operation into a blocking `Client` method and an `_AsyncCore` method that
/// returns an asyncio future. Every argument is a `str`; anything else raises `TypeError`.
macro_rules! operations {
    (
        client { $($client_items:tt)* }
        async_core { $($async_items:tt)* }
        $( $(#[$doc:meta])* fn $name:ident($($arg:ident),*) -> $ret:ty = |$core:ident| $body:expr; )*
    ) => {
        #[pymethods]
        impl Client {
            $($client_items)*
            $(
                $(#[$doc])*
                fn $name(&self, py: Python<'_>, $($arg: String),*) -> PyResult<$ret> {
                    let $core = self.shared.core(py)?;
                    bridge::block_on(py, &self.shared.closing, async move { $body })
                }
            )*
        }

        #[pymethods]
        impl AsyncCore {
            $($async_items)*
            $(
                $(#[$doc])*
                fn $name<'py>(
                    &self,
                    py: Python<'py>,
                    $($arg: String),*
                ) -> PyResult<Bound<'py, PyAny>> {
                    let $core = self.shared.core(py)?;
                    bridge::spawn::<$ret, _>(py, &self.shared.closing, async move { $body })
                }
            )*
        }
    };
}

/// A blocking IMDSv2 client.
///
/// Every argument is keyword-only and optional; one left out comes from the environment
/// (``AWS_EC2_METADATA_SERVICE_ENDPOINT``, ...), then the profile of the shared config
/// file, then the default. Times are in seconds. ``backoff=(base, max)`` is the first wait
/// before a retry and its ceiling; ``environment``, a mapping of ``str`` to ``str``, is read
/// instead of the process environment (``{}`` ignores it altogether).
///
/// Safe to share between threads: they share one token, cache and connection pool. The
/// GIL is released while a call waits, and Ctrl-C interrupts it. A client made before
/// ``os.fork()`` works in the child. ``close()`` (or leaving a ``with`` block) ends calls in
/// flight with ``CancelledError`` and makes later calls raise ``InvalidInputError``.
#[pyclass(frozen, module = "imds")]
pub(crate) struct Client {
    shared: Arc<Shared>,
}

/// The engine of `imds.AsyncClient`: the same operations, returning asyncio futures.
#[pyclass(frozen, module = "imds._imds", name = "_AsyncCore")]
pub(crate) struct AsyncCore {
    shared: Arc<Shared>,
}

operations! {
    client {
        #[new]
        #[pyo3(signature = (
            *,
            endpoint = None,
            endpoint_mode = None,
            token_ttl = None,
            timeout = None,
            connect_timeout = None,
            max_attempts = None,
            deadline = None,
            backoff = None,
            disabled = None,
            v1_fallback = None,
            v1_disabled = None,
            unreachable_memory = None,
            max_response_size = None,
            cache_immutable = None,
            profile = None,
            config_file = None,
            environment = None,
        ))]
        #[allow(clippy::too_many_arguments)]
        fn new(
            py: Python<'_>,
            endpoint: Option<String>,
            endpoint_mode: Option<String>,
            token_ttl: Option<f64>,
            timeout: Option<f64>,
            connect_timeout: Option<f64>,
            max_attempts: Option<i64>,
            deadline: Option<f64>,
            backoff: Option<Bound<'_, PyAny>>,
            disabled: Option<bool>,
            v1_fallback: Option<bool>,
            v1_disabled: Option<bool>,
            unreachable_memory: Option<f64>,
            max_response_size: Option<i64>,
            cache_immutable: Option<bool>,
            profile: Option<String>,
            config_file: Option<PathBuf>,
            environment: Option<Bound<'_, PyAny>>,
        ) -> PyResult<Client> {
            let settings = Settings {
                endpoint,
                endpoint_mode,
                token_ttl,
                timeout,
                connect_timeout,
                max_attempts,
                deadline,
                backoff: backoff
                    .as_ref()
                    .map(|value| crate::settings::backoff(py, value))
                    .transpose()?,
                disabled,
                v1_fallback,
                v1_disabled,
                unreachable_memory,
                max_response_size,
                cache_immutable,
                profile,
                config_file,
                environment: environment
                    .as_ref()
                    .map(crate::settings::environment)
                    .transpose()?,
            };
            let client = settings
                .into_builder(py)?
                .build()
                .map_err(|error| errors::to_py(py, &error))?;
            Ok(Client {
                shared: Arc::new(Shared {
                    client,
                    closing: Cancel::new(),
                }),
            })
        }

        /// The endpoint requests go to, as resolved from code, environment or profile.
        #[getter]
        fn endpoint(&self) -> String {
            endpoint(&self.shared)
        }

        /// Every resolved setting as `{name: (value, source)}`, like `imds config`.
        fn config(&self) -> BTreeMap<&'static str, (String, String)> {
            config(&self.shared)
        }

        /// True once ``close()`` was called.
        #[getter]
        fn closed(&self) -> bool {
            self.shared.closing.is_cancelled()
        }

        /// Closes the client: calls in flight end with ``CancelledError``, the token and
        /// credentials are forgotten. Idempotent.
        fn close(&self) {
            self.shared.close();
        }

        /// Forgets the token, cached values, credentials and the memory of an unreachable
        /// endpoint; the next call starts from scratch.
        fn clear_caches(&self, py: Python<'_>) -> PyResult<()> {
            self.shared.core(py)?.clear_caches();
            Ok(())
        }

        fn __enter__(slf: Py<Self>) -> Py<Self> {
            slf
        }

        fn __exit__(
            &self,
            exc_type: &Bound<'_, PyAny>,
            exc_value: &Bound<'_, PyAny>,
            traceback: &Bound<'_, PyAny>,
        ) {
            let _ = (exc_type, exc_value, traceback);
            self.shared.close();
        }

        fn __repr__(&self) -> String {
            self.shared.repr("Client")
        }

        /// The engine of an `AsyncClient` sharing this client's caches and lifetime.
        fn _async_core(&self) -> AsyncCore {
            AsyncCore {
                shared: self.shared.clone(),
            }
        }
    }
    async_core {
        #[getter]
        fn endpoint(&self) -> String {
            endpoint(&self.shared)
        }

        fn config(&self) -> BTreeMap<&'static str, (String, String)> {
            config(&self.shared)
        }

        #[getter]
        fn closed(&self) -> bool {
            self.shared.closing.is_cancelled()
        }

        fn close(&self) {
            self.shared.close();
        }

        fn clear_caches(&self, py: Python<'_>) -> PyResult<()> {
            self.shared.core(py)?.clear_caches();
            Ok(())
        }

        fn __repr__(&self) -> String {
            self.shared.repr("AsyncClient")
        }
    }

    /// A metadata value as text, such as ``get_metadata("instance-id")``.
    ///
    /// ``path`` is relative to ``/latest/meta-data/``; a leading ``/`` is accepted. A
    /// malformed path raises ``InvalidInputError`` before anything is sent; an absent one
    /// ``NotFoundError``.
    fn get_metadata(path) -> String = |c| c.get_metadata(&path).await;
    /// A metadata value as raw ``bytes``.
    fn get_metadata_bytes(path) -> Vec<u8> =
        |c| c.get_metadata_bytes(&path).await.map(|b| b.to_vec());
    /// The entries of a metadata directory; subdirectories keep their trailing ``/``.
    fn list_metadata(path) -> Vec<String> = |c| c.list_metadata(&path).await;
    /// A dynamic data value, relative to ``/latest/dynamic/``.
    fn get_dynamic(path) -> String = |c| c.get_dynamic(&path).await;
    /// The user-data as ``bytes``, or ``None`` when the instance has none.
    fn user_data() -> Option<UserData> = |c| c.user_data().await.map(|d| d.map(UserData));
    /// The instance identity document, parsed; cached after the first answer.
    fn identity_document() -> IdentityDocument =
        |c| c.identity_document().await.map(IdentityDocument::from);
    /// The identity document exactly as IMDS sent it (and signed it).
    fn identity_document_bytes() -> Vec<u8> =
        |c| c.identity_document_bytes().await.map(|b| b.to_vec());
    /// The Region, such as ``us-east-1`` (never derived by trimming the zone name).
    fn region() -> String = |c| c.region().await;
    /// The Availability Zone, such as ``us-east-1a``.
    fn availability_zone() -> String = |c| c.availability_zone().await;
    /// The instance id, such as ``i-0123456789abcdef0``.
    fn instance_id() -> String = |c| c.instance_id().await;
    /// The role credentials of the attached instance profile.
    ///
    /// Cached, and refreshed ahead of expiry; during an IMDS outage the last good set is
    /// served while it lasts. ``NotFoundError`` when no role is attached,
    /// ``CredentialsError`` when IMDS answers with an error document.
    fn credentials() -> Credentials = |c| c.credentials().await.map(Credentials::from);
    /// The name of the role attached to the instance; ``NotFoundError`` when there is none.
    fn role_name() -> String = |c| c.role_name().await;
    /// The credentials of the named role.
    fn credentials_for_role(role) -> Credentials =
        |c| c.credentials_for_role(&role).await.map(Credentials::from);
    /// The attached instance profile (``iam/info``); ``NotFoundError`` when there is none.
    fn iam_info() -> IamInfo = |c| c.iam_info().await.map(IamInfo::from);
    /// The instance tags as a ``dict``; ``NotFoundError`` saying how to turn them on when
    /// tags in metadata are off.
    fn instance_tags() -> BTreeMap<String, String> = |c| c.instance_tags().await;
    /// Every network interface, primary first.
    fn network_interfaces() -> Vec<NetworkInterface> =
        |c| c.network_interfaces().await.map(each);
    /// The pending spot interruption, or ``None``. Poll every 5 s.
    fn spot_instance_action() -> Option<SpotInstanceAction> =
        |c| c.spot_instance_action().await.map(|a| a.map(SpotInstanceAction::from));
    /// The rebalance recommendation, or ``None``.
    fn rebalance_recommendation() -> Option<RebalanceRecommendation> =
        |c| c.rebalance_recommendation().await.map(|r| r.map(RebalanceRecommendation::from));
    /// Scheduled maintenance events; empty when there are none.
    fn scheduled_events() -> Vec<ScheduledEvent> = |c| c.scheduled_events().await.map(each);
    /// The Auto Scaling target lifecycle state (``InService``, ...), or ``None`` when the
    /// instance is not in an Auto Scaling group.
    fn autoscaling_target_state() -> Option<String> = |c| c.autoscaling_target_state().await;
    /// The identity document, after verifying its ``signature`` against ``certificate_pem``
    /// (the RSA certificate AWS publishes for the Region): ``SignatureInvalidError`` when it
    /// does not match, ``InvalidInputError`` when the certificate cannot be read.
    fn verified_identity_document(certificate_pem) -> IdentityDocument = |c| c
        .verified_identity_document(&certificate_pem)
        .await
        .map(IdentityDocument::from);
    /// The identity document carried by the ``rsa2048`` PKCS#7 form, after verifying it
    /// against ``certificate_pem``.
    fn verified_identity_document_pkcs7(certificate_pem) -> IdentityDocument = |c| c
        .verified_identity_document_pkcs7(&certificate_pem)
        .await
        .map(IdentityDocument::from);
}

fn endpoint(shared: &Shared) -> String {
    let url = shared.client.config().endpoint().value.as_str();
    url.trim_end_matches('/').to_owned()
}

fn config(shared: &Shared) -> BTreeMap<&'static str, (String, String)> {
    shared
        .client
        .config()
        .entries()
        .into_iter()
        .map(|entry| (entry.name, (entry.value, entry.source)))
        .collect()
}
