//! Process-level plumbing: the shared runtime of the blocking client, fork detection,
//! and cancellation.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
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
    // One worker. IMDS traffic is a trickle of tiny requests (IMDS itself throttles a
    // few thousand per second), which one thread drives with room to spare; a second
    // worker only adds wake-ups: every task woken from outside the runtime also rouses
    // an idle sibling to look for work to steal, which measurably slows sequential calls.
    // Calls that block (Java's continuations, `block_in_place`) get threads of their own,
    // so they never hold this worker.
    let runtime = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
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

/// Runs `future` to completion for a thread outside any runtime, at the cost of one HTTP
/// round trip and two thread wake-ups at most.
///
/// The future is first polled right here, inside the shared runtime's context: a value
/// the client already holds (a cached credential set or immutable value) is returned
/// without involving another thread. If it has to wait, the same future moves to the
/// runtime as a task, so that it and the connection task that does its I/O run on one
/// worker and hand each other every step of the exchange (request, response, each body
/// frame, returning the connection to the pool) without crossing threads. Polling it
/// from here instead, as `Runtime::block_on` does, costs a cross-thread wake-up for each
/// of those steps. The calling thread parks until the task ends; a panic in the future
/// resumes on this thread.
///
/// `future` may borrow from the caller's stack: that is sound because this function
/// returns, and lets a panic continue, only once the task has finished, and a finished
/// task has dropped its future (see [`wait_for`]).
pub(crate) fn block_on_shared<'a, T: Send + 'a>(
    future: impl Future<Output = Result<T>> + Send + 'a,
) -> Result<T> {
    let runtime = shared_runtime();
    let mut future: Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>> = Box::pin(future);
    {
        let _context = runtime.enter();
        // Whatever the future registers this waker with is registered again, with the
        // task's waker, when the runtime polls it: every future re-registers on each poll.
        let mut cx = Context::from_waker(noop_waker());
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
    let output = Mutex::new(None);
    let task: Pin<Box<dyn Future<Output = ()> + Send + '_>> = Box::pin(async {
        let value = future.await;
        *output.lock().unwrap_or_else(|p| p.into_inner()) = Some(value);
    });
    // SAFETY: only the lifetime changes. The task is awaited to its end below, and on
    // every path (completion, panic, the runtime cancelling it) tokio drops the future
    // before it reports the task finished, so nothing the task borrows (`future`'s
    // captures, `output`) is used after this function returns.
    let task: Pin<Box<dyn Future<Output = ()> + Send + 'static>> =
        unsafe { std::mem::transmute(task) };
    wait_for(runtime.spawn(task))?;
    output
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .expect("a task that finished has stored its output")
}

/// Parks the calling thread until `task` ends; resumes its panic if it had one.
fn wait_for(task: tokio::task::JoinHandle<()>) -> Result<()> {
    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    // The borrowed future may still be running if this function is left early; nothing
    // below panics, but if it ever did, the process stops rather than freeing memory
    // the task may still use.
    struct AbortOnUnwind;
    impl Drop for AbortOnUnwind {
        fn drop(&mut self) {
            std::process::abort();
        }
    }
    let guard = AbortOnUnwind;
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut task = std::pin::pin!(task);
    let finished = loop {
        match task.as_mut().poll(&mut cx) {
            Poll::Ready(finished) => break finished,
            // Woken by the task, or spuriously: either way, look again.
            Poll::Pending => std::thread::park(),
        }
    };
    std::mem::forget(guard);
    match finished {
        Ok(()) => Ok(()),
        Err(failure) if failure.is_panic() => std::panic::resume_unwind(failure.into_panic()),
        Err(_) => Err(Error::new(
            ErrorKind::Internal,
            "the IMDS runtime stopped before the call ended",
        )),
    }
}

/// A waker that does nothing, for the first poll on the calling thread: nobody waits on
/// it, since a future that is not ready goes on to the runtime.
fn noop_waker() -> &'static Waker {
    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    static NOOP: OnceLock<Waker> = OnceLock::new();
    NOOP.get_or_init(|| Waker::from(Arc::new(Noop)))
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
