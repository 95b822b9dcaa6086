//! After a drop the client reconnects with jittered backoff, re-authenticates, replays what is safe
//! and reports writes that may have arrived instead of resending them.
use crate::support::{has_connect, poll_once, Op, TcHost};
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

/// `n` drops, each followed at once by a reconnect that authenticates: the backoff grows.
fn flap(host: &mut TcHost, n: usize) {
    for _ in 0..n {
        host.closed("flaky");
        host.fire();
        host.connected();
        host.authenticate();
        host.take();
    }
}

#[test]
fn reads_are_replayed_writes_that_may_have_arrived_are_reported() {
    let mut host = TcHost::trueconf(config());
    let now = host.at();
    let write = host
        .client
        .call(now, |s, now| s.send_message(now, "c", "hi", None, None));
    let read = host.client.call(now, |s, now| s.get_chats(now, 10, 1));
    futures::pin_mut!(write, read);
    host.poll();
    assert!(poll_once(write.as_mut()).is_pending());
    assert!(poll_once(read.as_mut()).is_pending());
    assert_eq!(host.sent().len(), 2, "both left");

    host.closed("network down");
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
    let due = host.due();
    assert!((1_500..=2_000).contains(&due), "reconnect due at {due}");
    host.take();
    host.fire();
    assert_eq!(
        host.take().first(),
        Some(&Op::Connect("/websocket/chat_bot/".into()))
    );

    host.connected();
    let frames = host.sent();
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0]["method"], "auth", "re-authenticates first");
    host.answer(&frames[0], json!({"userId":"bot@x"}));
    let frames = host.sent();
    assert_eq!(frames.len(), 1);
    assert_eq!(
        frames[0]["method"], "getChats",
        "the read is replayed after auth"
    );
    host.answer(&frames[0], json!([]));
    assert_eq!(
        poll_once(read.as_mut()),
        Poll::Ready(Ok(Reply::Chats { chats: vec![] }))
    );
}

#[test]
fn backoff_grows_while_reconnects_fail() {
    let mut host = TcHost::trueconf(config());
    let mut dues = Vec::new();
    for _ in 0..5 {
        host.closed("refused");
        dues.push(host.due() - host.now);
        host.fire();
        assert!(has_connect(&host.take()), "the reconnect went out");
    }
    let caps = [1_000, 2_000, 4_000, 8_000, 8_000];
    for (d, cap) in dues.iter().zip(caps) {
        assert!(*d >= cap / 2 && *d <= cap, "delays {dues:?}");
    }
}

#[test]
fn close_stops_reconnecting() {
    let mut host = TcHost::trueconf(config());
    host.close();
    assert!(host.take().contains(&Op::Close("closed by the app".into())));
    let out = host.closed("closed");
    assert_eq!(out.timeout, None, "no reconnect scheduled");
    assert_eq!(host.timer.deadline(), None);
}

#[test]
fn a_replay_waiting_for_a_server_that_never_returns_still_resolves() {
    let config = ClientConfig {
        replay_timeout: Duration::from_secs(20),
        ..config()
    };
    let mut host = TcHost::trueconf(config);
    let read = host
        .client
        .call(host.at(), |s, now| s.get_chats(now, 10, 1));
    futures::pin_mut!(read);
    host.poll();
    assert!(poll_once(read.as_mut()).is_pending());
    host.take();
    host.closed("gone");
    // Every reconnect attempt fails.
    for _ in 0..40 {
        host.fire();
        if has_connect(&host.take()) {
            host.connect_failed("refused", false);
        }
        if let Poll::Ready(r) = poll_once(read.as_mut()) {
            assert_eq!(
                r,
                Err(Error::Disconnected {
                    delivery: Delivery::MaybeDelivered
                })
            );
            let waited = host.now - 1_000;
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
    let mut host = TcHost::trueconf(config());
    host.closed("down"); // now waiting to reconnect
    host.take();
    let now = host.at();
    // The first write never left (not connected): it waits for the reconnect…
    let first = host
        .client
        .call(now, |s, now| s.send_message(now, "c", "first", None, None));
    futures::pin_mut!(first);
    host.poll();
    assert!(poll_once(first.as_mut()).is_pending());
    host.closed("still down"); // …and is cut off unsent, so it is parked
    let second = host
        .client
        .call(now, |s, now| s.send_message(now, "c", "second", None, None));
    futures::pin_mut!(second);
    host.poll();
    assert!(poll_once(second.as_mut()).is_pending());
    host.take();
    host.connect();
    host.connected();
    host.authenticate();
    let texts: Vec<_> = host
        .sent()
        .iter()
        .map(|f| f["payload"]["content"]["text"].clone())
        .collect();
    assert_eq!(texts, [json!("first"), json!("second")]);
}

#[test]
fn a_server_that_accepts_and_drops_gets_a_growing_backoff() {
    let mut host = TcHost::trueconf(config());
    let mut delays = Vec::new();
    for _ in 0..4 {
        host.closed("dropped right after auth");
        delays.push(host.due() - host.now);
        host.fire();
        host.connected();
        host.authenticate();
        host.take();
    }
    assert!(delays[3] >= 4_000, "backoff kept growing: {delays:?}");
}

#[test]
fn a_connection_that_lasted_reconnects_at_the_base_delay_again() {
    let mut host = TcHost::trueconf(config());
    // Two quick drops grow the backoff …
    flap(&mut host, 2);
    // … a connection that lasted past `stable_after` earns a fresh one: a flaky network must
    // not leave a working server unreached for the maximum delay.
    host.advance(ClientConfig::default().stable_after.as_millis() as u64);
    host.closed("flaky again");
    let delay = host.due() - host.now;
    assert!(delay <= 1_000, "back to the base delay: {delay} ms");
}

#[test]
fn a_short_connection_on_which_the_server_answered_reconnects_at_the_base_delay_again() {
    let mut host = TcHost::trueconf(config());
    flap(&mut host, 3);
    // A network that cuts every second: each connection is short, but the server answers on
    // it, so the delay must not climb toward `backoff_max` while messages still flow.
    let read = host
        .client
        .call(host.at(), |s, now| s.get_chats(now, 10, 1));
    futures::pin_mut!(read);
    host.poll();
    let frames = host.sent();
    host.answer(&frames[0], json!([]));
    assert!(poll_once(read.as_mut()).is_ready());
    host.closed("cut again");
    let delay = host.due() - host.now;
    assert!(delay <= 1_000, "back to the base delay: {delay} ms");
}

#[test]
fn a_short_connection_that_delivered_a_message_reconnects_at_the_base_delay_again() {
    let mut host = TcHost::trueconf(config());
    flap(&mut host, 3);
    host.frame(&crate::support::incoming_message(7, "m-1", "hello"));
    host.closed("cut again");
    let delay = host.due() - host.now;
    assert!(delay <= 1_000, "back to the base delay: {delay} ms");
}
