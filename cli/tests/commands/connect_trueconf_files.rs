//! `chatwire connect --protocol trueconf` file and typing ops against `chatwire sim`: alice
//! shows typing and sends a file from a path with a caption; bob sees both, and downloads the
//! file back byte for byte.

use crate::support::{is_type, Peer, Sim};
use serde_json::json;

#[test]
fn alice_sends_a_file_and_bob_downloads_it() {
    let sim = Sim::start(&[]);
    let mut alice = Peer::trueconf(&sim, "alice");
    let mut bob = Peer::trueconf(&sim, "bob");
    alice.wait_for("connected", 0, is_type("connected"));
    bob.wait_for("connected", 0, is_type("connected"));
    let reply = alice.call(
        "request",
        json!({"method": "createP2PChat", "payload": {"userId": "bob@sim.local"}}),
    );
    let chat = reply["chat_id"].as_str().expect("chat_id").to_string();

    let typing = alice.call("typing", json!({"chat": chat}));
    assert_eq!(typing["type"], "chat_activity_sent", "{typing}");
    bob.wait_for("alice typing", 0, |e| {
        e["type"] == "chat_activity" && e["chat_id"] == chat && e["activity"] == "typing"
    });

    let dir = std::env::temp_dir().join(format!("chatwire-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("minutes.txt");
    let bytes = "line one\nline two\n".repeat(100);
    std::fs::write(&source, &bytes).unwrap();
    let sent = alice.call(
        "send_file",
        json!({"chat": chat, "path": source.to_str().unwrap(), "caption": "the minutes"}),
    );
    assert_eq!(sent["type"], "file_sent", "{sent}");
    let file_id = sent["file_id"].as_str().expect("file_id").to_string();
    let attachment = bob.wait_message(sent["message_id"].as_str().unwrap());
    assert_eq!(attachment["content"]["type"], "attachment", "{attachment}");
    assert_eq!(attachment["content"]["name"], "minutes.txt");
    bob.wait_message(sent["caption_message_id"].as_str().expect("caption"));

    let info = bob.call("file_info", json!({"file": file_id}));
    assert_eq!(info["info"]["size"], bytes.len() as u64, "{info}");
    let target = dir.join("downloaded.txt");
    let got = bob.call(
        "download",
        json!({"file": file_id, "path": target.to_str().unwrap()}),
    );
    assert_eq!(got["type"], "downloaded", "{got}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), bytes);
    let _ = std::fs::remove_dir_all(&dir);
    alice.finish();
    bob.finish();
}
