//! Issue 8 §1.2: a timer that fires early gets the deadline back in that output's `timeout`.
//! The old façade only called `set_timer` when the deadline changed, so an early fire left the
//! host with no timer at all.
use crate::support::{has_connect, poll_once, TcHost};
use chatwire::{ClientConfig, Error};
use std::task::Poll;

#[test]
fn an_early_request_timer_is_rearmed_with_the_same_deadline() {
    let mut host = TcHost::trueconf(ClientConfig::default());
    let call = host
        .client
        .call(host.at(), |s, now| s.get_chats(now, 10, 1));
    futures::pin_mut!(call);
    let deadline = host
        .poll()
        .timeout
        .expect("the request's deadline is armed");

    for early in [20_000, 1] {
        host.now = deadline.0 - early;
        let out = host.timeout();
        assert_eq!(
            out.timeout,
            Some(deadline),
            "re-armed after firing {early} ms early"
        );
        assert!(poll_once(call.as_mut()).is_pending(), "nothing fired early");
    }
    host.fire();
    assert_eq!(poll_once(call.as_mut()), Poll::Ready(Err(Error::Timeout)));
}

#[test]
fn an_early_reconnect_timer_is_rearmed_and_connects_at_its_deadline() {
    let mut host = TcHost::trueconf(ClientConfig::default());
    let deadline = host
        .closed("down")
        .timeout
        .expect("a reconnect is scheduled");
    host.take();
    host.now = deadline.0 - 100;
    let out = host.timeout();
    assert_eq!(out.timeout, Some(deadline));
    assert!(!has_connect(&host.take()), "no reconnect before its time");
    host.fire();
    assert!(has_connect(&host.take()));
}
