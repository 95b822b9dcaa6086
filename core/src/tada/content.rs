//! Message content as tada carries it, both ways: `{"type": "plain", "text": "…", …}`.

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The `content` object of a tada message.
///
/// `type` and `text` are typed; the fields that depend on the type (`upload`, `mediaURL`, `name`,
/// `actor`, `title`, `old`, `new`, …) are kept in `extra` so that nothing the server sent is lost
/// and an app can send richer content than these constructors build.
///
/// Deserialized by hand (`with_extra.rs`): a derived `flatten` buffers the whole object first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MessageContent {
    /// Human-readable text (for `plain`, the message itself; for `change`, a description).
    pub text: String,
    /// The media type: `plain`, `change`, `deleted`, `file`, `image`, `video`, `audiomsg`,
    /// `contact`, `pdf`, or one this version does not know.
    #[serde(rename = "type")]
    pub kind: String,
    /// Every other field, as received or to be sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl MessageContent {
    /// Plain text, the content of an ordinary message.
    pub fn plain(text: impl Into<String>) -> Self {
        MessageContent {
            text: text.into(),
            kind: "plain".to_string(),
            extra: BTreeMap::new(),
        }
    }

    /// A field of the type-specific part, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.extra.get(key)
    }
}
