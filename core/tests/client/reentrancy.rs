//! A transport may call back into the client from inside a call without deadlock or reordering.
use crate::support::{ready_client, TcClient};
use chatwire::{ClientConfig, Reply};
use serde_json::json;
use std::sync::{Arc, Mutex};

#[test]
fn a_server_answering_synchronously_inside_send_frame_works() {
    let (client, host) = ready_client(ClientConfig::default());
    let slot: Arc<Mutex<Option<TcClient>>> = Arc::new(Mutex::new(Some(client.clone())));
    let inner = slot.clone();
    *host.on_frame.lock().unwrap() = Some(Box::new(move |frame| {
        if frame["type"] == 1 {
            let c = inner.lock().unwrap().clone().unwrap();
            // The answer and a notification arrive before send_frame even returns.
            c.handle_frame(
                &json!({"type":1,"id":900,"method":"removeChat","payload":{"chatId":"old"}})
                    .to_string(),
            );
            c.handle_frame(
                &json!({"type":2,"id":frame["id"],"payload":{"chatId":"g7"}}).to_string(),
            );
        }
    }));
    let reply = futures::executor::block_on(client.call(|s, now| s.create_group_chat(now, "x")));
    assert_eq!(
        reply,
        Ok(Reply::ChatId {
            chat_id: "g7".into()
        })
    );
    let frames = host.frames();
    assert_eq!(
        frames[0]["method"], "createGroupChat",
        "the request went out before the ack"
    );
    assert_eq!(frames[1], json!({"type":2,"id":900}));
    slot.lock().unwrap().take();
}

#[test]
fn client_is_send_and_sync_when_the_transport_is() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<TcClient>();
}
