//! Server events with no normalized counterpart reach the app typed, as Event::Tada; the team's
//! `me` tells the session which messages are this user's own.

use crate::support::*;
use chatwire::tada::ServerEvent;
use chatwire::{Event, Session as _, Timestamp};
use serde_json::json;

#[test]
fn calls_presence_and_composing_are_typed() {
    let mut s = connected();
    for name in [
        "server.call.buzz",
        "server.online",
        "server.chat.composing",
        "server.contact.updated",
        "server.remind.fired",
        "server.time",
        "server.login",
    ] {
        let (_, text) = spec_examples()
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap();
        s.handle_frame(Timestamp(1), &text);
        let events = drain_events(&mut s);
        let [Event::Tada { name: n, params }] = events.as_slice() else {
            panic!("{name}: {events:?}")
        };
        // The pass-through keeps the params whole: the typed decoder reads them back.
        let event = Box::new(
            ServerEvent::decode(n, Some(&params.parse().unwrap()))
                .unwrap()
                .unwrap(),
        );
        assert_eq!(event.name(), name);
        match &*event {
            ServerEvent::Online(o) => {
                assert_eq!(o.contacts[0].afk, Some(false));
                assert_eq!(o.calls[0].jid, "g-3f7e2a85-49f5-4586-8229-d9c52813dcb2");
            }
            ServerEvent::ChatComposing(c) => assert_eq!(c.composing, Some(true)),
            ServerEvent::CallBuzz(b) => assert_eq!(b.display_name.as_deref(), Some("имя фамилия")),
            _ => {}
        }
    }
}

#[test]
fn the_team_update_names_this_user() {
    let mut s = connected();
    s.handle_frame(
        Timestamp(1),
        &server(
            "server.team.updated",
            json!({"teams": [
                {"uid": "other-team", "me": {"jid": "d-other"}},
                {"uid": "team-1", "name": "Team", "me": {"jid": "d-me", "display_name": "Me"}}
            ]}),
            None,
        ),
    );
    assert!(matches!(
        drain_events(&mut s).as_slice(),
        [Event::Tada { .. }]
    ));
    assert_eq!(s.me(), Some("d-me"));
    s.handle_frame(
        Timestamp(2),
        &messages_updated(
            vec![message("m-9", "g-1", "d-me", "from another device", 5)],
            None,
        ),
    );
    assert!(
        matches!(drain_events(&mut s).as_slice(), [Event::MessageReceived { message }] if message.own)
    );
    s.handle_closed(Timestamp(3), "x");
    drain_events(&mut s);
    s.handle_connected(Timestamp(4));
    assert_eq!(
        drain_events(&mut s),
        vec![Event::Connected {
            user_id: Some("d-me".into()),
            connection_id: None
        }]
    );
}

#[test]
fn typed_events_round_trip_through_serde() {
    let (_, text) = spec_examples()
        .into_iter()
        .find(|(n, _)| n == "server.team.updated")
        .unwrap();
    let mut s = connected();
    s.handle_frame(Timestamp(1), &text);
    let event = drain_events(&mut s).remove(0);
    let json = serde_json::to_string(&event).unwrap();
    let back: Event = serde_json::from_str(&json).unwrap();
    assert_eq!(back, event);
}
