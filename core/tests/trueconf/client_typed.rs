//! The typed TrueConf methods on `Client<TrueConfSession>`: each resolves to the value the
//! caller wants, through the whole pull-mode loop (file transfer included).
use chatwire::trueconf::{TrueConfConfig, TrueConfSession};
use chatwire::{Client, ClientConfig, HttpResponse, Output, Timestamp, Transmit};
use futures::executor::block_on;
use serde_json::{json, Value};

fn frames(out: &Output) -> Vec<Value> {
    out.transmits
        .iter()
        .filter_map(|t| match t {
            Transmit::Frame { text } => serde_json::from_str(text).ok(),
            _ => None,
        })
        .collect()
}

fn ready() -> Client<TrueConfSession> {
    let client = Client::new(
        TrueConfSession::new(TrueConfConfig::new("jwt")),
        ClientConfig::default(),
    );
    let now = Timestamp(1);
    client.connect(now);
    let out = client.handle_connected(now);
    let auth = frames(&out)[0]["id"].clone();
    let out = client.handle_frame(
        now,
        &json!({"type":2,"id":auth,"payload":{"userId":"bot@sim.local","connectionId":"c"}})
            .to_string(),
    );
    assert!(out
        .events
        .iter()
        .any(|e| matches!(e, chatwire::Event::Connected { .. })));
    client
}

/// Answers the one frame the client just produced with `payload`.
fn answer(client: &Client<TrueConfSession>, payload: Value) -> Output {
    let out = client.poll_output();
    let id = frames(&out)[0]["id"].clone();
    client.handle_frame(
        Timestamp(2),
        &json!({"type":2,"id":id,"payload":payload}).to_string(),
    )
}

#[test]
fn typing_and_display_names_resolve_to_their_values() {
    let client = ready();
    let typing = client.send_chat_activity(Timestamp(2), "g1", "typing");
    answer(
        &client,
        json!({"chatId":"g1","activityType":"typing","retryAfter":4000}),
    );
    assert_eq!(block_on(typing), Ok(Some(4000)));
    let name = client.get_user_display_name(Timestamp(2), "alice@sim.local");
    answer(&client, json!({"displayName":"Alice"}));
    assert_eq!(block_on(name), Ok(Some("Alice".into())));
    let limits = client.get_file_upload_limits(Timestamp(2));
    answer(&client, json!({"maxSize":10,"extensions":null}));
    assert_eq!(block_on(limits).unwrap().max_size, Some(10));
}

#[test]
fn send_file_resolves_after_the_host_uploaded_the_bytes() {
    let client = ready();
    let sent = client.send_file(
        Timestamp(2),
        "g1",
        "/tmp/a.txt",
        "a.txt",
        3,
        None,
        None,
        None,
    );
    let out = answer(&client, json!({"uploadTaskId":"t1"}));
    let [Transmit::Upload(upload)] = out.transmits.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(upload.source, "/tmp/a.txt");
    let out = client.handle_http_response(
        Timestamp(3),
        upload.id,
        HttpResponse {
            status: 201,
            headers: vec![],
            body: r#"{"temporalFileId":"tmp"}"#.into(),
        },
    );
    let send = frames(&out)[0].clone();
    assert_eq!(send["method"], "sendFile");
    client.handle_frame(
        Timestamp(4),
        &json!({"type":2,"id":send["id"],"payload":{"chatId":"g1","messageId":"m1","timestamp":1,"fileId":"f1"}}).to_string(),
    );
    let sent = block_on(sent).unwrap();
    assert_eq!(sent.message_id, "m1");
    assert_eq!(sent.file_id.as_deref(), Some("f1"));
}
