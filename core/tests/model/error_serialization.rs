//! Every error and every event carrying one serializes and reads back: hosts (CLI JSON lines,
//! wasm, UniFFI) see errors only through serialization.
use chatwire::trueconf::ErrorCode;
use chatwire::{Delivery, Error, Event, RequestId};

fn all_errors() -> Vec<Error> {
    vec![
        Error::Timeout,
        Error::Disconnected {
            delivery: Delivery::NotSent,
        },
        Error::Disconnected {
            delivery: Delivery::MaybeDelivered,
        },
        Error::TooManyPending { limit: 3 },
        Error::QueueFull { limit: 3 },
        Error::FrameTooLarge { size: 10, limit: 5 },
        Error::MessageTooLong {
            length: 10,
            limit: 5,
        },
        Error::InvalidArgument { reason: "r".into() },
        Error::InvalidFrame { reason: "r".into() },
        Error::UnexpectedResponse { reason: "r".into() },
        Error::NotConnected,
        Error::AuthFailed { reason: "r".into() },
        Error::Closed,
        Error::ConnectFailed { reason: "r".into() },
        Error::TrueConf {
            code: ErrorCode::TokenExpired,
        },
        Error::TrueConf {
            code: ErrorCode::ChatNotFound,
        },
        Error::TrueConf {
            code: ErrorCode::Other(999),
        },
        Error::NotConfirmed { attempts: 4 },
        Error::Rejected {
            message: "m".into(),
        },
        Error::Http {
            status: 418,
            body: "b".into(),
        },
    ]
}

#[test]
fn every_error_round_trips_through_json() {
    for e in all_errors() {
        let text = serde_json::to_string(&e).unwrap_or_else(|x| panic!("{e:?}: {x}"));
        let back: Error = serde_json::from_str(&text).unwrap_or_else(|x| panic!("{text}: {x}"));
        assert_eq!(back, e, "{text}");
    }
    let code = serde_json::to_value(Error::TrueConf {
        code: ErrorCode::ChatNotFound,
    })
    .unwrap();
    assert_eq!(code, serde_json::json!({"kind": "trueconf", "code": 304}));
}

#[test]
fn events_carrying_errors_serialize() {
    for e in all_errors() {
        let event = Event::RequestFailed {
            request: RequestId(1),
            error: e.clone(),
        };
        assert!(serde_json::to_string(&event).is_ok(), "{event:?}");
        let event = Event::AuthFailed { error: e };
        assert!(serde_json::to_string(&event).is_ok(), "{event:?}");
    }
}
