//! Issue 8 §1.3: two threads issue commands and inputs at once. The old façade armed the timer
//! after releasing its lock, so an older deadline could overwrite a newer one (153 of 20 000
//! trials left no timer while a request was pending). Outputs applied by highest `sequence`
//! always leave the client's real deadline armed. (A host that applies every output's timeout
//! regardless of `sequence` fails this test within a few hundred rounds.)
use crate::support::{TcHost, Timer};
use chatwire::{ClientConfig, Output, Timestamp, Transmit};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Barrier, Mutex};
use std::time::Duration;

const ROUNDS: u64 = 2_000;

#[test]
fn the_newest_timeout_is_the_real_deadline_under_concurrent_use() {
    let host = TcHost::trueconf(ClientConfig::default());
    let client = host.client.clone();
    let timer = Mutex::new(Timer::default());
    // Request ids the server has not answered yet, oldest first.
    let unanswered: Mutex<VecDeque<Value>> = Mutex::new(VecDeque::new());
    let barrier = Barrier::new(2);
    let failures: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let at = |round: u64| Timestamp(2_000 + round * 10);
    let apply = |out: &Output| timer.lock().unwrap().apply(out);

    std::thread::scope(|scope| {
        // Issues a request per round and performs its output, then checks the armed timer.
        scope.spawn(|| {
            for round in 0..ROUNDS {
                barrier.wait();
                let _call = client.call(at(round), |s, now| s.get_chats(now, 10, 1));
                let out = client.poll_output();
                for t in &out.transmits {
                    if let Transmit::Frame { text } = t {
                        let v: Value = serde_json::from_str(text).unwrap();
                        unanswered.lock().unwrap().push_back(v["id"].clone());
                        // Writing to the socket takes a while: the server may answer (on the
                        // other thread) before this output's timer is armed.
                        std::thread::sleep(Duration::from_micros(20));
                    }
                }
                apply(&out);
                barrier.wait();
                // Both threads are done with this round: compare with the real deadline.
                // (No panic here: the other thread would wait at the barrier forever.)
                let real = client.poll_output();
                let armed = timer.lock().unwrap().deadline();
                if real.timeout.is_none() || armed != real.timeout {
                    failures.lock().unwrap().push(format!(
                        "round {round}: armed {armed:?}, deadline {:?}",
                        real.timeout
                    ));
                }
                apply(&real);
            }
        });
        // Answers the oldest request but one (so one stays pending): the deadline moves with
        // every answer; fires the timer when there is nothing to answer.
        scope.spawn(|| {
            for round in 0..ROUNDS {
                barrier.wait();
                let oldest = {
                    let mut q = unanswered.lock().unwrap();
                    if q.len() > 1 {
                        q.pop_front()
                    } else {
                        None
                    }
                };
                let out = match oldest {
                    Some(id) => client.handle_frame(
                        at(round),
                        &json!({"type":2,"id":id,"payload":[]}).to_string(),
                    ),
                    None => client.handle_timeout(at(round)),
                };
                apply(&out);
                barrier.wait();
            }
        });
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {ROUNDS} rounds ended with a lost or stale timer: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
}
