//! Issue 8 "done when": a throwaway binding over the new API needs no JSON and no callbacks per
//! frame. A TrueConf client is driven through a whole exchange with one call in and one
//! `Output` back per frame; the binding reads typed transmits and events, never JSON.
use crate::support::{incoming_message, poll_once, Host, Op, TcHost};
use chatwire::talk::{TalkConfig, TalkSession};
use chatwire::{ClientConfig, Content, Event, Header, HttpRequest, HttpResponse, Output, Transmit};
use serde_json::{json, Value};
use std::task::Poll;

fn text_of(event: &Event) -> Option<(&str, &str)> {
    match event {
        Event::MessageReceived { message } => match &message.content {
            Content::Text { text, .. } => Some((message.id.as_str(), text.as_str())),
            _ => None,
        },
        _ => None,
    }
}

#[test]
fn one_input_one_output_per_frame_through_a_whole_exchange() {
    let mut host = TcHost::trueconf_idle(ClientConfig::default());

    // Each step: exactly one crossing, and its Output carries everything.
    let step = |host: &mut TcHost, f: &dyn Fn(&mut TcHost) -> Output| {
        let before = host.crossings;
        let out = f(host);
        assert_eq!(host.crossings, before + 1, "one call per step");
        out
    };

    let out = step(&mut host, &|h| h.connect());
    assert!(
        matches!(&out.transmits[..], [Transmit::Connect(info)] if info.path == "/websocket/chat_bot/")
    );

    let out = step(&mut host, &|h| h.connected());
    assert_eq!(out.transmits.len(), 1, "auth is the first frame");
    assert!(out.timeout.is_some(), "auth has a deadline");
    let auth = host.sent().remove(0);

    let out = step(&mut host, &|h| h.answer(&auth, json!({"userId":"bot@x"})));
    assert!(matches!(
        &out.events[..],
        [Event::Connected { user_id: Some(u), .. }] if u == "bot@x"
    ));

    // A command queues its request; one poll hands it out.
    let sent = host.client.send_message(host.at(), "chat-1", "hello", None);
    futures::pin_mut!(sent);
    let out = step(&mut host, &|h| h.poll());
    assert!(matches!(&out.transmits[..], [Transmit::Frame { .. }]));
    let request = host.sent().remove(0);
    let out = step(&mut host, &|h| {
        h.answer(&request, json!({"chatId":"chat-1","messageId":"m-9"}))
    });
    assert!(
        out.is_empty(),
        "the answer went to its caller, not the event stream"
    );
    assert_eq!(poll_once(sent.as_mut()), Poll::Ready(Ok("m-9".into())));

    // An incoming message: its ack and its event come back in the same Output.
    let out = step(&mut host, &|h| {
        h.frame(&incoming_message(60, "m-10", "hi there"))
    });
    assert_eq!(
        out.transmits,
        vec![Transmit::Frame {
            text: r#"{"type":2,"id":60}"#.into()
        }]
    );
    let texts: Vec<_> = out.events.iter().filter_map(text_of).collect();
    assert_eq!(texts, [("m-10", "hi there")]);

    let out = step(&mut host, &|h| h.close());
    assert!(matches!(&out.transmits[..], [Transmit::Close { .. }]));
    assert_eq!(host.crossings, 7, "seven crossings for the whole exchange");
}

/// Connects and authenticates `host`, then issues one request; returns it as sent.
fn ready_with_request(host: &mut TcHost) -> Value {
    host.connect();
    host.connected();
    host.authenticate();
    host.take();
    host.take_events();
    drop(host.client.get_chats(host.at(), 10, 1));
    host.poll();
    host.sent().remove(0)
}

#[test]
fn a_batch_of_frames_gives_what_frame_by_frame_gives() {
    let backlog = |request: &Value| {
        vec![
            incoming_message(61, "m-1", "one"),
            json!({"type":1,"id":62,"method":"removeChat","payload":{"chatId":"old"}}),
            json!({"type":2,"id":request["id"],"payload":[]}),
            incoming_message(63, "m-2", "two"),
            incoming_message(61, "m-1", "one"), // redelivered: acked again, not shown again
        ]
    };

    let mut single = TcHost::trueconf_idle(ClientConfig::default());
    let request = ready_with_request(&mut single);
    let mut transmits = Vec::new();
    let mut events = Vec::new();
    for frame in backlog(&request) {
        let out = single.frame(&frame);
        transmits.extend(out.transmits);
        events.extend(out.events);
    }

    let mut batch = TcHost::trueconf_idle(ClientConfig::default());
    let request = ready_with_request(&mut batch);
    let before = batch.crossings;
    let out = batch.frames(&backlog(&request));
    assert_eq!(
        batch.crossings,
        before + 1,
        "one call for the whole backlog"
    );

    assert_eq!(out.transmits, transmits);
    assert_eq!(out.events, events);
    assert_eq!(out.transmits.len(), 4, "every server request acked");
    assert_eq!(
        out.events.iter().filter_map(text_of).count(),
        2,
        "{:?}",
        out.events
    );
    assert_eq!(out.timeout, single.timer.deadline());
}

/// A Talk chat page (`200`, newest first) with its cursor header.
fn talk_page(ids: &[i64]) -> HttpResponse {
    let messages: Vec<Value> = ids
        .iter()
        .map(|id| {
            json!({"id": id, "token": "room-ab", "actorType": "users", "actorId": "bob",
                "actorDisplayName": "Bob", "timestamp": 1_700_000_000 + id,
                "message": format!("text {id}"), "messageParameters": [], "systemMessage": "",
                "messageType": "comment", "isReplyable": true, "referenceId": ""})
        })
        .collect();
    let body = json!({"ocs": {"meta": {"status": "ok", "statuscode": 200, "message": ""},
        "data": messages}});
    HttpResponse {
        status: 200,
        headers: vec![Header::new(
            "X-Chat-Last-Given",
            ids.iter().min().unwrap().to_string(),
        )],
        body: body.to_string(),
    }
}

/// The one HTTP request in `out`.
fn one_http(out: &Output) -> HttpRequest {
    match &out.transmits[..] {
        [Transmit::Http(request)] => request.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_rest_protocol_is_one_response_in_one_output_out() {
    let mut host: Host<TalkSession> = Host::new(
        TalkSession::new(TalkConfig::new("alice", "app-password")),
        ClientConfig::default(),
    );
    host.client.join_room(host.at(), "room-ab").unwrap();
    let history = one_http(&host.poll());
    assert_eq!(history.method, "GET");

    // One response in: the messages as typed events and the next long-poll, in one Output.
    let before = host.crossings;
    let out = host.http(history.id, talk_page(&[12, 11, 10]));
    assert_eq!(host.crossings, before + 1);
    let texts: Vec<_> = out.events.iter().filter_map(text_of).collect();
    assert_eq!(
        texts,
        [("10", "text 10"), ("11", "text 11"), ("12", "text 12")]
    );
    let poll = one_http(&out);
    assert!(poll.path.contains("lookIntoFuture=1"), "{}", poll.path);
    assert!(out.timeout.is_some(), "the long-poll has a deadline");
    assert!(matches!(host.take().last(), Some(Op::Http(r)) if r.id == poll.id));
}
