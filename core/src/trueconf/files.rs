//! Files, surveys, commands and typing as TrueConf speaks them: the typed shapes of the
//! methods beyond chat (`getFileInfo`, `getFileUploadLimits`, `sendSurvey`, `answerCommand`, …)
//! and of the notifications that go with them.

use crate::json::{field_int, field_str};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `readyState` of a file: 0 not available, 1 uploading, 2 ready.
pub mod ready_state {
    /// The file cannot be had (removed, failed).
    pub const NOT_AVAILABLE: u32 = 0;
    /// The sender is still uploading it: wait for `uploadFileProgress`.
    pub const UPLOADING: u32 = 1;
    /// It can be downloaded.
    pub const READY: u32 = 2;
}

/// A file as `getFileInfo` describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// Its id (`fileId`, or `infoHash` on servers that name it so).
    pub file_id: String,
    /// File name.
    pub name: Option<String>,
    /// Size in bytes.
    pub size: Option<u64>,
    /// MIME type.
    pub mime_type: Option<String>,
    /// See [`ready_state`].
    pub ready_state: Option<u32>,
    /// Where to `GET` it (authorized by the URL itself); `None` until ready.
    pub download_url: Option<String>,
    /// Smaller renditions (image previews).
    pub previews: Vec<FilePreview>,
}

/// One preview of a file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilePreview {
    /// Its name.
    pub name: Option<String>,
    /// Size in bytes.
    pub size: Option<u64>,
    /// MIME type.
    pub mime_type: Option<String>,
    /// Where to `GET` it.
    pub download_url: Option<String>,
}

/// What the server lets this user upload (`getFileUploadLimits`, and the notification of the
/// same name when they change).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileUploadLimits {
    /// Largest file in bytes; `None` when unlimited.
    pub max_size: Option<u64>,
    /// `allow` (only `extensions`) or `block` (all but `extensions`); `None` when no filter.
    pub extensions_mode: Option<String>,
    /// The extensions the filter names.
    pub extensions: Vec<String>,
}

/// A survey message's content (`sendSurvey`, `editSurvey`). Fields left `None` are not sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Survey {
    /// The survey web tool (`https://{server}/webtools/survey`); `editSurvey` sends none.
    pub url: Option<String>,
    /// The survey tool's version (1).
    pub app_version: Option<u32>,
    /// The survey campaign id.
    pub path: String,
    /// Title.
    pub title: String,
    /// Description (`{{Survey}}`, `{{Anonymous survey}}`).
    pub description: Option<String>,
    /// The button's label (`{{Go to survey}}`).
    pub button_text: Option<String>,
    /// The campaign secret.
    pub secret: Option<String>,
    /// The text shown by clients that cannot show a survey.
    pub alt: Option<String>,
}

impl Survey {
    /// The `content` object.
    pub(crate) fn to_json(&self) -> Value {
        let mut map = Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                map.insert(k.to_string(), v);
            }
        };
        put("url", self.url.clone().map(Value::from));
        put("appVersion", self.app_version.map(Value::from));
        put("path", Some(Value::from(self.path.clone())));
        put("title", Some(Value::from(self.title.clone())));
        put("description", self.description.clone().map(Value::from));
        put("buttonText", self.button_text.clone().map(Value::from));
        put("secret", self.secret.clone().map(Value::from));
        put("alt", self.alt.clone().map(Value::from));
        Value::Object(map)
    }

    /// Reads a `content` object; `None` without `path` and `title`.
    pub(crate) fn from_json(c: &Value) -> Option<Survey> {
        Some(Survey {
            url: field_str(c, "url"),
            app_version: uint(c, "appVersion").and_then(|n| u32::try_from(n).ok()),
            path: field_str(c, "path")?,
            title: field_str(c, "title")?,
            description: field_str(c, "description"),
            button_text: field_str(c, "buttonText"),
            secret: field_str(c, "secret"),
            alt: field_str(c, "alt"),
        })
    }
}

/// The answer to a pressed command button (`answerCommand`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandAnswer {
    /// The `commandId` of the [`crate::Event::CommandReceived`] being answered.
    pub command_id: String,
    /// `complete`, `timeout`, `cancel` or `message` (only `message` leaves the command open).
    pub answer_type: String,
    /// Text shown to the presser (ASCII, 1–255 characters); no `message` object when `None`.
    pub text: Option<String>,
    /// `unknown`, `pending`, `running`, `ok`, `failed`, `canceled`, `timeout`.
    pub status: Option<String>,
    /// `default`, `toast`, `sticky`, `alert`.
    pub visibility: Option<String>,
    /// `info`, `warning`, `error`, `critical`.
    pub level: Option<String>,
}

impl CommandAnswer {
    /// The request payload.
    pub(crate) fn to_json(&self) -> Value {
        let mut payload = Map::new();
        payload.insert("commandId".into(), Value::from(self.command_id.clone()));
        payload.insert("answerType".into(), Value::from(self.answer_type.clone()));
        if let Some(text) = &self.text {
            let mut message = Map::new();
            message.insert("text".into(), Value::from(text.clone()));
            for (k, v) in [
                ("status", &self.status),
                ("visibility", &self.visibility),
                ("level", &self.level),
            ] {
                if let Some(v) = v {
                    message.insert(k.into(), Value::from(v.clone()));
                }
            }
            payload.insert("message".into(), Value::Object(message));
        }
        Value::Object(payload)
    }

    /// Reads a request payload; `None` without `commandId`.
    pub(crate) fn from_json(p: &Value) -> Option<CommandAnswer> {
        let m = p.get("message").cloned().unwrap_or(Value::Null);
        Some(CommandAnswer {
            command_id: field_str(p, "commandId")?,
            answer_type: field_str(p, "answerType").unwrap_or_else(|| "complete".into()),
            text: field_str(&m, "text"),
            status: field_str(&m, "status"),
            visibility: field_str(&m, "visibility"),
            level: field_str(&m, "level"),
        })
    }
}

/// What `sendFile` answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentFile {
    /// The attachment message.
    pub message_id: String,
    /// The stored file's id.
    pub file_id: Option<String>,
    /// The caption's own message, when a caption was sent.
    pub caption_message_id: Option<String>,
}

/// A non-negative integer field (sizes, progress), read leniently.
pub(crate) fn uint(v: &Value, key: &str) -> Option<u64> {
    field_int(v, key).and_then(|n| u64::try_from(n).ok())
}

/// Decodes a `getFileInfo` answer; `None` without a file id.
pub(crate) fn decode_file_info(v: &Value) -> Option<FileInfo> {
    let previews = v
        .get("previews")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|p| FilePreview {
                    name: field_str(p, "name"),
                    size: uint(p, "size"),
                    mime_type: field_str(p, "mimeType"),
                    download_url: field_str(p, "downloadUrl"),
                })
                .collect()
        })
        .unwrap_or_default();
    Some(FileInfo {
        file_id: field_str(v, "fileId").or_else(|| field_str(v, "infoHash"))?,
        name: field_str(v, "name"),
        size: uint(v, "size"),
        mime_type: field_str(v, "mimeType"),
        ready_state: uint(v, "readyState").and_then(|n| u32::try_from(n).ok()),
        download_url: field_str(v, "downloadUrl"),
        previews,
    })
}

/// Decodes upload limits (`{"maxSize", "extensions": {"mode", "list"}}`, either may be null).
pub(crate) fn decode_limits(v: &Value) -> FileUploadLimits {
    let ext = v.get("extensions").cloned().unwrap_or(Value::Null);
    FileUploadLimits {
        max_size: uint(v, "maxSize"),
        extensions_mode: field_str(&ext, "mode"),
        extensions: ext
            .get("list")
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(|e| e.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    }
}
