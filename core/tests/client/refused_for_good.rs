//! When no connection will come (a permanent connect failure, refused credentials), what a
//! session holds for one fails at once with the reason, instead of waiting for a deadline; a
//! refused upgrade is an `AuthFailed`, and nothing reconnects.
use crate::support::{has_connect, poll_once, Host};
use chatwire::tada::{TadaConfig, TadaSession};
use chatwire::{Call, ClientConfig, Error, Event, Session as _};
use std::task::Poll;

fn tada() -> Host<TadaSession> {
    Host::new(
        TadaSession::new(TadaConfig::new("team-1", "token")),
        ClientConfig::default(),
    )
}

/// A send of `text` made while the connection is being opened: the session holds it.
fn held_send(host: &mut Host<TadaSession>, text: &'static str) -> Call {
    let send = host
        .client
        .call(host.at(), move |s, now| s.send_text(now, "g-1", text, None));
    host.poll();
    send
}

#[test]
fn a_tada_send_waiting_for_a_connection_fails_with_a_permanent_connect_failure() {
    let mut host = tada();
    host.connect();
    let send = held_send(&mut host, "hi");
    futures::pin_mut!(send);
    assert!(
        poll_once(send.as_mut()).is_pending(),
        "held for the connection"
    );
    host.connect_failed("no WebSocket in this runtime", true);
    match poll_once(send.as_mut()) {
        Poll::Ready(Err(Error::ConnectFailed { reason })) => {
            assert!(reason.contains("no WebSocket"), "{reason}")
        }
        other => panic!("resolved at once with the reason, got {other:?}"),
    }
}

#[test]
fn refused_credentials_at_the_upgrade_are_an_auth_failure_and_nothing_reconnects() {
    let mut host = tada();
    host.connect();
    host.take();
    let send = held_send(&mut host, "hi");
    futures::pin_mut!(send);
    host.auth_refused("credentials refused (HTTP 401)");
    assert!(matches!(
        poll_once(send.as_mut()),
        Poll::Ready(Err(Error::AuthFailed { .. }))
    ));
    let events = host.take_events();
    assert!(
        events.iter().any(|e| matches!(e,
            Event::AuthFailed { error: Error::AuthFailed { reason } } if reason.contains("401"))),
        "{events:?}"
    );
    assert_eq!(host.timer.deadline(), None, "no reconnect scheduled");
    host.advance(120_000);
    host.timeout();
    assert!(
        !has_connect(&host.take()),
        "the same credentials are not tried again"
    );
    // A later command fails at once rather than waiting for a connection that will not come.
    let later = host
        .client
        .call(host.at(), |s, now| s.send_text(now, "g-1", "again", None));
    futures::pin_mut!(later);
    assert!(matches!(poll_once(later.as_mut()), Poll::Ready(Err(_))));
}

#[test]
fn closing_resolves_what_a_tada_session_holds() {
    let mut host = tada();
    host.connect();
    let send = held_send(&mut host, "hi");
    futures::pin_mut!(send);
    host.close();
    assert!(
        matches!(poll_once(send.as_mut()), Poll::Ready(Err(_))),
        "close settles every pending call"
    );
}
