//! Values across the boundary: Java arguments into Rust, [`Value`]s into Java objects.

use jni::objects::{JObject, JObjectArray, JString};
use jni::refs::Reference;
use jni::Env;

use crate::boundary::BridgeError;
use crate::ops::Value;

/// A required `String` argument.
pub(crate) fn string(
    env: &Env<'_>,
    value: &JString<'_>,
    name: &'static str,
) -> Result<String, BridgeError> {
    if value.is_null() {
        return Err(BridgeError::Null(name));
    }
    Ok(value.try_to_string(env)?)
}

/// A `String[]` argument of non-null elements; `null` is an empty list.
pub(crate) fn strings(
    env: &mut Env<'_>,
    array: &JObjectArray<'_, JString<'_>>,
    name: &'static str,
) -> Result<Vec<String>, BridgeError> {
    if array.is_null() {
        return Ok(Vec::new());
    }
    let length = array.len(env)?;
    let mut items = Vec::with_capacity(length);
    for index in 0..length {
        let element = array.get_element(env, index)?;
        items.push(string(env, &element, name)?);
        env.delete_local_ref(element);
    }
    Ok(items)
}

/// A `String[]` holding `items`.
pub(crate) fn string_array<'local>(
    env: &mut Env<'local>,
    items: &[String],
) -> jni::errors::Result<JObjectArray<'local, JString<'local>>> {
    let array = JObjectArray::<JString>::new(env, items.len(), JString::null())?;
    for (index, item) in items.iter().enumerate() {
        let element = env.new_string(item)?;
        array.set_element(env, index, &element)?;
        env.delete_local_ref(element);
    }
    Ok(array)
}

/// The Java object for `value`: `String`, `String[]`, `byte[]`, `Object[]` or `null`.
pub(crate) fn to_java<'local>(
    env: &mut Env<'local>,
    value: &Value,
) -> jni::errors::Result<JObject<'local>> {
    Ok(match value {
        Value::Null => JObject::null(),
        Value::Text(text) => env.new_string(text)?.into(),
        Value::Secret(secret) => env.new_string(secret.expose())?.into(),
        Value::Texts(items) => string_array(env, items)?.into(),
        Value::Bytes(bytes) => env.byte_array_from_slice(bytes.expose())?.into(),
        Value::Tuple(items) => {
            let array = JObjectArray::<JObject>::new(env, items.len(), JObject::null())?;
            for (index, item) in items.iter().enumerate() {
                let element = to_java(env, item)?;
                array.set_element(env, index, &element)?;
                // Lists of records can be long; local references are a small, fixed budget.
                env.delete_local_ref(element);
            }
            array.into()
        }
    })
}
