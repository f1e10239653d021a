//! The Rust demo of `make demo`: what a service does with the client at start-up.
//!
//! ```text
//! cargo run -p imds --example demo -- [--poll-seconds N] [--max-polls N] [--cert FILE]
//! ```
//!
//! It learns where it runs, reads its role credentials and user-data, waits for a spot
//! interruption notice, and checks the identity document's signature against the
//! certificate in `--cert` (default `$IMDS_EMULATOR_CERT`). Every setting comes from the
//! usual AWS variables and profile, so the same program runs on EC2 and, with
//! `AWS_EC2_METADATA_SERVICE_ENDPOINT` set, against the emulator. It prints the lines every
//! language's demo prints (`instance-id:`, `region:`, `credentials:`, `user-data:`,
//! `spot:`, `signature:`), which `make demo` lays side by side. It exits 1 on an error,
//! including a notice that never comes, so a demo that waited in vain does not pass.

use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

struct Options {
    poll: Duration,
    max_polls: u32,
    cert: Option<String>,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        poll: Duration::from_secs(1),
        max_polls: 30,
        cert: std::env::var("IMDS_EMULATOR_CERT")
            .ok()
            .filter(|c| !c.is_empty()),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{flag} needs a positive whole number, not {value:?}"))
        };
        match flag.as_str() {
            "--poll-seconds" => options.poll = Duration::from_secs(number()?.into()),
            "--max-polls" => options.max_polls = number()?,
            "--cert" => options.cert = Some(value),
            _ => return Err(format!("unknown argument: {flag}")),
        }
    }
    Ok(options)
}

/// RFC 3339 to the second, as every language's demo prints times, so the columns of
/// `make demo` compare equal.
fn to_the_second(time: SystemTime) -> String {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    imds::format_time(UNIX_EPOCH + Duration::from_secs(seconds))
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("demo: {message}");
            eprintln!("usage: demo [--poll-seconds N] [--max-polls N] [--cert FILE]");
            return ExitCode::from(2);
        }
    };
    match run(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("demo: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: Options) -> Result<(), String> {
    // The endpoint and every other setting come from the environment and the profile.
    let client = imds::Client::builder().build().map_err(|e| e.to_string())?;

    // Both reads share one token, fetched once although they start together.
    let (document, region) = tokio::join!(client.identity_document(), client.region());
    let document = document.map_err(|e| format!("identity document: {e}"))?;
    let region = region.map_err(|e| format!("region: {e}"))?;
    println!("instance-id: {}", document.instance_id);
    println!("region: {region}");

    match client.credentials().await {
        // The secret key and session token go to an AWS SDK, never to a log or a screen.
        Ok(credentials) => println!(
            "credentials: role={} access_key_id={} secret=<redacted> expires={}",
            credentials.role,
            credentials.access_key_id,
            to_the_second(credentials.expiration)
        ),
        Err(e) if e.kind() == imds::ErrorKind::NotFound => {
            println!("credentials: none (no IAM role attached)")
        }
        Err(e) => return Err(format!("credentials: {e}")),
    }

    // User-data often holds secrets: only its size is shown.
    let user_data = client
        .user_data()
        .await
        .map_err(|e| format!("user-data: {e}"))?;
    println!(
        "user-data: {} bytes",
        user_data.map_or(0, |bytes| bytes.len())
    );

    let mut notice = None;
    for poll in 1..=options.max_polls {
        notice = client
            .spot_instance_action()
            .await
            .map_err(|e| format!("spot notice: {e}"))?;
        if notice.is_some() || poll == options.max_polls {
            break;
        }
        tokio::time::sleep(options.poll).await;
    }
    let Some(action) = notice else {
        println!("spot: no notice after {} polls", options.max_polls);
        return Err("no spot interruption notice appeared".to_owned());
    };
    println!("spot: {} at {}", action.action, to_the_second(action.time));

    let Some(cert) = options.cert else {
        println!("signature: not checked (no certificate given)");
        return Ok(());
    };
    let pem = std::fs::read_to_string(&cert)
        .map_err(|e| format!("cannot read the certificate {cert}: {e}"))?;
    // Fails with `signature invalid` unless `cert` signed the document.
    client
        .verified_identity_document(&pem)
        .await
        .map_err(|e| format!("identity document signature: {e}"))?;
    println!("signature: verified");
    Ok(())
}
