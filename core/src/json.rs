//! Lenient JSON: what real servers and their published examples send.

// Reachable from outside only through `internals` (tests, fuzzers).
#![cfg_attr(not(feature = "internals"), allow(unreachable_pub))]

use serde_json::Value;

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

/// The first `max` bytes of `text` (on a character boundary), to keep error events bounded.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
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
