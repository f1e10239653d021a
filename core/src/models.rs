//! Typed values parsed from IMDS answers.

use std::fmt;
use std::time::SystemTime;

use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::secret::SecretString;

/// The instance identity document (`dynamic/instance-identity/document`).
///
/// Fields IMDS reports as `null` are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IdentityDocument {
    /// The AWS account that owns the instance.
    pub account_id: String,
    /// `x86_64`, `arm64`, ...
    pub architecture: Option<String>,
    /// The Availability Zone, such as `us-east-1a`.
    pub availability_zone: String,
    /// Billing product codes.
    pub billing_products: Option<Vec<String>>,
    /// DevPay product codes.
    pub devpay_product_codes: Option<Vec<String>>,
    /// Marketplace product codes.
    pub marketplace_product_codes: Option<Vec<String>>,
    /// The AMI the instance was launched from.
    pub image_id: String,
    /// The instance id.
    pub instance_id: String,
    /// The instance type, such as `m5.large`.
    pub instance_type: String,
    /// The kernel id, if any.
    pub kernel_id: Option<String>,
    /// The RAM disk id, if any.
    pub ramdisk_id: Option<String>,
    /// When the instance was launched, as IMDS wrote it.
    pub pending_time: Option<String>,
    /// The primary private IPv4 address.
    pub private_ip: Option<String>,
    /// The Region, such as `us-east-1`.
    pub region: String,
    /// The document format version.
    pub version: Option<String>,
}

impl IdentityDocument {
    pub(crate) fn parse(bytes: &[u8]) -> Result<IdentityDocument> {
        serde_json::from_slice(bytes).map_err(|e| {
            Error::invalid_response(format!("the instance identity document is not valid: {e}"))
        })
    }
}

/// `iam/info`: the instance profile attached to the instance.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct IamInfo {
    /// `Success` when the profile is healthy.
    pub code: String,
    /// When IMDS last updated this information.
    pub last_updated: Option<String>,
    /// The instance profile's ARN.
    pub instance_profile_arn: String,
    /// The instance profile's id.
    pub instance_profile_id: String,
}

impl IamInfo {
    pub(crate) fn parse(bytes: &[u8]) -> Result<IamInfo> {
        serde_json::from_slice(bytes)
            .map_err(|e| Error::invalid_response(format!("iam/info is not valid: {e}")))
    }
}

/// Temporary role credentials. The secret key and session token are redacted in `Debug`
/// and wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Credentials {
    /// The role the credentials belong to.
    pub role: String,
    /// The access key id (not secret on its own).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: SecretString,
    /// The session token.
    pub session_token: SecretString,
    /// When the credentials stop working. Never stretched: this is IMDS's own value.
    pub expiration: SystemTime,
    /// When IMDS issued them, if it said.
    pub last_updated: Option<SystemTime>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("role", &self.role)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .field("expiration", &format_time(self.expiration))
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawCredentials {
    code: Option<String>,
    message: Option<String>,
    last_updated: Option<String>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    token: Option<String>,
    expiration: Option<String>,
}

impl Credentials {
    /// Parses a credentials document; an error document becomes `credentials error`.
    pub(crate) fn parse(role: &str, bytes: &[u8]) -> Result<Credentials> {
        let raw: RawCredentials = serde_json::from_slice(bytes).map_err(|_| {
            // serde's message could quote part of the document, which holds secrets.
            Error::invalid_response(format!(
                "the credentials document for role {role} is not valid JSON"
            ))
        })?;
        // Wrapped at once, so that every early return below wipes them too.
        let secret_access_key = raw.secret_access_key.map(SecretString::new);
        let session_token = raw.token.map(SecretString::new);
        let code = raw.code.as_deref().unwrap_or("Success");
        if code != "Success" {
            let hint = match code {
                "AssumeRoleUnauthorizedAccess" => {
                    ": the role's trust policy probably does not allow ec2.amazonaws.com to \
                     assume it, or the role was deleted and re-created; check the instance \
                     profile"
                }
                _ => ": check the instance profile attached to this instance",
            };
            let detail = raw.message.map(|m| format!(" ({m})")).unwrap_or_default();
            return Err(Error::new(
                crate::ErrorKind::CredentialsError,
                format!(
                    "IMDS returned {code} instead of credentials for role {role}{detail}{hint}"
                ),
            )
            .with_status(200));
        }
        let missing = |field: &str| {
            Error::invalid_response(format!(
                "the credentials document for role {role} has no {field}"
            ))
        };
        let expiration = raw.expiration.ok_or_else(|| missing("Expiration"))?;
        Ok(Credentials {
            role: role.to_owned(),
            access_key_id: raw.access_key_id.ok_or_else(|| missing("AccessKeyId"))?,
            secret_access_key: secret_access_key.ok_or_else(|| missing("SecretAccessKey"))?,
            session_token: session_token.ok_or_else(|| missing("Token"))?,
            expiration: parse_rfc3339(&expiration, "Expiration")?,
            last_updated: raw
                .last_updated
                .as_deref()
                .map(|t| parse_rfc3339(t, "LastUpdated"))
                .transpose()?,
        })
    }
}

/// `spot/instance-action`: the instance is about to be stopped, hibernated or terminated.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SpotInstanceAction {
    /// `terminate`, `stop` or `hibernate`.
    pub action: String,
    /// When the action happens.
    pub time: SystemTime,
}

impl SpotInstanceAction {
    pub(crate) fn parse(bytes: &[u8]) -> Result<SpotInstanceAction> {
        #[derive(Deserialize)]
        struct Raw {
            action: String,
            time: String,
        }
        let raw: Raw = serde_json::from_slice(bytes).map_err(|e| {
            Error::invalid_response(format!("spot/instance-action is not valid: {e}"))
        })?;
        Ok(SpotInstanceAction {
            action: raw.action,
            time: parse_rfc3339(&raw.time, "time")?,
        })
    }
}

/// `events/recommendations/rebalance`: the instance is at elevated risk of interruption.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RebalanceRecommendation {
    /// When the recommendation was issued.
    pub notice_time: SystemTime,
}

impl RebalanceRecommendation {
    pub(crate) fn parse(bytes: &[u8]) -> Result<RebalanceRecommendation> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Raw {
            notice_time: String,
        }
        let raw: Raw = serde_json::from_slice(bytes).map_err(|e| {
            Error::invalid_response(format!("the rebalance recommendation is not valid: {e}"))
        })?;
        Ok(RebalanceRecommendation {
            notice_time: parse_rfc3339(&raw.notice_time, "noticeTime")?,
        })
    }
}

/// One scheduled maintenance event (`events/maintenance/scheduled`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScheduledEvent {
    /// `instance-reboot`, `system-reboot`, `system-maintenance`, `instance-retirement`,
    /// `instance-stop`.
    pub code: String,
    /// A description of the event.
    pub description: String,
    /// The event id, such as `instance-event-1234567890abcdef0`.
    pub event_id: String,
    /// The start of the event window.
    pub not_before: SystemTime,
    /// The end of the event window, if given.
    pub not_after: Option<SystemTime>,
    /// `active`, `completed` or `canceled`.
    pub state: String,
}

impl ScheduledEvent {
    pub(crate) fn parse_list(bytes: &[u8]) -> Result<Vec<ScheduledEvent>> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Raw {
            code: String,
            #[serde(default)]
            description: String,
            event_id: String,
            not_before: String,
            not_after: Option<String>,
            #[serde(default)]
            state: String,
        }
        let raw: Vec<Raw> = serde_json::from_slice(bytes).map_err(|e| {
            Error::invalid_response(format!("the scheduled events are not valid: {e}"))
        })?;
        raw.into_iter()
            .map(|r| {
                Ok(ScheduledEvent {
                    code: r.code,
                    description: r.description,
                    event_id: r.event_id,
                    not_before: parse_event_date(&r.not_before)?,
                    not_after: r
                        .not_after
                        .as_deref()
                        .filter(|s| !s.is_empty())
                        .map(parse_event_date)
                        .transpose()?,
                    state: r.state,
                })
            })
            .collect()
    }
}

/// One network interface (`network/interfaces/macs/<mac>/`). Absent items are empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct NetworkInterface {
    /// The MAC address, which names the interface in IMDS.
    pub mac: String,
    /// The device number; 0 is the primary interface.
    pub device_number: Option<u32>,
    /// The interface id, `eni-...`.
    pub interface_id: Option<String>,
    /// Private IPv4 addresses.
    pub local_ipv4s: Vec<String>,
    /// Public IPv4 addresses.
    pub public_ipv4s: Vec<String>,
    /// IPv6 addresses.
    pub ipv6s: Vec<String>,
    /// The subnet id.
    pub subnet_id: Option<String>,
    /// The subnet's IPv4 CIDR block.
    pub subnet_ipv4_cidr_block: Option<String>,
    /// The VPC id.
    pub vpc_id: Option<String>,
    /// The VPC's IPv4 CIDR blocks.
    pub vpc_ipv4_cidr_blocks: Vec<String>,
    /// Security group ids.
    pub security_group_ids: Vec<String>,
    /// The interface owner's account id.
    pub owner_id: Option<String>,
}

/// Splits a listing into entries: one per line, directories keep their trailing `/`.
pub fn parse_listing(body: &[u8]) -> Result<Vec<String>> {
    let text = std::str::from_utf8(body)
        .map_err(|_| Error::invalid_response("a listing from IMDS is not valid UTF-8"))?;
    Ok(text
        .split('\n')
        .map(|line| line.trim_end_matches('\r'))
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect())
}

/// Decodes a text answer.
pub(crate) fn text(body: &[u8], what: &str) -> Result<String> {
    String::from_utf8(body.to_vec())
        .map_err(|_| Error::invalid_response(format!("{what} from IMDS is not valid UTF-8")))
}

fn parse_rfc3339(value: &str, field: &str) -> Result<SystemTime> {
    OffsetDateTime::parse(value.trim(), &Rfc3339)
        .map(SystemTime::from)
        .map_err(|_| Error::invalid_response(format!("{field} {value:?} is not an RFC 3339 time")))
}

/// Parses the date format of scheduled events: `21 Jan 2019 09:00:43 GMT`.
pub(crate) fn parse_event_date(value: &str) -> Result<SystemTime> {
    let format = time::macros::format_description!(
        "[day padding:none] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(value.trim(), &format)
        .map(|dt| SystemTime::from(dt.assume_utc()))
        .map_err(|_| {
            Error::invalid_response(format!(
                "event date {value:?} is not in IMDS's format (21 Jan 2019 09:00:43 GMT)"
            ))
        })
}

/// Formats a time as RFC 3339 UTC, for display.
pub fn format_time(time: SystemTime) -> String {
    OffsetDateTime::from(time)
        .format(&Rfc3339)
        .unwrap_or_else(|_| "?".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_keep_directories_and_tolerate_a_missing_final_newline() {
        assert_eq!(
            parse_listing(b"ami-id\nplacement/\r\nmac").unwrap(),
            vec!["ami-id", "placement/", "mac"]
        );
        assert_eq!(parse_listing(b"a\n").unwrap(), vec!["a"]);
        assert!(parse_listing(b"").unwrap().is_empty());
        assert!(parse_listing(&[0xff, 0xfe]).is_err());
    }

    #[test]
    fn event_dates_parse_in_imds_format() {
        let t = parse_event_date("21 Jan 2019 09:00:43 GMT").unwrap();
        assert_eq!(format_time(t), "2019-01-21T09:00:43Z");
        assert_eq!(
            format_time(parse_event_date("5 Feb 2019 01:02:03 GMT").unwrap()),
            "2019-02-05T01:02:03Z"
        );
        assert!(parse_event_date("2019-01-21T09:00:43Z").is_err());
    }

    #[test]
    fn credentials_error_document_names_the_cause_without_secrets() {
        let doc = br#"{"Code":"AssumeRoleUnauthorizedAccess","Message":"EC2 cannot assume","LastUpdated":"2026-01-01T00:00:00Z"}"#;
        let err = Credentials::parse("web", doc).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::CredentialsError);
        assert!(err.message().contains("trust policy"));
    }

    #[test]
    fn credentials_debug_redacts_secrets() {
        let doc = br#"{"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIAX","SecretAccessKey":"wJalrSECRET","Token":"IQoSESSION","Expiration":"2030-01-01T00:00:00Z"}"#;
        let creds = Credentials::parse("web", doc).unwrap();
        let debug = format!("{creds:?}");
        assert!(!debug.contains("wJalrSECRET") && !debug.contains("IQoSESSION"));
        assert!(debug.contains("ASIAX"));
        let garbage = Credentials::parse("web", b"{\"SecretAccessKey\": wJalrSECRET").unwrap_err();
        assert!(!garbage.message().contains("wJalrSECRET"));
    }
}
