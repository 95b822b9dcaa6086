//! Catching up after a reconnect: what was sent while the socket was down is fetched over
//! tada's REST history, as the real clients do (tdclient `GetMessages`).
//!
//! The WebSocket only carries what happens while it is open. After every reconnect (and after
//! a restore), each known chat is asked for the messages whose `gentime` is newer than the
//! newest one this session delivered; the answers go through the same path as live messages,
//! so what the socket also delivered is recognised and reaches the app once.

use crate::boxed_map::{BoxedMap, BoxedSet};
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

/// Live messages held per chat, at most: past it, what arrives is delivered at once (in time,
/// possibly before the gap) rather than kept without bound while a fetch is slow.
const HOLD_MAX: usize = 10_000;

/// What an answer means for the session.
pub(crate) enum Answer {
    /// Messages of a chat, oldest first (raw, as `server.message.updated` carries them), then
    /// the live messages held while its gap was fetched (`released`: empty while more pages
    /// are coming).
    Messages {
        messages: Vec<Value>,
        released: Vec<String>,
    },
    /// Nothing to do (an answer to nobody, or a retry was sent).
    Nothing,
    /// The gap could not be fetched: the app must hear that messages may be missing; the live
    /// messages held meanwhile are `released`.
    Failed {
        jid: String,
        reason: String,
        released: Vec<String>,
    },
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
    /// Chats with a fetch in flight: their live messages wait in `held` until the gap is
    /// delivered, or a sender's messages would reach the app newest first.
    busy: BoxedSet<String>,
    /// Live messages (their text) of busy chats, in arrival order.
    held: BoxedMap<String, Vec<String>>,
    /// The newest message `gentime` delivered: what the server has beyond it is the gap.
    cursor: Option<i64>,
}

impl CatchUp {
    pub(crate) fn new(cursor: Option<i64>) -> Self {
        CatchUp {
            // Far from the event ids (which start at 1), so logs never confuse the two.
            ids: IdCounter::starting_at(1 << 30),
            inflight: BoxedMap::new(),
            busy: BoxedSet::new(),
            held: BoxedMap::new(),
            cursor,
        }
    }

    /// Where a restored session must fetch from: the cursor, or where an unfinished fetch
    /// started (live messages move the cursor past a gap not yet delivered).
    pub(crate) fn resume_cursor(&self) -> Option<i64> {
        let started = self.inflight.values().map(|f| f.from);
        self.cursor.into_iter().chain(started).min()
    }

    /// Keeps live message `text` of chat `jid` for later when its gap is still being fetched;
    /// `false`: deliver it now.
    pub(crate) fn hold(&mut self, jid: &str, text: &str) -> bool {
        if !self.busy.contains(jid) {
            return false;
        }
        let held = self.held.get_or_insert_with(jid.to_string(), Vec::new);
        if held.len() >= HOLD_MAX {
            return false;
        }
        held.push(text.to_string());
        true
    }

    /// A first cursor when no message was delivered yet: the version of a chat as the server
    /// sent it (every later message has a newer `gentime`). Without one, the first outage of
    /// a session that had not received anything yet would never be fetched.
    pub(crate) fn seed(&mut self, gentime: i64) {
        if self.cursor.is_none() && gentime >= 0 {
            self.cursor = Some(gentime);
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
        // A previous connection's fetches are answered to nobody: the new ones cover the gap
        // (from where the old ones started, so a gap they left unfinished is asked again).
        let from = self.resume_cursor();
        self.inflight.clear();
        self.busy.clear();
        let Some(from) = from else {
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

    /// Live messages held for chats no fetch covers any more (after `start`), to deliver now.
    pub(crate) fn release_idle(&mut self) -> Vec<String> {
        let idle: Vec<String> = self
            .held
            .keys()
            .filter(|jid| !self.busy.contains(*jid))
            .cloned()
            .collect();
        idle.into_iter()
            .flat_map(|jid| self.held.remove(&jid).unwrap_or_default())
            .collect()
    }

    /// The chat `jid` is caught up (or given up on): its held messages, to deliver now.
    fn release(&mut self, jid: &str) -> Vec<String> {
        self.busy.remove(jid);
        self.held.remove(jid).unwrap_or_default()
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
        self.busy.insert(fetch.jid.clone());
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
                    ..fetch.clone()
                };
                if let Some(request) = self.fetch(team, again, auth) {
                    next.push(request);
                    return Answer::Nothing;
                }
            }
            return Answer::Failed {
                released: self.release(&fetch.jid),
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
                if let Some(request) = self.fetch(team, page, auth) {
                    next.push(request);
                    return Answer::Messages {
                        messages,
                        released: Vec::new(),
                    };
                }
            }
        }
        Answer::Messages {
            messages,
            released: self.release(&fetch.jid),
        }
    }
}
