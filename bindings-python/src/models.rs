//! Frozen, typed result objects.
//!
//! Each class keeps plain Rust values and converts on attribute access: times become
//! timezone-aware `datetime`s in UTC, sequences become tuples (the objects are immutable
//! and hashable, so their parts are too). `repr` shows every field except secrets.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{IntoPyDict, PyTuple};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

static DATETIME: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static UTC: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A timezone-aware `datetime` in UTC, exact to the microsecond.
fn datetime(py: Python<'_>, time: SystemTime) -> PyResult<Bound<'_, PyAny>> {
    let datetime = DATETIME.import(py, "datetime", "datetime")?;
    let utc = UTC.get_or_try_init(py, || {
        Ok::<_, PyErr>(
            py.import("datetime")?
                .getattr("timezone")?
                .getattr("utc")?
                .unbind(),
        )
    })?;
    let (seconds, micros) = match time.duration_since(UNIX_EPOCH) {
        Ok(after) => (after.as_secs() as i64, after.subsec_micros()),
        Err(before) => {
            let before = before.duration();
            let micros = before.subsec_micros();
            if micros == 0 {
                (-(before.as_secs() as i64), 0)
            } else {
                (-(before.as_secs() as i64) - 1, 1_000_000 - micros)
            }
        }
    };
    datetime
        .call_method1("fromtimestamp", (seconds, utc.bind(py)))?
        .call_method(
            "replace",
            (),
            Some(&[("microsecond", micros)].into_py_dict(py)?),
        )
}

fn optional_datetime(py: Python<'_>, time: Option<SystemTime>) -> PyResult<Bound<'_, PyAny>> {
    match time {
        Some(time) => datetime(py, time),
        None => Ok(py.None().into_bound(py)),
    }
}

/// IMDS writes some times as RFC 3339 text that the core keeps verbatim; anything that does
/// not parse is reported as absent rather than failing the whole call.
fn parse_time(text: Option<&str>) -> Option<SystemTime> {
    text.and_then(|t| OffsetDateTime::parse(t.trim(), &Rfc3339).ok())
        .map(SystemTime::from)
}

fn tuple<'py>(py: Python<'py>, items: &[String]) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(py, items)
}

fn optional_tuple<'py>(
    py: Python<'py>,
    items: &Option<Vec<String>>,
) -> PyResult<Bound<'py, PyAny>> {
    match items {
        Some(items) => Ok(tuple(py, items)?.into_any()),
        None => Ok(py.None().into_bound(py)),
    }
}

/// `Name(field=value, ...)` from fields already shown with [`show`].
fn repr(name: &str, fields: &[(&str, String)]) -> String {
    let fields: Vec<String> = fields
        .iter()
        .map(|(field, value)| format!("{field}={value}"))
        .collect();
    format!("{name}({})", fields.join(", "))
}

/// A value as Python's own `repr` shows it.
fn show(value: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(value.repr()?.to_string())
}

/// What `repr` shows in place of a secret.
const REDACTED: &str = "<redacted>";

fn hash_of(value: &impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// A field's value as Python's `repr` shows it.
macro_rules! value {
    ($py:expr, $v:expr) => {
        show(&$v.into_pyobject($py)?.into_any())?
    };
}

/// The instance identity document. Absent fields are `None`.
#[pyclass(frozen, eq, hash, module = "imds")]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct IdentityDocument {
    #[pyo3(get)]
    account_id: String,
    #[pyo3(get)]
    architecture: Option<String>,
    #[pyo3(get)]
    availability_zone: String,
    billing_products: Option<Vec<String>>,
    devpay_product_codes: Option<Vec<String>>,
    marketplace_product_codes: Option<Vec<String>>,
    #[pyo3(get)]
    image_id: String,
    #[pyo3(get)]
    instance_id: String,
    #[pyo3(get)]
    instance_type: String,
    #[pyo3(get)]
    kernel_id: Option<String>,
    #[pyo3(get)]
    ramdisk_id: Option<String>,
    pending_time: Option<SystemTime>,
    #[pyo3(get)]
    private_ip: Option<String>,
    #[pyo3(get)]
    region: String,
    #[pyo3(get)]
    version: Option<String>,
}

impl From<imds::IdentityDocument> for IdentityDocument {
    fn from(d: imds::IdentityDocument) -> Self {
        IdentityDocument {
            pending_time: parse_time(d.pending_time.as_deref()),
            account_id: d.account_id,
            architecture: d.architecture,
            availability_zone: d.availability_zone,
            billing_products: d.billing_products,
            devpay_product_codes: d.devpay_product_codes,
            marketplace_product_codes: d.marketplace_product_codes,
            image_id: d.image_id,
            instance_id: d.instance_id,
            instance_type: d.instance_type,
            kernel_id: d.kernel_id,
            ramdisk_id: d.ramdisk_id,
            private_ip: d.private_ip,
            region: d.region,
            version: d.version,
        }
    }
}

#[pymethods]
impl IdentityDocument {
    #[getter]
    fn billing_products<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        optional_tuple(py, &self.billing_products)
    }

    #[getter]
    fn devpay_product_codes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        optional_tuple(py, &self.devpay_product_codes)
    }

    #[getter]
    fn marketplace_product_codes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        optional_tuple(py, &self.marketplace_product_codes)
    }

    #[getter]
    fn pending_time<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        optional_datetime(py, self.pending_time)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(repr(
            "IdentityDocument",
            &[
                ("instance_id", value!(py, &self.instance_id)),
                ("region", value!(py, &self.region)),
                ("availability_zone", value!(py, &self.availability_zone)),
                ("account_id", value!(py, &self.account_id)),
                ("instance_type", value!(py, &self.instance_type)),
                ("image_id", value!(py, &self.image_id)),
                ("architecture", value!(py, &self.architecture)),
                ("private_ip", value!(py, &self.private_ip)),
                ("pending_time", show(&self.pending_time(py)?)?),
                ("kernel_id", value!(py, &self.kernel_id)),
                ("ramdisk_id", value!(py, &self.ramdisk_id)),
                ("billing_products", show(&self.billing_products(py)?)?),
                (
                    "devpay_product_codes",
                    show(&self.devpay_product_codes(py)?)?,
                ),
                (
                    "marketplace_product_codes",
                    show(&self.marketplace_product_codes(py)?)?,
                ),
                ("version", value!(py, &self.version)),
            ],
        ))
    }
}

/// Temporary role credentials.
///
/// `secret_access_key` and `session_token` are readable attributes, because handing them to
/// an AWS SDK is the point, but `repr` shows them as `<redacted>`, and they are left out of
/// the hash. The Rust copies are wiped from memory when the object is freed; the `str`
/// objects an attribute access returns are ordinary Python strings.
#[pyclass(frozen, eq, module = "imds")]
#[derive(PartialEq, Eq)]
pub(crate) struct Credentials {
    #[pyo3(get)]
    role: String,
    #[pyo3(get)]
    access_key_id: String,
    secret_access_key: imds::SecretString,
    session_token: imds::SecretString,
    expiration: SystemTime,
    last_updated: Option<SystemTime>,
}

impl From<imds::Credentials> for Credentials {
    fn from(c: imds::Credentials) -> Self {
        Credentials {
            role: c.role.clone(),
            access_key_id: c.access_key_id.clone(),
            secret_access_key: c.secret_access_key.clone(),
            session_token: c.session_token.clone(),
            expiration: c.expiration,
            last_updated: c.last_updated,
        }
    }
}

#[pymethods]
impl Credentials {
    #[getter]
    fn secret_access_key(&self) -> &str {
        self.secret_access_key.expose()
    }

    #[getter]
    fn session_token(&self) -> &str {
        self.session_token.expose()
    }

    #[getter]
    fn expiration<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        datetime(py, self.expiration)
    }

    #[getter]
    fn last_updated<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        optional_datetime(py, self.last_updated)
    }

    fn __hash__(&self) -> u64 {
        hash_of(&(&self.role, &self.access_key_id, self.expiration))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(repr(
            "Credentials",
            &[
                ("role", value!(py, &self.role)),
                ("access_key_id", value!(py, &self.access_key_id)),
                ("secret_access_key", REDACTED.to_owned()),
                ("session_token", REDACTED.to_owned()),
                ("expiration", show(&self.expiration(py)?)?),
                ("last_updated", show(&self.last_updated(py)?)?),
            ],
        ))
    }
}

/// The instance profile attached to the instance (`iam/info`).
#[pyclass(frozen, eq, hash, module = "imds")]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct IamInfo {
    #[pyo3(get)]
    code: String,
    last_updated: Option<SystemTime>,
    #[pyo3(get)]
    instance_profile_arn: String,
    #[pyo3(get)]
    instance_profile_id: String,
}

impl From<imds::IamInfo> for IamInfo {
    fn from(i: imds::IamInfo) -> Self {
        IamInfo {
            last_updated: parse_time(i.last_updated.as_deref()),
            code: i.code,
            instance_profile_arn: i.instance_profile_arn,
            instance_profile_id: i.instance_profile_id,
        }
    }
}

#[pymethods]
impl IamInfo {
    #[getter]
    fn last_updated<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        optional_datetime(py, self.last_updated)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(repr(
            "IamInfo",
            &[
                ("code", value!(py, &self.code)),
                (
                    "instance_profile_arn",
                    value!(py, &self.instance_profile_arn),
                ),
                ("instance_profile_id", value!(py, &self.instance_profile_id)),
                ("last_updated", show(&self.last_updated(py)?)?),
            ],
        ))
    }
}

/// One network interface. Items IMDS does not list are `None` or empty.
#[pyclass(frozen, eq, hash, module = "imds")]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct NetworkInterface {
    #[pyo3(get)]
    mac: String,
    #[pyo3(get)]
    device_number: Option<u32>,
    #[pyo3(get)]
    interface_id: Option<String>,
    local_ipv4s: Vec<String>,
    public_ipv4s: Vec<String>,
    ipv6s: Vec<String>,
    #[pyo3(get)]
    subnet_id: Option<String>,
    #[pyo3(get)]
    subnet_ipv4_cidr_block: Option<String>,
    #[pyo3(get)]
    vpc_id: Option<String>,
    vpc_ipv4_cidr_blocks: Vec<String>,
    security_group_ids: Vec<String>,
    #[pyo3(get)]
    owner_id: Option<String>,
}

impl From<imds::NetworkInterface> for NetworkInterface {
    fn from(n: imds::NetworkInterface) -> Self {
        NetworkInterface {
            mac: n.mac,
            device_number: n.device_number,
            interface_id: n.interface_id,
            local_ipv4s: n.local_ipv4s,
            public_ipv4s: n.public_ipv4s,
            ipv6s: n.ipv6s,
            subnet_id: n.subnet_id,
            subnet_ipv4_cidr_block: n.subnet_ipv4_cidr_block,
            vpc_id: n.vpc_id,
            vpc_ipv4_cidr_blocks: n.vpc_ipv4_cidr_blocks,
            security_group_ids: n.security_group_ids,
            owner_id: n.owner_id,
        }
    }
}

#[pymethods]
impl NetworkInterface {
    #[getter]
    fn local_ipv4s<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        tuple(py, &self.local_ipv4s)
    }

    #[getter]
    fn public_ipv4s<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        tuple(py, &self.public_ipv4s)
    }

    #[getter]
    fn ipv6s<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        tuple(py, &self.ipv6s)
    }

    #[getter]
    fn vpc_ipv4_cidr_blocks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        tuple(py, &self.vpc_ipv4_cidr_blocks)
    }

    #[getter]
    fn security_group_ids<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        tuple(py, &self.security_group_ids)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(repr(
            "NetworkInterface",
            &[
                ("mac", value!(py, &self.mac)),
                ("device_number", value!(py, self.device_number)),
                ("interface_id", value!(py, &self.interface_id)),
                ("local_ipv4s", show(&self.local_ipv4s(py)?.into_any())?),
                ("public_ipv4s", show(&self.public_ipv4s(py)?.into_any())?),
                ("ipv6s", show(&self.ipv6s(py)?.into_any())?),
                ("subnet_id", value!(py, &self.subnet_id)),
                (
                    "subnet_ipv4_cidr_block",
                    value!(py, &self.subnet_ipv4_cidr_block),
                ),
                ("vpc_id", value!(py, &self.vpc_id)),
                (
                    "vpc_ipv4_cidr_blocks",
                    show(&self.vpc_ipv4_cidr_blocks(py)?.into_any())?,
                ),
                (
                    "security_group_ids",
                    show(&self.security_group_ids(py)?.into_any())?,
                ),
                ("owner_id", value!(py, &self.owner_id)),
            ],
        ))
    }
}

/// A pending spot interruption: `action` (`terminate`, `stop`, `hibernate`) at `time`.
#[pyclass(frozen, eq, hash, module = "imds")]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct SpotInstanceAction {
    #[pyo3(get)]
    action: String,
    time: SystemTime,
}

impl From<imds::SpotInstanceAction> for SpotInstanceAction {
    fn from(s: imds::SpotInstanceAction) -> Self {
        SpotInstanceAction {
            action: s.action,
            time: s.time,
        }
    }
}

#[pymethods]
impl SpotInstanceAction {
    #[getter]
    fn time<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        datetime(py, self.time)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(repr(
            "SpotInstanceAction",
            &[
                ("action", value!(py, &self.action)),
                ("time", show(&self.time(py)?)?),
            ],
        ))
    }
}

/// A rebalance recommendation: the instance is at elevated risk of interruption.
#[pyclass(frozen, eq, hash, module = "imds")]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct RebalanceRecommendation {
    notice_time: SystemTime,
}

impl From<imds::RebalanceRecommendation> for RebalanceRecommendation {
    fn from(r: imds::RebalanceRecommendation) -> Self {
        RebalanceRecommendation {
            notice_time: r.notice_time,
        }
    }
}

#[pymethods]
impl RebalanceRecommendation {
    #[getter]
    fn notice_time<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        datetime(py, self.notice_time)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(repr(
            "RebalanceRecommendation",
            &[("notice_time", show(&self.notice_time(py)?)?)],
        ))
    }
}

/// One scheduled maintenance event.
#[pyclass(frozen, eq, hash, module = "imds")]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct ScheduledEvent {
    #[pyo3(get)]
    code: String,
    #[pyo3(get)]
    description: String,
    #[pyo3(get)]
    event_id: String,
    not_before: SystemTime,
    not_after: Option<SystemTime>,
    #[pyo3(get)]
    state: String,
}

impl From<imds::ScheduledEvent> for ScheduledEvent {
    fn from(e: imds::ScheduledEvent) -> Self {
        ScheduledEvent {
            code: e.code,
            description: e.description,
            event_id: e.event_id,
            not_before: e.not_before,
            not_after: e.not_after,
            state: e.state,
        }
    }
}

#[pymethods]
impl ScheduledEvent {
    #[getter]
    fn not_before<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        datetime(py, self.not_before)
    }

    #[getter]
    fn not_after<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        optional_datetime(py, self.not_after)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(repr(
            "ScheduledEvent",
            &[
                ("code", value!(py, &self.code)),
                ("event_id", value!(py, &self.event_id)),
                ("state", value!(py, &self.state)),
                ("not_before", show(&self.not_before(py)?)?),
                ("not_after", show(&self.not_after(py)?)?),
                ("description", value!(py, &self.description)),
            ],
        ))
    }
}
