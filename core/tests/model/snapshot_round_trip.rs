//! A snapshot equals its own JSON round trip: what a host persists is exactly what it restores
//! (the redelivery filter's index is derived, not compared).
use chatwire::tada::{TadaConfig, TadaSession, TadaSnapshot};
use chatwire::trueconf::{TrueConfConfig, TrueConfSession, TrueConfSnapshot};
use chatwire::{Session as _, Timestamp};
use serde_json::json;

#[test]
fn a_tada_snapshot_survives_json_unchanged() {
    let mut s = TadaSession::new(TadaConfig::new("team", "tok"));
    s.connect(Timestamp(0)).unwrap();
    s.handle_connected(Timestamp(0));
    let frame = json!({"event": "server.message.updated", "params": {"messages": [
        {"chat": "g-1", "from": "d-2", "to": "g-1", "message_id": "m-1", "gentime": 5,
         "content": {"type": "plain", "text": "hi"}}]}});
    s.handle_frame(Timestamp(1), &frame.to_string());
    let snapshot = s.snapshot();
    let back: TadaSnapshot =
        serde_json::from_str(&serde_json::to_string(&snapshot).unwrap()).unwrap();
    assert_eq!(back, snapshot);
}

#[test]
fn a_trueconf_snapshot_survives_json_unchanged() {
    let mut s = TrueConfSession::new(TrueConfConfig::new("jwt"));
    s.connect(Timestamp(0)).unwrap();
    s.handle_connected(Timestamp(0));
    let frame = json!({"type":1,"id":7,"method":"sendMessage","payload":{"messageId":"m1",
        "chatId":"c1","timestamp":1746028006345i64,"type":200,"author":{"id":"bob@x","type":1},
        "content":{"text":"x","parseMode":"text"},"isEdited":false,"box":{"id":1,"position":"0"}}});
    s.handle_frame(Timestamp(1), &frame.to_string());
    let snapshot = s.snapshot();
    let back: TrueConfSnapshot =
        serde_json::from_str(&serde_json::to_string(&snapshot).unwrap()).unwrap();
    assert_eq!(back, snapshot);
}

#[test]
fn a_talk_snapshot_survives_json_unchanged() {
    use chatwire::talk::{TalkConfig, TalkSession, TalkSnapshot};
    use chatwire::HttpResponse;
    let mut s = TalkSession::new(TalkConfig::new("alice", "pw"));
    s.join_room(Timestamp(0), "room-ab").unwrap();
    let history = match s.poll_transmit() {
        Some(chatwire::Transmit::Http(r)) => r,
        other => panic!("the history read, got {other:?}"),
    };
    let body = json!({"ocs": {"meta": {"status": "ok", "statuscode": 200}, "data": [
        {"id": 5, "token": "room-ab", "actorType": "users", "actorId": "bob",
         "actorDisplayName": "Bob", "timestamp": 1704067200, "message": "hi",
         "messageParameters": [], "systemMessage": "", "messageType": "comment",
         "referenceId": "", "reactions": {}}]}});
    s.handle_http_response(
        Timestamp(1),
        history.id,
        HttpResponse {
            status: 200,
            headers: vec![chatwire::Header::new("X-Chat-Last-Given", "5")],
            body: body.to_string(),
        },
    );
    while s.poll_event().is_some() {}
    let snapshot = s.snapshot();
    assert!(
        !snapshot.rooms.is_empty(),
        "the room and its cursor are in it"
    );
    let back: TalkSnapshot =
        serde_json::from_str(&serde_json::to_string(&snapshot).unwrap()).unwrap();
    assert_eq!(back, snapshot);
}
