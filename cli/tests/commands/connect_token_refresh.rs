//! `chatwire connect --protocol trueconf` with a user and password gets a new token by itself when
//! the server says the old one expired (errorCode 203), reconnects and carries on; the request
//! the server refused for the old token did not run, so it is replayed after the re-auth and
//! succeeds (issue 14) instead of failing back to the user.

use crate::support::{is_type, Peer, Sim};
use serde_json::json;

#[test]
fn an_expired_token_is_refreshed_and_the_session_goes_on() {
    let sim = Sim::start(&[]);
    let mut alice = Peer::trueconf(&sim, "alice");
    alice.wait_for("connected", 0, is_type("connected"));
    sim.inject(json!({"expire_tokens": true}));

    let since = alice.mark();
    let tag = alice.submit("chats", json!({}));
    let replayed = alice.result(&tag);
    assert_eq!(
        replayed["ok"], true,
        "replayed after the re-auth: {replayed}"
    );
    assert!(replayed["reply"]["chats"].is_array(), "{replayed}");
    alice.wait_for("token_expired", since, is_type("token_expired"));
    alice.wait_for("a new connection", since, is_type("connected"));

    let chats = alice.call("chats", json!({}));
    assert!(
        chats["chats"].is_array(),
        "works again with the new token: {chats}"
    );
    alice.finish();
}
