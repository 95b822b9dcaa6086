//! Same seed and inputs give the same bytes; confirm_ids are 12 characters of [0-9A-Za-z].

use crate::support::*;
use chatwire::tada::SendMessage;
use chatwire::{Session as _, Timestamp};

fn run(seed: u64) -> Vec<serde_json::Value> {
    let mut c = config();
    c.seed = seed;
    let mut s = connected_with(c);
    for i in 0..20 {
        s.send_message(Timestamp(i), SendMessage::text("g-1", format!("m{i}")))
            .unwrap();
    }
    s.handle_timeout(Timestamp(30_000));
    drain_frames(&mut s)
}

#[test]
fn identical_inputs_give_identical_frames() {
    assert_eq!(run(42), run(42));
    assert_ne!(run(42), run(43));
}

#[test]
fn confirm_ids_and_message_ids_have_the_protocol_shape() {
    for f in run(1) {
        let cid = f["confirm_id"].as_str().unwrap();
        assert_eq!(cid.len(), 12);
        assert!(cid.bytes().all(|b| b.is_ascii_alphanumeric()), "{cid}");
        if let Some(mid) = f["params"]["message_id"].as_str() {
            assert_eq!(mid.len(), 36);
            assert_eq!(&mid[14..15], "4", "UUID v4: {mid}");
        }
    }
}
