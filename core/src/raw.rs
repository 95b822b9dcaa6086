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
        RawJson::from_span(text, is_canonical(text))
    }

    /// [`RawJson::from_raw`] of text the parser has checked and [`member_span`] found, with
    /// whether it is canonical, which that scan has already told.
    pub(crate) fn from_span(text: &str, canonical: bool) -> Self {
        if canonical {
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
    let (end, canonical) = scan_value(text.as_bytes(), 0);
    canonical && end == text.len()
}

/// The text of the value of member `key` of the JSON object `text` (the last one, as a tree
/// keeps it), and whether that text is canonical ([`is_canonical`]), found in one scan that
/// decodes nothing (a key spelled with escapes is decoded to be compared). `text` must be JSON
/// that serde_json has already accepted; `None` when it is no object or has no such member.
pub(crate) fn member_span<'a>(text: &'a str, key: &str) -> Option<(&'a str, bool)> {
    let bytes = text.as_bytes();
    let skip_space = |mut i: usize| {
        while matches!(bytes.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            i += 1;
        }
        i
    };
    let mut i = skip_space(0);
    if bytes.get(i) != Some(&b'{') {
        return None;
    }
    let mut found = None;
    i = skip_space(i + 1);
    while bytes.get(i) == Some(&b'"') {
        let key_end = string_stop(bytes, i + 1);
        let (after_key, is_key) = if bytes.get(key_end) == Some(&b'"') {
            (
                key_end + 1,
                bytes.get(i + 1..key_end) == Some(key.as_bytes()),
            )
        } else {
            let (end, _) = scan_value(bytes, i);
            (
                end,
                serde_json::from_str::<String>(text.get(i..end)?).ok()? == key,
            )
        };
        i = skip_space(after_key);
        if bytes.get(i) != Some(&b':') {
            return None;
        }
        let start = skip_space(i + 1);
        let (end, canonical) = scan_value(bytes, start);
        if is_key {
            found = Some((text.get(start..end)?, canonical));
        }
        i = skip_space(end);
        match bytes.get(i) {
            Some(b',') => i = skip_space(i + 1),
            Some(b'}') => return found,
            _ => return None,
        }
    }
    // `{}` (or, in text that is not JSON, a key that is no string).
    (bytes.get(i) == Some(&b'}')).then_some(found).flatten()
}

/// Where the JSON value starting at `i` of valid JSON `bytes` ends, and whether its text is
/// canonical ([`is_canonical`]). White space before the value counts against it.
fn scan_value(bytes: &[u8], mut i: usize) -> (usize, bool) {
    let mut depth = 0usize;
    let mut canonical = true;
    loop {
        match bytes.get(i) {
            None => return (i, canonical),
            Some(b'"') => {
                i += 1;
                loop {
                    i = string_stop(bytes, i);
                    if bytes.get(i) != Some(&b'\\') {
                        break;
                    }
                    if !matches!(
                        bytes.get(i + 1),
                        Some(b'"' | b'\\' | b'n' | b't' | b'r' | b'b' | b'f')
                    ) {
                        canonical = false;
                    }
                    i += 2;
                }
                i += 1;
            }
            Some(b'{' | b'[') => {
                depth += 1;
                i += 1;
                continue;
            }
            Some(b'}' | b']') => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            Some(b',' | b':') => {
                i += 1;
                continue;
            }
            Some(b' ' | b'\t' | b'\n' | b'\r') => {
                canonical = false;
                i += 1;
                continue;
            }
            Some(b'-' | b'0'..=b'9') => {
                let start = i;
                if bytes[i] == b'-' && bytes.get(i + 1) == Some(&b'0') {
                    canonical = false;
                }
                i += 1;
                while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                // A fraction or exponent is rewritten by a tree, and so is an integer beyond
                // 64 bits (it becomes a float).
                if matches!(bytes.get(i), Some(b'.' | b'e' | b'E')) {
                    canonical = false;
                    while bytes.get(i).is_some_and(|b| {
                        matches!(b, b'.' | b'e' | b'E' | b'+' | b'-' | b'0'..=b'9')
                    }) {
                        i += 1;
                    }
                } else if i - start > 18 {
                    let number = std::str::from_utf8(&bytes[start..i]).unwrap_or_default();
                    if number.parse::<i64>().is_err() && number.parse::<u64>().is_err() {
                        canonical = false;
                    }
                }
            }
            // `true`, `false`, `null`.
            Some(_) => {
                i += 1;
                while bytes.get(i).is_some_and(u8::is_ascii_lowercase) {
                    i += 1;
                }
            }
        }
        if depth == 0 {
            return (i, canonical);
        }
    }
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

    /// Every document `member_span` is given, built from every kind of value in every place:
    /// alone, among others, nested, repeated, with white space, with keys spelled with escapes.
    fn objects_with(key: &str) -> Vec<String> {
        let mut docs = Vec::new();
        for v in crate::json::KINDS_OF_VALUE {
            docs.push(format!("{{\"{key}\":{v}}}"));
            docs.push(format!(
                "{{\"a\":{v},\"{key}\":{v},\"z\":[{v},{{\"{key}\":0}}]}}"
            ));
            docs.push(format!(
                "{{\"{key}\":{{\"{key}\":{v},\"b\":[{v}]}},\"c\":\"}}\"}}"
            ));
            docs.push(format!("{{\"{key}\":0,\"x\":{v},\"{key}\":{v}}}"));
            docs.push(format!(" {{ \"{key}\" : {v} , \"n\" :\n{v}\t}} "));
            docs.push(format!("{{\"\\u0061\\\"\":1,\"{key}\":[ {v} ]}}"));
            docs.push(format!(
                "{{\"\\u00{:x}{}\":{v}}}",
                key.as_bytes()[0],
                &key[1..]
            ));
            docs.push(format!("{{\"{key}s\":{v},\"k\":{v}}}"));
        }
        docs.extend(["{}", "[]", "7", "\"x\"", "{\"a\":{}}"].map(String::from));
        docs
    }

    /// The span found is the value a tree keeps for the key (its last), with the same raw
    /// text, and nothing is found where a tree has nothing.
    #[test]
    fn member_span_finds_what_a_tree_keeps() {
        for key in ["payload", "k"] {
            for doc in objects_with(key) {
                let tree: Value = serde_json::from_str(&doc).unwrap();
                let found = member_span(&doc, key);
                match tree.get(key) {
                    None => assert_eq!(found, None, "{doc}"),
                    Some(value) => {
                        let (text, canonical) = found.unwrap_or_else(|| panic!("{doc}"));
                        assert_eq!(
                            serde_json::from_str::<Value>(text).unwrap(),
                            *value,
                            "{doc}"
                        );
                        assert_eq!(canonical, is_canonical(text), "{doc}: {text}");
                        let raw: &RawValue = serde_json::from_str(text).unwrap();
                        assert_eq!(RawJson::from_span(text, canonical), RawJson::from_raw(raw));
                        assert_eq!(
                            RawJson::from_span(text, canonical),
                            RawJson::from_value(value)
                        );
                    }
                }
            }
        }
    }

    /// Text that is not JSON (which no caller passes) ends the scan without a panic or a loop,
    /// and anything found lies inside the text.
    #[test]
    fn member_span_of_broken_text_ends() {
        for doc in [
            "{",
            "{\"",
            "{\"a",
            "{\"a\":",
            "{\"a\":\"\\",
            "{\"a\":[",
            "{\"a\"1}",
            "{\"a\":1 2}",
            "{\"a\":x}",
            "{1:2}",
            "{\"a\":-",
            "{\"\\",
        ] {
            if let Some((text, _)) = member_span(doc, "a") {
                assert!(doc.contains(text), "{doc}: {text}");
            }
            assert!(scan_value(doc.as_bytes(), 0).0 <= doc.len() + 2, "{doc}");
        }
    }
}
