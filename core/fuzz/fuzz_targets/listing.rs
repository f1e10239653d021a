//! Listings: entries are non-empty and never contain a line break.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(entries) = imds::fuzzing::listing(bytes) {
        for entry in entries {
            assert!(!entry.is_empty() && !entry.contains('\n'));
        }
    }
});
