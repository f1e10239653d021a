//! The one way the core's worker threads enter the interpreter, closed before it shuts down.
//!
//! Worker threads call into Python to complete asyncio futures and to forward audit events.
//! Up to Python 3.13, a thread that waits for the GIL after finalization has begun is ended
//! with `pthread_exit`; its forced unwind cannot cross the Rust frames of a worker thread, so
//! the whole process aborts, after the program itself has finished and printed its results.
//! An `atexit` hook runs before finalization begins: it closes the gate, then waits, with the
//! GIL released, until every worker thread already inside has left. From then on worker
//! threads do not enter, and what they carried is dropped: nothing awaits it any more.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pyo3::prelude::*;

/// Set by the `atexit` hook; worker threads stay out from then on.
static CLOSED: AtomicBool = AtomicBool::new(false);
/// Worker threads between entering the gate and leaving the interpreter.
static INSIDE: AtomicUsize = AtomicUsize::new(0);

/// How long the exit hook waits for worker threads inside the interpreter. Their work there
/// is short (scheduling a callback, emitting a log record); a handler blocked for longer
/// must not hold the process's exit forever.
const EXIT_WAIT: Duration = Duration::from_secs(5);

/// Runs `f` with the GIL from a thread the interpreter did not start, unless the interpreter
/// is shutting down; `None` then.
pub(crate) fn attach<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> Option<R> {
    // Counted before the check: the exit hook, which sets CLOSED before it reads INSIDE,
    // either sees this thread inside or is seen by it as closed.
    INSIDE.fetch_add(1, Ordering::SeqCst);
    let _leave = Leave;
    if CLOSED.load(Ordering::SeqCst) {
        return None;
    }
    Python::try_attach(f)
}

struct Leave;

impl Drop for Leave {
    fn drop(&mut self) {
        INSIDE.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The `atexit` hook: closes the gate and waits for the threads inside to leave.
#[pyfunction]
fn close_before_exit(py: Python<'_>) {
    CLOSED.store(true, Ordering::SeqCst);
    py.detach(|| {
        let start = Instant::now();
        while INSIDE.load(Ordering::SeqCst) > 0 && start.elapsed() < EXIT_WAIT {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// In a child process after `fork()`: the parent's worker threads do not exist here, so
/// none of them is inside.
#[pyfunction]
fn reset_after_fork() {
    INSIDE.store(0, Ordering::SeqCst);
    CLOSED.store(false, Ordering::SeqCst);
}

/// Registers the exit and fork hooks; called once, when the module is imported.
pub(crate) fn install(py: Python<'_>) -> PyResult<()> {
    py.import("atexit")?
        .call_method1("register", (wrap_pyfunction!(close_before_exit, py)?,))?;
    let kwargs = pyo3::types::PyDict::new(py);
    kwargs.set_item("after_in_child", wrap_pyfunction!(reset_after_fork, py)?)?;
    py.import("os")?
        .call_method("register_at_fork", (), Some(&kwargs))?;
    Ok(())
}
