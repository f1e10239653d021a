//! The emulated instance: every value the metadata tree and the documents are built from.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The instance's `HttpTokens` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum HttpTokens {
    /// IMDSv2 only: every metadata request needs a valid token (the emulator's default).
    #[default]
    Required,
    /// IMDSv1 and IMDSv2: tokenless requests work, a bad token still gets 401.
    Optional,
}

/// The instance's `HttpEndpoint` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum HttpEndpoint {
    /// The metadata service answers.
    #[default]
    Enabled,
    /// Every request on the metadata port gets 403.
    Disabled,
}

/// What the role credentials document contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CredentialsMode {
    /// `Code: Success` with a key pair and session token.
    #[default]
    Success,
    /// A 200 carrying `Code: AssumeRoleUnauthorizedAccess`, as EC2 sends when the role cannot
    /// be assumed.
    Error,
}

/// Error for a mode name that is not one of the accepted spellings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownMode(String);

impl fmt::Display for UnknownMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown mode `{}`", self.0)
    }
}

impl std::error::Error for UnknownMode {}

macro_rules! mode_from_str {
    ($ty:ty, $($name:literal => $value:path),+) => {
        impl FromStr for $ty {
            type Err = UnknownMode;

            fn from_str(s: &str) -> Result<Self, UnknownMode> {
                match s.to_ascii_lowercase().as_str() {
                    $($name => Ok($value),)+
                    _ => Err(UnknownMode(s.to_owned())),
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let name = match self { $($value => $name,)+ };
                f.write_str(name)
            }
        }
    };
}

mode_from_str!(HttpTokens, "required" => HttpTokens::Required, "optional" => HttpTokens::Optional);
mode_from_str!(
    HttpEndpoint,
    "enabled" => HttpEndpoint::Enabled,
    "disabled" => HttpEndpoint::Disabled
);
mode_from_str!(
    CredentialsMode,
    "success" => CredentialsMode::Success,
    "error" => CredentialsMode::Error
);

/// Every value of the emulated instance. A JSON file may set any subset of the fields (the rest
/// keep their defaults); unknown fields are rejected so a typo never goes unnoticed.
///
/// `Option` fields set to `null` remove the corresponding metadata entry (for example
/// `"iam_role": null` gives an instance without a role, so `iam/` answers 404).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InstanceConfig {
    /// `instance-id`.
    pub instance_id: String,
    /// `ami-id`.
    pub ami_id: String,
    /// `ami-launch-index`.
    pub ami_launch_index: u32,
    /// `instance-type`.
    pub instance_type: String,
    /// `instance-life-cycle`: `on-demand` or `spot`.
    pub instance_life_cycle: String,
    /// `reservation-id`.
    pub reservation_id: String,
    /// `product-codes`, one per line; absent when empty.
    pub product_codes: Vec<String>,
    /// `architecture` in the identity document.
    pub architecture: String,
    /// `kernelId` in the identity document (`null` when absent).
    pub kernel_id: Option<String>,
    /// `ramdiskId` in the identity document (`null` when absent).
    pub ramdisk_id: Option<String>,
    /// `pendingTime` in the identity document.
    pub pending_time: String,
    /// `placement/region` and `region` in the identity document.
    pub region: String,
    /// `placement/availability-zone`.
    pub availability_zone: String,
    /// `placement/availability-zone-id`.
    pub availability_zone_id: String,
    /// `placement/group-name`, only when set.
    pub placement_group_name: Option<String>,
    /// `placement/partition-number`, only when set.
    pub partition_number: Option<u32>,
    /// `placement/host-id`, only when set (dedicated hosts).
    pub host_id: Option<String>,
    /// The owning account: identity document `accountId`, interface `owner-id`.
    pub account_id: String,
    /// `local-ipv4`.
    pub local_ipv4: String,
    /// `public-ipv4`, absent when `null`.
    pub public_ipv4: Option<String>,
    /// `ipv6`, absent when `null`.
    pub ipv6: Option<String>,
    /// `mac`, also the directory under `network/interfaces/macs/`.
    pub mac: String,
    /// `hostname`.
    pub hostname: String,
    /// `local-hostname`.
    pub local_hostname: String,
    /// `public-hostname`, absent when `null`.
    pub public_hostname: Option<String>,
    /// `security-groups` (names), one per line.
    pub security_groups: Vec<String>,
    /// The interface's `security-group-ids`, one per line.
    pub security_group_ids: Vec<String>,
    /// The interface's `interface-id`.
    pub interface_id: String,
    /// The interface's `subnet-id`.
    pub subnet_id: String,
    /// The interface's `subnet-ipv4-cidr-block`.
    pub subnet_ipv4_cidr_block: String,
    /// The interface's `vpc-id`.
    pub vpc_id: String,
    /// The interface's `vpc-ipv4-cidr-block` (and the single line of `vpc-ipv4-cidr-blocks`).
    pub vpc_ipv4_cidr_block: String,
    /// The IAM role; `null` gives an instance without a role (`iam/` is then 404).
    pub iam_role: Option<String>,
    /// `InstanceProfileId` in `iam/info`.
    pub instance_profile_id: String,
    /// Lifetime of each credential set, in seconds.
    pub credentials_lifetime_seconds: u64,
    /// A new credential set is issued this many seconds before the current one expires.
    pub credentials_refresh_before_expiry_seconds: u64,
    /// Name of the key pair: `public-keys/` answers `0=<name>`; absent when `null`.
    pub public_key_name: Option<String>,
    /// `public-keys/0/openssh-key`.
    pub public_key: String,
    /// `block-device-mapping/<name>` = device.
    pub block_device_mapping: BTreeMap<String, String>,
    /// `services/domain`.
    pub services_domain: String,
    /// `services/partition`.
    pub services_partition: String,
    /// The user-data as text; `null` means no user-data (404). Binary user-data can be set
    /// through the admin API.
    pub user_data: Option<String>,
    /// Whether instance tags are exposed in metadata (`tags/instance/`).
    pub tags_enabled: bool,
    /// The instance tags, shown under `tags/instance/` when enabled.
    pub tags: BTreeMap<String, String>,
    /// Extra or replaced leaves, by path under `/latest/meta-data/` (`"placement/group-name":
    /// "g1"`); a `null` value removes that leaf or directory. They apply in path order, so a
    /// directory's override comes before those of its entries.
    pub metadata: BTreeMap<String, Option<String>>,
}

impl Default for InstanceConfig {
    fn default() -> Self {
        let strings = |values: &[&str]| values.iter().map(|v| (*v).to_owned()).collect();
        let pairs = |values: &[(&str, &str)]| {
            values
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        InstanceConfig {
            instance_id: "i-0b22a22eec53b9321".into(),
            ami_id: "ami-0abcdef1234567890".into(),
            ami_launch_index: 0,
            instance_type: "m5.large".into(),
            instance_life_cycle: "on-demand".into(),
            reservation_id: "r-0fa1e2d3c4b5a6978".into(),
            product_codes: Vec::new(),
            architecture: "x86_64".into(),
            kernel_id: None,
            ramdisk_id: None,
            pending_time: "2024-01-15T10:00:00Z".into(),
            region: "us-east-1".into(),
            availability_zone: "us-east-1a".into(),
            availability_zone_id: "use1-az4".into(),
            placement_group_name: None,
            partition_number: None,
            host_id: None,
            account_id: "123456789012".into(),
            local_ipv4: "172.31.16.5".into(),
            public_ipv4: Some("54.160.10.20".into()),
            ipv6: None,
            mac: "0e:49:61:0f:c3:11".into(),
            hostname: "ip-172-31-16-5.ec2.internal".into(),
            local_hostname: "ip-172-31-16-5.ec2.internal".into(),
            public_hostname: Some("ec2-54-160-10-20.compute-1.amazonaws.com".into()),
            security_groups: strings(&["emulator-sg"]),
            security_group_ids: strings(&["sg-0a1b2c3d4e5f67890"]),
            interface_id: "eni-0f1e2d3c4b5a69788".into(),
            subnet_id: "subnet-0a1b2c3d4e5f67891".into(),
            subnet_ipv4_cidr_block: "172.31.16.0/20".into(),
            vpc_id: "vpc-0a1b2c3d4e5f67892".into(),
            vpc_ipv4_cidr_block: "172.31.0.0/16".into(),
            iam_role: Some("emulator-role".into()),
            instance_profile_id: "AIPAEMULATORPROFILE01".into(),
            credentials_lifetime_seconds: 6 * 3600,
            credentials_refresh_before_expiry_seconds: 5 * 60,
            public_key_name: Some("my-key".into()),
            public_key: concat!(
                "ssh-ed25519 ",
                "AAAAC3NzaC1lZDI1NTE5AAAAIM/5x6CIDRZrqsA0zFiU4/1ZxMMxAaP1GnZqYcB8GJGq",
                " my-key"
            )
            .into(),
            block_device_mapping: pairs(&[("ami", "/dev/xvda"), ("root", "/dev/xvda")]),
            services_domain: "amazonaws.com".into(),
            services_partition: "aws".into(),
            user_data: Some("#!/bin/bash\necho hello from user-data\n".into()),
            tags_enabled: false,
            tags: pairs(&[("Environment", "test"), ("Name", "emulator")]),
            metadata: BTreeMap::new(),
        }
    }
}

impl InstanceConfig {
    /// Reads a JSON file holding any subset of the fields: the instance object alone. For a
    /// file that may also carry the mode, faults, credentials mode, notices and token
    /// capacity, use [`crate::EmulatorConfig::from_json_file`].
    pub fn from_json_file(path: &std::path::Path) -> std::io::Result<InstanceConfig> {
        let text = std::fs::read(path)?;
        serde_json::from_slice(&text).map_err(|err| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {err}", path.display()),
            )
        })
    }

    /// `arn:aws:iam::<account>:instance-profile/<role>` (when the instance has a role).
    pub fn instance_profile_arn(&self) -> Option<String> {
        let role = self.iam_role.as_ref()?;
        Some(format!(
            "arn:aws:iam::{}:instance-profile/{role}",
            self.account_id
        ))
    }
}
