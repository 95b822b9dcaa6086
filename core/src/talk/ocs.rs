//! The OCS envelope (`{"ocs":{"meta":{…},"data":…}}`) and what each HTTP status means.

use super::config::MAX_HISTORY_LIMIT;
use super::message::MessageRead;
use crate::error::{Delivery, Error};
use crate::json::{
    field_int, field_str, parse_lenient, strict_or_lenient, truncate, LenientInt, LenientObj,
    LenientStr,
};
use crate::raw::{with_texts, Members};
use crate::transmit::HttpResponse;
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use std::fmt;

/// The `meta` part of an OCS answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Meta {
    /// `ok` or `failure`.
    pub status: Option<String>,
    /// OCS status code (mirrors the HTTP status on v2 routes).
    pub statuscode: Option<i64>,
    /// Server's message, often empty.
    pub message: Option<String>,
}

/// A decoded OCS answer.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Envelope {
    /// Status part.
    pub meta: Meta,
    /// The payload (`null` when absent).
    pub data: Value,
}

/// The body's shell, read straight from the text: only `data` becomes a tree (the session walks
/// it), the envelope around it is never built. Every field reads any value.
#[derive(Deserialize)]
struct BodyFields<'a> {
    #[serde(default, borrow)]
    ocs: LenientObj<OcsFields<'a>>,
}

#[derive(Deserialize)]
struct OcsFields<'a> {
    #[serde(default, borrow)]
    meta: LenientObj<MetaFields<'a>>,
    #[serde(default)]
    data: Value,
}

#[derive(Deserialize)]
struct MetaFields<'a> {
    #[serde(default, borrow)]
    status: LenientStr<'a>,
    #[serde(default)]
    statuscode: LenientInt,
    #[serde(default, borrow)]
    message: LenientStr<'a>,
}

impl Envelope {
    /// Decodes a response body; the error is the reason, for a protocol-error event.
    pub(super) fn decode(body: &str) -> Result<Envelope, String> {
        match serde_json::from_str::<LenientObj<BodyFields<'_>>>(body) {
            Ok(LenientObj(Some(BodyFields {
                ocs: LenientObj(Some(ocs)),
            }))) => {
                let meta = ocs.meta.0.map_or_else(Meta::default, |m| Meta {
                    status: m.status.owned(),
                    statuscode: m.statuscode.0,
                    message: m.message.owned(),
                });
                return Ok(Envelope {
                    meta,
                    data: ocs.data,
                });
            }
            Ok(_) => return Err("no \"ocs\" object in the body".to_string()),
            // Not strict JSON, or a repeated field: the lenient tree decides.
            Err(_) => {}
        }
        let value = parse_lenient(body)?;
        let ocs = value
            .get("ocs")
            .filter(|o| o.is_object())
            .ok_or_else(|| "no \"ocs\" object in the body".to_string())?;
        let meta = ocs
            .get("meta")
            .map(|m| Meta {
                status: field_str(m, "status"),
                statuscode: field_int(m, "statuscode"),
                message: field_str(m, "message"),
            })
            .unwrap_or_default();
        Ok(Envelope {
            meta,
            data: ocs.get("data").cloned().unwrap_or(Value::Null),
        })
    }
}

/// The `data` of an answer that should be a list (of messages), read without a tree: each item
/// as a `T` (its text, or its fields), or what else `data` was.
#[derive(Debug)]
pub(super) enum ListData<T> {
    /// The items.
    Items(Vec<T>),
    /// Not an array: the kind of value it was (`null` when absent), for the error.
    Other(&'static str),
}

impl<T> Default for ListData<T> {
    fn default() -> Self {
        ListData::Other("null")
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ListData<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = ListData<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                // serde_json gives no length: room for a whole page up front (rather than
                // five doublings, each a reallocation and copy, to reach a page of 100) when
                // items are small (texts); items read whole get a few KiB, or a poll of one
                // message would allocate a page of them.
                let page = MAX_HISTORY_LIMIT as usize;
                let small = (4096 / std::mem::size_of::<T>().max(1)).clamp(1, page);
                let hint = seq.size_hint().unwrap_or(small);
                let mut items = Vec::with_capacity(hint);
                while let Some(item) = seq.next_element::<T>()? {
                    items.push(item);
                }
                Ok(ListData::Items(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(ListData::Other("an object"))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(ListData::Other("a boolean"))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(ListData::Other("a number"))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(ListData::Other("a number"))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(ListData::Other("a number"))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(ListData::Other("a string"))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(ListData::Other("null"))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(ListData::Other("null"))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// The body's shell around a list: only `data` is read, each item as a `T`.
#[derive(Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
struct ListBody<T> {
    #[serde(default)]
    ocs: LenientObj<ListOcs<T>>,
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
struct ListOcs<T> {
    #[serde(default)]
    data: ListData<T>,
}

/// A list of messages read in one pass: each message's fields with the body, its text (and
/// whether that is canonical) found by one scan of the body. `None` for anything the slower
/// [`decode_list`] must read: not strict JSON, a repeated field, no `ocs` object, `data` no
/// array (it reports each the way it always has).
pub(super) fn read_list(body: &str) -> Option<Vec<(MessageRead<'_>, &str, bool)>> {
    let parsed: LenientObj<ListBody<MessageRead<'_>>> = serde_json::from_str(body).ok()?;
    let ListData::Items(items) = parsed.0?.ocs.0?.data else {
        return None;
    };
    let mut top = Members::of(body)?;
    while top.next_key()? != "ocs" {}
    let mut ocs = top.into_object()?;
    while ocs.next_key()? != "data" {}
    with_texts(items, ocs.items()?)
}

/// [`Envelope::decode`]'s `data` for an answer that should be a list, each item as its text:
/// the same answers accepted and refused for the same reasons. The items borrow from `body`,
/// or from `scratch` when the body had to be re-encoded (not strict JSON, a repeated field).
pub(super) fn decode_list<'a>(
    body: &'a str,
    scratch: &'a mut String,
) -> Result<ListData<&'a RawValue>, String> {
    match strict_or_lenient::<LenientObj<ListBody<&'a RawValue>>>(body, scratch)? {
        (
            LenientObj(Some(ListBody {
                ocs: LenientObj(Some(ocs)),
            })),
            _,
        ) => Ok(ocs.data),
        _ => Err("no \"ocs\" object in the body".to_string()),
    }
}

/// A Talk HTTP status with a documented meaning.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum HttpError {
    /// 400: the server refused the request for a reason it gives in the body.
    #[error("bad request (400)")]
    BadRequest {
        /// The response body as received, cut past [`crate::Limits::max_error_body_bytes`].
        body: String,
    },
    /// 403: the conversation is read-only.
    #[error("conversation is read-only (403)")]
    ReadOnly,
    /// 404: the conversation does not exist or this user is not in it.
    #[error("conversation not found (404)")]
    NotFound,
    /// 412: the lobby is on and this user is not a moderator.
    #[error("lobby is active (412)")]
    Lobby,
    /// 413: the message is longer than the server accepts.
    #[error("message too long for the server (413)")]
    TooLong,
    /// 429: too many requests; retried after a backoff.
    #[error("rate limited (429)")]
    RateLimited {
        /// The server's `Retry-After`, in seconds, when it sent one.
        retry_after_secs: Option<u64>,
    },
    /// 503: the server is in maintenance mode.
    #[error("server in maintenance (503)")]
    Maintenance,
    /// The server cannot do this (its capabilities lack `feature`, or it answered 405).
    #[error("the server does not support {feature}")]
    Unsupported {
        /// The Talk feature (`edit-messages`, `reactions`, …).
        feature: String,
    },
}

impl From<HttpError> for Error {
    fn from(e: HttpError) -> Self {
        Error::Talk(e)
    }
}

/// What a response's status means for the request it answers.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Status {
    /// 2xx: decode the body.
    Success,
    /// 304: nothing new (no body).
    NotModified,
    /// Worth trying again after a backoff (transport failure, 429, 5xx).
    Transient(Error),
    /// Trying again would get the same answer.
    Fatal(Error),
}

/// The `Retry-After` header in seconds (the HTTP-date form is not used by Nextcloud).
fn retry_after(response: &HttpResponse) -> Option<u64> {
    response.header("Retry-After")?.trim().parse().ok()
}

/// The server's reason for an auth failure, without echoing anything we sent.
fn ocs_message(body: &str) -> Option<String> {
    Envelope::decode(body)
        .ok()?
        .meta
        .message
        .filter(|m| !m.is_empty())
}

/// Classifies a response by status; an error body kept in the error is cut at `body_kept`
/// bytes ([`crate::Limits::max_error_body_bytes`]).
pub(crate) fn classify(response: &HttpResponse, body_kept: u32) -> Status {
    let body_kept = body_kept as usize;
    match response.status {
        200..=299 => Status::Success,
        304 => Status::NotModified,
        // The host's report of an exchange that got no response (transmit.rs): the request may
        // or may not have reached the server.
        0 => Status::Transient(Error::Disconnected {
            delivery: Delivery::MaybeDelivered,
        }),
        400 => Status::Fatal(
            HttpError::BadRequest {
                body: truncate(&response.body, body_kept),
            }
            .into(),
        ),
        // Retrying wrong credentials feeds the server's brute-force protection: stop instead.
        401 => Status::Fatal(Error::AuthFailed {
            reason: ocs_message(&response.body).unwrap_or_else(|| "HTTP 401".into()),
        }),
        403 => Status::Fatal(HttpError::ReadOnly.into()),
        404 => Status::Fatal(HttpError::NotFound.into()),
        412 => Status::Fatal(HttpError::Lobby.into()),
        413 => Status::Fatal(HttpError::TooLong.into()),
        429 => Status::Transient(
            HttpError::RateLimited {
                retry_after_secs: retry_after(response),
            }
            .into(),
        ),
        503 => Status::Transient(HttpError::Maintenance.into()),
        500..=599 => Status::Transient(Error::Http {
            status: response.status,
            body: truncate(&response.body, body_kept),
        }),
        status => Status::Fatal(Error::Http {
            status,
            body: truncate(&response.body, body_kept),
        }),
    }
}

/// The server's wish for a minimum wait, from a transient error.
pub(crate) fn min_wait_secs(error: &Error, response: Option<&HttpResponse>) -> Option<u64> {
    match error {
        Error::Talk(HttpError::RateLimited { retry_after_secs }) => *retry_after_secs,
        Error::Talk(HttpError::Maintenance) => response.and_then(retry_after),
        _ => None,
    }
}

/// An integer header (`X-Chat-Last-Given`, `X-Chat-Last-Common-Read`).
pub(crate) fn int_header(response: &HttpResponse, name: &str) -> Option<i64> {
    response.header(name)?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn talk_error_serializes_inside_error() {
        let e: Error = HttpError::RateLimited {
            retry_after_secs: Some(3),
        }
        .into();
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"talk","code":"rate_limited","retry_after_secs":3}"#
        );
        let back: Error = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
        let unit: Error = HttpError::Lobby.into();
        let json = serde_json::to_string(&unit).unwrap();
        assert_eq!(serde_json::from_str::<Error>(&json).unwrap(), unit);
    }

    #[test]
    fn envelope_needs_ocs() {
        assert!(Envelope::decode("[]").is_err());
        assert!(Envelope::decode("not json").is_err());
        let e = Envelope::decode(r#"{"ocs":{"meta":{"status":"ok","statuscode":200},"data":[]}}"#)
            .unwrap();
        assert_eq!(e.meta.statuscode, Some(200));
        assert_eq!(e.data, serde_json::json!([]));
    }
}
