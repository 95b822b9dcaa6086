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
