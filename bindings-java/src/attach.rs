//! Calling into Java from the core's own threads.
//!
//! Futures are completed and audit events logged on the threads of the core's shared
//! runtime, which the JVM did not start. Each such thread is attached once, as a *daemon*
//! thread, the first time it calls into Java, and detached when it exits:
//!
//! - attached once, because attaching creates a `java.lang.Thread` and costs far more than
//!   the call it enables; the runtime has a handful of long-lived threads;
//! - as a daemon, because the runtime is process-wide and never shut down: a non-daemon
//!   attachment would keep `DestroyJavaVM` waiting forever, so a `main` that returned
//!   would never let its JVM exit. (jni 0.22 offers only non-daemon attachments, hence
//!   the raw `AttachCurrentThreadAsDaemon` call here; jni-rs then sees an existing
//!   attachment and leaves it alone.)
//! - detached by a thread-local destructor when the thread exits (idle blocking threads of
//!   the runtime do), so the JVM never holds a `Thread` for a dead native thread.
//!
//! Threads the JVM attached itself (every Java caller) are used as they are.

use std::cell::RefCell;
use std::ffi::{c_void, CString};
use std::ptr;
use std::sync::OnceLock;

use jni::objects::JClass;
use jni::refs::Global;
use jni::{jni_str, sys, Env, JavaVM};

/// `dev.imds.Native`, the class of every Java method this crate calls.
///
/// Looked up once from a native method, where `FindClass` uses the class loader that loaded
/// the library's Java half; on a runtime thread it would only see the system class loader,
/// which in an application server or a test runner may not know `dev.imds` at all.
static NATIVE_CLASS: OnceLock<Global<JClass<'static>>> = OnceLock::new();

/// Caches `dev.imds.Native`; called by `Native.init()` in its static initialiser.
pub(crate) fn init(env: &mut Env<'_>) -> jni::errors::Result<()> {
    if NATIVE_CLASS.get().is_none() {
        let class = env.find_class(jni_str!("dev/imds/Native"))?;
        let global = env.new_global_ref(class)?;
        // A concurrent initialiser may have won; its reference is as good as this one,
        // which is then dropped (and deleted) here.
        let _ = NATIVE_CLASS.set(global);
    }
    Ok(())
}

/// The cached `dev.imds.Native` class.
pub(crate) fn native_class() -> jni::errors::Result<&'static Global<JClass<'static>>> {
    NATIVE_CLASS.get().ok_or(jni::errors::Error::NullPtr(
        "dev.imds.Native was not initialised",
    ))
}

/// Runs `f` with a JNI environment on the current thread, attaching it as a daemon thread
/// first if the JVM does not know it yet.
///
/// A Java exception left pending by `f` is cleared and returned as
/// `Error::CaughtJavaException`: there is no Java caller here to receive it.
pub(crate) fn with_env<T>(
    f: impl FnOnce(&mut Env<'_>) -> jni::errors::Result<T>,
) -> jni::errors::Result<T> {
    let vm = JavaVM::singleton()?;
    if !vm.is_thread_attached()? {
        attach_as_daemon(&vm)?;
    }
    vm.attach_current_thread(f)
}

thread_local! {
    /// Present on threads this module attached; detaches them when they exit.
    static DAEMON: RefCell<Option<DaemonAttachment>> = const { RefCell::new(None) };
}

struct DaemonAttachment {
    vm: JavaVM,
}

impl Drop for DaemonAttachment {
    fn drop(&mut self) {
        let raw = self.vm.get_raw();
        // SAFETY: `raw` is the live JavaVM this thread attached itself to in
        // `attach_as_daemon`; thread-local destructors run after every `Env` borrowed on
        // this thread is gone, so no JNI reference of this thread outlives the detach.
        unsafe {
            ((**raw).v1_1.DetachCurrentThread)(raw);
        }
    }
}

fn attach_as_daemon(vm: &JavaVM) -> jni::errors::Result<()> {
    let name = std::thread::current()
        .name()
        .and_then(|name| CString::new(name).ok())
        .unwrap_or_else(|| CString::from(c"imds-native"));
    let mut args = sys::JavaVMAttachArgs {
        version: sys::JNI_VERSION_1_8,
        name: name.as_ptr().cast_mut(),
        group: ptr::null_mut(),
    };
    let mut env: *mut c_void = ptr::null_mut();
    let raw = vm.get_raw();
    // SAFETY: `raw` is the JVM's own invocation table (JNI 1.4 and later have
    // AttachCurrentThreadAsDaemon), `args` and `name` outlive the call, and the thread is
    // not attached (checked by the caller).
    let status = unsafe {
        ((**raw).v1_4.AttachCurrentThreadAsDaemon)(
            raw,
            &mut env,
            ptr::addr_of_mut!(args).cast::<c_void>(),
        )
    };
    if status != sys::JNI_OK {
        return Err(jni::errors::Error::JniCall(jni::errors::JniError::Other(
            status,
        )));
    }
    DAEMON.with(|slot| *slot.borrow_mut() = Some(DaemonAttachment { vm: vm.clone() }));
    Ok(())
}
