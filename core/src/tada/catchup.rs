//! Catching up after a reconnect: what was sent while the socket was down is fetched over
//! tada's REST history, as the real clients do (tdclient `GetMessages`).
//!
//! The WebSocket only carries what happens while it is open. After every reconnect (and after
//! a restore), each known chat is asked for the messages whose `gentime` is newer than the
//! newest one this session delivered; the answers go through the same path as live messages,
//! so what the socket also delivered is recognised and reaches the app once.

use crate::boxed_map::BoxedMap;
use crate::ids::{IdCounter, RequestId};
use crate::transmit::{Header, HttpRequest};
use serde::Deserialize;
use serde_json::Value;

/// Largest page the server returns; a full page means there may be more.
pub(crate) const PAGE: usize = 200;

/// How many times one chat's fetch is tried before the gap is reported.
const ATTEMPTS: u32 = 3;

/// One history fetch in flight.
#[derive(Clone, Debug)]
struct Fetch {
    jid: String,
    from: i64,
    attempt: u32,
}

/// What an answer means for the session.
pub(crate) enum Answer {
    /// Messages of `jid`, oldest first (raw, as `server.message.updated` carries them).
    Messages { messages: Vec<Value> },
    /// Nothing to do (an answer to nobody, or a retry was sent).
    Nothing,
    /// The gap could not be fetched: the app must hear that messages may be missing.
    Failed { jid: String, reason: String },
}

/// The body of a history answer.
#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    result: Option<BodyResult>,
}

#[derive(Deserialize)]
struct BodyResult {
    #[serde(default)]
    messages: Vec<Value>,
}

/// The fetches in flight and the cursor they start from.
#[derive(Debug)]
pub(crate) struct CatchUp {
    ids: IdCounter,
    inflight: BoxedMap<u32, Fetch>,
    /// The newest message `gentime` delivered: what the server has beyond it is the gap.
    pub(crate) cursor: Option<i64>,
}

impl CatchUp {
    pub(crate) fn new(cursor: Option<i64>) -> Self {
        CatchUp {
            // Far from the event ids (which start at 1), so logs never confuse the two.
            ids: IdCounter::starting_at(1 << 30),
            inflight: BoxedMap::new(),
            cursor,
        }
    }

    /// Moves the cursor forward to `gentime`; a value that cannot be a version is ignored.
    pub(crate) fn saw(&mut self, gentime: i64) {
        if gentime >= 0 && self.cursor.is_none_or(|c| gentime > c) {
            self.cursor = Some(gentime);
        }
    }

    /// The requests that fetch the gap of every chat in `jids` (none before anything was seen).
    pub(crate) fn start(
        &mut self,
        team: &str,
        jids: impl IntoIterator<Item = String>,
        auth: &[Header],
    ) -> Vec<HttpRequest> {
        // A previous connection's fetches are answered to nobody: the new ones cover the gap.
        self.inflight.clear();
        let Some(from) = self.cursor else {
            return Vec::new();
        };
        jids.into_iter()
            .filter_map(|jid| {
                self.fetch(
                    team,
                    Fetch {
                        jid,
                        from,
                        attempt: 1,
                    },
                    auth,
                )
            })
            .collect()
    }

    fn fetch(&mut self, team: &str, fetch: Fetch, auth: &[Header]) -> Option<HttpRequest> {
        let inflight = &self.inflight;
        let id = self.ids.next(|id| inflight.contains_key(&id))?;
        let path = format!(
            "/api/v4/teams/{}/messages/{}?gentime_from={}&include_deleted=true&limit={PAGE}",
            super::session::path_segment(team),
            super::session::path_segment(&fetch.jid),
            fetch.from,
        );
        self.inflight.insert(id.0, fetch);
        let mut headers = vec![Header::new("Accept", "application/json")];
        headers.extend_from_slice(auth);
        Some(HttpRequest {
            id,
            method: "GET".into(),
            path,
            headers,
            body: None,
        })
    }

    /// Whether `id` is one of ours.
    pub(crate) fn owns(&self, id: RequestId) -> bool {
        self.inflight.contains_key(&id.0)
    }

    /// Handles the answer to fetch `id`; `next` receives a follow-up request (the next page,
    /// or a retry).
    pub(crate) fn on_answer(
        &mut self,
        team: &str,
        id: RequestId,
        status: u16,
        body: &str,
        auth: &[Header],
        next: &mut Vec<HttpRequest>,
    ) -> Answer {
        let Some(fetch) = self.inflight.remove(&id.0) else {
            return Answer::Nothing;
        };
        let parsed = (status == 200)
            .then(|| serde_json::from_str::<Body>(body).ok())
            .flatten()
            .and_then(|b| b.result);
        let Some(result) = parsed else {
            let retry = matches!(status, 0 | 429 | 500..=599) && fetch.attempt < ATTEMPTS;
            if retry {
                let again = Fetch {
                    attempt: fetch.attempt + 1,
                    ..fetch
                };
                next.extend(self.fetch(team, again, auth));
                return Answer::Nothing;
            }
            return Answer::Failed {
                jid: fetch.jid,
                reason: format!(
                    "HTTP {status} after {} attempt(s): messages sent while disconnected may be missing",
                    fetch.attempt
                ),
            };
        };
        let mut messages = result.messages;
        let gentime = |m: &Value| m.get("gentime").and_then(Value::as_i64).unwrap_or(i64::MIN);
        crate::order::sort_by_i64_key(&mut messages, gentime);
        if messages.len() >= PAGE {
            if let Some(last) = messages.last().map(gentime).filter(|g| *g > fetch.from) {
                let page = Fetch {
                    jid: fetch.jid.clone(),
                    from: last,
                    attempt: 1,
                };
                next.extend(self.fetch(team, page, auth));
            }
        }
        Answer::Messages { messages }
    }
}
