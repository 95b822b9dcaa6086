//! A snapshot restores rooms, cursors, read state and unconfirmed messages: the restored session
//! long-polls from its cursor without replaying history and resends with the same referenceIds.

use crate::support::*;
use chatwire::talk::{TalkSession, TalkSnapshot};
use chatwire::{Event, Session as _};
use serde_json::json;

/// A session live in ROOM at cursor 12 with common read 11 and a send in flight.
fn busy() -> (TalkSession, String) {
    let mut s = talk();
    s.join_room_from(at(0), ROOM, 10).unwrap();
    let history = one_request(&mut s);
    s.handle_http_response(
        at(1),
        history.id,
        ocs(
            200,
            json!([message(10, "bob", "x")]),
            &[
                ("X-Chat-Last-Given", "10"),
                ("X-Chat-Last-Common-Read", "9"),
            ],
        ),
    );
    let poll = one_request(&mut s);
    s.handle_http_response(
        at(2),
        poll.id,
        ocs(
            200,
            json!([message(11, "bob", "y"), message(12, "bob", "z")]),
            &[
                ("X-Chat-Last-Given", "12"),
                ("X-Chat-Last-Common-Read", "11"),
            ],
        ),
    );
    let _poll = one_request(&mut s);
    s.send_message(at(3), ROOM, "unconfirmed", None, false)
        .unwrap();
    let post = one_request(&mut s);
    events(&mut s);
    (s, form(&post)["referenceId"].clone())
}

fn restored(s: &TalkSession) -> TalkSession {
    let json = serde_json::to_string(&s.snapshot()).unwrap();
    let snapshot: TalkSnapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(snapshot, s.snapshot());
    TalkSession::restore(config(), snapshot)
}

#[test]
fn snapshot_holds_cursor_read_state_and_outgoing() {
    let (s, reference) = busy();
    let snap = s.snapshot();
    assert_eq!(snap.rooms.len(), 1);
    let room = &snap.rooms[0];
    assert_eq!(room.token, ROOM);
    assert_eq!(room.last_given, Some(12));
    assert_eq!(room.last_common_read, Some(11));
    assert_eq!(room.last_read, Some(10));
    assert_eq!(room.unread.count(), 2);
    assert_eq!(snap.outgoing.len(), 1);
    assert_eq!(snap.outgoing[0].reference_id, reference);
    assert!(snap.outgoing[0].maybe_delivered);
    let debug = format!("{snap:?} {}", serde_json::to_string(&snap).unwrap());
    assert!(!debug.contains(PASSWORD));
}

/// The restored poll and the look for the unconfirmed send's echo, in either order.
fn poll_and_look(r: &mut TalkSession) -> (chatwire::HttpRequest, chatwire::HttpRequest) {
    let reqs = requests(r);
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    let (polls, looks): (Vec<_>, Vec<_>) = reqs
        .into_iter()
        .partition(|x| query(x)["lookIntoFuture"] == "1");
    (polls[0].clone(), looks[0].clone())
}

#[test]
fn restored_session_polls_from_its_cursor_and_looks_before_it_resends() {
    let (s, reference) = busy();
    let mut r = restored(&s);
    assert_eq!(r.read_state(ROOM).unwrap().unread, Some(2));
    assert_eq!(r.poll_timeout(), Some(at(0)), "due at once");
    r.handle_timeout(at(100));
    let (poll, look) = poll_and_look(&mut r);
    let q = query(&poll);
    assert_eq!(q["lookIntoFuture"], "1", "no history replayed");
    assert_eq!(q["lastKnownMessageId"], "12");
    assert_eq!(q["lastCommonReadId"], "11");
    let pending = r.pending_sends();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].reference_id, reference);

    // The message may have reached the server: the newest page decides. Here it did not.
    assert_eq!(look.method, "GET");
    assert!(
        !query(&look).contains_key("lastKnownMessageId"),
        "the newest page"
    );
    r.handle_http_response(at(200), look.id, page(vec![message(12, "bob", "z")], 12));
    let post = one_request(&mut r);
    assert_eq!(post.method, "POST");
    assert_eq!(form(&post)["referenceId"], reference);
    assert_eq!(form(&post)["message"], "unconfirmed");
    let mut m = message(13, USER, "unconfirmed");
    m["referenceId"] = json!(reference);
    r.handle_http_response(at(300), post.id, ocs(201, m, &[]));
    assert!(events(&mut r).contains(&Event::Delivered {
        request: pending[0].request,
        message_id: Some("13".into())
    }));
}

#[test]
fn restored_send_seen_in_the_poll_is_not_resent() {
    let (s, reference) = busy();
    let mut r = restored(&s);
    r.handle_timeout(at(0));
    let (poll, look) = poll_and_look(&mut r);
    let request = r.pending_sends()[0].request;
    let mut m = message(13, USER, "unconfirmed");
    m["referenceId"] = json!(reference);
    r.handle_http_response(at(1), poll.id, page(vec![m.clone()], 13));
    let evs = events(&mut r);
    assert!(received_ids(&evs).is_empty());
    assert!(evs.contains(&Event::Delivered {
        request,
        message_id: Some("13".into())
    }));
    // The look's answer comes after: the send is resolved already.
    r.handle_http_response(at(2), look.id, page(vec![m], 13));
    assert!(events(&mut r)
        .iter()
        .all(|e| !matches!(e, Event::Delivered { .. })));
    let reqs = requests(&mut r);
    assert!(
        reqs.iter().all(|x| x.method == "GET"),
        "not resent: {reqs:?}"
    );
    assert!(r.snapshot().outgoing.is_empty());
}

#[test]
fn a_room_restored_before_its_history_reads_it_from_the_marker() {
    let mut s = talk();
    s.join_room_from(at(0), ROOM, 10).unwrap();
    let mut r = restored(&s);
    r.handle_timeout(at(0));
    let q = query(&one_request(&mut r));
    assert_eq!(q["lookIntoFuture"], "0");
    assert_eq!(q["lastKnownMessageId"], "10");
}

#[test]
fn an_empty_snapshot_restores_an_idle_session() {
    let mut r = TalkSession::restore(config(), TalkSnapshot::default());
    assert_eq!(r.poll_timeout(), None);
    r.handle_timeout(at(0));
    assert!(requests(&mut r).is_empty());
}
