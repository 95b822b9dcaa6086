//! Readers for the structs of every message event that keep the fields they do not type in
//! `extra` ([`MessageInfo`], [`MessageContent`], [`ChatInfo`], [`TeamUnread`]), written out
//! instead of derived.
//!
//! A derive with `#[serde(flatten)]` first buffers every field it does not know into serde's
//! private `Content` tree, then reads `extra` from that buffer: a sixth of a tada message's
//! decode, and a copy of serde's buffering code in every build. These read each field once,
//! straight into its type, and accept and refuse what the derive did: the same lenient field
//! readers (`lenient.rs`), `message_id` and `jid` required, a repeated typed field an error (so
//! the session's canonical retry resolves it to its last value, as before), a repeated other
//! field its last value, anything but an object refused. `serialize` stays derived.

use crate::json::{fill, next_key, LenientBool, LenientInt, LenientStr};
use crate::tada::content::MessageContent;
use crate::tada::lenient;
use crate::tada::server_event::{ChatInfo, MessageInfo, TeamUnread};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

// The field readers: each the `lenient` reader of the same name, of the next value.

fn opt_string<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<String>, A::Error> {
    Ok(map.next_value::<LenientStr<'de>>()?.0.map(Cow::into_owned))
}

fn string_or_empty<'de, A: MapAccess<'de>>(map: &mut A) -> Result<String, A::Error> {
    Ok(opt_string(map)?.unwrap_or_default())
}

/// Required, so a value that is no text fails here.
fn string<'de, A: MapAccess<'de>>(map: &mut A) -> Result<String, A::Error> {
    opt_string(map)?.ok_or_else(|| de::Error::custom("expected a string or a number"))
}

fn opt_version<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<i64>, A::Error> {
    Ok(map.next_value::<Version>()?.0)
}

fn opt_i64<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<i64>, A::Error> {
    Ok(map.next_value::<LenientInt>()?.0)
}

fn opt_bool<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<bool>, A::Error> {
    Ok(map.next_value::<LenientBool>()?.0)
}

fn value<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Value, A::Error> {
    Ok(map.next_value::<Option<Value>>()?.unwrap_or(Value::Null))
}

/// A field of a type with a reader of its own (an `Option` of a nested struct: `null` is none).
fn nested<'de, A: MapAccess<'de>, T: Deserialize<'de>>(map: &mut A) -> Result<T, A::Error> {
    map.next_value()
}

/// A field read by [`lenient::opt_version`].
struct Version(Option<i64>);

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        lenient::opt_version(d).map(Version)
    }
}

// What a field is when the object is read: a missing one is an error (`required`), absent
// (`optional`, also when its reader found nothing usable) or its type's default (`or_default`).

fn required<T, E: de::Error>(slot: Option<T>, name: &'static str) -> Result<T, E> {
    slot.ok_or_else(|| E::missing_field(name))
}

fn optional<T, E>(slot: Option<Option<T>>, _: &'static str) -> Result<Option<T>, E> {
    Ok(slot.flatten())
}

fn or_default<T: Default, E>(slot: Option<T>, _: &'static str) -> Result<T, E> {
    Ok(slot.unwrap_or_default())
}

/// A struct read with its `extra` left empty: every other field is read as a `Value` tree
/// would read it ([`Checked`]), refused where a tree refuses it, and not kept. For the one pass
/// over `server.message.updated`, whose events use no message's `extra`: building the maps
/// was a sixth of the frame's instructions.
pub(crate) struct Lean<T>(pub(crate) T);

/// Any JSON value, read through `deserialize_any` as a `Value` is (so numbers out of range,
/// lone surrogates and nesting past the limit fail alike) but building nothing.
/// `IgnoredAny` would skip such values unchecked.
struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_none<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Checked, D::Error> {
        Checked::deserialize(d)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
    }
}

/// The reader of a struct written by [`deserialize_with_extra`]; `KEEP`: whether the fields
/// it does not type go into `extra` or are only checked ([`Lean`]).
struct Fields<T, const KEEP: bool>(std::marker::PhantomData<T>);

/// `Deserialize` for a struct of typed fields and an `extra` map of every other field, from
/// its table: each field's wire name, reader and what it is when missing; and for its
/// [`Lean`] reading, the same but for `extra`.
macro_rules! deserialize_with_extra {
    ($ty:ident { $($key:literal => $field:ident: $read:ident, $finish:ident;)* }) => {
        impl<'de, const KEEP: bool> Visitor<'de> for Fields<$ty, KEEP> {
            type Value = $ty;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!("struct ", stringify!($ty)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$ty, A::Error> {
                $(let mut $field = None;)*
                let mut extra = BTreeMap::new();
                while let Some(key) = next_key(&mut map)? {
                    match &*key {
                        $($key => fill(&mut map, &mut $field, $key, $read)?,)*
                        _ if KEEP => {
                            extra.insert(key.into_owned(), map.next_value::<Value>()?);
                        }
                        _ => {
                            map.next_value::<Checked>()?;
                        }
                    }
                }
                Ok($ty {
                    $($field: $finish::<_, A::Error>($field, $key)?,)*
                    extra,
                })
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_map(Fields::<$ty, true>(std::marker::PhantomData))
            }
        }

        impl<'de> Deserialize<'de> for Lean<$ty> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_map(Fields::<$ty, false>(std::marker::PhantomData))
                    .map(Lean)
            }
        }
    };
}

deserialize_with_extra!(MessageContent {
    "text" => text: string_or_empty, or_default;
    "type" => kind: string_or_empty, or_default;
});

deserialize_with_extra!(MessageInfo {
    "message_id" => message_id: string, required;
    "chat" => chat: opt_string, optional;
    "chat_type" => chat_type: opt_string, optional;
    "from" => from: opt_string, optional;
    "to" => to: opt_string, optional;
    "content" => content: nested, optional;
    "created" => created: opt_string, optional;
    "edited" => edited: opt_string, optional;
    "gentime" => gentime: opt_version, optional;
    "reply_to" => reply_to: value, or_default;
});

deserialize_with_extra!(ChatInfo {
    "jid" => jid: string, required;
    "chat_type" => chat_type: opt_string, optional;
    "gentime" => gentime: opt_version, optional;
    "display_name" => display_name: opt_string, optional;
    "num_unread" => num_unread: opt_i64, optional;
    "num_unread_notices" => num_unread_notices: opt_i64, optional;
    "last_read_message_id" => last_read_message_id: opt_string, optional;
    "is_archive" => is_archive: opt_bool, optional;
});

deserialize_with_extra!(TeamUnread {
    "direct" => direct: nested, optional;
    "group" => group: nested, optional;
    "task" => task: nested, optional;
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::KINDS_OF_VALUE;
    use crate::tada::server_event::{Extra, UnreadCount};
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

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct DerivedTeamUnread {
        #[serde(default)]
        direct: Option<UnreadCount>,
        #[serde(default)]
        group: Option<UnreadCount>,
        #[serde(default)]
        task: Option<UnreadCount>,
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
                    .replace("struct DerivedTeamUnread", "struct TeamUnread")
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

    #[test]
    fn team_unread_reads_every_kind_of_value_as_the_derive_did() {
        let base = r#""direct":{"chats":1,"messages":2}"#;
        for field in ["direct", "group", "task", "meeting"] {
            for v in KINDS_OF_VALUE {
                agree::<TeamUnread, DerivedTeamUnread>(&format!("{{{base},\"{field}\":{v}}}"));
                agree::<TeamUnread, DerivedTeamUnread>(&format!("{{\"{field}\":{v}}}"));
                agree::<TeamUnread, DerivedTeamUnread>(&format!(
                    "{{\"{field}\":{{\"chats\":{v},\"messages\":{v}}}}}"
                ));
            }
        }
        for v in KINDS_OF_VALUE {
            agree::<TeamUnread, DerivedTeamUnread>(v);
        }
        agree::<TeamUnread, DerivedTeamUnread>(&format!("{{{base},{base}}}"));
    }
}
