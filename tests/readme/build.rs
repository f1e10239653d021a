//! Extracts the README's ```rust block so `main.rs` can compile it as it is written,
//! with the endpoint it names replaced by the one in `IMDS_README_ENDPOINT` at run time.

use std::path::Path;

fn main() {
    let readme_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    println!("cargo:rerun-if-changed={}", readme_path.display());
    let readme = std::fs::read_to_string(&readme_path).expect("README.md is readable");
    let start = readme
        .find("```rust\n")
        .expect("README has a ```rust block")
        + 8;
    let length = readme[start..]
        .find("```")
        .expect("the ```rust block is closed");
    let sample = readme[start..start + length].replace(
        "\"http://127.0.0.1:1338\"",
        "std::env::var(\"IMDS_README_ENDPOINT\").expect(\"IMDS_README_ENDPOINT is set\")",
    );
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("readme_sample.rs");
    std::fs::write(out, format!("{{\n{sample}\n}}")).unwrap();
}
