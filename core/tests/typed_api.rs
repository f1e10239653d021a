//! The typed API against the emulator's default instance, events, credentials and
//! signatures.

mod common;

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use common::{emulator, emulator_with, isolated};
use imds::ErrorKind;
use imds_emulator::{CredentialsMode, Faults, InstanceConfig, MaintenanceEvent, SpotAction};
use rsa::pkcs1v15::{Signature, SigningKey};
use rsa::signature::Keypair;
use rsa::RsaPrivateKey;
use sha2::{Digest, Sha256};
use x509_cert::builder::{Builder as _, CertificateBuilder, Profile};
use x509_cert::der::{pem::LineEnding, EncodePem};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

/// A well-formed self-signed RSA-2048 certificate whose key the emulator never signed
/// with. Made once per test process: key generation is the slow part.
fn foreign_rsa_certificate_pem() -> &'static str {
    static PEM: OnceLock<String> = OnceLock::new();
    PEM.get_or_init(|| {
        let key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("an RSA key");
        let signer = SigningKey::<Sha256>::new(key);
        let public = SubjectPublicKeyInfoOwned::from_key(signer.verifying_key())
            .expect("the public key encodes");
        CertificateBuilder::new(
            Profile::Root,
            SerialNumber::from(7u32),
            Validity::from_now(Duration::from_secs(24 * 3600)).expect("a validity period"),
            Name::from_str("CN=not the imds emulator,O=imds core tests").expect("a name"),
            public,
            &signer,
        )
        .expect("a certificate builder")
        .build::<Signature>()
        .expect("a signed certificate")
        .to_pem(LineEnding::LF)
        .expect("PEM encoding")
    })
}

/// Replaces every occurrence of `from` in `bytes` with `to`, of the same length.
fn replace_all(bytes: &mut [u8], from: &[u8], to: &[u8]) -> usize {
    assert_eq!(from.len(), to.len());
    let mut replaced = 0;
    let mut at = 0;
    while at + from.len() <= bytes.len() {
        if &bytes[at..at + from.len()] == from {
            bytes[at..at + from.len()].copy_from_slice(to);
            replaced += 1;
            at += from.len();
        } else {
            at += 1;
        }
    }
    replaced
}

#[tokio::test]
async fn reads_the_default_instance() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).build().unwrap();

    assert_eq!(client.instance_id().await.unwrap(), "i-0b22a22eec53b9321");
    assert_eq!(client.region().await.unwrap(), "us-east-1");
    assert_eq!(client.availability_zone().await.unwrap(), "us-east-1a");
    assert_eq!(
        client.get_metadata("/ami-id").await.unwrap(),
        "ami-0abcdef1234567890"
    );

    let root = client.list_metadata("").await.unwrap();
    assert!(root.contains(&"instance-id".to_owned()), "{root:?}");
    assert!(root.contains(&"placement/".to_owned()), "{root:?}");
    // `X` and `X/` are the same directory.
    assert_eq!(
        client.list_metadata("placement").await.unwrap(),
        client.list_metadata("placement/").await.unwrap()
    );

    let document = client.identity_document().await.unwrap();
    assert_eq!(document.instance_id, "i-0b22a22eec53b9321");
    assert_eq!(document.account_id, "123456789012");
    assert_eq!(document.region, "us-east-1");
    assert_eq!(document.instance_type, "m5.large");
    let raw_document = client
        .get_dynamic("instance-identity/document")
        .await
        .unwrap();
    assert!(raw_document.contains("\"accountId\""));

    let user_data = client
        .user_data()
        .await
        .unwrap()
        .expect("default user-data");
    assert_eq!(
        user_data.expose(),
        b"#!/bin/bash\necho hello from user-data\n"
    );

    let iam = client.iam_info().await.unwrap();
    assert_eq!(
        iam.instance_profile_arn,
        "arn:aws:iam::123456789012:instance-profile/emulator-role"
    );

    let interfaces = client.network_interfaces().await.unwrap();
    assert_eq!(interfaces[0].mac, "0e:49:61:0f:c3:11");
    assert_eq!(interfaces[0].device_number, Some(0));
    assert_eq!(interfaces[0].local_ipv4s, vec!["172.31.16.5"]);
    assert!(interfaces[0].vpc_id.as_deref().unwrap().starts_with("vpc-"));
}

#[tokio::test]
async fn absent_items_are_none_or_empty_not_errors() {
    let emu = emulator();
    emu.control().set_user_data(None);
    let client = isolated(&emu.endpoint()).build().unwrap();

    assert!(client.user_data().await.unwrap().is_none());
    assert!(client.spot_instance_action().await.unwrap().is_none());
    assert!(client.rebalance_recommendation().await.unwrap().is_none());
    assert!(client.scheduled_events().await.unwrap().is_empty());
    assert!(client.autoscaling_target_state().await.unwrap().is_none());
}

#[tokio::test]
async fn scheduled_notices_appear_in_imds_formats() {
    let emu = emulator();
    let control = emu.control();
    control.schedule_spot(SpotAction::Terminate, Duration::ZERO);
    control.schedule_rebalance(Duration::ZERO);
    control.schedule_maintenance(MaintenanceEvent {
        code: "system-reboot".into(),
        description: "scheduled reboot".into(),
        in_seconds: 0,
        starts_after_seconds: Some(3600),
        duration_seconds: None,
    });
    control.set_autoscaling_state(Some("InService".into()));
    let client = isolated(&emu.endpoint()).build().unwrap();

    let spot = client
        .spot_instance_action()
        .await
        .unwrap()
        .expect("spot notice");
    assert_eq!(spot.action, "terminate");
    assert!(spot.time > SystemTime::now() - Duration::from_secs(60));
    assert!(client.rebalance_recommendation().await.unwrap().is_some());
    let events = client.scheduled_events().await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].code, "system-reboot");
    assert!(events[0].not_before > SystemTime::now());
    assert_eq!(
        client.autoscaling_target_state().await.unwrap().as_deref(),
        Some("InService")
    );
}

#[tokio::test]
async fn instance_tags_have_a_distinct_error_when_not_enabled() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).build().unwrap();
    let err = client.instance_tags().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.message().contains("instance-metadata-tags"), "{err}");

    let tags = BTreeMap::from([("Name".to_owned(), "plc-7".to_owned())]);
    emu.control().set_tags(true, tags.clone());
    assert_eq!(client.instance_tags().await.unwrap(), tags);
}

#[tokio::test]
async fn region_comes_from_placement_never_from_the_zone_name() {
    let emu = emulator_with(InstanceConfig {
        region: "us-west-2".into(),
        availability_zone: "us-west-2-lax-1a".into(),
        ..InstanceConfig::default()
    });
    let client = isolated(&emu.endpoint()).build().unwrap();
    assert_eq!(client.region().await.unwrap(), "us-west-2");

    // Without placement/region the identity document answers, not the zone.
    emu.control().remove_metadata("placement/region");
    let fresh = isolated(&emu.endpoint()).build().unwrap();
    assert_eq!(fresh.region().await.unwrap(), "us-west-2");
}

#[tokio::test]
async fn credentials_are_cached_and_secrets_stay_out_of_debug() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).build().unwrap();
    let first = client.credentials().await.unwrap();
    assert_eq!(first.role, "emulator-role");
    assert!(first.access_key_id.starts_with("ASIA"));
    assert!(first.expiration > SystemTime::now());
    let second = client.credentials().await.unwrap();
    assert_eq!(first, second);
    let reads = emu.control().counters().reads["200"];
    client.credentials().await.unwrap();
    assert_eq!(
        emu.control().counters().reads["200"],
        reads,
        "served from cache"
    );

    let debug = format!("{first:?}");
    assert!(!debug.contains(first.secret_access_key.expose()));
    assert!(!debug.contains(first.session_token.expose()));
    assert!(debug.contains(&first.access_key_id));
}

#[tokio::test]
async fn credentials_error_document_is_a_credentials_error() {
    let emu = emulator();
    emu.control().set_credentials_mode(CredentialsMode::Error);
    let client = isolated(&emu.endpoint()).build().unwrap();
    let err = client.credentials().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CredentialsError);
    assert!(
        err.message().contains("AssumeRoleUnauthorizedAccess"),
        "{err}"
    );
}

#[tokio::test]
async fn no_role_is_a_clear_not_found() {
    let emu = emulator_with(InstanceConfig {
        iam_role: None,
        ..InstanceConfig::default()
    });
    let client = isolated(&emu.endpoint()).build().unwrap();
    let err = client.credentials().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.message().contains("instance profile"), "{err}");
}

#[tokio::test]
async fn credentials_rotate_and_an_outage_serves_the_last_good_set() {
    // Credentials that live 4 s are always inside the 5-minute refresh window, so the
    // client asks again after half their remaining life (2 s).
    let emu = emulator_with(InstanceConfig {
        credentials_lifetime_seconds: 4,
        credentials_refresh_before_expiry_seconds: 2,
        ..InstanceConfig::default()
    });
    let client = isolated(&emu.endpoint()).build().unwrap();
    let first = client.credentials().await.unwrap();

    emu.control().rotate_credentials();
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let rotated = client.credentials().await.unwrap();
    assert_ne!(
        rotated.access_key_id, first.access_key_id,
        "refresh picked up rotation"
    );

    emu.control().set_faults(Faults {
        error_status: Some(500),
        error_count: 1_000,
        ..Faults::default()
    });
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let during_outage = client.credentials().await.unwrap();
    assert_eq!(during_outage, rotated, "last good set, with its own expiry");
}

#[tokio::test]
async fn identity_document_signatures_verify_with_the_emulator_certificate() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).build().unwrap();
    let cert = imds_emulator::certificate_pem();

    let doc = client.verified_identity_document(cert).await.unwrap();
    assert_eq!(doc.instance_id, "i-0b22a22eec53b9321");
    let doc = client.verified_identity_document_pkcs7(cert).await.unwrap();
    assert_eq!(doc.region, "us-east-1");

    // A DSA certificate cannot check an RSA signature at all: the caller passed the
    // wrong kind of certificate, which is bad input rather than a bad signature.
    let other = imds_emulator::dsa_certificate_pem();
    let err = client.verified_identity_document(other).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}

#[tokio::test]
async fn an_rsa_certificate_that_did_not_sign_fails_both_forms_as_signature_invalid() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).build().unwrap();
    let foreign = foreign_rsa_certificate_pem();
    // The certificate is sound: it is the signer that is wrong.
    assert!(
        foreign.starts_with("-----BEGIN CERTIFICATE-----"),
        "{foreign}"
    );

    let err = client
        .verified_identity_document(foreign)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SignatureInvalid, "{err}");
    let err = client
        .verified_identity_document_pkcs7(foreign)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SignatureInvalid, "{err}");
}

#[test]
fn rsa2048_with_an_altered_document_fails_as_signature_invalid() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).build_blocking().unwrap();
    let cert = imds_emulator::certificate_pem();
    let document = client.get_dynamic("instance-identity/document").unwrap();
    let rsa2048 = client.get_dynamic("instance-identity/rsa2048").unwrap();
    let compact: String = rsa2048.split_whitespace().collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .unwrap();
    let encode = |der: &[u8]| base64::engine::general_purpose::STANDARD.encode(der);

    // Unaltered, re-encoded without line breaks: still valid, so the edits below are
    // what the verifier objects to.
    let carried = imds::signature::verify_pkcs7(&encode(&der), cert).unwrap();
    assert_eq!(carried, document.as_bytes());

    // The document inside is altered (same length, so the DER stays well-formed) and
    // the signature kept.
    let mut altered = der.clone();
    assert!(replace_all(&mut altered, b"us-east-1", b"us-east-2") > 0);
    let err = imds::signature::verify_pkcs7(&encode(&altered), cert).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SignatureInvalid, "{err}");

    // The signed digest attribute is altered to match the new document as well: the RSA
    // signature over the attributes still gives it away.
    let tampered_document = document.replace("us-east-1", "us-east-2");
    let old_digest = Sha256::digest(document.as_bytes());
    let new_digest = Sha256::digest(tampered_document.as_bytes());
    assert_eq!(replace_all(&mut altered, &old_digest, &new_digest), 1);
    let err = imds::signature::verify_pkcs7(&encode(&altered), cert).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SignatureInvalid, "{err}");
    assert!(
        !err.message().contains("digest"),
        "reached the RSA check: {err}"
    );
}

#[test]
fn tampered_document_fails_signature_verification() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).build_blocking().unwrap();
    let document = client.get_dynamic("instance-identity/document").unwrap();
    let signature = client.get_dynamic("instance-identity/signature").unwrap();
    let cert = imds_emulator::certificate_pem();

    imds::signature::verify_signature(document.as_bytes(), &signature, cert).unwrap();
    let tampered = document.replace("us-east-1", "us-east-2");
    let err = imds::signature::verify_signature(tampered.as_bytes(), &signature, cert).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SignatureInvalid);
}

#[tokio::test]
async fn polling_an_absent_notice_is_audited_as_a_success_with_status_404() {
    let emu = emulator();
    let audit = common::AuditLog::default();
    let client = isolated(&emu.endpoint())
        .audit_sink(audit.sink())
        .build()
        .unwrap();
    assert!(client.spot_instance_action().await.unwrap().is_none());

    let events = audit.events();
    let poll = events
        .iter()
        .find(|e| e.operation == "spot_instance_action")
        .expect("the poll was audited");
    assert_eq!(poll.outcome, imds::Outcome::Success);
    assert_eq!(poll.status, Some(404));
}
