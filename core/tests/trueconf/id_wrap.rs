//! Request ids count from 1, wrap past u32::MAX to 1 (never 0) and skip ids still in flight.
use chatwire::internals::{IdCounter, PendingTable};
use chatwire::trueconf::{TrueConfConfig, TrueConfSession};
use chatwire::{Session as _, Timestamp};
use serde_json::json;

#[test]
fn ids_start_at_one() {
    let mut h = crate::support::Harness::ready();
    let first = h.s.get_chats(h.now, 1, 1).unwrap();
    // auth took id 1.
    assert_eq!(first.0, 2);
}

#[test]
fn ids_wrap_to_one_never_zero() {
    let mut s = TrueConfSession::with_first_request_id(TrueConfConfig::new("t"), u32::MAX - 1);
    s.handle_connected(Timestamp(0)); // auth = MAX-1
    let a = s.get_chats(Timestamp(0), 1, 1).unwrap();
    let b = s.get_chats(Timestamp(0), 1, 1).unwrap();
    assert_eq!(a.0, u32::MAX);
    assert_eq!(b.0, 1);
}

#[test]
fn wrap_skips_ids_still_in_flight() {
    let mut t: PendingTable<()> = PendingTable::with_counter(10, IdCounter::starting_at(u32::MAX));
    assert_eq!(t.insert(Timestamp(0), ()).unwrap().0, u32::MAX);
    assert_eq!(t.insert(Timestamp(0), ()).unwrap().0, 1);
    // A counter arriving at ids that are still in flight passes over them.
    let mut counter = IdCounter::starting_at(u32::MAX);
    let in_flight = [u32::MAX, 1, 2];
    assert_eq!(counter.next(|id| in_flight.contains(&id)).unwrap().0, 3);
}

#[test]
fn pending_limit_is_a_typed_error() {
    let mut t: PendingTable<()> = PendingTable::new(2);
    t.insert(Timestamp(0), ()).unwrap();
    t.insert(Timestamp(0), ()).unwrap();
    assert_eq!(
        t.insert(Timestamp(0), ()),
        Err(chatwire::Error::TooManyPending { limit: 2 })
    );
}

#[test]
fn wrapped_id_still_matches_its_response() {
    let mut s = TrueConfSession::with_first_request_id(TrueConfConfig::new("t"), u32::MAX);
    s.handle_connected(Timestamp(0)); // auth = MAX
    assert!(s.poll_transmit().is_some(), "auth goes out");
    s.handle_frame(
        Timestamp(0),
        &json!({"type":2,"id":u32::MAX,"payload":{"userId":"me"}}).to_string(),
    );
    let id = s.get_chat(Timestamp(0), "c").unwrap();
    assert_eq!(id.0, 1);
    while s.poll_event().is_some() {}
    s.handle_frame(Timestamp(0), &json!({"type":2,"id":1,"payload":{"chatId":"c","title":"t","chatType":2,"unreadMessages":0,"lastMessage":null}}).to_string());
    let mut got = false;
    while let Some(e) = s.poll_event() {
        if let chatwire::Event::Response { request, .. } = e {
            assert_eq!(request.0, 1);

            got = true;
        }
    }
    assert!(got);
}
