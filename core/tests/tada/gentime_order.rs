//! Read state and chats follow gentime: an older update arriving late never overwrites a newer
//! one, and gentimes above 2^53 compare exactly.

use crate::support::*;
use chatwire::{ChatKind, Event, ReadState, Session as _, Timestamp};
use serde_json::json;

const G: i64 = 1_569_546_094_920_474_368; // > 2^53

fn lastread(jid: &str, gentime: i64, unread: i64, last: &str) -> String {
    server(
        "server.chat.lastread",
        json!({
            "badge": unread,
            "chats": [{
                "chat_type": "group", "gentime": gentime, "jid": jid,
                "last_read_message_id": last, "num_unread": unread, "num_unread_notices": 0
            }]
        }),
        None,
    )
}

fn read_changes(events: &[Event]) -> Vec<ReadState> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ReadStateChanged { state, .. } => Some(state.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn an_older_read_state_arriving_late_is_ignored() {
    let mut s = connected();
    s.handle_frame(Timestamp(1), &lastread("g-1", G + 2, 0, "m-9"));
    let first = read_changes(&drain_events(&mut s));
    assert_eq!(
        first,
        vec![ReadState {
            unread: Some(0),
            unread_notices: Some(0),
            last_read_message_id: Some("m-9".into()),
            last_common_read_id: None,
            version: Some(G + 2),
        }]
    );
    // G + 1 differs from G + 2 only in the last bit an f64 could not hold.
    s.handle_frame(Timestamp(2), &lastread("g-1", G + 1, 5, "m-4"));
    assert!(read_changes(&drain_events(&mut s)).is_empty());
    assert_eq!(
        s.read_state("g-1").unwrap().last_read_message_id.as_deref(),
        Some("m-9")
    );

    s.handle_frame(Timestamp(3), &lastread("g-1", G + 3, 1, "m-9"));
    let newer = read_changes(&drain_events(&mut s));
    assert_eq!(newer[0].unread, Some(1));
    assert_eq!(newer[0].version, Some(G + 3));
}

#[test]
fn message_chat_counters_follow_the_same_order() {
    let mut s = connected();
    s.handle_frame(Timestamp(1), &lastread("t-1", G + 10, 0, "m-2"));
    drain_events(&mut s);
    let late = server(
        "server.message.updated",
        json!({
            "chat_counters": [{ "chat_type": "task", "gentime": G, "jid": "t-1",
                                "last_read_message_id": null, "num_unread": 3, "num_unread_notices": 0 }],
            "messages": []
        }),
        None,
    );
    s.handle_frame(Timestamp(2), &late);
    assert!(read_changes(&drain_events(&mut s)).is_empty());
    assert_eq!(s.read_state("t-1").unwrap().unread, Some(0));
}

#[test]
fn chats_are_created_then_updated_and_stale_copies_dropped() {
    let mut s = connected();
    let chat = |gentime: i64, name: &str| {
        server(
            "server.chat.updated",
            json!({ "chats": [{ "jid": "g-7", "chat_type": "group", "gentime": gentime,
                                "display_name": name, "num_unread": 2 }] }),
            None,
        )
    };
    s.handle_frame(Timestamp(1), &chat(G, "first"));
    let events = drain_events(&mut s);
    let Event::ChatCreated { chat: c } = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(c.title.as_deref(), Some("first"));
    assert_eq!(c.kind, ChatKind::Group);
    assert_eq!(c.unread, Some(2));
    assert!(matches!(&events[1], Event::ReadStateChanged { .. }));

    s.handle_frame(Timestamp(2), &chat(G + 5, "renamed"));
    assert!(matches!(
        drain_events(&mut s).first(),
        Some(Event::ChatUpdated { chat }) if chat.title.as_deref() == Some("renamed")
    ));
    s.handle_frame(Timestamp(3), &chat(G + 4, "stale"));
    s.handle_frame(Timestamp(4), &chat(G + 5, "renamed"));
    assert!(
        drain_events(&mut s).is_empty(),
        "stale and repeated copies are dropped"
    );
}

#[test]
fn a_deleted_chat_is_not_resurrected_by_a_stale_update() {
    let mut s = connected();
    let updated = |g: i64| {
        server(
            "server.chat.updated",
            json!({"chats": [{"jid": "g-8", "gentime": g}]}),
            None,
        )
    };
    s.handle_frame(Timestamp(1), &updated(G));
    drain_events(&mut s);
    s.handle_frame(
        Timestamp(2),
        &server(
            "server.chat.deleted",
            json!({"chats": [{"jid": "g-8", "gentime": G + 2, "is_archive": true}]}),
            None,
        ),
    );
    assert_eq!(
        drain_events(&mut s),
        vec![Event::ChatRemoved {
            chat_id: "g-8".into()
        }]
    );
    s.handle_frame(Timestamp(3), &updated(G + 1));
    assert!(drain_events(&mut s).is_empty());
    s.handle_frame(Timestamp(4), &updated(G + 3));
    assert!(matches!(
        drain_events(&mut s).first(),
        Some(Event::ChatCreated { .. })
    ));
}
