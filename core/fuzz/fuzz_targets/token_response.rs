//! Token responses: any body and TTL header either parse or fail as invalid_response.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&[u8], Option<&[u8]>)| {
    let (body, ttl) = input;
    if let Err(err) = imds::fuzzing::token_response(body, ttl) {
        assert_eq!(err.kind(), imds::ErrorKind::InvalidResponse);
    }
});
