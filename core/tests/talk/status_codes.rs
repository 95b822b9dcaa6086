//! Every documented status maps to a typed error; an unexpected one keeps its number and body;
//! 429, 503 and other 5xx are retried rather than reported.

use crate::support::*;
use chatwire::talk::HttpError;
use chatwire::{Error, Event, HttpResponse, Reply, Session as _};

fn send_and_answer(response: HttpResponse) -> Vec<Event> {
    let mut s = talk();
    s.send_message(at(0), ROOM, "hello", None, false).unwrap();
    let r = one_request(&mut s);
    s.handle_http_response(at(1), r.id, response);
    let evs = events(&mut s);
    if evs.is_empty() {
        // Retried: a new attempt is due later, not now.
        assert!(requests(&mut s).is_empty());
        assert!(s.poll_timeout().unwrap() > at(1));
    }
    evs
}

fn error_of(evs: &[Event]) -> Error {
    match evs {
        [Event::RequestFailed { error: e, .. }] => e.clone(),
        other => panic!("expected one failed response, got {other:?}"),
    }
}

#[test]
fn documented_statuses_are_typed() {
    let bad = failure(400);
    assert_eq!(
        error_of(&send_and_answer(bad.clone())),
        Error::Talk(HttpError::BadRequest { body: bad.body })
    );
    assert_eq!(
        error_of(&send_and_answer(failure(403))),
        Error::Talk(HttpError::ReadOnly)
    );
    assert_eq!(
        error_of(&send_and_answer(failure(404))),
        Error::Talk(HttpError::NotFound)
    );
    assert_eq!(
        error_of(&send_and_answer(failure(412))),
        Error::Talk(HttpError::Lobby)
    );
    assert_eq!(
        error_of(&send_and_answer(failure(413))),
        Error::Talk(HttpError::TooLong)
    );
    assert!(matches!(
        error_of(&send_and_answer(failure(401))),
        Error::AuthFailed { .. }
    ));
}

#[test]
fn unexpected_status_keeps_number_and_body() {
    let teapot = HttpResponse {
        status: 418,
        headers: vec![],
        body: "I'm a teapot".into(),
    };
    assert_eq!(
        error_of(&send_and_answer(teapot)),
        Error::Http {
            status: 418,
            body: "I'm a teapot".into()
        }
    );
}

#[test]
fn rate_limit_maintenance_and_server_errors_are_retried() {
    for status in [429, 500, 502, 503, 504] {
        assert!(send_and_answer(failure(status)).is_empty(), "{status}");
    }
    assert!(send_and_answer(transport_failure()).is_empty());
}

#[test]
fn errors_have_readable_messages() {
    assert_eq!(
        Error::Talk(HttpError::Lobby).to_string(),
        "Talk: lobby is active (412)"
    );
}

#[test]
fn successes() {
    let mut s = talk();
    let read = s.mark_read_up_to(at(0), ROOM, 5).unwrap();
    let r = one_request(&mut s);
    assert_eq!(path(&r), "/ocs/v2.php/apps/spreed/api/v1/chat/room-ab/read");
    assert_eq!(form(&r)["lastReadMessage"], "5");
    s.handle_http_response(at(1), r.id, ocs(200, serde_json::json!([]), &[]));
    assert!(events(&mut s).contains(&Event::Response {
        request: read,
        reply: Reply::Empty
    }));
}
