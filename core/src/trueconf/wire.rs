//! TrueConf framing: `type` 1 (request) and 2 (response), routed on `type` before `id`.

// Reachable from outside only through `internals` (tests, fuzzers).
#![cfg_attr(not(feature = "internals"), allow(unreachable_pub))]

use super::envelope::EnvelopeRead;
use crate::json::{
    fill, int_lenient, next_key, strict_or_lenient, LenientId, LenientInt, LenientObj, OnlyStr,
};
use crate::raw::{member_span, ONE_PASS};
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// One decoded frame, borrowing from the text it was decoded from.
pub(crate) enum Frame<'a> {
    /// `type: 1` — a request. From the server it is a notification and must be acked.
    Request {
        /// The sender's request id (the server's ids are a space of their own).
        id: u32,
        /// Method name.
        method: Cow<'a, str>,
        /// Payload as sent, or already read.
        payload: Payload<'a>,
    },
    /// `type: 2` — the answer to request `id` of the other side.
    Response {
        /// The id of the answered request.
        id: u32,
        /// Payload as sent (`None` when absent or `null`, as in acks).
        payload: Option<&'a RawValue>,
    },
}

/// The payload of a request frame.
pub(crate) enum Payload<'a> {
    /// As sent (`None` when absent or `null`).
    Text(Option<&'a RawValue>),
    /// The envelope of a message notification (`sendMessage`, `editMessage`) whose `type`
    /// and `method` came before it, as servers send them: read in the same pass as the frame
    /// (`None` when it is no object), with its `text` and whether that is `canonical`
    /// ([`crate::raw::member_span`]), so the message's `raw` needs no second parse.
    Envelope {
        /// Its fields.
        fields: Option<Box<EnvelopeRead<'a>>>,
        /// Its text.
        text: &'a str,
        /// Whether `text` is kept as sent.
        canonical: bool,
    },
}

impl<'a> Payload<'a> {
    /// The payload's text; `None` when absent or `null`.
    pub(crate) fn text(&self) -> Option<&'a str> {
        match self {
            Payload::Text(raw) => raw.map(RawValue::get),
            Payload::Envelope { text: "null", .. } => None,
            Payload::Envelope { text, .. } => Some(text),
        }
    }
}

/// Why a frame could not be decoded; `id` is set when it was readable, so the frame can still be
/// acked and the server does not redeliver it forever.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FrameError {
    /// What is wrong.
    pub reason: String,
    /// The request id, when the frame is a readable `type: 1` with an id.
    pub ack_id: Option<u32>,
}

/// The routing fields of a frame; every field reads any JSON value (a wrong kind is absent),
/// so the strict parse fails only on text that is not strict JSON or repeats a field.
#[derive(Default)]
struct FrameFields<'a> {
    kind: LenientInt,
    id: LenientId,
    method: OnlyStr<'a>,
    payload: Option<PayloadField<'a>>,
}

/// `payload` as [`FrameFields`] read it: as text, or as the envelope of a message notification.
enum PayloadField<'a> {
    Text(Option<&'a RawValue>),
    Envelope(Option<Box<EnvelopeRead<'a>>>),
}

/// The notifications whose payload is a message envelope, read with the frame.
fn is_message_method(method: &str) -> bool {
    matches!(method, "sendMessage" | "editMessage")
}

/// [`FrameFields`] with a message notification's envelope read in the same pass. Tried first;
/// when it fails (a repeated field inside the envelope, a number or escape a typed field
/// refuses where skipping the payload accepts it), the frame is read as before, payload as
/// text, so such a frame is still acked and reported as it always was.
struct WithEnvelope<'a>(FrameFields<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for FrameFields<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(FrameVisitor(false, std::marker::PhantomData))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for WithEnvelope<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(FrameVisitor(true, std::marker::PhantomData))
            .map(WithEnvelope)
    }
}

/// Reads a frame's fields; `.0`: whether a message notification's payload is read as its
/// envelope.
struct FrameVisitor<'a>(bool, std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for FrameVisitor<'a> {
    type Value = FrameFields<'a>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TrueConf frame")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FrameFields<'a>, A::Error> {
        let (mut kind, mut id, mut method, mut payload) = (None, None, None, None);
        while let Some(key) = next_key(&mut map)? {
            match &*key {
                "type" => fill(&mut map, &mut kind, "type", |m| m.next_value())?,
                "id" => fill(&mut map, &mut id, "id", |m| m.next_value())?,
                "method" => fill(&mut map, &mut method, "method", |m| m.next_value())?,
                "payload" => {
                    let envelope = self.0
                        && matches!(kind, Some(LenientInt(Some(1))))
                        && matches!(&method, Some(OnlyStr(Some(m))) if is_message_method(m));
                    fill(&mut map, &mut payload, "payload", |m| {
                        Ok(if envelope {
                            PayloadField::Envelope(
                                m.next_value::<LenientObj<EnvelopeRead<'a>>>()?
                                    .0
                                    .map(Box::new),
                            )
                        } else {
                            PayloadField::Text(m.next_value()?)
                        })
                    })?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(FrameFields {
            kind: kind.unwrap_or_default(),
            id: id.unwrap_or_default(),
            method: method.unwrap_or_default(),
            payload,
        })
    }
}

/// Decodes a text frame straight from the text, tolerating trailing commas, a repeated field
/// (the last one counts) and ids sent as strings. Strict JSON is decoded in one pass; only
/// when that fails is the text re-encoded through a `Value` into `scratch`, and the frame
/// borrows from that instead.
pub(crate) fn decode<'a>(
    text: &'a str,
    scratch: &'a mut String,
) -> Result<(Frame<'a>, &'a str), FrameError> {
    if ONE_PASS {
        if let Ok(LenientObj(fields)) = serde_json::from_str::<LenientObj<WithEnvelope<'a>>>(text) {
            return route(fields.map(|f| f.0), text).map(|f| (f, text));
        }
    }
    let (fields, source) = strict_or_lenient::<LenientObj<FrameFields<'a>>>(text, scratch)
        .map_err(|reason| FrameError {
            reason: format!("not JSON: {reason}"),
            ack_id: None,
        })?;
    route(fields.0, source).map(|f| (f, source))
}

fn route<'a>(fields: Option<FrameFields<'a>>, source: &'a str) -> Result<Frame<'a>, FrameError> {
    let fail = |reason: &str, ack_id| FrameError {
        reason: reason.to_string(),
        ack_id,
    };
    let Some(fields) = fields else {
        return Err(fail("frame without a numeric type", None));
    };
    let payload = match fields.payload {
        None => Payload::Text(None),
        Some(PayloadField::Text(raw)) => Payload::Text(raw),
        Some(PayloadField::Envelope(envelope)) => {
            // The text serde_json has just accepted has this member: found again by a scan.
            let (text, canonical) = member_span(source, "payload")
                .ok_or_else(|| fail("payload not found in its frame", fields.id.0))?;
            Payload::Envelope {
                fields: envelope,
                text,
                canonical,
            }
        }
    };
    Ok(match (fields.kind.0, fields.id.0) {
        (Some(1), Some(id)) => match fields.method.0 {
            Some(method) => Frame::Request {
                id,
                method,
                payload,
            },
            None => return Err(fail("request without a method", Some(id))),
        },
        (Some(2), Some(id)) => Frame::Response {
            id,
            payload: match payload {
                Payload::Text(raw) => raw,
                // Read as an envelope only after `type: 1`, which a second `type` cannot follow.
                Payload::Envelope { .. } => return Err(fail("a response read as a request", None)),
            },
        },
        (Some(1 | 2), None) => return Err(fail("frame without a numeric id", None)),
        (Some(other), _) => return Err(fail(&format!("unknown frame type {other}"), None)),
        (None, _) => return Err(fail("frame without a numeric type", None)),
    })
}

/// The acknowledgement of server request `id`: `{"type":2,"id":N}`.
pub fn ack(id: u32) -> String {
    ["{\"type\":2,\"id\":", itoa::Buffer::new().format(id), "}"].concat()
}

/// The `errorCode` of a response payload, if it reports an error.
pub(crate) fn error_code(payload: &Value) -> Option<u32> {
    payload
        .get("errorCode")
        .and_then(int_lenient)
        .and_then(|c| u32::try_from(c).ok())
}

#[cfg(test)]
mod tests {
    use super::super::notification::{self, Notification};
    use super::*;
    use crate::json::KINDS_OF_VALUE;

    /// The notification of a frame as the session reads it: an envelope read with its frame,
    /// or the payload's text decoded on its own.
    /// `Err` when the frame would not be acked.
    fn one_pass(
        text: &str,
        me: Option<&str>,
    ) -> Result<(Result<Notification, String>, bool), String> {
        let mut scratch = String::new();
        let (frame, _) = decode(text, &mut scratch).map_err(|e| e.reason)?;
        let Frame::Request {
            method, payload, ..
        } = frame
        else {
            return Err(format!("{text} is no request"));
        };
        let envelope = matches!(payload, Payload::Envelope { .. });
        Ok((notification::decode_payload(&method, payload, me), envelope))
    }

    /// The reference: the frame read as before the one pass, its payload as text and then
    /// decoded on its own; `Err` when the frame would not be acked.
    fn old_path(text: &str, me: Option<&str>) -> Result<Result<Notification, String>, String> {
        let mut scratch = String::new();
        let (fields, source) =
            strict_or_lenient::<LenientObj<FrameFields<'_>>>(text, &mut scratch)?;
        match route(fields.0, source) {
            Ok(Frame::Request {
                method,
                payload: Payload::Text(raw),
                ..
            }) => Ok(notification::decode(
                &method,
                raw.unwrap_or(RawValue::NULL),
                me,
            )),
            _ => Err(format!("{text} is no request read as text")),
        }
    }

    /// Message payloads with every kind of value in every field the envelope reads, each
    /// field repeated, every content kind, and payloads that are no object.
    fn payloads() -> Vec<String> {
        let content = r#"{"text":"hi","parseMode":"markdown","fileName":"f.txt","name":"n","userId":"u@x","role":"admin","title":"T"}"#;
        let base = |kind: &str| -> Vec<(&str, String)> {
            [
                ("messageId", "\"m1\""),
                ("chatId", "\"c1\""),
                ("chat", r#"{"chatId":"c2"}"#),
                ("timestamp", "1746028006345"),
                ("type", kind),
                ("author", r#"{"id":"alice","type":1,"name":"A"}"#),
                ("content", content),
                ("isEdited", "false"),
                ("replyMessageId", "\"r1\""),
                ("replyMessage", r#"{"messageId":"r2"}"#),
                ("box", r#"{"id":1,"position":"0"}"#),
            ]
            .map(|(k, v)| (k, v.to_string()))
            .into()
        };
        let object = |fields: &[(&str, String)]| {
            let members: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            format!("{{{}}}", members.join(","))
        };
        let mut out = Vec::new();
        for kind in [
            "200", "202", "201", "1", "2", "21", "22", "23", "110", "203", "999",
        ] {
            out.push(object(&base(kind)));
            // Every kind of value in every field but `box`, which nothing reads.
            for i in 0..10 {
                for v in KINDS_OF_VALUE {
                    let mut fields = base(kind);
                    fields[i].1 = v.to_string();
                    out.push(object(&fields));
                }
            }
        }
        for v in KINDS_OF_VALUE {
            for inner in [
                "text",
                "parseMode",
                "fileName",
                "name",
                "userId",
                "role",
                "title",
            ] {
                out.push(format!(
                    r#"{{"messageId":"m","type":200,"content":{{"{inner}":{v}}},"author":{{"id":{v},"name":{v}}},"chat":{{"chatId":{v}}},"replyMessage":{{"messageId":{v}}}}}"#
                ));
            }
            out.push(v.to_string());
        }
        out.push(format!(" {} ", object(&base("200")).replace(',', " ,\n ")));
        out.push(r#"{"messageId":"m","content":{"text":"a\u0041\/"},"type":200}"#.into());
        out.push(r#"{"\u006dessageId":"m","content":{"te\u0078t":"x"},"type":200}"#.into());
        // Nesting deeper than a tree may go, in a field nobody reads.
        out.push(format!(r#"{{"messageId":"m","x":{}}}"#, deep()));
        out.extend(refused_by_one_pass());
        out
    }

    fn deep() -> String {
        format!("{}{}", "[".repeat(200), "]".repeat(200))
    }

    /// What skipping a payload accepts and a typed field or a tree refuses: a number out of
    /// range, lone surrogates, a repeated key in the content (kept in `raw` as sent), one beside
    /// nesting deeper than a tree may go. The one pass refuses each; read as before, each is
    /// acked and reported (or delivered) as before.
    fn refused_by_one_pass() -> Vec<String> {
        [
            r#""timestamp":1e400"#.to_string(),
            r#""content":{"text":"\ud800"}"#.to_string(),
            r#""author":{"id":"\ud800x"}"#.to_string(),
            r#""content":{"text":"a","text":"b"}"#.to_string(),
            r#""content":{"name":"a","name":"b"},"type":201"#.to_string(),
            format!(r#""chatId":"c","chatId":"d","x":{}"#, deep()),
            r#""type":201"#.to_string(),
            r#""messageId":{"a":1}"#.to_string(),
        ]
        .map(|odd| format!(r#"{{"messageId":"m","type":200,{odd}}}"#))
        .into()
    }

    /// A message notification read with its frame in one pass decodes to what its payload
    /// decodes to on its own, whatever the payload holds, and whoever the bot is.
    #[test]
    fn a_message_read_with_its_frame_decodes_as_its_payload_alone() {
        let mut read_with_frame = 0;
        for payload in payloads() {
            for method in ["sendMessage", "editMessage"] {
                let frames = [
                    format!(r#"{{"type":1,"id":7,"method":"{method}","payload":{payload}}}"#),
                    format!(r#"{{"payload":{payload},"type":1,"id":7,"method":"{method}"}}"#),
                    format!(r#"{{"type":1,"method":"{method}","payload":{payload},"id":"7",}}"#),
                    format!(
                        r#"{{"type":1,"id":7,"method":"{method}","payload":{payload},"payload":{payload}}}"#
                    ),
                ];
                for (i, frame) in frames.iter().enumerate() {
                    // Whose the message is matters only once per payload.
                    let bots: &[Option<&str>] = if i == 0 {
                        &[None, Some("alice")]
                    } else {
                        &[None]
                    };
                    for &me in bots {
                        let got = one_pass(frame, me);
                        let envelope = got.as_ref().is_ok_and(|(_, envelope)| *envelope);
                        // The same notification, or the same frame refused (both unacked).
                        assert_eq!(
                            got.map(|(n, _)| n).is_ok(),
                            old_path(frame, me).is_ok(),
                            "{frame}"
                        );
                        if let (Ok((n, _)), Ok(old)) = (one_pass(frame, me), old_path(frame, me)) {
                            assert_eq!(n, old, "{frame}");
                        }
                        if i == 0 && envelope {
                            read_with_frame += 1;
                        }
                        // Only a method before the payload lets the envelope be read with it.
                        assert!(!(i == 1 && envelope), "{frame}");
                    }
                }
            }
        }
        // The common order (type, id, method, payload) takes the one pass in every case.
        let expected = if ONE_PASS {
            (payloads().len() - refused_by_one_pass().len()) * 2 * 2
        } else {
            0
        };
        assert_eq!(read_with_frame, expected);
    }
}
