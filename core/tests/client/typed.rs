//! Typed façade methods resolve to the value asked for, and refuse replies of another shape.
use crate::support::{poll_once, ready_client};
use chatwire::{ClientConfig, Error};
use serde_json::json;
use std::task::Poll;

#[test]
fn create_group_chat_resolves_to_the_chat_id() {
    let (client, host) = ready_client(ClientConfig::default());
    let fut = client.create_group_chat("Ops");
    futures::pin_mut!(fut);
    assert!(poll_once(fut.as_mut()).is_pending());
    let frame = host.frames().remove(0);
    assert_eq!(frame["payload"], json!({"title": "Ops"}));
    client.handle_frame(&json!({"type":2,"id":frame["id"],"payload":{"chatId":"g1"}}).to_string());
    assert_eq!(poll_once(fut.as_mut()), Poll::Ready(Ok("g1".to_string())));
}

#[test]
fn get_chats_resolves_to_typed_chats() {
    let (client, host) = ready_client(ClientConfig::default());
    let fut = client.get_chats(10, 1);
    futures::pin_mut!(fut);
    assert!(poll_once(fut.as_mut()).is_pending());
    let frame = host.frames().remove(0);
    client.handle_frame(
        &json!({"type":2,"id":frame["id"],"payload":[
            {"chatId":"c1","title":"A","chatType":6,"unreadMessages":2,"lastMessage":null}]})
        .to_string(),
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
    let (client, host) = ready_client(ClientConfig::default());
    let fut = client.send_message("c", "hi", None);
    futures::pin_mut!(fut);
    assert!(poll_once(fut.as_mut()).is_pending());
    let frame = host.frames().remove(0);
    // A server that answers sendMessage without a messageId.
    client.handle_frame(&json!({"type":2,"id":frame["id"],"payload":{}}).to_string());
    assert!(matches!(
        poll_once(fut.as_mut()),
        Poll::Ready(Err(Error::UnexpectedResponse { .. }))
    ));
}
