//! TrueConf Chatbot API against the simulator over real loopback sockets.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn group_chat_message_notification_ack_and_unread() {
    bounded(20, async {
        let sim = sim().await;
        let addr = sim.addr();
        let mut alice = Tc::login(addr, "alice").await;
        let mut bob = Tc::login(addr, "bob").await;

        let created = alice
            .call("createGroupChat", json!({"title": "Team"}))
            .await;
        let chat_id = created["chatId"].as_str().expect("chatId").to_string();
        assert_eq!(chat_id.len(), 40);

        let added = alice
            .call(
                "addChatParticipant",
                json!({"chatId": chat_id, "userId": "bob@sim.local"}),
            )
            .await;
        assert_eq!(added, json!({}));
        let hello = bob.notification("createGroupChat").await;
        assert_eq!(hello["payload"]["chatId"], chat_id);
        assert_eq!(hello["payload"]["title"], "Team");
        assert_eq!(hello["payload"]["chatType"], 2);
        let joined = bob.notification("addChatParticipant").await;
        assert_eq!(joined["payload"]["userId"], "bob@sim.local");
        assert_eq!(joined["payload"]["addedBy"]["id"], "alice@sim.local");
        assert!(
            joined["payload"]["timestamp"].is_string(),
            "timestamp travels as a string here"
        );

        let sent = alice
            .call(
                "sendMessage",
                json!({"chatId": chat_id, "content": {"text": "hi bob", "parseMode": "text"}}),
            )
            .await;
        let msg_id = sent["messageId"].as_str().expect("messageId").to_string();
        assert_eq!(sent["chatId"], chat_id);
        assert!(sent["timestamp"].as_u64().is_some());

        // Before bob acks: one unread for bob, none for alice.
        bob.auto_ack = false;
        let note = bob.notification("sendMessage").await;
        let env = &note["payload"];
        assert_eq!(env["messageId"], msg_id);
        assert_eq!(env["chatId"], chat_id);
        assert_eq!(env["type"], 200);
        assert_eq!(env["author"], json!({"id": "alice@sim.local", "type": 1}));
        assert_eq!(
            env["content"],
            json!({"text": "hi bob", "parseMode": "text"})
        );
        assert_eq!(env["isEdited"], false);
        assert!(env["box"]["id"].is_u64());
        let before = bob.call("getChatByID", json!({"chatId": chat_id})).await;
        assert_eq!(before["unreadMessages"], 1);
        assert_eq!(before["lastMessage"]["messageId"], msg_id);
        assert!(before["lastMessage"].get("chatId").is_none());
        let mine = alice.call("getChatByID", json!({"chatId": chat_id})).await;
        assert_eq!(mine["unreadMessages"], 0);

        // The ack marks it read.
        bob.ack(&note).await;
        let after = bob.call("getChats", json!({"count": 10, "page": 1})).await;
        let chats = after.as_array().expect("array");
        assert_eq!(chats.len(), 1);
        assert_eq!(chats[0]["unreadMessages"], 0);

        // History holds the system envelope and the message, newest first.
        let history = bob
            .call("getChatHistory", json!({"chatId": chat_id, "count": 10}))
            .await;
        assert_eq!(history["chatId"], chat_id);
        let messages = history["messages"].as_array().expect("messages");
        assert_eq!(messages[0]["messageId"], msg_id);
        assert_eq!(history["count"], messages.len());
        let by_id = bob
            .call("getMessageById", json!({"messageId": msg_id}))
            .await;
        assert_eq!(by_id["content"]["text"], "hi bob");

        // The sender's own connection got no copy of its message, and no faults so far.
        assert!(alice.inbox.iter().all(|v| v["method"] != "sendMessage"));
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(sim.client_faults(), Vec::<String>::new());
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn requests_before_auth_get_error_200() {
    bounded(10, async {
        let sim = sim().await;
        let mut tc = Tc::connect(sim.addr()).await;
        let r = tc.call("getChats", json!({"count": 10, "page": 1})).await;
        assert_eq!(r, json!({"errorCode": 200}));
        // Bad tokens: unknown → 201, no token → 399, not a JWT → 204.
        let r = tc
            .call("auth", json!({"token": "nope", "tokenType": "JWT"}))
            .await;
        assert_eq!(r["errorCode"], 201);
        let r = tc.call("auth", json!({"tokenType": "JWT"})).await;
        assert_eq!(r["errorCode"], 399);
        let r = tc
            .call("auth", json!({"token": "nope", "tokenType": "Basic"}))
            .await;
        assert_eq!(r["errorCode"], 204);
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn expired_tokens_answer_203() {
    bounded(10, async {
        let sim = sim().await;
        let addr = sim.addr();
        let mut alice = Tc::login(addr, "alice").await;
        let token = tc_token(addr, "bob").await;
        admin_inject(addr, json!({"expire_tokens": true})).await;
        let r = alice.call("getChats", json!({})).await;
        assert_eq!(r["errorCode"], 203);
        let mut bob = Tc::connect(addr).await;
        let r = bob
            .call("auth", json!({"token": token, "tokenType": "JWT"}))
            .await;
        assert_eq!(r["errorCode"], 203);
        // A fresh token works again.
        let mut alice2 = Tc::login(addr, "alice").await;
        let r = alice2.call("getChats", json!({})).await;
        assert!(r.is_array());
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn oauth_rejects_wrong_credentials() {
    bounded(10, async {
        let sim = sim().await;
        let url = format!("http://{}/bridge/api/client/v1/oauth/token", sim.addr());
        let client = reqwest::Client::new();
        let bad = client
            .post(&url)
            .form(&[
                ("client_id", "chat_bot"),
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", "wrong"),
            ])
            .send()
            .await
            .expect("send");
        assert_eq!(bad.status(), 401);
        let body: Value = bad.json().await.expect("json");
        assert_eq!(body["error"], "invalid_grant");
        let good = client
            .post(&url)
            .form(&[
                ("client_id", "chat_bot"),
                ("grant_type", "password"),
                ("username", "alice@sim.local"),
                ("password", "alice-pass"),
            ])
            .send()
            .await
            .expect("send");
        assert_eq!(good.status(), 200);
        let body: Value = good.json().await.expect("json");
        assert_eq!(body["token_type"], "bearer");
        assert_eq!(body["expires_in"], 3600);
        assert_eq!(
            body["access_token"]
                .as_str()
                .expect("token")
                .split('.')
                .count(),
            3
        );
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn chat_errors_and_permissions() {
    bounded(15, async {
        let sim = sim().await;
        let addr = sim.addr();
        let mut alice = Tc::login(addr, "alice").await;
        let mut carol = Tc::login(addr, "carol").await;
        let r = alice.call("getChatByID", json!({"chatId": "0000"})).await;
        assert_eq!(r["errorCode"], 304);
        let r = alice.call("createP2PChat", json!({"userId": "nobody@sim.local"})).await;
        assert_eq!(r["errorCode"], 399);
        let r = alice.call("noSuchMethod", json!({})).await;
        assert_eq!(r["errorCode"], 307);

        let p2p = alice.call("createP2PChat", json!({"userId": "carol@sim.local"})).await;
        let again = alice.call("createP2PChat", json!({"userId": "carol@sim.local"})).await;
        assert_eq!(p2p["chatId"], again["chatId"], "P2P chat is reused");
        let note = carol.notification("createP2PChat").await;
        assert_eq!(note["payload"]["title"], "alice@sim.local");
        let r = alice
            .call("addChatParticipant", json!({"chatId": p2p["chatId"], "userId": "bob@sim.local"}))
            .await;
        assert_eq!(r["errorCode"], 302);

        let group = alice.call("createGroupChat", json!({"name": "G"})).await;
        let gid = group["chatId"].clone();
        alice.call("addChatParticipant", json!({"chatId": gid, "userId": "carol@sim.local"})).await;
        let r = alice.call("addChatParticipant", json!({"chatId": gid, "userId": "carol@sim.local"})).await;
        assert_eq!(r["errorCode"], 309);
        let r = carol.call("editChatTitle", json!({"chatId": gid, "title": "mine"})).await;
        assert_eq!(r["errorCode"], 303, "a plain user cannot rename");
        let r = alice.call("changeParticipantRole", json!({"chatId": gid, "userId": "carol@sim.local", "role": "admin"})).await;
        assert_eq!(r, json!({}));
        let role = carol.notification("changeParticipantRole").await;
        assert_eq!(role["payload"]["role"], "admin");
        let r = carol.call("editChatTitle", json!({"chatId": gid, "title": "renamed"})).await;
        assert!(r["timestamp"].is_u64(), "{r}");
        let renamed = alice.notification("editChatTitle").await;
        assert_eq!(renamed["payload"]["title"], "renamed");
        let p = alice.call("getChatParticipants", json!({"chatId": gid, "pageSize": 10, "pageNumber": 1})).await;
        assert_eq!(p["participants"].as_array().expect("list").len(), 2);
        let has = alice.call("hasChatParticipant", json!({"chatId": gid, "userId": "bob@sim.local"})).await;
        assert_eq!(has["result"], false);

        let long = "x".repeat(4097);
        let r = alice.call("sendMessage", json!({"chatId": gid, "content": {"text": long, "parseMode": "text"}})).await;
        assert_eq!(r["errorCode"], 399);
        let sent = alice.call("sendMessage", json!({"chatId": gid, "content": {"text": "v1", "parseMode": "text"}})).await;
        carol.notification("sendMessage").await;
        let r = carol.call("editMessage", json!({"messageId": sent["messageId"], "content": {"text": "hack"}})).await;
        assert_eq!(r["errorCode"], 303);
        alice.call("editMessage", json!({"messageId": sent["messageId"], "content": {"text": "v2", "parseMode": "text"}})).await;
        let edited = carol.notification("editMessage").await;
        assert_eq!(edited["payload"]["content"]["text"], "v2");
        assert_eq!(edited["payload"]["isEdited"], true);
        alice.call("removeMessage", json!({"messageId": sent["messageId"], "forAll": true})).await;
        let removed = carol.notification("removeMessage").await;
        assert_eq!(removed["payload"]["messageId"], sent["messageId"]);
        let r = carol.call("getMessageById", json!({"messageId": sent["messageId"]})).await;
        assert_eq!(r["errorCode"], 306);

        alice.call("removeChatParticipant", json!({"chatId": gid, "userId": "carol@sim.local"})).await;
        let gone = carol.notification("removeChatParticipant").await;
        assert_eq!(gone["payload"]["userId"], "carol@sim.local");
        let r = carol.call("getChatByID", json!({"chatId": gid})).await;
        assert_eq!(r["errorCode"], 304);
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn strict_ack_checking_logs_client_faults() {
    bounded(15, async {
        let sim = sim().await;
        let addr = sim.addr();
        let mut alice = Tc::login(addr, "alice").await;
        let mut bob = Tc::login(addr, "bob").await;
        bob.auto_ack = false;
        let chat = alice.call("createP2PChat", json!({"userId": "bob@sim.local"})).await;
        let created = bob.notification("createP2PChat").await;
        bob.ack(&created).await;
        bob.ack(&created).await; // twice
        bob.send_raw(json!({"type": 2, "id": 9999})).await; // unknown id
        alice
            .call("sendMessage", json!({"chatId": chat["chatId"], "content": {"text": "ack me", "parseMode": "text"}}))
            .await;
        let _never_acked = bob.notification("sendMessage").await;
        tokio::time::sleep(Duration::from_millis(900)).await;
        let faults = admin_faults(addr).await;
        assert_eq!(faults, sim.client_faults());
        assert!(faults.iter().any(|f| f.contains("acked twice")), "{faults:?}");
        assert!(faults.iter().any(|f| f.contains("unknown server request id 9999")), "{faults:?}");
        assert!(faults.iter().any(|f| f.contains("(sendMessage) not acked")), "{faults:?}");
        // Still unread: the notification was never acked.
        let c = bob.call("getChatByID", json!({"chatId": chat["chatId"]})).await;
        assert_eq!(c["unreadMessages"], 1);
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn every_connection_but_the_sender_gets_the_message() {
    bounded(10, async {
        let sim = sim().await;
        let addr = sim.addr();
        let mut alice1 = Tc::login(addr, "alice").await;
        let mut alice2 = Tc::login(addr, "alice").await;
        let mut bob = Tc::login(addr, "bob").await;
        let chat = alice1.call("createP2PChat", json!({"userId": "bob@sim.local"})).await;
        alice2.notification("createP2PChat").await;
        bob.notification("createP2PChat").await;
        alice1
            .call("sendMessage", json!({"chatId": chat["chatId"], "content": {"text": "to all my devices", "parseMode": "text"}}))
            .await;
        let on_alice2 = alice2.notification("sendMessage").await;
        let on_bob = bob.notification("sendMessage").await;
        assert_eq!(on_alice2["payload"]["messageId"], on_bob["payload"]["messageId"]);
        // Server request ids are per connection.
        assert!(on_alice2["id"].is_u64() && on_bob["id"].is_u64());
        assert!(common::next_text(&mut alice1.ws, Duration::from_millis(300)).await.is_none());
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(sim.client_faults().is_empty(), "{:?}", sim.client_faults());
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn receive_unread_redelivers_unread_messages_after_auth() {
    bounded(10, async {
        let sim = sim().await;
        let addr = sim.addr();
        let mut alice = Tc::login(addr, "alice").await;
        let chat = alice.call("createP2PChat", json!({"userId": "bob@sim.local"})).await;
        for text in ["one", "two"] {
            alice
                .call("sendMessage", json!({"chatId": chat["chatId"], "content": {"text": text, "parseMode": "text"}}))
                .await;
        }
        // Bob was offline; he logs in asking for unread messages.
        let token = tc_token(addr, "bob").await;
        let mut bob = Tc::connect(addr).await;
        let r = bob
            .call("auth", json!({"token": token, "tokenType": "JWT", "receiveUnread": true}))
            .await;
        assert_eq!(r["userId"], "bob@sim.local");
        assert!(r["connectionId"].is_string());
        let first = bob.notification("sendMessage").await;
        let second = bob.notification("sendMessage").await;
        assert_eq!(first["payload"]["content"]["text"], "one");
        assert_eq!(second["payload"]["content"]["text"], "two");
        let c = bob.call("getChatByID", json!({"chatId": chat["chatId"]})).await;
        assert_eq!(c["unreadMessages"], 0, "acked → read");
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn server_info_and_wall_clock_token_times() {
    bounded(10, async {
        let sim = sim().await;
        let addr = sim.addr();
        let info: Value = reqwest::get(format!("http://{addr}/api/v4/server"))
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert!(info["product"]["version"]
            .as_str()
            .is_some_and(|v| v.starts_with("5.5.")));
        assert_eq!(info["product"]["display_name"], "sim.local");
        let body: Value = reqwest::Client::new()
            .post(format!("http://{addr}/bridge/api/client/v1/oauth/token"))
            .json(&json!({"client_id": "chat_bot", "grant_type": "password", "username": "bob", "password": "bob-pass"}))
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs();
        let expires_at = body["expires_at"].as_u64().expect("expires_at");
        assert!(expires_at > now + 3500 && expires_at <= now + 3700, "{body}");
        let token = body["access_token"].as_str().expect("token");
        let claims = token.split('.').nth(1).expect("claims");
        let claims: Value = serde_json::from_slice(
            &base64_url_decode(claims).expect("base64url"),
        )
        .expect("claims json");
        assert_eq!(claims["exp"].as_u64(), Some(expires_at));
        sim.shutdown().await;
    })
    .await;
}

/// Decodes unpadded base64url (the JWT alphabet) without pulling a crate into the tests.
fn base64_url_decode(s: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    Some(out)
}

#[tokio::test]
async fn envelopes_carry_chat_reply_and_forwarded_envelope() {
    bounded(15, async {
        let sim = sim().await;
        let addr = sim.addr();
        let mut alice = Tc::login(addr, "alice").await;
        let mut bob = Tc::login(addr, "bob").await;
        let g = alice.call("createGroupChat", json!({"title": "Env"})).await["chatId"].clone();
        alice.call("addChatParticipant", json!({"chatId": g, "userId": "bob@sim.local"})).await;
        let first = alice
            .call("sendMessage", json!({"chatId": g, "content": {"text": "one", "parseMode": "text"}}))
            .await;
        let note = bob.notification("sendMessage").await;
        assert_eq!(note["payload"]["chat"], json!({"chatId": g, "chatTitle": "Env", "chatType": 2}));
        bob.call(
            "sendMessage",
            json!({"chatId": g, "content": {"text": "re", "parseMode": "text"}, "replyMessageId": first["messageId"]}),
        )
        .await;
        let reply = alice.notification("sendMessage").await;
        assert_eq!(reply["payload"]["replyMessageId"], first["messageId"]);
        assert_eq!(reply["payload"]["replyMessage"]["messageId"], first["messageId"]);
        assert_eq!(reply["payload"]["replyMessage"]["content"]["text"], "one");
        bob.call("forwardMessage", json!({"chatId": g, "messageId": first["messageId"]})).await;
        let fwd = alice.notification("sendMessage").await;
        assert_eq!(fwd["payload"]["type"], 201);
        let inner = &fwd["payload"]["content"];
        assert_eq!(inner["messageId"], first["messageId"]);
        assert_eq!(inner["chat"]["chatId"], g);
        assert_eq!(inner["content"]["text"], "one");
        assert_eq!(inner["isEdited"], false);
        let chat = alice.call("getChatByID", json!({"chatId": g})).await;
        assert_eq!(chat["lastMessage"]["chat"]["chatId"], g);
        let fav = alice.call("createFavoritesChat", json!({})).await;
        let fav = alice.call("getChatByID", json!({"chatId": fav["chatId"]})).await;
        assert!(fav["title"].is_string(), "every chat has a title: {fav}");
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn system_envelopes_only_for_connections_that_ask() {
    bounded(15, async {
        let sim = sim().await;
        let addr = sim.addr();
        let mut alice = Tc::login(addr, "alice").await;
        let mut bob = Tc::login(addr, "bob").await;
        let mut carol = Tc::login_with(
            addr,
            "carol",
            json!({"receiveSystemMessageEnvelopes": true}),
        )
        .await;
        let g = alice.call("createGroupChat", json!({"title": "Sys"})).await["chatId"].clone();
        for u in ["bob@sim.local", "carol@sim.local"] {
            alice
                .call("addChatParticipant", json!({"chatId": g, "userId": u}))
                .await;
        }
        alice
            .call("editChatTitle", json!({"chatId": g, "title": "Sys2"}))
            .await;
        carol.notification("editChatTitle").await;
        let env = loop {
            let n = carol.notification("sendMessage").await;
            if n["payload"]["type"] == 21 {
                break n;
            }
        };
        assert_eq!(env["payload"]["content"], json!({"title": "Sys2"}));
        assert_eq!(env["payload"]["chat"]["chatTitle"], "Sys2");
        bob.notification("editChatTitle").await;
        bob.call("getChats", json!({})).await;
        assert!(
            !bob.inbox.iter().any(|v| v["method"] == "sendMessage"),
            "no system envelopes unasked: {:?}",
            bob.inbox
        );
        alice
            .call(
                "removeChatParticipant",
                json!({"chatId": g, "userId": "bob@sim.local"}),
            )
            .await;
        let gone = carol.notification("removeChatParticipant").await;
        assert_eq!(gone["payload"]["removedBy"]["id"], "alice@sim.local");
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn files_upload_send_info_download_and_progress() {
    bounded(15, async {
        let sim = sim().await;
        let addr = sim.addr();
        let http = reqwest::Client::new();
        let files = format!("http://{addr}/bridge/api/client/v1/files");
        let mut alice = Tc::login(addr, "alice").await;
        let mut bob = Tc::login(addr, "bob").await;
        let mut carol = Tc::login(addr, "carol").await;
        let p2p = alice.call("createP2PChat", json!({"userId": "bob@sim.local"})).await["chatId"].clone();

        let limits = alice.call("getFileUploadLimits", json!({})).await;
        assert!(limits["maxSize"].as_u64().is_some_and(|m| m > 0), "{limits}");
        let r = alice.call("uploadFile", json!({"fileName": "huge.bin", "fileSize": u64::MAX})).await;
        assert_eq!(r["errorCode"], 406);
        let r = alice.call("uploadFile", json!({"fileName": "", "fileSize": 1})).await;
        assert_eq!(r["errorCode"], 402);

        let unknown = http.put(&files).header("Upload-Task-Id", "nope").body("x").send().await.expect("put");
        assert_eq!(unknown.status(), 404);
        assert_eq!(unknown.json::<Value>().await.expect("json")["errorCode"], 407);

        let task = alice.call("uploadFile", json!({"fileName": "a.txt", "fileSize": 5})).await;
        let task = task["uploadTaskId"].as_str().expect("task").to_string();
        let short = http.put(&files).header("Upload-Task-Id", &task).body("abc").send().await.expect("put");
        assert_eq!(short.json::<Value>().await.expect("json")["errorCode"], 408);
        let body = "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--B--\r\n";
        let up: Value = http
            .post(&files)
            .header("Upload-Task-Id", &task)
            .header("Content-Type", "multipart/form-data; boundary=B")
            .body(body)
            .send()
            .await
            .expect("post")
            .json()
            .await
            .expect("json");
        let temporal = up["temporalFileId"].clone();
        assert!(temporal.is_string(), "{up}");
        let again = http.put(&files).header("Upload-Task-Id", &task).body("hello").send().await.expect("put");
        assert_eq!(again.status(), 404, "a task takes one upload");

        let sent = alice
            .call(
                "sendFile",
                json!({"chatId": p2p, "content": {"temporalFileId": temporal, "caption": {"text": "cap", "parseMode": "text"}}}),
            )
            .await;
        let file_id = sent["fileId"].clone();
        assert!(sent["captionMessageId"].is_string(), "{sent}");
        let r = alice.call("sendFile", json!({"chatId": p2p, "content": {"temporalFileId": temporal}})).await;
        assert_eq!(r["errorCode"], 308, "a temporal file is used once");
        let note = bob.notification("sendMessage").await;
        assert_eq!(note["payload"]["type"], 202);
        assert_eq!(note["payload"]["content"]["fileId"], file_id);
        assert_eq!(note["payload"]["content"]["name"], "a.txt");
        assert_eq!(note["payload"]["content"]["size"], 5);
        let caption = bob.notification("sendMessage").await;
        assert_eq!(caption["payload"]["content"]["text"], "cap");

        let info = bob.call("getFileInfo", json!({"fileId": file_id})).await;
        assert_eq!(info["readyState"], 2);
        assert_eq!(info["mimeType"], "text/plain");
        let url = info["downloadUrl"].as_str().expect("url");
        let bytes = reqwest::get(url).await.expect("get").bytes().await.expect("bytes");
        assert_eq!(&bytes[..], b"hello");
        let r = carol.call("getFileInfo", json!({"fileId": file_id})).await;
        assert_eq!(r["errorCode"], 308, "not in carol's chats");

        let sub = bob.call("subscribeFileProgress", json!({"fileId": file_id})).await;
        assert_eq!(sub["result"], true);
        let progress = bob.notification("uploadFileProgress").await;
        assert_eq!(progress["payload"], json!({"fileId": file_id, "progress": 5}));
        let unsub = bob.call("unsubscribeFileProgress", json!({"fileId": file_id})).await;
        assert_eq!(unsub["result"], true);
        let unsub = bob.call("unsubscribeFileProgress", json!({"fileId": file_id})).await;
        assert_eq!(unsub["result"], false);

        admin_inject(addr, json!({"file_upload_limits": {"maxSize": 10, "extensions": {"mode": "block", "list": ["exe"]}}})).await;
        let changed = bob.notification("getFileUploadLimits").await;
        assert_eq!(changed["payload"]["maxSize"], 10);
        let r = bob.call("uploadFile", json!({"fileName": "x.EXE", "fileSize": 1})).await;
        assert_eq!(r["errorCode"], 403);
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn commands_surveys_activity_and_close_handshake() {
    bounded(15, async {
        let sim = sim().await;
        let addr = sim.addr();
        let mut alice = Tc::login(addr, "alice").await;
        let mut bob = Tc::login(addr, "bob").await;
        let p2p = alice.call("createP2PChat", json!({"userId": "bob@sim.local"})).await["chatId"].clone();
        let buttons = json!([[{"type": "command", "label": "Go", "command": "/go", "customData": "d"}]]);
        let m = alice
            .call("sendMessage", json!({"chatId": p2p, "content": {"text": "t", "parseMode": "text", "buttons": buttons}}))
            .await;
        let note = bob.notification("sendMessage").await;
        assert_eq!(note["payload"]["content"]["buttons"], buttons);
        let r = bob.call("pressButton", json!({"messageId": m["messageId"], "command": "/nope"})).await;
        assert_eq!(r["errorCode"], 399);
        let pressed = bob.call("pressButton", json!({"messageId": m["messageId"], "command": "/go"})).await;
        let cmd = alice.notification("command").await;
        assert_eq!(cmd["payload"]["commandId"], pressed["commandId"]);
        assert_eq!(cmd["payload"]["commandPayload"]["command"], "/go");
        assert_eq!(cmd["payload"]["commandPayload"]["customData"], "d");
        assert_eq!(cmd["payload"]["commandSource"]["message"]["messageId"], m["messageId"]);
        let answer = json!({"commandId": pressed["commandId"], "answerType": "complete", "message": {"text": "ok"}});
        assert_eq!(alice.call("answerCommand", answer.clone()).await, json!({}));
        let got = bob.notification("answerCommand").await;
        assert_eq!(got["payload"]["answerType"], "complete");
        assert_eq!(alice.call("answerCommand", answer).await["errorCode"], 307);

        let survey = json!({"url": "https://x/webtools/survey", "title": "Q?", "path": "p1"});
        let s = alice.call("sendSurvey", json!({"chatId": p2p, "content": survey})).await;
        assert_eq!(bob.notification("sendMessage").await["payload"]["type"], 204);
        let e = alice.call("editSurvey", json!({"messageId": s["messageId"], "content": {"title": "Q2?"}})).await;
        assert_eq!(e["messageId"], s["messageId"]);
        let edited = bob.notification("editMessage").await;
        assert_eq!(edited["payload"]["content"]["title"], "Q2?");
        assert_eq!(edited["payload"]["content"]["url"], "https://x/webtools/survey");

        let act = alice.call("sendChatActivity", json!({"chatId": p2p, "activityType": "typing"})).await;
        assert_eq!(act["activityType"], "typing");
        assert!(act["retryAfter"].is_u64());
        let typing = bob.notification("sendChatActivity").await;
        assert_eq!(typing["payload"]["userId"], "alice@sim.local");
        let name = alice.call("getUserDisplayName", json!({"userId": "bob@sim.local"})).await;
        assert_eq!(name, json!({"displayName": "Bob"}));

        use futures::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::protocol::{frame::coding::CloseCode, CloseFrame};
        use tokio_tungstenite::tungstenite::Message;
        bob.ws
            .send(Message::Close(Some(CloseFrame { code: CloseCode::Normal, reason: "".into() })))
            .await
            .expect("close");
        let echoed = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(Ok(msg)) = bob.ws.next().await {
                if let Message::Close(frame) = msg {
                    return frame.map(|f| f.code);
                }
            }
            None
        })
        .await
        .expect("close reply in time");
        assert_eq!(echoed, Some(CloseCode::Normal));
        assert!(sim.client_faults().is_empty(), "{:?}", sim.client_faults());
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_file_being_stored_reports_progress_then_becomes_ready() {
    bounded(10, async {
        let sim = sim_with(|c| c.trueconf_file_ready_ms = 2000).await;
        let addr = sim.addr();
        let mut alice = Tc::login(addr, "alice").await;
        let fav = alice.call("createFavoritesChat", json!({})).await["chatId"].clone();
        let task = alice
            .call("uploadFile", json!({"fileName": "s.bin", "fileSize": 10}))
            .await;
        let up: Value = reqwest::Client::new()
            .put(format!("http://{addr}/bridge/api/client/v1/files"))
            .header(
                "Upload-Task-Id",
                task["uploadTaskId"].as_str().expect("task"),
            )
            .body(vec![7u8; 10])
            .send()
            .await
            .expect("put")
            .json()
            .await
            .expect("json");
        let sent = alice
            .call(
                "sendFile",
                json!({"chatId": fav, "content": {"temporalFileId": up["temporalFileId"]}}),
            )
            .await;
        let file_id = sent["fileId"].clone();
        let info = alice.call("getFileInfo", json!({"fileId": file_id})).await;
        assert_eq!(info["readyState"], 1);
        assert!(info["downloadUrl"].is_null());
        alice
            .call("subscribeFileProgress", json!({"fileId": file_id}))
            .await;
        let first = alice.notification("uploadFileProgress").await;
        assert!(
            first["payload"]["progress"]
                .as_u64()
                .is_some_and(|p| p < 10),
            "{first}"
        );
        let half = alice.notification("uploadFileProgress").await;
        assert_eq!(half["payload"]["progress"], 5);
        let done = alice.notification("uploadFileProgress").await;
        assert_eq!(done["payload"]["progress"], 10);
        let info = alice.call("getFileInfo", json!({"fileId": file_id})).await;
        assert_eq!(info["readyState"], 2);
        let bytes = reqwest::get(info["downloadUrl"].as_str().expect("url"))
            .await
            .expect("get")
            .bytes()
            .await
            .expect("bytes");
        assert_eq!(&bytes[..], &[7u8; 10]);
        let m = alice
            .call("getMessageById", json!({"messageId": sent["messageId"]}))
            .await;
        assert_eq!(m["content"]["readyState"], 2);
        sim.shutdown().await;
    })
    .await;
}
