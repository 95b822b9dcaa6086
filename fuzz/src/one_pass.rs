//! The one-pass readers against the slower reading, differentially: every protocol reads its
//! stream's bulk (TrueConf notifications, tada `server.message.updated`, Talk's lists of
//! messages) in one pass when the text allows it, and every other text the slower way. The
//! same frame written so that each reading takes it must give the same frames out and the
//! same events, whatever a mutation put into it.
//!
//! Which reading a text takes is decided by the text, so one build drives both:
//! - TrueConf: a `payload` after the `method` is read with the frame; before it, on its own.
//! - tada: `params` after `event` is read in one pass; before it, as a tree first.
//! - Talk: a strict JSON body is read in one pass; one with a trailing comma (which the lenient
//!   reading accepts) message by message.
//!
//! Input: the first byte picks the protocol, the rest is one frame (or body) per line.

use super::{drain_transmits, limits, lines};
use chatwire::tada::{TadaConfig, TadaSession};
use chatwire::talk::{TalkConfig, TalkSession};
use chatwire::trueconf::{TrueConfConfig, TrueConfSession};
use chatwire::{Event, Header, HttpRequest, HttpResponse, Session, Timestamp, Transmit};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;

/// The members of a JSON object as written: repeated keys kept in order, each value's text
/// exactly as it came (white space, escapes, numbers), so only the members' order changes.
struct Members(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Each;
        impl<'de> Visitor<'de> for Each {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut out = Vec::new();
                while let Some(member) = map.next_entry::<String, Box<RawValue>>()? {
                    out.push(member);
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(Each)
    }
}

/// `text` written twice, the members named `key` last (the one-pass order) and first (the
/// slower one), the others in their order; `None` for text that is no strict JSON object.
fn both_orders(text: &str, key: &str) -> Option<(String, String)> {
    let Members(members) = serde_json::from_str(text).ok()?;
    let write = |last: bool| {
        let (keyed, rest): (Vec<_>, Vec<_>) = members.iter().partition(|(k, _)| k == key);
        let ordered = if last { [rest, keyed] } else { [keyed, rest] };
        let body: Vec<String> = ordered
            .iter()
            .flatten()
            .map(|(k, v)| {
                let k = serde_json::to_string(k).expect("a key serializes");
                format!("{k}:{}", v.get())
            })
            .collect();
        format!("{{{}}}", body.join(","))
    };
    Some((write(true), write(false)))
}

/// A strict JSON object body, and the same with a trailing comma after its last member;
/// `None` for anything else (an empty object has no member to put a comma after).
fn strict_and_lenient(body: &str) -> Option<(String, String)> {
    let Members(members) = serde_json::from_str(body).ok()?;
    if members.is_empty() {
        return None;
    }
    let trimmed = body.trim_end();
    let open = trimmed.strip_suffix('}')?;
    Some((body.to_string(), format!("{open},}}")))
}

/// serde's errors name where in the text they were found, which moves with the members'
/// order: ` at line L column C` is dropped before two readings' reasons are compared.
fn without_positions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(" at line ") {
        out.push_str(&rest[..at]);
        let after = &rest[at + " at line ".len()..];
        let digits = |s: &str| s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let line = digits(after);
        let tail = &after[line..];
        match tail.strip_prefix(" column ") {
            Some(column) if line > 0 && digits(column) > 0 => {
                rest = &column[digits(column)..];
            }
            _ => {
                out.push_str(" at line ");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// What a session sent after one step, and its events as text.
type Output = (Vec<Transmit>, String);

/// What one input did to a session: its frames or requests out, and its events, as text. An
/// event that keeps the whole input (a protocol error's text, an unknown frame's document)
/// differs between the two orders: the input in the events, as a string, as it came or as
/// a tree writes it, stands for itself, whichever it was.
fn output(s: &mut impl Session, fed: &str) -> Output {
    let transmits = drain_transmits(s);
    let events: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
    let mut events = serde_json::to_string(&events).expect("events serialize");
    if !fed.is_empty() {
        let quoted = serde_json::to_string(fed).expect("a text serializes");
        let tree = serde_json::from_str::<serde_json::Value>(fed).map(|v| v.to_string());
        for form in [Some(quoted), Some(fed.to_string()), tree.ok()]
            .into_iter()
            .flatten()
        {
            events = events.replace(&form, "\"<the input>\"");
        }
    }
    (transmits, without_positions(&events))
}

/// Where two texts first differ, with some of each around it: events of a whole page are
/// too long to compare by eye.
fn first_difference(a: &str, b: &str) -> String {
    let at = a
        .char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((i, _), _)| i);
    let around = |s: &str| {
        let start = s.floor_char_boundary(at.saturating_sub(150));
        let end = s.ceil_char_boundary((at + 150).min(s.len()));
        s[start..end].to_string()
    };
    format!(
        "at byte {at}:\n  one pass: …{}…\n  slower:   …{}…",
        around(a),
        around(b)
    )
}

/// The events as a JSON reader sees them, each `reason` left out: two readings that both
/// refuse a text may say why in other words (the first fault each met).
fn events_tree(events: &str) -> Option<serde_json::Value> {
    fn blank(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(r) = m.get_mut("reason") {
                    *r = serde_json::Value::Null;
                }
                m.values_mut().for_each(blank);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(blank),
            _ => {}
        }
    }
    let mut tree = serde_json::from_str(events).ok()?;
    blank(&mut tree);
    Some(tree)
}

/// After the same step, the two sessions must have said the same and sent the same.
fn check(what: &str, texts: (&str, &str), a: &Output, b: &Output) {
    // A raw text with a key twice is kept as sent by one reading and rewritten by a tree in
    // the other, which keeps the key once: the same document, as a JSON reader sees it.
    assert!(
        a.1 == b.1 || events_tree(&a.1).is_some_and(|x| events_tree(&b.1) == Some(x)),
        "{what}: the readings gave different events {}\none pass: {}\nslower:   {}",
        first_difference(&a.1, &b.1),
        texts.0,
        texts.1
    );
    assert!(
        a.0 == b.0,
        "{what}: the readings sent different frames: {:?} and {:?}\nevents: {}\none pass: {}\nslower:   {}",
        a.0,
        b.0,
        a.1,
        texts.0,
        texts.1
    );
}

/// The two sessions after the same step must have done the same.
fn same(fast: &mut impl Session, slow: &mut impl Session, what: &str, texts: (&str, &str)) {
    check(what, texts, &output(fast, texts.0), &output(slow, texts.1));
}

/// Two sessions made alike by `make`; one is fed the one-pass texts, the other the slower
/// ones: each frame written with the members named `key` last, and first. A send into `chat`
/// before every third frame leaves requests for the frames to answer.
fn frames_both_ways<S: Session>(
    make: impl Fn() -> S,
    frames: &[String],
    key: &str,
    chat: &str,
    what: &str,
) {
    let (mut fast, mut slow) = (make(), make());
    let mut now = Timestamp(1_000);
    for (i, frame) in frames.iter().enumerate() {
        now = Timestamp(now.0 + 10);
        if i % 3 == 0 {
            let a = fast.send_text(now, chat, "hello", None);
            let b = slow.send_text(now, chat, "hello", None);
            assert_eq!(a.is_ok(), b.is_ok());
            same(&mut fast, &mut slow, "a send", ("", ""));
        }
        let Some((one, other)) = both_orders(frame, key) else {
            continue;
        };
        fast.handle_frame(now, &one);
        slow.handle_frame(now, &other);
        same(&mut fast, &mut slow, what, (&one, &other));
    }
}

/// An authenticated TrueConf session, its events drained.
fn trueconf_session() -> TrueConfSession {
    let mut config = TrueConfConfig::new("jwt");
    config.limits = limits();
    let mut s = TrueConfSession::new(config);
    let now = Timestamp(1_000);
    s.handle_connected(now);
    let auth = drain_transmits(&mut s);
    let Some(Transmit::Frame { text }) = auth.first() else {
        panic!("no auth frame: {auth:?}");
    };
    let id = serde_json::from_str::<serde_json::Value>(text).expect("auth is JSON")["id"]
        .as_u64()
        .expect("auth has an id");
    s.handle_frame(
        now,
        &format!(r#"{{"type":2,"id":{id},"payload":{{"userId":"bot@x","connectionId":"c"}}}}"#),
    );
    drain_transmits(&mut s);
    std::iter::from_fn(|| s.poll_event()).for_each(drop);
    s
}

/// A connected tada session, its events drained.
fn tada_session() -> TadaSession {
    let mut config = TadaConfig::new("team-1", "token");
    config.limits = limits();
    config.seed = 7;
    let mut s = TadaSession::new(config);
    s.connect(Timestamp(1_000)).expect("connect");
    s.handle_connected(Timestamp(1_000));
    drain_transmits(&mut s);
    std::iter::from_fn(|| s.poll_event()).for_each(drop);
    s
}

fn talk(bodies: &[String]) {
    let make = || {
        let mut config = TalkConfig::new("alice", "pw");
        config.limits = limits();
        config.seed = 3;
        let mut s = TalkSession::new(config);
        s.join_room(Timestamp(0), "room-ab").expect("join");
        s
    };
    let (mut fast, mut slow) = (make(), make());
    let requests = |t: Vec<Transmit>| -> Vec<HttpRequest> {
        t.into_iter()
            .filter_map(|t| match t {
                Transmit::Http(r) => Some(r),
                _ => None,
            })
            .collect()
    };
    let mut waiting = requests(drain_transmits(&mut fast));
    assert_eq!(waiting, requests(drain_transmits(&mut slow)));
    let mut now = Timestamp(0);
    for (i, body) in bodies.iter().enumerate() {
        now = Timestamp(now.0 + 10);
        let Some((one, other)) = strict_and_lenient(body) else {
            continue;
        };
        if waiting.is_empty() {
            fast.handle_timeout(now);
            slow.handle_timeout(now);
            let (a, b) = (output(&mut fast, ""), output(&mut slow, ""));
            check("a timeout", ("", ""), &a, &b);
            waiting = requests(a.0);
            continue;
        }
        let request = waiting.remove(0);
        let answer = |body: &str| HttpResponse {
            status: 200,
            headers: vec![
                Header::new("X-Chat-Last-Given", (100 + i).to_string()),
                Header::new("X-Chat-Last-Common-Read", (90 + i).to_string()),
            ],
            body: body.to_string(),
        };
        fast.handle_http_response(now, request.id, answer(&one));
        slow.handle_http_response(now, request.id, answer(&other));
        let (a, b) = (output(&mut fast, &one), output(&mut slow, &other));
        check("a Talk answer", (&one, &other), &a, &b);
        waiting.extend(requests(a.0));
    }
}

/// The one-pass reading against the slower one, for the protocol the first byte picks.
pub fn one_pass(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let texts = lines(rest);
    match which % 3 {
        0 => frames_both_ways(
            trueconf_session,
            &texts,
            "payload",
            "chat-1",
            "a TrueConf frame",
        ),
        1 => frames_both_ways(tada_session, &texts, "params", "g-1", "a tada frame"),
        _ => talk(&texts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_dropped_and_nothing_else() {
        assert_eq!(
            without_positions("bad at line 1 column 57; at line x; at line 2 column"),
            "bad; at line x; at line 2 column"
        );
    }

    #[test]
    fn members_move_with_their_texts_as_written() {
        let (last, first) = both_orders(
            r#"{"params":{ "a" : 1.50 },"event":"x","params":2}"#,
            "params",
        )
        .unwrap();
        assert_eq!(last, r#"{"event":"x","params":{ "a" : 1.50 },"params":2}"#);
        assert_eq!(first, r#"{"params":{ "a" : 1.50 },"params":2,"event":"x"}"#);
        assert_eq!(both_orders("[1]", "params"), None);
        assert_eq!(
            strict_and_lenient("{\"a\":1} \n"),
            Some(("{\"a\":1} \n".into(), "{\"a\":1,}".into()))
        );
        assert_eq!(strict_and_lenient("{}"), None);
    }
}
