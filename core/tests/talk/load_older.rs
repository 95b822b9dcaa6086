//! History paging on request: each call fetches the next older page (limit ≤ 200), oldest first.

use crate::support::*;
use chatwire::{Error, Event, Message, Reply, RequestId, Session as _};

fn page_of(events: &[Event], id: RequestId) -> Vec<String> {
    events
        .iter()
        .find_map(|e| match e {
            Event::Response {
                request,
                reply: Reply::Messages { messages },
            } if *request == id => Some(messages.iter().map(|m: &Message| m.id.clone()).collect()),
            _ => None,
        })
        .expect("a page")
}

#[test]
fn pages_go_back_from_the_oldest_message() {
    let mut s = talk();
    s.join_room(at(0), ROOM).unwrap();
    let history = one_request(&mut s);
    s.handle_http_response(
        at(1),
        history.id,
        page(vec![message(11, "bob", "b"), message(10, "bob", "a")], 10),
    );
    events(&mut s);
    let _poll = one_request(&mut s);

    let id = s.load_older(at(2), ROOM, 50).unwrap();
    let r = one_request(&mut s);
    let q = query(&r);
    assert_eq!(q["lookIntoFuture"], "0");
    assert_eq!(q["lastKnownMessageId"], "10");
    assert_eq!(q["limit"], "50");
    assert!(matches!(
        s.load_older(at(2), ROOM, 50),
        Err(Error::InvalidArgument { .. })
    ));
    s.handle_http_response(
        at(3),
        r.id,
        page(vec![message(9, "bob", "9"), message(8, "carol", "8")], 8),
    );
    let evs = events(&mut s);
    assert_eq!(page_of(&evs, id), ["8", "9"]);
    assert!(
        received_ids(&evs).is_empty(),
        "pages are replies, not new messages"
    );

    let id = s.load_older(at(4), ROOM, 500).unwrap();
    let r = one_request(&mut s);
    assert_eq!(query(&r)["lastKnownMessageId"], "8");
    assert_eq!(query(&r)["limit"], "200");
    s.handle_http_response(at(5), r.id, not_modified());
    assert!(page_of(&events(&mut s), id).is_empty(), "no older messages");
}

#[test]
fn a_page_asked_during_the_first_history_waits_for_it() {
    let mut s = talk();
    s.join_room(at(0), ROOM).unwrap();
    let history = one_request(&mut s);
    let id = s.load_older(at(0), ROOM, 20).unwrap();
    assert!(requests(&mut s).is_empty());
    s.handle_http_response(at(1), history.id, page(vec![message(30, "bob", "x")], 30));
    let reqs = requests(&mut s);
    let older = reqs
        .iter()
        .find(|r| query(r)["lookIntoFuture"] == "0")
        .expect("the page goes out after the history");
    assert_eq!(query(older)["lastKnownMessageId"], "30");
    s.handle_http_response(at(2), older.id, page(vec![message(29, "bob", "y")], 29));
    assert_eq!(page_of(&events(&mut s), id), ["29"]);
}

#[test]
fn paging_needs_a_joined_room() {
    let mut s = talk();
    assert!(matches!(
        s.load_older(at(0), ROOM, 20),
        Err(Error::InvalidArgument { .. })
    ));
}
