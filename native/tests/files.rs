//! The native host performs the file transmits of TrueConf's `send_file` and `download_file`:
//! the bytes stream from a file on disk to the server and back into another file.
use chatwire::trueconf::{TrueConfConfig, TrueConfSession};
use chatwire::{Client, ClientConfig, Event};
use chatwire_native::NativeClient;
use std::time::Duration;

async fn token(base: &str, user: &str, password: &str) -> String {
    let body = serde_json::json!({"client_id": "chat_bot", "grant_type": "password",
        "username": user, "password": password});
    let text = reqwest::Client::new()
        .post(format!("{base}{}", chatwire::trueconf::TOKEN_PATH))
        .body(body.to_string())
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let reply: serde_json::Value = serde_json::from_str(&text).unwrap();
    reply["access_token"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_goes_up_from_disk_and_comes_back_byte_for_byte() {
    let sim = chatwire_sim::start(chatwire_sim::SimConfig::default())
        .await
        .unwrap();
    let base = format!("http://{}", sim.addr());
    let alice = &chatwire_sim::users()[0];
    let jwt = token(&base, alice.name, alice.password).await;
    let session = TrueConfSession::new(TrueConfConfig::new(jwt));
    let host = NativeClient::spawn(Client::new(session, ClientConfig::default()), base.clone());
    host.connect();
    let connected = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(e) = host.next_event().await {
            if matches!(e, Event::Connected { .. }) {
                return;
            }
        }
    });
    connected.await.expect("connected");

    let dir = std::env::temp_dir().join(format!("chatwire-native-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("report.bin");
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&source, &bytes).unwrap();

    let chat = host
        .client()
        .create_group_chat(host.now(), "Files")
        .await
        .unwrap();
    let sent = tokio::time::timeout(
        Duration::from_secs(20),
        host.client().send_file(
            host.now(),
            &chat,
            source.to_str().unwrap(),
            "report.bin",
            bytes.len() as u64,
            Some("application/octet-stream"),
            Some("the report"),
            None,
        ),
    )
    .await
    .expect("send_file settles")
    .expect("send_file succeeds");
    let file_id = sent.file_id.expect("the server names the stored file");

    let target = dir.join("copy.bin");
    tokio::time::timeout(
        Duration::from_secs(20),
        host.client()
            .download_file(host.now(), &file_id, target.to_str().unwrap()),
    )
    .await
    .expect("download settles")
    .expect("download succeeds");
    assert_eq!(std::fs::read(&target).unwrap(), bytes);

    host.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
    sim.shutdown().await;
}
