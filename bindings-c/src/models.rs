//! Typed results: credentials, the identity document, IAM info, network
//! interfaces and the spot, rebalance and maintenance notices.
//!
//! Each is immutable once returned, so any number of threads may read it.
//! Times are seconds since the Unix epoch (UTC). Strings are NUL-terminated
//! UTF-8 that live as long as the object; an absent optional string is
//! NULL. Objects reached through a list's `_get` belong to the list: never
//! free them.

use std::ffi::c_char;
use std::time::{SystemTime, UNIX_EPOCH};

use imds_core::Error;

use crate::ffi;
use crate::values::{imds_string_list, opt_ptr, opt_text, CText};

/// Seconds since the Unix epoch, negative before it.
pub(crate) fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// Writes an optional value through `out` when present; `out` may be NULL
/// to only test for presence.
fn present<T: Copy>(value: Option<T>, out: *mut T) -> bool {
    match value {
        Some(value) => {
            if !out.is_null() {
                // SAFETY: non-NULL, and C promises it points to a writable T.
                unsafe { out.write(value) };
            }
            true
        }
        None => false,
    }
}

/// A string field of a NULL-safe object, as a C string (NULL for a NULL object).
fn text_of<T>(object: *const T, field: impl FnOnce(&T) -> &CText) -> *const c_char {
    ffi::borrow(object, "object").map_or(std::ptr::null(), |o| field(o).as_ptr())
}

/// An optional string field, NULL when absent or for a NULL object.
fn opt_text_of<T>(object: *const T, field: impl FnOnce(&T) -> &Option<CText>) -> *const c_char {
    ffi::borrow(object, "object").map_or(std::ptr::null(), |o| opt_ptr(field(o)))
}

/// A list field, borrowed from its object; NULL when absent or for a NULL object.
fn list_of<T, L: ListField>(
    object: *const T,
    field: impl FnOnce(&T) -> &L,
) -> *const imds_string_list {
    ffi::borrow(object, "object").map_or(std::ptr::null(), |o| list_ptr(field(o)))
}

fn list_ptr<L: ListField>(list: &L) -> *const imds_string_list {
    list.as_list()
        .map_or(std::ptr::null(), |l| l as *const imds_string_list)
}

trait ListField {
    fn as_list(&self) -> Option<&imds_string_list>;
}

impl ListField for imds_string_list {
    fn as_list(&self) -> Option<&imds_string_list> {
        Some(self)
    }
}

impl ListField for Option<imds_string_list> {
    fn as_list(&self) -> Option<&imds_string_list> {
        self.as_ref()
    }
}

// ---------------------------------------------------------------------------------------
// Credentials

/// Temporary role credentials. Owned by the caller: free them with
/// `imds_credentials_free`, which wipes the secret key and session token
/// from memory.
pub struct imds_credentials {
    role: CText,
    access_key_id: CText,
    secret_access_key: CText,
    session_token: CText,
    expiration: i64,
    last_updated: Option<i64>,
}

impl imds_credentials {
    pub(crate) fn new(c: &imds_core::Credentials) -> Result<imds_credentials, Error> {
        Ok(imds_credentials {
            role: CText::new(&c.role, "the role name")?,
            access_key_id: CText::new(&c.access_key_id, "the access key id")?,
            secret_access_key: CText::new(c.secret_access_key.expose(), "the secret key")?,
            session_token: CText::new(c.session_token.expose(), "the session token")?,
            expiration: unix_seconds(c.expiration),
            last_updated: c.last_updated.map(unix_seconds),
        })
    }
}

/// The role the credentials belong to.
#[no_mangle]
pub extern "C" fn imds_credentials_role(credentials: *const imds_credentials) -> *const c_char {
    ffi_boundary! {
        text_of(credentials, |o| &o.role)
    }
}

/// The access key id.
#[no_mangle]
pub extern "C" fn imds_credentials_access_key_id(
    credentials: *const imds_credentials,
) -> *const c_char {
    ffi_boundary! {
        text_of(credentials, |o| &o.access_key_id)
    }
}

/// The secret access key. A secret: never log it.
#[no_mangle]
pub extern "C" fn imds_credentials_secret_access_key(
    credentials: *const imds_credentials,
) -> *const c_char {
    ffi_boundary! {
        text_of(credentials, |o| &o.secret_access_key)
    }
}

/// The session token. A secret: never log it.
#[no_mangle]
pub extern "C" fn imds_credentials_session_token(
    credentials: *const imds_credentials,
) -> *const c_char {
    ffi_boundary! {
        text_of(credentials, |o| &o.session_token)
    }
}

/// When the credentials stop working, in seconds since the Unix epoch:
/// IMDS's own value, never stretched. 0 for NULL.
#[no_mangle]
pub extern "C" fn imds_credentials_expiration(credentials: *const imds_credentials) -> i64 {
    ffi_boundary! {
        ffi::borrow(credentials, "credentials").map_or(0, |c| c.expiration)
    }
}

/// When IMDS issued the credentials: true and `*seconds_out` set (when not
/// NULL) if IMDS said, false otherwise (or for NULL credentials).
#[no_mangle]
pub extern "C" fn imds_credentials_last_updated(
    credentials: *const imds_credentials,
    seconds_out: *mut i64,
) -> bool {
    ffi_boundary! {
        ffi::borrow(credentials, "credentials")
            .is_ok_and(|c| present(c.last_updated, seconds_out))
    }
}

/// Frees credentials and wipes their secrets. NULL is a no-op.
#[no_mangle]
pub extern "C" fn imds_credentials_free(object: *mut imds_credentials) {
    ffi_boundary! {
        ffi::free(object)
    }
}

// ---------------------------------------------------------------------------------------
// Identity document

/// The instance identity document, parsed. Owned by the caller: free it
/// with `imds_identity_document_free`.
pub struct imds_identity_document {
    account_id: CText,
    architecture: Option<CText>,
    availability_zone: CText,
    billing_products: Option<imds_string_list>,
    devpay_product_codes: Option<imds_string_list>,
    marketplace_product_codes: Option<imds_string_list>,
    image_id: CText,
    instance_id: CText,
    instance_type: CText,
    kernel_id: Option<CText>,
    ramdisk_id: Option<CText>,
    pending_time: Option<CText>,
    private_ip: Option<CText>,
    region: CText,
    version: Option<CText>,
}

impl imds_identity_document {
    pub(crate) fn new(d: &imds_core::IdentityDocument) -> Result<imds_identity_document, Error> {
        const WHAT: &str = "the identity document";
        let list = |l: &Option<Vec<String>>| {
            l.as_deref()
                .map(|items| imds_string_list::new(items, WHAT))
                .transpose()
        };
        Ok(imds_identity_document {
            account_id: CText::new(&d.account_id, WHAT)?,
            architecture: opt_text(d.architecture.as_deref(), WHAT)?,
            availability_zone: CText::new(&d.availability_zone, WHAT)?,
            billing_products: list(&d.billing_products)?,
            devpay_product_codes: list(&d.devpay_product_codes)?,
            marketplace_product_codes: list(&d.marketplace_product_codes)?,
            image_id: CText::new(&d.image_id, WHAT)?,
            instance_id: CText::new(&d.instance_id, WHAT)?,
            instance_type: CText::new(&d.instance_type, WHAT)?,
            kernel_id: opt_text(d.kernel_id.as_deref(), WHAT)?,
            ramdisk_id: opt_text(d.ramdisk_id.as_deref(), WHAT)?,
            pending_time: opt_text(d.pending_time.as_deref(), WHAT)?,
            private_ip: opt_text(d.private_ip.as_deref(), WHAT)?,
            region: CText::new(&d.region, WHAT)?,
            version: opt_text(d.version.as_deref(), WHAT)?,
        })
    }
}

/// The AWS account that owns the instance.
#[no_mangle]
pub extern "C" fn imds_identity_document_account_id(
    document: *const imds_identity_document,
) -> *const c_char {
    ffi_boundary! {
        text_of(document, |o| &o.account_id)
    }
}

/// The Availability Zone, such as "us-east-1a".
#[no_mangle]
pub extern "C" fn imds_identity_document_availability_zone(
    document: *const imds_identity_document,
) -> *const c_char {
    ffi_boundary! {
        text_of(document, |o| &o.availability_zone)
    }
}

/// The AMI the instance was launched from.
#[no_mangle]
pub extern "C" fn imds_identity_document_image_id(
    document: *const imds_identity_document,
) -> *const c_char {
    ffi_boundary! {
        text_of(document, |o| &o.image_id)
    }
}

/// The instance id.
#[no_mangle]
pub extern "C" fn imds_identity_document_instance_id(
    document: *const imds_identity_document,
) -> *const c_char {
    ffi_boundary! {
        text_of(document, |o| &o.instance_id)
    }
}

/// The instance type, such as "m5.large".
#[no_mangle]
pub extern "C" fn imds_identity_document_instance_type(
    document: *const imds_identity_document,
) -> *const c_char {
    ffi_boundary! {
        text_of(document, |o| &o.instance_type)
    }
}

/// The Region, such as "us-east-1".
#[no_mangle]
pub extern "C" fn imds_identity_document_region(
    document: *const imds_identity_document,
) -> *const c_char {
    ffi_boundary! {
        text_of(document, |o| &o.region)
    }
}

/// "x86_64", "arm64", ...; NULL when absent.
#[no_mangle]
pub extern "C" fn imds_identity_document_architecture(
    document: *const imds_identity_document,
) -> *const c_char {
    ffi_boundary! {
        opt_text_of(document, |o| &o.architecture)
    }
}

/// The kernel id; NULL when absent.
#[no_mangle]
pub extern "C" fn imds_identity_document_kernel_id(
    document: *const imds_identity_document,
) -> *const c_char {
    ffi_boundary! {
        opt_text_of(document, |o| &o.kernel_id)
    }
}

/// The RAM disk id; NULL when absent.
#[no_mangle]
pub extern "C" fn imds_identity_document_ramdisk_id(
    document: *const imds_identity_document,
) -> *const c_char {
    ffi_boundary! {
        opt_text_of(document, |o| &o.ramdisk_id)
    }
}

/// When the instance was launched, as IMDS wrote it; NULL when absent.
#[no_mangle]
pub extern "C" fn imds_identity_document_pending_time(
    document: *const imds_identity_document,
) -> *const c_char {
    ffi_boundary! {
        opt_text_of(document, |o| &o.pending_time)
    }
}

/// The primary private IPv4 address; NULL when absent.
#[no_mangle]
pub extern "C" fn imds_identity_document_private_ip(
    document: *const imds_identity_document,
) -> *const c_char {
    ffi_boundary! {
        opt_text_of(document, |o| &o.private_ip)
    }
}

/// The document format version; NULL when absent.
#[no_mangle]
pub extern "C" fn imds_identity_document_version(
    document: *const imds_identity_document,
) -> *const c_char {
    ffi_boundary! {
        opt_text_of(document, |o| &o.version)
    }
}

/// Billing product codes; NULL when IMDS reports none (null). Owned by the
/// document.
#[no_mangle]
pub extern "C" fn imds_identity_document_billing_products(
    document: *const imds_identity_document,
) -> *const imds_string_list {
    ffi_boundary! {
        list_of(document, |o| &o.billing_products)
    }
}

/// DevPay product codes; NULL when IMDS reports none. Owned by the
/// document.
#[no_mangle]
pub extern "C" fn imds_identity_document_devpay_product_codes(
    document: *const imds_identity_document,
) -> *const imds_string_list {
    ffi_boundary! {
        list_of(document, |o| &o.devpay_product_codes)
    }
}

/// Marketplace product codes; NULL when IMDS reports none. Owned by the
/// document.
#[no_mangle]
pub extern "C" fn imds_identity_document_marketplace_product_codes(
    document: *const imds_identity_document,
) -> *const imds_string_list {
    ffi_boundary! {
        list_of(document, |o| &o.marketplace_product_codes)
    }
}

/// Frees an identity document. NULL is a no-op.
#[no_mangle]
pub extern "C" fn imds_identity_document_free(object: *mut imds_identity_document) {
    ffi_boundary! {
        ffi::free(object)
    }
}

// ---------------------------------------------------------------------------------------
// IAM info

/// The instance profile (`iam/info`). Owned by the caller: free it with
/// `imds_iam_info_free`.
pub struct imds_iam_info {
    code: CText,
    last_updated: Option<CText>,
    instance_profile_arn: CText,
    instance_profile_id: CText,
}

impl imds_iam_info {
    pub(crate) fn new(i: &imds_core::IamInfo) -> Result<imds_iam_info, Error> {
        const WHAT: &str = "iam/info";
        Ok(imds_iam_info {
            code: CText::new(&i.code, WHAT)?,
            last_updated: opt_text(i.last_updated.as_deref(), WHAT)?,
            instance_profile_arn: CText::new(&i.instance_profile_arn, WHAT)?,
            instance_profile_id: CText::new(&i.instance_profile_id, WHAT)?,
        })
    }
}

/// "Success" when the profile is healthy.
#[no_mangle]
pub extern "C" fn imds_iam_info_code(iam_info: *const imds_iam_info) -> *const c_char {
    ffi_boundary! {
        text_of(iam_info, |o| &o.code)
    }
}

/// The instance profile's ARN.
#[no_mangle]
pub extern "C" fn imds_iam_info_instance_profile_arn(
    iam_info: *const imds_iam_info,
) -> *const c_char {
    ffi_boundary! {
        text_of(iam_info, |o| &o.instance_profile_arn)
    }
}

/// The instance profile's id.
#[no_mangle]
pub extern "C" fn imds_iam_info_instance_profile_id(
    iam_info: *const imds_iam_info,
) -> *const c_char {
    ffi_boundary! {
        text_of(iam_info, |o| &o.instance_profile_id)
    }
}

/// When IMDS last updated this information, as IMDS wrote it; NULL when
/// absent.
#[no_mangle]
pub extern "C" fn imds_iam_info_last_updated(iam_info: *const imds_iam_info) -> *const c_char {
    ffi_boundary! {
        opt_text_of(iam_info, |o| &o.last_updated)
    }
}

/// Frees IAM info. NULL is a no-op.
#[no_mangle]
pub extern "C" fn imds_iam_info_free(object: *mut imds_iam_info) {
    ffi_boundary! {
        ffi::free(object)
    }
}

// ---------------------------------------------------------------------------------------
// Network interfaces

/// One network interface. Belongs to its `imds_network_interface_list`.
pub struct imds_network_interface {
    mac: CText,
    device_number: Option<u32>,
    interface_id: Option<CText>,
    local_ipv4s: imds_string_list,
    public_ipv4s: imds_string_list,
    ipv6s: imds_string_list,
    subnet_id: Option<CText>,
    subnet_ipv4_cidr_block: Option<CText>,
    vpc_id: Option<CText>,
    vpc_ipv4_cidr_blocks: imds_string_list,
    security_group_ids: imds_string_list,
    owner_id: Option<CText>,
}

impl imds_network_interface {
    fn new(n: &imds_core::NetworkInterface) -> Result<imds_network_interface, Error> {
        const WHAT: &str = "a network interface";
        Ok(imds_network_interface {
            mac: CText::new(&n.mac, WHAT)?,
            device_number: n.device_number,
            interface_id: opt_text(n.interface_id.as_deref(), WHAT)?,
            local_ipv4s: imds_string_list::new(&n.local_ipv4s, WHAT)?,
            public_ipv4s: imds_string_list::new(&n.public_ipv4s, WHAT)?,
            ipv6s: imds_string_list::new(&n.ipv6s, WHAT)?,
            subnet_id: opt_text(n.subnet_id.as_deref(), WHAT)?,
            subnet_ipv4_cidr_block: opt_text(n.subnet_ipv4_cidr_block.as_deref(), WHAT)?,
            vpc_id: opt_text(n.vpc_id.as_deref(), WHAT)?,
            vpc_ipv4_cidr_blocks: imds_string_list::new(&n.vpc_ipv4_cidr_blocks, WHAT)?,
            security_group_ids: imds_string_list::new(&n.security_group_ids, WHAT)?,
            owner_id: opt_text(n.owner_id.as_deref(), WHAT)?,
        })
    }
}

/// The MAC address, which names the interface in IMDS.
#[no_mangle]
pub extern "C" fn imds_network_interface_mac(
    interface: *const imds_network_interface,
) -> *const c_char {
    ffi_boundary! {
        text_of(interface, |o| &o.mac)
    }
}

/// The interface id ("eni-..."); NULL when absent.
#[no_mangle]
pub extern "C" fn imds_network_interface_interface_id(
    interface: *const imds_network_interface,
) -> *const c_char {
    ffi_boundary! {
        opt_text_of(interface, |o| &o.interface_id)
    }
}

/// The subnet id; NULL when absent.
#[no_mangle]
pub extern "C" fn imds_network_interface_subnet_id(
    interface: *const imds_network_interface,
) -> *const c_char {
    ffi_boundary! {
        opt_text_of(interface, |o| &o.subnet_id)
    }
}

/// The subnet's IPv4 CIDR block; NULL when absent.
#[no_mangle]
pub extern "C" fn imds_network_interface_subnet_ipv4_cidr_block(
    interface: *const imds_network_interface,
) -> *const c_char {
    ffi_boundary! {
        opt_text_of(interface, |o| &o.subnet_ipv4_cidr_block)
    }
}

/// The VPC id; NULL when absent.
#[no_mangle]
pub extern "C" fn imds_network_interface_vpc_id(
    interface: *const imds_network_interface,
) -> *const c_char {
    ffi_boundary! {
        opt_text_of(interface, |o| &o.vpc_id)
    }
}

/// The owner's account id; NULL when absent.
#[no_mangle]
pub extern "C" fn imds_network_interface_owner_id(
    interface: *const imds_network_interface,
) -> *const c_char {
    ffi_boundary! {
        opt_text_of(interface, |o| &o.owner_id)
    }
}

/// Private IPv4 addresses (possibly empty). Owned by the interface.
#[no_mangle]
pub extern "C" fn imds_network_interface_local_ipv4s(
    interface: *const imds_network_interface,
) -> *const imds_string_list {
    ffi_boundary! {
        list_of(interface, |o| &o.local_ipv4s)
    }
}

/// Public IPv4 addresses (possibly empty). Owned by the interface.
#[no_mangle]
pub extern "C" fn imds_network_interface_public_ipv4s(
    interface: *const imds_network_interface,
) -> *const imds_string_list {
    ffi_boundary! {
        list_of(interface, |o| &o.public_ipv4s)
    }
}

/// IPv6 addresses (possibly empty). Owned by the interface.
#[no_mangle]
pub extern "C" fn imds_network_interface_ipv6s(
    interface: *const imds_network_interface,
) -> *const imds_string_list {
    ffi_boundary! {
        list_of(interface, |o| &o.ipv6s)
    }
}

/// The VPC's IPv4 CIDR blocks (possibly empty). Owned by the interface.
#[no_mangle]
pub extern "C" fn imds_network_interface_vpc_ipv4_cidr_blocks(
    interface: *const imds_network_interface,
) -> *const imds_string_list {
    ffi_boundary! {
        list_of(interface, |o| &o.vpc_ipv4_cidr_blocks)
    }
}

/// Security group ids (possibly empty). Owned by the interface.
#[no_mangle]
pub extern "C" fn imds_network_interface_security_group_ids(
    interface: *const imds_network_interface,
) -> *const imds_string_list {
    ffi_boundary! {
        list_of(interface, |o| &o.security_group_ids)
    }
}

/// The device number (0 is the primary interface): true and `*number_out`
/// set (when not NULL) if IMDS lists it, false otherwise.
#[no_mangle]
pub extern "C" fn imds_network_interface_device_number(
    interface: *const imds_network_interface,
    number_out: *mut u32,
) -> bool {
    ffi_boundary! {
        ffi::borrow(interface, "interface")
            .is_ok_and(|n| present(n.device_number, number_out))
    }
}

/// Every network interface of the instance, primary first. Owned by the
/// caller: free it with `imds_network_interface_list_free`.
pub struct imds_network_interface_list {
    items: Vec<imds_network_interface>,
}

impl imds_network_interface_list {
    pub(crate) fn new(
        list: &[imds_core::NetworkInterface],
    ) -> Result<imds_network_interface_list, Error> {
        Ok(imds_network_interface_list {
            items: list
                .iter()
                .map(imds_network_interface::new)
                .collect::<Result<_, _>>()?,
        })
    }
}

/// The number of interfaces; 0 for NULL.
#[no_mangle]
pub extern "C" fn imds_network_interface_list_len(
    list: *const imds_network_interface_list,
) -> usize {
    ffi_boundary! {
        ffi::borrow(list, "list").map_or(0, |l| l.items.len())
    }
}

/// The interface at `index`, or NULL when out of range. Owned by the list.
#[no_mangle]
pub extern "C" fn imds_network_interface_list_get(
    list: *const imds_network_interface_list,
    index: usize,
) -> *const imds_network_interface {
    ffi_boundary! {
        ffi::borrow(list, "list")
            .ok()
            .and_then(|l| l.items.get(index))
            .map_or(std::ptr::null(), |n| n as *const imds_network_interface)
    }
}

/// Frees a list of interfaces, and the interfaces in it. NULL is a no-op.
#[no_mangle]
pub extern "C" fn imds_network_interface_list_free(object: *mut imds_network_interface_list) {
    ffi_boundary! {
        ffi::free(object)
    }
}

// ---------------------------------------------------------------------------------------
// Notices

/// A pending spot interruption. Owned by the caller: free it with
/// `imds_spot_action_free`.
pub struct imds_spot_action {
    action: CText,
    time: i64,
}

impl imds_spot_action {
    pub(crate) fn new(a: &imds_core::SpotInstanceAction) -> Result<imds_spot_action, Error> {
        Ok(imds_spot_action {
            action: CText::new(&a.action, "spot/instance-action")?,
            time: unix_seconds(a.time),
        })
    }
}

/// "terminate", "stop" or "hibernate".
#[no_mangle]
pub extern "C" fn imds_spot_action_action(action: *const imds_spot_action) -> *const c_char {
    ffi_boundary! {
        text_of(action, |o| &o.action)
    }
}

/// When the action happens, in seconds since the Unix epoch; 0 for NULL.
#[no_mangle]
pub extern "C" fn imds_spot_action_time(action: *const imds_spot_action) -> i64 {
    ffi_boundary! {
        ffi::borrow(action, "action").map_or(0, |a| a.time)
    }
}

/// Frees a spot action. NULL is a no-op.
#[no_mangle]
pub extern "C" fn imds_spot_action_free(object: *mut imds_spot_action) {
    ffi_boundary! {
        ffi::free(object)
    }
}

/// A rebalance recommendation. Owned by the caller: free it with
/// `imds_rebalance_recommendation_free`.
pub struct imds_rebalance_recommendation {
    notice_time: i64,
}

impl imds_rebalance_recommendation {
    pub(crate) fn new(r: &imds_core::RebalanceRecommendation) -> imds_rebalance_recommendation {
        imds_rebalance_recommendation {
            notice_time: unix_seconds(r.notice_time),
        }
    }
}

/// When the recommendation was issued, in seconds since the Unix epoch; 0
/// for NULL.
#[no_mangle]
pub extern "C" fn imds_rebalance_recommendation_notice_time(
    recommendation: *const imds_rebalance_recommendation,
) -> i64 {
    ffi_boundary! {
        ffi::borrow(recommendation, "recommendation").map_or(0, |r| r.notice_time)
    }
}

/// Frees a rebalance recommendation. NULL is a no-op.
#[no_mangle]
pub extern "C" fn imds_rebalance_recommendation_free(object: *mut imds_rebalance_recommendation) {
    ffi_boundary! {
        ffi::free(object)
    }
}

/// One scheduled maintenance event. Belongs to its
/// `imds_scheduled_event_list`.
pub struct imds_scheduled_event {
    code: CText,
    description: CText,
    event_id: CText,
    not_before: i64,
    not_after: Option<i64>,
    state: CText,
}

impl imds_scheduled_event {
    fn new(e: &imds_core::ScheduledEvent) -> Result<imds_scheduled_event, Error> {
        const WHAT: &str = "a scheduled event";
        Ok(imds_scheduled_event {
            code: CText::new(&e.code, WHAT)?,
            description: CText::new(&e.description, WHAT)?,
            event_id: CText::new(&e.event_id, WHAT)?,
            not_before: unix_seconds(e.not_before),
            not_after: e.not_after.map(unix_seconds),
            state: CText::new(&e.state, WHAT)?,
        })
    }
}

/// "instance-reboot", "system-reboot", "system-maintenance",
/// "instance-retirement" or "instance-stop".
#[no_mangle]
pub extern "C" fn imds_scheduled_event_code(event: *const imds_scheduled_event) -> *const c_char {
    ffi_boundary! {
        text_of(event, |o| &o.code)
    }
}

/// A description of the event.
#[no_mangle]
pub extern "C" fn imds_scheduled_event_description(
    event: *const imds_scheduled_event,
) -> *const c_char {
    ffi_boundary! {
        text_of(event, |o| &o.description)
    }
}

/// The event id, such as "instance-event-1234567890abcdef0".
#[no_mangle]
pub extern "C" fn imds_scheduled_event_event_id(
    event: *const imds_scheduled_event,
) -> *const c_char {
    ffi_boundary! {
        text_of(event, |o| &o.event_id)
    }
}

/// "active", "completed" or "canceled".
#[no_mangle]
pub extern "C" fn imds_scheduled_event_state(event: *const imds_scheduled_event) -> *const c_char {
    ffi_boundary! {
        text_of(event, |o| &o.state)
    }
}

/// The start of the event window, in seconds since the Unix epoch; 0 for
/// NULL.
#[no_mangle]
pub extern "C" fn imds_scheduled_event_not_before(event: *const imds_scheduled_event) -> i64 {
    ffi_boundary! {
        ffi::borrow(event, "event").map_or(0, |e| e.not_before)
    }
}

/// The end of the event window: true and `*seconds_out` set (when not NULL)
/// if IMDS gives one, false otherwise.
#[no_mangle]
pub extern "C" fn imds_scheduled_event_not_after(
    event: *const imds_scheduled_event,
    seconds_out: *mut i64,
) -> bool {
    ffi_boundary! {
        ffi::borrow(event, "event").is_ok_and(|e| present(e.not_after, seconds_out))
    }
}

/// Scheduled maintenance events (possibly none). Owned by the caller: free
/// it with `imds_scheduled_event_list_free`.
pub struct imds_scheduled_event_list {
    items: Vec<imds_scheduled_event>,
}

impl imds_scheduled_event_list {
    pub(crate) fn new(
        list: &[imds_core::ScheduledEvent],
    ) -> Result<imds_scheduled_event_list, Error> {
        Ok(imds_scheduled_event_list {
            items: list
                .iter()
                .map(imds_scheduled_event::new)
                .collect::<Result<_, _>>()?,
        })
    }
}

/// The number of events; 0 for NULL.
#[no_mangle]
pub extern "C" fn imds_scheduled_event_list_len(list: *const imds_scheduled_event_list) -> usize {
    ffi_boundary! {
        ffi::borrow(list, "list").map_or(0, |l| l.items.len())
    }
}

/// The event at `index`, or NULL when out of range. Owned by the list.
#[no_mangle]
pub extern "C" fn imds_scheduled_event_list_get(
    list: *const imds_scheduled_event_list,
    index: usize,
) -> *const imds_scheduled_event {
    ffi_boundary! {
        ffi::borrow(list, "list")
            .ok()
            .and_then(|l| l.items.get(index))
            .map_or(std::ptr::null(), |e| e as *const imds_scheduled_event)
    }
}

/// Frees a list of events, and the events in it. NULL is a no-op.
#[no_mangle]
pub extern "C" fn imds_scheduled_event_list_free(object: *mut imds_scheduled_event_list) {
    ffi_boundary! {
        ffi::free(object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_before_and_after_the_epoch() {
        use std::time::Duration;
        assert_eq!(unix_seconds(UNIX_EPOCH + Duration::from_secs(90)), 90);
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_secs(90)), -90);
    }
}
