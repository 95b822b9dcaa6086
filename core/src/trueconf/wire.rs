//! TrueConf framing: `type` 1 (request) and 2 (response), routed on `type` before `id`.

// Reachable from outside only through `internals` (tests, fuzzers).
#![cfg_attr(not(feature = "internals"), allow(unreachable_pub))]

use crate::json::{int_lenient, strict_or_lenient, LenientId, LenientInt, LenientObj, OnlyStr};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;

/// One decoded frame, borrowing from the text it was decoded from.
#[derive(Clone, Debug)]
pub(crate) enum Frame<'a> {
    /// `type: 1` — a request. From the server it is a notification and must be acked.
    Request {
        /// The sender's request id (the server's ids are a space of their own).
        id: u32,
        /// Method name.
        method: Cow<'a, str>,
        /// Payload as sent (`None` when absent or `null`).
        payload: Option<&'a RawValue>,
    },
    /// `type: 2` — the answer to request `id` of the other side.
    Response {
        /// The id of the answered request.
        id: u32,
        /// Payload as sent (`None` when absent or `null`, as in acks).
        payload: Option<&'a RawValue>,
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

/// The routing fields of a frame; every field reads any JSON value (a wrong kind is absent),
/// so the strict parse fails only on text that is not strict JSON or repeats a field.
#[derive(Deserialize)]
struct FrameFields<'a> {
    #[serde(rename = "type", default)]
    kind: LenientInt,
    #[serde(default)]
    id: LenientId,
    #[serde(default, borrow)]
    method: OnlyStr<'a>,
    #[serde(default, borrow)]
    payload: Option<&'a RawValue>,
}

/// Decodes a text frame straight from the text, tolerating trailing commas, a repeated field
/// (the last one counts) and ids sent as strings. Strict JSON is decoded in one pass; only
/// when that fails is the text re-encoded through a `Value` into `scratch`, and the frame
/// borrows from that instead.
pub(crate) fn decode<'a>(
    text: &'a str,
    scratch: &'a mut String,
) -> Result<(Frame<'a>, &'a str), FrameError> {
    let (fields, source) = strict_or_lenient::<LenientObj<FrameFields<'a>>>(text, scratch)
        .map_err(|reason| FrameError {
            reason: format!("not JSON: {reason}"),
            ack_id: None,
        })?;
    route(fields.0).map(|f| (f, source))
}

fn route(fields: Option<FrameFields<'_>>) -> Result<Frame<'_>, FrameError> {
    let fail = |reason: &str, ack_id| FrameError {
        reason: reason.to_string(),
        ack_id,
    };
    let Some(fields) = fields else {
        return Err(fail("frame without a numeric type", None));
    };
    Ok(match (fields.kind.0, fields.id.0) {
        (Some(1), Some(id)) => match fields.method.0 {
            Some(method) => Frame::Request {
                id,
                method,
                payload: fields.payload,
            },
            None => return Err(fail("request without a method", Some(id))),
        },
        (Some(2), Some(id)) => Frame::Response {
            id,
            payload: fields.payload,
        },
        (Some(1 | 2), None) => return Err(fail("frame without a numeric id", None)),
        (Some(other), _) => return Err(fail(&format!("unknown frame type {other}"), None)),
        (None, _) => return Err(fail("frame without a numeric type", None)),
    })
}

/// The acknowledgement of server request `id`: `{"type":2,"id":N}`.
pub fn ack(id: u32) -> String {
    format!("{{\"type\":2,\"id\":{id}}}")
}

/// The `errorCode` of a response payload, if it reports an error.
pub(crate) fn error_code(payload: &Value) -> Option<u32> {
    payload
        .get("errorCode")
        .and_then(int_lenient)
        .and_then(|c| u32::try_from(c).ok())
}
