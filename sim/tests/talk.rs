//! Nextcloud Talk chat API against the simulator over real loopback HTTP.

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::Method;
use serde_json::Value;

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
