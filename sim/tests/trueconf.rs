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
