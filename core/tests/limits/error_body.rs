//! `Limits::max_error_body_bytes`: a server's text kept in an error or a `ProtocolError` event is
//! cut to the limit, and the cut says how long the whole text was: a 3 MiB error page from the
//! server is not held whole for as long as the app keeps the error.

use chatwire::tada::{TadaConfig, TadaSession};
use chatwire::talk::{HttpError, TalkConfig, TalkSession};
use chatwire::trueconf::{TrueConfConfig, TrueConfSession};
use chatwire::{Error, Event, HttpResponse, Limits, Session, Timestamp, Transmit};

const BIG: usize = 3 * 1024 * 1024;

/// What a Talk send answered with `status` and `body` fails with, the session's error bodies
/// cut at `limit` bytes.
fn send_failing_with(status: u16, body: String, limit: u32) -> Error {
    let mut config = TalkConfig::new("alice", "pw");
    config.limits.max_error_body_bytes = limit;
    let mut s = TalkSession::new(config);
    let id = s.send_text(Timestamp(0), "room-ab", "hi", None).unwrap();
    let post = std::iter::from_fn(|| s.poll_transmit())
        .find_map(|t| match t {
            Transmit::Http(r) if r.method == "POST" => Some(r),
            _ => None,
        })
        .expect("the send is posted");
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

/// The `raw` of every protocol error `s` reports after `frame`.
fn raw_of_protocol_errors(s: &mut impl Session, frame: &str) -> Vec<String> {
    s.handle_frame(Timestamp(1), frame);
    while s.poll_transmit().is_some() {}
    std::iter::from_fn(|| s.poll_event())
        .filter_map(|e| match e {
            Event::ProtocolError { raw, .. } => Some(raw),
            _ => None,
        })
        .collect()
}

/// A frame of `len` bytes that no protocol can read.
fn garbage(len: usize) -> String {
    "x".repeat(len)
}

#[test]
fn the_default_keeps_64_kib_and_says_how_long_the_body_was() {
    assert_eq!(Limits::default().max_error_body_bytes, 64 * 1024);
    match send_failing_with(400, garbage(BIG), Limits::default().max_error_body_bytes) {
        Error::Talk(HttpError::BadRequest { body }) => {
            let kept = format!("{}… (cut at 65536 of {BIG} bytes)", garbage(64 * 1024));
            assert_eq!(body, kept);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_small_limit_cuts_there() {
    match send_failing_with(418, garbage(BIG), 100) {
        Error::Http { status, body } => {
            assert_eq!(status, 418);
            assert_eq!(
                body,
                format!("{}… (cut at 100 of {BIG} bytes)", garbage(100))
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_body_within_the_limit_is_kept_whole() {
    match send_failing_with(418, garbage(100), 100) {
        Error::Http { body, .. } => assert_eq!(body, garbage(100)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_cut_falls_on_a_character_boundary() {
    // 'я' is two bytes: a cut at 101 would split the 51st.
    let body = "я".repeat(1000);
    match send_failing_with(400, body, 101) {
        Error::Talk(HttpError::BadRequest { body }) => {
            assert_eq!(
                body,
                format!("{}… (cut at 100 of 2000 bytes)", "я".repeat(50))
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn trueconf_and_tada_cut_the_raw_text_of_a_protocol_error_at_the_same_limit() {
    let limits = Limits {
        max_error_body_bytes: 100,
        ..Limits::default()
    };
    let cut = format!("{}… (cut at 100 of 10000 bytes)", garbage(100));

    let mut config = TrueConfConfig::new("jwt");
    config.limits = limits.clone();
    let mut trueconf = TrueConfSession::new(config);
    trueconf.handle_connected(Timestamp(0));
    assert_eq!(
        raw_of_protocol_errors(&mut trueconf, &garbage(10_000)),
        vec![cut.clone()]
    );

    let mut config = TadaConfig::new("team-1", "token");
    config.limits = limits;
    let mut tada = TadaSession::new(config);
    tada.connect(Timestamp(0)).unwrap();
    tada.handle_connected(Timestamp(0));
    assert_eq!(
        raw_of_protocol_errors(&mut tada, &garbage(10_000)),
        vec![cut]
    );
}
