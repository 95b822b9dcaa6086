//! `TalkMessage::from_text` reads every message exactly as `TalkMessage::from_tree` reads its
//! tree: the same message or the same refusal, and `raw` the text the tree writes, over
//! thousands of messages whose fields hold every kind of value, repeat, or sit in odd spacing.

use super::message::TalkMessage;
use crate::json::{parse_lenient, KINDS_OF_VALUE};
use crate::raw::RawJson;
use crate::rng::Rng;
use serde_json::value::RawValue;
use serde_json::{json, Value};

/// Values only Talk gives meaning to (message objects, parameters, system message names), beside
/// the generic [`KINDS_OF_VALUE`].
const TALK_VALUES: &[&str] = &[
    "{\"id\":3,\"deleted\":true}",
    "{\"id\":4,\"message\":\"p\",\"actorId\":\"bob\"}",
    "{\"user1\":{\"type\":\"user\",\"id\":\"a\",\"name\":\"A\"}}",
    "{\"file\":{\"type\":\"file\",\"id\":1,\"name\":\"f.png\"},\"x\":[]}",
    "\"message_edited\"",
    "\"reaction\"",
    "\"system\"",
    "\"comment_deleted\"",
];

fn values() -> Vec<&'static str> {
    KINDS_OF_VALUE.iter().chain(TALK_VALUES).copied().collect()
}

const FIELDS: &[&str] = &[
    "id",
    "token",
    "actorType",
    "actorId",
    "actorDisplayName",
    "timestamp",
    "systemMessage",
    "messageType",
    "isReplyable",
    "referenceId",
    "message",
    "messageParameters",
    "parent",
    "lastEditTimestamp",
    "deleted",
];

fn base() -> Value {
    json!({"id": 12, "token": "room-ab", "actorType": "users", "actorId": "bob",
        "actorDisplayName": "Bob", "timestamp": 1700000000, "message": "hi {user1}",
        "messageType": "comment", "systemMessage": "", "isReplyable": true,
        "referenceId": "ref", "messageParameters": {"user1": {"type": "user", "id": "u1",
        "name": "User One"}}, "parent": {"id": 9, "token": "room-ab", "actorId": "carol",
        "message": "q", "parent": {"id": 2, "deleted": true}}, "lastEditTimestamp": 0})
}

fn compare(text: &str) {
    let Ok(tree) = parse_lenient(text) else {
        return;
    };
    let raw: Box<RawValue> = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(_) => return,
    };
    let typed = TalkMessage::from_text(&raw);
    let walked = TalkMessage::from_tree(&tree);
    match (typed, walked) {
        (Ok(d), Ok(m)) => {
            assert_eq!(d.message, m, "{text}");
            assert_eq!(d.raw, RawJson::from(tree.clone()), "raw of {text}");
            let parent = tree
                .get("parent")
                .filter(|p| p.is_object() && m.is_about_parent())
                .map(|p| RawJson::from(p.clone()));
            assert_eq!(d.parent_raw, parent, "parent of {text}");
        }
        (Err(a), Err(b)) => assert_eq!(a, b, "{text}"),
        (a, b) => panic!("{text}: text {a:?}, tree {b:?}"),
    }
}

#[test]
fn from_text_reads_every_message_as_the_tree_does() {
    let mut rng = Rng::new(5);
    let values = values();
    for value in &values {
        compare(value);
    }
    for _ in 0..4_000 {
        let mut m = base();
        let mut extra = Vec::new();
        for _ in 0..=rng.below(4) {
            let field = FIELDS[rng.below(FIELDS.len() as u64) as usize];
            let value = values[rng.below(values.len() as u64) as usize];
            match rng.below(3) {
                0 => {
                    m.as_object_mut().unwrap().remove(field);
                }
                1 => m[field] = serde_json::from_str(value).unwrap(),
                // A repeated field: the tree keeps the last value.
                _ => extra.push(format!("\"{field}\":{value}")),
            }
        }
        let mut text = m.to_string();
        if !extra.is_empty() {
            text.pop();
            text = format!("{text},{}}}", extra.join(","));
        }
        if rng.below(4) == 0 {
            text = text.replace(',', " ,\n ").replace(':', ": ");
        }
        compare(&text);
    }
}
