//! Thousands of corrupted spec frames: no panic, no stuck state, the session keeps working.
use crate::support::{examples, Harness};
use chatwire::internals::Rng;
use chatwire::Event;
use serde_json::json;

/// Corrupts `text` the way networks and buggy servers do: flipped, dropped, duplicated and
/// inserted characters, truncation.
fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..=rng.below(4) {
        if chars.is_empty() {
            break;
        }
        let at = rng.below(chars.len() as u64) as usize;
        match rng.below(5) {
            0 => chars[at] = ['{', '}', '"', ',', ':', '1', 'x', '\\', ']'][rng.below(9) as usize],
            1 => {
                chars.remove(at);
            }
            2 => chars.insert(at, chars[at]),
            3 => chars.truncate(at),
            _ => chars.insert(at, char::from_u32(rng.below(0x3000) as u32).unwrap_or('?')),
        }
    }
    chars.into_iter().collect()
}

#[test]
fn mutated_spec_frames_never_panic_and_never_wedge_the_session() {
    let corpus: Vec<String> = examples().into_iter().map(|e| e.text).collect();
    let mut rng = Rng::new(0x7255_ec0f);
    let mut h = Harness::ready();
    let mut outcomes = [0usize; 2];
    for round in 0..3000 {
        let frame = mutate(&corpus[round % corpus.len()], &mut rng);
        let (frames, events) = h.feed_text(&frame);
        for f in &frames {
            // Only acks may come out of an incoming frame, and they have the exact shape.
            assert_eq!(f.as_object().map(|o| o.len()), Some(2), "{f}");
            assert_eq!(f["type"], 2);
        }
        let errored = events
            .iter()
            .any(|e| matches!(e, Event::ProtocolError { .. }));
        outcomes[errored as usize] += 1;
    }
    assert!(
        outcomes[1] > 500,
        "most corruptions are noticed: {outcomes:?}"
    );
    // Still authenticated and matching responses.
    let id = h.s.get_chats(h.now, 1, 1).unwrap();
    h.drain();
    let (_, events) = h.feed(json!({"type":2,"id":id.0,"payload":[]}));
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Response { request, reply: _ } if *request == id)));
}
