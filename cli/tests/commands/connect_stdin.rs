//! `chatwire connect` reads its commands line by line: a line it cannot read is answered like a
//! bad command and the lines after it still run; only the end of stdin ends it.

use crate::support::{is_type, Peer, Sim};
use serde_json::json;

#[test]
fn a_line_that_is_not_utf8_is_answered_and_the_next_command_still_runs() {
    let sim = Sim::start(&[]);
    let mut alice = Peer::trueconf(&sim, "alice");
    alice.wait_for("connected", 0, is_type("connected"));
    let since = alice.mark();

    alice.write_raw(b"{\"op\":\"chats\",\"tag\":\"\xff\xfe\"}\n");
    let tag = alice.submit("chats", json!({}));

    let refused = alice.wait_for("the answer to the line that is not UTF-8", since, |e| {
        e["type"] == "result" && e["op"] == "?"
    });
    assert_eq!(refused["ok"], false, "{refused}");
    assert_eq!(refused["tag"], json!(null), "{refused}");
    assert_eq!(
        refused["error"]["kind"], "invalid_argument",
        "answered like a line that is not JSON: {refused}"
    );
    let message = refused["message"].as_str().unwrap_or_default();
    assert!(message.contains("not UTF-8"), "{refused}");

    let result = alice.result(&tag);
    assert_eq!(
        result["ok"], true,
        "the command after the bad line: {result}"
    );
    alice.finish();
}
