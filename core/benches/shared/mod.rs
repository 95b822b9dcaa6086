//! Inputs both benches build the same way (a directory module, so cargo does not take it for a
//! bench of its own).

use serde_json::{json, Value};

/// A Talk chat message from bob of about 260 bytes.
pub fn talk_message(room: &str, id: i64) -> Value {
    json!({
        "id": id, "token": room, "actorType": "users", "actorId": "bob",
        "actorDisplayName": "Bob", "timestamp": 1_700_000_000 + id,
        "message": "Morning all, the build is green.",
        "messageParameters": [], "systemMessage": "",
        "messageType": "comment", "isReplyable": true, "referenceId": ""
    })
}
