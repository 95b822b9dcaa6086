//! An async call resolves when its response arrives; everything else reaches the event stream.
use crate::support::{poll_once, ready_client, Op};
use chatwire::{ClientConfig, Event, Reply};
use serde_json::json;
use std::task::Poll;

#[test]
fn call_resolves_with_the_typed_reply() {
    let (client, host) = ready_client(ClientConfig::default());
    let fut = client.call(|s, now| s.create_group_chat(now, "Ops"));
    futures::pin_mut!(fut);
    assert!(poll_once(fut.as_mut()).is_pending());
    let frames = host.frames();
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0]["method"], "createGroupChat");
    client.handle_frame(
        &json!({"type":2,"id":frames[0]["id"],"payload":{"chatId":"g1"}}).to_string(),
    );
    assert_eq!(
        poll_once(fut.as_mut()),
        Poll::Ready(Ok(Reply::ChatId {
            chat_id: "g1".into()
        }))
    );
}

#[test]
fn notifications_reach_the_event_stream_after_the_ack() {
    let (client, host) = ready_client(ClientConfig::default());
    // Connected was emitted during setup.
    assert!(matches!(
        client.try_next_event(),
        Some(Event::Connected { .. })
    ));
    client.handle_frame(
        &json!({"type":1,"id":50,"method":"removeChat","payload":{"chatId":"c"}}).to_string(),
    );
    assert_eq!(host.frames(), vec![json!({"type":2,"id":50})]);
    let e = futures::executor::block_on(client.next_event());
    assert_eq!(
        e,
        Some(Event::ChatRemoved {
            chat_id: "c".into()
        })
    );
}

#[test]
fn refused_commands_fail_at_once() {
    let (client, host) = ready_client(ClientConfig::default());
    let long = "x".repeat(5000);
    let r = futures::executor::block_on(client.send_text("c", &long, None));
    assert!(matches!(r, Err(chatwire::Error::MessageTooLong { .. })));
    assert!(host.frames().is_empty());
}

#[test]
fn the_timer_follows_the_earliest_deadline() {
    let (client, host) = ready_client(ClientConfig::default());
    let fut = client.call(|s, now| s.get_chats(now, 10, 1));
    futures::pin_mut!(fut);
    assert!(poll_once(fut.as_mut()).is_pending());
    assert!(host.take().contains(&Op::Timer(Some(1_000 + 30_000))));
    host.advance(30_000);
    client.handle_timeout();
    assert_eq!(
        poll_once(fut.as_mut()),
        Poll::Ready(Err(chatwire::Error::Timeout))
    );
}
