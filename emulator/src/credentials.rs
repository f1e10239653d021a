//! Role credentials that rotate on a schedule, like the ones EC2 hands out.

use std::sync::RwLock;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::distributions::{Alphanumeric, DistString};
use rand::{Rng, RngCore};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use crate::format::{imds_json, iso8601};

/// One credential set.
#[derive(Debug, Clone)]
struct CredentialSet {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    issued: OffsetDateTime,
    expiration: OffsetDateTime,
}

impl CredentialSet {
    fn issue(now: OffsetDateTime, lifetime: Duration) -> CredentialSet {
        let mut rng = rand::thread_rng();
        const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let key_id: String = (0..16)
            .map(|_| char::from(UPPER[rng.gen_range(0..UPPER.len())]))
            .collect();
        let mut token = vec![0u8; 264];
        rng.fill_bytes(&mut token);
        CredentialSet {
            access_key_id: format!("ASIA{key_id}"),
            secret_access_key: Alphanumeric.sample_string(&mut rng, 40),
            session_token: STANDARD.encode(token),
            issued: now,
            expiration: now + lifetime,
        }
    }
}

/// A rotating credential source: a set is replaced by a fresh one `refresh_before` ahead of its
/// expiration, so a client always sees credentials with at least that much life left.
pub(crate) struct RotatingCredentials {
    current: RwLock<CredentialSet>,
    lifetime: Duration,
    refresh_before: Duration,
}

impl RotatingCredentials {
    pub fn new(lifetime_seconds: u64, refresh_before_seconds: u64) -> RotatingCredentials {
        let lifetime = Duration::seconds(lifetime_seconds.max(1) as i64);
        let refresh_before = Duration::seconds(refresh_before_seconds as i64);
        let now = OffsetDateTime::now_utc();
        RotatingCredentials {
            current: RwLock::new(CredentialSet::issue(now, lifetime)),
            lifetime,
            refresh_before,
        }
    }

    /// Replaces the current set now, whatever its age.
    pub fn rotate(&self) {
        let fresh = CredentialSet::issue(OffsetDateTime::now_utc(), self.lifetime);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = fresh;
    }

    fn current(&self) -> CredentialSet {
        let now = OffsetDateTime::now_utc();
        {
            let set = self.current.read().unwrap_or_else(|e| e.into_inner());
            if now < set.expiration - self.refresh_before {
                return set.clone();
            }
        }
        let mut set = self.current.write().unwrap_or_else(|e| e.into_inner());
        // Another request may have rotated while this one waited for the lock.
        if now >= set.expiration - self.refresh_before {
            *set = CredentialSet::issue(now, self.lifetime);
        }
        set.clone()
    }

    /// The `security-credentials/<role>` document.
    pub fn document(&self) -> String {
        let set = self.current();
        imds_json(&[
            ("Code", Value::from("Success")),
            ("LastUpdated", Value::from(iso8601(set.issued))),
            ("Type", Value::from("AWS-HMAC")),
            ("AccessKeyId", Value::from(set.access_key_id)),
            ("SecretAccessKey", Value::from(set.secret_access_key)),
            ("Token", Value::from(set.session_token)),
            ("Expiration", Value::from(iso8601(set.expiration))),
        ])
    }
}

/// The 200 document EC2 serves when the instance profile's role cannot be assumed.
pub(crate) fn error_document(role: &str) -> String {
    imds_json(&[
        ("Code", Value::from("AssumeRoleUnauthorizedAccess")),
        (
            "Message",
            Value::from(format!(
                "EC2 cannot assume the role {role}.  Please see documentation at \
                 https://docs.aws.amazon.com/IAM/latest/UserGuide/\
                 troubleshoot_iam-ec2.html#troubleshoot_iam-ec2_errors-info-doc."
            )),
        ),
        (
            "LastUpdated",
            Value::from(iso8601(OffsetDateTime::now_utc())),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_expire_after_their_lifetime_with_asia_key_ids() {
        let creds = RotatingCredentials::new(3600, 300);
        let doc: Value = serde_json::from_str(&creds.document()).unwrap();
        assert!(doc["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
        assert_eq!(doc["AccessKeyId"].as_str().unwrap().len(), 20);
        let parse = |v: &Value| {
            OffsetDateTime::parse(
                v.as_str().unwrap(),
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap()
        };
        let lifetime = parse(&doc["Expiration"]) - parse(&doc["LastUpdated"]);
        assert_eq!(lifetime, Duration::hours(1));
    }

    #[test]
    fn a_set_inside_its_refresh_window_is_replaced_on_read() {
        // A refresh window as long as the lifetime: every read falls inside it.
        let creds = RotatingCredentials::new(10, 10);
        let key = |c: &RotatingCredentials| {
            let doc: Value = serde_json::from_str(&c.document()).unwrap();
            doc["AccessKeyId"].as_str().unwrap().to_owned()
        };
        assert_ne!(key(&creds), key(&creds));
        let stable = RotatingCredentials::new(3600, 300);
        assert_eq!(key(&stable), key(&stable));
    }
}
