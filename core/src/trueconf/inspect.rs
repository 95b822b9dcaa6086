//! Decoding one TrueConf frame in isolation, for `chatwire decode`.

use super::notification;
use super::wire::{self, Frame};
use crate::inspect::{Direction, FrameKind, Inspection};

/// Decodes `text` as a frame travelling in `direction`: its kind, method and the ack this client
/// would send. A notification whose payload cannot be decoded is an error.
pub fn inspect_trueconf(text: &str, direction: Direction) -> Result<Inspection, String> {
    let (frame, _) = wire::decode(text).map_err(|e| e.reason)?;
    Ok(match (frame, direction) {
        (
            Frame::Request {
                id,
                method,
                payload,
            },
            Direction::In,
        ) => {
            notification::decode(&method, &payload, None)?;
            Inspection {
                kind: FrameKind::Notification,
                name: method,
                ack: Some(wire::ack(id)),
            }
        }
        (
            Frame::Request {
                method, payload, ..
            },
            Direction::Out,
        ) => {
            super::Request::from_wire(&method, &payload)?;
            Inspection {
                kind: FrameKind::Request,
                name: method,
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
