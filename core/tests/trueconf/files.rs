//! The methods beyond chat as the official SDK sends them, their answers, and file transfer
//! as host transmits (the bytes never pass through the session).
use crate::support::{responses, Harness};
use chatwire::trueconf::{
    CommandAnswer, FileInfo, FilePreview, FileUploadLimits, Request, Survey, FILES_PATH,
};
use chatwire::{
    Error, Event, Header, HttpDownload, HttpResponse, HttpUpload, Reply, RequestId, Session as _,
    Transmit,
};
use serde_json::{json, Value};

/// Sends `request`, checks its frame's payload, answers `answer`, returns the reply.
fn round_trip(request: Request, payload: Value, answer: Value) -> Result<Reply, Error> {
    let mut h = Harness::ready();
    let id = h.s.request(h.now, request).unwrap();
    let (frames, _) = h.drain_frames();
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0]["payload"], payload, "{}", frames[0]["method"]);
    let (_, events) = h.feed(json!({"type":2,"id":id.0,"payload":answer}));
    let mut r = responses(&events);
    assert_eq!(r.len(), 1, "{events:?}");
    assert_eq!(r[0].0, id.0);
    r.remove(0).1
}

fn survey() -> Survey {
    Survey {
        url: Some("https://tc.example/webtools/survey".into()),
        app_version: Some(1),
        path: "camp-1".into(),
        title: "Lunch".into(),
        description: Some("{{Survey}}".into()),
        button_text: Some("{{Go to survey}}".into()),
        secret: Some("0123abcd".into()),
        alt: Some("📊 Lunch".into()),
    }
}

#[test]
fn each_method_encodes_as_the_sdk_and_decodes_its_answer() {
    let cases: Vec<(Request, Value, Value, Reply)> = vec![
        (
            Request::UploadFile {
                file_name: "a.txt".into(),
                file_size: 5,
            },
            json!({"fileSize":5,"fileName":"a.txt"}),
            json!({"uploadTaskId":"t-1"}),
            Reply::UploadTask {
                upload_task_id: "t-1".into(),
            },
        ),
        (
            Request::SendFile {
                chat_id: "g1".into(),
                temporal_file_id: "tmp-1".into(),
                caption: Some("see".into()),
                parse_mode: Some("text".into()),
                reply_message_id: None,
            },
            json!({"chatId":"g1","content":{"temporalFileId":"tmp-1","caption":{"text":"see","parseMode":"text"}}}),
            json!({"chatId":"g1","messageId":"m1","timestamp":1704067201000_i64,"fileId":"f1","captionMessageId":"m2"}),
            Reply::FileSent {
                chat_id: Some("g1".into()),
                message_id: "m1".into(),
                timestamp_ms: Some(1_704_067_201_000),
                file_id: Some("f1".into()),
                caption_message_id: Some("m2".into()),
            },
        ),
        (
            Request::GetFileInfo {
                file_id: "f1".into(),
            },
            json!({"fileId":"f1"}),
            json!({"infoHash":"f1","name":"a.png","size":5,"mimeType":"image/png","readyState":2,"downloadUrl":"http://h/dl/f1","previews":[{"name":"p.png","size":2,"mimeType":"image/png","downloadUrl":"http://h/dl/p"}]}),
            Reply::FileInfo {
                info: FileInfo {
                    file_id: "f1".into(),
                    name: Some("a.png".into()),
                    size: Some(5),
                    mime_type: Some("image/png".into()),
                    ready_state: Some(2),
                    download_url: Some("http://h/dl/f1".into()),
                    previews: vec![FilePreview {
                        name: Some("p.png".into()),
                        size: Some(2),
                        mime_type: Some("image/png".into()),
                        download_url: Some("http://h/dl/p".into()),
                    }],
                },
            },
        ),
        (
            Request::GetFileUploadLimits,
            json!({}),
            json!({"maxSize":100,"extensions":{"mode":"allow","list":["png"]}}),
            Reply::FileUploadLimits {
                limits: FileUploadLimits {
                    max_size: Some(100),
                    extensions_mode: Some("allow".into()),
                    extensions: vec!["png".into()],
                },
            },
        ),
        (
            Request::SubscribeFileProgress {
                file_id: "f1".into(),
            },
            json!({"fileId":"f1"}),
            json!({"result":true}),
            Reply::Bool { value: true },
        ),
        (
            Request::UnsubscribeFileProgress {
                file_id: "f1".into(),
            },
            json!({"fileId":"f1"}),
            json!({"result":false}),
            Reply::Bool { value: false },
        ),
        (
            Request::SendSurvey {
                chat_id: "g1".into(),
                reply_message_id: None,
                survey: survey(),
            },
            json!({"chatId":"g1","replyMessageId":null,"content":{"url":"https://tc.example/webtools/survey","appVersion":1,"path":"camp-1","title":"Lunch","description":"{{Survey}}","buttonText":"{{Go to survey}}","secret":"0123abcd","alt":"📊 Lunch"}}),
            json!({"chatId":"g1","messageId":"m3","timestamp":1704067201000_i64}),
            Reply::MessageSent {
                chat_id: Some("g1".into()),
                message_id: "m3".into(),
                timestamp_ms: Some(1_704_067_201_000),
            },
        ),
        (
            Request::EditSurvey {
                message_id: "m3".into(),
                survey: survey(),
            },
            json!({"messageId":"m3","content":{"path":"camp-1","title":"Lunch","description":"{{Survey}}","buttonText":"{{Go to survey}}","alt":"📊 Lunch"}}),
            json!({"messageId":"m3","timestamp":1704067202000_i64}),
            Reply::MessageSent {
                chat_id: None,
                message_id: "m3".into(),
                timestamp_ms: Some(1_704_067_202_000),
            },
        ),
        (
            Request::AnswerCommand {
                answer: CommandAnswer {
                    command_id: "cmd-1".into(),
                    answer_type: "message".into(),
                    text: Some("working".into()),
                    status: Some("running".into()),
                    visibility: Some("toast".into()),
                    level: None,
                },
            },
            json!({"commandId":"cmd-1","answerType":"message","message":{"text":"working","status":"running","visibility":"toast"}}),
            json!({}),
            Reply::Empty,
        ),
        (
            Request::SendChatActivity {
                chat_id: "g1".into(),
                activity_type: "typing".into(),
            },
            json!({"chatId":"g1","activityType":"typing"}),
            json!({"chatId":"g1","activityType":"typing","retryAfter":5000}),
            Reply::ChatActivitySent {
                chat_id: "g1".into(),
                activity: "typing".into(),
                retry_after_ms: Some(5000),
            },
        ),
        (
            Request::GetUserDisplayName {
                user_id: "alice@sim.local".into(),
            },
            json!({"userId":"alice@sim.local"}),
            json!({"displayName":"Alice"}),
            Reply::DisplayName {
                display_name: Some("Alice".into()),
            },
        ),
    ];
    for (request, payload, answer, reply) in cases {
        let method = request.method().to_string();
        // What the CLI's raw `request` op and `chatwire decode` read back encodes the same.
        let wire = request.payload().unwrap();
        let back = Request::from_wire(&method, &wire).unwrap();
        assert_eq!(back.payload().unwrap(), wire, "{method}");
        assert_eq!(round_trip(request, payload, answer), Ok(reply), "{method}");
    }
}

#[test]
fn a_bad_file_name_is_refused_before_sending() {
    let mut h = Harness::ready();
    for name in ["", "a/b.txt", "a\\b.txt"] {
        let e = h.s.upload_file(h.now, "/tmp/x", name, 1, None).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }), "{name:?}");
    }
    assert!(h.drain().0.is_empty());
}

/// Runs `uploadFile` to the point where the host is asked to send the bytes.
fn upload_until_http(h: &mut Harness, id: RequestId) -> HttpUpload {
    let (frames, _) = h.drain_frames();
    assert_eq!(frames[0]["method"], "uploadFile");
    assert_eq!(
        frames[0]["payload"],
        json!({"fileSize":11,"fileName":"notes.txt"})
    );
    h.s.handle_frame(
        h.now,
        &json!({"type":2,"id":id.0,"payload":{"uploadTaskId":"task-9"}}).to_string(),
    );
    let (transmits, events) = h.drain();
    assert!(
        responses(&events).is_empty(),
        "the call waits for the bytes: {events:?}"
    );
    let [Transmit::Upload(upload)] = transmits.as_slice() else {
        panic!("{transmits:?}")
    };
    upload.clone()
}

fn ok(body: Value) -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: vec![],
        body: body.to_string(),
    }
}

#[test]
fn upload_file_asks_the_host_to_stream_the_bytes() {
    let mut h = Harness::ready();
    let id =
        h.s.upload_file(
            h.now,
            "/home/bot/notes.txt",
            "notes.txt",
            11,
            Some("text/plain"),
        )
        .unwrap();
    let upload = upload_until_http(&mut h, id);
    assert_eq!(
        upload,
        HttpUpload {
            id,
            method: "POST".into(),
            path: FILES_PATH.into(),
            headers: vec![Header::new("Upload-Task-Id", "task-9")],
            form_field: "file".into(),
            file_name: "notes.txt".into(),
            content_type: Some("text/plain".into()),
            source: "/home/bot/notes.txt".into(),
            size: 11,
        }
    );
    h.s.handle_http_response(h.now, id, ok(json!({"temporalFileId":"tmp-4"})));
    let (_, events) = h.drain();
    assert_eq!(
        responses(&events),
        vec![(
            id.0,
            Ok(Reply::Uploaded {
                temporal_file_id: "tmp-4".into()
            })
        )]
    );
}

#[test]
fn send_file_uploads_then_posts_under_the_callers_id() {
    let mut h = Harness::ready();
    let id =
        h.s.send_file(
            h.now,
            "g1",
            "/home/bot/notes.txt",
            "notes.txt",
            11,
            None,
            Some("minutes"),
            None,
        )
        .unwrap();
    let upload = upload_until_http(&mut h, id);
    h.s.handle_http_response(h.now, upload.id, ok(json!({"temporalFileId":"tmp-4"})));
    let (frames, events) = h.drain_frames();
    assert!(responses(&events).is_empty());
    assert_eq!(frames[0]["method"], "sendFile");
    assert_eq!(
        frames[0]["payload"],
        json!({"chatId":"g1","content":{"temporalFileId":"tmp-4","caption":{"text":"minutes","parseMode":"text"}}})
    );
    let wire_id = frames[0]["id"].clone();
    let (_, events) = h.feed(json!({"type":2,"id":wire_id,"payload":{"chatId":"g1","messageId":"m1","timestamp":1704067201000_i64,"fileId":"f1"}}));
    assert_eq!(
        responses(&events),
        vec![(
            id.0,
            Ok(Reply::FileSent {
                chat_id: Some("g1".into()),
                message_id: "m1".into(),
                timestamp_ms: Some(1_704_067_201_000),
                file_id: Some("f1".into()),
                caption_message_id: None,
            })
        )]
    );
}

#[test]
fn upload_errors_from_the_file_endpoint_are_typed() {
    let mut h = Harness::ready();
    let id =
        h.s.upload_file(h.now, "src", "notes.txt", 11, None)
            .unwrap();
    upload_until_http(&mut h, id);
    h.s.handle_http_response(
        h.now,
        id,
        HttpResponse {
            status: 404,
            headers: vec![],
            body: r#"{"errorCode":407}"#.into(),
        },
    );
    let (_, events) = h.drain();
    assert_eq!(
        responses(&events),
        vec![(
            id.0,
            Err(Error::TrueConf {
                code: chatwire::trueconf::ErrorCode::UploadTaskNotFound
            })
        )]
    );
    // A transport failure (status 0) is an HTTP error, not a hang.
    let id =
        h.s.upload_file(h.now, "src", "notes.txt", 11, None)
            .unwrap();
    upload_until_http(&mut h, id);
    h.s.handle_http_response(h.now, id, HttpResponse::default());
    let (_, events) = h.drain();
    assert!(matches!(
        responses(&events)[0].1,
        Err(Error::Http { status: 0, .. })
    ));
    // A response for no transfer is reported, not obeyed.
    h.s.handle_http_response(h.now, id, ok(json!({"temporalFileId":"x"})));
    let (_, events) = h.drain();
    assert!(matches!(events[0], Event::ProtocolError { .. }));
}

#[test]
fn download_of_a_ready_file_asks_the_host_to_fetch_its_url() {
    let mut h = Harness::ready();
    let id = h.s.download_file(h.now, "f1", "/tmp/out.png").unwrap();
    let (frames, _) = h.drain_frames();
    assert_eq!(frames[0]["method"], "getFileInfo");
    h.s.handle_frame(h.now, &json!({"type":2,"id":id.0,"payload":{"fileId":"f1","name":"a.png","size":5,"mimeType":"image/png","readyState":2,"downloadUrl":"http://h/files/f1?t=x"}}).to_string());
    let (transmits, events) = h.drain();
    assert!(responses(&events).is_empty());
    assert_eq!(
        transmits,
        vec![Transmit::Download(HttpDownload {
            id,
            url: "http://h/files/f1?t=x".into(),
            destination: "/tmp/out.png".into(),
        })]
    );
    h.s.handle_http_response(
        h.now,
        id,
        HttpResponse {
            status: 200,
            ..Default::default()
        },
    );
    let (_, events) = h.drain();
    assert_eq!(
        responses(&events),
        vec![(
            id.0,
            Ok(Reply::Downloaded {
                file_id: "f1".into(),
                size: Some(5)
            })
        )]
    );
}

#[test]
fn download_waits_for_a_file_still_uploading() {
    let mut h = Harness::ready();
    let id = h.s.download_file(h.now, "f1", "out").unwrap();
    h.drain();
    let uploading = json!({"fileId":"f1","name":"a.bin","size":100,"mimeType":"application/octet-stream","readyState":1,"downloadUrl":null});
    let (frames, _) = h.feed(json!({"type":2,"id":id.0,"payload":uploading}));
    assert_eq!(frames[0]["method"], "subscribeFileProgress");
    assert_eq!(frames[0]["payload"], json!({"fileId":"f1"}));
    let (_, events) = h.feed(json!({"type":2,"id":frames[0]["id"],"payload":{"result":true}}));
    assert!(
        responses(&events).is_empty(),
        "the session's own subscription: {events:?}"
    );
    let (frames, events) = h.feed(json!({"type":1,"id":30,"method":"uploadFileProgress","payload":{"fileId":"f1","progress":50}}));
    assert_eq!(frames, vec![json!({"type":2,"id":30})]);
    assert_eq!(
        events,
        vec![Event::FileProgress {
            file_id: "f1".into(),
            progress: 50
        }]
    );
    let (frames, _) = h.feed(json!({"type":1,"id":31,"method":"uploadFileProgress","payload":{"fileId":"f1","progress":100}}));
    let methods: Vec<_> = frames.iter().map(|f| f["method"].clone()).collect();
    assert_eq!(
        methods,
        vec![
            Value::Null,
            json!("unsubscribeFileProgress"),
            json!("getFileInfo")
        ]
    );
    let (unsub, info) = (frames[1]["id"].clone(), frames[2]["id"].clone());
    let (_, events) = h.feed(json!({"type":2,"id":unsub,"payload":{"result":true}}));
    assert!(responses(&events).is_empty());
    // Progress complete, but not ready yet: poll once a second.
    let (frames, _) = h.feed(json!({"type":2,"id":info,"payload":uploading}));
    assert!(frames.is_empty());
    let (frames, _) = h.advance(1_000);
    assert_eq!(frames[0]["method"], "getFileInfo");
    let ready = json!({"fileId":"f1","size":100,"readyState":2,"downloadUrl":"http://h/f1"});
    h.s.handle_frame(
        h.now,
        &json!({"type":2,"id":frames[0]["id"],"payload":ready}).to_string(),
    );
    let (transmits, _) = h.drain();
    assert_eq!(
        transmits,
        vec![Transmit::Download(HttpDownload {
            id,
            url: "http://h/f1".into(),
            destination: "out".into()
        })]
    );
}

#[test]
fn download_of_a_file_that_never_gets_ready_times_out() {
    let mut h = Harness::ready();
    let id = h.s.download_file(h.now, "f1", "out").unwrap();
    h.drain();
    let (frames, _) =
        h.feed(json!({"type":2,"id":id.0,"payload":{"fileId":"f1","size":100,"readyState":1}}));
    h.feed(json!({"type":2,"id":frames[0]["id"],"payload":{"result":true}}));
    let (_, events) = h.advance(60_000);
    assert_eq!(responses(&events), vec![(id.0, Err(Error::Timeout))]);
    let id = h.s.download_file(h.now, "gone", "out").unwrap();
    h.drain();
    let (_, events) =
        h.feed(json!({"type":2,"id":id.0,"payload":{"fileId":"gone","readyState":0}}));
    assert!(matches!(
        responses(&events)[0].1,
        Err(Error::UnexpectedResponse { .. })
    ));
}
