//! `payload.errorCode` becomes a typed error; unknown codes keep their number.
use crate::support::{responses, Harness};
use chatwire::trueconf::ErrorCode;
use chatwire::Error;
use serde_json::json;

#[test]
fn every_documented_code_is_typed_and_round_trips() {
    for code in (100..=104)
        .chain(200..=204)
        .chain(300..=312)
        .chain([399])
        .chain(400..=408)
    {
        let typed = ErrorCode::from(code);
        assert_eq!(typed.code(), code);
        assert!(
            !matches!(typed, ErrorCode::Other(_)),
            "{code} is documented"
        );
        assert_eq!(serde_json::to_value(typed).unwrap(), json!(code));
    }
    assert_eq!(ErrorCode::from(203), ErrorCode::TokenExpired);
    assert_eq!(ErrorCode::from(305), ErrorCode::NotChatParticipant);
    assert_eq!(ErrorCode::from(407), ErrorCode::UploadTaskNotFound);
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
                code: ErrorCode::ChatNotFound
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
fn request_before_auth_error_200_is_typed() {
    assert_eq!(ErrorCode::from(200), ErrorCode::NotAuthorized);
    assert!(ErrorCode::NotAuthorized.is_auth());
}

/// The meanings are the official clients' (Python SDK 1.5.4 `ApiError`), one per documented code.
#[test]
fn each_code_displays_its_meaning() {
    let table = [
        (100, "connection error"),
        (101, "connection timeout"),
        (102, "TLS/SSL error"),
        (103, "unsupported protocol"),
        (104, "route not found"),
        (200, "not authorized"),
        (201, "invalid credentials"),
        (202, "user disabled"),
        (203, "credentials expired"),
        (204, "unsupported credentials"),
        (300, "internal server error"),
        (301, "operation timeout"),
        (302, "access denied"),
        (303, "not enough rights"),
        (304, "chat not found"),
        (305, "user is not a chat participant"),
        (306, "message not found"),
        (307, "unknown message"),
        (308, "file not found"),
        (309, "user already in chat"),
        (310, "file upload failed"),
        (311, "file not ready"),
        (312, "role not found"),
        (399, "wrong payload format"),
        (400, "unknown file error"),
        (401, "not enough space"),
        (402, "bad file name"),
        (403, "file upload forbidden"),
        (404, "file not found"),
        (405, "file not ready"),
        (406, "max file size exceeded"),
        (407, "upload task not found"),
        (408, "invalid file"),
    ];
    for (code, meaning) in table {
        assert_eq!(ErrorCode::from(code).meaning(), Some(meaning), "{code}");
        assert_eq!(
            Error::TrueConf {
                code: ErrorCode::from(code)
            }
            .to_string(),
            format!("TrueConf error {code}: {meaning}")
        );
    }
    assert_eq!(ErrorCode::from(777).meaning(), None);
    assert_eq!(
        Error::TrueConf {
            code: ErrorCode::from(777)
        }
        .to_string(),
        "TrueConf error 777"
    );
}
