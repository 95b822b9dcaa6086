//! tada orders chats, read states and messages by `gentime`: any delivery order of the same
//! frames (redeliveries included) ends in the same state — the same read state per chat, and
//! each message last shown as its newest version.

use chatwire::tada::{TadaConfig, TadaSession};
use chatwire::{Event, Session as _, Timestamp};
use proptest::prelude::*;
use serde_json::json;
use std::collections::BTreeMap;

/// One server frame: a version of message `m-{msg}` in chat `g-{chat}` with its chat's counters
/// at the same gentime.
#[derive(Clone, Debug)]
struct Version {
    chat: u8,
    msg: u8,
    gentime: i64,
    unread: u32,
}

fn frame(v: &Version) -> String {
    let jid = format!("g-{}", v.chat);
    json!({"event": "server.message.updated", "params": {
        "messages": [{"chat": jid, "chat_type": "group", "from": "d-2", "to": jid,
            "message_id": format!("m-{}", v.msg), "gentime": v.gentime,
            "created": "2019-09-27T01:01:33.661466Z",
            "content": {"type": "plain", "text": format!("v{}", v.gentime)}}],
        "chat_counters": [{"jid": jid, "gentime": v.gentime, "num_unread": v.unread,
            "last_read_message_id": format!("m-{}", v.msg)}]}})
    .to_string()
}

/// The state an app ends with: each chat's read state, each message's last text shown.
fn end_state(
    frames: &[String],
) -> (
    BTreeMap<String, chatwire::ReadState>,
    BTreeMap<String, String>,
) {
    let mut s = TadaSession::new(TadaConfig::new("team-1", "token"));
    s.connect(Timestamp(0)).unwrap();
    s.handle_connected(Timestamp(0));
    let mut texts = BTreeMap::new();
    for (i, f) in frames.iter().enumerate() {
        s.handle_frame(Timestamp(i as u64 + 1), f);
        while s.poll_transmit().is_some() {}
        while let Some(e) = s.poll_event() {
            if let Event::MessageReceived { message } | Event::MessageEdited { message } = e {
                let text = match message.content {
                    chatwire::Content::Text { text, .. } => text,
                    other => format!("{other:?}"),
                };
                texts.insert(message.id, text);
            }
        }
    }
    let reads = (0..3)
        .filter_map(|c| {
            let jid = format!("g-{c}");
            s.read_state(&jid).cloned().map(|r| (jid, r))
        })
        .collect();
    (reads, texts)
}

fn versions() -> impl Strategy<Value = Vec<Version>> {
    // Distinct gentimes per chat (a server never gives two states of one chat the same one).
    proptest::collection::btree_map((0u8..3, 1i64..40), (0u8..4, 0u32..9), 1..12).prop_map(|m| {
        m.into_iter()
            .map(|((chat, gentime), (msg, unread))| Version {
                chat,
                msg: chat * 10 + msg,
                gentime,
                unread,
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn any_delivery_order_ends_in_the_same_state(
        versions in versions(),
        order in any::<proptest::sample::Index>(),
        seed in any::<u64>(),
        redeliver in proptest::collection::vec(any::<proptest::sample::Index>(), 0..4),
    ) {
        let frames: Vec<String> = versions.iter().map(frame).collect();
        let expected = end_state(&frames);
        // A shuffle (Fisher-Yates from `seed`), rotated, with some frames delivered again.
        let mut shuffled = frames.clone();
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let k = order.index(shuffled.len());
        shuffled.rotate_left(k);
        for r in &redeliver {
            let again = frames[r.index(frames.len())].clone();
            shuffled.push(again);
        }
        prop_assert_eq!(end_state(&shuffled), expected);
    }
}
