//! `CompletableFuture` calls: run on the core's shared runtime, completed from the core's
//! own threads, and cancelled through `imds::Cancel` when Java cancels the future.
//!
//! Java numbers each call; a registry maps the number to the call's `Cancel` handle while
//! the call runs, so `Native.cancel` can reach it. A number that is no longer registered
//! (the call ended) is ignored, so there is nothing Java must free and nothing it could
//! use after it was freed.
//!
//! The Java future is held by one global reference per call, deleted when the call
//! completes; [`live_futures`] counts them so the tests can prove none leaks.

use std::collections::HashMap;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex, MutexGuard};
use std::task::{Context, Poll};

use imds::Cancel;
use jni::objects::JObject;
use jni::refs::Global;
use jni::{jni_sig, jni_str, Env, JValue};

use crate::attach;
use crate::boundary::{self, BridgeError};
use crate::convert;
use crate::ops::Value;

static CALLS: LazyLock<Mutex<HashMap<i64, Cancel>>> = LazyLock::new(Mutex::default);

/// Global references to Java futures held now.
static LIVE_FUTURES: AtomicUsize = AtomicUsize::new(0);

fn calls() -> MutexGuard<'static, HashMap<i64, Cancel>> {
    CALLS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Starts `work` on the shared runtime; its result completes `future`, a
/// `dev.imds.NativeFuture`, from a runtime thread.
pub(crate) fn start<W>(
    env: &mut Env<'_>,
    future: &JObject<'_>,
    call_id: i64,
    work: W,
) -> Result<(), BridgeError>
where
    W: Future<Output = imds::Result<Value>> + Send + 'static,
{
    if future.is_null() {
        return Err(BridgeError::Null("future"));
    }
    let future = PendingFuture::new(env.new_global_ref(future)?);
    let cancel = Cancel::new();
    calls().insert(call_id, cancel.clone());

    imds::shared_handle().spawn(async move {
        let outcome = CatchUnwind(Box::pin(async move {
            imds::with_cancel_and_deadline(work, Some(&cancel), None).await
        }))
        .await;
        calls().remove(&call_id);
        // Completing a CompletableFuture runs its Java continuations on the completing
        // thread. A blocking thread of the runtime takes that on, so a slow continuation
        // cannot stall the workers that drive every client's I/O.
        drop(tokio::task::spawn_blocking(move || {
            complete(future, outcome)
        }));
    });
    Ok(())
}

/// Cancels call `call_id` if it is still running.
pub(crate) fn cancel(call_id: i64) {
    if let Some(cancel) = calls().get(&call_id) {
        cancel.cancel();
    }
}

/// Calls started and not yet ended.
pub(crate) fn running() -> usize {
    calls().len()
}

/// Global references to Java futures held now.
pub(crate) fn live_futures() -> usize {
    LIVE_FUTURES.load(Ordering::SeqCst)
}

/// The global reference to a call's Java future, counted while it lives.
struct PendingFuture(Global<JObject<'static>>);

impl PendingFuture {
    fn new(global: Global<JObject<'static>>) -> PendingFuture {
        LIVE_FUTURES.fetch_add(1, Ordering::SeqCst);
        PendingFuture(global)
    }
}

impl Drop for PendingFuture {
    fn drop(&mut self) {
        // The `Global` field is dropped (and the JNI reference deleted) right after this.
        LIVE_FUTURES.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Completes the Java future with the call's outcome; runs on a runtime thread.
fn complete(future: PendingFuture, outcome: Result<imds::Result<Value>, String>) {
    let first = catch_unwind(AssertUnwindSafe(|| {
        attach::with_env(|env| match &outcome {
            Ok(Ok(value)) => {
                let raw = convert::to_java(env, value)?;
                env.call_method(
                    &future.0,
                    jni_str!("completeFromNative"),
                    jni_sig!("(Ljava/lang/Object;)V"),
                    &[JValue::Object(&raw)],
                )?;
                Ok(())
            }
            Ok(Err(error)) => fail(
                env,
                &future,
                error.code() as i32,
                error.status().map_or(-1, i32::from),
                error.message(),
            ),
            Err(panic) => fail(env, &future, 99, -1, &boundary::internal_message(panic)),
        })
    }));
    let problem = match first {
        Ok(Ok(())) => return,
        Ok(Err(error)) => format!("a JNI call failed: {error}"),
        Err(payload) => boundary::panic_message(payload),
    };
    // The result could not be handed over (out of memory, a bug): fail the future rather
    // than leave its callers waiting forever. A future already completed ignores this.
    let message = boundary::internal_message(&format!("completing a future: {problem}"));
    let _ = catch_unwind(AssertUnwindSafe(|| {
        attach::with_env(|env| fail(env, &future, 99, -1, &message))
    }));
}

fn fail(
    env: &mut Env<'_>,
    future: &PendingFuture,
    code: i32,
    status: i32,
    message: &str,
) -> jni::errors::Result<()> {
    let message = JObject::from(env.new_string(message)?);
    env.call_method(
        &future.0,
        jni_str!("failFromNative"),
        jni_sig!("(IILjava/lang/String;)V"),
        &[
            JValue::Int(code),
            JValue::Int(status),
            JValue::Object(&message),
        ],
    )?;
    Ok(())
}

/// Polls a future inside `catch_unwind`, so a panic in the core ends the call with an
/// internal error instead of leaving its Java future incomplete forever.
struct CatchUnwind<T>(Pin<Box<dyn Future<Output = T> + Send>>);

impl<T> Future for CatchUnwind<T> {
    type Output = Result<T, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Ok(Poll::Pending) => Poll::Pending,
            // Ready at once: the panicked future is never polled again.
            Err(payload) => Poll::Ready(Err(boundary::panic_message(payload))),
        }
    }
}
