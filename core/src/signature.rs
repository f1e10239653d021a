//! Verification of the instance identity document's signatures, in pure Rust.
//!
//! Two forms are checked: `signature` (base64 RSA PKCS#1 v1.5 over the SHA-256 of the
//! document bytes) and `rsa2048` (base64 PKCS#7 SignedData with SHA-256 and RSA, the
//! document inside). The caller supplies the certificate: AWS publishes one per partition
//! and Region; the emulator hands out its own.

use base64::Engine as _;
use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::{Decode, Encode};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use rsa::RsaPublicKey;
use sha2::{Digest, Sha256};
use x509_cert::der::DecodePem;
use x509_cert::Certificate;

use crate::error::{Error, ErrorKind, Result};

const OID_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
const OID_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
const OID_SHA256: &str = "2.16.840.1.101.3.4.2.1";

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::SignatureInvalid, message)
}

/// Decodes base64 the way IMDS formats it: wrapped lines, optionally inside PEM armour.
fn decode_base64(text: &str, what: &str) -> Result<Vec<u8>> {
    let compact: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("-----"))
        .flat_map(|line| line.chars().filter(|c| !c.is_ascii_whitespace()))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| invalid(format!("the {what} is not valid base64")))
}

fn public_key(certificate_pem: &str) -> Result<RsaPublicKey> {
    let certificate = Certificate::from_pem(certificate_pem.trim().as_bytes()).map_err(|e| {
        Error::invalid_input(format!(
            "the certificate is not a valid PEM X.509 certificate: {e}"
        ))
    })?;
    let spki = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| {
            Error::invalid_input(format!("the certificate's public key is unreadable: {e}"))
        })?;
    RsaPublicKey::from_public_key_der(&spki)
        .map_err(|_| Error::invalid_input("the certificate does not hold an RSA public key"))
}

/// Checks `signature_b64` (the `signature` form) over the exact `document` bytes.
///
/// Fails with `signature_invalid` when it does not match, and `invalid_input` when the
/// certificate cannot be read.
pub fn verify_signature(document: &[u8], signature_b64: &str, certificate_pem: &str) -> Result<()> {
    let key = VerifyingKey::<Sha256>::new(public_key(certificate_pem)?);
    let raw = decode_base64(signature_b64, "signature")?;
    let signature = Signature::try_from(raw.as_slice())
        .map_err(|_| invalid("the signature has the wrong shape for this key"))?;
    key.verify(document, &signature).map_err(|_| {
        invalid(
            "the identity document's signature does not match the certificate: the \
                 document was altered or signed by someone else",
        )
    })
}

/// Checks the `rsa2048` PKCS#7 form and returns the document it carries.
pub fn verify_pkcs7(pkcs7_b64: &str, certificate_pem: &str) -> Result<Vec<u8>> {
    let key = VerifyingKey::<Sha256>::new(public_key(certificate_pem)?);
    let der = decode_base64(pkcs7_b64, "PKCS#7 signature")?;
    let content_info = ContentInfo::from_der(&der)
        .map_err(|_| invalid("the PKCS#7 signature is not valid DER"))?;
    if content_info.content_type.to_string() != OID_SIGNED_DATA {
        return Err(invalid("the PKCS#7 structure is not SignedData"));
    }
    let signed: SignedData = content_info
        .content
        .decode_as()
        .map_err(|_| invalid("the PKCS#7 SignedData cannot be decoded"))?;
    let document = signed
        .encap_content_info
        .econtent
        .as_ref()
        .and_then(|any| der::asn1::OctetString::from_der(&any.to_der().ok()?).ok())
        .map(|octets| octets.into_bytes())
        .ok_or_else(|| invalid("the PKCS#7 signature does not carry the document"))?;

    let signer = signed
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or_else(|| invalid("the PKCS#7 signature has no signer"))?;
    if signer.digest_alg.oid.to_string() != OID_SHA256 {
        return Err(invalid("the PKCS#7 signature does not use SHA-256"));
    }
    let signature = Signature::try_from(signer.signature.as_bytes())
        .map_err(|_| invalid("the PKCS#7 signature has the wrong shape for this key"))?;

    let signed_bytes = match &signer.signed_attrs {
        // Without signed attributes the signature covers the content itself.
        None => document.clone(),
        Some(attributes) => {
            let digest = attributes
                .iter()
                .find(|a| a.oid.to_string() == OID_MESSAGE_DIGEST)
                .and_then(|a| a.values.iter().next())
                .and_then(|v| v.decode_as::<der::asn1::OctetString>().ok())
                .ok_or_else(|| invalid("the PKCS#7 signature has no message digest"))?;
            if digest.as_bytes() != Sha256::digest(&document).as_slice() {
                return Err(invalid(
                    "the document inside the PKCS#7 signature does not match its digest",
                ));
            }
            // The signature covers the attributes encoded as a SET OF, not as [0].
            attributes
                .to_der()
                .map_err(|_| invalid("the PKCS#7 signed attributes cannot be encoded"))?
        }
    };
    key.verify(&signed_bytes, &signature).map_err(|_| {
        invalid(
            "the PKCS#7 signature does not match the certificate: the document was \
                 altered or signed by someone else",
        )
    })?;
    Ok(document)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_refused_with_the_right_kinds() {
        assert_eq!(
            verify_signature(b"{}", "AAAA", "not a cert")
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            decode_base64("***", "signature").unwrap_err().kind(),
            ErrorKind::SignatureInvalid
        );
    }
}
