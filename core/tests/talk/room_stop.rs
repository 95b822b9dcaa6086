//! 404 (not found) and 412 (lobby) stop that room's loop and say why; other rooms go on.

use crate::support::*;
use chatwire::talk::HttpError;
use chatwire::{Error, Event, Session as _};

#[test]
fn not_found_stops_the_loop() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 7);
    s.handle_http_response(at(1), poll.id, failure(404));
    assert_eq!(
        events(&mut s),
        [Event::RoomStopped {
            chat_id: ROOM.into(),
            error: Error::Talk(HttpError::NotFound)
        }]
    );
    assert!(requests(&mut s).is_empty());
    assert_eq!(s.poll_timeout(), None);
    assert_eq!(s.joined_rooms().count(), 0);
    s.handle_timeout(at(1_000_000));
    assert!(requests(&mut s).is_empty(), "stopped for good");
}

#[test]
fn lobby_stops_only_that_room() {
    let mut s = talk();
    s.join_room(at(0), "lobby").unwrap();
    s.join_room(at(0), ROOM).unwrap();
    let reqs = requests(&mut s);
    assert_eq!(reqs.len(), 2);
    let lobby = reqs
        .iter()
        .find(|r| r.path.contains("/chat/lobby?"))
        .unwrap();
    let other = reqs
        .iter()
        .find(|r| r.path.contains("/chat/room-ab?"))
        .unwrap();
    s.handle_http_response(at(1), lobby.id, failure(412));
    assert_eq!(
        events(&mut s),
        [Event::RoomStopped {
            chat_id: "lobby".into(),
            error: Error::Talk(HttpError::Lobby)
        }]
    );
    s.handle_http_response(at(2), other.id, page(vec![], 3));
    let poll = one_request(&mut s);
    assert!(poll.path.contains("/chat/room-ab?"));
    // Joining again once the lobby opens starts over with the history.
    s.join_room(at(3), "lobby").unwrap();
    assert_eq!(query(&one_request(&mut s))["lookIntoFuture"], "0");
}

#[test]
fn unauthorized_stops_instead_of_hammering_the_login() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 7);
    s.handle_http_response(at(1), poll.id, failure(401));
    let evs = all_events(&mut s);
    assert!(
        matches!(
            evs.as_slice(),
            [
                Event::ConnectFailed {
                    permanent: true,
                    retry_in_ms: None,
                    ..
                },
                Event::AuthFailed {
                    error: Error::AuthFailed { .. }
                },
                Event::RoomStopped {
                    error: Error::AuthFailed { .. },
                    ..
                }
            ]
        ),
        "{evs:?}"
    );
    assert!(requests(&mut s).is_empty());
}
