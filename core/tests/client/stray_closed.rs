//! Issue 8 §1.6: a stray `handle_closed` (or failed connect) on a client that was never asked to
//! connect must not make it connect by itself later.
use crate::support::{has_connect, TcHost};
use chatwire::ClientConfig;

fn never_connects(host: &mut TcHost) {
    for _ in 0..200 {
        host.advance(5_000);
        let out = host.timeout();
        assert!(out.transmits.is_empty(), "{out:?}");
    }
    assert!(!has_connect(&host.take()), "connected by itself");
}

#[test]
fn a_stray_closed_on_a_never_connected_client_schedules_nothing() {
    let mut host = TcHost::trueconf_idle(ClientConfig::default());
    let out = host.closed("stray close");
    assert!(out.transmits.is_empty());
    assert_eq!(out.timeout, None, "no reconnect scheduled");
    never_connects(&mut host);
    // It still connects when asked.
    host.connect();
    assert!(has_connect(&host.take()));
}

#[test]
fn a_stray_closed_with_a_command_waiting_schedules_nothing() {
    let mut host = TcHost::trueconf_idle(ClientConfig::default());
    // Queued before any connect: it waits for the app's connect, not for a reconnect.
    let _call = host.client.send_text(host.at(), "c", "early", None);
    host.poll();
    host.closed("stray close");
    never_connects(&mut host);
}

#[test]
fn a_stray_connect_failure_on_a_never_connected_client_schedules_nothing() {
    let mut host = TcHost::trueconf_idle(ClientConfig::default());
    let out = host.connect_failed("stray failure", false);
    assert!(out.transmits.is_empty());
    assert_eq!(out.timeout, None);
    never_connects(&mut host);
}
