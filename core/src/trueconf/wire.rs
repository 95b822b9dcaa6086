//! TrueConf framing: `type` 1 (request) and 2 (response), routed on `type` before `id`.

// Reachable from outside only through `internals` (tests, fuzzers).
#![cfg_attr(not(feature = "internals"), allow(unreachable_pub))]

use crate::json::{id_lenient, int_lenient, parse_lenient};
use serde_json::{json, Value};

/// One decoded frame.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Frame {
    /// `type: 1` — a request. From the server it is a notification and must be acked.
    Request {
        /// The sender's request id (the server's ids are a space of their own).
        id: u32,
        /// Method name.
        method: String,
        /// Payload (`Null` when absent).
        payload: Value,
    },
    /// `type: 2` — the answer to request `id` of the other side.
    Response {
        /// The id of the answered request.
        id: u32,
        /// Payload (`Null` when absent, as in acks).
        payload: Value,
    },
}

/// Why a frame could not be decoded; `id` is set when it was readable, so the frame can still be
/// acked and the server does not redeliver it forever.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FrameError {
    /// What is wrong.
    pub reason: String,
    /// The request id, when the frame is a readable `type: 1` with an id.
    pub ack_id: Option<u32>,
}

/// Decodes a text frame, tolerating trailing commas and ids sent as strings.
pub(crate) fn decode(text: &str) -> Result<(Frame, Value), FrameError> {
    let value = parse_lenient(text).map_err(|reason| FrameError {
        reason: format!("not JSON: {reason}"),
        ack_id: None,
    })?;
    let kind = value.get("type").and_then(int_lenient);
    let id = value.get("id").and_then(id_lenient);
    let payload = value.get("payload").cloned().unwrap_or(Value::Null);
    let fail = |reason: &str, ack_id| FrameError {
        reason: reason.to_string(),
        ack_id,
    };
    let frame = match (kind, id) {
        (Some(1), Some(id)) => match value.get("method").and_then(Value::as_str) {
            Some(method) => Frame::Request {
                id,
                method: method.to_string(),
                payload,
            },
            None => return Err(fail("request without a method", Some(id))),
        },
        (Some(2), Some(id)) => Frame::Response { id, payload },
        (Some(1 | 2), None) => return Err(fail("frame without a numeric id", None)),
        (Some(other), _) => return Err(fail(&format!("unknown frame type {other}"), None)),
        (None, _) => return Err(fail("frame without a numeric type", None)),
    };
    Ok((frame, value))
}

/// The acknowledgement of server request `id`: `{"type":2,"id":N}`.
pub fn ack(id: u32) -> String {
    json!({"type": 2, "id": id}).to_string()
}

/// The `errorCode` of a response payload, if it reports an error.
pub(crate) fn error_code(payload: &Value) -> Option<u32> {
    payload
        .get("errorCode")
        .and_then(int_lenient)
        .and_then(|c| u32::try_from(c).ok())
}
