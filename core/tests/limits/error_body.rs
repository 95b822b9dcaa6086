//! An error body kept in an `Error` is cut to a bound: a 3 MiB error page from the server is not
//! held whole for as long as the app keeps the error.

use chatwire::talk::{HttpError, TalkConfig, TalkSession};
use chatwire::{Error, Event, HttpResponse, Session as _, Timestamp, Transmit};

/// What a send answered with `status` and a 3 MiB body fails with.
fn send_failing_with(status: u16) -> Error {
    let mut s = TalkSession::new(TalkConfig::new("alice", "pw"));
    let id = s.send_text(Timestamp(0), "room-ab", "hi", None).unwrap();
    let post = std::iter::from_fn(|| s.poll_transmit())
        .find_map(|t| match t {
            Transmit::Http(r) if r.method == "POST" => Some(r),
            _ => None,
        })
        .expect("the send is posted");
    let body = "x".repeat(3 * 1024 * 1024);
    let response = HttpResponse {
        status,
        headers: vec![],
        body,
    };
    s.handle_http_response(Timestamp(1), post.id, response);
    std::iter::from_fn(|| s.poll_event())
        .find_map(|e| match e {
            Event::RequestFailed { request, error } if request == id => Some(error),
            _ => None,
        })
        .expect("the send failed")
}

const BOUND: usize = 64 * 1024 + 3; // the kept bytes and the "…" marking the cut

#[test]
fn a_talk_400_body_is_truncated() {
    match send_failing_with(400) {
        Error::Talk(HttpError::BadRequest { body }) => {
            assert!(body.len() <= BOUND, "{} bytes kept", body.len());
            assert!(body.starts_with("xxxx") && body.ends_with('…'));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_other_status_body_is_truncated() {
    match send_failing_with(418) {
        Error::Http { status, body } => {
            assert_eq!(status, 418);
            assert!(body.len() <= BOUND, "{} bytes kept", body.len());
        }
        other => panic!("{other:?}"),
    }
}
