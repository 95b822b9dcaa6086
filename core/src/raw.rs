//! Raw payloads as JSON text: what the server sent, kept for the app without a `Value` tree in
//! the public API (every binding carries a string; none can carry `serde_json::Value`).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;
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
pub(crate) fn is_canonical(text: &str) -> bool {
    let (end, canonical) = scan_value(text.as_bytes(), 0);
    canonical && end == text.len()
}

/// Whether the stream's bulk (TrueConf message notifications, tada `server.message.updated`,
/// Talk's lists of messages) is read in one pass with [`Members`] finding the raw texts, or
/// only the slower way every other frame takes (the feature `one-pass`): the same events
/// either way, a fifth or so less time per frame against ~9 KB more gzipped wasm, which the
/// browser build leaves out.
pub(crate) const ONE_PASS: bool = cfg!(feature = "one-pass");

/// The text of the value of member `key` of the JSON object `text` (the last one, as a tree
/// keeps it), and whether that text is canonical ([`is_canonical`]), found in one scan that
/// decodes nothing. `text` must be JSON that serde_json has already accepted; `None` when it
/// is no object or has no such member.
pub(crate) fn member_span<'a>(text: &'a str, key: &str) -> Option<(&'a str, bool)> {
    let mut members = Members::of(text)?;
    let mut found = None;
    while let Some(name) = members.next_key() {
        if name == key {
            found = Some(members.value());
        }
    }
    found
}

/// Each of `items`, read by serde from a document, beside its text there and whether that is
/// canonical, as a scan of the same document found them ([`Members::items`]); `None` when the
/// two disagree in number, which a document serde accepted cannot give.
pub(crate) fn with_texts<T>(
    items: Vec<T>,
    texts: Vec<(&str, bool)>,
) -> Option<Vec<(T, &str, bool)>> {
    (items.len() == texts.len()).then(|| {
        items
            .into_iter()
            .zip(texts)
            .map(|(item, (text, canonical))| (item, text, canonical))
            .collect()
    })
}

/// The members of a JSON object that serde_json has already accepted, read one at a time
/// without decoding anything: a key, then its value as text, as the items of an array, or as
/// an object's own members. A value not asked for is skipped by the next key. Each text comes
/// with whether it is canonical ([`is_canonical`]), told by the same scan.
pub(crate) struct Members<'a> {
    text: &'a str,
    /// Where the scan is: after `{`, a value, or the `:` before the value not yet read.
    at: usize,
    /// Whether the value at `at` is still to be read or skipped.
    unread: bool,
}

fn skip_space(bytes: &[u8], mut i: usize) -> usize {
    while matches!(bytes.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

impl<'a> Members<'a> {
    /// The members of `text`; `None` when it is no object.
    pub(crate) fn of(text: &'a str) -> Option<Members<'a>> {
        let at = skip_space(text.as_bytes(), 0);
        (text.as_bytes().get(at) == Some(&b'{')).then_some(Members {
            text,
            at: at + 1,
            unread: false,
        })
    }

    /// The next member's key (decoded when it is spelled with escapes); `None` after the last.
    pub(crate) fn next_key(&mut self) -> Option<Cow<'a, str>> {
        if self.unread {
            self.value();
        }
        let bytes = self.text.as_bytes();
        let mut i = skip_space(bytes, self.at);
        if bytes.get(i) == Some(&b',') {
            i = skip_space(bytes, i + 1);
        }
        if bytes.get(i) != Some(&b'"') {
            return None;
        }
        let plain_end = string_stop(bytes, i + 1);
        let (key, after) = if bytes.get(plain_end) == Some(&b'"') {
            (
                Cow::Borrowed(self.text.get(i + 1..plain_end)?),
                plain_end + 1,
            )
        } else {
            let (end, _) = scan_value(bytes, i);
            let spelled = self.text.get(i..end)?;
            (
                Cow::Owned(serde_json::from_str::<String>(spelled).ok()?),
                end,
            )
        };
        let colon = skip_space(bytes, after);
        if bytes.get(colon) != Some(&b':') {
            return None;
        }
        self.at = skip_space(bytes, colon + 1);
        self.unread = true;
        Some(key)
    }

    /// The text of the value of the member whose key was read last.
    pub(crate) fn value(&mut self) -> (&'a str, bool) {
        let (end, canonical) = scan_value(self.text.as_bytes(), self.at);
        let text = self.text.get(self.at..end).unwrap_or_default();
        self.at = end;
        self.unread = false;
        (text, canonical)
    }

    /// The texts of the items of the value of the member whose key was read last; `None`
    /// when it is no array.
    pub(crate) fn items(&mut self) -> Option<Vec<(&'a str, bool)>> {
        let bytes = self.text.as_bytes();
        if bytes.get(self.at) != Some(&b'[') {
            return None;
        }
        let mut items = Vec::new();
        let mut i = skip_space(bytes, self.at + 1);
        if bytes.get(i) != Some(&b']') {
            loop {
                let (end, canonical) = scan_value(bytes, i);
                items.push((self.text.get(i..end)?, canonical));
                i = skip_space(bytes, end);
                match bytes.get(i) {
                    Some(b',') => i = skip_space(bytes, i + 1),
                    Some(b']') => break,
                    _ => return None,
                }
            }
        }
        self.at = i + 1;
        self.unread = false;
        Some(items)
    }

    /// The members of the value of the member whose key was read last; `None` when it is no
    /// object.
    pub(crate) fn into_object(self) -> Option<Members<'a>> {
        Members::of(self.text.get(self.at..)?)
    }
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

    /// The items of an array member, and the members of an object member, are what a tree
    /// holds, each with its own raw text; a member that is neither reads as none.
    #[test]
    fn members_descend_into_arrays_and_objects_as_a_tree_does() {
        for v in crate::json::KINDS_OF_VALUE {
            for doc in [
                format!(
                    "{{\"a\":{v},\"list\":[{v}, {v} ,[{v}],{{\"x\":{v}}}],\"obj\":{{\"k\":{v}}}}}"
                ),
                "{ \"list\" : [ ] , \"obj\" : { } }".to_string(),
                format!("{{\"list\":{v},\"obj\":{v}}}"),
            ] {
                let tree: Value = serde_json::from_str(&doc).unwrap();
                let mut m = Members::of(&doc).unwrap();
                while let Some(key) = m.next_key() {
                    match &*key {
                        "list" => match (m.items(), tree["list"].as_array()) {
                            (Some(items), Some(want)) => {
                                assert_eq!(items.len(), want.len(), "{doc}");
                                for ((text, canonical), want) in items.iter().zip(want) {
                                    assert_eq!(
                                        RawJson::from_span(text, *canonical),
                                        RawJson::from_value(want)
                                    );
                                }
                            }
                            (None, None) => {}
                            (got, want) => panic!("{doc}: {got:?} against {want:?}"),
                        },
                        "obj" => {
                            let inner = m.into_object();
                            assert_eq!(inner.is_some(), tree["obj"].is_object(), "{doc}");
                            if let Some(mut inner) = inner {
                                let mut keys = Vec::new();
                                while let Some(k) = inner.next_key() {
                                    keys.push((
                                        k.into_owned(),
                                        RawJson::from_span(inner.value().0, true),
                                    ));
                                }
                                let want: Vec<_> = tree["obj"]
                                    .as_object()
                                    .unwrap()
                                    .iter()
                                    .map(|(k, v)| (k.clone(), RawJson::from_value(v)))
                                    .collect();
                                assert_eq!(keys.len(), want.len(), "{doc}");
                                for ((k, got), (wk, wv)) in keys.iter().zip(&want) {
                                    assert_eq!(k, wk);
                                    assert_eq!(
                                        serde_json::from_str::<Value>(got.as_str()).unwrap(),
                                        serde_json::from_str::<Value>(wv.as_str()).unwrap()
                                    );
                                }
                            }
                            break;
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}
