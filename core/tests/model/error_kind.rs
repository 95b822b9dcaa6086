//! Every error says whose fault it is and when: refused at once, failed when tried, or a
//! server answer that could not be read.
use chatwire::{Delivery, Error, ErrorKind};

#[test]
fn errors_are_split_by_whose_fault_and_when() {
    let refused = [
        Error::InvalidArgument { reason: "x".into() },
        Error::MessageTooLong {
            length: 5000,
            limit: 4096,
        },
        Error::QueueFull { limit: 1 },
        Error::TooManyPending { limit: 1 },
        Error::Closed,
    ];
    let failed = [
        Error::Timeout,
        Error::Disconnected {
            delivery: Delivery::MaybeDelivered,
        },
        Error::ConnectFailed {
            reason: "TLS".into(),
        },
        Error::NotConfirmed { attempts: 3 },
        Error::Http {
            status: 500,
            body: String::new(),
        },
    ];
    let undecodable = [
        Error::FrameTooLarge { size: 10, limit: 1 },
        Error::InvalidFrame { reason: "x".into() },
        Error::UnexpectedResponse { reason: "x".into() },
    ];
    assert!(refused.iter().all(|e| e.kind() == ErrorKind::Refused));
    assert!(failed.iter().all(|e| e.kind() == ErrorKind::Failed));
    assert!(undecodable
        .iter()
        .all(|e| e.kind() == ErrorKind::Undecodable));
}
