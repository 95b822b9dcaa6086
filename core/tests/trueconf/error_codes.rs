//! `payload.errorCode` becomes a typed error; unknown codes keep their number.
use crate::support::{responses, Harness};
use chatwire::trueconf::ErrorCode;
use chatwire::{Error, Event};
use serde_json::json;

#[test]
fn every_documented_code_is_typed_and_round_trips() {
    for code in (100..=104).chain(200..=204).chain(300..=312) {
        let typed = ErrorCode::from(code);
        assert_eq!(typed.code(), code);
        assert!(
            !matches!(typed, ErrorCode::Other(_)),
            "{code} is documented"
        );
        assert_eq!(serde_json::to_value(typed).unwrap(), json!(code));
    }
    assert_eq!(ErrorCode::from(203), ErrorCode::TokenExpired);
    assert_eq!(ErrorCode::from(999), ErrorCode::Other(999));
    assert_eq!(ErrorCode::from(999).code(), 999);
}

#[test]
fn error_response_resolves_the_request_with_the_code() {
    let mut h = Harness::ready();
    let id = h.s.get_chat(h.now, "missing").unwrap();
    h.drain();
    let (_, events) = h.feed(json!({"type":2,"id":id.0,"payload":{"errorCode":304}}));
    assert_eq!(
        responses(&events),
        vec![(
            id.0,
            Err(Error::TrueConf {
                code: ErrorCode::Chat(304)
            })
        )]
    );
}

#[test]
fn unknown_code_is_kept_as_its_number() {
    let mut h = Harness::ready();
    let id = h.s.get_chat(h.now, "x").unwrap();
    h.drain();
    let (_, events) = h.feed(json!({"type":2,"id":id.0,"payload":{"errorCode":"777"}}));
    assert_eq!(
        responses(&events),
        vec![(
            id.0,
            Err(Error::TrueConf {
                code: ErrorCode::Other(777)
            })
        )]
    );
}

#[test]
fn token_expired_later_on_tells_the_host_to_reauthenticate() {
    let mut h = Harness::ready();
    let id = h.s.get_chats(h.now, 1, 1).unwrap();
    h.drain();
    let (_, events) = h.feed(json!({"type":2,"id":id.0,"payload":{"errorCode":203}}));
    assert!(events.contains(&Event::TokenExpired));
    assert_eq!(
        responses(&events),
        vec![(
            id.0,
            Err(Error::TrueConf {
                code: ErrorCode::TokenExpired
            })
        )]
    );
}

#[test]
fn request_before_auth_error_200_is_typed() {
    assert_eq!(ErrorCode::from(200), ErrorCode::NotAuthorized);
    assert!(ErrorCode::NotAuthorized.is_auth());
}
