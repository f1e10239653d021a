//! Running core calls for Python: blocking with the GIL released, or as asyncio futures.
//!
//! A blocking call first polls the future once on the caller's thread, so a value the core
//! already holds is answered there. Otherwise both ways spawn it on the core's shared
//! runtime (`imds::shared_handle`), which the core restarts in a child process after
//! `fork()`, and both wrap it in the same guard: the call ends early with `cancelled` when
//! its own [`Cancel`] fires (Ctrl-C, a cancelled asyncio task) or when the client is
//! closed, and a panic in the core becomes an `InternalError` instead of a lost answer.
//!
//! Why not `pyo3-async-runtimes`: it drives futures on a runtime of its own, set once per
//! process as a `'static`, while the core's runtime must be replaced after `fork()`; and
//! what it would add here is small: one `loop.call_soon_threadsafe` to complete an asyncio
//! future from a worker thread, and one done-callback that fires the call's [`Cancel`].

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{mpsc, Arc, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use imds::{Cancel, ErrorKind};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyCFunction;
use pyo3::IntoPyObjectExt;

use crate::errors;

/// How often a blocked call checks for signals (Ctrl-C) while it waits.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// Spawns `work` guarded by `call` and `closing`, then hands its result to `deliver` on a
/// runtime thread.
fn start<T, W, D>(work: W, call: Cancel, closing: Cancel, deliver: D)
where
    T: Send + 'static,
    W: Future<Output = imds::Result<T>> + Send + 'static,
    D: FnOnce(imds::Result<T>) + Send + 'static,
{
    let runtime = imds::shared_handle();
    let task = runtime.spawn(async move {
        tokio::select! {
            biased;
            () = call.cancelled() => Err(imds::Error::new(
                ErrorKind::Cancelled,
                "the call was cancelled",
            )),
            () = closing.cancelled() => Err(imds::Error::new(
                ErrorKind::Cancelled,
                "the client was closed while the call was in flight",
            )),
            result = work => result,
        }
    });
    runtime.spawn(async move {
        let result = task.await.unwrap_or_else(|failure| {
            Err(imds::Error::new(
                ErrorKind::Internal,
                format!(
                    "the IMDS call {} inside the client: this is a bug, please report it",
                    if failure.is_panic() {
                        "panicked"
                    } else {
                        "was aborted"
                    }
                ),
            ))
        });
        deliver(result);
    });
}

/// Refuses calls that would wait on the runtime from one of its own threads, such as a
/// `logging` handler of the `imds.audit` logger calling the client: with the worker
/// blocked, the call could never finish.
fn check_context(py: Python<'_>) -> PyResult<()> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(errors::to_py(
            py,
            &imds::Error::new(
                ErrorKind::Internal,
                "the imds client was called from one of its own worker threads (for \
                 example from a handler of the imds.audit logger); call it from another \
                 thread",
            ),
        ));
    }
    Ok(())
}

/// Runs `work` to completion on the shared runtime and returns its value.
///
/// The GIL is released while waiting. Every [`SIGNAL_POLL`] the thread re-attaches to run
/// Python's signal handlers; if one raises (Ctrl-C's `KeyboardInterrupt`), the core call
/// is cancelled and that exception propagates at once.
pub(crate) fn block_on<T, W>(py: Python<'_>, closing: &Cancel, work: W) -> PyResult<T>
where
    T: Send + 'static,
    W: Future<Output = imds::Result<T>> + Send + 'static,
{
    check_context(py)?;
    if closing.is_cancelled() {
        return Err(errors::closed(py));
    }

    // Values the core already holds (cached credentials, immutable metadata) are ready at
    // the first poll: answering them on this thread spares the two thread hand-offs of a
    // trip through the runtime, which cost far more than the answer itself. Anything else
    // has only started (a pure CPU step) and goes on as usual on the runtime.
    let mut work = Box::pin(work);
    match poll_once(&mut work) {
        Some(Ok(result)) => return result.map_err(|error| errors::to_py(py, &error)),
        Some(Err(panicked)) => return Err(errors::to_py(py, &panicked)),
        None => {}
    }

    let call = Cancel::new();
    let (sender, receiver) = mpsc::sync_channel(1);
    start(work, call.clone(), closing.clone(), move |result| {
        // The receiver is gone only if the caller was interrupted; nobody wants the value.
        let _ = sender.send(result);
    });

    let mut receiver = receiver;
    loop {
        // The receiver is `Send` but not `Sync`, so it travels into the detached closure
        // and back out rather than being borrowed.
        let (received, returned) = py.detach(move || {
            let received = receiver.recv_timeout(SIGNAL_POLL);
            (received, receiver)
        });
        receiver = returned;
        match received {
            Ok(result) => return result.map_err(|error| errors::to_py(py, &error)),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Err(interrupt) = py.check_signals() {
                    call.cancel();
                    return Err(interrupt);
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(errors::to_py(
                    py,
                    &imds::Error::new(
                        ErrorKind::Internal,
                        "the IMDS runtime stopped before the call finished",
                    ),
                ))
            }
        }
    }
}

/// Polls `work` once on this thread, inside the shared runtime's context (so it may start
/// I/O and timers), with a waker that does nothing: if it is not ready, the runtime polls
/// it again with its own waker, which is what every future expects. `Err` is a panic.
fn poll_once<T, W>(work: &mut Pin<Box<W>>) -> Option<Result<imds::Result<T>, imds::Error>>
where
    W: Future<Output = imds::Result<T>>,
{
    static NOOP: OnceLock<Waker> = OnceLock::new();
    let waker = NOOP.get_or_init(|| Waker::from(Arc::new(NoopWake)));
    let handle = imds::shared_handle();
    let _runtime = handle.enter();
    let mut context = Context::from_waker(waker);
    match catch_unwind(AssertUnwindSafe(|| work.as_mut().poll(&mut context))) {
        Ok(Poll::Ready(result)) => Some(Ok(result)),
        Ok(Poll::Pending) => None,
        Err(_) => Some(Err(imds::Error::new(
            ErrorKind::Internal,
            "the IMDS call panicked inside the client: this is a bug, please report it",
        ))),
    }
}

struct NoopWake;

impl Wake for NoopWake {
    fn wake(self: Arc<Self>) {}
}

static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static SET_OUTCOME: PyOnceLock<Py<PyCFunction>> = PyOnceLock::new();

/// Fires a call's [`Cancel`] when its asyncio future is done; the only way a done future
/// still has a running call is that it was cancelled.
#[pyclass(frozen)]
struct CancelOnDone {
    call: Cancel,
}

#[pymethods]
impl CancelOnDone {
    fn __call__(&self, _future: &Bound<'_, PyAny>) {
        self.call.cancel();
    }
}

/// Completes `future` unless it is already done (cancelled while the answer was on its
/// way). Runs on the event loop's thread, scheduled by `call_soon_threadsafe`.
#[pyfunction]
fn set_outcome(future: &Bound<'_, PyAny>, ok: bool, value: Bound<'_, PyAny>) -> PyResult<()> {
    if future.call_method0("done")?.is_truthy()? {
        return Ok(());
    }
    let method = if ok { "set_result" } else { "set_exception" };
    future.call_method1(method, (value,))?;
    Ok(())
}

/// Starts `work` and returns an asyncio future of the running loop for its value.
///
/// Cancelling the future (or the task awaiting it) cancels the core call, which drops its
/// request. Must be called with an event loop running in this thread.
pub(crate) fn spawn<'py, T, W>(
    py: Python<'py>,
    closing: &Cancel,
    work: W,
) -> PyResult<Bound<'py, PyAny>>
where
    T: for<'a> IntoPyObject<'a> + Send + 'static,
    W: Future<Output = imds::Result<T>> + Send + 'static,
{
    check_context(py)?;
    if closing.is_cancelled() {
        return Err(errors::closed(py));
    }
    let event_loop = GET_RUNNING_LOOP
        .import(py, "asyncio", "get_running_loop")?
        .call0()?;
    let future = event_loop.call_method0("create_future")?;
    let call = Cancel::new();
    future.call_method1("add_done_callback", (CancelOnDone { call: call.clone() },))?;

    let event_loop = event_loop.unbind();
    let target = future.clone().unbind();
    start(work, call, closing.clone(), move |result| {
        // Declines during interpreter shutdown, when nothing awaits the future any more.
        crate::interpreter::attach(|py| resolve(py, event_loop, target, result));
    });
    Ok(future)
}

/// Hands `result` to the event loop, which sets it on `future`.
fn resolve<T>(py: Python<'_>, event_loop: Py<PyAny>, future: Py<PyAny>, result: imds::Result<T>)
where
    T: for<'a> IntoPyObject<'a>,
{
    let outcome = match result {
        Ok(value) => value.into_py_any(py).map(|value| (true, value)),
        Err(error) => Ok((false, errors::to_py(py, &error).into_value(py).into_any())),
    };
    let (ok, value) =
        outcome.unwrap_or_else(|conversion| (false, conversion.into_value(py).into_any()));
    let scheduled = SET_OUTCOME
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(wrap_pyfunction!(set_outcome, py)?.unbind())
        })
        .and_then(|set| {
            event_loop.call_method1(py, "call_soon_threadsafe", (set, future, ok, value))
        });
    // Fails only when the loop is closed: then no one can await the future any more.
    drop(scheduled);
}
