//! Every exported function runs behind the one panic boundary, and the committed header
//! declares exactly the exported functions.
//!
//! Scans the sources rather than trusting review: an export whose body does not consist
//! of a single `ffi_boundary! { ... }` fails here, by name.

use std::collections::BTreeSet;
use std::path::Path;

/// The names of `extern "C" fn` items in `source`, each with whether its whole body is
/// one `ffi_boundary!` invocation.
fn exports(source: &str) -> Vec<(String, bool)> {
    let bytes = source.as_bytes();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = source[from..].find("extern \"C\" fn ") {
        let start = from + at + "extern \"C\" fn ".len();
        from = start;
        let name: String = source[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue; // a function pointer type, not an item
        }
        // The body opens at the first `{` after the parameter list.
        let Some(params) = source[start..].find('(') else {
            continue;
        };
        let Some(close) = matching(bytes, start + params, b'(', b')') else {
            continue;
        };
        let Some(open) = source[close..].find('{').map(|i| close + i) else {
            continue;
        };
        let Some(end) = matching(bytes, open, b'{', b'}') else {
            continue;
        };
        let body = source[open + 1..end].trim();
        let guarded = body
            .strip_prefix("ffi_boundary!")
            .map(str::trim_start)
            .and_then(|rest| {
                let offset = body.len() - rest.len();
                let at = source[open + 1..]
                    .find(body)
                    .map(|i| open + 1 + i + offset)?;
                let inner_end = matching(bytes, at, b'{', b'}')?;
                // Nothing may follow the boundary inside the function body.
                Some(source[inner_end + 1..end].trim().is_empty() && rest.starts_with('{'))
            })
            .unwrap_or(false);
        found.push((name, guarded));
    }
    found
}

/// The index of the delimiter closing the one at `open`, skipping string literals.
fn matching(bytes: &[u8], open: usize, left: u8, right: u8) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == left {
            depth += 1;
        } else if b == right {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

fn sources() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("src/ is readable")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("a readable source file");
            (p.file_name().unwrap().to_string_lossy().into_owned(), text)
        })
        .collect()
}

#[test]
fn every_export_starts_with_the_panic_boundary() {
    let mut unguarded = Vec::new();
    let mut total = 0;
    for (file, text) in sources() {
        for (name, guarded) in exports(&text) {
            total += 1;
            if !guarded {
                unguarded.push(format!("{file}: {name}"));
            }
        }
    }
    assert!(
        total > 100,
        "the scanner found only {total} exports: is it broken?"
    );
    assert!(
        unguarded.is_empty(),
        "exports whose body is not one `ffi_boundary! {{ ... }}`:\n  {}",
        unguarded.join("\n  ")
    );
}

#[test]
fn every_no_mangle_item_is_a_scanned_export() {
    for (file, text) in sources() {
        let marked = text.matches("#[no_mangle]").count();
        let scanned = exports(&text).len();
        assert_eq!(
            marked, scanned,
            "{file}: #[no_mangle] items that are not `extern \"C\" fn`"
        );
    }
}

#[test]
fn the_header_declares_exactly_the_exports() {
    let exported: BTreeSet<String> = sources()
        .iter()
        .flat_map(|(_, text)| exports(text).into_iter().map(|(name, _)| name))
        .collect();
    let header_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/imds.h");
    let header = std::fs::read_to_string(header_path).expect("include/imds.h is committed");
    let declared: BTreeSet<String> = header
        .lines()
        .filter(|line| !line.trim_start().starts_with('*') && !line.starts_with("typedef"))
        .flat_map(|line| {
            line.match_indices("imds_")
                .filter_map(|(at, _)| {
                    let rest = &line[at..];
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    rest[name.len()..].starts_with('(').then_some(name)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let missing: Vec<_> = exported.difference(&declared).collect();
    let stale: Vec<_> = declared.difference(&exported).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "regenerate include/imds.h (make build-c): missing {missing:?}, stale {stale:?}"
    );
}

#[test]
fn the_scanner_catches_a_missing_boundary() {
    let source = r#"
        #[no_mangle]
        pub extern "C" fn imds_good(x: *const u8) -> usize {
            ffi_boundary! { let s = "{"; s.len() }
        }
        #[no_mangle]
        pub extern "C" fn imds_bare(x: *const u8) -> usize {
            x as usize
        }
        #[no_mangle]
        pub extern "C" fn imds_after() {
            ffi_boundary! { () }
            side_effect();
        }
        pub type cb = Option<unsafe extern "C" fn(x: *const u8)>;
    "#;
    assert_eq!(
        exports(source),
        vec![
            ("imds_good".to_owned(), true),
            ("imds_bare".to_owned(), false),
            ("imds_after".to_owned(), false),
        ]
    );
}
