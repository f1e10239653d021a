//! The README's Rust sample, as written, run against the emulator named in
//! `IMDS_README_ENDPOINT` by `scripts/readme_samples.py`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> imds::Result<()> {
    include!(concat!(env!("OUT_DIR"), "/readme_sample.rs"));
    Ok(())
}
