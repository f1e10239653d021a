//! The default instance: every leaf, the JSON documents, signatures, credentials, tags,
//! user-data, run-time metadata changes and JSON configuration.

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use common::*;
use der::{Decode, DecodePem, Encode};
use imds_emulator::{CredentialsMode, HttpTokens, InstanceConfig};
use rsa::pkcs8::DecodePublicKey;
use serde_json::Value;
use signature::Verifier;

const MAC: &str = "0e:49:61:0f:c3:11";

#[test]
fn every_default_leaf_has_its_documented_value() {
    let emulator = start();
    let token = token(&emulator);
    let iface = format!("network/interfaces/macs/{MAC}");
    let expected = [
        ("instance-id", "i-0b22a22eec53b9321"),
        ("ami-id", "ami-0abcdef1234567890"),
        ("ami-launch-index", "0"),
        ("instance-type", "m5.large"),
        ("instance-life-cycle", "on-demand"),
        ("local-ipv4", "172.31.16.5"),
        ("public-ipv4", "54.160.10.20"),
        ("mac", MAC),
        ("hostname", "ip-172-31-16-5.ec2.internal"),
        ("local-hostname", "ip-172-31-16-5.ec2.internal"),
        ("security-groups", "emulator-sg"),
        ("placement/region", "us-east-1"),
        ("placement/availability-zone", "us-east-1a"),
        ("placement/availability-zone-id", "use1-az4"),
        ("services/domain", "amazonaws.com"),
        ("services/partition", "aws"),
        ("block-device-mapping/ami", "/dev/xvda"),
        ("block-device-mapping/root", "/dev/xvda"),
        (&format!("{iface}/device-number"), "0"),
        (&format!("{iface}/local-ipv4s"), "172.31.16.5"),
        (&format!("{iface}/public-ipv4s"), "54.160.10.20"),
        (&format!("{iface}/owner-id"), "123456789012"),
        (&format!("{iface}/mac"), MAC),
        (&format!("{iface}/subnet-ipv4-cidr-block"), "172.31.16.0/20"),
        (&format!("{iface}/vpc-ipv4-cidr-block"), "172.31.0.0/16"),
        (
            &format!("{iface}/ipv4-associations/54.160.10.20"),
            "172.31.16.5",
        ),
    ];
    for (leaf, value) in expected {
        let response = get(&emulator, &format!("/latest/meta-data/{leaf}"), &token);
        assert_eq!(
            (response.status, response.text().as_str()),
            (200, value),
            "{leaf}"
        );
    }
    for leaf in [
        "reservation-id",
        "public-hostname",
        "public-keys/0/openssh-key",
    ] {
        let response = get(&emulator, &format!("/latest/meta-data/{leaf}"), &token);
        assert_eq!(response.status, 200, "{leaf}");
        assert!(!response.body.is_empty(), "{leaf}");
    }
    for leaf in ["interface-id", "subnet-id", "vpc-id", "security-group-ids"] {
        let response = get(
            &emulator,
            &format!("/latest/meta-data/{iface}/{leaf}"),
            &token,
        );
        assert_eq!(response.status, 200, "{leaf}");
    }
    let key = get(
        &emulator,
        "/latest/meta-data/public-keys/0/openssh-key",
        &token,
    )
    .text();
    assert!(
        key.starts_with("ssh-ed25519 ") && key.ends_with(" my-key"),
        "{key}"
    );
}

#[test]
fn user_data_is_the_default_script_and_can_be_replaced_or_removed() {
    let emulator = start();
    let token = token(&emulator);
    let user_data = get(&emulator, "/latest/user-data", &token);
    assert_eq!(user_data.text(), "#!/bin/bash\necho hello from user-data\n");
    let binary = vec![0u8, 159, 146, 150, 255];
    emulator.control().set_user_data(Some(binary.clone()));
    assert_eq!(get(&emulator, "/latest/user-data", &token).body, binary);
    emulator.control().set_user_data(None);
    assert_eq!(get(&emulator, "/latest/user-data", &token).status, 404);
}

#[test]
fn iam_info_names_the_instance_profile() {
    let emulator = start();
    let info = read(&emulator, "/latest/meta-data/iam/info").json();
    assert_eq!(info["Code"], "Success");
    assert_eq!(
        info["InstanceProfileArn"],
        "arn:aws:iam::123456789012:instance-profile/emulator-role"
    );
    assert!(info["InstanceProfileId"]
        .as_str()
        .is_some_and(|id| id.starts_with("AIPA")));
    assert!(info["LastUpdated"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
}

fn parse_time(value: &Value) -> time::OffsetDateTime {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("{value} is not a string"));
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap()
}

#[test]
fn role_credentials_are_a_six_hour_aws_hmac_set() {
    let emulator = start();
    let creds = read(
        &emulator,
        "/latest/meta-data/iam/security-credentials/emulator-role",
    )
    .json();
    assert_eq!(creds["Code"], "Success");
    assert_eq!(creds["Type"], "AWS-HMAC");
    let key_id = creds["AccessKeyId"].as_str().unwrap();
    assert!(key_id.starts_with("ASIA") && key_id.len() == 20, "{key_id}");
    assert!(creds["SecretAccessKey"].as_str().unwrap().len() >= 40);
    assert!(!creds["Token"].as_str().unwrap().is_empty());
    let lifetime = parse_time(&creds["Expiration"]) - parse_time(&creds["LastUpdated"]);
    assert_eq!(lifetime, time::Duration::hours(6));
}

#[test]
fn role_credentials_stay_stable_until_rotated() {
    let emulator = start();
    let path = "/latest/meta-data/iam/security-credentials/emulator-role";
    let key = || read(&emulator, path).json()["AccessKeyId"].clone();
    let first = key();
    assert_eq!(first, key());
    emulator.control().rotate_credentials();
    assert_ne!(first, key());
}

#[test]
fn role_credentials_rotate_on_their_schedule() {
    // A two-second lifetime refreshed one second before expiry: a new set every second.
    let emulator = start_with(|o| {
        o.instance.credentials_lifetime_seconds = 2;
        o.instance.credentials_refresh_before_expiry_seconds = 1;
    });
    let path = "/latest/meta-data/iam/security-credentials/emulator-role";
    let first = read(&emulator, path).json();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let second = read(&emulator, path).json();
    assert_ne!(first["AccessKeyId"], second["AccessKeyId"]);
    assert!(parse_time(&second["Expiration"]) > parse_time(&first["Expiration"]));
}

#[test]
fn imdsv1_reads_get_credentials_different_from_imdsv2() {
    let emulator = start_with(|o| o.http_tokens = HttpTokens::Optional);
    let path = "/latest/meta-data/iam/security-credentials/emulator-role";
    let v2 = read(&emulator, path).json();
    let v1 = request(emulator.metadata_addr(), "GET", path, &[], b"").json();
    assert_eq!(v1["Code"], "Success");
    assert_ne!(v1["AccessKeyId"], v2["AccessKeyId"]);
}

#[test]
fn error_mode_serves_assume_role_unauthorized_access_with_200() {
    let emulator = start();
    emulator
        .control()
        .set_credentials_mode(CredentialsMode::Error);
    let response = read(
        &emulator,
        "/latest/meta-data/iam/security-credentials/emulator-role",
    );
    assert_eq!(response.status, 200);
    let doc = response.json();
    assert_eq!(doc["Code"], "AssumeRoleUnauthorizedAccess");
    assert!(doc["Message"].as_str().unwrap().contains("emulator-role"));
    assert!(doc.get("AccessKeyId").is_none());
}

#[test]
fn an_instance_without_a_role_answers_404_under_iam() {
    let emulator = start_with(|o| o.instance.iam_role = None);
    let token = token(&emulator);
    for path in ["iam/", "iam/info", "iam/security-credentials/"] {
        assert_eq!(
            get(&emulator, &format!("/latest/meta-data/{path}"), &token).status,
            404
        );
    }
    let meta = lines(&get(&emulator, "/latest/meta-data/", &token));
    assert!(!meta.contains(&"iam/".to_owned()));
}

#[test]
fn identity_credentials_are_served_for_ec2_instance() {
    let emulator = start();
    let info = read(&emulator, "/latest/meta-data/identity-credentials/ec2/info").json();
    assert_eq!(
        (&info["Code"], &info["AccountId"]),
        (&"Success".into(), &"123456789012".into())
    );
    let path = "/latest/meta-data/identity-credentials/ec2/security-credentials/ec2-instance";
    let creds = read(&emulator, path).json();
    assert!(creds["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
}

#[test]
fn tags_are_404_until_enabled_then_listed_one_per_line() {
    let emulator = start();
    assert_eq!(
        read(&emulator, "/latest/meta-data/tags/instance").status,
        404
    );
    admin_ok(&emulator, "PUT", "/tags", r#"{"enabled":true}"#);
    let token = token(&emulator);
    let listing = lines(&get(&emulator, "/latest/meta-data/tags/instance/", &token));
    assert_eq!(listing, ["Environment", "Name"]);
    assert_eq!(
        get(&emulator, "/latest/meta-data/tags/instance/Name", &token).text(),
        "emulator"
    );
    let tags = [("Team".to_owned(), "core".to_owned())]
        .into_iter()
        .collect();
    emulator.control().set_tags(true, tags);
    assert_eq!(
        get(&emulator, "/latest/meta-data/tags/instance", &token).text(),
        "Team"
    );
    emulator.control().set_tags(false, Default::default());
    assert_eq!(
        get(&emulator, "/latest/meta-data/tags/instance", &token).status,
        404
    );
}

#[test]
fn metadata_leaves_can_be_set_and_removed_at_run_time() {
    let emulator = start();
    let control = emulator.control();
    control.set_metadata("placement/group-name", "my-group");
    control.set_metadata("placement/region", "eu-west-1");
    control.remove_metadata("public-ipv4");
    let token = token(&emulator);
    assert_eq!(
        get(&emulator, "/latest/meta-data/placement/group-name", &token).text(),
        "my-group"
    );
    assert_eq!(
        get(&emulator, "/latest/meta-data/placement/region", &token).text(),
        "eu-west-1"
    );
    assert_eq!(
        get(&emulator, "/latest/meta-data/public-ipv4", &token).status,
        404
    );
    let placement = lines(&get(&emulator, "/latest/meta-data/placement", &token));
    assert!(
        placement.contains(&"group-name".to_owned()),
        "{placement:?}"
    );
    control.remove_metadata("placement");
    assert_eq!(
        get(&emulator, "/latest/meta-data/placement/region", &token).status,
        404
    );
}

#[test]
fn identity_document_is_pretty_json_with_every_field_and_nulls() {
    let emulator = start();
    let response = read(&emulator, "/latest/dynamic/instance-identity/document");
    assert_eq!(response.header("Content-Type"), Some("text/plain"));
    assert!(response
        .text()
        .starts_with("{\n  \"accountId\" : \"123456789012\","));
    let doc = response.json();
    let expected = [
        ("accountId", "123456789012"),
        ("availabilityZone", "us-east-1a"),
        ("imageId", "ami-0abcdef1234567890"),
        ("instanceId", "i-0b22a22eec53b9321"),
        ("instanceType", "m5.large"),
        ("privateIp", "172.31.16.5"),
        ("region", "us-east-1"),
        ("architecture", "x86_64"),
    ];
    for (field, value) in expected {
        assert_eq!(doc[field], value, "{field}");
    }
    for field in [
        "billingProducts",
        "devpayProductCodes",
        "marketplaceProductCodes",
        "kernelId",
    ] {
        assert_eq!(doc.get(field), Some(&Value::Null), "{field}");
    }
    assert!(doc["pendingTime"].as_str().is_some() && doc["version"].as_str().is_some());
    let listing = lines(&read(&emulator, "/latest/dynamic/instance-identity/"));
    assert_eq!(listing, ["document", "pkcs7", "rsa2048", "signature"]);
}

fn certificate(pem: &str) -> x509_cert::Certificate {
    x509_cert::Certificate::from_pem(pem).expect("certificate PEM")
}

#[test]
fn signature_verifies_over_the_document_bytes_with_the_certificate() {
    let emulator = start();
    let token = token(&emulator);
    let document = get(
        &emulator,
        "/latest/dynamic/instance-identity/document",
        &token,
    )
    .body;
    let signature = get(
        &emulator,
        "/latest/dynamic/instance-identity/signature",
        &token,
    )
    .text();
    let spki = certificate(imds_emulator::certificate_pem())
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap();
    let key = rsa::RsaPublicKey::from_public_key_der(&spki).unwrap();
    let signature = STANDARD.decode(signature.trim()).unwrap();
    let signature = rsa::pkcs1v15::Signature::try_from(signature.as_slice()).unwrap();
    let verifier = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key);
    verifier
        .verify(&document, &signature)
        .expect("signature verifies");
    let mut tampered = document.clone();
    tampered[5] ^= 1;
    assert!(verifier.verify(&tampered, &signature).is_err());
}

fn signed_data(base64_text: &str) -> cms::signed_data::SignedData {
    let compact: String = base64_text.split_whitespace().collect();
    let der = STANDARD.decode(compact).expect("base64");
    let info = cms::content_info::ContentInfo::from_der(&der).expect("ContentInfo");
    assert_eq!(
        info.content_type.to_string(),
        "1.2.840.113549.1.7.2",
        "signedData"
    );
    info.content.decode_as().expect("SignedData")
}

#[test]
fn rsa2048_and_pkcs7_are_signed_data_enclosing_the_document() {
    let emulator = start();
    let token = token(&emulator);
    let document = get(
        &emulator,
        "/latest/dynamic/instance-identity/document",
        &token,
    )
    .body;
    let cases = [
        (
            "rsa2048",
            "2.16.840.1.101.3.4.2.1",
            "1.2.840.113549.1.1.11",
            imds_emulator::certificate_pem(),
        ),
        (
            "pkcs7",
            "1.3.14.3.2.26",
            "1.2.840.10040.4.3",
            imds_emulator::dsa_certificate_pem(),
        ),
    ];
    for (leaf, digest, algorithm, pem) in cases {
        let text = get(
            &emulator,
            &format!("/latest/dynamic/instance-identity/{leaf}"),
            &token,
        );
        let signed = signed_data(&text.text());
        let content = signed
            .encap_content_info
            .econtent
            .expect("document enclosed");
        assert_eq!(content.value(), document.as_slice(), "{leaf}");
        let signer = signed.signer_infos.0.get(0).expect("one signer");
        assert_eq!(signer.digest_alg.oid.to_string(), digest, "{leaf}");
        assert_eq!(
            signer.signature_algorithm.oid.to_string(),
            algorithm,
            "{leaf}"
        );
        let cms::signed_data::SignerIdentifier::IssuerAndSerialNumber(sid) = &signer.sid else {
            panic!("{leaf}: signer not identified by issuer and serial");
        };
        let certificate = certificate(pem);
        assert_eq!(
            sid.serial_number, certificate.tbs_certificate.serial_number,
            "{leaf}"
        );
    }
}

#[test]
fn rsa2048_signer_signature_verifies_over_the_signed_attributes() {
    let emulator = start();
    let text = read(&emulator, "/latest/dynamic/instance-identity/rsa2048").text();
    let signed = signed_data(&text);
    let signer = signed.signer_infos.0.get(0).unwrap();
    let attributes = signer
        .signed_attrs
        .as_ref()
        .expect("signed attributes")
        .to_der()
        .unwrap();
    let spki = certificate(imds_emulator::certificate_pem())
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap();
    let key = rsa::RsaPublicKey::from_public_key_der(&spki).unwrap();
    let signature = rsa::pkcs1v15::Signature::try_from(signer.signature.as_bytes()).unwrap();
    rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key)
        .verify(&attributes, &signature)
        .expect("CMS signature verifies");
}

#[test]
fn a_json_config_file_overrides_values_and_keeps_the_other_defaults() {
    let dir = std::env::temp_dir().join(format!("imds-emulator-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("instance.json");
    std::fs::write(
        &path,
        r#"{"instance_id": "i-0123456789abcdef0", "region": "eu-central-1",
            "user_data": null, "tags_enabled": true,
            "metadata": {"placement/group-name": "g1"}}"#,
    )
    .unwrap();
    let config = InstanceConfig::from_json_file(&path).unwrap();
    assert_eq!(
        config.instance_type, "m5.large",
        "unset fields keep their defaults"
    );
    let emulator = start_with(|o| o.instance = config);
    let token = token(&emulator);
    assert_eq!(
        get(&emulator, "/latest/meta-data/instance-id", &token).text(),
        "i-0123456789abcdef0"
    );
    assert_eq!(
        get(&emulator, "/latest/meta-data/placement/region", &token).text(),
        "eu-central-1"
    );
    assert_eq!(
        get(&emulator, "/latest/meta-data/placement/group-name", &token).text(),
        "g1"
    );
    assert_eq!(get(&emulator, "/latest/user-data", &token).status, 404);
    assert_eq!(
        get(&emulator, "/latest/meta-data/tags/instance/Name", &token).text(),
        "emulator"
    );
    let doc = get(
        &emulator,
        "/latest/dynamic/instance-identity/document",
        &token,
    )
    .json();
    assert_eq!(
        (&doc["instanceId"], &doc["region"]),
        (&"i-0123456789abcdef0".into(), &"eu-central-1".into())
    );

    std::fs::write(&path, r#"{"instance_idd": "typo"}"#).unwrap();
    let err = InstanceConfig::from_json_file(&path).unwrap_err();
    assert!(err.to_string().contains("instance_idd"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
