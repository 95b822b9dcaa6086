//! Issue 8 §1.5: after `close` a command fails at once (the old façade let it wait out its 30 s
//! timeout), `connect` makes the client usable again, and a call issued right before `shutdown`
//! (the wasm `free()`) or before the last handle is dropped still settles.
use crate::support::{has_connect, poll_once, TcHost};
use chatwire::{ClientConfig, Error, Transmit};
use serde_json::json;
use std::task::Poll;

#[test]
fn a_command_after_close_fails_at_once() {
    let mut host = TcHost::trueconf(ClientConfig::default());
    host.close();
    host.take();
    let typed = host.client.create_group_chat(host.at(), "Ops");
    let raw = host.client.send_text(host.at(), "c", "hi", None);
    futures::pin_mut!(typed, raw);
    assert_eq!(poll_once(typed.as_mut()), Poll::Ready(Err(Error::Closed)));
    assert_eq!(poll_once(raw.as_mut()), Poll::Ready(Err(Error::Closed)));
    let out = host.poll();
    assert!(out.transmits.is_empty(), "nothing sent after close");
    assert_eq!(out.timeout, None, "and nothing to wait for");
}

#[test]
fn connect_after_close_works_again() {
    let mut host = TcHost::trueconf(ClientConfig::default());
    host.close();
    host.closed("closed");
    host.take();
    host.connect();
    assert!(has_connect(&host.take()));
    host.connected();
    host.authenticate();
    let chat = host.client.create_group_chat(host.at(), "Ops");
    futures::pin_mut!(chat);
    host.poll();
    let frame = host.sent().remove(0);
    assert_eq!(frame["method"], "createGroupChat");
    host.answer(&frame, json!({"chatId":"g2"}));
    assert_eq!(poll_once(chat.as_mut()), Poll::Ready(Ok("g2".into())));
}

#[test]
fn a_call_issued_just_before_shutdown_settles_closed() {
    let mut host = TcHost::trueconf(ClientConfig::default());
    // Issued, and `free()` follows before the host even took the output.
    let call = host.client.create_group_chat(host.at(), "Ops");
    futures::pin_mut!(call);
    let out = host.shutdown();
    assert_eq!(poll_once(call.as_mut()), Poll::Ready(Err(Error::Closed)));
    assert!(
        !out.transmits
            .iter()
            .any(|t| matches!(t, Transmit::Frame { .. })),
        "a request whose caller heard Closed is not sent: {out:?}"
    );
    assert!(matches!(out.transmits.last(), Some(Transmit::Close { .. })));
}

#[test]
fn dropping_every_handle_settles_pending_calls_closed() {
    let mut host = TcHost::trueconf(ClientConfig::default());
    let clone = host.client.clone();
    let in_flight = host.client.get_chats(host.at(), 10, 1);
    host.poll();
    let queued = clone.send_text(host.at(), "c", "never taken", None);
    futures::pin_mut!(in_flight, queued);
    assert!(poll_once(in_flight.as_mut()).is_pending());
    assert!(poll_once(queued.as_mut()).is_pending());
    drop(clone);
    assert!(
        poll_once(in_flight.as_mut()).is_pending(),
        "one handle is left"
    );
    drop(host);
    assert_eq!(
        poll_once(in_flight.as_mut()),
        Poll::Ready(Err(Error::Closed))
    );
    assert_eq!(poll_once(queued.as_mut()), Poll::Ready(Err(Error::Closed)));
}
