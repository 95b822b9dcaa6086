//! Every request carries the OCS headers and Basic auth; credentials never show in Debug output.

use crate::support::*;
use base64::Engine as _;
use chatwire::Session as _;

#[test]
fn every_request_has_ocs_headers_and_basic_auth() {
    let mut s = talk();
    s.join_room(at(0), ROOM).unwrap();
    let send = s.send_message(at(0), ROOM, "hello", None, false).unwrap();
    let mention = s.mentions(at(0), ROOM, "bo", 5).unwrap();
    let read = s.mark_read_up_to(at(0), ROOM, 3).unwrap();
    assert_ne!(send, mention);
    assert_ne!(mention, read);
    let reqs = requests(&mut s);
    assert_eq!(reqs.len(), 4);
    let expected_auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
    );
    for r in &reqs {
        assert_eq!(header(r, "OCS-APIRequest"), Some("true"));
        assert_eq!(header(r, "Accept"), Some("application/json"));
        assert_eq!(header(r, "Authorization"), Some(expected_auth.as_str()));
        assert!(r
            .path
            .starts_with("/ocs/v2.php/apps/spreed/api/v1/chat/room-ab"));
        if r.method == "POST" {
            assert_eq!(
                header(r, "Content-Type"),
                Some("application/x-www-form-urlencoded")
            );
        } else {
            assert_eq!(r.body, None);
        }
    }
}

#[test]
fn credentials_never_reach_debug_output() {
    let mut s = talk();
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    assert!(!format!("{:?}", config()).contains(PASSWORD));
    s.join_room(at(0), ROOM).unwrap();
    let session_debug = format!("{s:?}");
    assert!(!session_debug.contains(PASSWORD));
    assert!(!session_debug.contains(&encoded));
    let req = one_request(&mut s);
    let req_debug = format!("{req:?}");
    assert!(!req_debug.contains(&encoded), "{req_debug}");
    assert!(req_debug.contains("<redacted>"));
    // A 401 does not echo the credentials into the error either.
    s.handle_http_response(at(1), req.id, failure(401));
    let events = format!("{:?}", events(&mut s));
    assert!(!events.contains(PASSWORD) && !events.contains(&encoded));
}

#[test]
fn tokens_and_values_are_percent_encoded() {
    let mut s = talk();
    s.join_room(at(0), "a b/ç?&").unwrap();
    let r = one_request(&mut s);
    assert!(
        r.path
            .starts_with("/ocs/v2.php/apps/spreed/api/v1/chat/a%20b%2F%C3%A7%3F%26?"),
        "{}",
        r.path
    );
    s.mentions(at(0), ROOM, "x&limit=1 y", 3).unwrap();
    let r = one_request(&mut s);
    assert_eq!(
        path(&r),
        "/ocs/v2.php/apps/spreed/api/v1/chat/room-ab/mentions"
    );
    let q = query(&r);
    assert_eq!(q["search"], "x&limit=1 y");
    assert_eq!(q["limit"], "3");
    s.send_message(at(0), ROOM, "a=b&c d+e", None, false)
        .unwrap();
    let r = one_request(&mut s);
    assert_eq!(form(&r)["message"], "a=b&c d+e");
}
