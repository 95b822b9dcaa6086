//! After a drop the client reconnects with jittered backoff, re-authenticates, replays what is safe
//! and reports writes that may have arrived instead of resending them.
use crate::support::{poll_once, ready_client, Op};
use chatwire::{ClientConfig, Delivery, Error, Reply};
use serde_json::json;
use std::task::Poll;
use std::time::Duration;

fn config() -> ClientConfig {
    ClientConfig {
        backoff_base: Duration::from_millis(1000),
        backoff_max: Duration::from_secs(8),
        ..Default::default()
    }
}

#[test]
fn reads_are_replayed_writes_that_may_have_arrived_are_reported() {
    let (client, host) = ready_client(config());
    let write = client.call(|s, now| s.send_message(now, "c", "hi", None, None));
    let read = client.call(|s, now| s.get_chats(now, 10, 1));
    futures::pin_mut!(write, read);
    assert!(poll_once(write.as_mut()).is_pending());
    assert!(poll_once(read.as_mut()).is_pending());
    assert_eq!(host.frames().len(), 2, "both left");

    client.handle_closed("network down");
    assert_eq!(
        poll_once(write.as_mut()),
        Poll::Ready(Err(Error::Disconnected {
            delivery: Delivery::MaybeDelivered
        })),
        "a write that may have arrived is never resent blindly"
    );
    assert!(
        poll_once(read.as_mut()).is_pending(),
        "the read waits for the reconnect"
    );

    // Backoff: the first reconnect is due within [base/2, base].
    let ops = host.take();
    let due = ops
        .iter()
        .rev()
        .find_map(|o| match o {
            Op::Timer(Some(t)) => Some(*t),
            _ => None,
        })
        .unwrap();
    assert!((1_500..=2_000).contains(&due), "reconnect due at {due}");
    host.advance(due - 1_000);
    client.handle_timeout();
    assert_eq!(
        host.take().first(),
        Some(&Op::Connect("/websocket/chat_bot/".into()))
    );

    client.handle_connected();
    let frames = host.frames();
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0]["method"], "auth", "re-authenticates first");
    client.handle_frame(
        &json!({"type":2,"id":frames[0]["id"],"payload":{"userId":"bot@x"}}).to_string(),
    );
    let frames = host.frames();
    assert_eq!(frames.len(), 1);
    assert_eq!(
        frames[0]["method"], "getChats",
        "the read is replayed after auth"
    );
    client.handle_frame(&json!({"type":2,"id":frames[0]["id"],"payload":[]}).to_string());
    assert_eq!(
        poll_once(read.as_mut()),
        Poll::Ready(Ok(Reply::Chats { chats: vec![] }))
    );
}

#[test]
fn backoff_grows_while_reconnects_fail() {
    let (client, host) = ready_client(config());
    let mut dues = Vec::new();
    for _ in 0..5 {
        client.handle_closed("refused");
        let due = host
            .take()
            .iter()
            .rev()
            .find_map(|o| match o {
                Op::Timer(Some(t)) => Some(*t),
                _ => None,
            })
            .unwrap();
        let now = host.clock.load(std::sync::atomic::Ordering::SeqCst);
        dues.push(due - now);
        host.advance(due - now);
        client.handle_timeout();
        host.take();
    }
    let caps = [1_000, 2_000, 4_000, 8_000, 8_000];
    for (d, cap) in dues.iter().zip(caps) {
        assert!(*d >= cap / 2 && *d <= cap, "delays {dues:?}");
    }
}

#[test]
fn close_stops_reconnecting() {
    let (client, host) = ready_client(config());
    client.close();
    assert!(host.take().contains(&Op::Close("closed by the app".into())));
    client.handle_closed("closed");
    assert_eq!(client.poll_timeout(), None, "no reconnect scheduled");
}

#[test]
fn a_replay_waiting_for_a_server_that_never_returns_still_resolves() {
    let config = ClientConfig {
        replay_timeout: Duration::from_secs(20),
        ..config()
    };
    let (client, host) = ready_client(config);
    let read = client.call(|s, now| s.get_chats(now, 10, 1));
    futures::pin_mut!(read);
    assert!(poll_once(read.as_mut()).is_pending());
    host.take();
    client.handle_closed("gone");
    // Every reconnect attempt fails.
    for _ in 0..40 {
        let now = host.clock.load(std::sync::atomic::Ordering::SeqCst);
        let due = client.poll_timeout().expect("something is always due");
        host.advance(due.0.saturating_sub(now));
        client.handle_timeout();
        if host.take().iter().any(|o| matches!(o, Op::Connect(_))) {
            client.handle_closed("refused");
        }
        if let Poll::Ready(r) = poll_once(read.as_mut()) {
            assert_eq!(
                r,
                Err(Error::Disconnected {
                    delivery: Delivery::MaybeDelivered
                })
            );
            let waited = host.clock.load(std::sync::atomic::Ordering::SeqCst) - 1_000;
            assert!(
                (20_000..=28_000).contains(&waited),
                "gave up after {waited} ms"
            );
            return;
        }
    }
    panic!("the call never resolved");
}

#[test]
fn a_call_made_while_others_wait_for_the_reconnect_does_not_overtake_them() {
    let (client, host) = ready_client(config());
    client.handle_closed("down"); // now waiting to reconnect
    host.take();
    // The first write never left (not connected): it waits for the reconnect…
    let first = client.call(|s, now| s.send_message(now, "c", "first", None, None));
    futures::pin_mut!(first);
    assert!(poll_once(first.as_mut()).is_pending());
    client.handle_closed("still down"); // …and is cut off unsent, so it is parked
    let second = client.call(|s, now| s.send_message(now, "c", "second", None, None));
    futures::pin_mut!(second);
    assert!(poll_once(second.as_mut()).is_pending());
    host.take();
    client.connect().unwrap();
    client.handle_connected();
    let auth = host.frames().remove(0);
    client
        .handle_frame(&json!({"type":2,"id":auth["id"],"payload":{"userId":"bot@x"}}).to_string());
    let texts: Vec<_> = host
        .frames()
        .iter()
        .map(|f| f["payload"]["content"]["text"].clone())
        .collect();
    assert_eq!(texts, [json!("first"), json!("second")]);
}

#[test]
fn a_server_that_accepts_and_drops_gets_a_growing_backoff() {
    let (client, host) = ready_client(config());
    let mut delays = Vec::new();
    for _ in 0..4 {
        client.handle_closed("dropped right after auth");
        let now = host.clock.load(std::sync::atomic::Ordering::SeqCst);
        let due = client.poll_timeout().unwrap().0;
        delays.push(due - now);
        host.advance(due - now);
        client.handle_timeout();
        client.handle_connected();
        let auth = host
            .frames()
            .into_iter()
            .find(|f| f["method"] == "auth")
            .unwrap();
        client.handle_frame(
            &json!({"type":2,"id":auth["id"],"payload":{"userId":"bot@x"}}).to_string(),
        );
        host.take();
    }
    assert!(delays[3] >= 4_000, "backoff kept growing: {delays:?}");
}
