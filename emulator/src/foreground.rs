//! Running the emulator in the foreground, for the `imds-emulator` binary and `imds emulate`.

use std::io::{self, IsTerminal, Read, Write};
use std::net::IpAddr;
use std::path::PathBuf;

use serde::Serialize;

use crate::config::HttpTokens;
use crate::file::EmulatorConfig;
use crate::Emulator;

/// The metadata port the binary uses when none is given. IMDS itself is on port 80 of a
/// link-local address; 1338 is the port of the popular `amazon-ec2-metadata-mock`, so
/// clients configured for that work unchanged.
pub const DEFAULT_PORT: u16 = 1338;

/// Command-line options of the foreground emulator; `imds emulate` can flatten them into its
/// own arguments with `#[command(flatten)]`.
#[derive(Debug, Clone, clap::Args)]
pub struct ForegroundOptions {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Metadata port (0 picks a free one).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// Admin API port (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub admin_port: u16,
    /// JSON file: the instance, and optionally the access mode, faults, credentials mode,
    /// notices and token-store capacity to start with.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// HttpTokens: `required` (IMDSv2 only) or `optional` (IMDSv1 too); wins over the
    /// config file's mode [default: required].
    #[arg(long)]
    pub http_tokens: Option<HttpTokens>,
    /// Exit when standard input closes, so the emulator never outlives a parent test process.
    #[arg(long)]
    pub exit_on_stdin_eof: bool,
    /// Log filter for request lines on stderr (`info` logs every request; `warn` keeps
    /// benchmarks quiet). `RUST_LOG` takes precedence.
    #[arg(long, default_value = "info")]
    pub log_level: String,
    /// Worker threads (0: one per CPU).
    #[arg(long, default_value_t = 0)]
    pub workers: usize,
}

impl Default for ForegroundOptions {
    fn default() -> Self {
        ForegroundOptions {
            host: IpAddr::from([127, 0, 0, 1]),
            port: DEFAULT_PORT,
            admin_port: 0,
            config: None,
            http_tokens: None,
            exit_on_stdin_eof: false,
            log_level: "info".into(),
            workers: 0,
        }
    }
}

/// The one line printed on stdout once both listeners are bound.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ReadyLine {
    /// The metadata endpoint, `http://HOST:PORT`.
    pub endpoint: String,
    /// The admin API base URL.
    pub admin: String,
    /// The emulator's process id.
    pub pid: u32,
}

/// Runs the emulator until SIGINT or SIGTERM (or end of stdin with `exit_on_stdin_eof`):
/// prints the [`ReadyLine`] as JSON on stdout once listening, and logs requests to stderr.
pub fn run_foreground(options: ForegroundOptions) -> io::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&options.log_level))
        .map_err(|err| io::Error::new(io::ErrorKind::InvalidInput, err.to_string()))?;
    // A host program (`imds emulate`) may have installed its own subscriber already.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal())
        .try_init();

    let config = match &options.config {
        Some(path) => EmulatorConfig::from_json_file(path)?,
        None => EmulatorConfig::default(),
    };
    // Signal handlers go in before the ready line: a parent may signal as soon as it reads it.
    let signals = Signals::install()?;
    let workers = match options.workers {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    let mut emulator_options = config.options();
    emulator_options.host = options.host;
    emulator_options.port = options.port;
    emulator_options.admin_port = options.admin_port;
    let emulator = Emulator::start_with_workers(emulator_options, workers)?;
    // Before the ready line, so that a client never sees the emulator without them; notices
    // are scheduled from here.
    config.apply(&emulator.control());
    if let Some(tokens) = options.http_tokens {
        emulator.control().set_http_tokens(tokens);
    }
    let ready = ReadyLine {
        endpoint: emulator.endpoint(),
        admin: emulator.admin_url(),
        pid: std::process::id(),
    };
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{}", serde_json::to_string(&ready)?)?;
    stdout.flush()?;
    drop(stdout);

    signals.wait(options.exit_on_stdin_eof)?;
    tracing::info!("shutting down");
    emulator.shutdown();
    Ok(())
}

struct Signals {
    runtime: tokio::runtime::Runtime,
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        // Registration needs a runtime context, not a running runtime.
        let (interrupt, terminate) = {
            let _context = runtime.enter();
            (
                signal(SignalKind::interrupt())?,
                signal(SignalKind::terminate())?,
            )
        };
        Ok(Signals {
            runtime,
            interrupt,
            terminate,
        })
    }

    /// Blocks until SIGINT, SIGTERM, or (when asked) the end of stdin.
    fn wait(self, exit_on_stdin_eof: bool) -> io::Result<()> {
        let Signals {
            runtime,
            mut interrupt,
            mut terminate,
        } = self;
        let (eof_tx, eof_rx) = tokio::sync::oneshot::channel::<()>();
        if exit_on_stdin_eof {
            // Blocking reads of stdin need their own thread; it ends with the process.
            std::thread::Builder::new()
                .name("stdin-watch".into())
                .spawn(move || {
                    let mut sink = [0u8; 256];
                    let mut stdin = io::stdin();
                    while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
                    let _ = eof_tx.send(());
                })?;
        }
        runtime.block_on(async {
            let stdin_closed = async {
                match (exit_on_stdin_eof, eof_rx.await) {
                    (true, Ok(())) => (),
                    _ => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = interrupt.recv() => tracing::info!("SIGINT received"),
                _ = terminate.recv() => tracing::info!("SIGTERM received"),
                _ = stdin_closed => tracing::info!("stdin closed"),
            }
        });
        Ok(())
    }
}
