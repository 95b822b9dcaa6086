//! Editing, deleting and reacting: the capabilities are fetched once first, a server that
//! cannot edit refuses with a typed error, and each command speaks the real routes.

use crate::support::*;
use chatwire::talk::HttpError;
use chatwire::{Error, Event, Reply, Session as _};
use serde_json::{json, Value};

const CAPS: &str = include_str!("fixtures/capabilities_talk19.json");

fn caps(edit: bool) -> chatwire::HttpResponse {
    let mut data = fixture_data(CAPS);
    if !edit {
        let features = data["capabilities"]["spreed"]["features"]
            .as_array_mut()
            .unwrap();
        features.retain(|f| f != "edit-messages");
    }
    ocs(200, data, &[])
}

fn result_of(evs: &[Event], id: chatwire::RequestId) -> Result<Reply, Error> {
    evs.iter()
        .find_map(|e| match e {
            Event::Response { request, reply } if *request == id => Some(Ok(reply.clone())),
            Event::RequestFailed { request, error } if *request == id => Some(Err(error.clone())),
            _ => None,
        })
        .expect("the command was resolved")
}

#[test]
fn edit_waits_for_capabilities_then_puts_the_new_text() {
    let mut s = talk();
    let id = s.edit_message(at(0), ROOM, 23, "fixed").unwrap();
    let get = one_request(&mut s);
    assert_eq!(
        (get.method.as_str(), get.path.as_str()),
        ("GET", "/ocs/v2.php/cloud/capabilities")
    );
    s.handle_http_response(at(1), get.id, caps(true));
    assert_eq!(s.max_length(), 32000);
    let put = one_request(&mut s);
    assert_eq!(put.method, "PUT");
    assert_eq!(path(&put), "/ocs/v2.php/apps/spreed/api/v1/chat/room-ab/23");
    assert_eq!(form(&put)["message"], "fixed");
    let mut answer = message(30, "alice", "You edited a message");
    answer["messageType"] = "system".into();
    answer["systemMessage"] = "message_edited".into();
    let mut parent = message(23, "alice", "fixed");
    parent["lastEditTimestamp"] = json!(1_700_000_100);
    answer["parent"] = parent;
    s.handle_http_response(at(2), put.id, ocs(200, answer, &[]));
    match result_of(&events(&mut s), id) {
        Ok(Reply::Message { message }) => {
            assert_eq!(message.id, "23");
            assert_eq!(message.content.text(), Some("fixed"));
            assert!(message.edited && message.own);
        }
        other => panic!("{other:?}"),
    }
    // Fetched once per session: the next command goes out at once.
    s.delete_message(at(3), ROOM, 23).unwrap();
    let del = one_request(&mut s);
    assert_eq!(del.method, "DELETE");
    assert_eq!(path(&del), "/ocs/v2.php/apps/spreed/api/v1/chat/room-ab/23");
}

#[test]
fn a_server_without_edit_messages_refuses_the_edit() {
    let mut s = talk();
    let id = s.edit_message(at(0), ROOM, 23, "fixed").unwrap();
    let get = one_request(&mut s);
    s.handle_http_response(at(1), get.id, caps(false));
    let unsupported = Error::Talk(HttpError::Unsupported {
        feature: "edit-messages".into(),
    });
    assert_eq!(result_of(&events(&mut s), id), Err(unsupported.clone()));
    assert!(requests(&mut s).is_empty(), "nothing is sent");
    // Known now: refused at once.
    assert_eq!(s.edit_message(at(2), ROOM, 23, "again"), Err(unsupported));
}

#[test]
fn a_405_to_an_edit_is_the_same_refusal() {
    let mut s = talk();
    let id = s.edit_message(at(0), ROOM, 23, "fixed").unwrap();
    let get = one_request(&mut s);
    // A server that does not list its features: the edit is tried.
    s.handle_http_response(at(1), get.id, ocs(200, json!({"capabilities": {}}), &[]));
    let put = one_request(&mut s);
    s.handle_http_response(at(2), put.id, failure(405));
    assert_eq!(
        result_of(&events(&mut s), id),
        Err(Error::Talk(HttpError::Unsupported {
            feature: "edit-messages".into()
        }))
    );
}

#[test]
fn react_and_unreact_report_the_reactions_after_the_change() {
    let mut s = talk();
    let id = s.react(at(0), ROOM, 23, "👍").unwrap();
    let get = one_request(&mut s);
    s.handle_http_response(at(1), get.id, caps(false));
    let post = one_request(&mut s);
    assert_eq!(post.method, "POST");
    assert_eq!(
        path(&post),
        "/ocs/v2.php/apps/spreed/api/v1/reaction/room-ab/23"
    );
    assert_eq!(form(&post)["reaction"], "👍");
    let actors = |who: &[&str]| -> Value {
        who.iter()
            .map(|a| json!({"actorType": "users", "actorId": a, "actorDisplayName": a, "timestamp": 1}))
            .collect()
    };
    s.handle_http_response(
        at(2),
        post.id,
        ocs(201, json!({"👍": actors(&["bob", "alice"])}), &[]),
    );
    let evs = events(&mut s);
    assert_eq!(result_of(&evs, id), Ok(Reply::Empty));
    let changed = evs.iter().find_map(|e| match e {
        Event::ReactionsChanged {
            message_id,
            reactions,
            ..
        } => Some((message_id.clone(), reactions.clone())),
        _ => None,
    });
    let (mid, list) = changed.expect("reactions reported");
    assert_eq!(mid, "23");
    assert_eq!(
        (list[0].emoji.as_str(), list[0].count, list[0].own),
        ("👍", 2, true)
    );

    s.unreact(at(3), ROOM, 23, "👍").unwrap();
    let del = one_request(&mut s);
    assert_eq!(del.method, "DELETE");
    assert_eq!(query(&del)["reaction"], "👍");
    assert!(del.body.is_none());
    s.handle_http_response(
        at(4),
        del.id,
        ocs(200, json!({"👍": actors(&["bob"])}), &[]),
    );
    let evs = events(&mut s);
    assert!(evs.iter().any(|e| matches!(e,
        Event::ReactionsChanged { reactions, .. } if reactions.len() == 1 && !reactions[0].own)));
}

#[test]
fn the_servers_max_length_is_the_limit() {
    let mut s = talk();
    s.react(at(0), ROOM, 1, "👍").unwrap();
    let get = one_request(&mut s);
    let mut data = fixture_data(CAPS);
    data["capabilities"]["spreed"]["config"]["chat"]["max-length"] = json!(10);
    s.handle_http_response(at(1), get.id, ocs(200, data, &[]));
    assert_eq!(s.max_length(), 10);
    assert!(matches!(
        s.send_message(at(2), ROOM, "eleven char", None, false),
        Err(Error::MessageTooLong {
            length: 11,
            limit: 10
        })
    ));
}
