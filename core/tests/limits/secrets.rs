//! Credentials never show in `Debug`, `Display`, errors, events or snapshots: every printable
//! thing a session hands out over a whole life (connect, auth, refusal, expiry, failures,
//! snapshot) is searched for the secret, in every form it is sent in (plain, Basic-encoded).

use base64::Engine as _;
use chatwire::tada::{TadaConfig, TadaSession};
use chatwire::talk::{TalkConfig, TalkSession};
use chatwire::trueconf::{TrueConfConfig, TrueConfSession};
use chatwire::{Event, HttpResponse, Session, Timestamp, Transmit};
use serde_json::json;

const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.TRUECONF-JWT-SECRET.sig";
const TADA_TOKEN: &str = "TADA-TOKEN-SECRET-9f3";
const TALK_PASSWORD: &str = "TALK-APP-PASSWORD-SECRET";

/// Everything printable the session produced: transmits and events in `Debug`, events and
/// errors in `Display`/JSON.
#[derive(Default)]
struct Printed(Vec<String>);

impl Printed {
    fn drain(&mut self, s: &mut impl Session) -> Vec<Transmit> {
        let mut transmits = Vec::new();
        while let Some(t) = s.poll_transmit() {
            self.0.push(format!("{t:?}"));
            transmits.push(t);
        }
        while let Some(e) = s.poll_event() {
            self.0.push(format!("{e:?}"));
            self.0.push(serde_json::to_string(&e).unwrap());
            if let Event::RequestFailed { error, .. }
            | Event::AuthFailed { error }
            | Event::RoomStopped { error, .. } = &e
            {
                self.0.push(error.to_string());
            }
        }
        transmits
    }

    fn assert_free_of(&self, secrets: &[&str]) {
        assert!(!self.0.is_empty());
        for text in &self.0 {
            for secret in secrets {
                assert!(!text.contains(secret), "{secret} in {text}");
            }
        }
    }
}

#[test]
fn the_trueconf_jwt_never_shows() {
    let config = TrueConfConfig::new(JWT);
    let mut p = Printed::default();
    p.0.push(format!("{config:?}"));
    let mut s = TrueConfSession::new(config);
    s.connect(Timestamp(0)).unwrap();
    p.0.push(format!("{:?}", s.connect_info()));
    s.handle_connected(Timestamp(0));
    // The queued auth frame carries the token on the wire; its Debug does not.
    p.0.push(format!("{s:?}"));
    let transmits = p.drain(&mut s);
    let wire = transmits
        .iter()
        .any(|t| matches!(t, Transmit::Frame { text } if text.contains(JWT)));
    assert!(
        wire,
        "the token is sent, so the search below means something"
    );
    s.handle_frame(
        Timestamp(1),
        &json!({"type": 2, "id": 1, "payload": {"errorCode": 203}}).to_string(),
    );
    s.handle_frame(Timestamp(2), r#"{"type":1,"id":"x","method":"auth"}"#);
    s.handle_closed(Timestamp(3), "gone");
    p.drain(&mut s);
    p.0.push(format!("{s:?}"));
    p.0.push(serde_json::to_string(&s.snapshot()).unwrap());
    p.0.push(format!("{:?}", s.snapshot()));
    p.assert_free_of(&[JWT, "TRUECONF-JWT-SECRET"]);
}

#[test]
fn the_tada_token_never_shows() {
    let config = TadaConfig::new("team-1", TADA_TOKEN);
    let mut p = Printed::default();
    p.0.push(format!("{config:?}"));
    let mut s = TadaSession::new(config);
    s.connect(Timestamp(0)).unwrap();
    p.0.push(format!("{:?}", s.connect_info()));
    p.drain(&mut s);
    s.handle_connected(Timestamp(0));
    s.send_text(Timestamp(1), "g-1", "hi", None).unwrap();
    p.drain(&mut s);
    s.handle_frame(
        Timestamp(2),
        r#"{"event":"server.warning","params":{"message":"no"}}"#,
    );
    s.handle_frame(Timestamp(2), "{bad");
    s.handle_closed(Timestamp(3), "gone");
    p.drain(&mut s);
    p.0.push(format!("{s:?}"));
    p.0.push(serde_json::to_string(&s.snapshot()).unwrap());
    p.0.push(format!("{:?}", s.snapshot()));
    p.assert_free_of(&[TADA_TOKEN]);
}

#[test]
fn the_talk_app_password_never_shows() {
    let config = TalkConfig::new("alice", TALK_PASSWORD);
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("alice:{TALK_PASSWORD}"));
    let mut p = Printed::default();
    p.0.push(format!("{config:?}"));
    let mut s = TalkSession::new(config);
    s.join_room(Timestamp(0), "room-ab").unwrap();
    s.send_text(Timestamp(0), "room-ab", "hi", None).unwrap();
    let transmits = p.drain(&mut s);
    let sent = transmits.iter().any(|t| match t {
        Transmit::Http(r) => r.headers.iter().any(|h| h.value.contains(&basic)),
        _ => false,
    });
    assert!(
        sent,
        "the credentials are sent, so the search below means something"
    );
    // Refused credentials, with the server echoing what it got, and a cookie it sets.
    for t in transmits {
        if let Transmit::Http(r) = t {
            let answer = HttpResponse {
                status: 401,
                headers: vec![chatwire::Header::new(
                    "Set-Cookie",
                    "nc_session=SESSIONCOOKIE",
                )],
                body: json!({"ocs": {"meta": {"status": "failure", "statuscode": 401,
                    "message": "Unauthorized"}, "data": []}})
                .to_string(),
            };
            p.0.push(format!("{answer:?}"));
            s.handle_http_response(Timestamp(1), r.id, answer);
        }
    }
    p.drain(&mut s);
    p.0.push(format!("{s:?}"));
    p.0.push(serde_json::to_string(&s.snapshot()).unwrap());
    p.0.push(format!("{:?}", s.snapshot()));
    p.assert_free_of(&[TALK_PASSWORD, &basic, "SESSIONCOOKIE"]);
}
