//! Room long-polls do not take places in the command table: 2 000 joined rooms all poll, and
//! commands still go out.

use crate::support::*;
use chatwire::Session as _;

#[test]
fn two_thousand_rooms_all_poll_and_commands_still_go_out() {
    let mut s = talk();
    let rooms: Vec<String> = (1..=2000).map(|n| format!("bulk-{n}")).collect();
    for r in &rooms {
        s.join_room(at(0), r).unwrap();
    }
    let history = requests(&mut s);
    assert_eq!(history.len(), 2000, "every room reads its history");
    for (i, req) in history.iter().enumerate() {
        let id = 10 + i as i64;
        let mut m = message(id, "bob", "x");
        m["token"] = rooms[i].clone().into();
        s.handle_http_response(at(1), req.id, page(vec![m], id));
    }
    let polls = requests(&mut s);
    assert_eq!(polls.len(), 2000, "every room long-polls");
    assert!(polls.iter().all(|p| query(p)["lookIntoFuture"] == "1"));
    s.send_message(at(2), "bulk-1", "still room for commands", None, false)
        .unwrap();
    let post = one_request(&mut s);
    assert_eq!(post.method, "POST");
}
