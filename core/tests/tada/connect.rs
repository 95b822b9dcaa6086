//! The session tells the host how to open the WebSocket: /messaging/{team} with the token header;
//! the token never appears in Debug output.

use chatwire::tada::{TadaConfig, TadaSession};
use chatwire::{Event, Session as _, Timestamp, Transmit};

#[test]
fn connect_asks_the_host_to_open_the_team_socket() {
    let mut s = TadaSession::new(TadaConfig::new(
        "6aefcf3b-e61c-4f35-8b5b-9d762a6a6cf9",
        "tok-123",
    ));
    let info = s.connect_info();
    assert_eq!(info.path, "/messaging/6aefcf3b-e61c-4f35-8b5b-9d762a6a6cf9");
    assert_eq!(
        info.headers,
        vec![chatwire::Header::new("token", "tok-123")]
    );
    assert!(info.subprotocols.is_empty());

    s.connect(Timestamp(0)).unwrap();
    assert_eq!(s.poll_transmit(), Some(Transmit::Connect(info)));
    // Connecting again replaces the attempt, as in every protocol (the host drops the old one).
    s.connect(Timestamp(1)).unwrap();
    assert!(matches!(s.poll_transmit(), Some(Transmit::Connect(_))));
    assert_eq!(
        s.poll_event(),
        None,
        "the app asked for it: no Disconnected"
    );
    assert!(!s.is_connected());
    s.handle_connected(Timestamp(2));
    assert!(s.is_connected());
    assert_eq!(
        s.poll_event(),
        Some(Event::Connected {
            user_id: None,
            connection_id: None
        })
    );
}

#[test]
fn a_failed_connect_reports_disconnected() {
    let mut s = TadaSession::new(TadaConfig::new("team", "tok"));
    s.connect(Timestamp(0)).unwrap();
    s.poll_transmit();
    s.handle_closed(Timestamp(1), "HTTP 401");
    assert_eq!(
        s.poll_event(),
        Some(Event::Disconnected {
            reason: "HTTP 401".into()
        })
    );
    s.connect(Timestamp(2)).unwrap();
    assert!(matches!(s.poll_transmit(), Some(Transmit::Connect(_))));
}

#[test]
fn odd_team_ids_stay_one_path_segment() {
    let s = TadaSession::new(TadaConfig::new("a/b?c d", "tok"));
    assert_eq!(s.connect_info().path, "/messaging/a%2Fb%3Fc%20d");
}

#[test]
fn the_token_is_redacted_in_debug_output() {
    let config = TadaConfig::new("team", "super-secret-token");
    let s = TadaSession::new(config.clone());
    assert!(!format!("{config:?}").contains("super-secret-token"));
    assert!(!format!("{s:?}").contains("super-secret-token"));
    assert!(!format!("{:?}", s.connect_info()).contains("super-secret-token"));
}

/// What a generic host (the async `Client`) sees through the `TadaSession` trait alone.
fn connect_generically<S: chatwire::Session>(s: &mut S) -> Option<Transmit> {
    s.connect(Timestamp(0)).unwrap();
    s.poll_transmit()
}

#[test]
fn a_generic_host_can_open_the_socket_and_replays_only_pings() {
    let mut s = TadaSession::new(TadaConfig::new("team", "tok"));
    assert!(matches!(
        connect_generically(&mut s),
        Some(Transmit::Connect(_))
    ));
    s.handle_connected(Timestamp(1));
    let ping = s.ping(Timestamp(2)).unwrap();
    let del = s.delete_message(Timestamp(2), "m-1").unwrap();
    assert!(s.replay_safe(ping));
    assert!(!s.replay_safe(del), "kept and resent by the session itself");
}
