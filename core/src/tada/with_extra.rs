//! Readers for the structs of every message event that keep the fields they do not type in
//! `extra` ([`MessageInfo`], [`MessageContent`], [`ChatInfo`]), written out instead of derived.
//!
//! A derive with `#[serde(flatten)]` first buffers every field it does not know into serde's
//! private `Content` tree, then reads `extra` from that buffer: a sixth of a tada message's
//! decode, and a copy of serde's buffering code in every build. These read each field once,
//! straight into its type, and accept and refuse what the derive did: the same lenient field
//! readers (`lenient.rs`), `message_id` and `jid` required, a repeated typed field an error (so the
//! session's canonical retry resolves it to its last value, as before), a repeated other field
//! its last value, anything but an object refused. `serialize` stays derived.

use crate::json::{LenientBool, LenientInt, LenientStr, OnlyStr};
use crate::tada::content::MessageContent;
use crate::tada::lenient;
use crate::tada::server_event::{ChatInfo, Extra, MessageInfo};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

/// The next key of an object, borrowed from the text when it has no escapes.
fn next_key<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<Cow<'de, str>>, A::Error> {
    match map.next_key::<OnlyStr<'de>>()? {
        None => Ok(None),
        Some(OnlyStr(Some(key))) => Ok(Some(key)),
        Some(OnlyStr(None)) => Err(de::Error::custom("an object key that is not a string")),
    }
}

/// Reads a typed field into `slot`, refusing it the second time as the derive did.
fn fill<'de, A: MapAccess<'de>, T>(
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

/// [`lenient::opt_string`] of the next value.
fn opt_string<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<String>, A::Error> {
    Ok(map.next_value::<LenientStr<'de>>()?.0.map(Cow::into_owned))
}

/// [`lenient::string`] of the next value: required, so a value that is no text fails here.
fn string<'de, A: MapAccess<'de>>(map: &mut A) -> Result<String, A::Error> {
    opt_string(map)?.ok_or_else(|| de::Error::custom("expected a string or a number"))
}

/// [`lenient::opt_version`] of the next value.
fn version<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<i64>, A::Error> {
    Ok(map.next_value::<Version>()?.0)
}

/// [`lenient::opt_i64`] of the next value.
fn opt_i64<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<i64>, A::Error> {
    Ok(map.next_value::<LenientInt>()?.0)
}

/// A field read by [`lenient::opt_version`].
struct Version(Option<i64>);

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        lenient::opt_version(d).map(Version)
    }
}

impl<'de> Deserialize<'de> for MessageContent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MessageContent;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("struct MessageContent")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MessageContent, A::Error> {
                let (mut text, mut kind) = (None, None);
                let mut extra = BTreeMap::new();
                while let Some(key) = next_key(&mut map)? {
                    match &*key {
                        "text" => fill(&mut map, &mut text, "text", opt_string)?,
                        "type" => fill(&mut map, &mut kind, "type", opt_string)?,
                        _ => {
                            extra.insert(key.into_owned(), map.next_value::<Value>()?);
                        }
                    }
                }
                Ok(MessageContent {
                    text: text.flatten().unwrap_or_default(),
                    kind: kind.flatten().unwrap_or_default(),
                    extra,
                })
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for MessageInfo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MessageInfo;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("struct MessageInfo")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MessageInfo, A::Error> {
                let mut message_id = None;
                let (mut chat, mut chat_type, mut from, mut to) = (None, None, None, None);
                let (mut content, mut created, mut edited) = (None, None, None);
                let (mut gentime, mut reply_to) = (None, None);
                let mut extra = Extra::new();
                while let Some(key) = next_key(&mut map)? {
                    match &*key {
                        "message_id" => fill(&mut map, &mut message_id, "message_id", string)?,
                        "chat" => fill(&mut map, &mut chat, "chat", opt_string)?,
                        "chat_type" => fill(&mut map, &mut chat_type, "chat_type", opt_string)?,
                        "from" => fill(&mut map, &mut from, "from", opt_string)?,
                        "to" => fill(&mut map, &mut to, "to", opt_string)?,
                        "content" => fill(&mut map, &mut content, "content", |m| {
                            m.next_value::<Option<MessageContent>>()
                        })?,
                        "created" => fill(&mut map, &mut created, "created", opt_string)?,
                        "edited" => fill(&mut map, &mut edited, "edited", opt_string)?,
                        "gentime" => fill(&mut map, &mut gentime, "gentime", version)?,
                        "reply_to" => fill(&mut map, &mut reply_to, "reply_to", |m| {
                            Ok(m.next_value::<Option<Value>>()?.unwrap_or(Value::Null))
                        })?,
                        _ => {
                            extra.insert(key.into_owned(), map.next_value::<Value>()?);
                        }
                    }
                }
                Ok(MessageInfo {
                    message_id: message_id.ok_or_else(|| de::Error::missing_field("message_id"))?,
                    chat: chat.flatten(),
                    chat_type: chat_type.flatten(),
                    from: from.flatten(),
                    to: to.flatten(),
                    content: content.flatten(),
                    created: created.flatten(),
                    edited: edited.flatten(),
                    gentime: gentime.flatten(),
                    reply_to: reply_to.unwrap_or(Value::Null),
                    extra,
                })
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for ChatInfo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ChatInfo;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("struct ChatInfo")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ChatInfo, A::Error> {
                let (mut jid, mut chat_type, mut gentime, mut display_name) =
                    (None, None, None, None);
                let (mut num_unread, mut num_unread_notices) = (None, None);
                let (mut last_read_message_id, mut is_archive) = (None, None);
                let mut extra = Extra::new();
                while let Some(key) = next_key(&mut map)? {
                    match &*key {
                        "jid" => fill(&mut map, &mut jid, "jid", string)?,
                        "chat_type" => fill(&mut map, &mut chat_type, "chat_type", opt_string)?,
                        "gentime" => fill(&mut map, &mut gentime, "gentime", version)?,
                        "display_name" => {
                            fill(&mut map, &mut display_name, "display_name", opt_string)?
                        }
                        "num_unread" => fill(&mut map, &mut num_unread, "num_unread", opt_i64)?,
                        "num_unread_notices" => fill(
                            &mut map,
                            &mut num_unread_notices,
                            "num_unread_notices",
                            opt_i64,
                        )?,
                        "last_read_message_id" => fill(
                            &mut map,
                            &mut last_read_message_id,
                            "last_read_message_id",
                            opt_string,
                        )?,
                        "is_archive" => fill(&mut map, &mut is_archive, "is_archive", |m| {
                            Ok(m.next_value::<LenientBool>()?.0)
                        })?,
                        _ => {
                            extra.insert(key.into_owned(), map.next_value::<Value>()?);
                        }
                    }
                }
                Ok(ChatInfo {
                    jid: jid.ok_or_else(|| de::Error::missing_field("jid"))?,
                    chat_type: chat_type.flatten(),
                    gentime: gentime.flatten(),
                    display_name: display_name.flatten(),
                    num_unread: num_unread.flatten(),
                    num_unread_notices: num_unread_notices.flatten(),
                    last_read_message_id: last_read_message_id.flatten(),
                    is_archive: is_archive.flatten(),
                    extra,
                })
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::KINDS_OF_VALUE;
    use serde::Serialize;

    /// The derived readers these replace, field for field, as the reference.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct DerivedContent {
        #[serde(default, deserialize_with = "lenient::string_or_empty")]
        text: String,
        #[serde(
            rename = "type",
            default,
            deserialize_with = "lenient::string_or_empty"
        )]
        kind: String,
        #[serde(flatten)]
        extra: BTreeMap<String, Value>,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct DerivedInfo {
        #[serde(deserialize_with = "lenient::string")]
        message_id: String,
        #[serde(default, deserialize_with = "lenient::opt_string")]
        chat: Option<String>,
        #[serde(default, deserialize_with = "lenient::opt_string")]
        chat_type: Option<String>,
        #[serde(default, deserialize_with = "lenient::opt_string")]
        from: Option<String>,
        #[serde(default, deserialize_with = "lenient::opt_string")]
        to: Option<String>,
        #[serde(default)]
        content: Option<DerivedContent>,
        #[serde(default, deserialize_with = "lenient::opt_string")]
        created: Option<String>,
        #[serde(default, deserialize_with = "lenient::opt_string")]
        edited: Option<String>,
        #[serde(default, deserialize_with = "lenient::opt_version")]
        gentime: Option<i64>,
        #[serde(default, deserialize_with = "lenient::value")]
        reply_to: Value,
        #[serde(flatten)]
        extra: Extra,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct DerivedChat {
        #[serde(deserialize_with = "lenient::string")]
        jid: String,
        #[serde(default, deserialize_with = "lenient::opt_string")]
        chat_type: Option<String>,
        #[serde(default, deserialize_with = "lenient::opt_version")]
        gentime: Option<i64>,
        #[serde(default, deserialize_with = "lenient::opt_string")]
        display_name: Option<String>,
        #[serde(default, deserialize_with = "lenient::opt_i64")]
        num_unread: Option<i64>,
        #[serde(default, deserialize_with = "lenient::opt_i64")]
        num_unread_notices: Option<i64>,
        #[serde(default, deserialize_with = "lenient::opt_string")]
        last_read_message_id: Option<String>,
        #[serde(default, deserialize_with = "lenient::opt_bool")]
        is_archive: Option<bool>,
        #[serde(flatten)]
        extra: Extra,
    }

    /// Both readers on one text: both refuse it, or both read the same (compared through their
    /// serialized form, which is the same shape for both).
    fn agree<
        Ours: Serialize + for<'a> Deserialize<'a>,
        Theirs: Serialize + for<'a> Deserialize<'a>,
    >(
        text: &str,
    ) {
        let ours = serde_json::from_str::<Ours>(text).map(|v| serde_json::to_value(v).unwrap());
        let theirs = serde_json::from_str::<Theirs>(text).map(|v| serde_json::to_value(v).unwrap());
        match (ours, theirs) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
            (Err(a), Err(b)) => {
                let theirs = b
                    .to_string()
                    .replace("struct DerivedChat", "struct ChatInfo")
                    .replace("struct Derived", "struct Message");
                assert_eq!(
                    a.to_string(),
                    theirs.replace("MessageContent\"", "MessageContent"),
                    "{text}"
                )
            }
            (a, b) => panic!("{text}: ours {a:?}, derived {b:?}"),
        }
        // The same through a tree, as `lenient::list_of_good` reads items.
        if let Ok(tree) = serde_json::from_str::<Value>(text) {
            let ours = serde_json::from_value::<Ours>(tree.clone()).is_ok();
            let theirs = serde_json::from_value::<Theirs>(tree).is_ok();
            assert_eq!(ours, theirs, "from a tree: {text}");
        }
    }

    const INFO_FIELDS: &[&str] = &[
        "message_id",
        "chat",
        "chat_type",
        "from",
        "to",
        "content",
        "created",
        "edited",
        "gentime",
        "reply_to",
        "links",
    ];

    #[test]
    fn content_reads_every_kind_of_value_as_the_derive_did() {
        for field in ["text", "type", "upload", "mediaURL"] {
            for v in KINDS_OF_VALUE {
                agree::<MessageContent, DerivedContent>(&format!("{{\"{field}\":{v}}}"));
                agree::<MessageContent, DerivedContent>(&format!(
                    "{{\"type\":\"file\",\"{field}\":{v},\"text\":\"x\"}}"
                ));
                // Repeated: a typed field is refused, another keeps its last value.
                agree::<MessageContent, DerivedContent>(&format!(
                    "{{\"{field}\":{v},\"{field}\":\"again\"}}"
                ));
            }
        }
        for v in KINDS_OF_VALUE {
            agree::<MessageContent, DerivedContent>(v);
        }
        agree::<MessageContent, DerivedContent>(r#"{"t\u0065xt":"escaped key","na\"me":1}"#);
    }

    #[test]
    fn message_info_reads_every_kind_of_value_as_the_derive_did() {
        let base = r#""message_id":"m-1","chat":"d-1","content":{"type":"plain","text":"hi"}"#;
        for field in INFO_FIELDS {
            for v in KINDS_OF_VALUE {
                agree::<MessageInfo, DerivedInfo>(&format!("{{{base},\"{field}\":{v}}}"));
                agree::<MessageInfo, DerivedInfo>(&format!("{{\"{field}\":{v}}}"));
                agree::<MessageInfo, DerivedInfo>(&format!("{{\"{field}\":{v},{base}}}"));
            }
        }
        for v in KINDS_OF_VALUE {
            agree::<MessageInfo, DerivedInfo>(v);
            agree::<MessageInfo, DerivedInfo>(&format!(
                r#"{{"message_id":"m","content":{{"text":{v},"type":{v},"x":{v}}}}}"#
            ));
        }
        agree::<MessageInfo, DerivedInfo>("{}");
    }

    const CHAT_FIELDS: &[&str] = &[
        "jid",
        "chat_type",
        "gentime",
        "display_name",
        "num_unread",
        "num_unread_notices",
        "last_read_message_id",
        "is_archive",
        "icons",
    ];

    #[test]
    fn chat_info_reads_every_kind_of_value_as_the_derive_did() {
        let base = r#""jid":"g-1","num_unread":2,"display_name":"Ops""#;
        for field in CHAT_FIELDS {
            for v in KINDS_OF_VALUE {
                agree::<ChatInfo, DerivedChat>(&format!("{{{base},\"{field}\":{v}}}"));
                agree::<ChatInfo, DerivedChat>(&format!("{{\"{field}\":{v}}}"));
                agree::<ChatInfo, DerivedChat>(&format!("{{\"{field}\":{v},{base}}}"));
            }
        }
        for v in KINDS_OF_VALUE {
            agree::<ChatInfo, DerivedChat>(v);
        }
        agree::<ChatInfo, DerivedChat>("{}");
        agree::<MessageInfo, DerivedInfo>(r#"{"message_\u0069d":"m-2","gentime":"12"}"#);
    }
}
