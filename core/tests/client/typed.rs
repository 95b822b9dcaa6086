//! Typed methods resolve to the value asked for, and refuse replies of another shape.
use crate::support::{poll_once, TcHost};
use chatwire::{ClientConfig, Error};
use serde_json::json;
use std::task::Poll;

#[test]
fn create_group_chat_resolves_to_the_chat_id() {
    let mut host = TcHost::trueconf(ClientConfig::default());
    let fut = host.client.create_group_chat(host.at(), "Ops");
    futures::pin_mut!(fut);
    assert!(poll_once(fut.as_mut()).is_pending());
    host.poll();
    let frame = host.sent().remove(0);
    assert_eq!(frame["payload"], json!({"title": "Ops"}));
    host.answer(&frame, json!({"chatId":"g1"}));
    assert_eq!(poll_once(fut.as_mut()), Poll::Ready(Ok("g1".to_string())));
}

#[test]
fn get_chats_resolves_to_typed_chats() {
    let mut host = TcHost::trueconf(ClientConfig::default());
    let fut = host.client.get_chats(host.at(), 10, 1);
    futures::pin_mut!(fut);
    assert!(poll_once(fut.as_mut()).is_pending());
    host.poll();
    let frame = host.sent().remove(0);
    host.answer(
        &frame,
        json!([{"chatId":"c1","title":"A","chatType":6,"unreadMessages":2,"lastMessage":null}]),
    );
    match poll_once(fut.as_mut()) {
        Poll::Ready(Ok(chats)) => {
            assert_eq!(chats.len(), 1);
            assert_eq!(chats[0].kind, chatwire::ChatKind::Channel);
            assert_eq!(chats[0].unread, Some(2));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_reply_of_another_shape_is_an_error_not_a_panic() {
    let mut host = TcHost::trueconf(ClientConfig::default());
    let fut = host.client.send_message(host.at(), "c", "hi", None);
    futures::pin_mut!(fut);
    assert!(poll_once(fut.as_mut()).is_pending());
    host.poll();
    let frame = host.sent().remove(0);
    // A server that answers sendMessage without a messageId.
    host.answer(&frame, json!({}));
    assert!(matches!(
        poll_once(fut.as_mut()),
        Poll::Ready(Err(Error::UnexpectedResponse { .. }))
    ));
}
