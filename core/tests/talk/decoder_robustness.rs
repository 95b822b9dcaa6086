//! Mangled answers (truncated, bytes flipped, wrong shapes) never panic and never stop the loop:
//! a seeded generator makes the same thousands of cases on every run.

use crate::support::*;
use chatwire::internals::Rng;
use chatwire::{HttpResponse, Session as _};
use serde_json::json;

fn mangle(rng: &mut Rng, valid: &str) -> String {
    let mut bytes = valid.as_bytes().to_vec();
    match rng.below(4) {
        0 => bytes.truncate(rng.below(bytes.len() as u64) as usize),
        1 => {
            for _ in 0..=rng.below(8) {
                let i = rng.below(bytes.len() as u64) as usize;
                const JUNK: &[u8] = b"{}[]\",:0a-\\ \x00";
                bytes[i] = JUNK[rng.below(JUNK.len() as u64) as usize];
            }
        }
        2 => {
            let i = rng.below(bytes.len() as u64) as usize;
            bytes.drain(i..(i + rng.below(40) as usize).min(bytes.len()));
        }
        _ => {
            let i = rng.below(bytes.len() as u64) as usize;
            let len = rng.below(20) as usize;
            let junk = rng.alphanumeric(len);
            bytes.splice(i..i, junk.bytes());
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn mangled_bodies_never_panic_and_the_loop_goes_on() {
    let mut parent = message(3, "bob", "q");
    parent["deleted"] = json!(true);
    let mut reply = message(9, "bob", "re {mention-user1}");
    reply["parent"] = parent;
    reply["messageParameters"] = json!({"mention-user1": {"type": "user", "id": "a", "name": "A"}});
    let valid = page(vec![message(8, "bob", "x"), reply], 9).body;

    let mut rng = Rng::new(7);
    let mut s = talk();
    let mut poll = join_live(&mut s, at(0), 7);
    let mut now = at(0);
    for _ in 0..2000 {
        let status = [200, 200, 200, 201, 304, 404, 0, 500][rng.below(8) as usize];
        let response = HttpResponse {
            status,
            headers: vec![chatwire::Header::new(
                "X-Chat-Last-Given",
                rng.below(1000).to_string(),
            )],
            body: mangle(&mut rng, &valid),
        };
        s.handle_http_response(now, poll.id, response);
        events(&mut s);
        if s.joined_rooms().count() == 0 {
            s.join_room(now, ROOM).unwrap();
        }
        // Wait for the loop's next request, whatever happened.
        let mut next = requests(&mut s);
        while next.is_empty() {
            now = s.poll_timeout().expect("the loop always has something due");
            s.handle_timeout(now);
            next = requests(&mut s);
        }
        assert_eq!(next.len(), 1);
        poll = next.remove(0);
    }
}
