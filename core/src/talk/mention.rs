//! Mention autocomplete suggestions (`GET /chat/{token}/mentions`).

use crate::json::field_str;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One suggestion for an `@` mention.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    /// What to write after `@` (wrap it in double quotes when it contains a space or a `/`).
    pub id: String,
    /// Display name.
    pub label: String,
    /// `users`, `guests` or `calls` (the whole conversation).
    pub source: String,
    /// User status (`online`, `away`, …), when the server included it.
    pub status: Option<String>,
    /// Status emoji, when set.
    pub status_icon: Option<String>,
    /// Status text, when set.
    pub status_message: Option<String>,
}

impl Mention {
    /// Decodes one suggestion; entries without an id are unusable and rejected.
    pub fn from_json(value: &Value) -> Result<Mention, String> {
        let id = field_str(value, "id").ok_or("a mention suggestion without \"id\"")?;
        Ok(Mention {
            id,
            label: field_str(value, "label").unwrap_or_default(),
            source: field_str(value, "source").unwrap_or_default(),
            status: field_str(value, "status"),
            status_icon: field_str(value, "statusIcon"),
            status_message: field_str(value, "statusMessage"),
        })
    }

    /// The text to insert in a message to mention this suggestion.
    pub fn mention_text(&self) -> String {
        if self.id.contains(' ') || self.id.contains('/') {
            format!("@\"{}\"", self.id)
        } else {
            format!("@{}", self.id)
        }
    }
}
