//! tada.team messaging against the simulator over real loopback sockets.

mod common;

use std::time::Duration;

use chatwire_sim::{users, TADA_GROUP_JID};
use common::*;
use serde_json::{json, Value};

fn gentime(v: &Value) -> i64 {
    v.as_i64().expect("gentime is an integer")
}

#[tokio::test]
async fn connect_rejects_unknown_team_and_token_before_upgrade() {
    bounded(10, async {
        let sim = sim().await;
        let addr = sim.addr();
        let client = reqwest::Client::new();
        let r = client
            .get(format!("http://{addr}/messaging/other-team"))
            .header("token", "alice-token")
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), 404);
        let r = client
            .get(format!("http://{addr}/messaging/team-sim"))
            .header("token", "nope")
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), 401);
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn hello_lists_chats_with_counters() {
    bounded(10, async {
        let sim = sim().await;
        let mut ws = tada_connect(sim.addr(), "alice").await;
        let time = tada_until(&mut ws, "server.time", false).await;
        assert!(time["params"]["time"]
            .as_str()
            .expect("time")
            .ends_with('Z'));
        let chats = tada_until(&mut ws, "server.chat.updated", false).await;
        let p = &chats["params"];
        assert_eq!(p["badge"], 0);
        assert_eq!(
            p["team_unread"]["direct"],
            json!({"chats": 0, "messages": 0})
        );
        let list = p["chats"].as_array().expect("chats");
        assert_eq!(list.len(), 3, "group + two direct chats");
        let jids: Vec<&str> = list
            .iter()
            .map(|c| c["jid"].as_str().expect("jid"))
            .collect();
        assert!(jids.contains(&TADA_GROUP_JID));
        assert!(
            jids.contains(&users()[1].tada_jid),
            "alice sees the chat with bob as bob's jid"
        );
        for c in list {
            assert_eq!(c["num_unread"], 0);
            assert!(c["gentime"].is_i64());
            assert!(c.get("last_read_message_id").is_some());
        }
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn message_round_trip_confirm_counters_and_idempotent_resend() {
    bounded(20, async {
        let sim = sim_with(|c| c.ack_timeout_ms = 5000).await;
        let addr = sim.addr();
        let mut alice = tada_connect(addr, "alice").await;
        let mut bob = tada_connect(addr, "bob").await;
        let hello = tada_until(&mut bob, "server.chat.updated", true).await;
        let start = hello["params"]["chats"]
            .as_array()
            .expect("chats")
            .iter()
            .map(|c| gentime(&c["gentime"]))
            .max()
            .expect("some chat");
        tada_until(&mut alice, "server.chat.updated", true).await;

        let send = json!({
            "event": "client.message.updated",
            "confirm_id": "abcDEF123456",
            "params": {"to": TADA_GROUP_JID, "content": {"text": "hello team", "type": "plain"}, "message_id": "m-1"},
        });
        tada_send(&mut alice, send.clone()).await;
        let confirm = tada_until(&mut alice, "server.confirm", true).await;
        assert_eq!(confirm["params"]["confirm_id"], "abcDEF123456", "the client's own confirm_id");
        let own = tada_until(&mut alice, "server.message.updated", true).await;
        assert_eq!(own["params"]["messages"][0]["message_id"], "m-1");

        let got = tada_until(&mut bob, "server.message.updated", true).await;
        let cid = got["confirm_id"].as_str().expect("server confirm_id");
        assert_eq!(cid.len(), 12);
        assert!(cid.chars().all(|c| c.is_ascii_alphanumeric()));
        let p = &got["params"];
        let m = &p["messages"][0];
        assert_eq!(m["chat"], TADA_GROUP_JID);
        assert_eq!(m["chat_type"], "group");
        assert_eq!(m["from"], users()[0].tada_jid);
        assert_eq!(m["to"], TADA_GROUP_JID);
        assert_eq!(m["content"], json!({"text": "hello team", "type": "plain"}));
        let g1 = gentime(&m["gentime"]);
        assert!(g1 > start, "gentime increases");
        assert_eq!(p["chat_counters"][0]["num_unread"], 1);
        assert_eq!(p["badge"], 1);
        assert_eq!(p["team_unread"]["group"], json!({"chats": 1, "messages": 1}));

        // A resend with the same message_id creates nothing new.
        tada_send(&mut alice, send).await;
        let again = tada_until(&mut alice, "server.confirm", true).await;
        assert_eq!(again["params"]["confirm_id"], "abcDEF123456");
        assert!(
            next_text(&mut bob, Duration::from_millis(300)).await.is_none(),
            "bob sees no second message"
        );

        // An edit by the author is an edit, with a newer gentime.
        tada_send(
            &mut alice,
            json!({"event": "client.message.updated", "confirm_id": "edit00000001",
                   "params": {"to": TADA_GROUP_JID, "content": {"text": "hello team!", "type": "plain"}, "message_id": "m-1"}}),
        )
        .await;
        let edit = tada_until(&mut bob, "server.message.updated", true).await;
        let em = &edit["params"]["messages"][0];
        assert_eq!(em["message_id"], "m-1");
        assert_eq!(em["content"]["text"], "hello team!");
        let g2 = gentime(&em["gentime"]);
        assert!(g2 > g1);
        assert_eq!(edit["params"]["chat_counters"][0]["num_unread"], 1, "still one message");

        // Bob reads it.
        tada_send(
            &mut bob,
            json!({"event": "client.chat.lastread", "confirm_id": "read00000001", "params": {"jid": TADA_GROUP_JID, "last_read_message_id": "m-1"}}),
        )
        .await;
        let read = tada_until(&mut bob, "server.chat.lastread", true).await;
        let c = &read["params"]["chats"][0];
        assert_eq!(c["num_unread"], 0);
        assert_eq!(c["last_read_message_id"], "m-1");
        assert!(gentime(&c["gentime"]) > g2);
        assert_eq!(read["params"]["badge"], 0);

        // Deleting turns the content into {"type":"deleted"}.
        tada_send(
            &mut alice,
            json!({"event": "client.message.deleted", "confirm_id": "del000000001", "params": {"message_id": "m-1"}}),
        )
        .await;
        let del = tada_until(&mut bob, "server.message.updated", true).await;
        assert_eq!(del["params"]["messages"][0]["content"], json!({"type": "deleted"}));

        tada_drain(&mut alice, Duration::from_millis(200)).await;
        tada_drain(&mut bob, Duration::from_millis(200)).await;
        assert!(sim.client_faults().is_empty(), "{:?}", sim.client_faults());
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn direct_chat_is_seen_under_the_other_side_jid() {
    bounded(10, async {
        let sim = sim().await;
        let addr = sim.addr();
        let mut alice = tada_connect(addr, "alice").await;
        let mut bob = tada_connect(addr, "bob").await;
        tada_until(&mut bob, "server.chat.updated", true).await;
        tada_send(
            &mut alice,
            json!({"event": "client.message.updated", "confirm_id": "dm0000000001",
                   "params": {"to": users()[1].tada_jid, "content": {"text": "psst", "type": "plain"}, "message_id": "dm-1"}}),
        )
        .await;
        let got = tada_until(&mut bob, "server.message.updated", true).await;
        let m = &got["params"]["messages"][0];
        assert_eq!(m["chat"], users()[0].tada_jid);
        assert_eq!(m["to"], users()[1].tada_jid);
        assert_eq!(m["chat_type"], "direct");
        assert_eq!(got["params"]["team_unread"]["direct"], json!({"chats": 1, "messages": 1}));
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn ping_unknown_event_and_bad_chat() {
    bounded(10, async {
        let sim = sim().await;
        let mut ws = tada_connect(sim.addr(), "carol").await;
        tada_send(&mut ws, json!({"event": "client.ping", "confirm_id": "ping00000001"})).await;
        let c = tada_until(&mut ws, "server.confirm", false).await;
        assert_eq!(c["params"]["confirm_id"], "ping00000001");
        let odd = json!({"event": "client.deeeeeaddddbeeeeeef", "confirm_id": "c6280a82ed1c"});
        tada_send(&mut ws, odd.clone()).await;
        let w = tada_until(&mut ws, "server.warning", false).await;
        assert_eq!(w["params"]["message"], "unknown event: client.deeeeeaddddbeeeeeef");
        assert_eq!(w["params"]["orig"], odd);
        tada_send(
            &mut ws,
            json!({"event": "client.message.updated", "confirm_id": "bad000000001",
                   "params": {"to": "g-00000000-0000-0000-0000-000000000000", "content": {"text": "x", "type": "plain"}}}),
        )
        .await;
        let w = tada_until(&mut ws, "server.warning", false).await;
        assert!(w["params"]["message"].as_str().expect("message").contains("chat not found"));
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn unconfirmed_events_are_redelivered_and_logged() {
    bounded(15, async {
        let sim = sim().await;
        let addr = sim.addr();
        let mut alice = tada_connect(addr, "alice").await;
        let mut bob = tada_connect(addr, "bob").await;
        tada_until(&mut bob, "server.chat.updated", false).await;
        tada_send(
            &mut alice,
            json!({"event": "client.message.updated", "confirm_id": "x00000000001",
                   "params": {"to": TADA_GROUP_JID, "content": {"text": "confirm me", "type": "plain"}, "message_id": "r-1"}}),
        )
        .await;
        // Bob never confirms: the same event (same confirm_id) comes again, 3 more times.
        let first = tada_until(&mut bob, "server.message.updated", false).await;
        let cid = first["confirm_id"].as_str().expect("confirm_id").to_string();
        for _ in 0..3 {
            let again = tada_until(&mut bob, "server.message.updated", false).await;
            assert_eq!(again["confirm_id"], cid.as_str());
            assert_eq!(again["params"]["messages"][0]["message_id"], "r-1");
        }
        tokio::time::sleep(Duration::from_millis(700)).await;
        // A late confirm is fine; a confirm for an id never sent is a fault.
        tada_send(&mut bob, json!({"event": "client.confirm", "params": {"confirm_id": cid}})).await;
        tada_send(&mut bob, json!({"event": "client.confirm", "params": {"confirm_id": "unknown00000"}})).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let faults = sim.client_faults();
        assert!(faults.iter().any(|f| f.contains(&cid) && f.contains("not confirmed")), "{faults:?}");
        assert!(faults.iter().any(|f| f.contains("after 3 redeliveries")), "{faults:?}");
        assert!(faults.iter().any(|f| f.contains("unknown confirm_id unknown00000")), "{faults:?}");
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_browser_authenticates_the_upgrade_with_its_cookie_and_bad_credentials_get_a_real_401() {
    bounded(10, async {
        let sim = sim().await;
        let addr = sim.addr();
        let url = format!("ws://{addr}/messaging/team-sim");
        let (mut ws, resp) = ws_connect(&url, &[("Cookie", "theme=dark; token=bob-token")]).await;
        assert_eq!(resp.status(), 101);
        tada_until(&mut ws, "server.time", false).await;
        let chats = tada_until(&mut ws, "server.chat.updated", false).await;
        let jids: Vec<&str> = chats["params"]["chats"]
            .as_array()
            .expect("chats")
            .iter()
            .map(|c| c["jid"].as_str().expect("jid"))
            .collect();
        assert!(jids.contains(&users()[0].tada_jid), "bob's view: {jids:?}");

        // The invented query variant is gone, and a wrong cookie is refused: each with an HTTP
        // 401 instead of the 101 upgrade (the WebSocket never opens).
        for (path, headers) in [
            (format!("{url}?token=alice-token"), vec![]),
            (url.clone(), vec![("Cookie", "token=forged")]),
            (url.clone(), vec![]),
        ] {
            let mut req =
                tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
                    path.as_str(),
                )
                .expect("request");
            for (k, v) in headers {
                req.headers_mut().insert(k, v.parse().expect("header"));
            }
            match tokio_tungstenite::connect_async(req).await {
                Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                    assert_eq!(resp.status(), 401, "{path}");
                }
                other => panic!(
                    "{path}: expected an HTTP 401, got {:?}",
                    other.map(|(_, r)| r.status())
                ),
            }
        }
        sim.shutdown().await;
    })
    .await;
}

async fn history(addr: std::net::SocketAddr, path: &str, auth: (&str, &str)) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("http://{addr}{path}"))
        .header(auth.0, auth.1)
        .send()
        .await
        .expect("history")
}

#[tokio::test]
async fn rest_history_gives_what_was_missed_in_order_with_gentimes() {
    bounded(20, async {
        let sim = sim_with(|c| c.ack_timeout_ms = 5000).await;
        let addr = sim.addr();
        let mut alice = tada_connect(addr, "alice").await;
        tada_until(&mut alice, "server.contact.updated", true).await;
        for (n, text) in ["one", "two", "three"].iter().enumerate() {
            tada_send(
                &mut alice,
                json!({"event": "client.message.updated", "confirm_id": format!("send00000000{n}"),
                       "params": {"to": TADA_GROUP_JID, "content": {"text": text, "type": "plain"}, "message_id": format!("h-{n}")}}),
            )
            .await;
            tada_until(&mut alice, "server.confirm", true).await;
        }
        tada_drain(&mut alice, Duration::from_millis(200)).await;

        let base = format!("/api/v4/teams/team-sim/messages/{TADA_GROUP_JID}");
        let r = history(addr, &base, ("token", "bob-token")).await;
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["ok"], true);
        let all = body["result"]["messages"].as_array().expect("messages").clone();
        let ids: Vec<&str> = all.iter().map(|m| m["message_id"].as_str().expect("id")).collect();
        assert_eq!(ids, ["h-0", "h-1", "h-2"], "oldest first");
        assert_eq!(all[0]["content"], json!({"text": "one", "type": "plain"}));
        assert_eq!(all[0]["chat"], TADA_GROUP_JID);
        assert_eq!(all[0]["from"], users()[0].tada_jid);
        let g0 = gentime(&all[0]["gentime"]);
        assert!(gentime(&all[1]["gentime"]) > g0 && gentime(&all[2]["gentime"]) > gentime(&all[1]["gentime"]));

        // Catching up from the first gentime: what came after, in order; a deletion bumps the
        // message's gentime, so it is "missed" too (with include_deleted=true).
        tada_send(
            &mut alice,
            json!({"event": "client.message.deleted", "confirm_id": "del000000001", "params": {"message_id": "h-1"}}),
        )
        .await;
        tada_until(&mut alice, "server.confirm", true).await;
        tada_drain(&mut alice, Duration::from_millis(200)).await;
        let r = history(addr, &format!("{base}?gentime_from={g0}&include_deleted=true"), ("Cookie", "token=bob-token")).await;
        let body: Value = r.json().await.expect("json");
        let since: Vec<(&str, &Value)> = body["result"]["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(|m| (m["message_id"].as_str().expect("id"), &m["content"]))
            .collect();
        assert_eq!(since.len(), 2);
        assert_eq!(since[0].0, "h-2");
        assert_eq!((since[1].0, since[1].1), ("h-1", &json!({"type": "deleted"})));
        let r = history(addr, &format!("{base}?gentime_from={g0}"), ("token", "bob-token")).await;
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["result"]["messages"].as_array().map(Vec::len), Some(1), "deleted left out by default");

        // Paging and the other path; errors.
        let r = history(addr, &format!("/api/v4/teams/team-sim/chats/{TADA_GROUP_JID}/messages?old_from=h-2&limit=1"), ("token", "carol-token")).await;
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["result"]["messages"][0]["message_id"], "h-0", "h-1 is deleted");
        let r = history(addr, &format!("{base}?new_from=h-0"), ("token", "carol-token")).await;
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["result"]["messages"][0]["message_id"], "h-2");
        assert_eq!(history(addr, &base, ("token", "forged")).await.status(), 401);
        assert_eq!(history(addr, &base, ("X-Nothing", "1")).await.status(), 401);
        assert_eq!(history(addr, "/api/v4/teams/other/messages/x", ("token", "bob-token")).await.status(), 404);
        assert_eq!(history(addr, "/api/v4/teams/team-sim/messages/g-unknown", ("token", "bob-token")).await.status(), 404);
        assert_eq!(history(addr, &format!("{base}?gentime_from=soon"), ("token", "bob-token")).await.status(), 400);
        // A direct chat is named by the other side's jid.
        let r = history(addr, &format!("/api/v4/teams/team-sim/messages/{}", users()[0].tada_jid), ("token", "bob-token")).await;
        assert_eq!(r.status(), 200);
        sim.shutdown().await;
    })
    .await;
}

/// A connection is among the recipients from the moment its handshake is answered: a message
/// posted right after a client saw its 101, before it read anything, reaches it. The
/// connection used to be listed by the upgrade's callback, which runs after the 101 is
/// written, so such a message could be stored before it and never reach it; that showed once,
/// in `chatwire connect`'s tests on a loaded machine. Here, unloaded, the old order passed too:
/// this holds the guarantee, it does not reproduce the race.
#[tokio::test]
async fn a_message_posted_right_after_the_handshake_reaches_the_new_connection() {
    bounded(60, async {
        let sim = sim().await;
        let addr = sim.addr();
        let mut bob = tada_connect(addr, "bob").await;
        tada_until(&mut bob, "server.contact.updated", true).await;
        for n in 0..20 {
            let mut alice = tada_connect(addr, "alice").await;
            let id = format!("right-after-{n}");
            tada_send(
                &mut bob,
                json!({
                    "event": "client.message.updated",
                    "confirm_id": format!("cid{n:09}"),
                    "params": {"to": TADA_GROUP_JID, "content": {"text": "now", "type": "plain"}, "message_id": id},
                }),
            )
            .await;
            let got = tada_until(&mut alice, "server.message.updated", true).await;
            assert_eq!(got["params"]["messages"][0]["message_id"], id, "round {n}");
            tada_drain(&mut bob, Duration::from_millis(20)).await;
        }
    })
    .await;
}
