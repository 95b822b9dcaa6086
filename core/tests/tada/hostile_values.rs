//! Values that cannot be versions are not taken as versions: a `gentime` of 1e300 (or -1, or
//! 2.5) must not outrank every later update and freeze a chat's read state.
use crate::support::*;
use chatwire::{Session as _, Timestamp};
use serde_json::json;

fn counters(gentime: serde_json::Value, unread: u32) -> String {
    server(
        "server.chat.lastread",
        json!({"chats": [{"jid": "g-1", "gentime": gentime, "num_unread": unread}]}),
        None,
    )
}

#[test]
fn an_impossible_gentime_does_not_freeze_the_read_state() {
    for hostile in [
        json!(1e300),
        json!(-1),
        json!(2.5),
        json!("9e999"),
        json!(i64::MAX),
        json!(i64::MAX.to_string()),
    ] {
        let mut s = connected();
        s.handle_frame(Timestamp(1), &counters(hostile.clone(), 7));
        s.handle_frame(Timestamp(2), &counters(json!(100), 2));
        assert_eq!(
            s.read_state("g-1").and_then(|r| r.unread),
            Some(2),
            "after gentime {hostile}"
        );
        s.handle_frame(Timestamp(3), &counters(json!(99), 5));
        assert_eq!(
            s.read_state("g-1").and_then(|r| r.unread),
            Some(2),
            "a real older version still loses"
        );
    }
}
