//! badge and team_unread are kept and reported as Event::Counters when either changes.

use crate::support::*;
use chatwire::{Event, Session as _, Timestamp};
use serde_json::json;

#[test]
fn counters_are_reported_when_they_change() {
    let mut s = connected();
    let team_unread =
        json!({"direct": {"chats": 1, "messages": 31}, "group": {"chats": 0, "messages": 0}});
    let frame = server(
        "server.chat.updated",
        json!({"badge": 449, "chats": [], "team_unread": team_unread}),
        None,
    );
    s.handle_frame(Timestamp(1), &frame);
    assert_eq!(
        drain_events(&mut s),
        vec![Event::Counters {
            badge: Some(449),
            team_unread: team_unread.clone().into()
        }]
    );
    assert_eq!(s.badge(), Some(449));
    assert_eq!(
        s.team_unread_typed().unwrap().direct.unwrap().messages,
        Some(31)
    );

    s.handle_frame(Timestamp(2), &frame);
    assert!(
        drain_events(&mut s).is_empty(),
        "unchanged counters are not news"
    );

    // badge alone (message.updated sends it only when it changed).
    s.handle_frame(
        Timestamp(3),
        &server(
            "server.message.updated",
            json!({"badge": 450, "messages": []}),
            None,
        ),
    );
    assert_eq!(
        drain_events(&mut s),
        vec![Event::Counters {
            badge: Some(450),
            team_unread: team_unread.into()
        }]
    );
}

#[test]
fn the_spec_examples_carry_counters() {
    for name in [
        "server.chat.deleted",
        "server.chat.lastread",
        "server.chat.updated",
        "server.message.updated",
    ] {
        let (_, text) = spec_examples()
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap();
        let mut s = connected();
        s.handle_frame(Timestamp(1), &text);
        assert!(
            drain_events(&mut s)
                .iter()
                .any(|e| matches!(e, Event::Counters { badge: Some(_), .. })),
            "{name}"
        );
    }
}

#[test]
fn the_same_counters_written_otherwise_are_not_news_and_a_change_after_repeats_is() {
    let mut s = connected();
    let chat_updated = |team_unread: serde_json::Value| {
        server(
            "server.chat.updated",
            json!({"badge": 3, "chats": [], "team_unread": team_unread}),
            None,
        )
    };
    let first =
        json!({"direct": {"chats": 1, "messages": 2}, "group": {"chats": 0, "messages": 0}});
    s.handle_frame(Timestamp(1), &chat_updated(first.clone()));
    assert_eq!(drain_events(&mut s).len(), 1);

    // The same counters again, then in another key order and spaced out: no event for either.
    s.handle_frame(Timestamp(2), &chat_updated(first.clone()));
    let reordered =
        json!({"group": {"messages": 0, "chats": 0}, "direct": {"messages": 2, "chats": 1}});
    s.handle_frame(Timestamp(3), &chat_updated(reordered));
    let spaced = chat_updated(first.clone())
        .replace(":{", ": { ")
        .replace(',', " , ");
    s.handle_frame(Timestamp(4), &spaced);
    assert!(
        drain_events(&mut s).is_empty(),
        "equal counters are not news"
    );

    // A change after those repeats is reported, and going back to the first counters is too.
    let second =
        json!({"direct": {"chats": 1, "messages": 3}, "group": {"chats": 0, "messages": 0}});
    s.handle_frame(Timestamp(5), &chat_updated(second.clone()));
    assert_eq!(
        drain_events(&mut s),
        vec![Event::Counters {
            badge: Some(3),
            team_unread: second.into()
        }]
    );
    s.handle_frame(Timestamp(6), &chat_updated(first.clone()));
    assert_eq!(
        drain_events(&mut s),
        vec![Event::Counters {
            badge: Some(3),
            team_unread: first.clone().into()
        }]
    );
    assert_eq!(s.team_unread(), &first);
}
