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

    /// The text of a document the parser has already checked, kept as sent (one copy of the
    /// frame's slice, no re-encoding).
    pub(crate) fn from_raw(raw: &RawValue) -> Self {
        RawJson(raw.get().to_string())
    }

    pub(crate) fn from_value(value: &Value) -> Self {
        // Serializing a `Value` cannot fail: its keys are strings and its numbers finite.
        RawJson(serde_json::to_string(value).unwrap_or_else(|_| String::from("null")))
    }
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
