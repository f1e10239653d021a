//! Signature verification never panics and never accepts a random signature.
#![no_main]

use libfuzzer_sys::fuzz_target;

const CERTIFICATE: &str = include_str!("../../../emulator/keys/rsa-cert.pem");

fuzz_target!(|input: (&[u8], &str)| {
    let (document, signature) = input;
    imds::fuzzing::signatures(document, signature, CERTIFICATE);
});
