//! A poll answer's messages are read in one pass with the body; an answer that is not strict
//! JSON (here: a trailing comma) takes the slower reading, message by message. Both must give
//! the same events and requests, whatever the messages hold.

use crate::json_values::{object, KINDS};
use crate::support::*;
use chatwire::{Event, HttpResponse, Session as _};

/// The fields a message is sent with, in order.
const SENT: &[&str] = &[
    "id",
    "token",
    "actorType",
    "actorId",
    "actorDisplayName",
    "timestamp",
    "message",
    "messageParameters",
    "systemMessage",
    "messageType",
    "isReplyable",
    "referenceId",
];

/// The fields of a message, in order, each as its text.
fn fields(id: i64) -> Vec<(&'static str, String)> {
    let m = message(id, "bob", "hi \"there\" {file}");
    let mut out: Vec<(&'static str, String)> =
        SENT.iter().map(|&k| (k, m[k].to_string())).collect();
    out[7].1 = r#"{"file":{"type":"file","id":"12","name":"a.txt","size":3}}"#.into();
    out
}

/// The lists of messages to try: every kind of value in every field (a parent's too), a bad
/// message among good ones, a repeated field, items that are no object, white space.
fn lists() -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut id = 100;
    let mut next = || {
        id += 1;
        id
    };
    let optional = ["parent", "lastEditTimestamp", "deleted"];
    for &key in SENT.iter().chain(&optional) {
        for v in KINDS {
            let mut m = fields(next());
            match m.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = v.to_string(),
                None => m.push((key, v.to_string())),
            }
            out.push(vec![object(&m), object(&fields(next()))]);
        }
    }
    for v in KINDS {
        let parent = object(&fields(next()))
            .replace("\"message\":", &format!("\"deleted\":{v},\"message\":"));
        let mut m = fields(next());
        m[8].1 = "\"message_edited\"".into();
        m.push(("parent", parent));
        out.push(vec![object(&m)]);
        out.push(vec![v.to_string(), object(&fields(next()))]);
    }
    // Numbers a tree of the whole body would rewrite (a float it reads inexactly) or refuse
    // (past `f64`'s range): each message is still read on its own, as sent.
    for (key, number) in [("timestamp", "1e999"), ("messageParameters", "21e300")] {
        let mut m = fields(next());
        if let Some(slot) = m.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = number.to_string();
        }
        out.push(vec![object(&m), object(&fields(next()))]);
    }
    let mut repeated = fields(next());
    repeated.push(("message", "\"again\"".into()));
    out.push(vec![object(&repeated)]);
    out.push(vec![object(&fields(next()))
        .replace(',', " ,\n ")
        .replace(':', " : ")]);
    out.push(vec![
        object(&fields(next())).replace("\"actorId\"", "\"actor\\u0049d\"")
    ]);
    out.push(Vec::new());
    out
}

fn answer(items: &[String], trailing_comma: bool, last: i64) -> HttpResponse {
    let comma = if trailing_comma { "," } else { "" };
    HttpResponse {
        status: 200,
        headers: vec![chatwire::Header::new("X-Chat-Last-Given", last.to_string())],
        body: format!(
            r#"{{"ocs":{{"meta":{{"status":"ok","statuscode":200,"message":""}},"data":[{}]}}{comma}}}"#,
            items.join(",")
        ),
    }
}

/// Two live rooms answered the same poll, one in strict JSON (read in one pass), one with a
/// trailing comma (read leniently, message by message), report the same events and send the
/// same next requests; each list on rooms of its own, so no cursor a list moved hides the next.
#[test]
fn a_poll_read_in_one_pass_gives_what_the_slower_reading_gives() {
    for (i, items) in lists().iter().enumerate() {
        let (mut fast, mut slow) = (talk(), talk());
        let (fast_poll, slow_poll) = (
            join_live(&mut fast, at(0), 100),
            join_live(&mut slow, at(0), 100),
        );
        let now = at(10 + i as u64);
        fast.handle_http_response(now, fast_poll.id, answer(items, false, 1000));
        slow.handle_http_response(now, slow_poll.id, answer(items, true, 1000));
        // A protocol error quotes the body, which differs by its comma: its reason must match.
        let seen = |events: Vec<Event>| -> Vec<String> {
            events
                .into_iter()
                .map(|e| match e {
                    Event::ProtocolError { raw, reason } if raw.starts_with("{\"ocs\"") => reason,
                    other => format!("{other:?}"),
                })
                .collect()
        };
        assert_eq!(
            seen(all_events(&mut fast)),
            seen(all_events(&mut slow)),
            "{items:?}"
        );
        let shape = |r: Vec<chatwire::HttpRequest>| -> Vec<String> {
            r.iter()
                .map(|r| format!("{} {:?}", r.path, r.body))
                .collect()
        };
        assert_eq!(
            shape(requests(&mut fast)),
            shape(requests(&mut slow)),
            "{items:?}"
        );
    }
}
