//! The panic boundary of every native method, and the one place where errors become Java
//! exceptions.
//!
//! Every exported function hands its body to [`entry`]. A body returns a
//! `Result<_, BridgeError>`; an `Err` or a panic is turned into a pending Java exception
//! by [`throw`] and the method returns a neutral value (0, `null`) that Java never sees,
//! because the exception is raised as soon as the native method returns.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use jni::objects::{JObject, JThrowable};
use jni::strings::JNIString;
use jni::{jni_sig, jni_str, Env, EnvUnowned, JValue, Outcome};

use crate::attach;

/// Why a native method failed.
#[derive(Debug)]
pub(crate) enum BridgeError {
    /// The core reported an error: becomes the `ImdsException` subclass of its kind.
    Core(imds::Error),
    /// A JNI call failed. With a Java exception pending (out of memory, say) that exception
    /// is left to propagate; otherwise this is a bug and becomes `ImdsInternalException`.
    Jni(jni::errors::Error),
    /// A required argument was `null`: `NullPointerException`, naming it.
    Null(&'static str),
    /// An argument Java should have refused: `IllegalArgumentException`.
    IllegalArgument(String),
    /// The client handle was already released: `IllegalStateException`.
    Closed,
    /// A panic in this crate or the core: `ImdsInternalException`, never a crashed JVM.
    Panic(String),
}

impl From<imds::Error> for BridgeError {
    fn from(error: imds::Error) -> BridgeError {
        BridgeError::Core(error)
    }
}

impl From<jni::errors::Error> for BridgeError {
    fn from(error: jni::errors::Error) -> BridgeError {
        BridgeError::Jni(error)
    }
}

/// The code Java maps to `ImdsInternalException`.
const INTERNAL: i32 = 99;

/// Runs the body of a native method: catches panics, turns errors into exceptions, and
/// returns `on_error` when it threw.
///
/// `on_error` is what the JVM receives alongside the pending exception; it is never
/// observed by Java code.
pub(crate) fn entry<'local, T: Copy>(
    mut unowned: EnvUnowned<'local>,
    on_error: T,
    body: impl FnOnce(&mut Env<'local>) -> Result<T, BridgeError>,
) -> T {
    // `with_env_no_catch` because the panic is caught here, where its message is still at
    // hand to put in the exception.
    let outcome = unowned.with_env_no_catch(|env| -> Result<T, jni::errors::Error> {
        let result = match catch_unwind(AssertUnwindSafe(|| body(env))) {
            Ok(result) => result,
            Err(payload) => Err(BridgeError::Panic(panic_message(payload))),
        };
        match result {
            Ok(value) => Ok(value),
            Err(error) => {
                // Throwing can itself fail or, in theory, panic; neither may unwind into the
                // JVM, and there is nothing better left to do than return.
                let _ = catch_unwind(AssertUnwindSafe(|| throw(env, error)));
                Ok(on_error)
            }
        }
    });
    match outcome.into_outcome() {
        Outcome::Ok(value) => value,
        Outcome::Err(_) | Outcome::Panic(_) => on_error,
    }
}

/// Makes `error` the pending exception of the current thread: the one place where errors
/// become Java exceptions.
pub(crate) fn throw(env: &mut Env<'_>, error: BridgeError) {
    if env.exception_check() {
        // A Java exception raised by a JNI call (OutOfMemoryError, say) says more than
        // anything built here would.
        return;
    }
    let thrown = match error {
        BridgeError::Core(error) => throw_imds(
            env,
            error.code() as i32,
            error.status().map_or(-1, i32::from),
            error.message(),
        ),
        BridgeError::Jni(error) => throw_imds(
            env,
            INTERNAL,
            -1,
            &format!("a JNI call in the IMDS client failed: {error}; please report it"),
        ),
        BridgeError::Panic(message) => throw_imds(env, INTERNAL, -1, &internal_message(&message)),
        BridgeError::Null(name) => env.throw_new(
            jni_str!("java/lang/NullPointerException"),
            JNIString::from(format!("{name} must not be null")),
        ),
        BridgeError::IllegalArgument(message) => env.throw_new(
            jni_str!("java/lang/IllegalArgumentException"),
            JNIString::from(message),
        ),
        BridgeError::Closed => env.throw_new(
            jni_str!("java/lang/IllegalStateException"),
            jni_str!("the ImdsClient is closed"),
        ),
    };
    if let Err(jni::errors::Error::JavaException) | Ok(()) = thrown {
        return;
    }
    // Building the ImdsException failed without leaving an exception: fall back to a plain
    // one rather than return to Java with nothing pending.
    let _ = env.throw_new(
        jni_str!("java/lang/IllegalStateException"),
        jni_str!("the IMDS client failed and could not build its exception"),
    );
}

/// Throws the `ImdsException` subclass for `code`, built by `dev.imds.Native.error`.
fn throw_imds(env: &mut Env<'_>, code: i32, status: i32, message: &str) -> jni::errors::Result<()> {
    let throwable = exception(env, code, status, message)?;
    env.throw(throwable)
}

/// Builds (without throwing) the `ImdsException` subclass for `code`.
///
/// Works on any attached thread: the class comes from the cache filled at load time, not
/// from the calling thread's class loader.
pub(crate) fn exception<'local>(
    env: &mut Env<'local>,
    code: i32,
    status: i32,
    message: &str,
) -> jni::errors::Result<JThrowable<'local>> {
    let message = env.new_string(message)?;
    let throwable = env
        .call_static_method(
            attach::native_class()?,
            jni_str!("error"),
            jni_sig!("(IILjava/lang/String;)Ljava/lang/Throwable;"),
            &[
                JValue::Int(code),
                JValue::Int(status),
                JValue::Object(&JObject::from(message)),
            ],
        )?
        .l()?;
    env.cast_local::<JThrowable>(throwable)
}

/// The message of an `ImdsInternalException` for a caught panic.
pub(crate) fn internal_message(panic: &str) -> String {
    format!("internal error in the IMDS client (a caught panic: {panic}); please report it")
}

/// The text of a panic payload.
pub(crate) fn panic_message(payload: Box<dyn Any + Send>) -> String {
    let message = if let Some(text) = payload.downcast_ref::<&'static str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_owned()
    };
    // Dropping a payload runs arbitrary code that could panic again; it must not unwind
    // into the JVM.
    if let Err(again) = catch_unwind(AssertUnwindSafe(|| drop(payload))) {
        std::mem::forget(again);
    }
    message
}
