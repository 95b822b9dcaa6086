//! One tada frame, inspected in isolation (`chatwire decode --protocol tada`).

use crate::inspect::{Direction, FrameKind, Inspection};
use crate::json::{parse_lenient, str_lenient};
use crate::tada::client_event::confirm_frame;
use crate::tada::server_event::ServerEvent;
use serde_json::Value;

/// What one frame is: its kind, its event name, and the `client.confirm` the session would send
/// back at once (for an incoming frame with a top-level `confirm_id`).
///
/// `client.confirm` and `server.confirm` are responses, other `client.*` events requests, other
/// `server.*` events notifications. An incoming server event this version knows must decode as
/// the session would decode it, or the reason is the error. A JSON object without an `event`
/// (the spec's `server.uisettings` example shows only the settings data) is inspected as
/// `unknown`, as the session delivers it: [`crate::Event::Unknown`]. Client events are not
/// type-checked: the spec's client examples are schemas (`"BOOL"`), not values.
pub fn inspect_tada(frame: &str, direction: Direction) -> Result<Inspection, String> {
    let value = parse_lenient(frame)?;
    if !value.is_object() {
        return Err("not a JSON object".to_string());
    }
    let name = value.get("event").and_then(Value::as_str);
    let kind = match name {
        Some("client.confirm" | "server.confirm") => FrameKind::Response,
        Some(n) if n.starts_with("client.") => FrameKind::Request,
        Some(n) if n.starts_with("server.") => FrameKind::Notification,
        _ => match direction {
            Direction::In => FrameKind::Notification,
            Direction::Out => FrameKind::Request,
        },
    };
    if let (Direction::In, Some(n)) = (direction, name) {
        ServerEvent::decode(n, value.get("params"))?;
    }
    let ack = match direction {
        Direction::In => value
            .get("confirm_id")
            .and_then(str_lenient)
            .map(|id| confirm_frame(&id)),
        Direction::Out => None,
    };
    Ok(Inspection {
        kind,
        name: name.unwrap_or("unknown").to_string(),
        ack,
    })
}
