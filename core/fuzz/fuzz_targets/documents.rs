//! JSON documents (identity, IAM info, credentials, spot, rebalance, events) never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    imds::fuzzing::documents(bytes);
});
