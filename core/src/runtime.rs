//! Process-level plumbing: the shared runtime of the blocking client, fork detection,
//! and cancellation.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use tokio::runtime::{Handle, Runtime};
use tokio::sync::Notify;

use crate::error::{Error, ErrorKind, Result};

static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);
static REGISTER_FORK_HANDLER: Once = Once::new();

extern "C" fn after_fork_in_child() {
    // Async-signal-safe: one atomic increment. Everything else is rebuilt lazily.
    FORK_GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// A number that changes in a child process after every `fork()`.
///
/// Runtimes, connection pools and locks copied from the parent are unusable in the child
/// (their threads do not exist there), so per-process state is tagged with the generation
/// it was built in and rebuilt when the generation moves.
pub(crate) fn fork_generation() -> u64 {
    REGISTER_FORK_HANDLER.call_once(|| {
        // SAFETY: registers a handler that only performs an atomic increment.
        let rc = unsafe { libc::pthread_atfork(None, None, Some(after_fork_in_child)) };
        if rc != 0 {
            tracing::warn!(
                rc,
                "pthread_atfork failed; a forked child may need a new client"
            );
        }
    });
    FORK_GENERATION.load(Ordering::Relaxed)
}

struct SharedRuntime {
    generation: u64,
    runtime: Arc<Runtime>,
}

static RUNTIME: Mutex<Option<SharedRuntime>> = Mutex::new(None);

/// The runtime the blocking client and the language bindings run on: started on first
/// use, shared by the whole process, and started afresh in a forked child.
pub fn shared_runtime() -> Arc<Runtime> {
    let generation = fork_generation();
    let mut slot = RUNTIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(shared) = slot.as_ref() {
        if shared.generation == generation {
            return shared.runtime.clone();
        }
    }
    if let Some(stale) = slot.take() {
        // The parent's worker threads do not exist in the child: dropping the runtime
        // would wait for them forever, so its memory is left behind on purpose.
        std::mem::forget(stale);
    }
    // Two workers, measured against one: a single worker costs a blocking call fewer
    // context switches and less CPU, but sequential calls got slower whenever waking an
    // idle CPU is slow (a busy shared host), and concurrent callers gained nothing.
    let runtime = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("imds-worker")
            .enable_all()
            .build()
            .expect("the IMDS runtime could not start: the process is out of threads"),
    );
    *slot = Some(SharedRuntime {
        generation,
        runtime: runtime.clone(),
    });
    runtime
}

/// A handle to the shared runtime, for bindings that spawn futures (async APIs).
pub fn shared_handle() -> Handle {
    shared_runtime().handle().clone()
}

/// Lets one thread cancel calls running on others.
///
/// Cheap to clone; every clone cancels the same calls. Once cancelled it stays
/// cancelled: a call started with it afterwards ends at once with
/// [`ErrorKind::Cancelled`].
#[derive(Clone, Default, Debug)]
pub struct Cancel {
    inner: Arc<CancelInner>,
}

#[derive(Default, Debug)]
struct CancelInner {
    cancelled: AtomicBool,
    notify: Notify,
}

impl Cancel {
    /// A new, uncancelled handle.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Cancels every call using this handle, now and later. Safe from any thread.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }

    /// True once [`cancel`](Cancel::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// Completes when the handle is cancelled.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.inner.notify.notified();
            tokio::pin!(notified);
            // Register before checking the flag so a concurrent cancel is never missed.
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

/// Runs `future` until it completes, `cancel` fires, or `deadline` passes.
///
/// The future is dropped on cancellation or deadline, which aborts its request.
pub async fn with_cancel_and_deadline<T>(
    future: impl Future<Output = Result<T>>,
    cancel: Option<&Cancel>,
    deadline: Option<Duration>,
) -> Result<T> {
    let cancelled = async {
        match cancel {
            Some(cancel) => cancel.cancelled().await,
            None => std::future::pending().await,
        }
    };
    let expired = async {
        match deadline {
            Some(deadline) => tokio::time::sleep(deadline).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        biased;
        () = cancelled => Err(Error::new(ErrorKind::Cancelled, "the call was cancelled")),
        () = expired => Err(Error::new(
            ErrorKind::Timeout,
            format!(
                "the call's deadline of {:.3}s passed before IMDS answered",
                deadline.unwrap_or_default().as_secs_f64()
            ),
        )),
        result = future => result,
    }
}
