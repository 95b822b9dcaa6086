//! Token expiry handled before it happens (the JWT's `exp`), and requests refused with 203
//! during a refresh replayed after the re-`auth` (issue 14); the JWT never shows in `Debug`.
use crate::support::{responses, Harness};
use base64::Engine as _;
use chatwire::trueconf::{TrueConfConfig, TrueConfSession};
use chatwire::{Event, Reply, Session as _, Timestamp};
use serde_json::json;

/// A JWT-shaped token expiring at `exp` (Unix seconds); the signature is not checked.
fn jwt(exp: i64) -> String {
    let b64 = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    format!(
        "{}.{}.c2lnbmF0dXJl",
        b64(json!({"alg":"HS256","typ":"JWT"})),
        b64(json!({"sub":"bot","exp":exp}))
    )
}

fn ready_with(token: &str) -> Harness {
    let mut h = Harness {
        s: TrueConfSession::new(TrueConfConfig::new(token)),
        now: Timestamp(5_000),
    };
    authenticate(&mut h);
    h
}

fn authenticate(h: &mut Harness) {
    h.s.handle_connected(h.now);
    let (frames, _) = h.drain_frames();
    assert_eq!(frames[0]["method"], "auth");
    let id = frames[0]["id"].clone();
    h.feed(json!({"type":2,"id":id,"payload":{"userId":"bot@sim.local","connectionId":"c"}}));
}

#[test]
fn expiry_is_announced_a_minute_before_exp() {
    // The host's clock reads 5 000 ms when the wall clock says 1 700 000 000 s.
    let mut h = ready_with(&jwt(1_700_003_600));
    assert_eq!(h.s.token_expires_at(), Some(1_700_003_600));
    h.s.set_unix_time(h.now, 1_700_000_000_000);
    let due = Timestamp(5_000 + 3_540_000);
    assert_eq!(h.s.poll_timeout(), Some(due));
    let (_, events) = h.advance(3_539_999);
    assert!(!events.contains(&Event::TokenExpired));
    let (_, events) = h.advance(1);
    assert_eq!(events, vec![Event::TokenExpired]);
    // Once per token: nothing more until a new one is set.
    assert_eq!(h.s.poll_timeout(), None);
    h.s.set_token(jwt(1_700_007_200));
    assert_eq!(h.s.poll_timeout(), Some(Timestamp(5_000 + 7_140_000)));
}

#[test]
fn a_token_already_near_exp_is_announced_at_once() {
    let mut h = ready_with(&jwt(1_700_000_030));
    h.s.set_unix_time(h.now, 1_700_000_000_000);
    assert!(h.s.poll_timeout().is_some_and(|t| t <= h.now));
    let (_, events) = h.advance(0);
    assert_eq!(events, vec![Event::TokenExpired]);
}

#[test]
fn a_token_that_is_no_jwt_relies_on_the_servers_203() {
    let mut h = ready_with("opaque-token");
    h.s.set_unix_time(h.now, 1_700_000_000_000);
    assert_eq!(h.s.token_expires_at(), None);
    assert_eq!(h.s.poll_timeout(), None);
}

#[test]
fn requests_refused_with_203_are_replayed_after_reauth() {
    let mut h = ready_with(&jwt(1_700_003_600));
    let a = h.s.get_chats(h.now, 10, 1).unwrap();
    let b = h.s.send_message(h.now, "g1", "hello", None, None).unwrap();
    h.drain();
    // Both refused for the token: neither ran.
    let (_, events) = h.feed(json!({"type":2,"id":a.0,"payload":{"errorCode":203}}));
    assert_eq!(events, vec![Event::TokenExpired]);
    let (_, events) = h.feed(json!({"type":2,"id":b.0,"payload":{"errorCode":203}}));
    assert!(events.is_empty(), "announced once: {events:?}");
    // Issued meanwhile: it waits for the new token instead of being refused too.
    let c = h.s.send_message(h.now, "g1", "later", None, None).unwrap();
    let (frames, _) = h.drain_frames();
    assert!(frames.is_empty());
    // The host refreshes and reconnects: nothing fails back to the app.
    h.s.set_token(jwt(1_700_007_200));
    h.s.connect(h.now).unwrap();
    let (_, events) = h.drain();
    assert!(responses(&events).is_empty(), "{events:?}");
    h.s.handle_connected(h.now);
    let (frames, _) = h.drain_frames();
    assert_eq!(frames.len(), 1, "only auth before it is answered");
    let auth_id = frames[0]["id"].clone();
    let (frames, _) = h.feed(
        json!({"type":2,"id":auth_id,"payload":{"userId":"bot@sim.local","connectionId":"c2"}}),
    );
    let ids: Vec<_> = frames
        .iter()
        .map(|f| f["id"].as_u64().unwrap() as u32)
        .collect();
    assert_eq!(
        ids,
        vec![a.0, b.0, c.0],
        "replayed with the ids the app holds, in order"
    );
    assert_eq!(frames[1]["payload"]["content"]["text"], "hello");
    let (_, events) =
        h.feed(json!({"type":2,"id":b.0,"payload":{"chatId":"g1","messageId":"m1","timestamp":1}}));
    assert!(matches!(&responses(&events)[0], (id, Ok(Reply::MessageSent { .. })) if *id == b.0));
}

#[test]
fn a_refusal_that_comes_after_a_send_issued_meanwhile_still_goes_out_before_it() {
    let mut h = ready_with(&jwt(1_700_003_600));
    let a = h.s.send_message(h.now, "g1", "first", None, None).unwrap();
    let b = h.s.send_message(h.now, "g1", "second", None, None).unwrap();
    h.drain();
    h.feed(json!({"type":2,"id":a.0,"payload":{"errorCode":203}}));
    // Issued while the token is stale, before the refusal of `b` (already out) arrives.
    let c = h.s.send_message(h.now, "g1", "third", None, None).unwrap();
    h.feed(json!({"type":2,"id":b.0,"payload":{"errorCode":203}}));
    h.s.set_token(jwt(1_700_007_200));
    h.s.connect(h.now).unwrap();
    h.drain();
    h.s.handle_connected(h.now);
    let (frames, _) = h.drain_frames();
    let auth_id = frames[0]["id"].clone();
    let (frames, _) = h.feed(
        json!({"type":2,"id":auth_id,"payload":{"userId":"bot@sim.local","connectionId":"c2"}}),
    );
    let texts: Vec<_> = frames
        .iter()
        .map(|f| {
            f["payload"]["content"]["text"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(
        texts,
        ["first", "second", "third"],
        "in the order the app sent them"
    );
    let ids: Vec<_> = frames
        .iter()
        .map(|f| f["id"].as_u64().unwrap() as u32)
        .collect();
    assert_eq!(ids, [a.0, b.0, c.0]);
}

#[test]
fn a_refused_new_token_fails_what_waited_for_it() {
    let mut h = ready_with("t1");
    let a = h.s.get_chats(h.now, 10, 1).unwrap();
    h.drain();
    h.feed(json!({"type":2,"id":a.0,"payload":{"errorCode":203}}));
    h.s.set_token("t2");
    h.s.connect(h.now).unwrap();
    h.s.handle_connected(h.now);
    let (frames, _) = h.drain_frames();
    let auth_id = frames.iter().find(|f| f["method"] == "auth").unwrap()["id"].clone();
    let (_, events) = h.feed(json!({"type":2,"id":auth_id,"payload":{"errorCode":201}}));
    assert!(matches!(
        &responses(&events)[..],
        [(id, Err(chatwire::Error::AuthFailed { .. }))] if *id == a.0
    ));
}

#[test]
fn a_refused_request_still_times_out_when_no_new_token_comes() {
    let mut h = ready_with("t1");
    let a = h.s.get_chats(h.now, 10, 1).unwrap();
    h.drain();
    h.feed(json!({"type":2,"id":a.0,"payload":{"errorCode":203}}));
    let (_, events) = h.advance(60_000);
    assert_eq!(
        responses(&events),
        vec![(a.0, Err(chatwire::Error::Timeout))]
    );
}

#[test]
fn the_jwt_never_shows_in_debug_output() {
    let token = jwt(1_700_003_600);
    let mut s = TrueConfSession::new(TrueConfConfig::new(token.as_str()));
    s.handle_connected(Timestamp(1));
    // The auth frame is queued, not yet taken by the host.
    let session = format!("{s:?}");
    assert!(!session.contains(&token), "{session}");
    let auth = s.poll_transmit().unwrap();
    let shown = format!("{auth:?}");
    assert!(!shown.contains(&token), "{shown}");
    assert!(shown.contains("<redacted>"), "{shown}");
    // The frame itself still carries it: only its printing hides it.
    let chatwire::Transmit::Frame { text } = auth else {
        panic!()
    };
    assert!(text.contains(&token));
    // A token with quotes and backslashes (JSON-escaped in the frame) is hidden whole.
    let odd = r#"ab"c\d"#;
    let mut s = TrueConfSession::new(TrueConfConfig::new(odd));
    s.handle_connected(Timestamp(1));
    let shown = format!("{:?}", s.poll_transmit().unwrap());
    assert!(
        !shown.contains("c\\\\d") && !shown.contains("ab\\\""),
        "{shown}"
    );
}
