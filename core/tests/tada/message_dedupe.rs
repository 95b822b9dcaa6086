//! server.message.updated becomes received / edited / removed events, each version reaching the
//! app once: a redelivered (message_id, gentime) or an older version is dropped.

use crate::support::*;
use chatwire::{Content, Event, Session as _, Timestamp};
use serde_json::json;

#[test]
fn a_redelivered_message_reaches_the_app_once() {
    let mut s = connected();
    let frame = messages_updated(vec![message("m-1", "g-1", "d-2", "hi", 100)], None);
    s.handle_frame(Timestamp(1), &frame);
    let events = drain_events(&mut s);
    let [Event::MessageReceived { message }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(message.id, "m-1");
    assert_eq!(message.chat_id.as_deref(), Some("g-1"));
    assert_eq!(message.author.id, "d-2");
    assert_eq!(message.version, Some(100));
    assert_eq!(message.timestamp_ms, Some(1_569_546_093_661));
    assert!(!message.own && !message.edited);
    assert_eq!(
        message.content,
        Content::Text {
            text: "hi".into(),
            format: Some("plain".into())
        }
    );
    s.handle_frame(Timestamp(2), &frame);
    s.handle_frame(Timestamp(3), &frame);
    assert!(drain_events(&mut s).is_empty());
}

#[test]
fn a_newer_version_is_an_edit_and_an_older_one_is_dropped() {
    let mut s = connected();
    s.handle_frame(
        Timestamp(1),
        &messages_updated(vec![message("m-1", "g-1", "d-2", "v1", 100)], None),
    );
    drain_events(&mut s);
    s.handle_frame(
        Timestamp(2),
        &messages_updated(vec![message("m-1", "g-1", "d-2", "v2", 200)], None),
    );
    let events = drain_events(&mut s);
    let [Event::MessageEdited { message: edited }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(edited.content.text(), Some("v2"));
    assert!(edited.edited);
    // A copy of version 150 arriving late loses against 200.
    s.handle_frame(
        Timestamp(3),
        &messages_updated(vec![message("m-1", "g-1", "d-2", "v1.5", 150)], None),
    );
    assert!(drain_events(&mut s).is_empty());
}

#[test]
fn an_edit_seen_first_is_reported_as_an_edit() {
    let mut s = connected();
    let mut m = message("m-5", "g-1", "d-2", "fixed", 300);
    m["edited"] = json!("2019-09-27T01:05:00Z");
    s.handle_frame(Timestamp(1), &messages_updated(vec![m], None));
    assert!(matches!(
        drain_events(&mut s).as_slice(),
        [Event::MessageEdited { .. }]
    ));
}

#[test]
fn content_type_deleted_is_a_removal() {
    let mut s = connected();
    s.handle_frame(
        Timestamp(1),
        &messages_updated(vec![message("m-1", "g-1", "d-2", "hi", 100)], None),
    );
    drain_events(&mut s);
    let mut gone = message("m-1", "g-1", "d-2", "", 200);
    gone["content"] = json!({"type": "deleted", "actor": "d-2"});
    let frame = messages_updated(vec![gone], None);
    s.handle_frame(Timestamp(2), &frame);
    s.handle_frame(Timestamp(3), &frame);
    assert_eq!(
        drain_events(&mut s),
        vec![Event::MessageRemoved {
            chat_id: Some("g-1".into()),
            message_id: "m-1".into(),
            by: Some("d-2".into())
        }]
    );
}

#[test]
fn several_messages_in_one_frame_each_count_once() {
    let mut s = connected();
    let frame = messages_updated(
        vec![
            message("m-1", "g-1", "d-2", "a", 1),
            message("m-2", "g-1", "d-2", "b", 2),
            message("m-1", "g-1", "d-2", "a", 1),
        ],
        None,
    );
    s.handle_frame(Timestamp(1), &frame);
    let ids: Vec<String> = drain_events(&mut s)
        .into_iter()
        .map(|e| match e {
            Event::MessageReceived { message } => message.id,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids, ["m-1", "m-2"]);
}

#[test]
fn system_and_file_contents_are_normalized() {
    let mut s = connected();
    let mut change = message("m-1", "t-1", "d-2", "", 1);
    change["content"] = json!({"type": "change", "text": "Task created", "actor": "d-2"});
    let mut file = message("m-2", "t-1", "d-2", "", 2);
    file["content"] = json!({"type": "file", "text": "", "name": "a.pdf", "upload": "u-1"});
    let mut odd = message("m-3", "t-1", "d-2", "", 3);
    odd["content"] = json!({"type": "hologram", "text": "?"});
    s.handle_frame(
        Timestamp(1),
        &messages_updated(vec![change, file, odd], None),
    );
    let contents: Vec<Content> = drain_events(&mut s)
        .into_iter()
        .map(|e| match e {
            Event::MessageReceived { message } => message.content,
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(
        matches!(&contents[0], Content::System { code, text, .. } if code == "change" && text == "Task created")
    );
    assert!(matches!(&contents[1], Content::Attachment { name: Some(n), .. } if n == "a.pdf"));
    assert!(matches!(&contents[2], Content::Unknown { kind, .. } if kind == "hologram"));
}
