//! Audit events to Java's `System.Logger` (logger `dev.imds.audit`), through
//! `dev.imds.Native.audit`.
//!
//! The core calls the sink on the thread that finished the operation: a Java caller's
//! thread for a blocking call, a runtime thread for a future. Events hold no secret (the
//! core's `AuditEvent` has paths and statuses only), and a failure to log never affects
//! the call that produced the event.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use imds::{AuditEvent, AuditSink, Outcome};
use jni::objects::JObject;
use jni::{jni_sig, jni_str, JValue};

use crate::attach;

/// The sink every client built from Java is given.
pub(crate) fn sink() -> AuditSink {
    Arc::new(|event: &AuditEvent| {
        // Logging is best effort: an error (a logger that throws, a JVM shutting down) is
        // dropped, and a panic must not unwind into the core's request pipeline.
        let _ = catch_unwind(AssertUnwindSafe(|| log(event)));
    })
}

fn log(event: &AuditEvent) -> jni::errors::Result<()> {
    let latency_us = i64::try_from(event.latency.as_micros()).unwrap_or(i64::MAX);
    let outcome = match event.outcome {
        Outcome::Success => 0,
        Outcome::Failure(kind) => kind.code() as i32,
    };
    attach::with_env(|env| {
        let operation = JObject::from(env.new_string(event.operation)?);
        let path = JObject::from(env.new_string(&event.path)?);
        env.call_static_method(
            attach::native_class()?,
            jni_str!("audit"),
            jni_sig!("(Ljava/lang/String;Ljava/lang/String;IIJIZ)V"),
            &[
                JValue::Object(&operation),
                JValue::Object(&path),
                JValue::Int(event.status.map_or(-1, i32::from)),
                JValue::Int(i32::try_from(event.attempts).unwrap_or(i32::MAX)),
                JValue::Long(latency_us),
                JValue::Int(outcome),
                JValue::Bool(event.cached),
            ],
        )?;
        Ok(())
    })
}
