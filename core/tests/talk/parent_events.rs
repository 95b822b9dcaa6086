//! Edits, deletions and reactions reach the poll as system messages whose `parent` is the
//! message concerned: they become events on that message, never new chat messages.

use crate::support::*;
use chatwire::{Content, Event, Session as _};

const POLL: &str = include_str!("fixtures/poll_edit_react_delete.json");

#[test]
fn system_messages_about_a_parent_become_edit_remove_and_reaction_events() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 22);
    let data = fixture_data(POLL);
    let items = data.as_array().unwrap().clone();
    s.handle_http_response(at(1), poll.id, page(items, 29));
    let evs = events(&mut s);
    // Only the two comments are messages; 28 is already deleted when it first arrives.
    assert_eq!(received_ids(&evs), ["23", "28"]);
    let edited: Vec<_> = evs
        .iter()
        .filter_map(|e| match e {
            Event::MessageEdited { message } => Some(message),
            _ => None,
        })
        .collect();
    assert_eq!(edited.len(), 1);
    assert_eq!(edited[0].id, "23");
    assert!(edited[0].edited);
    assert_eq!(
        edited[0].content,
        Content::Text {
            text: "@Alice have a look, edited".into(),
            format: None
        }
    );
    let raw: serde_json::Value = edited[0].raw.parse().unwrap();
    assert_eq!(
        raw["messageParameters"]["mention-user1"]["id"], "alice",
        "the mention's id is kept for rich rendering"
    );
    let removed: Vec<_> = evs
        .iter()
        .filter_map(|e| match e {
            Event::MessageRemoved {
                chat_id,
                message_id,
                by,
            } => Some((chat_id.clone(), message_id.clone(), by.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        removed,
        [(
            Some(ROOM.to_string()),
            "28".to_string(),
            Some("bob".to_string())
        )]
    );
    let reactions: Vec<_> = evs
        .iter()
        .filter_map(|e| match e {
            Event::ReactionsChanged {
                chat_id,
                message_id,
                reactions,
            } => Some((chat_id.clone(), message_id.clone(), reactions.clone())),
            _ => None,
        })
        .collect();
    // `reaction` (bob's 👍) and `reaction_revoked` (alice took hers back); the rewritten
    // `reaction_deleted` entry tells nothing new. Each carries the parent's reactions as the
    // server has them now: one 👍, not ours.
    assert_eq!(reactions.len(), 2, "{reactions:?}");
    for (chat, id, list) in &reactions {
        assert_eq!(chat, ROOM);
        assert_eq!(id, "23");
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].emoji, "👍");
        assert_eq!(list[0].count, 1);
        assert!(!list[0].own);
    }
}

#[test]
fn a_deleted_unread_message_no_longer_counts() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 10);
    s.handle_http_response(at(1), poll.id, page(vec![message(11, "bob", "oops")], 11));
    events(&mut s);
    assert_eq!(s.read_state(ROOM).unwrap().unread, Some(1));
    let poll = one_request(&mut s);
    let mut deleted = message(12, "bob", "{actor} deleted a message");
    deleted["messageType"] = "system".into();
    deleted["systemMessage"] = "message_deleted".into();
    let mut parent = message(11, "bob", "Message deleted by author");
    parent["messageType"] = "comment_deleted".into();
    parent["deleted"] = true.into();
    deleted["parent"] = parent;
    s.handle_http_response(at(2), poll.id, page(vec![deleted], 12));
    let evs = events(&mut s);
    assert!(received_ids(&evs).is_empty());
    assert!(evs.iter().any(|e| matches!(e,
        Event::MessageRemoved { message_id, .. } if message_id == "11")));
    assert_eq!(s.read_state(ROOM).unwrap().unread, Some(0));
}

#[test]
fn older_pages_leave_out_system_messages_about_parents() {
    let mut s = talk();
    let _poll = join_live(&mut s, at(0), 30);
    let id = s.load_older(at(1), ROOM, 50).unwrap();
    let req = one_request(&mut s);
    let items = fixture_data(POLL).as_array().unwrap().clone();
    s.handle_http_response(at(2), req.id, page(items, 23));
    let evs = events(&mut s);
    let messages = evs
        .iter()
        .find_map(|e| match e {
            Event::Response {
                request,
                reply: chatwire::Reply::Messages { messages },
            } if *request == id => Some(messages.clone()),
            _ => None,
        })
        .expect("the page answers");
    let ids: Vec<_> = messages.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["23", "28"]);
}
