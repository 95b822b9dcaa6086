//! Fault injection, admin endpoints and start-up checks.

mod common;

use std::time::Duration;

use chatwire_sim::{Faults, SimConfig, TADA_GROUP_JID};
use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn refuses_non_loopback_addresses() {
    bounded(5, async {
        let config = SimConfig {
            listen: "0.0.0.0:0".parse().expect("addr"),
            ..SimConfig::default()
        };
        let err = chatwire_sim::start(config).await.err().expect("refused");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("loopback"));
    })
    .await;
}

#[tokio::test]
async fn drop_after_frames_closes_the_socket() {
    bounded(10, async {
        // tada sends 3 frames on connect: time, chats, contacts.
        let sim = sim_with(|c| {
            c.faults = Faults {
                drop_after_frames: Some(2),
                ..Faults::default()
            }
        })
        .await;
        let mut ws = tada_connect(sim.addr(), "alice").await;
        let a = next_text(&mut ws, Duration::from_secs(2))
            .await
            .expect("frame 1");
        assert!(a.contains("server.time"));
        let b = next_text(&mut ws, Duration::from_secs(2))
            .await
            .expect("frame 2");
        assert!(b.contains("server.chat.updated"));
        assert!(
            closes_within(&mut ws, Duration::from_secs(2)).await,
            "dropped after 2 frames"
        );

        // Injected at run time on an open TrueConf connection: counts from the injection.
        admin_inject(sim.addr(), json!({"drop_after_frames": null})).await;
        let mut tc = Tc::login(sim.addr(), "alice").await;
        admin_inject(sim.addr(), json!({"drop_after_frames": 1})).await;
        tc.send_raw(json!({"type": 1, "id": 50, "method": "getChats", "payload": {}}))
            .await;
        let r = next_text(&mut tc.ws, Duration::from_secs(2))
            .await
            .expect("one response");
        assert!(r.contains("\"id\":50"));
        assert!(closes_within(&mut tc.ws, Duration::from_secs(2)).await);
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn duplicate_sends_events_twice_and_both_confirms_are_fine() {
    bounded(10, async {
        let sim = sim().await;
        let addr = sim.addr();
        let mut bob = tada_connect(addr, "bob").await;
        tada_until(&mut bob, "server.chat.updated", true).await;
        let mut alice = tada_connect(addr, "alice").await;
        tada_until(&mut alice, "server.chat.updated", true).await;
        admin_inject(addr, json!({"duplicate": true})).await;
        tada_send(
            &mut alice,
            json!({"event": "client.message.updated", "confirm_id": "dup000000001",
                   "params": {"to": TADA_GROUP_JID, "content": {"text": "twice", "type": "plain"}, "message_id": "dup-1"}}),
        )
        .await;
        let frames = tada_drain(&mut bob, Duration::from_millis(300)).await;
        let copies: Vec<&Value> = frames.iter().filter(|f| f["event"] == "server.message.updated").collect();
        assert_eq!(copies.len(), 2);
        assert_eq!(copies[0], copies[1], "same event, same confirm_id");
        let confirms = tada_drain(&mut alice, Duration::from_millis(300)).await;
        assert_eq!(
            confirms.iter().filter(|f| f["event"] == "server.confirm").count(),
            1,
            "responses are not duplicated"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(sim.client_faults().is_empty(), "{:?}", sim.client_faults());

        // TrueConf: a duplicated server request may be acked once per copy.
        let mut tc_alice = Tc::login(addr, "alice").await;
        let mut tc_bob = Tc::login(addr, "bob").await;
        tc_alice.call("createP2PChat", json!({"userId": "bob@sim.local"})).await;
        let first = tc_bob.notification("createP2PChat").await;
        let second = tc_bob.notification("createP2PChat").await;
        assert_eq!(first, second);
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(sim.client_faults().is_empty(), "{:?}", sim.client_faults());
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn malformed_frames_precede_real_ones() {
    bounded(10, async {
        let sim = sim_with(|c| {
            c.faults = Faults {
                malformed_every: Some(2),
                ..Faults::default()
            }
        })
        .await;
        let mut ws = tada_connect(sim.addr(), "alice").await;
        let mut texts = Vec::new();
        while let Some(t) = next_text(&mut ws, Duration::from_millis(300)).await {
            texts.push(t);
        }
        // time, <junk>, chats, contacts
        assert_eq!(texts.len(), 4, "{texts:?}");
        assert!(texts[0].contains("server.time"));
        assert!(serde_json::from_str::<Value>(&texts[1]).map_or(true, |v| v.get("event").is_none()));
        assert!(texts[2].contains("server.chat.updated"));
        assert!(texts[3].contains("server.contact.updated"));
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn reorder_swaps_adjacent_events() {
    bounded(10, async {
        let sim = sim_with(|c| {
            c.faults = Faults {
                reorder: true,
                ..Faults::default()
            }
        })
        .await;
        let mut ws = tada_connect(sim.addr(), "alice").await;
        let mut events = Vec::new();
        while let Some(t) = next_text(&mut ws, Duration::from_millis(400)).await {
            let v: Value = serde_json::from_str(&t).expect("json");
            events.push(v["event"].as_str().expect("event").to_string());
        }
        assert_eq!(
            events,
            [
                "server.chat.updated",
                "server.time",
                "server.contact.updated"
            ]
        );
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn disconnect_all_and_reset() {
    bounded(10, async {
        let sim = sim().await;
        let addr = sim.addr();
        let mut ws = tada_connect(addr, "alice").await;
        let mut tc = Tc::login(addr, "bob").await;
        tada_until(&mut ws, "server.chat.updated", true).await;
        admin_inject(addr, json!({"disconnect_all": true})).await;
        assert!(closes_within(&mut ws, Duration::from_secs(2)).await);
        assert!(closes_within(&mut tc.ws, Duration::from_secs(2)).await);

        // Reset forgets chats and clears the fault log.
        let mut tc = Tc::login(addr, "alice").await;
        tc.call("createFavoritesChat", json!({})).await;
        tc.send_raw(json!({"type": 2, "id": 4242})).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(admin_faults(addr).await.len(), 1);
        let r = reqwest::Client::new()
            .post(format!("http://{addr}/admin/reset"))
            .send()
            .await
            .expect("reset");
        assert_eq!(r.status(), 200);
        assert!(admin_faults(addr).await.is_empty());
        assert!(closes_within(&mut tc.ws, Duration::from_secs(2)).await);
        let mut tc = Tc::login(addr, "alice").await;
        let chats = tc.call("getChats", json!({})).await;
        assert_eq!(chats, json!([]));
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn same_seed_same_ids() {
    bounded(10, async {
        let mut ids = Vec::new();
        for _ in 0..2 {
            let sim = sim_with(|c| c.seed = 42).await;
            let mut tc = Tc::login(sim.addr(), "alice").await;
            let chat = tc.call("createGroupChat", json!({"title": "x"})).await;
            let msg = tc
                .call("sendMessage", json!({"chatId": chat["chatId"], "content": {"text": "t", "parseMode": "text"}}))
                .await;
            ids.push((chat["chatId"].clone(), msg["messageId"].clone(), msg["timestamp"].clone()));
            sim.shutdown().await;
        }
        assert_eq!(ids[0], ids[1]);
    })
    .await;
}

#[tokio::test]
async fn admin_inject_reports_faults_in_force() {
    bounded(5, async {
        let sim = sim().await;
        let now = admin_inject(sim.addr(), json!({"delay_ms": 5, "reorder": true})).await;
        assert_eq!(now["delay_ms"], 5);
        assert_eq!(now["reorder"], true);
        assert_eq!(now["duplicate"], false);
        let now = admin_inject(sim.addr(), json!({"delay_ms": 0})).await;
        assert_eq!(now["reorder"], true, "absent fields keep their value");
        let users: Value = reqwest::get(format!("http://{}/admin/users", sim.addr()))
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(users["users"][0]["name"], "alice");
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn silence_all_keeps_sockets_open_and_mute() {
    bounded(10, async {
        let sim = sim().await;
        let addr = sim.addr();
        let mut ws = tada_connect(addr, "alice").await;
        // The last frame of the greeting: nothing is left queued for this socket.
        tada_until(&mut ws, "server.contact.updated", true).await;
        admin_inject(addr, json!({"silence_all": true})).await;
        // A ping the server would confirm at once goes unanswered, and the socket stays open.
        tada_send(
            &mut ws,
            json!({"event": "client.ping", "confirm_id": "p-1", "params": {}}),
        )
        .await;
        assert_eq!(next_text(&mut ws, Duration::from_millis(700)).await, None);
        assert!(!closes_within(&mut ws, Duration::from_millis(300)).await);
        // A new connection is served as usual.
        let mut fresh = tada_connect(addr, "alice").await;
        tada_until(&mut fresh, "server.chat.updated", true).await;
        sim.shutdown().await;
    })
    .await;
}
