//! Thousands of mutated spec examples (values swapped for other JSON types, text cut and
//! spliced) never panic the decoder, the inspector or the session, and the session keeps working.

use crate::support::*;
use chatwire::internals::Rng;
use chatwire::tada::inspect_tada as inspect;
use chatwire::{Direction, Event, Session as _, Timestamp};
use serde_json::{json, Value};

fn replacements() -> Vec<Value> {
    vec![
        Value::Null,
        json!(0),
        json!(-1),
        json!(1e300),
        json!(i64::MAX),
        json!(u64::MAX),
        json!(""),
        json!("x"),
        json!([]),
        json!({}),
        json!(true),
        json!([null]),
        json!({"jid": 1}),
    ]
}

/// Replaces the `target`-th node (pre-order) of `v` with `with`; returns nodes visited.
fn replace_nth(v: &mut Value, target: &mut i64, with: &Value) {
    if *target == 0 {
        *v = with.clone();
        *target -= 1;
        return;
    }
    *target -= 1;
    match v {
        Value::Array(items) => items.iter_mut().for_each(|i| replace_nth(i, target, with)),
        Value::Object(map) => map.values_mut().for_each(|i| replace_nth(i, target, with)),
        _ => {}
    }
}

fn count(v: &Value) -> i64 {
    1 + match v {
        Value::Array(items) => items.iter().map(count).sum(),
        Value::Object(map) => map.values().map(count).sum(),
        _ => 0,
    }
}

#[test]
fn mutated_examples_never_panic_and_the_session_recovers() {
    let mut rng = Rng::new(2024);
    let examples: Vec<Value> = spec_examples()
        .into_iter()
        .map(|(_, t)| serde_json::from_str(&t).unwrap())
        .collect();
    let repl = replacements();
    let mut s = connected();
    let mut frames = 0;
    for round in 0..60 {
        for example in &examples {
            let mut v = example.clone();
            let nodes = count(&v);
            for _ in 0..=(round % 3) {
                let mut target = rng.below(nodes as u64) as i64;
                let with = &repl[rng.below(repl.len() as u64) as usize];
                replace_nth(&mut v, &mut target, with);
            }
            let mut text = v.to_string();
            if round % 4 == 3 {
                // Cut and splice at char boundaries.
                let chars: Vec<char> = text.chars().collect();
                let a = rng.below(chars.len() as u64) as usize;
                let b = rng.below(chars.len() as u64) as usize;
                let (lo, hi) = (a.min(b), a.max(b));
                text = chars[..lo].iter().chain(chars[hi..].iter()).collect();
            }
            let _ = inspect(&text, Direction::In);
            let _ = inspect(&text, Direction::Out);
            s.handle_frame(Timestamp(round), &text);
            frames += 1;
        }
        drain_frames_lenient(&mut s);
        drain_events(&mut s);
    }
    assert!(frames > 2000);
    // Still working.
    s.handle_frame(
        Timestamp(100),
        &messages_updated(vec![message("fresh", "g-1", "d-2", "ok", i64::MAX)], None),
    );
    assert!(drain_events(&mut s)
        .iter()
        .any(|e| matches!(e, Event::MessageReceived { message } if message.id == "fresh")));
}

fn drain_frames_lenient(s: &mut chatwire::tada::TadaSession) {
    while s.poll_transmit().is_some() {}
}
