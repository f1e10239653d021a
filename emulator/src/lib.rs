//! A faithful IMDSv2 emulator: the token rules, access modes, a complete default instance,
//! events on a schedule and faults on demand, with an admin API on a separate port.
//!
//! Start it in-process on free ports:
//!
//! ```no_run
//! let emulator = imds_emulator::Emulator::start_default()?;
//! let endpoint = emulator.endpoint(); // "http://127.0.0.1:PORT"
//! emulator.control().set_faults(imds_emulator::Faults {
//!     error_status: Some(503),
//!     error_count: 2,
//!     ..Default::default()
//! });
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! or as a child process with the `imds-emulator` binary (see the README).

#![deny(missing_docs)]

mod admin;
mod config;
mod counters;
mod credentials;
mod events;
mod faults;
mod file;
mod foreground;
mod format;
mod http;
mod identity;
mod metadata;
mod requests;
mod silent;
mod state;
mod tokens;
mod tree;

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::watch;

pub use config::{CredentialsMode, HttpEndpoint, HttpTokens, InstanceConfig, UnknownMode};
pub use counters::Counters;
pub use events::{MaintenanceEvent, SpotAction};
pub use faults::{FaultTarget, Faults};
pub use file::EmulatorConfig;
pub use foreground::{run_foreground, ForegroundOptions, ReadyLine};
pub use identity::{certificate_pem, dsa_certificate_pem};
pub use silent::SilentListener;
pub use state::{Control, State};

use http::Listener;
use state::Shared;

/// How to start an [`Emulator`].
#[derive(Debug, Clone)]
pub struct EmulatorOptions {
    /// Address both listeners bind (127.0.0.1 by default).
    pub host: IpAddr,
    /// Metadata port; 0 picks a free one.
    pub port: u16,
    /// Admin port; 0 picks a free one.
    pub admin_port: u16,
    /// The emulated instance.
    pub instance: InstanceConfig,
    /// Initial `HttpTokens` (required by default).
    pub http_tokens: HttpTokens,
    /// Initial `HttpEndpoint` (enabled by default).
    pub http_endpoint: HttpEndpoint,
    /// Live tokens the store holds before it evicts the oldest (100,000 by default).
    pub token_capacity: usize,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        EmulatorOptions {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            admin_port: 0,
            instance: InstanceConfig::default(),
            http_tokens: HttpTokens::Required,
            http_endpoint: HttpEndpoint::Enabled,
            token_capacity: tokens::DEFAULT_CAPACITY,
        }
    }
}

/// A running emulator: a metadata listener and an admin listener served by a runtime on a
/// dedicated thread. Dropping it stops both and joins the thread.
pub struct Emulator {
    metadata_addr: SocketAddr,
    admin_addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Binds both listeners and starts serving; returns once both accept connections.
    pub fn start(options: EmulatorOptions) -> io::Result<Emulator> {
        Emulator::start_with_workers(options, 1)
    }

    /// Starts with the default instance on free ports of 127.0.0.1.
    pub fn start_default() -> io::Result<Emulator> {
        Emulator::start(EmulatorOptions::default())
    }

    /// `workers` above 1 gives a multi-threaded runtime, for the standalone binary where the
    /// emulator must keep up with benchmarks; tests are served well by one thread.
    pub(crate) fn start_with_workers(
        options: EmulatorOptions,
        workers: usize,
    ) -> io::Result<Emulator> {
        let metadata = bind(SocketAddr::new(options.host, options.port))?;
        let admin = bind(SocketAddr::new(options.host, options.admin_port))?;
        let metadata_addr = metadata.local_addr()?;
        let admin_addr = admin.local_addr()?;
        let shared = Arc::new(Shared::new(
            options.instance,
            options.http_tokens,
            options.http_endpoint,
            options.token_capacity,
        ));
        let runtime = if workers > 1 {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .enable_all()
                .build()?
        } else {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
        };
        let (shutdown, stop) = watch::channel(false);
        let serving = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("imds-emulator-{}", metadata_addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let (Ok(metadata), Ok(admin)) = (
                        tokio::net::TcpListener::from_std(metadata),
                        tokio::net::TcpListener::from_std(admin),
                    ) else {
                        tracing::error!("cannot register the listeners with the runtime");
                        return;
                    };
                    let admin_task = tokio::spawn(http::serve(
                        admin,
                        serving.clone(),
                        Listener::Admin,
                        stop.clone(),
                    ));
                    http::serve(metadata, serving, Listener::Metadata, stop).await;
                    let _ = admin_task.await;
                });
                // Connections still open (held by a fault, or idle keep-alive) end here.
                runtime.shutdown_background();
            })?;
        tracing::info!(%metadata_addr, %admin_addr, "imds emulator listening");
        Ok(Emulator {
            metadata_addr,
            admin_addr,
            shared,
            shutdown,
            thread: Some(thread),
        })
    }

    /// The metadata endpoint, `http://HOST:PORT` without a trailing slash.
    pub fn endpoint(&self) -> String {
        url(self.metadata_addr)
    }

    /// The admin API base URL, `http://HOST:PORT`.
    pub fn admin_url(&self) -> String {
        url(self.admin_addr)
    }

    /// The metadata listener's address.
    pub fn metadata_addr(&self) -> SocketAddr {
        self.metadata_addr
    }

    /// The admin listener's address.
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin_addr
    }

    /// A handle to change state and faults and read the counters.
    pub fn control(&self) -> Control {
        Control {
            shared: self.shared.clone(),
        }
    }

    /// Stops serving and joins the runtime thread.
    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn bind(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

fn url(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(v4) => format!("http://{}:{}", v4.ip(), v4.port()),
        SocketAddr::V6(v6) => format!("http://[{}]:{}", v6.ip(), v6.port()),
    }
}

/// Starts a [`SilentListener`]: a port that accepts connections and never answers.
pub fn silent_listener() -> io::Result<SilentListener> {
    SilentListener::start()
}
