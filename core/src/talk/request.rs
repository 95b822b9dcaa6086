//! Building Talk HTTP requests: paths, query strings, form bodies and the OCS headers.
//!
//! POST bodies are `application/x-www-form-urlencoded`, as the official Android client sends them:
//! PHP decodes form fields into controller parameters on every Nextcloud version, while JSON
//! bodies are only understood by servers that parse them for OCS routes, and a form keeps
//! integers (`replyTo`, `lastReadMessage`) free of JSON typing questions.

use crate::ids::RequestId;
use crate::secret::Secret;
use crate::transmit::Header;
use crate::transmit::HttpRequest;
use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Base path of the Talk chat API, below the server's base URL.
pub const API_BASE: &str = "/ocs/v2.php/apps/spreed/api/v1";

/// Everything but RFC 3986 unreserved characters is encoded, so a value can never close a query
/// pair or a path segment whatever it holds.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment, query value or form value.
pub(super) fn encode_component(value: &str) -> String {
    utf8_percent_encode(value, COMPONENT).to_string()
}

/// `key=value&…` with every value encoded (query strings and form bodies share this form).
fn encode_pairs(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Path of one message of a conversation (`/chat/{token}/{messageId}`).
pub(super) fn message_path(token: &str, message_id: i64) -> String {
    format!("{}/{message_id}", chat_path(token))
}

/// Path of a message's reactions (`/reaction/{token}/{messageId}`).
pub(super) fn reaction_path(token: &str, message_id: i64) -> String {
    format!(
        "{API_BASE}/reaction/{}/{message_id}",
        encode_component(token)
    )
}

/// Path of one conversation in the room API (`/room/{token}`).
pub(super) fn room_path(token: &str) -> String {
    format!(
        "{}/room/{}",
        super::conversation::ROOM_API_BASE,
        encode_component(token)
    )
}

/// Path of a conversation's chat (`/chat/{token}`).
pub(super) fn chat_path(token: &str) -> String {
    format!("{API_BASE}/chat/{}", encode_component(token))
}

/// The `Authorization` header value for HTTP Basic auth, kept redacted.
pub(super) fn basic_authorization(user: &str, password: &str) -> Secret {
    let raw = format!("{user}:{password}");
    Secret::new(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    ))
}

/// Parameters of `GET /chat/{token}` (history page or long-poll).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Receive {
    /// Long-poll for newer messages (`true`) or read older history (`false`).
    pub look_into_future: bool,
    /// Page size.
    pub limit: u32,
    /// The offset: newer (or older) than this id.
    pub last_known: Option<i64>,
    /// Include `last_known` itself (history starting at the last read message).
    pub include_last_known: bool,
    /// Long-poll wait in seconds.
    pub timeout: Option<u32>,
    /// The last `X-Chat-Last-Common-Read` seen, so a change comes back as `200 []`.
    pub last_common_read: Option<i64>,
}

impl Receive {
    /// Path and query of this request.
    pub(super) fn path(&self, token: &str) -> String {
        let mut q: Vec<(&str, String)> = vec![
            (
                "lookIntoFuture",
                u8::from(self.look_into_future).to_string(),
            ),
            ("limit", self.limit.to_string()),
        ];
        if let Some(id) = self.last_known {
            q.push(("lastKnownMessageId", id.to_string()));
        }
        if self.include_last_known {
            q.push(("includeLastKnown", "1".into()));
        }
        if let Some(t) = self.timeout {
            q.push(("timeout", t.to_string()));
        }
        // We mark read explicitly (mark_read): a poll must not move the marker behind the app's
        // back, or the unread count the user sees would be wrong.
        q.push(("setReadMarker", "0".into()));
        if let Some(id) = self.last_common_read {
            q.push(("lastCommonReadId", id.to_string()));
        }
        format!("{}?{}", chat_path(token), encode_pairs(&q))
    }
}

/// Who is asking: servers log it, and admins tell chatwire's traffic from a browser's.
const USER_AGENT: &str = concat!("chatwire/", env!("CARGO_PKG_VERSION"));

/// Builds requests carrying the OCS headers and the credentials.
#[derive(Clone, Debug)]
pub(crate) struct Builder {
    /// `None`: the host's session cookie authenticates (a same-origin browser page).
    authorization: Option<Secret>,
}

impl Builder {
    /// A builder authenticating as `user` with `password`.
    pub(super) fn new(user: &str, password: &str) -> Self {
        Builder {
            authorization: (!password.is_empty()).then(|| basic_authorization(user, password)),
        }
    }

    fn headers(&self, form: bool) -> Vec<Header> {
        let mut h = vec![
            Header::new("OCS-APIRequest", "true"),
            Header::new("Accept", "application/json"),
            Header::new("User-Agent", USER_AGENT),
        ];
        if let Some(authorization) = &self.authorization {
            h.push(Header::new("Authorization", authorization.expose()));
        }
        if form {
            h.push(Header::new(
                "Content-Type",
                "application/x-www-form-urlencoded",
            ));
        }
        h
    }

    /// The request `planned`, under exchange id `id`.
    pub(super) fn build(&self, id: RequestId, planned: Planned) -> HttpRequest {
        match planned {
            Planned::Get { path } => HttpRequest {
                id,
                method: "GET".into(),
                path,
                headers: self.headers(false),
                body: None,
            },
            Planned::Post { path, form } => HttpRequest {
                id,
                method: "POST".into(),
                path,
                headers: self.headers(true),
                body: Some(encode_pairs(&form)),
            },
            Planned::Put { path, form } => HttpRequest {
                id,
                method: "PUT".into(),
                path,
                headers: self.headers(true),
                body: Some(encode_pairs(&form)),
            },
            Planned::Delete { path } => HttpRequest {
                id,
                method: "DELETE".into(),
                path,
                headers: self.headers(false),
                body: None,
            },
        }
    }
}

/// A request before it has an id: what a command or a loop wants sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Planned {
    /// `GET path` (the path carries its query).
    Get {
        /// Path and query.
        path: String,
    },
    /// `POST path` with a urlencoded form.
    Post {
        /// Path.
        path: String,
        /// Form fields, in order.
        form: Vec<(&'static str, String)>,
    },
    /// `PUT path` with a urlencoded form (message edits).
    Put {
        /// Path.
        path: String,
        /// Form fields, in order.
        form: Vec<(&'static str, String)>,
    },
    /// `DELETE path` (the path carries its query: proxies may drop a DELETE's body).
    Delete {
        /// Path and query.
        path: String,
    },
}

impl Planned {
    /// `path?query`, or `path` when there is no query.
    pub(super) fn with_query(path: String, query: &[(&str, String)]) -> String {
        if query.is_empty() {
            path
        } else {
            format!("{path}?{}", encode_pairs(query))
        }
    }

    /// `GET path?query`.
    pub(super) fn get_query(path: String, query: &[(&str, String)]) -> Planned {
        Planned::Get {
            path: format!("{path}?{}", encode_pairs(query)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_everything_but_unreserved() {
        assert_eq!(encode_component("a b&c=d/é~"), "a%20b%26c%3Dd%2F%C3%A9~");
    }

    #[test]
    fn basic_auth_is_standard_base64() {
        // RFC 7617's example.
        let s = basic_authorization("Aladdin", "open sesame");
        assert_eq!(s.expose(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert_eq!(format!("{s:?}"), "<redacted>");
    }
}
