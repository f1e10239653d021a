//! The path validator: whatever it accepts is safe to put in a request line.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|path: &str| {
    if let Ok(valid) = imds::fuzzing::path(path) {
        assert!(valid.bytes().all(|b| b.is_ascii_graphic()), "{valid:?}");
        assert!(!valid.contains("..") || valid.split('/').all(|s| s != ".."));
        assert!(!valid.contains(['?', '#', '%', '\\']));
        assert!(!valid.starts_with('/'));
    }
});
