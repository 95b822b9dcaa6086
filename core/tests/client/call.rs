//! An async call resolves when its response arrives; everything else reaches the event stream.
use crate::support::{poll_once, TcHost};
use chatwire::{ClientConfig, Event, Reply, Transmit};
use serde_json::json;
use std::task::Poll;

#[test]
fn call_resolves_with_the_typed_reply() {
    let mut host = TcHost::trueconf(ClientConfig::default());
    let fut = host
        .client
        .call(host.at(), |s, now| s.create_group_chat(now, "Ops"));
    futures::pin_mut!(fut);
    assert!(poll_once(fut.as_mut()).is_pending());
    host.poll();
    let frames = host.sent();
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0]["method"], "createGroupChat");
    host.answer(&frames[0], json!({"chatId":"g1"}));
    assert_eq!(
        poll_once(fut.as_mut()),
        Poll::Ready(Ok(Reply::ChatId {
            chat_id: "g1".into()
        }))
    );
}

#[test]
fn notifications_reach_the_event_stream_after_the_ack() {
    let mut host = TcHost::trueconf(ClientConfig::default());
    // Connected was emitted during setup.
    assert!(matches!(
        host.take_events().first(),
        Some(Event::Connected { .. })
    ));
    let out = host.frame(&json!({"type":1,"id":50,"method":"removeChat","payload":{"chatId":"c"}}));
    assert_eq!(host.sent(), vec![json!({"type":2,"id":50})]);
    assert_eq!(
        out.transmits,
        vec![Transmit::Frame {
            text: r#"{"type":2,"id":50}"#.into()
        }],
        "the ack is in the same output as the event"
    );
    assert_eq!(
        host.take_events(),
        vec![Event::ChatRemoved {
            chat_id: "c".into()
        }]
    );
}

#[test]
fn refused_commands_fail_at_once() {
    let mut host = TcHost::trueconf(ClientConfig::default());
    let long = "x".repeat(5000);
    let r = futures::executor::block_on(host.client.send_text(host.at(), "c", &long, None));
    assert!(matches!(r, Err(chatwire::Error::MessageTooLong { .. })));
    host.poll();
    assert!(host.sent().is_empty());
}

#[test]
fn the_timer_follows_the_earliest_deadline() {
    let mut host = TcHost::trueconf(ClientConfig::default());
    let fut = host
        .client
        .call(host.at(), |s, now| s.get_chats(now, 10, 1));
    futures::pin_mut!(fut);
    assert!(poll_once(fut.as_mut()).is_pending());
    let out = host.poll();
    assert_eq!(out.timeout.map(|t| t.0), Some(1_000 + 30_000));
    host.advance(30_000);
    host.timeout();
    assert_eq!(
        poll_once(fut.as_mut()),
        Poll::Ready(Err(chatwire::Error::Timeout))
    );
}
