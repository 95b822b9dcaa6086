//! tada::inspect classifies one frame and shows the client.confirm the session would answer.

use chatwire::tada::inspect_tada as inspect;
use chatwire::{Direction, FrameKind};

#[test]
fn incoming_events_with_a_confirm_id_show_their_ack() {
    let frame = r#"{"confirm_id":"Srv000000001","event":"server.message.updated","params":{"messages":[]}}"#;
    let i = inspect(frame, Direction::In).unwrap();
    assert_eq!(i.kind, FrameKind::Notification);
    assert_eq!(i.name, "server.message.updated");
    assert_eq!(
        i.ack.as_deref(),
        Some(r#"{"event":"client.confirm","params":{"confirm_id":"Srv000000001"}}"#)
    );
}

#[test]
fn kinds_follow_the_event_name() {
    let cases = [
        (
            r#"{"event":"client.ping","confirm_id":"x"}"#,
            Direction::Out,
            FrameKind::Request,
            "client.ping",
        ),
        (
            r#"{"event":"client.confirm","params":{"confirm_id":"x"}}"#,
            Direction::Out,
            FrameKind::Response,
            "client.confirm",
        ),
        (
            r#"{"event":"server.confirm","params":{"confirm_id":"x"}}"#,
            Direction::In,
            FrameKind::Response,
            "server.confirm",
        ),
        (
            r#"{"event":"server.brand.new"}"#,
            Direction::In,
            FrameKind::Notification,
            "server.brand.new",
        ),
        (
            r#"{"last-tab":1}"#,
            Direction::In,
            FrameKind::Notification,
            "unknown",
        ),
    ];
    for (frame, dir, kind, name) in cases {
        let i = inspect(frame, dir).unwrap();
        assert_eq!((i.kind, i.name.as_str()), (kind, name), "{frame}");
    }
    // Our own frames are never acked, even with a confirm_id.
    assert_eq!(inspect(cases[0].0, Direction::Out).unwrap().ack, None);
}

#[test]
fn frames_the_session_would_reject_are_errors() {
    assert!(inspect("nope", Direction::In).is_err());
    assert!(inspect("[]", Direction::In).is_err());
    assert!(inspect(
        r#"{"event":"server.call.talking","params":{}}"#,
        Direction::In
    )
    .is_err());
    // Client frames are not type-checked: the spec's client examples are schemas.
    assert!(inspect(
        r#"{"event":"client.activity","params":{"afk":"BOOL"}}"#,
        Direction::Out
    )
    .is_ok());
}
