//! Every JSON example in the published TrueConf spec decodes — trailing commas and all.
//! The examples are copied verbatim from the spec into `tests/fixtures/trueconf/`.
use crate::support::{examples, Harness};
use chatwire::internals::parse_lenient;
use chatwire::internals::trueconf_ack;
use chatwire::trueconf::{inspect_trueconf as inspect, Request};
use chatwire::{Direction, Event, FrameKind};
use serde_json::Value;

#[test]
fn the_spec_has_the_examples_we_expect() {
    let all = examples();
    assert_eq!(
        all.len(),
        54,
        "16 requests, 15 responses, 11 notifications, 12 acks"
    );
    let with_trailing_comma = all
        .iter()
        .filter(|e| serde_json::from_str::<Value>(&e.text).is_err())
        .count();
    assert_eq!(
        with_trailing_comma, 2,
        "the two examples with trailing commas"
    );
}

#[test]
fn every_client_request_example_is_read_and_re_encoded() {
    for ex in examples().iter().filter(|e| !e.server_part) {
        let v = parse_lenient(&ex.text).unwrap_or_else(|e| panic!("{}: {e}", ex.heading));
        if v["type"] != 1 {
            continue;
        }
        let method = v["method"].as_str().unwrap();
        let payload = v.get("payload").cloned().unwrap_or(Value::Null);
        let request =
            Request::from_wire(method, &payload).unwrap_or_else(|e| panic!("{}: {e}", ex.heading));
        assert!(!matches!(request, Request::Raw { .. }), "{method} is typed");
        let encoded: Value = serde_json::from_str(&request.encode(1)).unwrap();
        assert_eq!(encoded["method"], method);
        if let Value::Object(fields) = &payload {
            for (key, value) in fields {
                let key = if method == "createGroupChat" && key == "name" {
                    "title"
                } else {
                    key
                };
                assert_eq!(&encoded["payload"][key], value, "{method}.{key}");
            }
        }
        assert_eq!(
            inspect(&ex.text, Direction::Out).unwrap().kind,
            FrameKind::Request
        );
    }
}

#[test]
fn every_client_response_example_decodes_for_its_request() {
    let mut last_request: Option<Request> = None;
    let mut decoded = 0;
    for ex in examples().iter().filter(|e| !e.server_part) {
        let v = parse_lenient(&ex.text).unwrap();
        match v["type"].as_u64() {
            Some(1) => {
                let payload = v.get("payload").cloned().unwrap_or(Value::Null);
                last_request =
                    Some(Request::from_wire(v["method"].as_str().unwrap(), &payload).unwrap());
            }
            Some(2) => {
                let request = last_request
                    .as_ref()
                    .unwrap_or_else(|| panic!("{}: response before request", ex.heading));
                let reply = request.decode_reply(&v["payload"], None, &mut Vec::new());
                assert!(
                    reply.is_ok(),
                    "{} ({}): {reply:?}",
                    ex.heading,
                    request.method()
                );
                decoded += 1;
            }
            other => panic!("{}: type {other:?}", ex.heading),
        }
    }
    assert_eq!(
        decoded, 15,
        "every response example (editChatAvatar shows none)"
    );
}

#[test]
fn every_server_notification_example_is_acked_and_becomes_a_typed_event() {
    let mut seen_methods = Vec::new();
    for ex in examples().iter().filter(|e| e.server_part) {
        let v = parse_lenient(&ex.text).unwrap_or_else(|e| panic!("{}: {e}", ex.heading));
        if v["type"] == 2 {
            // "Response from client": exactly the ack we send.
            let id = v["id"].as_u64().unwrap() as u32;
            assert_eq!(
                parse_lenient(&trueconf_ack(id)).unwrap(),
                v,
                "{}",
                ex.heading
            );
            continue;
        }
        let mut h = Harness::ready();
        let (frames, events) = h.feed_text(&ex.text);
        assert_eq!(
            frames,
            vec![serde_json::json!({"type":2,"id":v["id"]})],
            "{}",
            ex.heading
        );
        assert!(!events.is_empty(), "{}", ex.heading);
        for e in &events {
            assert!(
                !matches!(e, Event::ProtocolError { .. } | Event::Unknown { .. }),
                "{}: {e:?}",
                ex.heading
            );
        }
        let i = inspect(&ex.text, Direction::In).unwrap();
        assert_eq!(i.kind, FrameKind::Notification);
        seen_methods.push(i.name);
    }
    for m in [
        "createP2PChat",
        "createGroupChat",
        "createChannel",
        "createFavoritesChat",
        "editChatTitle",
        "editChatAvatar",
        "clearHistory",
        "removeChat",
        "addChatParticipant",
        "removedChatParticipant",
        "changeParticipantRole",
    ] {
        assert!(seen_methods.iter().any(|s| s == m), "{m} example missing");
    }
}
