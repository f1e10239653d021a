//! The instance identity document and its three signatures, made with the emulator's own keys
//! (generated once with `openssl` and kept in `keys/`; an emulator cannot sign as AWS).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier};
use der::asn1::BitString;
use der::oid::ObjectIdentifier;
use der::{Any, DecodePem, Encode};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::RsaPrivateKey;
use serde_json::Value;
use sha1::Sha1;
use sha2::Sha256;
use signature::{DigestSigner, Keypair, SignatureEncoding, Signer};
use x509_cert::spki::{
    self, AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, SignatureBitStringEncoding,
};
use x509_cert::Certificate;

use crate::config::InstanceConfig;
use crate::format::imds_json;

const RSA_KEY: &str = include_str!("../keys/rsa-key.pem");
const RSA_CERT: &str = include_str!("../keys/rsa-cert.pem");
const DSA_KEY: &str = include_str!("../keys/dsa-key.pem");
const DSA_CERT: &str = include_str!("../keys/dsa-cert.pem");

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_DSA_WITH_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10040.4.3");

/// The self-signed RSA certificate that verifies `signature` and `rsa2048`.
pub fn certificate_pem() -> &'static str {
    RSA_CERT
}

/// The self-signed DSA certificate that verifies `pkcs7`.
pub fn dsa_certificate_pem() -> &'static str {
    DSA_CERT
}

/// The document and its signatures, each as served.
pub(crate) struct IdentityDocuments {
    pub document: String,
    pub signature: String,
    pub rsa2048: String,
    pub pkcs7: String,
}

impl IdentityDocuments {
    pub fn new(config: &InstanceConfig) -> IdentityDocuments {
        let document = document_text(config);
        let rsa_key = RsaPrivateKey::from_pkcs8_pem(RSA_KEY).expect("keys/rsa-key.pem is valid");
        let rsa_signer = SigningKey::<Sha256>::new(rsa_key);
        let signature = STANDARD.encode(rsa_signer.sign(document.as_bytes()).to_vec());
        let rsa2048 = signed_data(
            document.as_bytes(),
            RSA_CERT,
            ID_SHA256,
            |builder, content| {
                let info = signer_info(&rsa_signer, RSA_CERT, ID_SHA256, content);
                builder
                    .add_signer_info::<_, rsa::pkcs1v15::Signature>(info)
                    .map(drop)
            },
        );
        let dsa_key = dsa::SigningKey::from_pkcs8_pem(DSA_KEY).expect("keys/dsa-key.pem is valid");
        let dsa_signer = DsaSha1Signer(dsa_key);
        let pkcs7 = signed_data(
            document.as_bytes(),
            DSA_CERT,
            ID_SHA1,
            |builder, content| {
                let info = signer_info(&dsa_signer, DSA_CERT, ID_SHA1, content);
                builder.add_signer_info::<_, DsaSignature>(info).map(drop)
            },
        );
        IdentityDocuments {
            document,
            signature,
            rsa2048,
            pkcs7,
        }
    }
}

/// The identity document, with every field EC2 sends (absent values as `null`).
pub(crate) fn document_text(config: &InstanceConfig) -> String {
    let optional = |value: &Option<String>| value.clone().map_or(Value::Null, Value::from);
    imds_json(&[
        ("accountId", Value::from(config.account_id.as_str())),
        ("architecture", Value::from(config.architecture.as_str())),
        (
            "availabilityZone",
            Value::from(config.availability_zone.as_str()),
        ),
        ("billingProducts", Value::Null),
        ("devpayProductCodes", Value::Null),
        ("marketplaceProductCodes", Value::Null),
        ("imageId", Value::from(config.ami_id.as_str())),
        ("instanceId", Value::from(config.instance_id.as_str())),
        ("instanceType", Value::from(config.instance_type.as_str())),
        ("kernelId", optional(&config.kernel_id)),
        ("pendingTime", Value::from(config.pending_time.as_str())),
        ("privateIp", Value::from(config.local_ipv4.as_str())),
        ("ramdiskId", optional(&config.ramdisk_id)),
        ("region", Value::from(config.region.as_str())),
        ("version", Value::from("2017-09-30")),
    ])
}

/// PKCS#7 / CMS `SignedData` with the document encapsulated and the signer's certificate
/// included, base64 in 64-character lines like the PEM body EC2 serves.
fn signed_data(
    document: &[u8],
    certificate_pem: &str,
    digest: ObjectIdentifier,
    add_signer: impl for<'a> FnOnce(
        &mut SignedDataBuilder<'a>,
        &'a EncapsulatedContentInfo,
    ) -> Result<(), cms::builder::Error>,
) -> String {
    let content = EncapsulatedContentInfo {
        econtent_type: ID_DATA,
        econtent: Some(Any::new(der::Tag::OctetString, document).expect("document fits")),
    };
    let certificate = Certificate::from_pem(certificate_pem).expect("keys/ certificates are valid");
    let mut builder = SignedDataBuilder::new(&content);
    builder
        .add_digest_algorithm(AlgorithmIdentifierOwned {
            oid: digest,
            parameters: None,
        })
        .and_then(|b| b.add_certificate(CertificateChoices::Certificate(certificate)))
        .expect("adding a digest algorithm and a certificate cannot fail");
    add_signer(&mut builder, &content).expect("signing the identity document");
    let info = builder.build().expect("building SignedData");
    let der = info.to_der().expect("encoding SignedData");
    let encoded = STANDARD.encode(der);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).expect("base64 is ASCII"))
        .collect();
    lines.join("\n")
}

fn signer_info<'s, S>(
    signer: &'s S,
    certificate_pem: &str,
    digest: ObjectIdentifier,
    content: &'s EncapsulatedContentInfo,
) -> SignerInfoBuilder<'s, S>
where
    S: Keypair + DynSignatureAlgorithmIdentifier,
{
    let certificate = Certificate::from_pem(certificate_pem).expect("keys/ certificates are valid");
    let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: certificate.tbs_certificate.issuer.clone(),
        serial_number: certificate.tbs_certificate.serial_number.clone(),
    });
    let digest = AlgorithmIdentifierOwned {
        oid: digest,
        parameters: None,
    };
    SignerInfoBuilder::new(signer, sid, digest, content, None).expect("SignerInfoBuilder::new")
}

/// DSA with SHA-1, the legacy `pkcs7` algorithm. The `dsa` crate signs with SHA-256 by default
/// and does not name its algorithm, so this wrapper supplies both for the CMS builder.
struct DsaSha1Signer(dsa::SigningKey);

impl Keypair for DsaSha1Signer {
    type VerifyingKey = dsa::VerifyingKey;

    fn verifying_key(&self) -> dsa::VerifyingKey {
        self.0.verifying_key().clone()
    }
}

impl DynSignatureAlgorithmIdentifier for DsaSha1Signer {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        Ok(AlgorithmIdentifierOwned {
            oid: ID_DSA_WITH_SHA1,
            parameters: None,
        })
    }
}

impl Signer<DsaSignature> for DsaSha1Signer {
    fn try_sign(&self, message: &[u8]) -> Result<DsaSignature, signature::Error> {
        use sha1::Digest;
        self.0
            .try_sign_digest(Sha1::new_with_prefix(message))
            .map(DsaSignature)
    }
}

/// A DSA signature in the DER form CMS carries.
struct DsaSignature(dsa::Signature);

impl SignatureBitStringEncoding for DsaSignature {
    fn to_bitstring(&self) -> der::Result<BitString> {
        BitString::from_bytes(&self.0.to_der()?)
    }
}

/// Parses a DER `ContentInfo` back, for tests that look inside the signed documents.
#[cfg(test)]
pub(crate) fn parse_signed_data(base64_text: &str) -> cms::signed_data::SignedData {
    use der::Decode;
    let compact: String = base64_text.split_whitespace().collect();
    let der = STANDARD.decode(compact).unwrap();
    let info = cms::content_info::ContentInfo::from_der(&der).unwrap();
    info.content.decode_as().unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::{Decode, Encode};
    use rsa::pkcs1v15::VerifyingKey;
    use signature::Verifier;

    #[test]
    fn document_carries_every_field_with_nulls() {
        let docs = IdentityDocuments::new(&InstanceConfig::default());
        let doc: Value = serde_json::from_str(&docs.document).unwrap();
        assert_eq!(doc["instanceId"], "i-0b22a22eec53b9321");
        assert_eq!(doc["region"], "us-east-1");
        assert!(doc["kernelId"].is_null() && doc.get("kernelId").is_some());
        assert_eq!(doc.as_object().unwrap().len(), 15);
    }

    #[test]
    fn pkcs7_is_dsa_sha1_signed_data_that_verifies() {
        let docs = IdentityDocuments::new(&InstanceConfig::default());
        let signed = parse_signed_data(&docs.pkcs7);
        let signer = signed.signer_infos.0.get(0).unwrap();
        assert_eq!(signer.digest_alg.oid, ID_SHA1);
        assert_eq!(signer.signature_algorithm.oid, ID_DSA_WITH_SHA1);
        let content = signed.encap_content_info.econtent.unwrap();
        assert_eq!(content.value(), docs.document.as_bytes());

        let certificate = Certificate::from_pem(DSA_CERT).unwrap();
        let spki = certificate
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .unwrap();
        use x509_cert::spki::DecodePublicKey;
        let key = dsa::VerifyingKey::from_public_key_der(&spki).unwrap();
        let signed_attributes = signer.signed_attrs.as_ref().unwrap().to_der().unwrap();
        let signature = dsa::Signature::from_der(signer.signature.as_bytes()).unwrap();
        use sha1::Digest;
        use signature::DigestVerifier;
        key.verify_digest(Sha1::new_with_prefix(&signed_attributes), &signature)
            .expect("the DSA signature verifies against the DSA certificate");
    }

    #[test]
    fn signature_verifies_with_the_certificate_key() {
        let docs = IdentityDocuments::new(&InstanceConfig::default());
        let certificate = Certificate::from_pem(RSA_CERT).unwrap();
        let spki = certificate
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .unwrap();
        use rsa::pkcs8::DecodePublicKey;
        let key = rsa::RsaPublicKey::from_public_key_der(&spki).unwrap();
        let signature = STANDARD.decode(&docs.signature).unwrap();
        let signature = rsa::pkcs1v15::Signature::try_from(signature.as_slice()).unwrap();
        VerifyingKey::<Sha256>::new(key)
            .verify(docs.document.as_bytes(), &signature)
            .unwrap();
    }
}
