//! Every server example of the published spec decodes, typed, through the session and through
//! `tada::inspect`; events documented without an example decode from their described fields.

use crate::support::*;
use chatwire::tada::{inspect_tada as inspect, ServerEvent, SERVER_EVENT_NAMES};
use chatwire::{Direction, Event, FrameKind, Session as _, Timestamp};
use serde_json::{json, Value};

#[test]
fn the_spec_names_exactly_the_server_events_this_version_decodes() {
    let mut in_spec: Vec<String> = spec_event_names()
        .into_iter()
        .filter(|n| n.starts_with("server."))
        .collect();
    in_spec.dedup();
    let mut ours: Vec<String> = SERVER_EVENT_NAMES.iter().map(|s| s.to_string()).collect();
    in_spec.sort();
    ours.sort();
    assert_eq!(in_spec, ours);
}

#[test]
fn every_server_example_decodes_to_its_typed_variant() {
    let examples: Vec<(String, String)> = spec_examples()
        .into_iter()
        .filter(|(n, _)| n.starts_with("server."))
        .collect();
    // 40 server events, 14 of them marked MISSING EXAMPLE.
    assert_eq!(examples.len(), 26, "server examples found");
    for (name, text) in &examples {
        let value: Value = serde_json::from_str(text).unwrap();
        if name == "server.uisettings" {
            // The spec shows only the settings data, without the event envelope.
            assert!(value.get("event").is_none());
            continue;
        }
        assert_eq!(value["event"], json!(name), "example under {name}");
        let decoded = ServerEvent::decode(name, value.get("params"))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .unwrap_or_else(|| panic!("{name}: not known"));
        assert_eq!(decoded.name(), name);
        // And back: the typed value survives a serde round trip (apps persist events).
        let round: ServerEvent =
            serde_json::from_value(serde_json::to_value(&decoded).unwrap()).unwrap();
        assert_eq!(round, decoded, "{name}");
    }
}

#[test]
fn every_server_example_goes_through_the_session_without_a_protocol_error() {
    for (name, text) in spec_examples() {
        if !name.starts_with("server.") {
            continue;
        }
        let mut s = connected();
        s.handle_frame(Timestamp(1), &text);
        let events = drain_events(&mut s);
        for e in &events {
            assert!(!matches!(e, Event::ProtocolError { .. }), "{name}: {e:?}");
        }
        if name == "server.uisettings" {
            assert!(matches!(
                events.as_slice(),
                [Event::Unknown { name: None, .. }]
            ));
        } else if name != "server.confirm" {
            assert!(!events.is_empty(), "{name} produced no event");
        }
    }
}

#[test]
fn every_server_example_inspects_as_a_notification_or_response() {
    for (name, text) in spec_examples() {
        if !name.starts_with("server.") {
            continue;
        }
        let i = inspect(&text, Direction::In).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = if name == "server.confirm" {
            FrameKind::Response
        } else {
            FrameKind::Notification
        };
        assert_eq!(i.kind, expected, "{name}");
        if name == "server.uisettings" {
            assert_eq!(i.name, "unknown");
        } else {
            assert_eq!(i.name, name);
        }
        assert_eq!(i.ack, None, "{name}: the examples carry no confirm_id");
    }
}

#[test]
fn the_uisettings_example_decodes_as_the_data_of_its_event() {
    let (_, text) = spec_examples()
        .into_iter()
        .find(|(n, _)| n == "server.uisettings")
        .unwrap();
    let data: Value = serde_json::from_str(&text).unwrap();
    let params = json!({ "data": data, "namespace": "web" });
    let Some(ServerEvent::UiSettings(ui)) =
        ServerEvent::decode("server.uisettings", Some(&params)).unwrap()
    else {
        panic!("not uisettings")
    };
    assert_eq!(ui.data, json!({ "last-tab": 91238475 }));
    assert_eq!(ui.namespace.as_deref(), Some("web"));
}

#[test]
fn gentimes_beyond_two_to_the_53_stay_exact() {
    let (_, text) = spec_examples()
        .into_iter()
        .find(|(n, _)| n == "server.chat.deleted")
        .unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    let Some(ServerEvent::ChatDeleted(c)) =
        ServerEvent::decode("server.chat.deleted", value.get("params")).unwrap()
    else {
        panic!()
    };
    assert_eq!(c.chats[0].gentime, Some(1_569_546_094_920_474_368));
    // One more than the example is not representable as f64: it must still come out exact.
    let odd = text.replace("1569546094920474368", "1569546094920474369");
    let value: Value = serde_json::from_str(&odd).unwrap();
    let Some(ServerEvent::ChatDeleted(c)) =
        ServerEvent::decode("server.chat.deleted", value.get("params")).unwrap()
    else {
        panic!()
    };
    assert_eq!(c.chats[0].gentime, Some(1_569_546_094_920_474_369));
    assert_ne!(
        1_569_546_094_920_474_369_i64 as f64 as i64,
        1_569_546_094_920_474_369
    );
}

#[test]
fn events_without_an_example_decode_from_their_described_fields() {
    let cases = [
        (
            "server.call.checkfingerprint",
            json!({ "fingerprint": "ab:cd" }),
        ),
        (
            "server.call.leave",
            json!({ "jid": "g-1", "uid": "call-1" }),
        ),
        (
            "server.call.muteall",
            json!({ "jid": "g-1", "muted": true }),
        ),
        (
            "server.call.reject",
            json!({ "jid": "d-1", "reason": "busy", "uid": "c" }),
        ),
        (
            "server.call.restart",
            json!({ "jid": "g-1", "team": "t", "uid": "c" }),
        ),
        (
            "server.call.sdp",
            json!({ "jid": "g-1", "jsep": { "sdp": "v=0", "type": "offer" }, "uid": "c" }),
        ),
        ("server.call.sound", json!({ "jid": "g-1", "muted": false })),
        (
            "server.chat.draft",
            json!({ "draft": "hel", "draft_gentime": 1569546094920474368_i64, "draft_num": 3, "jid": "g-1" }),
        ),
        ("server.debug", json!({ "text": "debug" })),
        (
            "server.message.push",
            json!({
                "chat": "g-1", "click_action": "https://x", "created": "2019-09-27T01:01:33Z",
                "icon_url": "https://i", "message": "hi", "message_id": "m", "sender": "d-2",
                "subtitle": "s", "tag": "t", "team": "team", "title": "T"
            }),
        ),
        (
            "server.processing",
            json!({ "action": "import", "has_error": false, "message": "ok", "num": 3, "total": 9 }),
        ),
        (
            "server.tag.deleted",
            json!({ "tags": [{ "uid": "tag-1" }] }),
        ),
        (
            "server.tag.updated",
            json!({ "tags": [{ "uid": "tag-1", "name": "urgent" }] }),
        ),
        (
            "server.upload.updated",
            json!({ "uploads": [{ "uid": "u-1", "name": "a.png", "size": 10, "url": "https://f" }] }),
        ),
    ];
    for (name, params) in cases {
        let event = ServerEvent::decode(name, Some(&params))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .unwrap();
        assert_eq!(event.name(), name);
        let mut s = connected();
        s.handle_frame(Timestamp(1), &server(name, params, None));
        let events = drain_events(&mut s);
        assert!(
            matches!(events.as_slice(), [Event::Tada { name: n, params: p }]
                if n == name && ServerEvent::decode(n, Some(&p.parse().unwrap())).unwrap() == Some(event.clone())),
            "{name}: {events:?}"
        );
    }
    let Some(ServerEvent::ChatDraft(d)) = ServerEvent::decode(
        "server.chat.draft",
        Some(&json!({ "jid": "g-1", "draft_gentime": 1569546094920474368_i64 })),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(d.draft_gentime, Some(1_569_546_094_920_474_368));
}
