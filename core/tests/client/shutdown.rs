//! Issue 8 §1.8: `shutdown` fails everything pending at once, disarms the timer, ignores every
//! later input, and keeps nothing of the host's, so a host that holds the client leaves no
//! cycle behind (Python's GC cannot see one through native code).
use crate::support::{incoming_message, poll_once, TcHost};
use chatwire::{ClientConfig, Error, Output};
use futures::task::ArcWake;
use std::future::Future;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};

#[test]
fn shutdown_fails_every_pending_call_at_once() {
    let mut host = TcHost::trueconf(ClientConfig::default());
    let in_flight = host.client.get_chats(host.at(), 10, 1);
    let write = host.client.send_text(host.at(), "c", "hi", None);
    host.poll();
    futures::pin_mut!(in_flight, write);
    assert!(poll_once(in_flight.as_mut()).is_pending());
    let out = host.shutdown();
    assert_eq!(out.timeout, None, "the timer is cancelled");
    assert_eq!(host.timer.deadline(), None);
    assert_eq!(
        poll_once(in_flight.as_mut()),
        Poll::Ready(Err(Error::Closed))
    );
    assert_eq!(poll_once(write.as_mut()), Poll::Ready(Err(Error::Closed)));
}

#[test]
fn shutdown_fails_the_calls_parked_for_a_reconnect() {
    let mut host = TcHost::trueconf(ClientConfig::default());
    let read = host.client.get_chats(host.at(), 10, 1);
    host.poll();
    host.closed("network down");
    // Waits behind the parked read for the reconnect.
    let behind = host.client.get_chats(host.at(), 5, 1);
    host.poll();
    futures::pin_mut!(read, behind);
    assert!(poll_once(read.as_mut()).is_pending());
    assert!(poll_once(behind.as_mut()).is_pending());
    let out = host.shutdown();
    assert_eq!(out.timeout, None);
    assert_eq!(poll_once(read.as_mut()), Poll::Ready(Err(Error::Closed)));
    assert_eq!(poll_once(behind.as_mut()), Poll::Ready(Err(Error::Closed)));
}

#[test]
fn after_shutdown_inputs_produce_nothing() {
    let mut host = TcHost::trueconf(ClientConfig::default());
    host.shutdown();
    host.take();
    let nothing = |out: Output| {
        assert!(out.is_empty(), "{out:?}");
        assert_eq!(out.timeout, None);
    };
    nothing(host.frame(&incoming_message(80, "m", "late")));
    nothing(host.timeout());
    host.advance(120_000);
    nothing(host.timeout());
    nothing(host.connect());
    nothing(host.connected());
    nothing(host.closed("gone"));
    nothing(host.connect_failed("gone", false));
    let call = host.client.get_chats(host.at(), 10, 1);
    futures::pin_mut!(call);
    assert_eq!(poll_once(call.as_mut()), Poll::Ready(Err(Error::Closed)));
    nothing(host.poll());
    assert!(host.take().is_empty(), "no transmit after shutdown");
}

/// A waker that holds the host, as a host's own task does.
struct HostTask(#[allow(dead_code)] Arc<Mutex<TcHost>>);

impl ArcWake for HostTask {
    fn wake_by_ref(_: &Arc<Self>) {}
}

#[test]
fn nothing_in_the_client_holds_the_host_after_shutdown() {
    let host = Arc::new(Mutex::new(TcHost::trueconf(ClientConfig::default())));
    let weak: Weak<Mutex<TcHost>> = Arc::downgrade(&host);
    let (client, now) = {
        let h = host.lock().unwrap();
        (h.client.clone(), h.at())
    };
    // Everything a host hands the client: a command closure capturing the host, the waker of
    // the task that awaits output, and the waker of a call's awaiter.
    let held = host.clone();
    let call = client.call(now, move |s, now| {
        let _ = &held;
        s.get_chats(now, 10, 1)
    });
    let waker = futures::task::waker(Arc::new(HostTask(host.clone())));
    let mut cx = Context::from_waker(&waker);
    futures::pin_mut!(call);
    assert!(call.as_mut().poll(&mut cx).is_pending());
    let ready = client.output_ready();
    futures::pin_mut!(ready);
    // The command's output is already waiting; take it, then wait for the next.
    let _ = ready.as_mut().poll(&mut cx);
    host.lock().unwrap().poll();
    assert!(ready.as_mut().poll(&mut cx).is_pending());
    drop(waker);

    host.lock().unwrap().shutdown();
    assert_eq!(poll_once(call.as_mut()), Poll::Ready(Err(Error::Closed)));
    // The host drops its side; the client (kept alive here) must not keep it.
    let client_kept = client;
    drop(host);
    assert!(
        weak.upgrade().is_none(),
        "the client still holds the host after shutdown"
    );
    drop(client_kept);
}
