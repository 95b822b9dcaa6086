//! Nextcloud Talk chat API against the simulator over real loopback HTTP.

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::Method;
use serde_json::{json, Value};

async fn data(resp: reqwest::Response) -> Value {
    let body: Value = resp.json().await.expect("json");
    assert!(
        body["ocs"]["meta"]["statuscode"].is_u64(),
        "OCS envelope: {body}"
    );
    body["ocs"]["data"].clone()
}

#[tokio::test]
async fn seeded_history_and_cursor() {
    bounded(10, async {
        let sim = sim().await;
        let addr = sim.addr();
        let resp = talk(
            Method::GET,
            addr,
            "alice",
            "/chat/room-all?lookIntoFuture=0&limit=2",
        )
        .send()
        .await
        .expect("get");
        assert_eq!(resp.status(), 200);
        let given = header_u64(&resp, "X-Chat-Last-Given").expect("X-Chat-Last-Given");
        let page = data(resp).await;
        let page = page.as_array().expect("array");
        assert_eq!(page.len(), 2);
        assert!(
            page[0]["id"].as_u64() > page[1]["id"].as_u64(),
            "newest first"
        );
        assert_eq!(given, page[1]["id"].as_u64().expect("id"));
        let resp = talk(
            Method::GET,
            addr,
            "alice",
            &format!("/chat/room-all?lookIntoFuture=0&limit=10&lastKnownMessageId={given}"),
        )
        .send()
        .await
        .expect("get");
        let older = data(resp).await;
        let older = older.as_array().expect("array");
        assert_eq!(older.len(), 2, "4 system messages in all");
        assert_eq!(older[1]["systemMessage"], "conversation_created");
        assert_eq!(older[0]["systemMessage"], "user_added");
        assert_eq!(older[1]["messageType"], "system");
        let oldest = older[1]["id"].as_u64().expect("id");
        let resp = talk(
            Method::GET,
            addr,
            "alice",
            &format!("/chat/room-all?lookIntoFuture=0&lastKnownMessageId={oldest}"),
        )
        .send()
        .await
        .expect("get");
        assert_eq!(resp.status(), 304, "nothing older");
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn send_and_long_poll() {
    bounded(15, async {
        let sim = sim().await;
        let addr = sim.addr();
        let all = data(talk(Method::GET, addr, "bob", "/chat/room-all?lookIntoFuture=0").send().await.expect("get")).await;
        let newest = all[0]["id"].as_u64().expect("id");

        // Nothing new: 304 after the (capped) timeout, no body.
        let t0 = Instant::now();
        let resp = talk(
            Method::GET,
            addr,
            "bob",
            &format!("/chat/room-all?lookIntoFuture=1&lastKnownMessageId={newest}&timeout=30"),
        )
        .send()
        .await
        .expect("poll");
        assert_eq!(resp.status(), 304);
        let waited = t0.elapsed();
        assert!(waited >= Duration::from_millis(900) && waited < Duration::from_secs(5), "{waited:?}");
        assert!(resp.bytes().await.expect("body").is_empty());

        // A waiting poll wakes up when alice posts.
        let poll = tokio::spawn(
            talk(
                Method::GET,
                addr,
                "bob",
                &format!("/chat/room-all?lookIntoFuture=1&lastKnownMessageId={newest}&timeout=30&setReadMarker=0"),
            )
            .send(),
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        let sent = talk(Method::POST, addr, "alice", "/chat/room-all")
            .form(&[("message", "hello"), ("referenceId", "ref-1")])
            .send()
            .await
            .expect("post");
        assert_eq!(sent.status(), 201);
        assert!(header_u64(&sent, "X-Chat-Last-Common-Read").is_some());
        let msg = data(sent).await;
        assert_eq!(msg["message"], "hello");
        assert_eq!(msg["referenceId"], "ref-1");
        assert_eq!(msg["actorId"], "alice");
        assert_eq!(msg["actorDisplayName"], "Alice");
        assert_eq!(msg["messageType"], "comment");
        assert_eq!(msg["systemMessage"], "");
        assert_eq!(msg["isReplyable"], true);
        let resp = poll.await.expect("join").expect("poll");
        assert_eq!(resp.status(), 200);
        let given = header_u64(&resp, "X-Chat-Last-Given").expect("X-Chat-Last-Given");
        let got = data(resp).await;
        assert_eq!(got[0]["id"], msg["id"]);
        assert_eq!(given, msg["id"].as_u64().expect("id"));

        // A reply carries its parent in full.
        let reply = talk(Method::POST, addr, "bob", "/chat/room-all")
            .json(&serde_json::json!({"message": "hi!", "replyTo": msg["id"]}))
            .send()
            .await
            .expect("post");
        assert_eq!(reply.status(), 201);
        let reply = data(reply).await;
        assert_eq!(reply["parent"]["id"], msg["id"]);
        assert_eq!(reply["parent"]["message"], "hello");
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn common_read_changes_answer_empty_200() {
    bounded(15, async {
        let sim = sim().await;
        let addr = sim.addr();
        let m = talk_post(addr, "alice", "room-ab", "read me").await;
        let id = m["id"].as_u64().expect("id");
        // bob has not read it: the common read is below it.
        let resp = talk(Method::POST, addr, "alice", "/chat/room-ab/read")
            .form(&[("lastReadMessage", id.to_string())])
            .send()
            .await
            .expect("read");
        assert_eq!(resp.status(), 200);
        let common = header_u64(&resp, "X-Chat-Last-Common-Read").expect("header");
        assert!(common < id);

        // Sent lastCommonReadId differs from the current one → 200 [] at once.
        let resp = talk(
            Method::GET,
            addr,
            "alice",
            &format!("/chat/room-ab?lookIntoFuture=1&lastKnownMessageId={id}&lastCommonReadId={}&timeout=30", common + 1000),
        )
        .send()
        .await
        .expect("poll");
        assert_eq!(resp.status(), 200);
        assert_eq!(header_u64(&resp, "X-Chat-Last-Common-Read"), Some(common));
        assert_eq!(
            header_u64(&resp, "X-Chat-Last-Given"),
            None,
            "as the real server: no new cursor on 200 [] (keep the one sent)"
        );
        assert_eq!(data(resp).await, serde_json::json!([]));

        // Waiting with the current value: bob reading it wakes the poll with 200 [].
        let poll = tokio::spawn(
            talk(
                Method::GET,
                addr,
                "alice",
                &format!("/chat/room-ab?lookIntoFuture=1&lastKnownMessageId={id}&lastCommonReadId={common}&timeout=30"),
            )
            .send(),
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        let resp = talk(Method::POST, addr, "bob", "/chat/room-ab/read")
            .form(&[("lastReadMessage", id.to_string())])
            .send()
            .await
            .expect("read");
        assert_eq!(header_u64(&resp, "X-Chat-Last-Common-Read"), Some(id));
        let resp = poll.await.expect("join").expect("poll");
        assert_eq!(resp.status(), 200);
        assert_eq!(header_u64(&resp, "X-Chat-Last-Common-Read"), Some(id));
        assert_eq!(data(resp).await, serde_json::json!([]));
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn error_statuses() {
    bounded(10, async {
        let sim = sim().await;
        let addr = sim.addr();
        let post = |user: &'static str, room: &str, text: String| {
            talk(Method::POST, addr, user, &format!("/chat/{room}"))
                .form(&[("message", text)])
                .send()
        };
        assert_eq!(
            post("alice", "room-all", "x".repeat(32001))
                .await
                .expect("post")
                .status(),
            413
        );
        assert_eq!(
            post("alice", "room-all", "x".repeat(32000))
                .await
                .expect("post")
                .status(),
            201
        );
        assert_eq!(
            post("carol", "room-ab", "hi".into())
                .await
                .expect("post")
                .status(),
            404
        );
        assert_eq!(
            post("alice", "room-lobby", "hi".into())
                .await
                .expect("post")
                .status(),
            412
        );
        assert_eq!(
            post("alice", "room-ro", "hi".into())
                .await
                .expect("post")
                .status(),
            403
        );
        assert_eq!(
            post("alice", "no-such-room", "hi".into())
                .await
                .expect("post")
                .status(),
            404
        );
        let r = talk(Method::GET, addr, "alice", "/chat/room-ro?lookIntoFuture=0")
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200, "a read-only room can be read");

        // No OCS header → 400; bad credentials → 401.
        let client = reqwest::Client::new();
        let url = format!("http://{addr}{TALK}/chat/room-all");
        let r = client
            .get(&url)
            .basic_auth("alice", Some("alice-app-pass"))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 400);
        let r = client
            .get(&url)
            .basic_auth("alice", Some("wrong"))
            .header("OCS-APIRequest", "true")
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 401);
        let r = client
            .get(&url)
            .header("OCS-APIRequest", "true")
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 401);
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn http_bursts_then_recovery() {
    bounded(10, async {
        let sim = sim().await;
        let addr = sim.addr();
        admin_inject(
            addr,
            serde_json::json!({"http_429_burst": 2, "http_503_burst": 1}),
        )
        .await;
        let get = || {
            talk(
                Method::GET,
                addr,
                "alice",
                "/chat/room-all?lookIntoFuture=0",
            )
            .send()
        };
        assert_eq!(get().await.expect("get").status(), 429);
        assert_eq!(get().await.expect("get").status(), 429);
        assert_eq!(get().await.expect("get").status(), 503);
        assert_eq!(get().await.expect("get").status(), 200);
        admin_inject(
            addr,
            serde_json::json!({"http_503_burst": 1, "http_retry_after_secs": 2}),
        )
        .await;
        let r = get().await.expect("get");
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()["Retry-After"], "2");
        let r = get().await.expect("get");
        assert_eq!(r.status(), 200);
        assert!(
            r.headers().get("Retry-After").is_none(),
            "only on the burst"
        );
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn mentions_include_all() {
    bounded(10, async {
        let sim = sim().await;
        let addr = sim.addr();
        let r = talk(
            Method::GET,
            addr,
            "alice",
            "/chat/room-all/mentions?search=&limit=20",
        )
        .send()
        .await
        .expect("get");
        assert_eq!(r.status(), 200);
        let list = data(r).await;
        let list = list.as_array().expect("array");
        assert!(list
            .iter()
            .any(|s| s["id"] == "all" && s["source"] == "calls" && s["label"] == "All of us"));
        assert!(list
            .iter()
            .any(|s| s["id"] == "bob" && s["label"] == "Bob" && s["source"] == "users"));
        assert!(!list.iter().any(|s| s["id"] == "alice"), "not oneself");
        let r = talk(
            Method::GET,
            addr,
            "alice",
            "/chat/room-all/mentions?search=car",
        )
        .send()
        .await
        .expect("get");
        let list = data(r).await;
        assert_eq!(list.as_array().expect("array").len(), 1);
        assert_eq!(list[0]["id"], "carol");
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn deleted_parent_is_the_deleted_message() {
    bounded(10, async {
        let sim = sim().await;
        let addr = sim.addr();
        let m = talk_post(addr, "alice", "room-ab", "oops").await;
        let id = m["id"].as_u64().expect("id");
        let reply = talk(Method::POST, addr, "bob", "/chat/room-ab")
            .form(&[("message", "what?".to_string()), ("replyTo", id.to_string())])
            .send()
            .await
            .expect("post");
        let reply_id = data(reply).await["id"].as_u64().expect("id");
        let del = talk(Method::DELETE, addr, "alice", &format!("/chat/room-ab/{id}")).send().await.expect("delete");
        assert_eq!(del.status(), 200);
        let r = talk(
            Method::GET,
            addr,
            "bob",
            &format!("/chat/room-ab?lookIntoFuture=0&lastKnownMessageId={reply_id}&includeLastKnown=1&limit=1"),
        )
        .send()
        .await
        .expect("get");
        let list = data(r).await;
        assert_eq!(list[0]["id"], reply_id);
        // As the real server: the parent is the deleted message itself, rendered as deleted.
        let parent = &list[0]["parent"];
        assert_eq!(parent["id"], id);
        assert_eq!(parent["deleted"], true);
        assert_eq!(parent["messageType"], "comment_deleted");
        assert_eq!(parent["message"], "Message deleted by author");
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn cors_preflight_for_browsers() {
    bounded(10, async {
        let sim = sim().await;
        let addr = sim.addr();
        let client = reqwest::Client::new();
        let r = client
            .request(
                Method::OPTIONS,
                format!("http://{addr}{TALK}/chat/room-all"),
            )
            .header("Origin", "http://localhost:8000")
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization, ocs-apirequest",
            )
            .send()
            .await
            .expect("preflight");
        assert_eq!(r.status(), 204);
        assert_eq!(
            r.headers()["access-control-allow-origin"],
            "http://localhost:8000"
        );
        assert_eq!(
            r.headers()["access-control-allow-headers"],
            "authorization, ocs-apirequest"
        );
        let r = talk(
            Method::GET,
            addr,
            "alice",
            "/chat/room-all?lookIntoFuture=0",
        )
        .header("Origin", "http://localhost:8000")
        .send()
        .await
        .expect("get");
        assert_eq!(r.status(), 200);
        let exposed = r.headers()["access-control-expose-headers"]
            .to_str()
            .expect("ascii");
        assert!(exposed.contains("X-Chat-Last-Given"));
        sim.shutdown().await;
    })
    .await;
}

// ------------------------------------------------------------------ rooms, edits, reactions

const ROOMS: &str = "/ocs/v2.php/apps/spreed/api/v4/room";

/// A request as `user` to any OCS path (Basic auth with the app password, OCS header).
fn ocs_req(
    method: Method,
    addr: std::net::SocketAddr,
    user: &str,
    path: &str,
) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, format!("http://{addr}{path}"))
        .basic_auth(user, Some(format!("{user}-app-pass")))
        .header("OCS-APIRequest", "true")
        .header("Accept", "application/json")
}

async fn room_of(addr: std::net::SocketAddr, user: &str, token: &str) -> Value {
    let r = ocs_req(Method::GET, addr, user, &format!("{ROOMS}/{token}"))
        .send()
        .await
        .expect("room");
    assert_eq!(r.status(), 200);
    data(r).await
}

/// Starts a long-poll as `user` above `after` (read marker untouched).
fn poll(
    addr: std::net::SocketAddr,
    user: &'static str,
    room: &'static str,
    after: u64,
) -> tokio::task::JoinHandle<Value> {
    tokio::spawn(async move {
        let r = talk(
            Method::GET,
            addr,
            user,
            &format!("/chat/{room}?lookIntoFuture=1&lastKnownMessageId={after}&timeout=30&setReadMarker=0"),
        )
        .send()
        .await
        .expect("poll");
        assert_eq!(r.status(), 200);
        data(r).await
    })
}

#[tokio::test]
async fn room_list_with_unread_mentions_and_modified_since() {
    bounded(20, async {
        let sim = sim().await;
        let addr = sim.addr();
        let r = ocs_req(Method::GET, addr, "alice", ROOMS)
            .send()
            .await
            .expect("rooms");
        assert_eq!(r.status(), 200);
        let since = r.headers()["x-nextcloud-talk-modified-before"]
            .to_str()
            .expect("ascii")
            .parse::<u64>()
            .expect("number");
        assert!(r.headers().contains_key("x-nextcloud-talk-hash"));
        let list = data(r).await;
        let list = list.as_array().expect("array");
        let tokens: Vec<&str> = list
            .iter()
            .map(|r| r["token"].as_str().expect("token"))
            .collect();
        assert_eq!(tokens, ["room-all", "room-ab", "room-lobby", "room-ro"]);
        let ab = &list[1];
        assert_eq!(ab["type"], 1, "one-to-one");
        assert_eq!(ab["name"], "bob");
        assert_eq!(ab["displayName"], "Bob");
        assert_eq!(ab["participantType"], 1);
        assert_eq!(ab["unreadMessages"], 0);
        assert_eq!(ab["lastMessage"]["systemMessage"], "conversation_created");
        assert_eq!(ab["lastMessage"]["message"], "You created the conversation");
        assert_eq!(ab["lastReadMessage"], ab["lastMessage"]["id"]);
        let lobby = &list[2];
        assert_eq!(
            (
                lobby["lobbyState"].clone(),
                lobby["participantType"].clone()
            ),
            (json!(1), json!(3))
        );
        assert_eq!(
            lobby["lastMessage"],
            json!([]),
            "chat data withheld in the lobby"
        );
        assert_eq!(list[3]["readOnly"], 1);
        let seeded_last = ab["lastReadMessage"].as_u64().expect("id");

        // bob writes three messages to alice, one mentioning her.
        talk_post(addr, "bob", "room-ab", "one").await;
        talk_post(addr, "bob", "room-ab", "@alice have a look").await;
        let last = talk_post(addr, "bob", "room-ab", "three").await;
        let room = room_of(addr, "alice", "room-ab").await;
        assert_eq!(room["unreadMessages"], 3);
        assert_eq!(room["unreadMention"], true);
        assert_eq!(room["unreadMentionDirect"], true);
        assert_eq!(room["lastReadMessage"], seeded_last);
        assert_eq!(room["lastMessage"]["id"], last["id"]);
        assert_eq!(room["lastMessage"]["message"], "three");
        assert_eq!(room["lastCommonReadMessage"], seeded_last);
        assert!(room["lastMessage"].get("parent").is_none());
        assert_eq!(
            room_of(addr, "bob", "room-ab").await["unreadMessages"],
            0,
            "own messages are read"
        );

        // Only the changed room comes back for modifiedSince.
        let r = ocs_req(
            Method::GET,
            addr,
            "alice",
            &format!("{ROOMS}?modifiedSince={}", since + 1),
        )
        .send()
        .await
        .expect("rooms");
        let changed = data(r).await;
        let changed: Vec<&str> = changed
            .as_array()
            .expect("array")
            .iter()
            .map(|r| r["token"].as_str().expect("token"))
            .collect();
        assert_eq!(changed, ["room-ab"]);

        // A poll moves the read marker to what the client says it has (before waiting).
        let second = last["id"].as_u64().expect("id") - 1;
        let r = talk(
            Method::GET,
            addr,
            "alice",
            &format!("/chat/room-ab?lookIntoFuture=1&lastKnownMessageId={second}&timeout=1"),
        )
        .send()
        .await
        .expect("poll");
        assert_eq!(r.status(), 200);
        let room = room_of(addr, "alice", "room-ab").await;
        assert_eq!(room["lastReadMessage"], second);
        assert_eq!(room["unreadMessages"], 1);
        assert_eq!(room["unreadMention"], false, "the mention is read now");

        // Mark unread: the last comment counts again.
        let r = talk(Method::DELETE, addr, "alice", "/chat/room-ab/read")
            .send()
            .await
            .expect("unread");
        assert_eq!(r.status(), 200);
        let room = room_of(addr, "alice", "room-ab").await;
        assert_eq!(room["unreadMessages"], 1);
        assert_eq!(room["lastReadMessage"], second);

        let r = ocs_req(Method::GET, addr, "carol", &format!("{ROOMS}/room-ab"))
            .send()
            .await
            .expect("room");
        assert_eq!(r.status(), 404);
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn capabilities_follow_the_talk_version() {
    bounded(15, async {
        for (version, edits) in [
            (chatwire_sim::TalkVersion::V19, true),
            (chatwire_sim::TalkVersion::V18, false),
        ] {
            let sim = sim_with(|c| c.talk_version = version).await;
            let addr = sim.addr();
            let r = ocs_req(Method::GET, addr, "alice", "/ocs/v2.php/cloud/capabilities")
                .send()
                .await
                .expect("caps");
            let caps = data(r).await;
            let spreed = &caps["capabilities"]["spreed"];
            let features: Vec<&str> = spreed["features"]
                .as_array()
                .expect("features")
                .iter()
                .map(|f| f.as_str().expect("str"))
                .collect();
            for f in [
                "chat-v2",
                "chat-read-status",
                "reactions",
                "delete-messages",
                "chat-reference-id",
            ] {
                assert!(features.contains(&f), "{f}");
            }
            assert_eq!(features.contains(&"edit-messages"), edits);
            assert_eq!(spreed["config"]["chat"]["max-length"], 32000);
            let m = talk_post(addr, "alice", "room-ab", "typo").await;
            let r = talk(
                Method::PUT,
                addr,
                "alice",
                &format!("/chat/room-ab/{}", m["id"]),
            )
            .form(&[("message", "fixed")])
            .send()
            .await
            .expect("put");
            assert_eq!(r.status(), if edits { 200 } else { 405 });
            sim.shutdown().await;
        }
    })
    .await;
}

#[tokio::test]
async fn an_edit_reaches_the_other_reader_as_message_edited() {
    bounded(15, async {
        let sim = sim().await;
        let addr = sim.addr();
        let m = talk_post(addr, "alice", "room-ab", "helo @bob").await;
        let id = m["id"].as_u64().expect("id");
        let waiting = poll(addr, "bob", "room-ab", id);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let r = talk(Method::PUT, addr, "alice", &format!("/chat/room-ab/{id}"))
            .json(&json!({"message": "hello @bob"}))
            .send()
            .await
            .expect("put");
        assert_eq!(r.status(), 200);
        assert!(header_u64(&r, "X-Chat-Last-Common-Read").is_some());
        let sys = data(r).await;
        assert_eq!(sys["systemMessage"], "message_edited");
        assert_eq!(sys["message"], "You edited a message");
        assert_eq!(sys["parent"]["id"], id);
        assert_eq!(sys["parent"]["message"], "hello {mention-user1}");
        assert_eq!(sys["parent"]["lastEditActorId"], "alice");
        assert_eq!(sys["parent"]["lastEditActorType"], "users");
        assert_eq!(sys["parent"]["lastEditActorDisplayName"], "Alice");
        assert!(sys["parent"]["lastEditTimestamp"].as_u64() >= m["timestamp"].as_u64());

        let got = waiting.await.expect("join");
        assert_eq!(got.as_array().expect("array").len(), 1);
        let seen = &got[0];
        assert_eq!(seen["systemMessage"], "message_edited");
        assert_eq!(seen["message"], "{actor} edited a message");
        assert_eq!(
            seen["messageParameters"]["actor"],
            json!({"type": "user", "id": "alice", "name": "Alice"})
        );
        assert_eq!(seen["parent"]["message"], "hello {mention-user1}");
        assert_eq!(
            seen["parent"]["messageParameters"]["mention-user1"]["id"],
            "bob"
        );

        // Not bob's message (a one-to-one room has no moderators): 403; a system message: 405;
        // empty: 400; too long: 413.
        let put = |user: &'static str, target: u64, text: String| {
            talk(Method::PUT, addr, user, &format!("/chat/room-ab/{target}"))
                .form(&[("message", text)])
                .send()
        };
        assert_eq!(
            put("bob", id, "mine now".into())
                .await
                .expect("put")
                .status(),
            403
        );
        let sys_id = sys["id"].as_u64().expect("id");
        assert_eq!(
            put("alice", sys_id, "x".into())
                .await
                .expect("put")
                .status(),
            405
        );
        assert_eq!(
            put("alice", id, " ".into()).await.expect("put").status(),
            400
        );
        assert_eq!(
            put("alice", id, "x".repeat(32001))
                .await
                .expect("put")
                .status(),
            413
        );
        assert_eq!(
            put("alice", 999_999, "x".into())
                .await
                .expect("put")
                .status(),
            404
        );
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_deletion_reaches_the_other_reader_as_message_deleted() {
    bounded(15, async {
        let sim = sim().await;
        let addr = sim.addr();
        let m = talk_post(addr, "alice", "room-ab", "oops").await;
        let id = m["id"].as_u64().expect("id");
        let waiting = poll(addr, "bob", "room-ab", id);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let r = talk(Method::DELETE, addr, "bob", &format!("/chat/room-ab/{id}"))
            .send()
            .await
            .expect("delete");
        assert_eq!(r.status(), 403, "not bob's");
        let r = talk(
            Method::DELETE,
            addr,
            "alice",
            &format!("/chat/room-ab/{id}"),
        )
        .send()
        .await
        .expect("delete");
        assert_eq!(r.status(), 200);
        let sys = data(r).await;
        assert_eq!(sys["systemMessage"], "message_deleted");
        assert_eq!(sys["message"], "You deleted a message");
        assert_eq!(sys["parent"]["id"], id);
        assert_eq!(sys["parent"]["messageType"], "comment_deleted");
        assert_eq!(sys["parent"]["message"], "Message deleted by you");

        let got = waiting.await.expect("join");
        let seen = &got[0];
        assert_eq!(seen["systemMessage"], "message_deleted");
        assert_eq!(seen["message"], "{actor} deleted a message");
        assert_eq!(seen["parent"]["id"], id);
        assert_eq!(seen["parent"]["messageType"], "comment_deleted");
        assert_eq!(seen["parent"]["message"], "Message deleted by author");
        assert_eq!(seen["parent"]["messageParameters"]["actor"]["id"], "alice");
        assert_eq!(seen["parent"]["isReplyable"], false);

        let sys_id = sys["id"].as_u64().expect("id");
        let r = talk(
            Method::DELETE,
            addr,
            "alice",
            &format!("/chat/room-ab/{sys_id}"),
        )
        .send()
        .await
        .expect("delete");
        assert_eq!(r.status(), 405, "system messages cannot be deleted");
        let r = talk(
            Method::DELETE,
            addr,
            "alice",
            &format!("/chat/room-ab/{id}"),
        )
        .send()
        .await
        .expect("delete");
        assert_eq!(r.status(), 405, "already deleted");
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn reactions_and_their_system_messages() {
    bounded(15, async {
        let sim = sim().await;
        let addr = sim.addr();
        let m = talk_post(addr, "alice", "room-all", "lunch?").await;
        let id = m["id"].as_u64().expect("id");
        let path = format!("/reaction/room-all/{id}");
        let waiting = poll(addr, "alice", "room-all", id);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let r = talk(Method::POST, addr, "bob", &path).form(&[("reaction", "👍")]).send().await.expect("react");
        assert_eq!(r.status(), 201);
        let list = data(r).await;
        assert_eq!(list["👍"][0]["actorId"], "bob");
        assert_eq!(list["👍"][0]["actorDisplayName"], "Bob");
        assert!(list["👍"][0]["timestamp"].is_u64());
        let r = talk(Method::POST, addr, "bob", &path).form(&[("reaction", "👍")]).send().await.expect("react");
        assert_eq!(r.status(), 200, "already there");

        let got = waiting.await.expect("join");
        let reaction = &got[0];
        assert_eq!(reaction["systemMessage"], "reaction");
        assert_eq!(reaction["messageType"], "system");
        assert_eq!(reaction["message"], "👍");
        assert_eq!(reaction["actorId"], "bob");
        assert_eq!(reaction["parent"]["id"], id);
        assert_eq!(reaction["parent"]["reactions"], json!({"👍": 1}));
        let reaction_id = reaction["id"].as_u64().expect("id");

        let history = |user: &'static str| {
            talk(Method::GET, addr, user, &format!("/chat/room-all?lookIntoFuture=0&lastKnownMessageId={id}&includeLastKnown=1&limit=1")).send()
        };
        let for_bob = data(history("bob").await.expect("get")).await;
        assert_eq!(for_bob[0]["reactions"], json!({"👍": 1}));
        assert_eq!(for_bob[0]["reactionsSelf"], json!(["👍"]));
        let for_alice = data(history("alice").await.expect("get")).await;
        assert!(for_alice[0].get("reactionsSelf").is_none());

        let r = talk(Method::GET, addr, "carol", &path).send().await.expect("list");
        assert_eq!(r.status(), 200);
        assert_eq!(data(r).await["👍"].as_array().map(Vec::len), Some(1));

        let waiting = poll(addr, "alice", "room-all", reaction_id);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let r = talk(Method::DELETE, addr, "bob", &format!("{path}?reaction=%F0%9F%91%8D")).send().await.expect("unreact");
        assert_eq!(r.status(), 200);
        assert_eq!(data(r).await, json!({}));
        let got = waiting.await.expect("join");
        assert_eq!(got[0]["systemMessage"], "reaction_revoked");
        assert_eq!(got[0]["message"], "{actor} deleted a reaction");
        assert_eq!(got[0]["parent"]["id"], id);
        assert_eq!(got[0]["parent"]["reactions"], json!({}));
        let r = talk(Method::GET, addr, "alice", &format!("/chat/room-all?lookIntoFuture=0&lastKnownMessageId={reaction_id}&includeLastKnown=1&limit=1")).send().await.expect("get");
        let old = data(r).await;
        assert_eq!(old[0]["systemMessage"], "reaction_deleted");
        assert_eq!(old[0]["message"], "Reaction deleted by author");

        let r = talk(Method::DELETE, addr, "bob", &format!("{path}?reaction=%F0%9F%91%8D")).send().await.expect("unreact");
        assert_eq!(r.status(), 404, "nothing to remove");
        let r = talk(Method::POST, addr, "bob", &path).form(&[("reaction", "yes")]).send().await.expect("react");
        assert_eq!(r.status(), 400, "not an emoji");
        let r = talk(Method::POST, addr, "bob", &format!("/reaction/room-all/{reaction_id}")).form(&[("reaction", "👍")]).send().await.expect("react");
        assert_eq!(r.status(), 400, "only comments take reactions");
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn mentions_become_placeholders_and_system_texts_fit_the_reader() {
    bounded(15, async {
        let sim = sim().await;
        let addr = sim.addr();
        let m = talk_post(addr, "alice", "room-all", "@bob have a look").await;
        assert_eq!(m["message"], "{mention-user1} have a look");
        assert_eq!(
            m["messageParameters"]["mention-user1"],
            json!({"type": "user", "id": "bob", "name": "Bob"})
        );
        let m = talk_post(addr, "alice", "room-all", "@all and @carol, @nobody").await;
        assert_eq!(m["message"], "{mention-call1} and {mention-user1}, @nobody");
        assert_eq!(m["messageParameters"]["mention-call1"]["type"], "call");
        assert_eq!(m["messageParameters"]["mention-call1"]["id"], "room-all");
        assert_eq!(m["messageParameters"]["mention-call1"]["name"], "All of us");
        let plain = talk_post(addr, "alice", "room-all", "no mention").await;
        assert_eq!(plain["messageParameters"], json!([]));
        let carol = room_of(addr, "carol", "room-all").await;
        assert_eq!(
            (
                carol["unreadMention"].clone(),
                carol["unreadMentionDirect"].clone()
            ),
            (json!(true), json!(true))
        );

        let seeded = |user: &'static str| async move {
            let r = talk(
                Method::GET,
                addr,
                user,
                "/chat/room-all?lookIntoFuture=0&lastKnownMessageId=5&limit=10",
            )
            .send()
            .await
            .expect("get");
            data(r).await
        };
        // Oldest first after reversing: conversation_created, then user_added alice, bob, carol.
        let alice = seeded("alice").await;
        let bob = seeded("bob").await;
        let carol = seeded("carol").await;
        let texts = |v: &Value| -> Vec<String> {
            v.as_array()
                .expect("array")
                .iter()
                .rev()
                .map(|m| m["message"].as_str().expect("text").to_string())
                .collect()
        };
        assert_eq!(
            texts(&alice),
            [
                "You created the conversation",
                "You joined the conversation",
                "You added {user}",
                "You added {user}"
            ]
        );
        assert_eq!(
            texts(&bob),
            [
                "{actor} created the conversation",
                "{actor} joined the conversation",
                "{actor} added you",
                "{actor} added {user}"
            ]
        );
        assert_eq!(texts(&carol)[2], "{actor} added {user}");
        assert_eq!(
            carol[1]["messageParameters"]["user"],
            json!({"type": "user", "id": "bob", "name": "Bob"})
        );
        assert_eq!(carol[1]["messageParameters"]["actor"]["id"], "alice");
        assert_eq!(carol[0]["markdown"], false);
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_session_cookie_authenticates_a_same_origin_page() {
    bounded(15, async {
        let sim = sim().await;
        let addr = sim.addr();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let get_rooms = |cookie: String, ocs: bool| {
            let mut req = client
                .get(format!("http://{addr}{ROOMS}"))
                .header("Cookie", cookie)
                .header("Accept", "application/json");
            if ocs {
                req = req.header("OCS-APIRequest", "true");
            }
            req.send()
        };
        let r = get_rooms("nc_session_id=alice-session".into(), true)
            .await
            .expect("rooms");
        assert_eq!(r.status(), 200);
        assert_eq!(data(r).await[0]["actorId"], "alice");
        assert_eq!(
            get_rooms("nc_session_id=alice-session".into(), false)
                .await
                .expect("rooms")
                .status(),
            400
        );
        assert_eq!(
            get_rooms("nc_session_id=forged".into(), true)
                .await
                .expect("rooms")
                .status(),
            401
        );

        let r = client
            .post(format!("http://{addr}/login"))
            .form(&[
                ("user", "bob"),
                ("password", "bob-pass"),
                ("redirect_url", "/demo/"),
            ])
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/demo/");
        let set = r.headers()["set-cookie"]
            .to_str()
            .expect("ascii")
            .to_string();
        assert!(set.contains("HttpOnly") && set.contains("Path=/"), "{set}");
        let session = set.split(';').next().expect("pair").to_string();
        assert!(session.starts_with("nc_session_id="));
        let r = get_rooms(session.clone(), true).await.expect("rooms");
        assert_eq!(data(r).await[0]["actorId"], "bob");
        let sent = client
            .post(format!("http://{addr}{TALK}/chat/room-ab"))
            .header("Cookie", session.clone())
            .header("OCS-APIRequest", "true")
            .form(&[("message", "from the browser")])
            .send()
            .await
            .expect("post");
        assert_eq!(sent.status(), 201);

        let r = client
            .post(format!("http://{addr}/login"))
            .form(&[("user", "bob"), ("password", "nope")])
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), 401);
        let r = client
            .get(format!("http://{addr}/logout"))
            .header("Cookie", session.clone())
            .send()
            .await
            .expect("logout");
        assert_eq!(r.status(), 303);
        assert_eq!(get_rooms(session, true).await.expect("rooms").status(), 401);
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn strict_cors_keeps_talk_same_origin() {
    bounded(15, async {
        let sim = sim_with(|c| c.cors = chatwire_sim::CorsMode::Strict).await;
        let addr = sim.addr();
        let client = reqwest::Client::new();
        let r = client
            .request(
                Method::OPTIONS,
                format!("http://{addr}{TALK}/chat/room-all"),
            )
            .header("Origin", "http://localhost:8000")
            .header("Access-Control-Request-Method", "GET")
            .header(
                "Access-Control-Request-Headers",
                "authorization, ocs-apirequest",
            )
            .send()
            .await
            .expect("preflight");
        assert_eq!(r.status(), 405);
        assert!(r.headers().get("access-control-allow-origin").is_none());
        let r = talk(
            Method::GET,
            addr,
            "alice",
            "/chat/room-all?lookIntoFuture=0",
        )
        .header("Origin", "http://localhost:8000")
        .send()
        .await
        .expect("get");
        assert!(r.headers().get("access-control-allow-origin").is_none());
        assert!(r.headers().get("access-control-expose-headers").is_none());
        // Same origin: the page the simulator serves itself reads everything.
        let r = talk(
            Method::GET,
            addr,
            "alice",
            "/chat/room-all?lookIntoFuture=0",
        )
        .header("Origin", format!("http://{addr}"))
        .send()
        .await
        .expect("get");
        assert_eq!(r.status(), 200);
        assert!(header_u64(&r, "X-Chat-Last-Given").is_some());
        // Outside Nextcloud's paths nothing changes.
        let r = client
            .get(format!("http://{addr}/admin/users"))
            .header("Origin", "http://localhost:8000")
            .send()
            .await
            .expect("admin");
        assert_eq!(
            r.headers()["access-control-allow-origin"],
            "http://localhost:8000"
        );
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn static_files_are_served_beside_the_protocols() {
    bounded(15, async {
        let dir = std::env::temp_dir().join(format!("chatwire-sim-static-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pkg")).expect("mkdir");
        std::fs::write(dir.join("index.html"), "<h1>demo</h1>").expect("write");
        std::fs::write(dir.join("pkg/app.wasm"), b"\0asm\x01\0\0\0").expect("write");
        let root = dir.clone();
        let sim = sim_with(move |c| c.static_dir = Some(root)).await;
        let addr = sim.addr();
        let r = reqwest::get(format!("http://{addr}/")).await.expect("get");
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/html"));
        assert_eq!(r.text().await.expect("text"), "<h1>demo</h1>");
        let r = reqwest::get(format!("http://{addr}/pkg/app.wasm"))
            .await
            .expect("get");
        assert_eq!(r.headers()["content-type"], "application/wasm");
        assert_eq!(r.bytes().await.expect("body").len(), 8);
        for missing in [
            "/nope.js",
            "/pkg/%2e%2e/%2e%2e/etc/passwd",
            "/pkg/..%2F..%2Fetc",
        ] {
            assert_eq!(
                reqwest::get(format!("http://{addr}{missing}"))
                    .await
                    .expect("get")
                    .status(),
                404,
                "{missing}"
            );
        }
        let r = talk(
            Method::GET,
            addr,
            "alice",
            "/chat/room-all?lookIntoFuture=0",
        )
        .send()
        .await
        .expect("get");
        assert_eq!(r.status(), 200, "the protocols still answer");
        sim.shutdown().await;
        let _ = std::fs::remove_dir_all(dir);
    })
    .await;
}

#[tokio::test]
async fn bulk_rooms_for_many_room_clients() {
    bounded(20, async {
        let sim = sim_with(|c| c.talk_bulk_rooms = 2000).await;
        let addr = sim.addr();
        let r = ocs_req(Method::GET, addr, "bob", ROOMS)
            .send()
            .await
            .expect("rooms");
        let list = data(r).await;
        let list = list.as_array().expect("array");
        assert_eq!(list.len(), 2004);
        assert_eq!(list[2003]["token"], "bulk-2000");
        assert_eq!(list[2003]["displayName"], "Bulk room 2000");
        let m = talk_post(addr, "alice", "bulk-2000", "hi @bob").await;
        let room = room_of(addr, "bob", "bulk-2000").await;
        assert_eq!(room["unreadMessages"], 1);
        assert_eq!(room["lastMessage"]["id"], m["id"]);
        sim.shutdown().await;
    })
    .await;
}
