//! Every client event encodes with the field names and JSON types the spec's client examples
//! show (the examples are schemas: `"BOOL"`, `"JID"`, `"STRING"`, `"INT"`).

use crate::support::*;
use chatwire::tada::{
    confirm_frame, Activity, CallJid, CallOffer, CallReason, CallSdp, CallSound, CallTrickle,
    ChatComposing, ChatLastread, ClientEvent, ClientFrame, Confirm, Jsep, MessageContent,
    MessageDeleted, SendMessage,
};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One encoder per client event, with every optional field set, so every field is checked.
fn full_encoding(name: &str) -> ClientEvent {
    let jid = "g-3f7e2a85-49f5-4586-8229-d9c52813dcb2".to_string();
    match name {
        "client.activity" => ClientEvent::Activity(Activity { afk: true }),
        "client.call.buzzcancel" => ClientEvent::CallBuzzcancel(CallJid { jid }),
        "client.call.leave" => ClientEvent::CallLeave(CallReason {
            jid,
            reason: Some("bye".into()),
        }),
        "client.call.muteall" => ClientEvent::CallMuteall(CallJid { jid }),
        "client.call.offer" => ClientEvent::CallOffer(CallOffer {
            jid,
            muted: false,
            sdp: "v=0".into(),
            trickle: true,
        }),
        "client.call.reject" => ClientEvent::CallReject(CallReason {
            jid,
            reason: Some("busy".into()),
        }),
        "client.call.sdp" => ClientEvent::CallSdp(CallSdp {
            jid,
            jsep: Jsep {
                sdp: "v=0".into(),
                kind: "offer".into(),
            },
            uid: "call-1".into(),
        }),
        "client.call.sound" => ClientEvent::CallSound(CallSound { jid, muted: true }),
        "client.call.trickle" => ClientEvent::CallTrickle(CallTrickle {
            candidate: "candidate:1 1 udp 1 1.2.3.4 5 typ host".into(),
            jid,
            sdp_mid: "0".into(),
            sdp_mline_index: 0,
        }),
        "client.chat.composing" => ClientEvent::ChatComposing(ChatComposing {
            composing: true,
            draft: Some("hel".into()),
            is_audio: false,
            jid,
        }),
        "client.chat.lastread" => ClientEvent::ChatLastread(ChatLastread {
            jid,
            last_read_message_id: Some("m-1".into()),
        }),
        "client.confirm" => ClientEvent::Confirm(Confirm {
            confirm_id: "abc".into(),
        }),
        "client.message.deleted" => ClientEvent::MessageDeleted(MessageDeleted {
            message_id: "m-1".into(),
        }),
        "client.message.updated" => ClientEvent::MessageUpdated(SendMessage {
            comment: Some("c".into()),
            content: MessageContent::plain("hi"),
            important: true,
            linked_messages: vec!["m-0".into()],
            message_id: Some("m-1".into()),
            nopreview: true,
            old_style_attachment: false,
            reply_to: Some("m-0".into()),
            to: jid,
            uploads: vec!["u-1".into()],
        }),
        "client.ping" => ClientEvent::Ping,
        other => panic!("no encoder for {other}"),
    }
}

/// Whether `value` has the JSON type the schema placeholder names.
fn matches_schema(schema: &Value, value: &Value) -> bool {
    match (schema, value) {
        (Value::String(s), v) => match s.as_str() {
            "BOOL" => v.is_boolean(),
            "INT" => v.is_i64() || v.is_u64(),
            _ => v.is_string(), // "JID", "STRING", "str", "..."
        },
        (Value::Array(s), Value::Array(v)) => s
            .first()
            .is_none_or(|item| v.iter().all(|x| matches_schema(item, x))),
        (Value::Object(s), Value::Object(v)) => s
            .iter()
            .all(|(k, sk)| v.get(k).is_none_or(|vk| matches_schema(sk, vk))),
        _ => false,
    }
}

/// Field names the spec documents for each client event, from its descriptions; the examples
/// omit some (`client.call.reject` shows no `reason`, `client.chat.composing` only `jid`).
fn documented_fields(name: &str) -> &'static [&'static str] {
    match name {
        "client.activity" => &["afk"],
        "client.call.buzzcancel" | "client.call.muteall" => &["jid"],
        "client.call.leave" | "client.call.reject" => &["jid", "reason"],
        "client.call.offer" => &["jid", "muted", "sdp", "trickle"],
        "client.call.sdp" => &["jid", "jsep", "uid"],
        "client.call.sound" => &["jid", "muted"],
        "client.call.trickle" => &["candidate", "jid", "sdp_mid", "sdp_mline_index"],
        "client.chat.composing" => &["composing", "draft", "is_audio", "jid"],
        "client.chat.lastread" => &["jid", "last_read_message_id"],
        "client.confirm" => &["confirm_id"],
        "client.message.deleted" => &["message_id"],
        "client.message.updated" => &[
            "comment",
            "content",
            "important",
            "linked_messages",
            "message_id",
            "nopreview",
            "old_style_attachment",
            "reply_to",
            "to",
            "uploads",
        ],
        "client.ping" => &[],
        other => panic!("undocumented {other}"),
    }
}

#[test]
fn every_client_event_of_the_spec_has_an_encoder() {
    let names: Vec<String> = spec_event_names()
        .into_iter()
        .filter(|n| n.starts_with("client."))
        .collect();
    assert_eq!(names.len(), 15);
    for name in names {
        assert_eq!(full_encoding(&name).name(), name);
    }
}

#[test]
fn encoders_match_the_field_names_and_types_of_the_client_examples() {
    let examples: BTreeMap<String, Value> = spec_examples()
        .into_iter()
        .filter(|(n, _)| n.starts_with("client."))
        .map(|(n, t)| (n, serde_json::from_str(&t).unwrap()))
        .collect();
    assert_eq!(
        examples.len(),
        13,
        "client.call.muteall and .sdp have no example"
    );
    for (name, schema) in &examples {
        let event = full_encoding(name);
        let confirm_id = schema.get("confirm_id").map(|_| "AbCdEf123456");
        let frame: Value = serde_json::from_str(&event.encode(confirm_id)).unwrap();

        // Envelope: the same top-level keys as the example.
        let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
        let mut expected = keys(schema);
        let mut got = keys(&frame);
        expected.sort();
        got.sort();
        assert_eq!(got, expected, "{name}: envelope");
        assert_eq!(frame["event"], schema["event"]);

        // Params: every field the example shows is present with its type; every field sent is
        // one the spec documents.
        let empty = Value::Object(Map::new());
        let schema_params = schema.get("params").unwrap_or(&empty).as_object().unwrap();
        let params = frame.get("params").unwrap_or(&empty).as_object().unwrap();
        for (field, placeholder) in schema_params {
            let value = params
                .get(field)
                .unwrap_or_else(|| panic!("{name}: {field} missing"));
            assert!(
                matches_schema(placeholder, value),
                "{name}.{field}: {value} does not match {placeholder}"
            );
        }
        for field in params.keys() {
            assert!(
                documented_fields(name).contains(&field.as_str()),
                "{name}: undocumented field {field}"
            );
        }
    }
}

#[test]
fn encoders_without_an_example_use_their_described_fields() {
    for name in ["client.call.muteall", "client.call.sdp"] {
        let frame: Value = serde_json::from_str(&full_encoding(name).encode(None)).unwrap();
        let mut got: Vec<&str> = frame["params"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        got.sort();
        assert_eq!(got, documented_fields(name), "{name}");
    }
    let sdp: Value = serde_json::from_str(&full_encoding("client.call.sdp").encode(None)).unwrap();
    assert_eq!(
        sdp["params"]["jsep"],
        serde_json::json!({"sdp": "v=0", "type": "offer"})
    );
}

#[test]
fn frames_keep_the_spec_field_order_and_round_trip() {
    let text = full_encoding("client.chat.lastread").encode(Some("AbCdEf123456"));
    assert_eq!(
        text,
        r#"{"confirm_id":"AbCdEf123456","event":"client.chat.lastread","params":{"jid":"g-3f7e2a85-49f5-4586-8229-d9c52813dcb2","last_read_message_id":"m-1"}}"#
    );
    assert_eq!(
        ClientEvent::Ping.encode(Some("x")),
        r#"{"confirm_id":"x","event":"client.ping"}"#
    );
    assert_eq!(
        confirm_frame("Q1w2E3r4T5y6"),
        r#"{"event":"client.confirm","params":{"confirm_id":"Q1w2E3r4T5y6"}}"#
    );
    for name in documented_names() {
        let event = full_encoding(name);
        let decoded = ClientFrame::decode(&event.encode(Some("c"))).unwrap();
        assert_eq!(decoded.event, event, "{name}");
        assert_eq!(decoded.confirm_id.as_deref(), Some("c"));
    }
}

#[test]
fn events_decode_from_text_with_params_before_or_after_the_name() {
    // A snapshot keeps its outgoing events as this text; a store may reorder the keys.
    for name in documented_names() {
        let event = full_encoding(name);
        let text = serde_json::to_string(&event).unwrap();
        assert_eq!(
            serde_json::from_str::<ClientEvent>(&text).unwrap(),
            event,
            "{name}"
        );
        let value: Value = serde_json::from_str(&text).unwrap();
        let mut swapped = String::from("{");
        if let Some(params) = value.get("params") {
            swapped.push_str(&format!(r#""params":{params},"#));
        }
        swapped.push_str(&format!(r#""event":"{name}"}}"#));
        assert_eq!(
            serde_json::from_str::<ClientEvent>(&swapped).unwrap(),
            event,
            "{name}"
        );
    }
    let unknown = serde_json::from_str::<ClientEvent>(r#"{"event":"client.nope","params":{}}"#);
    assert!(unknown.unwrap_err().to_string().contains("client.nope"));
    let bad = serde_json::from_str::<ClientEvent>(r#"{"event":"client.activity","params":{}}"#);
    assert!(bad.unwrap_err().to_string().contains("afk"));
}

fn documented_names() -> [&'static str; 15] {
    [
        "client.activity",
        "client.call.buzzcancel",
        "client.call.leave",
        "client.call.muteall",
        "client.call.offer",
        "client.call.reject",
        "client.call.sdp",
        "client.call.sound",
        "client.call.trickle",
        "client.chat.composing",
        "client.chat.lastread",
        "client.confirm",
        "client.message.deleted",
        "client.message.updated",
        "client.ping",
    ]
}
