//! Requests issued before `auth` completes wait, and go out in order right after it.
use crate::support::Harness;
use chatwire::{Event, Session as _};
use serde_json::json;

#[test]
fn requests_wait_for_auth_then_go_out_in_order() {
    let mut h = Harness::new();
    let a = h.s.create_group_chat(h.now, "Team").unwrap();
    let b = h.s.get_chats(h.now, 10, 1).unwrap();
    assert!(
        h.drain().0.is_empty(),
        "nothing may be sent before connecting"
    );

    h.s.handle_connected(h.now);
    let (frames, _) = h.drain_frames();
    assert_eq!(frames.len(), 1, "only auth goes out before auth completes");
    assert_eq!(frames[0]["method"], "auth");
    assert_eq!(frames[0]["payload"]["token"], "jwt-secret");
    assert_eq!(frames[0]["payload"]["tokenType"], "JWT");
    let auth_id = frames[0]["id"].as_u64().unwrap();

    let (frames, events) =
        h.feed(json!({"type":2,"id":auth_id,"payload":{"userId":"bot@x","connectionId":"c9"}}));
    assert!(
        matches!(&events[0], Event::Connected { user_id: Some(u), connection_id: Some(c) } if u == "bot@x" && c == "c9")
    );
    let methods: Vec<_> = frames
        .iter()
        .map(|f| f["method"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(methods, ["createGroupChat", "getChats"]);
    assert_eq!(frames[0]["id"], a.0);
    assert_eq!(frames[1]["id"], b.0);
    assert_eq!(
        frames[0]["payload"],
        json!({"title": "Team"}),
        "title, not the seed's name"
    );
    assert!(h.s.is_ready());
    assert_eq!(h.s.user_id(), Some("bot@x"));
}

#[test]
fn after_auth_requests_go_out_at_once() {
    let mut h = Harness::ready();
    let id = h.s.create_p2p_chat(h.now, "user@x").unwrap();
    let (frames, _) = h.drain_frames();
    assert_eq!(
        frames,
        vec![json!({"type":1,"id":id.0,"method":"createP2PChat","payload":{"userId":"user@x"}})]
    );
}

#[test]
fn auth_refused_is_fatal_and_fails_the_waiting_requests() {
    let mut h = Harness::new();
    let waiting = h.s.get_chats(h.now, 10, 1).unwrap();
    h.s.handle_connected(h.now);
    let (frames, _) = h.drain_frames();
    let auth_id = frames[0]["id"].as_u64().unwrap();
    let (frames, events) = h.feed(json!({"type":2,"id":auth_id,"payload":{"errorCode":202}}));
    assert!(events.iter().any(|e| matches!(e, Event::AuthFailed { .. })));
    let failed = crate::support::responses(&events);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, waiting.0);
    assert!(matches!(
        failed[0].1,
        Err(chatwire::Error::AuthFailed { .. })
    ));
    assert_eq!(
        frames,
        vec![
            json!({"type":"close","reason":"authentication refused: TrueConf error 202: user disabled"})
        ]
    );
    assert!(
        h.s.get_chats(h.now, 10, 1).is_err(),
        "no requests after a refused auth"
    );
}

#[test]
fn token_in_debug_output_is_redacted() {
    let h = Harness::new();
    let dbg = format!("{:?}", h.s);
    assert!(!dbg.contains("jwt-secret"), "{dbg}");
}

#[test]
fn a_full_pending_table_still_lets_auth_through() {
    let mut config = chatwire::trueconf::TrueConfConfig::new("jwt-secret");
    config.limits.max_pending_requests = 4;
    let mut h = Harness {
        s: chatwire::trueconf::TrueConfSession::new(config),
        now: chatwire::Timestamp(0),
    };
    for _ in 0..4 {
        h.s.get_chats(h.now, 1, 1).unwrap();
    }
    assert_eq!(
        h.s.get_chats(h.now, 1, 1),
        Err(chatwire::Error::TooManyPending { limit: 4 })
    );
    h.s.handle_connected(h.now);
    let (frames, events) = h.drain_frames();
    assert_eq!(frames[0]["method"], "auth", "{events:?}");
}
