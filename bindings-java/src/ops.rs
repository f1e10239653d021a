//! The operations Java can call, run on the core's shared runtime, and the shape of their
//! results.
//!
//! Java names an operation by its code, the ordinal of `dev.imds.Native.Op`; the Java tests
//! compare that enum with [`Op::ALL`] through `Native.operations()`, so the two lists
//! cannot drift apart unnoticed.

use std::future::Future;
use std::time::SystemTime;

use imds::{
    Credentials, IdentityDocument, NetworkInterface, ScheduledEvent, SecretBytes, SecretString,
};

/// One operation of the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    GetMetadata,
    ListMetadata,
    GetDynamic,
    UserData,
    IdentityDocument,
    Region,
    AvailabilityZone,
    InstanceId,
    Credentials,
    CredentialsForRole,
    IamInfo,
    InstanceTags,
    NetworkInterfaces,
    SpotInstanceAction,
    RebalanceRecommendation,
    ScheduledEvents,
    AutoscalingTargetState,
    VerifiedIdentityDocument,
    VerifiedIdentityDocumentPkcs7,
    GetMetadataBytes,
    IdentityDocumentBytes,
    RoleName,
}

impl Op {
    /// Every operation, in code order.
    pub(crate) const ALL: [Op; 22] = [
        Op::GetMetadata,
        Op::ListMetadata,
        Op::GetDynamic,
        Op::UserData,
        Op::IdentityDocument,
        Op::Region,
        Op::AvailabilityZone,
        Op::InstanceId,
        Op::Credentials,
        Op::CredentialsForRole,
        Op::IamInfo,
        Op::InstanceTags,
        Op::NetworkInterfaces,
        Op::SpotInstanceAction,
        Op::RebalanceRecommendation,
        Op::ScheduledEvents,
        Op::AutoscalingTargetState,
        Op::VerifiedIdentityDocument,
        Op::VerifiedIdentityDocumentPkcs7,
        Op::GetMetadataBytes,
        Op::IdentityDocumentBytes,
        Op::RoleName,
    ];

    /// The operation with `code`, if there is one.
    pub(crate) fn from_code(code: i32) -> Option<Op> {
        usize::try_from(code)
            .ok()
            .and_then(|index| Op::ALL.get(index).copied())
    }

    /// The name of the Java enum constant for this operation.
    pub(crate) fn java_name(self) -> &'static str {
        match self {
            Op::GetMetadata => "GET_METADATA",
            Op::ListMetadata => "LIST_METADATA",
            Op::GetDynamic => "GET_DYNAMIC",
            Op::UserData => "USER_DATA",
            Op::IdentityDocument => "IDENTITY_DOCUMENT",
            Op::Region => "REGION",
            Op::AvailabilityZone => "AVAILABILITY_ZONE",
            Op::InstanceId => "INSTANCE_ID",
            Op::Credentials => "CREDENTIALS",
            Op::CredentialsForRole => "CREDENTIALS_FOR_ROLE",
            Op::IamInfo => "IAM_INFO",
            Op::InstanceTags => "INSTANCE_TAGS",
            Op::NetworkInterfaces => "NETWORK_INTERFACES",
            Op::SpotInstanceAction => "SPOT_INSTANCE_ACTION",
            Op::RebalanceRecommendation => "REBALANCE_RECOMMENDATION",
            Op::ScheduledEvents => "SCHEDULED_EVENTS",
            Op::AutoscalingTargetState => "AUTOSCALING_TARGET_STATE",
            Op::VerifiedIdentityDocument => "VERIFIED_IDENTITY_DOCUMENT",
            Op::VerifiedIdentityDocumentPkcs7 => "VERIFIED_IDENTITY_DOCUMENT_PKCS7",
            Op::GetMetadataBytes => "GET_METADATA_BYTES",
            Op::IdentityDocumentBytes => "IDENTITY_DOCUMENT_BYTES",
            Op::RoleName => "ROLE_NAME",
        }
    }

    /// The name of the argument the operation needs, if it takes one.
    pub(crate) fn argument(self) -> Option<&'static str> {
        match self {
            Op::GetMetadata | Op::GetMetadataBytes | Op::ListMetadata | Op::GetDynamic => {
                Some("path")
            }
            Op::CredentialsForRole => Some("role"),
            Op::VerifiedIdentityDocument | Op::VerifiedIdentityDocumentPkcs7 => {
                Some("certificatePem")
            }
            _ => None,
        }
    }
}

/// A result on its way to Java, built without touching the JVM so that it can be made on
/// any thread. Shapes are documented on `dev.imds.Decode`, which reads them back.
#[derive(Debug)]
pub(crate) enum Value {
    /// `null`: an absent optional item.
    Null,
    /// A `String`.
    Text(String),
    /// A `String` holding a secret; the Rust copy is wiped when dropped.
    Secret(SecretString),
    /// A `String[]`.
    Texts(Vec<String>),
    /// A `byte[]`; the Rust copy is wiped when dropped.
    Bytes(SecretBytes),
    /// An `Object[]` of other values: a record, or a list of records.
    Tuple(Vec<Value>),
}

impl Value {
    fn optional(text: Option<String>) -> Value {
        text.map_or(Value::Null, Value::Text)
    }

    fn time(time: SystemTime) -> Value {
        Value::Text(imds::format_time(time))
    }
}

/// Runs `op` with `argument` on `client`.
pub(crate) async fn run(
    client: &imds::Client,
    op: Op,
    argument: Option<String>,
) -> imds::Result<Value> {
    let argument = argument.unwrap_or_default();
    let value = match op {
        Op::GetMetadata => Value::Text(client.get_metadata(&argument).await?),
        Op::ListMetadata => Value::Texts(client.list_metadata(&argument).await?),
        Op::GetDynamic => Value::Text(client.get_dynamic(&argument).await?),
        Op::UserData => client.user_data().await?.map_or(Value::Null, Value::Bytes),
        Op::IdentityDocument => identity_document(client.identity_document().await?),
        Op::Region => Value::Text(client.region().await?),
        Op::AvailabilityZone => Value::Text(client.availability_zone().await?),
        Op::InstanceId => Value::Text(client.instance_id().await?),
        Op::Credentials => credentials(client.credentials().await?),
        Op::CredentialsForRole => credentials(client.credentials_for_role(&argument).await?),
        Op::IamInfo => {
            let info = client.iam_info().await?;
            Value::Tuple(vec![
                Value::Text(info.code),
                Value::optional(info.last_updated),
                Value::Text(info.instance_profile_arn),
                Value::Text(info.instance_profile_id),
            ])
        }
        Op::InstanceTags => Value::Texts(
            client
                .instance_tags()
                .await?
                .into_iter()
                .flat_map(|(key, value)| [key, value])
                .collect(),
        ),
        Op::NetworkInterfaces => Value::Tuple(
            client
                .network_interfaces()
                .await?
                .into_iter()
                .map(network_interface)
                .collect(),
        ),
        Op::SpotInstanceAction => match client.spot_instance_action().await? {
            Some(action) => {
                Value::Tuple(vec![Value::Text(action.action), Value::time(action.time)])
            }
            None => Value::Null,
        },
        Op::RebalanceRecommendation => match client.rebalance_recommendation().await? {
            Some(notice) => Value::time(notice.notice_time),
            None => Value::Null,
        },
        Op::ScheduledEvents => Value::Tuple(
            client
                .scheduled_events()
                .await?
                .into_iter()
                .map(scheduled_event)
                .collect(),
        ),
        Op::AutoscalingTargetState => Value::optional(client.autoscaling_target_state().await?),
        Op::VerifiedIdentityDocument => {
            identity_document(client.verified_identity_document(&argument).await?)
        }
        Op::VerifiedIdentityDocumentPkcs7 => {
            identity_document(client.verified_identity_document_pkcs7(&argument).await?)
        }
        Op::GetMetadataBytes => bytes(client.get_metadata_bytes(&argument).await?),
        Op::IdentityDocumentBytes => bytes(client.identity_document_bytes().await?),
        Op::RoleName => Value::Text(client.role_name().await?),
    };
    Ok(value)
}

/// A body as `byte[]`. It goes through the wiped buffer user-data uses: one path for every
/// byte array, and a metadata value may be as sensitive as user-data.
fn bytes(body: impl AsRef<[u8]>) -> Value {
    Value::Bytes(SecretBytes::new(body.as_ref().to_vec()))
}

fn identity_document(document: IdentityDocument) -> Value {
    let list = |items: Option<Vec<String>>| items.map_or(Value::Null, Value::Texts);
    Value::Tuple(vec![
        Value::Text(document.account_id),
        Value::optional(document.architecture),
        Value::Text(document.availability_zone),
        list(document.billing_products),
        list(document.devpay_product_codes),
        list(document.marketplace_product_codes),
        Value::Text(document.image_id),
        Value::Text(document.instance_id),
        Value::Text(document.instance_type),
        Value::optional(document.kernel_id),
        Value::optional(document.ramdisk_id),
        Value::optional(document.pending_time),
        Value::optional(document.private_ip),
        Value::Text(document.region),
        Value::optional(document.version),
    ])
}

fn credentials(credentials: Credentials) -> Value {
    Value::Tuple(vec![
        Value::Text(credentials.role),
        Value::Text(credentials.access_key_id),
        Value::Secret(credentials.secret_access_key),
        Value::Secret(credentials.session_token),
        Value::time(credentials.expiration),
        credentials.last_updated.map_or(Value::Null, Value::time),
    ])
}

fn network_interface(interface: NetworkInterface) -> Value {
    Value::Tuple(vec![
        Value::Text(interface.mac),
        Value::optional(interface.device_number.map(|n| n.to_string())),
        Value::optional(interface.interface_id),
        Value::Texts(interface.local_ipv4s),
        Value::Texts(interface.public_ipv4s),
        Value::Texts(interface.ipv6s),
        Value::optional(interface.subnet_id),
        Value::optional(interface.subnet_ipv4_cidr_block),
        Value::optional(interface.vpc_id),
        Value::Texts(interface.vpc_ipv4_cidr_blocks),
        Value::Texts(interface.security_group_ids),
        Value::optional(interface.owner_id),
    ])
}

fn scheduled_event(event: ScheduledEvent) -> Value {
    Value::Tuple(vec![
        Value::Text(event.code),
        Value::Text(event.description),
        Value::Text(event.event_id),
        Value::time(event.not_before),
        event.not_after.map_or(Value::Null, Value::time),
        Value::Text(event.state),
    ])
}

/// Runs `future` to completion on the calling thread, driving it with the core's shared
/// runtime.
///
/// `block_in_place` makes this safe on a thread of that runtime too: a Java continuation
/// of a future runs there and may well call a blocking method of the client. Elsewhere it
/// only runs its closure.
pub(crate) fn block<T>(future: impl Future<Output = T>) -> T {
    tokio::task::block_in_place(|| imds::shared_runtime().block_on(future))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_names_are_unique() {
        for (index, op) in Op::ALL.iter().enumerate() {
            assert_eq!(Op::from_code(index as i32), Some(*op));
        }
        assert_eq!(Op::from_code(-1), None);
        assert_eq!(Op::from_code(Op::ALL.len() as i32), None);
        let mut names: Vec<_> = Op::ALL.iter().map(|op| op.java_name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Op::ALL.len());
    }
}
