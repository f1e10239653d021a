//! Replays the fuzz corpus (`core/fuzz/corpus/<target>/`) through the same entry points
//! the fuzz targets use, so every input a fuzzer found interesting, and every crash it
//! ever found, stays a regression test in `make test`.

use std::path::Path;

use imds::{fuzzing, ErrorKind};

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "empty corpus for {target}");
    inputs
}

#[test]
fn token_corpus_parses_or_fails_as_invalid_response() {
    for input in corpus("token_response") {
        for ttl in [None, Some(&b"300"[..]), Some(&input[..])] {
            if let Err(err) = fuzzing::token_response(&input, ttl) {
                assert_eq!(err.kind(), ErrorKind::InvalidResponse);
            }
        }
    }
}

#[test]
fn document_corpus_never_panics() {
    for input in corpus("documents") {
        fuzzing::documents(&input);
    }
}

#[test]
fn listing_corpus_yields_clean_entries() {
    for input in corpus("listing") {
        if let Ok(entries) = fuzzing::listing(&input) {
            assert!(entries.iter().all(|e| !e.is_empty() && !e.contains('\n')));
        }
    }
}

#[test]
fn path_corpus_accepts_only_safe_paths() {
    for input in corpus("path") {
        // The fuzz target receives the longest valid UTF-8 prefix, as `arbitrary` gives it.
        let text = match std::str::from_utf8(&input) {
            Ok(text) => text,
            Err(e) => std::str::from_utf8(&input[..e.valid_up_to()]).unwrap(),
        };
        if let Ok(valid) = fuzzing::path(text) {
            assert!(valid.bytes().all(|b| b.is_ascii_graphic()), "{valid:?}");
            assert!(valid.split('/').all(|s| s != ".." && s != "."));
            assert!(
                !valid.starts_with('/'),
                "{valid:?} would make an empty segment"
            );
        }
    }
}

#[test]
fn signature_corpus_never_verifies_garbage() {
    let certificate = include_str!("../../emulator/keys/rsa-cert.pem");
    for input in corpus("signatures") {
        let text = String::from_utf8_lossy(&input);
        assert!(imds::signature::verify_signature(b"{}", &text, certificate).is_err());
        fuzzing::signatures(&input, &text, certificate);
    }
}
