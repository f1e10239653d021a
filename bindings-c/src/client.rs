//! `imds_client` and the calls it makes.
//!
//! Every call has the same shape: the client first, then the call's own
//! inputs, then optional `imds_call_options` (NULL for none), then the
//! output pointer. The output is written only when the call returns
//! `IMDS_OK`.

use std::ffi::c_char;
use std::future::Future;

use imds_core::blocking;
use imds_core::Error;

use crate::cancel::{imds_call_options, CallOptions};
use crate::config::imds_config;
use crate::error::imds_result;
use crate::ffi::{self, Out};
use crate::models::{
    imds_credentials, imds_iam_info, imds_identity_document, imds_network_interface_list,
    imds_rebalance_recommendation, imds_scheduled_event_list, imds_spot_action,
};
use crate::values::{imds_bytes, imds_string, imds_string_list, imds_string_map};

/// An IMDSv2 client: its configuration, session token, caches and
/// connections.
///
/// Thread-safe: share one client among any number of threads, and call it
/// from all of them at once; one token fetch serves them all. Free it with
/// `imds_client_free` once no call is in flight. In a child process after
/// `fork()` it keeps working.
pub struct imds_client {
    inner: blocking::Client,
}

/// Builds a client from `config` into `*client_out`.
///
/// Resolves every setting (code, then environment, then profile, then
/// default) and fails with `IMDS_ERR_INVALID_INPUT` naming a bad one and
/// where it came from. Sends nothing: the first call fetches the token. The
/// config is not consumed. Free the client with `imds_client_free`.
#[no_mangle]
pub extern "C" fn imds_client_new(
    config: *const imds_config,
    client_out: *mut *mut imds_client,
) -> imds_result {
    ffi_boundary! {
        let config = ffi::borrow(config, "config")?;
        let out = Out::new(client_out, "client_out")?;

        let inner = config.builder().build_blocking()?;
        out.boxed(imds_client { inner });
        Ok(())
    }
}

/// Frees a client and its caches. NULL is a no-op. No call may be in flight
/// on it.
#[no_mangle]
pub extern "C" fn imds_client_free(client: *mut imds_client) {
    ffi_boundary! {
        ffi::free(client)
    }
}

/// Forgets the cached token, immutable values, credentials and the memory
/// of an unreachable endpoint: the next call starts from scratch.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn imds_client_clear_caches(client: *const imds_client) -> imds_result {
    ffi_boundary! {
        let client = ffi::borrow(client, "client")?;

        client.inner.clear_caches();
        Ok(())
    }
}

/// One call in progress: the client, its options and where its result goes.
struct Call<'a, T> {
    client: &'a imds_client,
    options: CallOptions<'a>,
    out: Out<*mut T>,
}

impl<'a, T> Call<'a, T> {
    /// Checks the arguments every call has, before anything is sent.
    fn new(
        client: *const imds_client,
        options: *const imds_call_options,
        value_out: *mut *mut T,
    ) -> Result<Call<'a, T>, Error> {
        Ok(Call {
            client: ffi::borrow(client, "client")?,
            options: CallOptions::read(options)?,
            out: Out::new(value_out, "value_out")?,
        })
    }

    /// The async client whose operation the call runs.
    fn ops(&self) -> &'a imds_core::Client {
        self.client.inner.async_client()
    }

    /// Runs `operation` with the call's cancel handle and deadline, and hands its
    /// converted result to C.
    fn run<V>(
        self,
        operation: impl Future<Output = Result<V, Error>>,
        convert: impl FnOnce(V) -> Result<T, Error>,
    ) -> Result<(), Error> {
        let value = self
            .client
            .inner
            .run(self.options.cancel, self.options.deadline, operation)?;

        self.out.boxed(convert(value)?);
        Ok(())
    }

    /// Like [`run`](Call::run) for a result that may be absent: NULL goes to C then.
    fn run_optional<V>(
        self,
        operation: impl Future<Output = Result<Option<V>, Error>>,
        convert: impl FnOnce(V) -> Result<T, Error>,
    ) -> Result<(), Error> {
        let value = self
            .client
            .inner
            .run(self.options.cancel, self.options.deadline, operation)?;

        self.out.boxed_or_null(value.map(convert).transpose()?);
        Ok(())
    }
}

/// A metadata value as text, such as `"instance-id"` or
/// `"placement/region"`.
///
/// `path` (`path_len` bytes) is relative to `/latest/meta-data/`; a leading
/// "/" is accepted. A bad path fails with `IMDS_ERR_INVALID_INPUT` before
/// anything is sent; an absent one with `IMDS_ERR_NOT_FOUND`. Free the
/// string with `imds_string_free`.
#[no_mangle]
pub extern "C" fn imds_client_get_metadata(
    client: *const imds_client,
    path: *const c_char,
    path_len: usize,
    options: *const imds_call_options,
    value_out: *mut *mut imds_string,
) -> imds_result {
    ffi_boundary! {
        let call = Call::new(client, options, value_out)?;
        let path = ffi::text(path, path_len, "path")?;

        let ops = call.ops();
        call.run(ops.get_metadata(path), |v| Ok(imds_string::new(&v)))
    }
}

/// A metadata value as raw bytes. Free them with `imds_bytes_free`.
#[no_mangle]
pub extern "C" fn imds_client_get_metadata_bytes(
    client: *const imds_client,
    path: *const c_char,
    path_len: usize,
    options: *const imds_call_options,
    value_out: *mut *mut imds_bytes,
) -> imds_result {
    ffi_boundary! {
        let call = Call::new(client, options, value_out)?;
        let path = ffi::text(path, path_len, "path")?;

        let ops = call.ops();
        call.run(ops.get_metadata_bytes(path), |v| Ok(imds_bytes::new(&v)))
    }
}

/// The entries of a metadata directory, such as
/// `"network/interfaces/macs/"`; subdirectories keep their trailing "/".
/// Free the list with `imds_string_list_free`.
#[no_mangle]
pub extern "C" fn imds_client_list_metadata(
    client: *const imds_client,
    path: *const c_char,
    path_len: usize,
    options: *const imds_call_options,
    value_out: *mut *mut imds_string_list,
) -> imds_result {
    ffi_boundary! {
        let call = Call::new(client, options, value_out)?;
        let path = ffi::text(path, path_len, "path")?;

        let ops = call.ops();
        call.run(ops.list_metadata(path), |v| imds_string_list::new(&v, "a listing"))
    }
}

/// A dynamic data value, relative to `/latest/dynamic/`, such as
/// `"instance-identity/document"`. Free the string with `imds_string_free`.
#[no_mangle]
pub extern "C" fn imds_client_get_dynamic(
    client: *const imds_client,
    path: *const c_char,
    path_len: usize,
    options: *const imds_call_options,
    value_out: *mut *mut imds_string,
) -> imds_result {
    ffi_boundary! {
        let call = Call::new(client, options, value_out)?;
        let path = ffi::text(path, path_len, "path")?;

        let ops = call.ops();
        call.run(ops.get_dynamic(path), |v| Ok(imds_string::new(&v)))
    }
}

/// Role credentials for the named role (`role_len` bytes, one path
/// segment). Free them with `imds_credentials_free`.
#[no_mangle]
pub extern "C" fn imds_client_credentials_for_role(
    client: *const imds_client,
    role: *const c_char,
    role_len: usize,
    options: *const imds_call_options,
    value_out: *mut *mut imds_credentials,
) -> imds_result {
    ffi_boundary! {
        let call = Call::new(client, options, value_out)?;
        let role = ffi::text(role, role_len, "role")?;

        let ops = call.ops();
        call.run(ops.credentials_for_role(role), |v| imds_credentials::new(&v))
    }
}

/// Fetches the identity document and its signature, verifies the signature
/// against the PEM certificate `certificate_pem` (`certificate_pem_len`
/// bytes: AWS publishes one per Region) and returns the document. Fails
/// with `IMDS_ERR_SIGNATURE_INVALID` when it does not match. Free it with
/// `imds_identity_document_free`.
#[no_mangle]
pub extern "C" fn imds_client_verified_identity_document(
    client: *const imds_client,
    certificate_pem: *const c_char,
    certificate_pem_len: usize,
    options: *const imds_call_options,
    value_out: *mut *mut imds_identity_document,
) -> imds_result {
    ffi_boundary! {
        let call = Call::new(client, options, value_out)?;
        let pem = ffi::text(certificate_pem, certificate_pem_len, "certificate_pem")?;

        let ops = call.ops();
        call.run(ops.verified_identity_document(pem), |v| imds_identity_document::new(&v))
    }
}

/// Like `imds_client_verified_identity_document`, from the PKCS#7
/// (`rsa2048`) form.
#[no_mangle]
pub extern "C" fn imds_client_verified_identity_document_pkcs7(
    client: *const imds_client,
    certificate_pem: *const c_char,
    certificate_pem_len: usize,
    options: *const imds_call_options,
    value_out: *mut *mut imds_identity_document,
) -> imds_result {
    ffi_boundary! {
        let call = Call::new(client, options, value_out)?;
        let pem = ffi::text(certificate_pem, certificate_pem_len, "certificate_pem")?;

        let ops = call.ops();
        call.run(ops.verified_identity_document_pkcs7(pem), |v| imds_identity_document::new(&v))
    }
}

/// The user-data as bytes, or NULL in `*value_out` (with `IMDS_OK`) when
/// the instance has none. A secret: `imds_bytes_free` wipes it.
#[no_mangle]
pub extern "C" fn imds_client_user_data(
    client: *const imds_client,
    options: *const imds_call_options,
    value_out: *mut *mut imds_bytes,
) -> imds_result {
    ffi_boundary! {
        let call = Call::new(client, options, value_out)?;

        let ops = call.ops();
        call.run_optional(ops.user_data(), |v| Ok(imds_bytes::new(v.expose())))
    }
}

/// The instance identity document, parsed. Cached after the first answer.
/// Free it with `imds_identity_document_free`.
#[no_mangle]
pub extern "C" fn imds_client_identity_document(
    client: *const imds_client,
    options: *const imds_call_options,
    value_out: *mut *mut imds_identity_document,
) -> imds_result {
    ffi_boundary! {
        let call = Call::new(client, options, value_out)?;

        let ops = call.ops();
        call.run(ops.identity_document(), |v| imds_identity_document::new(&v))
    }
}

/// The identity document's raw bytes, exactly as signed. Free them with
/// `imds_bytes_free`.
#[no_mangle]
pub extern "C" fn imds_client_identity_document_bytes(
    client: *const imds_client,
    options: *const imds_call_options,
    value_out: *mut *mut imds_bytes,
) -> imds_result {
    ffi_boundary! {
        let call = Call::new(client, options, value_out)?;

        let ops = call.ops();
        call.run(ops.identity_document_bytes(), |v| Ok(imds_bytes::new(&v)))
    }
}

/// The Region, such as "us-east-1", from `placement/region`, else from the
/// identity document; never guessed from the zone name. Free it with
/// `imds_string_free`.
#[no_mangle]
pub extern "C" fn imds_client_region(
    client: *const imds_client,
    options: *const imds_call_options,
    value_out: *mut *mut imds_string,
) -> imds_result {
    ffi_boundary! {
        let call = Call::new(client, options, value_out)?;

        let ops = call.ops();
        call.run(ops.region(), |v| Ok(imds_string::new(&v)))
    }
}

/// The Availability Zone, such as "us-east-1a". Free it with
/// `imds_string_free`.
#[no_mangle]
pub extern "C" fn imds_client_availability_zone(
    client: *const imds_client,
    options: *const imds_call_options,
    value_out: *mut *mut imds_string,
) -> imds_result {
    ffi_boundary! {
        let call = Call::new(client, options, value_out)?;

        let ops = call.ops();
        call.run(ops.availability_zone(), |v| Ok(imds_string::new(&v)))
    }
}

/// The instance id, such as "i-0123456789abcdef0". Free it with
/// `imds_string_free`.
#[no_mangle]
pub extern "C" fn imds_client_instance_id(
    client: *const imds_client,
    options: *const imds_call_options,
    value_out: *mut *mut imds_string,
) -> imds_result {
    ffi_boundary! {
        let call = Call::new(client, options, value_out)?;

        let ops = call.ops();
        call.run(ops.instance_id(), |v| Ok(imds_string::new(&v)))
    }
}

/// The name of the IAM role attached to the instance; `IMDS_ERR_NOT_FOUND`
/// when there is none. Free it with `imds_string_free`.
#[no_mangle]
pub extern "C" fn imds_client_role_name(
    client: *const imds_client,
    options: *const imds_call_options,
    value_out: *mut *mut imds_string,
) -> imds_result {
    ffi_boundary! {
        let call = Call::new(client, options, value_out)?;

        let ops = call.ops();
        call.run(ops.role_name(), |v| Ok(imds_string::new(&v)))
    }
}

/// The instance profile (`iam/info`); `IMDS_ERR_NOT_FOUND` when no role is
/// attached. Free it with `imds_iam_info_free`.
#[no_mangle]
pub extern "C" fn imds_client_iam_info(
    client: *const imds_client,
    options: *const imds_call_options,
    value_out: *mut *mut imds_iam_info,
) -> imds_result {
    ffi_boundary! {
        let call = Call::new(client, options, value_out)?;

        let ops = call.ops();
        call.run(ops.iam_info(), |v| imds_iam_info::new(&v))
    }
}

/// The instance's role credentials, from cache while fresh, refreshed 5
/// minutes before they expire; during an IMDS outage the last good set is
/// returned until it expires. `IMDS_ERR_NOT_FOUND` when no role is
/// attached, `IMDS_ERR_CREDENTIALS_ERROR` when IMDS answers with an error
/// document. Free them with `imds_credentials_free`, which wipes the
/// secrets.
#[no_mangle]
pub extern "C" fn imds_client_credentials(
    client: *const imds_client,
    options: *const imds_call_options,
    value_out: *mut *mut imds_credentials,
) -> imds_result {
    ffi_boundary! {
        let call = Call::new(client, options, value_out)?;

        let ops = call.ops();
        call.run(ops.credentials(), |v| imds_credentials::new(&v))
    }
}

/// The instance tags, in key order. `IMDS_ERR_NOT_FOUND`, with a message
/// saying how to turn them on, when tags are not exposed in metadata. Free
/// the map with `imds_string_map_free`.
#[no_mangle]
pub extern "C" fn imds_client_instance_tags(
    client: *const imds_client,
    options: *const imds_call_options,
    value_out: *mut *mut imds_string_map,
) -> imds_result {
    ffi_boundary! {
        let call = Call::new(client, options, value_out)?;

        let ops = call.ops();
        call.run(ops.instance_tags(), |v| imds_string_map::new(&v, "an instance tag"))
    }
}

/// Every network interface, primary first. Free the list with
/// `imds_network_interface_list_free`.
#[no_mangle]
pub extern "C" fn imds_client_network_interfaces(
    client: *const imds_client,
    options: *const imds_call_options,
    value_out: *mut *mut imds_network_interface_list,
) -> imds_result {
    ffi_boundary! {
        let call = Call::new(client, options, value_out)?;

        let ops = call.ops();
        call.run(ops.network_interfaces(), |v| imds_network_interface_list::new(&v))
    }
}

/// The pending spot interruption, or NULL in `*value_out` (with `IMDS_OK`)
/// while there is none. Poll every 5 seconds. Free it with
/// `imds_spot_action_free`.
#[no_mangle]
pub extern "C" fn imds_client_spot_instance_action(
    client: *const imds_client,
    options: *const imds_call_options,
    value_out: *mut *mut imds_spot_action,
) -> imds_result {
    ffi_boundary! {
        let call = Call::new(client, options, value_out)?;

        let ops = call.ops();
        call.run_optional(ops.spot_instance_action(), |v| imds_spot_action::new(&v))
    }
}

/// The rebalance recommendation, or NULL in `*value_out` (with `IMDS_OK`)
/// while there is none. Free it with `imds_rebalance_recommendation_free`.
#[no_mangle]
pub extern "C" fn imds_client_rebalance_recommendation(
    client: *const imds_client,
    options: *const imds_call_options,
    value_out: *mut *mut imds_rebalance_recommendation,
) -> imds_result {
    ffi_boundary! {
        let call = Call::new(client, options, value_out)?;

        let ops = call.ops();
        call.run_optional(ops.rebalance_recommendation(), |v| Ok(imds_rebalance_recommendation::new(&v)))
    }
}

/// Scheduled maintenance events; an empty list when there are none. Free
/// the list with `imds_scheduled_event_list_free`.
#[no_mangle]
pub extern "C" fn imds_client_scheduled_events(
    client: *const imds_client,
    options: *const imds_call_options,
    value_out: *mut *mut imds_scheduled_event_list,
) -> imds_result {
    ffi_boundary! {
        let call = Call::new(client, options, value_out)?;

        let ops = call.ops();
        call.run(ops.scheduled_events(), |v| imds_scheduled_event_list::new(&v))
    }
}

/// The Auto Scaling target lifecycle state ("InService", "Terminated",
/// ...), or NULL in `*value_out` (with `IMDS_OK`) when the instance is not
/// in an Auto Scaling group. Free it with `imds_string_free`.
#[no_mangle]
pub extern "C" fn imds_client_autoscaling_target_state(
    client: *const imds_client,
    options: *const imds_call_options,
    value_out: *mut *mut imds_string,
) -> imds_result {
    ffi_boundary! {
        let call = Call::new(client, options, value_out)?;

        let ops = call.ops();
        call.run_optional(ops.autoscaling_target_state(), |v| Ok(imds_string::new(&v)))
    }
}
