//! Lenient JSON: what real servers and their published examples send.

// Reachable from outside only through `internals` (tests, fuzzers).
#![cfg_attr(not(feature = "internals"), allow(unreachable_pub))]

use crate::model::Role;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;

/// Parses JSON, tolerating a trailing comma before `}` or `]` (two TrueConf spec examples have one,
/// and servers built from them may too). Strict JSON is tried first, so valid input pays nothing.
pub fn parse_lenient(text: &str) -> Result<Value, String> {
    match serde_json::from_str(text) {
        Ok(v) => Ok(v),
        Err(strict) => {
            let repaired = strip_trailing_commas(text);
            if repaired.len() == text.len() {
                return Err(strict.to_string());
            }
            serde_json::from_str(&repaired).map_err(|_| strict.to_string())
        }
    }
}

/// Removes commas that are followed (after white space) by `}` or `]`, outside strings.
fn strip_trailing_commas(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for (i, ch) in text.char_indices() {
        if in_string {
            out.push(ch);
            if escaped {
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == '"' {
                in_string = false;
            }
            continue;
        }
        match ch {
            '"' => {
                in_string = true;
                out.push(ch);
            }
            ',' => {
                let next = bytes[i + 1..]
                    .iter()
                    .find(|b| !b.is_ascii_whitespace())
                    .copied();
                if !matches!(next, Some(b'}') | Some(b']')) {
                    out.push(ch);
                }
            }
            _ => out.push(ch),
        }
    }
    out
}

/// Reads an integer sent as a number or as a string of digits (TrueConf `timestamp`).
pub(crate) fn int_lenient(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Reads a frame id: a whole number (or its digits as a string) that fits `u32`. A fraction
/// (`1.5`) or anything out of range is no id at all — acking it as `1` would ack another frame.
pub(crate) fn id_lenient(value: &Value) -> Option<u32> {
    match value {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Reads a string field; a number is turned into its decimal text (ids sent either way).
pub(crate) fn str_lenient(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A field of an object read as lenient string.
pub(crate) fn field_str(obj: &Value, key: &str) -> Option<String> {
    obj.get(key).and_then(str_lenient)
}

/// A field of an object read as lenient integer.
pub(crate) fn field_int(obj: &Value, key: &str) -> Option<i64> {
    obj.get(key).and_then(int_lenient)
}

/// A field of an object read as a boolean (`true`/`false`, or 0/1).
pub(crate) fn field_bool(obj: &Value, key: &str) -> Option<bool> {
    match obj.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        _ => None,
    }
}

/// Converts a Unix time that may be in seconds or milliseconds to milliseconds.
///
/// The TrueConf spec sends milliseconds in most places and seconds (as a string) in participant
/// notifications; a value below 10^11 cannot be a millisecond time after March 1973.
pub(crate) fn unix_millis(value: i64) -> i64 {
    if value.unsigned_abs() < 100_000_000_000 {
        value.saturating_mul(1000)
    } else {
        value
    }
}

/// The first `max` bytes of `text` (on a character boundary), to keep errors and events
/// bounded. A cut says where it was made and how long the whole text was
/// ([`crate::Limits::max_error_body_bytes`] documents the form), so a reader can tell a cut
/// body from one that really ends with `…`.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… (cut at {end} of {} bytes)", &text[..end], text.len())
}

/// The routing fields of a frame too large to decode, read without building its tree: what is
/// needed to ack it (TrueConf `type` + `id`, tada `confirm_id`), so the server does not
/// redeliver it forever.
#[derive(serde::Deserialize)]
pub(crate) struct AckFields {
    #[serde(rename = "type", default)]
    pub(crate) kind: Option<Value>,
    #[serde(default)]
    pub(crate) id: Option<Value>,
    #[serde(default)]
    pub(crate) confirm_id: Option<Value>,
}

impl AckFields {
    /// Reads the routing fields; `None` when the text is not a JSON object.
    pub(crate) fn peek(text: &str) -> Option<AckFields> {
        // Unknown fields (the large payload) are skipped by the parser without allocating.
        serde_json::from_str(text).ok()
    }
}

/// The text of a JSON document re-encoded strictly: trailing commas gone, a repeated key kept
/// once (its last value, as a `Value` tree keeps it). The typed decoders' second try, when the
/// strict one fails on text a `Value` parse accepts.
pub(crate) fn canonical(text: &str) -> Option<String> {
    parse_lenient(text).ok().map(|v| v.to_string())
}

/// A field decoded as lenient text ([`str_lenient`]): a string (borrowed from the frame when it
/// has no escapes) or a number's decimal text; any other value reads as absent, never an error.
#[derive(Debug, Default)]
pub(crate) struct LenientStr<'a>(pub(crate) Option<Cow<'a, str>>);

impl LenientStr<'_> {
    /// The text as an owned string.
    pub(crate) fn owned(&self) -> Option<String> {
        self.0.as_deref().map(str::to_string)
    }
}

/// A field decoded as lenient integer ([`int_lenient`]); any other value reads as absent.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct LenientInt(pub(crate) Option<i64>);

/// A field decoded as a frame id ([`id_lenient`]); any other value reads as absent.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct LenientId(pub(crate) Option<u32>);

/// A field decoded as a boolean (`true`/`false`, or 0/1, as [`field_bool`]).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct LenientBool(pub(crate) Option<bool>);

/// A field decoded as an object into `T`; any other value reads as absent (as `Value::get` on
/// a non-object finds nothing).
#[derive(Debug)]
pub(crate) struct LenientObj<T>(pub(crate) Option<T>);

impl<T> Default for LenientObj<T> {
    fn default() -> Self {
        LenientObj(None)
    }
}

/// What a lenient field does with each kind of JSON value; `None` for the kinds it ignores.
trait LenientKind<'de>: Sized {
    const EXPECTING: &'static str;
    fn from_str_borrowed(_v: &'de str) -> Option<Self> {
        None
    }
    fn from_str_owned(_v: &str) -> Option<Self> {
        None
    }
    fn from_u64(_v: u64) -> Option<Self> {
        None
    }
    fn from_i64(_v: i64) -> Option<Self> {
        None
    }
    fn from_f64(_v: f64) -> Option<Self> {
        None
    }
    fn from_bool(_v: bool) -> Option<Self> {
        None
    }
}

struct LenientVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: LenientKind<'de>> Visitor<'de> for LenientVisitor<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(T::EXPECTING)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(T::from_str_borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(T::from_str_owned(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(T::from_u64(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(T::from_i64(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(T::from_f64(v))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(T::from_bool(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

fn deserialize_lenient<'de, T: LenientKind<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    d.deserialize_any(LenientVisitor::<T>(std::marker::PhantomData))
}

/// A number as `Value::Number(n).to_string()` writes it.
fn float_text(v: f64) -> Option<String> {
    serde_json::Number::from_f64(v).map(|n| n.to_string())
}

impl<'de: 'a, 'a> LenientKind<'de> for Cow<'a, str> {
    const EXPECTING: &'static str = "a string or a number";
    fn from_str_borrowed(v: &'de str) -> Option<Self> {
        Some(Cow::Borrowed(v))
    }
    fn from_str_owned(v: &str) -> Option<Self> {
        Some(Cow::Owned(v.to_string()))
    }
    fn from_u64(v: u64) -> Option<Self> {
        Some(Cow::Owned(v.to_string()))
    }
    fn from_i64(v: i64) -> Option<Self> {
        Some(Cow::Owned(v.to_string()))
    }
    fn from_f64(v: f64) -> Option<Self> {
        float_text(v).map(Cow::Owned)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for LenientStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_lenient(d).map(LenientStr)
    }
}

/// The integer of [`int_lenient`].
struct LenientI64(i64);

impl LenientKind<'_> for LenientI64 {
    const EXPECTING: &'static str = "an integer";
    fn from_str_owned(v: &str) -> Option<Self> {
        v.trim().parse().ok().map(LenientI64)
    }
    fn from_str_borrowed(v: &str) -> Option<Self> {
        Self::from_str_owned(v)
    }
    fn from_u64(v: u64) -> Option<Self> {
        // Beyond `i64` a `Value` reads it through `f64`, which saturates.
        Some(LenientI64(i64::try_from(v).unwrap_or(v as f64 as i64)))
    }
    fn from_i64(v: i64) -> Option<Self> {
        Some(LenientI64(v))
    }
    fn from_f64(v: f64) -> Option<Self> {
        Some(LenientI64(v as i64))
    }
}

impl<'de> Deserialize<'de> for LenientInt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(LenientInt(
            deserialize_lenient::<LenientI64, _>(d)?.map(|n| n.0),
        ))
    }
}

/// The id of [`id_lenient`].
struct LenientU32(u32);

impl LenientKind<'_> for LenientU32 {
    const EXPECTING: &'static str = "a frame id";
    fn from_str_owned(v: &str) -> Option<Self> {
        v.trim().parse().ok().map(LenientU32)
    }
    fn from_str_borrowed(v: &str) -> Option<Self> {
        Self::from_str_owned(v)
    }
    fn from_u64(v: u64) -> Option<Self> {
        u32::try_from(v).ok().map(LenientU32)
    }
}

impl<'de> Deserialize<'de> for LenientId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(LenientId(
            deserialize_lenient::<LenientU32, _>(d)?.map(|n| n.0),
        ))
    }
}

impl LenientKind<'_> for bool {
    const EXPECTING: &'static str = "a boolean";
    fn from_bool(v: bool) -> Option<Self> {
        Some(v)
    }
    fn from_u64(v: u64) -> Option<Self> {
        // `Value::as_i64` has no answer beyond `i64`.
        i64::try_from(v).ok().map(|n| n != 0)
    }
    fn from_i64(v: i64) -> Option<Self> {
        Some(v != 0)
    }
}

impl<'de> Deserialize<'de> for LenientBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_lenient(d).map(LenientBool)
    }
}

impl LenientKind<'_> for Role {
    const EXPECTING: &'static str = "a role";
    fn from_str_owned(v: &str) -> Option<Self> {
        Some(Role::from_name(v))
    }
    fn from_str_borrowed(v: &str) -> Option<Self> {
        Some(Role::from_name(v))
    }
    fn from_u64(v: u64) -> Option<Self> {
        i64::try_from(v).ok().map(Role::Code)
    }
    fn from_i64(v: i64) -> Option<Self> {
        Some(Role::Code(v))
    }
}

/// A field decoded as a role ([`Role::from_json`]); any other value reads as absent.
#[derive(Debug, Default)]
pub(crate) struct LenientRole(pub(crate) Option<Role>);

impl<'de> Deserialize<'de> for LenientRole {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_lenient(d).map(LenientRole)
    }
}

struct LenientObjVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for LenientObjVisitor<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_borrowed_str<E: de::Error>(self, _: &'de str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for LenientObj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LenientObjVisitor(std::marker::PhantomData))
            .map(LenientObj)
    }
}

/// A field decoded as text only when it is a JSON string (`Value::as_str`); any other value
/// reads as absent.
#[derive(Debug, Default)]
pub(crate) struct OnlyStr<'a>(pub(crate) Option<Cow<'a, str>>);

/// The string of [`OnlyStr`].
struct StrText<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> LenientKind<'de> for StrText<'a> {
    const EXPECTING: &'static str = "a string";
    fn from_str_borrowed(v: &'de str) -> Option<Self> {
        Some(StrText(Cow::Borrowed(v)))
    }
    fn from_str_owned(v: &str) -> Option<Self> {
        Some(StrText(Cow::Owned(v.to_string())))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for OnlyStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(OnlyStr(
            deserialize_lenient::<StrText<'a>, _>(d)?.map(|s| s.0),
        ))
    }
}

/// The next key of an object, borrowed from the text when it has no escapes.
pub(crate) fn next_key<'de, A: MapAccess<'de>>(
    map: &mut A,
) -> Result<Option<Cow<'de, str>>, A::Error> {
    match map.next_key::<OnlyStr<'de>>()? {
        None => Ok(None),
        Some(OnlyStr(Some(key))) => Ok(Some(key)),
        Some(OnlyStr(None)) => Err(de::Error::custom("an object key that is not a string")),
    }
}

/// Reads a typed field into `slot`, refusing it the second time as a derive does.
pub(crate) fn fill<'de, A: MapAccess<'de>, T>(
    map: &mut A,
    slot: &mut Option<T>,
    name: &'static str,
    read: impl FnOnce(&mut A) -> Result<T, A::Error>,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(read(map)?);
    Ok(())
}

/// `decode` of `text`, tried once more on its canonical text when the strict read fails and
/// that text differs (a repeated field, which a tree resolves to its last value): the typed
/// decoders of owned values, whose result does not borrow from the text.
pub(crate) fn or_canonical<T>(
    text: &str,
    decode: impl Fn(&str) -> Result<T, serde_json::Error>,
) -> Result<T, serde_json::Error> {
    decode(text).or_else(|strict| match canonical(text) {
        Some(c) if c != text => decode(&c),
        _ => Err(strict),
    })
}

/// Decodes a document with a typed `decode` that borrows from it; if the strict decode fails
/// (a repeated field, which a `Value` tree resolves to its last value), it is tried once more
/// on the document re-encoded through a `Value`. `None` when neither decodes.
pub(crate) fn typed_or_canonical<R>(
    raw: &RawValue,
    decode: impl Fn(&RawValue) -> Result<R, serde_json::Error>,
) -> Option<R> {
    match decode(raw) {
        Ok(r) => Some(r),
        Err(_) => {
            let again = RawValue::from_string(canonical(raw.get())?).ok()?;
            decode(&again).ok()
        }
    }
}

/// Decodes a whole frame into `T` straight from `text`; when that fails, from `text` with its
/// trailing commas cut, and when that fails too (a repeated field where `T` takes one), from
/// the text's lenient tree re-encoded. Both repairs are written into `scratch`. Returns the
/// value and the text it borrows from; the error is the strict parser's when the text is not
/// even lenient JSON.
///
/// Why the cut text first: it keeps every value as sent, as the strict reading does. A tree
/// rewrites numbers (serde_json's float reading is not exact, so a number read twice may move
/// by one unit in its last place), and refuses a whole frame for one number past `f64`'s
/// range, which the typed reading refuses for its own message only.
pub(crate) fn strict_or_lenient<'a, T: Deserialize<'a>>(
    text: &'a str,
    scratch: &'a mut String,
) -> Result<(T, &'a str), String> {
    let strict = match serde_json::from_str::<T>(text) {
        Ok(t) => return Ok((t, text)),
        Err(e) => e.to_string(),
    };
    let cut = strip_trailing_commas(text);
    // The lenient tree is the cut text's (`parse_lenient` would cut it again). Made before the
    // first repair is tried: one buffer holds both, so each can be borrowed for `'a` and the
    // second tried after the first; this is the rare path (frames that are not strict JSON).
    let tree = serde_json::from_str::<Value>(&cut).map(|v| v.to_string());
    scratch.clear();
    scratch.push_str(&cut);
    scratch.push_str(tree.as_deref().unwrap_or_default());
    let (cut, tree_text): (&'a str, &'a str) = scratch.split_at(cut.len());
    if cut.len() != text.len() {
        if let Ok(t) = serde_json::from_str::<T>(cut) {
            return Ok((t, cut));
        }
    }
    if tree.is_err() {
        return Err(strict);
    }
    serde_json::from_str::<T>(tree_text)
        .map(|t| (t, tree_text))
        .map_err(|e| e.to_string())
}

/// JSON values of every kind and edge (numbers past each integer width, strings that look like
/// numbers, escapes, containers), for the tests that check a typed reader against the tree
/// (the integration tests reach it through `internals`).
#[cfg(any(test, feature = "internals"))]
pub const KINDS_OF_VALUE: &[&str] = &[
    "7",
    "\"x\"",
    "\"\\u00e9\"",
    "[1]",
    "null",
    "true",
    "false",
    "0",
    "1",
    "-1",
    "1.5",
    "1.0",
    "-2.7",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "1e300",
    "\"\"",
    "\" 42 \"",
    "\"7\"",
    "\"-3\"",
    "\"1.5\"",
    "\"owner\"",
    "\"a\\\"b\"",
    "[]",
    "[1,2]",
    "{}",
    "{\"a\":1}",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The typed field readers read every kind of value exactly as the tree helpers do, so the
    /// strict typed path and a `Value` walk agree on hostile input.
    #[test]
    fn typed_lenient_fields_match_the_tree_helpers() {
        for text in KINDS_OF_VALUE {
            let tree: Value = serde_json::from_str(text).unwrap();
            let s: LenientStr<'_> = serde_json::from_str(text).unwrap();
            assert_eq!(s.owned(), str_lenient(&tree), "str of {text}");
            let only: OnlyStr<'_> = serde_json::from_str(text).unwrap();
            assert_eq!(only.0.as_deref(), tree.as_str(), "only-str of {text}");
            let i: LenientInt = serde_json::from_str(text).unwrap();
            assert_eq!(i.0, int_lenient(&tree), "int of {text}");
            let id: LenientId = serde_json::from_str(text).unwrap();
            assert_eq!(id.0, id_lenient(&tree), "id of {text}");
            let b: LenientBool = serde_json::from_str(text).unwrap();
            let obj = serde_json::json!({ "k": tree.clone() });
            assert_eq!(b.0, field_bool(&obj, "k"), "bool of {text}");
            let r: LenientRole = serde_json::from_str(text).unwrap();
            assert_eq!(r.0, Role::from_json(&tree), "role of {text}");
            let o: LenientObj<serde::de::IgnoredAny> = serde_json::from_str(text).unwrap();
            assert_eq!(o.0.is_some(), tree.is_object(), "object of {text}");
        }
    }

    /// A frame that is strict JSON but for its trailing commas is read from the text with the
    /// commas cut, every value as sent: a float read once, as the strict reading reads it, and
    /// a number past `f64`'s range left for the field that holds it to refuse.
    #[test]
    fn trailing_commas_are_cut_from_the_text_itself() {
        #[derive(serde::Deserialize)]
        struct Page<'a> {
            #[serde(borrow)]
            items: Vec<&'a serde_json::value::RawValue>,
        }
        let mut scratch = String::new();
        let text = "{\"items\":[{\"n\":21e300},{\"n\":1e999},{\"n\":7},],}";
        let (page, source) = strict_or_lenient::<Page<'_>>(text, &mut scratch).unwrap();
        assert_eq!(
            source,
            "{\"items\":[{\"n\":21e300},{\"n\":1e999},{\"n\":7}]}"
        );
        let items: Vec<&str> = page.items.iter().map(|i| i.get()).collect();
        assert_eq!(items, ["{\"n\":21e300}", "{\"n\":1e999}", "{\"n\":7}"]);
        // The same number as the strict reading of the same item gives.
        let strict: Value = serde_json::from_str("{\"n\":21e300}").unwrap();
        let cut: Value = serde_json::from_str(items[0]).unwrap();
        assert_eq!(cut, strict);
    }

    /// What the cut text does not mend (a field twice where the type takes it once) is read
    /// from the lenient tree, the last value counting; what is no JSON at all is refused with
    /// the strict parser's reason.
    #[test]
    fn a_repeated_field_is_read_from_the_tree_and_broken_text_refused() {
        #[derive(serde::Deserialize)]
        struct One {
            a: u32,
        }
        let mut scratch = String::new();
        let (one, source) = strict_or_lenient::<One>("{\"a\":1,\"a\":2,}", &mut scratch).unwrap();
        assert_eq!((one.a, source), (2, "{\"a\":2}"));
        let mut scratch = String::new();
        let err = strict_or_lenient::<One>("{\"a\":", &mut scratch)
            .err()
            .unwrap();
        assert!(err.contains("EOF"), "{err}");
    }
}
