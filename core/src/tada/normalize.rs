//! tada objects turned into the normalized model ([`Chat`], [`Message`], [`Content`]).

use crate::model::{Author, Chat, ChatKind, Content, Message};
use crate::raw::RawJson;
use crate::read_state::ReadUpdate;
use crate::tada::content::MessageContent;
use crate::tada::server_event::{ChatInfo, MessageInfo};
use serde_json::value::RawValue;
use serde_json::Value;

/// The kind of a chat from its `chat_type`, or else from its JID prefix.
pub(crate) fn chat_kind(chat_type: Option<&str>, jid: &str) -> ChatKind {
    let by_prefix = || {
        let prefix = jid.split('-').next().unwrap_or("");
        match prefix {
            "d" => ChatKind::Direct,
            "g" => ChatKind::Group,
            "t" => ChatKind::Task,
            "m" => ChatKind::Meeting,
            "th" => ChatKind::Thread,
            _ => ChatKind::Other(prefix.to_string()),
        }
    };
    match chat_type {
        Some("direct") => ChatKind::Direct,
        Some("group") => ChatKind::Group,
        Some("task") => ChatKind::Task,
        Some("meeting") => ChatKind::Meeting,
        Some("thread") => ChatKind::Thread,
        Some(other) if !other.is_empty() => ChatKind::Other(other.to_string()),
        _ => by_prefix(),
    }
}

/// A chat object as a normalized [`Chat`]; `raw` is the object as received.
pub(crate) fn chat(info: &ChatInfo, raw: &RawValue) -> Chat {
    let avatar_url = ["lg", "sm"]
        .iter()
        .find_map(|size| info.extra.get("icons")?.get(size)?.get("url")?.as_str())
        .or_else(|| info.extra.get("icons")?.get("stub")?.as_str())
        .map(str::to_string);
    Chat {
        id: info.jid.clone(),
        title: info.display_name.clone(),
        kind: chat_kind(info.chat_type.as_deref(), &info.jid),
        unread: info.num_unread.map(clamp_u32),
        last_message: None,
        avatar_url,
        raw: RawJson::from_raw(raw),
    }
}

/// The read-state part of a chat object, if it carries any.
pub(crate) fn read_update(info: &ChatInfo) -> Option<ReadUpdate> {
    if info.num_unread.is_none()
        && info.num_unread_notices.is_none()
        && info.last_read_message_id.is_none()
    {
        return None;
    }
    Some(ReadUpdate {
        unread: info.num_unread.map(clamp_u32),
        unread_notices: info.num_unread_notices.map(clamp_u32),
        last_read_message_id: info.last_read_message_id.clone(),
        last_common_read_id: None,
        version: info.gentime,
    })
}

/// A message object as a normalized [`Message`]; `raw` is the object as received. Takes the
/// object by value: its strings move into the message instead of being copied from a decoded
/// object that is dropped right after.
pub(crate) fn message(info: MessageInfo, raw: RawJson, own: bool, edited: bool) -> Message {
    let reply_to = match info.reply_to {
        Value::String(id) => Some(id),
        ref object @ Value::Object(_) => crate::json::field_str(object, "message_id"),
        _ => None,
    };
    Message {
        id: info.message_id,
        chat_id: info.chat.or(info.to),
        author: Author {
            id: info.from.unwrap_or_default(),
            kind: None,
            display_name: None,
        },
        timestamp_ms: info.created.as_deref().and_then(iso8601_millis),
        content: info.content.map(content).unwrap_or(Content::Unknown {
            kind: String::new(),
            raw: RawJson::from(Value::Null),
        }),
        edited,
        reply_to,
        version: info.gentime,
        own,
        raw,
    }
}

/// The chat a message belongs to: `chat`, else its recipient.
pub(crate) fn chat_of(info: &MessageInfo) -> Option<&str> {
    info.chat.as_deref().or(info.to.as_deref())
}

/// tada content as normalized [`Content`]; types this version does not map are kept whole.
pub(crate) fn content(c: MessageContent) -> Content {
    match c.kind.as_str() {
        "plain" => Content::Text {
            text: c.text,
            format: Some("plain".to_string()),
        },
        "deleted" => Content::Deleted,
        "change" => {
            let parameters = content_raw(&c);
            Content::System {
                code: "change".to_string(),
                text: c.text,
                parameters,
            }
        }
        "file" | "image" | "video" | "pdf" => Content::Attachment {
            name: c.get("name").and_then(Value::as_str).map(str::to_string),
            raw: content_raw(&c),
        },
        "audiomsg" => Content::Voice {
            raw: content_raw(&c),
        },
        other => Content::Unknown {
            kind: other.to_string(),
            raw: content_raw(&c),
        },
    }
}

/// A content's text as a tree of it would write it. Written straight from the struct, which
/// writes the same (its `extra` holds trees, in key order), unless `extra` repeats `text` or
/// `type` (content an app built): the tree keeps such a key once.
fn content_raw(c: &MessageContent) -> RawJson {
    if c.extra.contains_key("text") || c.extra.contains_key("type") {
        RawJson::from(serde_json::to_value(c).unwrap_or(Value::Null))
    } else {
        RawJson::from_serialize(c)
    }
}

fn clamp_u32(n: i64) -> u32 {
    n.clamp(0, u32::MAX as i64) as u32
}

/// Milliseconds since the Unix epoch of an ISO 8601 date-time such as
/// `2019-09-27T01:01:33.661466Z` or `2019-09-27 01:01:33+03:00`; `None` if it does not parse.
///
/// Written here rather than pulling a date crate into a core that must stay small for wasm.
pub(crate) fn iso8601_millis(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = s.get(from..from + len)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let mut i = 19;
    let mut millis = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let frac = &s[start..i];
        if frac.is_empty() {
            return None;
        }
        let padded: String = frac.chars().chain("000".chars()).take(3).collect();
        millis = padded.parse().ok()?;
    }
    let offset_minutes = match &s[i..] {
        "" | "Z" | "z" => 0,
        tz => {
            let sign = match tz.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = tz[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let h: i64 = digits[..2].parse().ok()?;
            let m: i64 = digits[2..].parse().ok()?;
            sign * (h * 60 + m)
        }
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = (if y >= 0 { y } else { y - 399 }) / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::{content_raw, iso8601_millis};
    use crate::json::KINDS_OF_VALUE;
    use crate::raw::RawJson;
    use crate::tada::MessageContent;
    use serde_json::Value;

    /// A content's text written from the struct is the text its tree writes, whatever its
    /// fields hold, and content that repeats a key keeps it once, as the tree does.
    #[test]
    fn content_text_is_what_its_tree_writes() {
        let extras = [
            "{}",
            r#"{"upload":{"b":1,"a":[1.5,-0.0,1e300]},"name":"\u00e9\n"}"#,
        ];
        for v in KINDS_OF_VALUE {
            for extra in extras {
                let mut extra: serde_json::Map<String, Value> =
                    serde_json::from_str(extra).unwrap();
                extra.insert("zeta".into(), serde_json::from_str(v).unwrap());
                let text = format!(
                    r#"{{"text":"t","type":"change","actor":{v},"rest":{}}}"#,
                    Value::Object(extra)
                );
                let c: MessageContent = serde_json::from_str(&text).unwrap();
                let tree = RawJson::from(serde_json::to_value(&c).unwrap());
                assert_eq!(content_raw(&c), tree, "{text}");
            }
        }
        let mut c = MessageContent::plain("hi");
        c.extra.insert("type".into(), Value::from("other"));
        let tree = RawJson::from(serde_json::to_value(&c).unwrap());
        assert_eq!(content_raw(&c), tree);
        assert_eq!(content_raw(&c).as_str().matches("\"type\"").count(), 1);
    }

    #[test]
    fn parses_iso_times() {
        assert_eq!(iso8601_millis("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            iso8601_millis("2019-09-27T01:01:33.661466Z"),
            Some(1_569_546_093_661)
        );
        assert_eq!(
            iso8601_millis("2019-09-27T04:01:33.661+03:00"),
            Some(1_569_546_093_661)
        );
        assert_eq!(iso8601_millis("2019-09-27"), None);
        assert_eq!(iso8601_millis("2019-13-27T01:01:33Z"), None);
        assert_eq!(iso8601_millis("2019-09-27T01:01:33Zjunk"), None);
        assert_eq!(iso8601_millis("２０１９-09-27T01:01:33Z"), None);
    }
}
