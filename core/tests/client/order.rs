//! Sends are transmitted in the order they were issued, whichever clone issued them, whether
//! the client is connected or still authenticating, and across threads.
use crate::support::TcHost;
use chatwire::{ClientConfig, Timestamp};
use serde_json::Value;
use std::sync::mpsc;

fn texts(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .filter(|f| f["method"] == "sendMessage")
        .map(|f| {
            f["payload"]["content"]["text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

fn expected(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("m{i}")).collect()
}

#[test]
fn sends_from_several_clones_go_out_in_issue_order() {
    let mut host = TcHost::trueconf(ClientConfig::default());
    let clones = [
        host.client.clone(),
        host.client.clone(),
        host.client.clone(),
    ];
    let mut calls = Vec::new();
    for i in 0..30 {
        calls.push(clones[i % 3].send_text(host.at(), "c", &format!("m{i}"), None));
        // The host takes output now and then, as output_ready wakes it.
        if i % 7 == 6 {
            host.poll();
        }
    }
    host.poll();
    assert_eq!(texts(&host.sent()), expected(30));
}

#[test]
fn sends_issued_while_authenticating_go_out_in_order_after_auth() {
    let mut host = TcHost::trueconf_idle(ClientConfig::default());
    host.connect();
    let clones = [host.client.clone(), host.client.clone()];
    let mut calls = Vec::new();
    for i in 0..10 {
        calls.push(clones[i % 2].send_text(host.at(), "c", &format!("m{i}"), None));
    }
    host.poll();
    host.connected();
    let frames = host.sent();
    assert_eq!(frames.len(), 1, "only auth before it is answered");
    host.answer(&frames[0], serde_json::json!({"userId":"bot@x"}));
    assert_eq!(texts(&host.sent()), expected(10));
}

#[test]
fn sends_handed_between_threads_go_out_in_order() {
    let mut host = TcHost::trueconf(ClientConfig::default());
    let now = host.at();
    // Two threads take turns: each send happens after the previous one, on the other thread.
    let (to_b, b_turn) = mpsc::channel::<usize>();
    let (to_a, a_turn) = mpsc::channel::<usize>();
    let (a, b) = (host.client.clone(), host.client.clone());
    let n = 40;
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut i = 0;
            while i < n {
                // Dropping the call only stops listening: the send stays queued.
                drop(a.send_text(now, "c", &format!("m{i}"), None));
                to_b.send(i + 1).unwrap();
                i = match a_turn.recv() {
                    Ok(next) => next,
                    Err(_) => break,
                };
            }
        });
        scope.spawn(move || {
            while let Ok(i) = b_turn.recv() {
                if i >= n {
                    break;
                }
                drop(b.send_text(Timestamp(now.0), "c", &format!("m{i}"), None));
                if to_a.send(i + 1).is_err() || i + 1 >= n {
                    break;
                }
            }
        });
    });
    host.poll();
    assert_eq!(texts(&host.sent()), expected(n));
}
