//! Raw payloads as JSON text: what the server sent, kept for the app without a `Value` tree in
//! the public API (every binding carries a string; none can carry `serde_json::Value`).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;
use std::fmt;

/// A JSON document as text: a server payload kept as received (or re-encoded from the decoded
/// tree), for what the normalized model does not carry.
///
/// It cannot be invalid JSON: every constructor takes a parsed value or text the core produced.
/// Serialized by a human-readable format (serde_json: the CLI's JSON lines, snapshots) it is
/// embedded as the nested document; by a host-object format (serde-wasm-bindgen, which is not
/// human-readable) it is a **string** holding the document, so it reaches JS as text with one
/// type. It deserializes from either.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RawJson(String);

impl RawJson {
    /// `null`: nothing was sent.
    pub fn null() -> Self {
        RawJson(String::from("null"))
    }

    /// The document as JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The document as owned JSON text.
    pub fn into_string(self) -> String {
        self.0
    }

    /// Whether the document is `null`.
    pub fn is_null(&self) -> bool {
        self.0 == "null"
    }

    /// Decodes the document into `T` (a `serde_json::Value`, or a typed struct of the app's).
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.0)
    }

    /// The text of a document the parser has already checked. Text already in the form a
    /// `Value` tree writes (compact, integers, plain escapes: what servers send) is copied as
    /// it is, without a tree; anything else (white space, fractions, `\u` escapes) is
    /// re-encoded through one, so equal documents keep equal text and survive a serde round
    /// trip unchanged whichever way they were written.
    pub(crate) fn from_raw(raw: &RawValue) -> Self {
        let text = raw.get();
        if is_canonical(text) {
            return RawJson(text.to_string());
        }
        match serde_json::from_str::<Value>(text) {
            Ok(v) => RawJson::from_value(&v),
            // Nested deeper than a tree may be (the checked text has no such limit): still
            // valid JSON, kept as sent.
            Err(_) => RawJson(text.to_string()),
        }
    }

    /// The text `value` serializes to, for a value that writes what a tree of it would (no key
    /// twice, numbers as a `Value` writes them), without building the tree; `null` if it does
    /// not serialize.
    pub(crate) fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Self {
        RawJson(serde_json::to_string(value).unwrap_or_else(|_| String::from("null")))
    }

    pub(crate) fn from_value(value: &Value) -> Self {
        // Serializing a `Value` cannot fail: its keys are strings and its numbers finite.
        RawJson(serde_json::to_string(value).unwrap_or_else(|_| String::from("null")))
    }
}

/// Whether valid JSON `text` is exactly what serializing its `Value` writes: no white space
/// outside strings, only integers that fit 64 bits, only the escapes serde_json writes. (A
/// repeated key is not looked for: a tree keeps it once, so such text stays as sent.)
fn is_canonical(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                loop {
                    i = string_stop(bytes, i);
                    if bytes.get(i) != Some(&b'\\') {
                        break;
                    }
                    i += 1;
                    if !matches!(
                        bytes.get(i),
                        Some(b'"' | b'\\' | b'n' | b't' | b'r' | b'b' | b'f')
                    ) {
                        return false;
                    }
                    i += 1;
                }
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                if bytes[i] == b'-' && bytes.get(i + 1) == Some(&b'0') {
                    return false;
                }
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                // A fraction or exponent is rewritten by a tree, and so is an integer beyond
                // 64 bits (it becomes a float).
                if matches!(bytes.get(i), Some(b'.' | b'e' | b'E')) {
                    return false;
                }
                let number = &text[start..i];
                if i - start > 18
                    && number.parse::<i64>().is_err()
                    && number.parse::<u64>().is_err()
                {
                    return false;
                }
                continue;
            }
            b' ' | b'\t' | b'\n' | b'\r' => return false,
            _ => {}
        }
        i += 1;
    }
    true
}

/// The index of the first `"` or `\\` in `bytes` at or after `i` (`bytes.len()` if none).
///
/// Most of a payload is string contents, so they are skipped eight bytes at a time: a word
/// XORed with a byte repeated has a zero byte exactly where that byte was, and
/// `(v - 0x01..) & !v & 0x80..` marks the lowest zero byte of `v` exactly (a borrow can only
/// mark bytes above it).
fn string_stop(bytes: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_at = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let Ok(chunk) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let w = u64::from_le_bytes(chunk);
        let found = zero_at(w ^ (ONES * u64::from(b'"'))) | zero_at(w ^ (ONES * u64::from(b'\\')));
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\\' {
        i += 1;
    }
    i
}

impl Default for RawJson {
    fn default() -> Self {
        RawJson::null()
    }
}

impl From<Value> for RawJson {
    fn from(value: Value) -> Self {
        RawJson::from_value(&value)
    }
}

impl From<&Value> for RawJson {
    fn from(value: &Value) -> Self {
        RawJson::from_value(value)
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            // The text is JSON by construction, so embedding it cannot produce invalid output.
            match serde_json::value::RawValue::from_string(self.0.clone()) {
                Ok(raw) => raw.serialize(s),
                Err(_) => s.serialize_str(&self.0),
            }
        } else {
            s.serialize_str(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A string is the document's text when it parses as JSON (what `Serialize` wrote);
        // anything else (a nested value, a plain string from an older snapshot) is the document.
        match Value::deserialize(d)? {
            Value::String(text) => match serde_json::from_str::<Value>(&text) {
                Ok(v) => Ok(RawJson::from_value(&v)),
                Err(_) => Ok(RawJson::from_value(&Value::String(text))),
            },
            other => Ok(RawJson::from_value(&other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word-at-a-time scan stops where a byte-by-byte one does, for a stop at every
    /// position of strings of every length up to 40, in every byte value around the two.
    #[test]
    fn string_stop_matches_a_byte_scan() {
        let naive = |b: &[u8], mut i: usize| {
            while i < b.len() && b[i] != b'"' && b[i] != b'\\' {
                i += 1;
            }
            i
        };
        for len in 0..40 {
            for fill in [b'a', 0x21, 0x23, 0x5b, 0x5d, 0x80, 0xff, 0x00, 0x01] {
                for stop in [None, Some(b'"'), Some(b'\\')] {
                    for at in 0..len.max(1) {
                        let mut b = vec![fill; len];
                        if let (Some(c), true) = (stop, at < len) {
                            b[at] = c;
                        }
                        for start in 0..=len {
                            assert_eq!(string_stop(&b, start), naive(&b, start), "{b:?} {start}");
                        }
                    }
                }
            }
        }
    }

    /// Text is kept as sent exactly when a tree would write it the same way.
    #[test]
    fn raw_text_is_kept_only_when_a_tree_writes_it_alike() {
        let docs = [
            r#"{"a":1,"b":[true,false,null],"c":"x\"y\\z\n","d":-5}"#,
            r#"{"gentime":1569546093662061959,"big":18446744073709551615}"#,
            r#"{"big":18446744073709551616}"#,
            r#"{"a": 1}"#,
            r#"{"f":1.50}"#,
            r#"{"e":1e3}"#,
            r#"{"z":-0}"#,
            r#"{"u":"\u0041\/"}"#,
            r#"{"k":"имя"}"#,
            "[1,\n2]",
        ];
        for doc in docs {
            let raw: &RawValue = serde_json::from_str(doc).unwrap();
            let tree: Value = serde_json::from_str(doc).unwrap();
            assert_eq!(RawJson::from_raw(raw).as_str(), tree.to_string(), "{doc}");
        }
    }
}
