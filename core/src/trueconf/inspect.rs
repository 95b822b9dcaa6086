//! Decoding one TrueConf frame in isolation, for `chatwire decode`.

use super::notification;
use super::wire::{self, Frame};
use crate::inspect::{Direction, FrameKind, Inspection};
use serde_json::Value;

/// Decodes `text` as a frame travelling in `direction`: its kind, method and the ack this client
/// would send. A notification whose payload cannot be decoded is an error.
pub fn inspect_trueconf(text: &str, direction: Direction) -> Result<Inspection, String> {
    let mut scratch = String::new();
    let (frame, _) = wire::decode(text, &mut scratch).map_err(|e| e.reason)?;
    Ok(match (frame, direction) {
        (
            Frame::Request {
                id,
                method,
                payload,
            },
            Direction::In,
        ) => {
            notification::decode_payload(&method, payload, None)?;
            Inspection {
                kind: FrameKind::Notification,
                name: method.into_owned(),
                ack: Some(wire::ack(id)),
            }
        }
        (
            Frame::Request {
                method, payload, ..
            },
            Direction::Out,
        ) => {
            let payload: Value = match payload.text() {
                Some(p) => serde_json::from_str(p).map_err(|e| format!("not JSON: {e}"))?,
                None => Value::Null,
            };
            super::Request::from_wire(&method, &payload)?;
            Inspection {
                kind: FrameKind::Request,
                name: method.into_owned(),
                ack: None,
            }
        }
        (Frame::Response { .. }, _) => Inspection {
            kind: FrameKind::Response,
            name: "response".into(),
            ack: None,
        },
    })
}
