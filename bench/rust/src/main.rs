//! Benchmark runner for the Rust clients: the `imds` core (async and blocking), the IMDS
//! client of `aws-config`, and a raw keep-alive loop that stands for the physical limit.
//!
//! Every runner in bench/ speaks the same protocol (see bench/README.md):
//!
//! ```text
//! imds-bench-rust CLIENT WORKLOAD ENDPOINT CONCURRENCY AMOUNT
//! ```
//!
//! and prints exactly one JSON line on stdout. The harness measures what a process cannot
//! measure about itself (wall time from spawn to exit, peak RSS through `wait4`).

mod raw;

use std::fmt::Display;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_credential_types::provider::ProvideCredentials;

/// The leaf every client reads, relative to `/latest/meta-data/`: mutable on EC2, so the
/// core's immutable-value cache does not apply and every call goes over the wire, as it does
/// for the peers.
const READ_PATH: &str = "local-ipv4";

/// What one worker observed.
#[derive(Default)]
struct Samples {
    latencies_ns: Vec<u64>,
    /// Calls made during the warm-up, so the harness can relate server counters to calls.
    warm_ops: u64,
    errors: u64,
    first_error: Option<String>,
}

impl Samples {
    fn record<T, E: Display>(&mut self, started: Instant, result: Result<T, E>) {
        let elapsed = started.elapsed().as_nanos() as u64;
        match result {
            Ok(_) => self.latencies_ns.push(elapsed),
            Err(e) => {
                self.errors += 1;
                self.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }

    fn merge(mut self, other: Samples) -> Samples {
        self.latencies_ns.extend(other.latencies_ns);
        self.errors += other.errors;
        self.warm_ops += other.warm_ops;
        self.first_error = self.first_error.or(other.first_error);
        self
    }
}

/// The measurement window: a warm-up (connections, token, JIT in other languages) that is
/// not recorded, then `measure` of recorded calls.
#[derive(Clone, Copy)]
struct Window {
    warm_until: Instant,
    end: Instant,
}

impl Window {
    fn new(duration: Duration) -> Window {
        let warm_until = Instant::now() + duration / 4;
        Window {
            warm_until,
            end: warm_until + duration,
        }
    }
}

struct Args {
    client: String,
    workload: String,
    endpoint: String,
    concurrency: usize,
    amount: u64,
}

fn parse_args() -> Result<Args, String> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let [client, workload, endpoint, concurrency, amount] = argv.as_slice() else {
        return Err("usage: imds-bench-rust CLIENT WORKLOAD ENDPOINT CONCURRENCY AMOUNT".into());
    };
    Ok(Args {
        client: client.clone(),
        workload: workload.clone(),
        endpoint: endpoint.trim_end_matches('/').to_owned(),
        concurrency: concurrency
            .parse()
            .map_err(|e| format!("bad CONCURRENCY: {e}"))?,
        amount: amount.parse().map_err(|e| format!("bad AMOUNT: {e}"))?,
    })
}

fn main() -> ExitCode {
    let process_start = Instant::now();
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("imds-bench-rust: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&args, process_start) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("imds-bench-rust: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args, process_start: Instant) -> Result<String, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let client = Client::new(&args.client, &args.endpoint, &runtime)?;
    let client = Arc::new(client);
    match args.workload.as_str() {
        "read" | "creds" => {
            let creds = args.workload == "creds";
            // One untimed call first: lazy initialisation (and, elsewhere, class loading)
            // must not eat into the warm-up or the window.
            let _ = client.call_blocking(&runtime, creds);
            let window = Window::new(Duration::from_millis(args.amount));
            let started = Instant::now();
            let samples = client.hammer(&runtime, args.concurrency, window, creds);
            let elapsed = started
                .elapsed()
                .saturating_sub(window.warm_until - started);
            Ok(samples_json(&samples, elapsed, hwm_kb()?))
        }
        "cold" => {
            let result = client.call_blocking(&runtime, false);
            let first_value_ns = process_start.elapsed().as_nanos();
            Ok(format!(
                "{{\"hwm_kb\":{},\"first_value_ns\":{first_value_ns},\"ok\":{},\"error\":{}}}",
                hwm_kb()?,
                result.is_ok(),
                json_opt(result.err().as_deref())
            ))
        }
        "offline" => {
            let mut calls = Vec::new();
            let mut outcomes = Vec::new();
            for _ in 0..args.amount {
                let started = Instant::now();
                let result = client.call_blocking(&runtime, false);
                calls.push(started.elapsed().as_nanos().to_string());
                outcomes.push(json_str(&result.err().unwrap_or_else(|| "ok".into())));
            }
            Ok(format!(
                "{{\"hwm_kb\":{},\"calls_ns\":[{}],\"outcomes\":[{}]}}",
                hwm_kb()?,
                calls.join(","),
                outcomes.join(",")
            ))
        }
        "soak" => soak(
            &client,
            args.concurrency,
            Duration::from_millis(args.amount),
        ),
        other => Err(format!("unknown workload {other:?}")),
    }
}

/// Hammers one blocking client from `concurrency` threads for `duration`, mixing metadata
/// reads with credential reads, and samples this process's resident memory every 5 s so
/// growth (a leak) shows.
fn soak(client: &Client, concurrency: usize, duration: Duration) -> Result<String, String> {
    let Client::CoreBlocking(c) = client else {
        return Err("soak drives core-blocking".into());
    };
    let end = Instant::now() + duration;
    let mut rss = vec![rss_kb()?];
    let samples = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..concurrency)
            .map(|_| {
                scope.spawn(move || {
                    // Counts only: a soak keeps no per-call record, or the runner's own
                    // memory would grow with every call and hide (or fake) a leak.
                    let mut samples = Samples::default();
                    let mut i = 0u64;
                    while Instant::now() < end {
                        i += 1;
                        let outcome = if i % 100 == 0 {
                            c.credentials().map(drop)
                        } else {
                            c.get_metadata(READ_PATH).map(drop)
                        };
                        match outcome {
                            Ok(()) => samples.warm_ops += 1,
                            Err(e) => {
                                samples.errors += 1;
                                samples.first_error.get_or_insert_with(|| e.to_string());
                            }
                        }
                    }
                    samples
                })
            })
            .collect();
        while Instant::now() < end {
            std::thread::sleep(Duration::from_secs(5).min(end - Instant::now()));
            if let Ok(kb) = rss_kb() {
                rss.push(kb);
            }
        }
        workers
            .into_iter()
            .map(|w| w.join().expect("soak worker panicked"))
            .fold(Samples::default(), Samples::merge)
    });
    let rss: Vec<String> = rss.iter().map(u64::to_string).collect();
    Ok(format!(
        "{{\"ops\":{},\"errors\":{},\"first_error\":{},\"rss_kb\":[{}]}}",
        samples.warm_ops,
        samples.errors,
        json_opt(samples.first_error.as_deref()),
        rss.join(",")
    ))
}

/// This process's resident set size now, from /proc/self/status.
fn rss_kb() -> Result<u64, String> {
    proc_status_kb("VmRSS:")
}

/// This process's peak resident set size. Measured here rather than by the harness:
/// `wait4`'s `ru_maxrss` also counts the harness's own memory, which the child shares from
/// the fork until it execs.
fn hwm_kb() -> Result<u64, String> {
    proc_status_kb("VmHWM:")
}

fn proc_status_kb(field: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {field} in /proc/self/status"))
}

/// One client under test, built once and shared by every worker.
enum Client {
    CoreAsync(imds::Client),
    CoreBlocking(imds::blocking::Client),
    AwsConfig {
        client: aws_config::imds::Client,
        credentials: aws_config::imds::credentials::ImdsCredentialsProvider,
    },
    Raw(raw::Target),
}

impl Client {
    fn new(
        name: &str,
        endpoint: &str,
        runtime: &tokio::runtime::Runtime,
    ) -> Result<Client, String> {
        Ok(match name {
            "core-async" => Client::CoreAsync(
                imds::Client::builder()
                    .endpoint(endpoint)
                    .build()
                    .map_err(|e| e.to_string())?,
            ),
            "core-blocking" => Client::CoreBlocking(
                imds::Client::builder()
                    .endpoint(endpoint)
                    .build_blocking()
                    .map_err(|e| e.to_string())?,
            ),
            "aws-config" => {
                // Built inside the runtime: aws-config picks up the Tokio sleep and HTTP
                // client from the context it is built in.
                let _guard = runtime.enter();
                let client = aws_config::imds::Client::builder()
                    .endpoint(endpoint)
                    .map_err(|e| e.to_string())?
                    .build();
                let credentials = aws_config::imds::credentials::ImdsCredentialsProvider::builder()
                    .imds_client(client.clone())
                    .build();
                Client::AwsConfig {
                    client,
                    credentials,
                }
            }
            "raw" => Client::Raw(raw::Target::new(endpoint)?),
            other => return Err(format!("unknown client {other:?}")),
        })
    }

    fn is_async(&self) -> bool {
        matches!(self, Client::CoreAsync(_) | Client::AwsConfig { .. })
    }

    /// One call from an async worker; `Err` carries the client's own error text.
    async fn call_async(&self, creds: bool) -> Result<(), String> {
        match self {
            Client::CoreAsync(c) if creds => c.credentials().await.map(drop).map_err(text),
            Client::CoreAsync(c) => c.get_metadata(READ_PATH).await.map(drop).map_err(text),
            Client::AwsConfig { credentials, .. } if creds => credentials
                .provide_credentials()
                .await
                .map(drop)
                .map_err(text),
            Client::AwsConfig { client, .. } => client
                .get(&format!("/latest/meta-data/{READ_PATH}"))
                .await
                .map(drop)
                .map_err(text),
            _ => unreachable!("blocking clients are driven by threads"),
        }
    }

    /// One call from a thread; async clients are driven on the runtime.
    fn call_blocking(&self, runtime: &tokio::runtime::Runtime, creds: bool) -> Result<(), String> {
        match self {
            Client::CoreBlocking(c) if creds => c.credentials().map(drop).map_err(text),
            Client::CoreBlocking(c) => c.get_metadata(READ_PATH).map(drop).map_err(text),
            Client::Raw(_) => Err("the raw loop keeps one connection per worker".into()),
            _ => runtime.block_on(self.call_async(creds)),
        }
    }

    fn hammer(
        self: &Arc<Self>,
        runtime: &tokio::runtime::Runtime,
        concurrency: usize,
        window: Window,
        creds: bool,
    ) -> Samples {
        if self.is_async() {
            let tasks: Vec<_> = (0..concurrency)
                .map(|_| {
                    let client = Arc::clone(self);
                    runtime.spawn(async move { worker_async(&client, window, creds).await })
                })
                .collect();
            runtime.block_on(join_all(tasks))
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..concurrency)
                    .map(|_| scope.spawn(|| self.worker_thread(window, creds)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("worker thread panicked"))
                    .fold(Samples::default(), Samples::merge)
            })
        }
    }

    fn worker_thread(&self, window: Window, creds: bool) -> Samples {
        let mut samples = Samples::default();
        match self {
            Client::Raw(target) => {
                let mut conn = None;
                let mut call = || target.call(&mut conn, creds);
                run_window(window, &mut samples, &mut call);
            }
            Client::CoreBlocking(c) => {
                let mut call = || -> Result<(), String> {
                    if creds {
                        c.credentials().map(drop).map_err(text)
                    } else {
                        c.get_metadata(READ_PATH).map(drop).map_err(text)
                    }
                };
                run_window(window, &mut samples, &mut call);
            }
            _ => unreachable!("async clients are driven by tasks"),
        }
        samples
    }
}

fn run_window(window: Window, samples: &mut Samples, call: &mut dyn FnMut() -> Result<(), String>) {
    while Instant::now() < window.warm_until {
        let _ = call();
        samples.warm_ops += 1;
    }
    loop {
        let started = Instant::now();
        if started >= window.end {
            break;
        }
        samples.record(started, call());
    }
}

async fn worker_async(client: &Client, window: Window, creds: bool) -> Samples {
    let mut samples = Samples::default();
    while Instant::now() < window.warm_until {
        let _ = client.call_async(creds).await;
        samples.warm_ops += 1;
    }
    loop {
        let started = Instant::now();
        if started >= window.end {
            break;
        }
        samples.record(started, client.call_async(creds).await);
    }
    samples
}

async fn join_all(tasks: Vec<tokio::task::JoinHandle<Samples>>) -> Samples {
    let mut all = Samples::default();
    for task in tasks {
        all = all.merge(task.await.expect("worker task panicked"));
    }
    all
}

fn text(e: impl Display) -> String {
    e.to_string()
}

fn samples_json(samples: &Samples, elapsed: Duration, hwm_kb: u64) -> String {
    let latencies: Vec<String> = samples.latencies_ns.iter().map(u64::to_string).collect();
    format!(
        "{{\"hwm_kb\":{hwm_kb},\"ops\":{},\"errors\":{},\"warm_ops\":{},\"elapsed_s\":{:.6},\"first_error\":{},\"lat_ns\":[{}]}}",
        samples.latencies_ns.len(),
        samples.errors,
        samples.warm_ops,
        elapsed.as_secs_f64(),
        json_opt(samples.first_error.as_deref()),
        latencies.join(",")
    )
}

fn json_opt(value: Option<&str>) -> String {
    value.map_or_else(|| "null".to_owned(), json_str)
}

/// A JSON string literal; error texts may hold quotes, backslashes or control characters.
fn json_str(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
