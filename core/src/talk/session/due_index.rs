//! The indexes that spare each input a walk of every room and command (rooms due for a poll,
//! commands waiting for capabilities, sends by referenceId) always say what the walks they
//! replace would: checked after every step of a long random run over many rooms, on a virtual
//! clock.

use super::*;
use crate::session::Session as _;
use crate::transmit::{Header, HttpRequest};
use std::collections::BTreeMap;

/// What `poll_timeout` was when it walked every room.
fn walked_timeout(s: &TalkSession) -> Option<Timestamp> {
    let commands = s.commands.next_deadline().filter(|t| *t != NEVER);
    let rooms = s
        .rooms
        .values()
        .filter(|r| r.in_flight.is_none())
        .filter_map(|r| r.next_poll_at())
        .min();
    let caps = s
        .caps_loop
        .next_at
        .filter(|_| s.caps_loop.in_flight.is_none() && s.capabilities.is_none());
    let list = s
        .room_list
        .as_ref()
        .filter(|l| l.poller.in_flight.is_none())
        .and_then(|l| l.poller.next_at);
    [s.exchanges.next_deadline(), commands, rooms, caps, list]
        .into_iter()
        .flatten()
        .min()
}

fn check(s: &TalkSession, step: u32) {
    let walked: BTreeSet<(Timestamp, String)> = s
        .rooms
        .iter()
        .filter_map(|(token, r)| Some((r.next_poll_at()?, token.clone())))
        .collect();
    let indexed: BTreeSet<(Timestamp, String)> = s.due_rooms.entries().cloned().collect();
    assert_eq!(indexed, walked, "step {step}: rooms due");
    for (token, r) in &s.rooms {
        assert!(
            r.in_flight.is_none() || r.next_poll_at().is_none(),
            "step {step}: {token} is in flight and waiting for a time"
        );
    }
    assert_eq!(
        s.poll_timeout(),
        walked_timeout(s),
        "step {step}: poll_timeout"
    );
    let needing: Vec<RequestId> = s
        .commands
        .iter()
        .filter(|(_, p)| p.value.state == CommandState::NeedsCapabilities)
        .map(|(id, _)| id)
        .collect();
    let awaiting: Vec<RequestId> = s.awaiting_caps.iter().copied().collect();
    assert_eq!(
        awaiting, needing,
        "step {step}: commands awaiting capabilities"
    );
    let sends: BTreeMap<String, RequestId> = s
        .commands
        .iter()
        .filter_map(|(id, p)| match &p.value.kind {
            CommandKind::Send(o) => Some((o.reference_id.clone(), id)),
            _ => None,
        })
        .collect();
    let indexed: BTreeMap<String, RequestId> = s
        .by_reference
        .iter()
        .map(|(r, id)| (r.clone(), *id))
        .collect();
    assert_eq!(indexed, sends, "step {step}: sends by referenceId");
}

fn body(data: Value) -> String {
    serde_json::json!({"ocs": {"meta": {"status": "ok", "statuscode": 200}, "data": data}})
        .to_string()
}

/// A random answer to `req`: a page (now and then with the echo of a send), nothing new, a
/// failure of the server or the network, a rate limit, a room gone.
fn answer(rng: &mut Rng, req: &HttpRequest, next_id: &mut i64, refs: &[String]) -> HttpResponse {
    let token = req
        .path
        .split("/chat/")
        .nth(1)
        .and_then(|rest| rest.split(['?', '/']).next())
        .unwrap_or("r0")
        .to_string();
    let mut headers = Vec::new();
    let (status, body) = match rng.below(10) {
        0..=4 => {
            *next_id += 1;
            let mut m = serde_json::json!({"id": *next_id, "token": token, "actorType": "users",
                "actorId": if rng.below(3) == 0 { "alice" } else { "bob" }, "message": "m",
                "messageType": "comment", "timestamp": 1});
            if !refs.is_empty() && rng.below(2) == 0 {
                m["referenceId"] = refs[rng.below(refs.len() as u64) as usize].clone().into();
            }
            headers.push(Header::new("X-Chat-Last-Given", next_id.to_string()));
            let status = if req.method == "POST" { 201 } else { 200 };
            let data = if req.method == "POST" {
                m
            } else {
                Value::Array(vec![m])
            };
            (status, body(data))
        }
        5 => (304, String::new()),
        6 => (0, String::new()),
        7 => {
            headers.push(Header::new("Retry-After", rng.below(5).to_string()));
            (429, String::new())
        }
        8 => (503, String::new()),
        _ if rng.below(4) == 0 => (404, String::new()),
        _ => (500, String::new()),
    };
    HttpResponse {
        status,
        headers,
        body,
    }
}

#[test]
fn indexes_match_a_walk_over_a_long_random_run() {
    let mut config = TalkConfig::new("alice", "secret");
    config.seed = 7;
    config.backoff_base = Duration::from_millis(200);
    let mut s = TalkSession::new(config.clone());
    let mut rng = Rng::new(99);
    let mut now = 0u64;
    let mut next_id = 100i64;
    let mut outstanding: Vec<HttpRequest> = Vec::new();
    let room = |rng: &mut Rng| format!("r{}", rng.below(40));
    for step in 0..6_000u32 {
        let t = Timestamp(now);
        if step % 1_000 == 999 {
            // The process dies: what was in flight is lost, the rooms resume from the snapshot.
            s = TalkSession::restore(config.clone(), s.snapshot());
            outstanding.clear();
            check(&s, step);
        }
        match rng.below(12) {
            0 | 1 => {
                let _ = s.join_room(t, &room(&mut rng));
            }
            2 => {
                s.leave_room(&room(&mut rng));
            }
            3 => {
                let _ = s.send_message(t, &room(&mut rng), "hi", None, false);
            }
            4 => {
                let _ = s.load_older(t, &room(&mut rng), 10);
            }
            5 => {
                let _ = s.edit_message(t, &room(&mut rng), 5, "edited");
            }
            6 => {
                let _ = s.mark_read_up_to(t, &room(&mut rng), next_id);
            }
            7 => {
                now += rng.below(3_000);
                s.handle_timeout(Timestamp(now));
            }
            8 if step % 500 == 0 => s.watch_rooms(t),
            _ if !outstanding.is_empty() => {
                let req = outstanding.swap_remove(rng.below(outstanding.len() as u64) as usize);
                let refs: Vec<String> = s.by_reference.keys().cloned().collect();
                let response = answer(&mut rng, &req, &mut next_id, &refs);
                now += rng.below(50);
                s.handle_http_response(Timestamp(now), req.id, response);
            }
            _ => {}
        }
        while let Some(out) = s.poll_transmit() {
            if let Transmit::Http(req) = out {
                outstanding.push(req);
            }
        }
        while s.poll_event().is_some() {}
        check(&s, step);
    }
    assert!(s.rooms.len() > 5, "the run kept rooms joined");
}
