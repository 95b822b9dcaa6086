//! `chatwire decode --protocol trueconf`: one verdict per frame, bad frames reported in line,
//! exit 0; a usage error exits 2.

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn decode(args: &[&str], input: &str) -> Output {
    decode_bytes(args, input.as_bytes())
}

fn decode_bytes(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(crate::support::bin())
        .arg("decode")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn chatwire decode");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input).expect("write frames");
    drop(stdin);
    child.wait_with_output().expect("decode output")
}

fn verdicts(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn trueconf_frames_get_one_verdict_each_and_a_bad_frame_does_not_fail_the_run() {
    let frames = [
        // A server request: a message arrives; we would acknowledge it with its id.
        r#"{"type":1,"id":7,"method":"sendMessage","payload":{"messageId":"m1","chatId":"c1","timestamp":1735370776000,"type":200,"author":{"id":"bob@video.example.com","type":1},"content":{"text":"hi","parseMode":"text"},"isEdited":false,"box":{"id":1,"position":"0"}}}"#,
        // A response to one of our requests.
        r#"{"type":2,"id":1,"payload":{"userId":"bot@video.example.com","connectionId":"x"}}"#,
        "this is not JSON",
        // Blank lines are skipped.
        "",
        // The notification spelling with a string timestamp (a quirk of the real server).
        r#"{"type":1,"id":4,"method":"removedChatParticipant","payload":{"chatId":"c","userId":"u","removedBy":{"id":"a","type":1},"timestamp":"1735370776"}}"#,
    ];
    let out = decode(&["--protocol", "trueconf"], &(frames.join("\n") + "\n"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = verdicts(&out);
    assert_eq!(v.len(), 4, "{v:?}");

    assert_eq!(v[0]["ok"], true);
    assert_eq!(v[0]["kind"], "notification");
    assert_eq!(v[0]["name"], "sendMessage");
    let ack: Value = serde_json::from_str(v[0]["ack"].as_str().expect("an ack")).expect("ack JSON");
    assert_eq!(ack, serde_json::json!({"type": 2, "id": 7}));

    assert_eq!(v[1]["ok"], true);
    assert_eq!(v[1]["kind"], "response");
    assert_eq!(v[1]["ack"], Value::Null);

    assert_eq!(v[2]["ok"], false);
    assert!(
        v[2]["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{}",
        v[2]
    );

    assert_eq!(v[3]["ok"], true);
    assert_eq!(v[3]["name"], "removedChatParticipant");
}

#[test]
fn outgoing_frames_are_decoded_with_direction_out() {
    let out = decode(
        &["--protocol", "trueconf", "--direction", "out"],
        "{\"type\":1,\"id\":1,\"method\":\"auth\",\"payload\":{\"token\":\"t\",\"tokenType\":\"JWT\"}}\n",
    );
    assert_eq!(out.status.code(), Some(0));
    let v = verdicts(&out);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["ok"], true);
    assert_eq!(v[0]["kind"], "request");
    assert_eq!(v[0]["name"], "auth");
}

#[test]
fn usage_errors_exit_2() {
    for args in [&[][..], &["--protocol", "no-such-protocol"][..]] {
        let out = decode(args, "");
        assert_eq!(out.status.code(), Some(2), "args {args:?}");
        assert!(out.stdout.is_empty(), "args {args:?}");
        assert!(
            !out.stderr.is_empty(),
            "args {args:?}: a usage error says why"
        );
    }
}

#[test]
fn a_line_that_is_not_utf8_is_one_bad_frame_and_the_rest_is_decoded() {
    let mut input = b"{\"type\":2,\"id\":1}\n".to_vec();
    input.extend_from_slice(b"\xff\xfe garbage\n");
    input.extend_from_slice(b"{\"type\":1,\"id\":5,\"method\":\"somethingNew\",\"payload\":{}}\n");
    let out = decode_bytes(&["--protocol", "trueconf"], &input);
    assert!(out.status.success());
    let v = verdicts(&out);
    assert_eq!(v.len(), 3, "{v:?}");
    assert_eq!(v[1]["ok"], false);
    assert!(v[1]["error"].as_str().unwrap().contains("UTF-8"));
    assert_eq!(v[2]["name"], "somethingNew");
}
