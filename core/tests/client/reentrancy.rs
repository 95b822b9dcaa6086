//! A host may call back into the client while performing an output, without deadlock or
//! reordering.
use crate::support::{TcClient, TcHost};
use chatwire::{Call, ClientConfig, Event, Reply};
use serde_json::json;

#[test]
fn a_server_answering_synchronously_while_the_frame_is_sent_works() {
    let mut host = TcHost::trueconf(ClientConfig::default());
    host.on_frame = Some(Box::new(|client, now, frame| {
        if frame["type"] != 1 {
            return Vec::new();
        }
        // The answer and a notification arrive before the host is done sending.
        vec![
            client.handle_frame(
                now,
                &json!({"type":1,"id":900,"method":"removeChat","payload":{"chatId":"old"}})
                    .to_string(),
            ),
            client.handle_frame(
                now,
                &json!({"type":2,"id":frame["id"],"payload":{"chatId":"g7"}}).to_string(),
            ),
        ]
    }));
    let call = host
        .client
        .call(host.at(), |s, now| s.create_group_chat(now, "x"));
    host.poll();
    assert_eq!(
        futures::executor::block_on(call),
        Ok(Reply::ChatId {
            chat_id: "g7".into()
        })
    );
    let frames = host.sent();
    assert_eq!(
        frames[0]["method"], "createGroupChat",
        "the request went out before the ack"
    );
    assert_eq!(frames[1], json!({"type":2,"id":900}));
    assert!(host.take_events().contains(&Event::ChatRemoved {
        chat_id: "old".into()
    }));
}

#[test]
fn client_and_its_futures_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send + 'static>(_: &T) {}
    assert_send_sync::<TcClient>();
    let host = TcHost::trueconf(ClientConfig::default());
    let call: Call = host.client.send_text(host.at(), "c", "hi", None);
    assert_send(&call);
    assert_send(&host.client.create_group_chat(host.at(), "x"));
}
