//! `imds`: read the EC2 Instance Metadata Service from a shell, and run its emulator.
//!
//! Exit codes: 0 on success; otherwise the stable code of the error's kind (1 invalid
//! input, 2 disabled, 3 unreachable, 4 timeout, ... 15 credentials error, 99 internal),
//! so scripts can tell "not on EC2" from "no such path"; 64 for a command-line usage error;
//! 69 when `imds emulate` cannot run the emulator (port in use, unreadable `--config`).
//! Errors go to stderr as one line: `imds: <kind>: <message>`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};
use imds::{Error, ErrorKind};
use serde_json::json;

/// Exit code for a command-line usage error (`EX_USAGE`), outside the error-kind codes.
const EXIT_USAGE: u8 = 64;
/// Exit code when `imds emulate` cannot start or keep running the emulator
/// (`EX_UNAVAILABLE`): kept apart from the error-kind codes, so that a port already in use
/// is never mistaken for invalid input (1).
const EXIT_EMULATOR: u8 = 69;

/// Read instance metadata, user-data and role credentials from IMDSv2.
///
/// Settings come from the flags, then the shared AWS environment variables, then the
/// profile in ~/.aws/config, then the defaults; `imds config` shows each value's source.
#[derive(Parser)]
#[command(name = "imds", version, about, long_about = None)]
#[command(after_help = "Exit status: 0 on success, else the error kind's code \
    (1 invalid input, 2 disabled, 3 unreachable, 4 timeout, 5 bad request, \
    6 unauthorized, 7 forbidden, 8 not found, 9 throttled, 10 server error, \
    11 invalid response, 12 response too large, 13 cancelled, 14 signature invalid, \
    15 credentials error, 99 internal); 64 for a usage error; 69 when `imds emulate` \
    cannot run the emulator (port in use, bad --config file).")]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

/// Settings made on the command line; they count as set in code.
#[derive(clap::Args)]
struct Settings {
    /// IMDS endpoint URL, such as http://169.254.169.254.
    #[arg(long, global = true, value_name = "URL")]
    endpoint: Option<String>,
    /// IPv4 or IPv6 (an endpoint from any source wins).
    #[arg(long, global = true, value_name = "MODE")]
    endpoint_mode: Option<String>,
    /// Seconds allowed for each attempt.
    #[arg(long, global = true, value_name = "SECONDS")]
    timeout: Option<f64>,
    /// Attempts per request, the first included.
    #[arg(long, global = true, value_name = "N")]
    attempts: Option<u32>,
    /// Session token lifetime in seconds (1..21600).
    #[arg(long, global = true, value_name = "SECONDS")]
    token_ttl: Option<u64>,
}

#[derive(Subcommand)]
enum Command {
    /// Print a metadata value, such as `imds get instance-id`.
    Get {
        /// Path under /latest/meta-data/.
        path: String,
    },
    /// List a metadata directory; subdirectories end in `/`.
    List {
        /// Path under /latest/meta-data/ (empty for the root).
        #[arg(default_value = "")]
        path: String,
    },
    /// Print a dynamic data value, such as `imds dynamic instance-identity/document`.
    Dynamic {
        /// Path under /latest/dynamic/.
        path: String,
    },
    /// Write the user-data, byte for byte, to stdout.
    UserData,
    /// Print the instance identity document.
    Identity {
        /// Verify the document's signature against --cert.
        #[arg(long, requires = "cert")]
        verify: bool,
        /// PEM certificate that signs identity documents (for --verify).
        #[arg(long, value_name = "FILE")]
        cert: Option<PathBuf>,
    },
    /// Print the Region.
    Region,
    /// Print the role credentials, with secrets redacted unless asked for.
    Credentials {
        /// Print the secret access key and session token too.
        #[arg(long)]
        show_secrets: bool,
    },
    /// Poll for notices and print each new one as it appears.
    ///
    /// A failed poll is reported on stderr and polling goes on; only failures no later poll
    /// can fix (a bad setting, IMDS disabled, 400, 401, 403) end the watch.
    Watch {
        /// What to watch.
        what: WatchTarget,
        /// Seconds between polls (IMDS recommends 5 for spot).
        #[arg(long, default_value_t = 5.0)]
        interval: f64,
        /// Stop after the first notice.
        #[arg(long)]
        exit_on_notice: bool,
        /// Give up after this many seconds without a notice (exit code 4).
        #[arg(long, value_name = "SECONDS")]
        max_wait: Option<f64>,
    },
    /// Print the resolved configuration, each value with its source.
    Config,
    /// Run the IMDSv2 emulator in the foreground (exit status 69 if it cannot run).
    Emulate {
        #[command(flatten)]
        options: imds_emulator::ForegroundOptions,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum WatchTarget {
    /// Spot interruption notices (spot/instance-action) and rebalance recommendations.
    Spot,
    /// Scheduled maintenance events.
    Events,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let usage = err.use_stderr();
            let _ = err.print();
            return if usage {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    if let Command::Emulate { options } = cli.command {
        return match imds_emulator::run_foreground(options) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("imds: emulator: {err}");
                ExitCode::from(EXIT_EMULATOR)
            }
        };
    }
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("imds: {}: {}", err.kind(), err.message());
            ExitCode::from(u8::try_from(err.code()).unwrap_or(99))
        }
    }
}

fn client(settings: &Settings) -> imds::Result<imds::blocking::Client> {
    let mut builder = imds::Client::builder();
    if let Some(endpoint) = &settings.endpoint {
        builder = builder.endpoint(endpoint);
    }
    if let Some(mode) = &settings.endpoint_mode {
        builder = builder.endpoint_mode(mode);
    }
    if let Some(seconds) = settings.timeout {
        if !seconds.is_finite() || seconds <= 0.0 || seconds > 3600.0 {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("invalid --timeout {seconds}: expected seconds above 0, at most 3600"),
            ));
        }
        builder = builder.timeout(Duration::from_secs_f64(seconds));
    }
    if let Some(attempts) = settings.attempts {
        builder = builder.max_attempts(attempts);
    }
    if let Some(ttl) = settings.token_ttl {
        builder = builder.token_ttl(Duration::from_secs(ttl));
    }
    builder.build_blocking()
}

fn run(cli: &Cli) -> imds::Result<()> {
    let client = client(&cli.settings)?;
    let mut out = std::io::stdout().lock();
    let print = |out: &mut std::io::StdoutLock<'_>, text: &str| {
        // A closed pipe (`imds list | head -1`) is not an error worth reporting.
        let _ = writeln!(out, "{text}");
    };
    match &cli.command {
        Command::Get { path } => {
            let value = client.get_metadata(path)?;
            print(
                &mut out,
                &render(cli.json, json!({ "path": path, "value": value }), &value),
            );
        }
        Command::List { path } => {
            let entries = client.list_metadata(path)?;
            print(
                &mut out,
                &render(cli.json, json!(entries), &entries.join("\n")),
            );
        }
        Command::Dynamic { path } => {
            let value = client.get_dynamic(path)?;
            print(
                &mut out,
                &render(cli.json, json!({ "path": path, "value": value }), &value),
            );
        }
        Command::UserData => match client.user_data()? {
            Some(data) => {
                let _ = out.write_all(data.expose());
            }
            None => {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    "this instance has no user-data",
                ))
            }
        },
        Command::Identity { verify, cert } => {
            let document = match (verify, cert) {
                (true, Some(cert)) => {
                    let pem = std::fs::read_to_string(cert).map_err(|e| {
                        Error::new(
                            ErrorKind::InvalidInput,
                            format!("cannot read certificate {}: {e}", cert.display()),
                        )
                    })?;
                    client.verified_identity_document(&pem)?
                }
                _ => client.identity_document()?,
            };
            let value = identity_json(&document, *verify);
            let text = format!(
                "instance-id: {}\nregion: {}\navailability-zone: {}\naccount: {}\n\
                 instance-type: {}\nimage-id: {}{}",
                document.instance_id,
                document.region,
                document.availability_zone,
                document.account_id,
                document.instance_type,
                document.image_id,
                if *verify { "\nsignature: verified" } else { "" }
            );
            print(&mut out, &render(cli.json, value, &text));
        }
        Command::Region => {
            let region = client.region()?;
            print(
                &mut out,
                &render(cli.json, json!({ "region": region }), &region),
            );
        }
        Command::Credentials { show_secrets } => {
            let c = client.credentials()?;
            let secret = |s: &imds::SecretString| {
                if *show_secrets {
                    s.expose().to_owned()
                } else {
                    "<redacted>".to_owned()
                }
            };
            let expiration = imds::format_time(c.expiration);
            let value = json!({
                "role": c.role,
                "access_key_id": c.access_key_id,
                "secret_access_key": secret(&c.secret_access_key),
                "session_token": secret(&c.session_token),
                "expiration": expiration,
            });
            let text = format!(
                "role: {}\naccess-key-id: {}\nsecret-access-key: {}\nsession-token: {}\n\
                 expiration: {}",
                c.role,
                c.access_key_id,
                secret(&c.secret_access_key),
                secret(&c.session_token),
                expiration
            );
            print(&mut out, &render(cli.json, value, &text));
        }
        Command::Watch {
            what,
            interval,
            exit_on_notice,
            max_wait,
        } => {
            drop(out);
            watch(
                &client,
                *what,
                *interval,
                *exit_on_notice,
                *max_wait,
                cli.json,
            )?;
        }
        Command::Config => {
            let entries = client.config().entries();
            let value = json!(entries
                .iter()
                .map(|e| (
                    e.name.to_owned(),
                    json!({ "value": e.value, "source": e.source })
                ))
                .collect::<serde_json::Map<_, _>>());
            let width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
            let text = entries
                .iter()
                .map(|e| format!("{:width$}  {:24}  {}", e.name, e.value, e.source))
                .collect::<Vec<_>>()
                .join("\n");
            print(&mut out, &render(cli.json, value, &text));
        }
        Command::Emulate { .. } => unreachable!("handled before a client is built"),
    }
    Ok(())
}

fn render(as_json: bool, value: serde_json::Value, text: &str) -> String {
    if as_json {
        value.to_string()
    } else {
        text.to_owned()
    }
}

fn identity_json(d: &imds::IdentityDocument, verified: bool) -> serde_json::Value {
    json!({
        "accountId": d.account_id,
        "architecture": d.architecture,
        "availabilityZone": d.availability_zone,
        "billingProducts": d.billing_products,
        "devpayProductCodes": d.devpay_product_codes,
        "marketplaceProductCodes": d.marketplace_product_codes,
        "imageId": d.image_id,
        "instanceId": d.instance_id,
        "instanceType": d.instance_type,
        "kernelId": d.kernel_id,
        "ramdiskId": d.ramdisk_id,
        "pendingTime": d.pending_time,
        "privateIp": d.private_ip,
        "region": d.region,
        "version": d.version,
        "signatureVerified": verified,
    })
}

/// Polls until a notice appears (and, without `exit_on_notice`, keeps printing new ones).
fn watch(
    client: &imds::blocking::Client,
    what: WatchTarget,
    interval: f64,
    exit_on_notice: bool,
    max_wait: Option<f64>,
    as_json: bool,
) -> imds::Result<()> {
    let seconds = |value: f64, flag: &str| {
        if value.is_finite() && value > 0.0 && value <= 86_400.0 {
            Ok(Duration::from_secs_f64(value))
        } else {
            Err(Error::new(
                ErrorKind::InvalidInput,
                format!("invalid {flag} {value}: expected seconds above 0, at most 86400"),
            ))
        }
    };
    let interval = seconds(interval, "--interval")?;
    let deadline = max_wait
        .map(|s| seconds(s, "--max-wait"))
        .transpose()?
        .map(|d| Instant::now() + d);
    let mut seen: Vec<String> = Vec::new();
    loop {
        // The user is waiting for a notice: a failed poll is reported and the next one
        // tried, unless the failure cannot go away by itself.
        let (notices, failure) = match poll_notices(client, what) {
            Ok(notices) => (notices, None),
            Err(err) if ends_watch(err.kind()) => return Err(err),
            Err(err) => {
                eprintln!(
                    "imds: {}: {}; polling again in {}s",
                    err.kind(),
                    err.message(),
                    interval.as_secs_f64()
                );
                (Vec::new(), Some(err))
            }
        };
        let mut printed = false;
        for (text, value) in notices {
            if seen.contains(&text) {
                continue;
            }
            let line = render(as_json, value, &text);
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
            seen.push(text);
            printed = true;
        }
        if printed && exit_on_notice {
            return Ok(());
        }
        if let Some(deadline) = deadline {
            if Instant::now() + interval > deadline {
                if seen.is_empty() {
                    let why = failure.map_or(String::new(), |err| {
                        format!(" (the last poll failed: {}: {})", err.kind(), err.message())
                    });
                    return Err(Error::new(
                        ErrorKind::Timeout,
                        format!("no notice appeared before --max-wait ran out{why}"),
                    ));
                }
                return Ok(());
            }
        }
        std::thread::sleep(interval);
    }
}

/// Failures that no later poll can fix: a bad setting, IMDS turned off by configuration,
/// or IMDS refusing this client. Anything else (unreachable, timeouts, 5xx, throttling, a
/// broken answer) may pass, so the watch reports it and polls again.
fn ends_watch(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::InvalidInput
            | ErrorKind::Disabled
            | ErrorKind::BadRequest
            | ErrorKind::Unauthorized
            | ErrorKind::Forbidden
            | ErrorKind::Cancelled
            | ErrorKind::Internal
    )
}

/// One poll: every notice present now, as its text line and its JSON value.
fn poll_notices(
    client: &imds::blocking::Client,
    what: WatchTarget,
) -> imds::Result<Vec<(String, serde_json::Value)>> {
    Ok(match what {
        WatchTarget::Spot => {
            let mut notices = Vec::new();
            if let Some(action) = client.spot_instance_action()? {
                let time = imds::format_time(action.time);
                notices.push((
                    format!("spot {} at {time}", action.action),
                    json!({ "kind": "spot", "action": action.action, "time": time }),
                ));
            }
            if let Some(rebalance) = client.rebalance_recommendation()? {
                let time = imds::format_time(rebalance.notice_time);
                notices.push((
                    format!("rebalance recommended at {time}"),
                    json!({ "kind": "rebalance", "noticeTime": time }),
                ));
            }
            notices
        }
        WatchTarget::Events => client
            .scheduled_events()?
            .into_iter()
            .map(|e| {
                let not_before = imds::format_time(e.not_before);
                (
                    format!(
                        "{} {} ({}) from {not_before}: {}",
                        e.event_id, e.code, e.state, e.description
                    ),
                    json!({
                        "kind": "maintenance", "eventId": e.event_id, "code": e.code,
                        "state": e.state, "notBefore": not_before,
                        "description": e.description,
                    }),
                )
            })
            .collect(),
    })
}
