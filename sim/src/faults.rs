//! Fault injection: what can go wrong between the simulator and a client.
//!
//! WebSocket faults apply to the frames the server writes on both WebSocket protocols
//! (TrueConf and tada), per connection, deterministically from the seed:
//!
//! - `drop_after_frames: N` — after N frames written (counted from connection start, or from
//!   the latest `POST /admin/inject` for connections already open) the socket is dropped
//!   without a close frame. Junk frames from `malformed_every` are not counted.
//! - `delay_ms` — every frame waits this long before it is written.
//! - `duplicate` — every server *event* (TrueConf server request, tada server event other than
//!   `server.confirm`/`server.warning`) is written twice. Responses are never duplicated.
//!   Each copy may be acked/confirmed once without being a client fault.
//! - `reorder` — adjacent server events are swapped: an event is held until the next one is
//!   written, then written after it (a held event is flushed alone after 100 ms).
//! - `malformed_every: N` — before every Nth frame a broken JSON text is written; the real frame
//!   still follows.
//!
//! HTTP faults apply to Talk requests: `http_429_burst: N` / `http_503_burst: N` make the next N
//! Talk requests answer 429 / 503 (429s are used up first); `http_outage_ms: N` (an
//! `Inject` field) makes every Talk request answer 503 for the next N ms, however often it is
//! tried. With `http_retry_after_secs: S` those answers carry `Retry-After: S`, as a server in
//! maintenance or a rate limiter may.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::state::{Out, Rng};

/// Faults to inject. `Faults::default()` injects nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Drop each WebSocket after this many server frames (without a close frame).
    pub drop_after_frames: Option<u32>,
    /// Delay every server WebSocket frame by this many milliseconds.
    pub delay_ms: u64,
    /// Write every server event twice.
    pub duplicate: bool,
    /// Swap adjacent server events.
    pub reorder: bool,
    /// Write a broken JSON text before every Nth server frame.
    pub malformed_every: Option<u32>,
    /// The next N Talk requests answer 429 Too Many Requests.
    pub http_429_burst: u32,
    /// The next N Talk requests answer 503 Service Unavailable.
    pub http_503_burst: u32,
    /// `Retry-After` (seconds) on the burst answers; none when unset.
    pub http_retry_after_secs: Option<u32>,
}

/// How long a reordered event waits for a successor before it is written alone.
const REORDER_HOLD: Duration = Duration::from_millis(100);

/// Broken frames written by `malformed_every` (one is picked from the seed each time).
const BROKEN: [&str; 5] = [
    r#"{"type":2,"id":"#,
    r#"{"event":"server.message.updated","params":{"messages":[{"#,
    "not json at all",
    r#"{"type":1,"id":1,"method":"sendMessage","payload":}"#,
    "]",
];

/// One frame to write, with the ack key to report once written.
#[derive(Debug)]
pub(crate) struct Write {
    pub text: String,
    pub key: Option<String>,
}

/// What to do right before and after writing a frame.
#[derive(Debug, Default)]
pub(crate) struct WritePlan {
    /// A junk frame to write first.
    pub junk: Option<String>,
    /// Drop the connection right after writing the frame.
    pub drop_after: bool,
}

/// Per-connection fault state: frame counters, the held (reordered) event, its RNG.
pub(crate) struct FaultPipe {
    rng: Rng,
    generation: u64,
    written: u64,
    held: Option<(Write, Instant)>,
}

impl FaultPipe {
    pub fn new(seed: u64, conn: u64) -> FaultPipe {
        FaultPipe {
            rng: Rng::new(seed ^ conn.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            generation: 0,
            written: 0,
            held: None,
        }
    }

    /// Restarts the frame counters when the fault settings changed.
    pub fn sync_generation(&mut self, generation: u64) {
        if generation != self.generation {
            self.generation = generation;
            self.written = 0;
        }
    }

    /// The frames to write now for one queued frame (possibly none: a held event).
    pub fn plan(&mut self, out: Out, faults: &Faults) -> Vec<Write> {
        match out {
            Out::Kill | Out::Silence => Vec::new(),
            Out::Response(text) => {
                // Responses are never duplicated or held, but a held event must not wait
                // forever behind them if reorder was switched off.
                let mut v = Vec::new();
                if !faults.reorder {
                    v.extend(self.flush());
                }
                v.push(Write { text, key: None });
                v
            }
            Out::Event { text, key } => {
                let copies = if faults.duplicate { 2 } else { 1 };
                let mut v = Vec::new();
                let mk = |text: &String, key: &Option<String>| Write {
                    text: text.clone(),
                    key: key.clone(),
                };
                if faults.reorder {
                    match self.held.take() {
                        None => {
                            // Hold the first copy; further copies go out now.
                            for _ in 1..copies {
                                v.push(mk(&text, &key));
                            }
                            self.held = Some((Write { text, key }, Instant::now()));
                        }
                        Some((held, _)) => {
                            for _ in 0..copies {
                                v.push(mk(&text, &key));
                            }
                            v.push(held);
                        }
                    }
                } else {
                    v.extend(self.flush());
                    for _ in 0..copies {
                        v.push(mk(&text, &key));
                    }
                }
                v
            }
        }
    }

    /// The held event, if any.
    pub fn flush(&mut self) -> Option<Write> {
        self.held.take().map(|(w, _)| w)
    }

    /// When the held event must be flushed.
    pub fn held_deadline(&self) -> Option<Instant> {
        self.held.as_ref().map(|(_, at)| *at + REORDER_HOLD)
    }

    /// Counts one frame about to be written and says what else to do around it.
    pub fn before_write(&mut self, faults: &Faults) -> WritePlan {
        self.written += 1;
        let mut plan = WritePlan::default();
        if let Some(n) = faults.malformed_every.filter(|n| *n > 0) {
            if self.written % u64::from(n) == 0 {
                let pick = (self.rng.next_u64() % BROKEN.len() as u64) as usize;
                plan.junk = Some(BROKEN[pick].to_string());
            }
        }
        if let Some(n) = faults.drop_after_frames.filter(|n| *n > 0) {
            plan.drop_after = self.written >= u64::from(n);
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t: &str) -> Out {
        Out::Event {
            text: t.into(),
            key: None,
        }
    }

    fn texts(v: Vec<Write>) -> Vec<String> {
        v.into_iter().map(|w| w.text).collect()
    }

    #[test]
    fn reorder_swaps_adjacent_events() {
        let mut p = FaultPipe::new(1, 1);
        let f = Faults {
            reorder: true,
            ..Faults::default()
        };
        assert!(p.plan(ev("a"), &f).is_empty());
        assert_eq!(texts(p.plan(ev("b"), &f)), ["b", "a"]);
        assert!(p.plan(ev("c"), &f).is_empty());
        assert_eq!(texts(p.plan(Out::Response("r".into()), &f)), ["r"]);
        assert_eq!(p.flush().map(|w| w.text).as_deref(), Some("c"));
    }

    #[test]
    fn duplicate_doubles_events_only() {
        let mut p = FaultPipe::new(1, 1);
        let f = Faults {
            duplicate: true,
            ..Faults::default()
        };
        assert_eq!(texts(p.plan(ev("a"), &f)), ["a", "a"]);
        assert_eq!(texts(p.plan(Out::Response("r".into()), &f)), ["r"]);
    }

    #[test]
    fn malformed_and_drop_count_frames() {
        let mut p = FaultPipe::new(1, 1);
        let f = Faults {
            malformed_every: Some(2),
            drop_after_frames: Some(3),
            ..Faults::default()
        };
        let a = p.before_write(&f);
        assert!(a.junk.is_none() && !a.drop_after);
        let b = p.before_write(&f);
        assert!(b.junk.is_some() && !b.drop_after);
        assert!(p.before_write(&f).drop_after);
        p.sync_generation(5);
        assert!(!p.before_write(&f).drop_after);
    }
}
