//! `server.message.updated` frames, the stream's bulk, are read in one pass when `event` comes
//! before `params`; the same frame with `params` first takes the slower reading. Both must give
//! the same events and frames, whatever the messages and counters hold.

use crate::json_values::{object, KINDS};
use crate::support::*;
use chatwire::Session as _;
use chatwire::Timestamp;

fn base_message(n: usize) -> Vec<(&'static str, String)> {
    vec![
        ("chat", "\"g-1\"".into()),
        ("chat_type", "\"group\"".into()),
        (
            "content",
            r#"{"type":"plain","text":"hi \"there\"","actor":"d-2"}"#.into(),
        ),
        ("created", "\"2019-09-27T01:01:33.661466Z\"".into()),
        ("from", "\"d-2\"".into()),
        (
            "gentime",
            format!("{}", 1_569_546_093_662_061_959_i64 + n as i64),
        ),
        ("message_id", format!("\"m-{n}\"")),
        ("to", "\"g-1\"".into()),
    ]
}

/// Counters with a repeated key: the typed chat events read them as a tree does (the last).
const TWICE: &str = r#"{"direct":{"chats":1,"messages":2},"direct":{"chats":3,"messages":4}}"#;

const TEAM: &str = r#"{"direct":{"chats":1,"messages":51},"group":{"chats":0,"messages":0}}"#;

/// The params texts to try: every kind of value in every message field and in the content's,
/// repeated fields, a bad message among good ones, odd counters, white space, escaped keys.
fn params_texts() -> Vec<String> {
    let mut out = Vec::new();
    let params = |messages: &[String], team: &str| {
        format!(
            r#"{{"badge":5,"chat_counters":[{{"jid":"g-1","num_unread":2,"gentime":9}}],"messages":[{}],"team_unread":{team}}}"#,
            messages.join(",")
        )
    };
    let mut n = 0;
    let mut next = || {
        n += 1;
        n
    };
    for key in [
        "chat",
        "chat_type",
        "content",
        "created",
        "from",
        "gentime",
        "message_id",
        "to",
        "edited",
        "reply_to",
        "is_first",
    ] {
        for v in KINDS {
            let mut m = base_message(next());
            match m.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = v.to_string(),
                None => m.push((key, v.to_string())),
            }
            let good = object(&base_message(next()));
            out.push(params(&[object(&m), good], TEAM));
        }
    }
    // What a typed field or a tree refuses where skipping accepts it; in a field the one pass
    // does not keep (`is_first`, `links`) as well, where it is checked, not built.
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    for (key, v) in [
        ("gentime", "1e400"),
        ("from", "\"\\ud800\""),
        ("chat", "\"\\ud800x\""),
        ("is_first", "1e400"),
        ("is_first", "-1e400"),
        ("is_first", "\"\\udc00\""),
        ("links", "{\"\\ud800\":1}"),
        ("links", "[1,{\"a\":[2e999]}]"),
        ("links", deep.as_str()),
    ] {
        let mut m = base_message(next());
        m.retain(|(k, _)| *k != key);
        m.push((key, v.to_string()));
        out.push(params(&[object(&m), object(&base_message(next()))], TEAM));
    }
    for inner in ["type", "text", "actor", "title"] {
        for v in KINDS {
            let mut m = base_message(next());
            m[2].1 = format!(r#"{{"type":"plain","text":"t","{inner}":{v}}}"#);
            out.push(params(&[object(&m)], TEAM));
        }
    }
    for team in KINDS
        .iter()
        .copied()
        .chain([TEAM, r#"{"direct":{"chats":"x"}}"#, TWICE])
    {
        out.push(params(&[object(&base_message(next()))], team));
    }
    // A repeated field, in a message and in the params.
    let mut m = base_message(next());
    m.push(("from", "\"d-9\"".into()));
    out.push(params(&[object(&m)], TEAM));
    out.push(format!(
        r#"{{"messages":[{}],"badge":1,"messages":[{}]}}"#,
        object(&base_message(next())),
        object(&base_message(next()))
    ));
    // White space everywhere, keys spelled with escapes, no messages, messages `null`.
    let spaced = params(&[object(&base_message(next()))], TEAM)
        .replace(',', " ,\n ")
        .replace(':', " : ");
    out.push(format!(" {spaced} "));
    out.push(
        params(&[object(&base_message(next()))], TEAM)
            .replace("\"messages\"", "\"m\\u0065ssages\""),
    );
    out.push(r#"{"badge":3}"#.into());
    out.push(r#"{"messages":null,"badge":4}"#.into());
    out.push(r#"{"messages":[],"team_unread":null}"#.into());
    out.push(r#"{"messages":{"a":1}}"#.into());
    out
}

/// Two sessions fed the same frames, one with `event` first (read in one pass when it can be),
/// one with `params` first (always the slower reading), give the same events and transmits
/// after every frame; each params text is sent twice (a redelivery) and then its counters
/// change.
#[test]
fn a_message_frame_read_in_one_pass_gives_what_the_slower_reading_gives() {
    let (mut fast, mut slow) = (connected(), connected());
    for (i, params) in params_texts().iter().enumerate() {
        let again = params.replace(r#""messages":51"#, r#""messages":52"#);
        for (j, p) in [params, params, &again].into_iter().enumerate() {
            let cid = format!("c-{i}-{j}");
            let event_first = format!(
                r#"{{"event":"server.message.updated","params":{p},"confirm_id":"{cid}"}}"#
            );
            let params_first = format!(
                r#"{{"params":{p},"confirm_id":"{cid}","event":"server.message.updated"}}"#
            );
            let now = Timestamp(1 + i as u64);
            fast.handle_frame(now, &event_first);
            slow.handle_frame(now, &params_first);
            let (fast_events, slow_events) = (drain_events(&mut fast), drain_events(&mut slow));
            // A protocol error quotes the frame as received, which differs in its order.
            let quoted = |events: Vec<chatwire::Event>| -> Vec<String> {
                events
                    .into_iter()
                    .map(|e| match e {
                        chatwire::Event::ProtocolError { reason, .. } => reason,
                        other => format!("{other:?}"),
                    })
                    .collect()
            };
            assert_eq!(quoted(fast_events), quoted(slow_events), "{event_first}");
            assert_eq!(
                format!("{:?}", drain_transmits(&mut fast)),
                format!("{:?}", drain_transmits(&mut slow)),
                "{event_first}"
            );
        }
    }
}

/// Counters a chat event accepted (a repeated key, read as its last value) are accepted again
/// when a message frame repeats them, whichever reading the frame takes.
#[test]
fn counters_a_chat_event_accepted_pass_in_a_message_frame_either_way() {
    let (mut fast, mut slow) = (connected(), connected());
    let lastread = format!(
        r#"{{"event":"server.chat.lastread","params":{{"badge":1,"chats":[],"team_unread":{TWICE}}}}}"#
    );
    let message = object(&base_message(1));
    let params = format!(r#"{{"badge":2,"messages":[{message}],"team_unread":{TWICE}}}"#);
    for (s, frame) in [
        (
            &mut fast,
            format!(r#"{{"event":"server.message.updated","params":{params}}}"#),
        ),
        (
            &mut slow,
            format!(r#"{{"params":{params},"event":"server.message.updated"}}"#),
        ),
    ] {
        s.handle_frame(Timestamp(1), &lastread);
        drain_events(s);
        s.handle_frame(Timestamp(2), &frame);
    }
    let (f, w) = (drain_events(&mut fast), drain_events(&mut slow));
    assert!(
        f.iter()
            .any(|e| matches!(e, chatwire::Event::MessageReceived { .. })),
        "{f:?}"
    );
    assert_eq!(format!("{f:?}"), format!("{w:?}"));
}
