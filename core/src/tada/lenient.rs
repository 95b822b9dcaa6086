//! Serde field readers that accept what tada servers send rather than what a strict schema says.
//!
//! A typed decoder that rejects a whole event because one optional field came as `null`, a
//! number as a string or a flag as `0`/`1` would lose the event; these readers take the value
//! when it can be understood and otherwise treat the field as absent. Identity fields (`jid`,
//! `message_id`, `uid`) stay required: without them an event cannot be acted on.

use crate::json::{LenientBool, LenientInt, LenientStr};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::borrow::Cow;

/// An optional integer: a number or a string of digits; anything else is absent.
///
/// Integers stay `i64` end to end: gentimes exceed 2^53 and would lose digits through `f64`.
pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    // Read as `int_lenient` reads a tree, without building one.
    Ok(LenientInt::deserialize(d)?.0)
}

/// Latest `gentime` that can be real: tada's are nanoseconds since 1970 (1.57e18 in 2019), so
/// 2^62 is the year 2116. A larger one is a corrupt or hostile value.
const MAX_VERSION: i64 = 1 << 62;

/// An optional object version (`gentime`): a whole integer in `0..=2^62`, or its digits as a
/// string. Anything else (`1e300`, `-1`, `2.5`, `i64::MAX`) is no version: taken as one it
/// would outrank every real update and freeze the object's state for good (and move the
/// catch-up cursor past every later gap).
pub(crate) fn opt_version<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let real = |v: &i64| (0..=MAX_VERSION).contains(v);
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n.as_i64().filter(real),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok().filter(real),
        _ => None,
    })
}

/// An optional flag: `true`/`false` or `0`/`1`; anything else is absent.
pub(crate) fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(LenientBool::deserialize(d)?.0)
}

/// An optional string; a number is read as its decimal text, anything else is absent.
pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(LenientStr::deserialize(d)?.0.map(Cow::into_owned))
}

/// A required string (an identity field); a number is read as its decimal text.
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    LenientStr::deserialize(d)?
        .0
        .map(Cow::into_owned)
        .ok_or_else(|| serde::de::Error::custom("expected a string or a number"))
}

/// A list that may come as `null` or be missing: both mean empty.
pub(crate) fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A list whose items are decoded one by one: an item that does not decode is left out here
/// (the session decodes the raw list item by item to report it), so one bad item cannot take
/// the good ones down with it.
pub(crate) fn list_of_good<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let items = Option::<Vec<Value>>::deserialize(d)?.unwrap_or_default();
    Ok(items
        .into_iter()
        .filter_map(|item| serde_json::from_value(item).ok())
        .collect())
}

/// Any JSON value, `null` when missing.
pub(crate) fn value<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
    Ok(Option::<Value>::deserialize(d)?.unwrap_or(Value::Null))
}

/// A string that may be missing, `null` or a number: missing and `null` read as empty.
pub(crate) fn string_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_string(d)?.unwrap_or_default())
}
