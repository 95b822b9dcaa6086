//! A message longer than the configured limit (characters, default 32000) is refused locally.

use crate::support::*;
use chatwire::talk::{TalkConfig, TalkSession};
use chatwire::{Error, Session as _};

#[test]
fn too_long_is_refused_before_sending() {
    let mut s = talk();
    let text = "x".repeat(32_001);
    assert_eq!(
        s.send_message(at(0), ROOM, &text, None, false),
        Err(Error::MessageTooLong {
            length: 32_001,
            limit: 32_000
        })
    );
    assert!(requests(&mut s).is_empty());
    assert!(s.snapshot().outgoing.is_empty());
}

#[test]
fn the_limit_counts_characters_not_bytes() {
    let mut s = talk();
    let text = "é".repeat(32_000);
    s.send_message(at(0), ROOM, &text, None, false).unwrap();
    assert_eq!(form(&one_request(&mut s))["message"], text);
    // One character over, in a text of twice as many bytes: the length told is in characters.
    assert_eq!(
        s.send_message(at(0), ROOM, &"é".repeat(32_001), None, false),
        Err(Error::MessageTooLong {
            length: 32_001,
            limit: 32_000
        })
    );
}

#[test]
fn the_limit_is_configurable_and_empty_messages_are_refused() {
    let mut c = TalkConfig::new(USER, PASSWORD);
    c.max_length = 1000;
    let mut s = TalkSession::new(c);
    assert!(matches!(
        s.send_text(at(0), ROOM, &"y".repeat(1001), None),
        Err(Error::MessageTooLong {
            length: 1001,
            limit: 1000
        })
    ));
    assert!(matches!(
        s.send_message(at(0), ROOM, "  \n", None, false),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        s.send_text(at(0), ROOM, "hi", Some("not-a-number")),
        Err(Error::InvalidArgument { .. })
    ));
}
