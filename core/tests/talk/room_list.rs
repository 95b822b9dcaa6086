//! The room list: announced once, refreshed every 30 s with `modifiedSince`, with the server's
//! read state; opening a room starts from its read marker so unread is the server's.

use crate::support::*;
use chatwire::talk::HttpError;
use chatwire::{ChatKind, Error, Event, Reply, Session as _};
use serde_json::json;

const LIST: &str = include_str!("fixtures/room_list.json");

fn list_answer(data: serde_json::Value, before: &str) -> chatwire::HttpResponse {
    ocs(200, data, &[("X-Nextcloud-Talk-Modified-Before", before)])
}

#[test]
fn the_list_is_announced_then_refreshed_with_modified_since() {
    let mut s = talk();
    s.watch_rooms(at(0));
    let req = one_request(&mut s);
    assert_eq!(req.path, "/ocs/v2.php/apps/spreed/api/v4/room");
    s.handle_http_response(at(1), req.id, list_answer(fixture_data(LIST), "1704067207"));
    let evs = events(&mut s);
    let created: Vec<_> = evs
        .iter()
        .filter_map(|e| match e {
            Event::ChatCreated { chat } => Some(chat.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(created.len(), 6);
    let ab = created.iter().find(|c| c.id == "room-ab").unwrap();
    assert_eq!(ab.kind, ChatKind::Direct);
    assert_eq!(ab.title.as_deref(), Some("Bob"));
    assert_eq!(ab.unread, Some(1));
    // Deletion notices do not become the last message.
    assert_eq!(ab.last_message.as_ref().unwrap().id, "28");
    let state = evs
        .iter()
        .find_map(|e| match e {
            Event::ReadStateChanged { chat_id, state } if chat_id == "room-ab" => Some(state),
            _ => None,
        })
        .unwrap();
    assert_eq!(state.unread, Some(1));
    assert_eq!(state.last_read_message_id.as_deref(), Some("5"));
    assert_eq!(state.last_common_read_id.as_deref(), Some("5"));
    // Nothing until the refresh is due.
    assert!(requests(&mut s).is_empty());
    assert_eq!(s.poll_timeout(), Some(at(30_001)));
    s.handle_timeout(at(30_001));
    let again = one_request(&mut s);
    assert_eq!(query(&again)["modifiedSince"], "1704067207");
    let mut ab = fixture_data(LIST)[1].clone();
    assert_eq!(ab["token"], "room-ab");
    ab["unreadMessages"] = json!(2);
    s.handle_http_response(at(30_002), again.id, list_answer(json!([ab]), "1704067300"));
    let evs = events(&mut s);
    assert!(evs.iter().any(|e| matches!(e, Event::ChatUpdated { chat } if chat.id == "room-ab" && chat.unread == Some(2))));
    assert!(!evs.iter().any(|e| matches!(e, Event::ChatCreated { .. })));
}

#[test]
fn opening_a_room_joins_from_its_read_marker() {
    let mut s = talk();
    let id = s.open_room(at(0), ROOM).unwrap();
    let get = one_request(&mut s);
    assert_eq!(get.path, "/ocs/v2.php/apps/spreed/api/v4/room/room-ab");
    let ab = fixture_data(LIST)[1].clone();
    s.handle_http_response(at(1), get.id, ocs(200, ab, &[]));
    let evs = events(&mut s);
    assert!(evs.iter().any(|e| matches!(e,
        Event::Response { request, reply: Reply::Chat { chat } } if *request == id && chat.id == ROOM)));
    let history = one_request(&mut s);
    let q = query(&history);
    assert_eq!(q["lookIntoFuture"], "0");
    assert_eq!(q["lastKnownMessageId"], "5");
    assert_eq!(q["includeLastKnown"], "1");
    s.handle_http_response(at(2), history.id, page(vec![message(5, "bob", "read")], 5));
    let poll = one_request(&mut s);
    assert_eq!(query(&poll)["lastKnownMessageId"], "5");
    s.handle_http_response(at(3), poll.id, page(vec![message(23, "bob", "new")], 23));
    events(&mut s);
    assert_eq!(
        s.read_state(ROOM).unwrap().unread,
        Some(1),
        "as the server counts"
    );
}

#[test]
fn marker_zero_counts_the_newest_page_as_unread() {
    let mut s = talk();
    s.open_room(at(0), ROOM).unwrap();
    let get = one_request(&mut s);
    let mut ab = fixture_data(LIST)[1].clone();
    ab["lastReadMessage"] = json!(0);
    s.handle_http_response(at(1), get.id, ocs(200, ab, &[]));
    let history = one_request(&mut s);
    assert!(!query(&history).contains_key("lastKnownMessageId"));
    s.handle_http_response(
        at(2),
        history.id,
        page(vec![message(2, "bob", "a"), message(3, "bob", "b")], 2),
    );
    let poll = one_request(&mut s);
    assert_eq!(query(&poll)["lastKnownMessageId"], "3");
    assert_eq!(s.read_state(ROOM).unwrap().unread, Some(2));
}

#[test]
fn opening_a_missing_room_fails_its_command() {
    let mut s = talk();
    let id = s.open_room(at(0), "nope").unwrap();
    let get = one_request(&mut s);
    s.handle_http_response(at(1), get.id, failure(404));
    let evs = events(&mut s);
    assert!(evs.iter().any(|e| matches!(e,
        Event::RequestFailed { request, error: Error::Talk(HttpError::NotFound) } if *request == id)));
    assert_eq!(s.joined_rooms().count(), 0);
    assert!(requests(&mut s).is_empty());
}

#[test]
fn a_marker_moved_elsewhere_reads_a_joined_room() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 4);
    s.handle_http_response(
        at(1),
        poll.id,
        page(vec![message(5, "bob", "x"), message(6, "bob", "y")], 6),
    );
    events(&mut s);
    assert_eq!(s.read_state(ROOM).unwrap().unread, Some(2));
    s.watch_rooms(at(2));
    let list = requests(&mut s)
        .into_iter()
        .find(|r| r.path.ends_with("/v4/room"))
        .unwrap();
    let mut ab = fixture_data(LIST)[1].clone();
    ab["lastReadMessage"] = json!(5);
    s.handle_http_response(at(3), list.id, list_answer(json!([ab]), "1"));
    events(&mut s);
    let state = s.read_state(ROOM).unwrap();
    assert_eq!(state.unread, Some(1));
    assert_eq!(state.last_read_message_id.as_deref(), Some("5"));
}

/// Watches the list, answers the first (whole) one with the fixture's six rooms and the next
/// nine (changes only) with nothing; returns the tenth request, which asks for the whole list.
fn tenth_list(s: &mut chatwire::talk::TalkSession) -> chatwire::HttpRequest {
    s.watch_rooms(at(0));
    let first = one_request(s);
    s.handle_http_response(
        at(1),
        first.id,
        list_answer(fixture_data(LIST), "1704067207"),
    );
    events(s);
    // Each refresh is due 30 s after the answer before it.
    let mut t = 1;
    for _ in 0..9 {
        t += 30_000;
        s.handle_timeout(at(t));
        let r = requests(s)
            .into_iter()
            .find(|r| r.path.ends_with("/v4/room") || r.path.contains("/v4/room?"))
            .expect("a list refresh");
        assert!(query(&r).contains_key("modifiedSince"), "changes only");
        s.handle_http_response(at(t), r.id, list_answer(json!([]), "1704067300"));
        events(s);
    }
    s.handle_timeout(at(t + 30_000));
    let tenth = requests(s)
        .into_iter()
        .find(|r| r.path.contains("/v4/room"))
        .expect("the tenth list");
    assert!(
        !query(&tenth).contains_key("modifiedSince"),
        "every tenth list is whole: {}",
        tenth.path
    );
    tenth
}

#[test]
fn a_room_missing_from_the_whole_list_is_reported_removed() {
    let mut s = talk();
    let tenth = tenth_list(&mut s);
    // room-ab is gone (deleted, or this user was removed); the other five remain.
    let rest: Vec<_> = fixture_data(LIST)
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["token"] != ROOM)
        .cloned()
        .collect();
    assert_eq!(rest.len(), 5);
    s.handle_http_response(
        at(400_000),
        tenth.id,
        list_answer(json!(rest), "1704067400"),
    );
    let removed: Vec<_> = events(&mut s)
        .into_iter()
        .filter_map(|e| match e {
            Event::ChatRemoved { chat_id } => Some(chat_id),
            _ => None,
        })
        .collect();
    assert_eq!(removed, [ROOM]);
    assert!(s.read_state(ROOM).is_none(), "its read state is dropped");
}

#[test]
fn a_whole_list_with_an_unreadable_room_removes_nothing() {
    let mut s = talk();
    let tenth = tenth_list(&mut s);
    let mut rooms: Vec<_> = fixture_data(LIST)
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["token"] != ROOM)
        .cloned()
        .collect();
    rooms.push(json!("not a room"));
    s.handle_http_response(
        at(400_000),
        tenth.id,
        list_answer(json!(rooms), "1704067400"),
    );
    let evs = events(&mut s);
    assert!(
        !evs.iter().any(|e| matches!(e, Event::ChatRemoved { .. })),
        "the unreadable entry may be the missing room: {evs:?}"
    );
    assert!(evs.iter().any(|e| matches!(e, Event::ProtocolError { .. })));
}
