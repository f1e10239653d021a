//! The native methods of `dev.imds.Native`, one exported function each.
//!
//! Every export is one call to [`boundary::entry`] with a function returning `Result`; the
//! test at the bottom fails when an export skips the boundary or when the exports and the
//! `native` declarations of `Native.java` disagree.

use std::ptr;

use jni::objects::{JClass, JObject, JObjectArray, JString};
use jni::sys::{jint, jlong, jlongArray, jobject, jobjectArray};
use jni::{Env, EnvUnowned};

use crate::boundary::{self, BridgeError};
use crate::ops::{self, Op};
use crate::{attach, audit, calls, config, convert, handle};

#[no_mangle]
pub extern "system" fn Java_dev_imds_Native_init<'l>(env: EnvUnowned<'l>, _: JClass<'l>) {
    boundary::entry(env, (), |env| Ok(attach::init(env)?))
}

#[no_mangle]
pub extern "system" fn Java_dev_imds_Native_limits<'l>(
    env: EnvUnowned<'l>,
    _: JClass<'l>,
) -> jlongArray {
    boundary::entry(env, ptr::null_mut(), limits)
}

#[no_mangle]
pub extern "system" fn Java_dev_imds_Native_operations<'l>(
    env: EnvUnowned<'l>,
    _: JClass<'l>,
) -> jobjectArray {
    boundary::entry(env, ptr::null_mut(), operations)
}

#[no_mangle]
pub extern "system" fn Java_dev_imds_Native_errorKinds<'l>(
    env: EnvUnowned<'l>,
    _: JClass<'l>,
) -> jobjectArray {
    boundary::entry(env, ptr::null_mut(), error_kinds)
}

#[no_mangle]
pub extern "system" fn Java_dev_imds_Native_version<'l>(
    env: EnvUnowned<'l>,
    _: JClass<'l>,
) -> jobject {
    boundary::entry(env, ptr::null_mut(), version)
}

#[no_mangle]
pub extern "system" fn Java_dev_imds_Native_newClient<'l>(
    env: EnvUnowned<'l>,
    _: JClass<'l>,
    settings: JObjectArray<'l, JString<'l>>,
    environment: JObjectArray<'l, JString<'l>>,
) -> jlong {
    boundary::entry(env, 0, |env| new_client(env, &settings, &environment))
}

#[no_mangle]
pub extern "system" fn Java_dev_imds_Native_freeClient<'l>(
    env: EnvUnowned<'l>,
    _: JClass<'l>,
    handle: jlong,
) {
    boundary::entry(env, (), |_| {
        handle::release(handle);
        Ok(())
    })
}

#[no_mangle]
pub extern "system" fn Java_dev_imds_Native_clearCaches<'l>(
    env: EnvUnowned<'l>,
    _: JClass<'l>,
    handle: jlong,
) {
    boundary::entry(env, (), |_| {
        handle::borrow(handle)?.inner.clear_caches();
        Ok(())
    })
}

#[no_mangle]
pub extern "system" fn Java_dev_imds_Native_describeConfig<'l>(
    env: EnvUnowned<'l>,
    _: JClass<'l>,
    handle: jlong,
) -> jobjectArray {
    boundary::entry(env, ptr::null_mut(), |env| describe_config(env, handle))
}

#[no_mangle]
pub extern "system" fn Java_dev_imds_Native_call<'l>(
    env: EnvUnowned<'l>,
    _: JClass<'l>,
    handle: jlong,
    op: jint,
    argument: JString<'l>,
) -> jobject {
    boundary::entry(env, ptr::null_mut(), |env| call(env, handle, op, &argument))
}

#[no_mangle]
pub extern "system" fn Java_dev_imds_Native_callAsync<'l>(
    env: EnvUnowned<'l>,
    _: JClass<'l>,
    handle: jlong,
    op: jint,
    argument: JString<'l>,
    future: JObject<'l>,
    call_id: jlong,
) {
    boundary::entry(env, (), |env| {
        call_async(env, handle, op, &argument, &future, call_id)
    })
}

#[no_mangle]
pub extern "system" fn Java_dev_imds_Native_cancel<'l>(
    env: EnvUnowned<'l>,
    _: JClass<'l>,
    call_id: jlong,
) {
    boundary::entry(env, (), |_| {
        calls::cancel(call_id);
        Ok(())
    })
}

#[no_mangle]
pub extern "system" fn Java_dev_imds_Native_counters<'l>(
    env: EnvUnowned<'l>,
    _: JClass<'l>,
) -> jlongArray {
    boundary::entry(env, ptr::null_mut(), counters)
}

#[no_mangle]
pub extern "system" fn Java_dev_imds_Native_panicForTest<'l>(
    env: EnvUnowned<'l>,
    _: JClass<'l>,
    future: JObject<'l>,
    call_id: jlong,
) {
    boundary::entry(env, (), |env| panic_for_test(env, &future, call_id))
}

fn long_array(env: &mut Env<'_>, values: &[i64]) -> Result<jlongArray, BridgeError> {
    let array = env.new_long_array(values.len())?;
    array.set_region(env, 0, values)?;
    Ok(array.into_raw())
}

fn count(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The core's limits Java checks arguments against: the longest token TTL in seconds and
/// the most attempts.
fn limits(env: &mut Env<'_>) -> Result<jlongArray, BridgeError> {
    let max_ttl = i64::try_from(imds::config::MAX_TOKEN_TTL.as_secs()).unwrap_or(i64::MAX);
    let max_attempts = i64::from(imds::config::MAX_ATTEMPTS_LIMIT);
    long_array(env, &[max_ttl, max_attempts])
}

fn operations(env: &mut Env<'_>) -> Result<jobjectArray, BridgeError> {
    let names: Vec<String> = Op::ALL.iter().map(|op| op.java_name().to_owned()).collect();
    Ok(convert::string_array(env, &names)?.into_raw())
}

/// The core's error kinds as `code, name` pairs, so the Java tests can prove that
/// `dev.imds.ErrorKind` matches them.
fn error_kinds(env: &mut Env<'_>) -> Result<jobjectArray, BridgeError> {
    let pairs: Vec<String> = imds::ErrorKind::ALL
        .iter()
        .flat_map(|kind| [kind.code().to_string(), kind.name().to_owned()])
        .collect();
    Ok(convert::string_array(env, &pairs)?.into_raw())
}

fn version(env: &mut Env<'_>) -> Result<jobject, BridgeError> {
    Ok(env.new_string(imds::VERSION)?.into_raw())
}

fn new_client(
    env: &mut Env<'_>,
    settings: &JObjectArray<'_, JString<'_>>,
    environment: &JObjectArray<'_, JString<'_>>,
) -> Result<jlong, BridgeError> {
    use jni::refs::Reference;

    let settings = convert::strings(env, settings, "settings")?;
    let environment = if environment.is_null() {
        None
    } else {
        Some(convert::strings(env, environment, "environment")?)
    };

    let client = config::builder(&settings, environment.as_deref())?
        .audit_sink(audit::sink())
        .build()?;

    Ok(handle::into_handle(client))
}

fn describe_config(env: &mut Env<'_>, handle: jlong) -> Result<jobjectArray, BridgeError> {
    let triples = config::describe(&handle::borrow(handle)?.inner);
    Ok(convert::string_array(env, &triples)?.into_raw())
}

fn operation(op: jint) -> Result<Op, BridgeError> {
    Op::from_code(op).ok_or_else(|| BridgeError::IllegalArgument(format!("unknown operation {op}")))
}

/// The argument of `op`: required when it takes one, ignored otherwise.
fn argument(env: &Env<'_>, op: Op, argument: &JString<'_>) -> Result<Option<String>, BridgeError> {
    match op.argument() {
        Some(name) => convert::string(env, argument, name).map(Some),
        None => Ok(None),
    }
}

fn call(
    env: &mut Env<'_>,
    handle: jlong,
    op: jint,
    argument_ref: &JString<'_>,
) -> Result<jobject, BridgeError> {
    let client = &handle::borrow(handle)?.inner;
    let op = operation(op)?;
    let argument = argument(env, op, argument_ref)?;

    let value = ops::block(ops::run(client, op, argument))?;

    Ok(convert::to_java(env, &value)?.into_raw())
}

fn call_async(
    env: &mut Env<'_>,
    handle: jlong,
    op: jint,
    argument_ref: &JString<'_>,
    future: &JObject<'_>,
    call_id: jlong,
) -> Result<(), BridgeError> {
    // The call holds its own reference to the client: closing the Java client while the
    // call runs releases the handle, not the client the call uses.
    let client = handle::borrow(handle)?.inner.clone();
    let op = operation(op)?;
    let argument = argument(env, op, argument_ref)?;

    calls::start(env, future, call_id, async move {
        ops::run(&client, op, argument).await
    })
}

fn counters(env: &mut Env<'_>) -> Result<jlongArray, BridgeError> {
    long_array(
        env,
        &[
            count(handle::live()),
            count(calls::running()),
            count(calls::live_futures()),
        ],
    )
}

/// Panics on purpose, to test the boundary: at once when `future` is null, else inside an
/// async call that completes `future`.
fn panic_for_test(
    env: &mut Env<'_>,
    future: &JObject<'_>,
    call_id: jlong,
) -> Result<(), BridgeError> {
    use jni::refs::Reference;

    if future.is_null() {
        panic!("deliberate panic in a native method, for a test");
    }
    calls::start(env, future, call_id, async {
        panic!("deliberate panic in an async call, for a test")
    })
}

#[cfg(test)]
mod tests {
    /// Every `extern "system"` function's body is a call to `boundary::entry`, and the
    /// exports match the `native` methods declared in `Native.java`, name for name.
    #[test]
    fn every_export_goes_through_the_boundary_and_matches_java() {
        let rust = include_str!("exports.rs");
        let mut exported = Vec::new();
        for chunk in rust.split("pub extern \"system\" fn ").skip(1) {
            let name = chunk.split('<').next().unwrap();
            // A signature holds no brace: the body starts after the first one.
            let (_, body) = chunk.split_once("{\n").unwrap();
            assert!(
                body.trim_start().starts_with("boundary::entry("),
                "{name} does not go through boundary::entry"
            );
            exported.push(
                name.strip_prefix("Java_dev_imds_Native_")
                    .unwrap_or_else(|| panic!("{name} is not a method of dev.imds.Native"))
                    .to_owned(),
            );
        }

        let java = include_str!("main/java/dev/imds/Native.java");
        let mut declared: Vec<String> = java
            .lines()
            .map(str::trim_start)
            .filter(|line| {
                line.starts_with("static native ") || line.starts_with("private static native ")
            })
            .filter_map(|line| {
                let before_paren = line.split('(').next()?;
                Some(before_paren.split_whitespace().last()?.to_owned())
            })
            .collect();
        exported.sort();
        declared.sort();
        assert!(!exported.is_empty());
        assert_eq!(exported, declared, "exports.rs and Native.java disagree");
    }
}
