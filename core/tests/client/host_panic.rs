//! Issue 8 §1.1: a host that panics while performing an output (a Python exception in its
//! transport) must not stop later output. The old façade left `flushing` set and never sent
//! again; here the host performs output with nothing of the client's held.
use crate::support::{incoming_message, poll_once, TcHost};
use chatwire::{ClientConfig, Reply};
use serde_json::json;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::Poll;

#[test]
fn frames_still_go_out_after_the_host_panicked_performing_an_output() {
    let mut host = TcHost::trueconf(ClientConfig::default());
    host.on_frame = Some(Box::new(|_, _, _| panic!("the host's socket threw")));
    let first = host.client.send_text(host.at(), "c", "one", None);
    let r = catch_unwind(AssertUnwindSafe(|| host.poll()));
    assert!(r.is_err(), "the host panicked while performing the output");
    host.on_frame = None;
    host.take();

    // A command after the panic still produces its frame …
    let second = host.client.send_text(host.at(), "c", "two", None);
    futures::pin_mut!(second);
    host.poll();
    let frames = host.sent();
    assert_eq!(frames.len(), 1, "{frames:?}");
    assert_eq!(frames[0]["payload"]["content"]["text"], "two");
    // … its answer still settles it …
    host.answer(&frames[0], json!({"chatId":"c","messageId":"m2"}));
    assert!(matches!(
        poll_once(second.as_mut()),
        Poll::Ready(Ok(Reply::MessageSent { .. }))
    ));
    // … and inputs still produce output: an incoming message is acked.
    let out = host.frame(&incoming_message(70, "m-in", "hi"));
    assert_eq!(host.sent(), vec![json!({"type":2,"id":70})]);
    assert!(!out.events.is_empty());
    // The request whose output the host lost is still pending, not wedged: it times out.
    futures::pin_mut!(first);
    assert!(poll_once(first.as_mut()).is_pending());
    host.fire();
    assert_eq!(
        poll_once(first.as_mut()),
        Poll::Ready(Err(chatwire::Error::Timeout))
    );
}

#[test]
fn a_panic_in_an_input_hook_does_not_stop_the_next_input() {
    let mut host = TcHost::trueconf(ClientConfig::default());
    host.on_frame = Some(Box::new(|_, _, f| {
        if f["id"] == 71 {
            panic!("the host threw while acking");
        }
        Vec::new()
    }));
    let r = catch_unwind(AssertUnwindSafe(|| {
        host.frame(&incoming_message(71, "m-a", "a"));
    }));
    assert!(r.is_err());
    host.on_frame = None;
    host.take();
    host.frame(&incoming_message(72, "m-b", "b"));
    assert_eq!(host.sent(), vec![json!({"type":2,"id":72})]);
}
