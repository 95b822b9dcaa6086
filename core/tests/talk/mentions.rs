//! Mention suggestions: `GET /chat/{token}/mentions`, answered with typed suggestions.

use crate::support::*;
use chatwire::talk::Mention;
use chatwire::{Event, Reply, Session as _};
use serde_json::json;

#[test]
fn mentions_are_typed() {
    let mut s = talk();
    let id = s.mentions(at(0), ROOM, "b", 5).unwrap();
    let r = one_request(&mut s);
    assert_eq!(r.method, "GET");
    assert_eq!(
        path(&r),
        "/ocs/v2.php/apps/spreed/api/v1/chat/room-ab/mentions"
    );
    let q = query(&r);
    assert_eq!(q["search"], "b");
    assert_eq!(q["limit"], "5");
    let data = json!([
        {"id": "bob", "label": "Bob", "source": "users", "status": "online",
         "statusIcon": "🌴", "statusMessage": "away"},
        {"id": "guest/abc", "label": "Guest", "source": "guests"},
        {"label": "no id"},
        {"id": "all", "label": "Everyone", "source": "calls"}
    ]);
    s.handle_http_response(at(1), r.id, ocs(200, data, &[]));
    let evs = events(&mut s);
    assert!(evs.iter().any(|e| matches!(e, Event::ProtocolError { .. })));
    let suggestions = evs
        .iter()
        .find_map(|e| match e {
            Event::Response {
                request,
                reply: Reply::Mentions { suggestions },
            } if *request == id => Some(suggestions.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(suggestions.len(), 3);
    assert_eq!(
        suggestions[0],
        Mention {
            id: "bob".into(),
            label: "Bob".into(),
            source: "users".into(),
            status: Some("online".into()),
            status_icon: Some("🌴".into()),
            status_message: Some("away".into()),
        }
    );
    assert_eq!(suggestions[1].mention_text(), "@\"guest/abc\"");
    assert_eq!(suggestions[2].source, "calls");
}
