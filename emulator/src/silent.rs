//! A listener that accepts connections and never answers, for client timeout tests.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Accepts connections on a free port of 127.0.0.1 and holds them open without reading or
/// writing a byte, the way a black-holed IMDS looks to a client. Dropping it closes them.
pub struct SilentListener {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SilentListener {
    /// Binds a free port and starts accepting.
    pub fn start() -> io::Result<SilentListener> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::Builder::new()
            .name("imds-silent-listener".into())
            .spawn(move || {
                let mut held = Vec::new();
                for stream in listener.incoming() {
                    if stopping.load(Ordering::Acquire) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        held.push(stream);
                    }
                }
            })?;
        Ok(SilentListener {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for SilentListener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // The accept loop only looks at the flag when a connection arrives: make one.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
