//! mark_read sends client.chat.lastread and updates the read state at once; the server's
//! server.chat.lastread confirms or corrects it, and a refusal rolls it back.

use crate::support::*;
use chatwire::{Error, Event, ReadState, Session as _, Timestamp};
use serde_json::json;

fn setup() -> chatwire::tada::TadaSession {
    let mut s = connected();
    let counters = json!({"chat_counters": [{"jid": "g-1", "gentime": 100, "num_unread": 2,
                          "num_unread_notices": 1, "last_read_message_id": "m-0"}],
                          "messages": [message("m-1", "g-1", "d-2", "a", 90), message("m-2", "g-1", "d-2", "b", 100)]});
    s.handle_frame(
        Timestamp(0),
        &server("server.message.updated", counters, None),
    );
    drain_events(&mut s);
    s
}

#[test]
fn marking_the_newest_message_read_zeroes_the_counts_at_once() {
    let mut s = setup();
    let id = s.mark_read(Timestamp(1), "g-1", "m-2").unwrap().unwrap();
    let frames = drain_frames(&mut s);
    assert_eq!(frames[0]["event"], "client.chat.lastread");
    assert_eq!(
        frames[0]["params"],
        json!({"jid": "g-1", "last_read_message_id": "m-2"})
    );
    let optimistic = ReadState {
        unread: Some(0),
        unread_notices: Some(0),
        last_read_message_id: Some("m-2".into()),
        last_common_read_id: None,
        version: Some(100),
    };
    assert_eq!(
        drain_events(&mut s),
        vec![Event::ReadStateChanged {
            chat_id: "g-1".into(),
            state: optimistic.clone()
        }]
    );
    s.handle_frame(
        Timestamp(2),
        &confirm(frames[0]["confirm_id"].as_str().unwrap()),
    );
    assert!(
        matches!(drain_events(&mut s).as_slice(), [Event::Response { request, reply: _ }] if *request == id)
    );

    // The server's own answer agrees: only its version is news.
    s.handle_frame(
        Timestamp(3),
        &server(
            "server.chat.lastread",
            json!({"badge": 0, "chats": [{"jid": "g-1", "gentime": 101,
            "num_unread": 0, "num_unread_notices": 0, "last_read_message_id": "m-2"}]}),
            None,
        ),
    );
    let events = drain_events(&mut s);
    assert_eq!(
        events[0],
        Event::ReadStateChanged {
            chat_id: "g-1".into(),
            state: ReadState {
                version: Some(101),
                ..optimistic
            }
        }
    );
}

#[test]
fn marking_an_older_message_moves_the_marker_and_the_server_corrects_counts() {
    let mut s = setup();
    s.mark_read(Timestamp(1), "g-1", "m-1").unwrap();
    drain_frames(&mut s);
    let events = drain_events(&mut s);
    assert!(matches!(&events[0], Event::ReadStateChanged { state, .. }
        if state.unread == Some(2) && state.last_read_message_id.as_deref() == Some("m-1")));
    s.handle_frame(
        Timestamp(2),
        &server(
            "server.chat.lastread",
            json!({"chats": [{"jid": "g-1", "gentime": 102,
            "num_unread": 1, "num_unread_notices": 0, "last_read_message_id": "m-1"}]}),
            None,
        ),
    );
    assert_eq!(s.read_state("g-1").unwrap().unread, Some(1));
}

#[test]
fn a_refused_mark_read_is_rolled_back() {
    let mut s = setup();
    let before = s.read_state("g-1").cloned().unwrap();
    let id = s.mark_read(Timestamp(1), "g-1", "m-2").unwrap().unwrap();
    let orig = drain_frames(&mut s).remove(0);
    drain_events(&mut s);
    s.handle_frame(
        Timestamp(2),
        &server(
            "server.warning",
            json!({"message": "no", "orig": orig}),
            None,
        ),
    );
    let events = drain_events(&mut s);
    assert_eq!(
        events[1..],
        [
            Event::ReadStateChanged {
                chat_id: "g-1".into(),
                state: before.clone()
            },
            Event::RequestFailed {
                request: id,
                error: Error::Rejected {
                    message: "no".into()
                }
            }
        ]
    );
    assert_eq!(s.read_state("g-1"), Some(&before));
}

#[test]
fn omitting_the_message_marks_the_whole_chat_read() {
    let mut s = setup();
    s.mark_chat_read(Timestamp(1), "g-1", None).unwrap();
    let frames = drain_frames(&mut s);
    assert_eq!(frames[0]["params"], json!({"jid": "g-1"}));
    let state = s.read_state("g-1").unwrap();
    assert_eq!(state.unread, Some(0));
    assert_eq!(state.last_read_message_id.as_deref(), Some("m-2"));
}
