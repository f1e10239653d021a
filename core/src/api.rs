//! The public operations of the async client, raw and typed.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::client::{Client, Root};
use crate::error::{Error, ErrorKind, Result};
use crate::models::{
    self, IamInfo, IdentityDocument, NetworkInterface, RebalanceRecommendation, ScheduledEvent,
    SpotInstanceAction,
};
use crate::secret::SecretBytes;

impl Client {
    /// A metadata value as text, such as `get_metadata("instance-id")`.
    ///
    /// `path` is relative to `/latest/meta-data/`; a leading `/` is accepted. A bad path
    /// fails with `invalid_input` before anything is sent; an absent one with `not_found`.
    pub async fn get_metadata(&self, path: &str) -> Result<String> {
        let body = self.read("get_metadata", Root::MetaData, path).await?;
        models::text(&body, "metadata")
    }

    /// A metadata value as raw bytes.
    pub async fn get_metadata_bytes(&self, path: &str) -> Result<Bytes> {
        self.read("get_metadata", Root::MetaData, path).await
    }

    /// The entries of a metadata directory; subdirectories keep their trailing `/`.
    pub async fn list_metadata(&self, path: &str) -> Result<Vec<String>> {
        let body = self.read("list_metadata", Root::MetaData, path).await?;
        models::parse_listing(&body)
    }

    /// A dynamic data value, relative to `/latest/dynamic/`.
    pub async fn get_dynamic(&self, path: &str) -> Result<String> {
        let body = self.read("get_dynamic", Root::Dynamic, path).await?;
        models::text(&body, "dynamic data")
    }

    /// The user-data, or `None` when the instance has none. Treated as a secret.
    pub async fn user_data(&self) -> Result<Option<SecretBytes>> {
        let body = self.read_optional("user_data", Root::UserData, "").await?;
        // Taken over without a copy when the buffer is unshared, as it is straight off the
        // wire, so no unwiped copy of the user-data is left behind.
        Ok(body.map(|b| match b.try_into_mut() {
            Ok(owned) => SecretBytes::new(owned.into()),
            Err(shared) => SecretBytes::new(shared.to_vec()),
        }))
    }

    /// The instance identity document, parsed. Cached after the first answer.
    pub async fn identity_document(&self) -> Result<IdentityDocument> {
        let body = self
            .read(
                "identity_document",
                Root::Dynamic,
                "instance-identity/document",
            )
            .await?;
        IdentityDocument::parse(&body)
    }

    /// The raw bytes of the identity document, exactly as signed.
    pub async fn identity_document_bytes(&self) -> Result<Bytes> {
        self.read(
            "identity_document",
            Root::Dynamic,
            "instance-identity/document",
        )
        .await
    }

    /// The Region, from `placement/region`, else from the identity document.
    ///
    /// Never derived by trimming the zone name, which is wrong in Local Zones.
    pub async fn region(&self) -> Result<String> {
        match self
            .read("region", Root::MetaData, "placement/region")
            .await
        {
            Ok(body) => models::text(&body, "placement/region").map(|r| r.trim().to_owned()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(self.identity_document().await?.region),
            Err(e) => Err(e),
        }
    }

    /// The Availability Zone, such as `us-east-1a`.
    pub async fn availability_zone(&self) -> Result<String> {
        self.get_metadata("placement/availability-zone").await
    }

    /// The instance id, such as `i-0123456789abcdef0`.
    pub async fn instance_id(&self) -> Result<String> {
        self.get_metadata("instance-id").await
    }

    /// The instance profile (`iam/info`); `not_found` when no role is attached.
    pub async fn iam_info(&self) -> Result<IamInfo> {
        let body = self.read("iam_info", Root::MetaData, "iam/info").await?;
        IamInfo::parse(&body)
    }

    /// The instance tags exposed in metadata.
    ///
    /// Fails with `not_found` and a message saying how to turn them on when tags are not
    /// enabled in the instance's metadata options.
    pub async fn instance_tags(&self) -> Result<BTreeMap<String, String>> {
        let keys = match self.list_metadata("tags/instance/").await {
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    "instance tags are not available in metadata: turn them on with \
                     --instance-metadata-tags enable (modify-instance-metadata-options)",
                )
                .with_status(404))
            }
            other => other?,
        };
        let mut tags = BTreeMap::new();
        for key in keys {
            let value = self.get_metadata(&format!("tags/instance/{key}")).await?;
            tags.insert(key, value);
        }
        Ok(tags)
    }

    /// Every network interface, primary first.
    pub async fn network_interfaces(&self) -> Result<Vec<NetworkInterface>> {
        let macs = self.list_metadata("network/interfaces/macs/").await?;
        let mut interfaces = Vec::with_capacity(macs.len());
        for mac in macs {
            let mac = mac.trim_end_matches('/').to_owned();
            interfaces.push(self.network_interface(&mac).await?);
        }
        interfaces.sort_by_key(|i| i.device_number.unwrap_or(u32::MAX));
        Ok(interfaces)
    }

    async fn network_interface(&self, mac: &str) -> Result<NetworkInterface> {
        let base = format!("network/interfaces/macs/{mac}/");
        let present = self.list_metadata(&base).await?;
        let has = |name: &str| present.iter().any(|p| p.trim_end_matches('/') == name);
        let mut interface = NetworkInterface {
            mac: mac.to_owned(),
            ..NetworkInterface::default()
        };
        let one = |name: &'static str| {
            let path = format!("{base}{name}");
            async move { self.get_metadata(&path).await.map(|v| v.trim().to_owned()) }
        };
        let many = |name: &'static str| {
            let path = format!("{base}{name}");
            async move { models::parse_listing(&self.get_metadata_bytes(&path).await?) }
        };
        if has("device-number") {
            let raw = one("device-number").await?;
            interface.device_number = Some(raw.parse().map_err(|_| {
                Error::invalid_response(format!("device-number {raw:?} of {mac} is not a number"))
            })?);
        }
        if has("interface-id") {
            interface.interface_id = Some(one("interface-id").await?);
        }
        if has("subnet-id") {
            interface.subnet_id = Some(one("subnet-id").await?);
        }
        if has("subnet-ipv4-cidr-block") {
            interface.subnet_ipv4_cidr_block = Some(one("subnet-ipv4-cidr-block").await?);
        }
        if has("vpc-id") {
            interface.vpc_id = Some(one("vpc-id").await?);
        }
        if has("owner-id") {
            interface.owner_id = Some(one("owner-id").await?);
        }
        if has("local-ipv4s") {
            interface.local_ipv4s = many("local-ipv4s").await?;
        }
        if has("public-ipv4s") {
            interface.public_ipv4s = many("public-ipv4s").await?;
        }
        if has("ipv6s") {
            interface.ipv6s = many("ipv6s").await?;
        }
        if has("vpc-ipv4-cidr-blocks") {
            interface.vpc_ipv4_cidr_blocks = many("vpc-ipv4-cidr-blocks").await?;
        } else if has("vpc-ipv4-cidr-block") {
            interface.vpc_ipv4_cidr_blocks = many("vpc-ipv4-cidr-block").await?;
        }
        if has("security-group-ids") {
            interface.security_group_ids = many("security-group-ids").await?;
        }
        Ok(interface)
    }

    /// The pending spot interruption, or `None` while there is none. Poll every 5 s.
    pub async fn spot_instance_action(&self) -> Result<Option<SpotInstanceAction>> {
        let body = self
            .read_optional(
                "spot_instance_action",
                Root::MetaData,
                "spot/instance-action",
            )
            .await?;
        body.map(|b| SpotInstanceAction::parse(&b)).transpose()
    }

    /// The rebalance recommendation, or `None` while there is none.
    pub async fn rebalance_recommendation(&self) -> Result<Option<RebalanceRecommendation>> {
        let body = self
            .read_optional(
                "rebalance_recommendation",
                Root::MetaData,
                "events/recommendations/rebalance",
            )
            .await?;
        body.map(|b| RebalanceRecommendation::parse(&b)).transpose()
    }

    /// Scheduled maintenance events; empty when there are none.
    pub async fn scheduled_events(&self) -> Result<Vec<ScheduledEvent>> {
        let body = self
            .read_optional(
                "scheduled_events",
                Root::MetaData,
                "events/maintenance/scheduled",
            )
            .await?;
        match body {
            Some(b) if !b.iter().all(u8::is_ascii_whitespace) => ScheduledEvent::parse_list(&b),
            _ => Ok(Vec::new()),
        }
    }

    /// The Auto Scaling target lifecycle state (`InService`, `Terminated`, ...), or `None`
    /// when the instance is not in an Auto Scaling group.
    pub async fn autoscaling_target_state(&self) -> Result<Option<String>> {
        let body = self
            .read_optional(
                "autoscaling_target_state",
                Root::MetaData,
                "autoscaling/target-lifecycle-state",
            )
            .await?;
        body.map(|b| models::text(&b, "autoscaling state").map(|s| s.trim().to_owned()))
            .transpose()
    }

    /// Fetches the identity document and its `signature`, verifies the signature against
    /// `certificate_pem`, and returns the parsed document.
    ///
    /// Fails with `signature_invalid` when the signature does not match.
    pub async fn verified_identity_document(
        &self,
        certificate_pem: &str,
    ) -> Result<IdentityDocument> {
        let document = self.identity_document_bytes().await?;
        let signature = self
            .read(
                "identity_signature",
                Root::Dynamic,
                "instance-identity/signature",
            )
            .await?;
        let signature = models::text(&signature, "signature")?;
        crate::signature::verify_signature(&document, &signature, certificate_pem)?;
        IdentityDocument::parse(&document)
    }

    /// Fetches the `rsa2048` PKCS#7 form, verifies it against `certificate_pem`, and
    /// returns the document it carries, parsed.
    pub async fn verified_identity_document_pkcs7(
        &self,
        certificate_pem: &str,
    ) -> Result<IdentityDocument> {
        let pkcs7 = self
            .read(
                "identity_signature",
                Root::Dynamic,
                "instance-identity/rsa2048",
            )
            .await?;
        let pkcs7 = models::text(&pkcs7, "rsa2048")?;
        let document = crate::signature::verify_pkcs7(&pkcs7, certificate_pem)?;
        IdentityDocument::parse(&document)
    }
}
