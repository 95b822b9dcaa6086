//! Shared simulator state: one lock around every protocol's world, the fault settings, the
//! client-fault log, the shutdown signal, and the deterministic RNG and logical clock.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

use crate::faults::Faults;
use crate::{tada, talk, trueconf, SimConfig};

/// Id of one WebSocket connection (any protocol); unique for the life of the process.
pub(crate) type ConnId = u64;

/// A frame queued for one WebSocket connection; faults are applied when it is written.
#[derive(Debug)]
pub(crate) enum Out {
    /// The answer to a client frame (TrueConf response, tada `server.confirm`/`server.warning`).
    Response(String),
    /// A server-initiated frame. `key` (TrueConf request id / tada `confirm_id`) is reported
    /// back to the protocol each time a copy is written, for ack tracking.
    Event { text: String, key: Option<String> },
    /// Drop the connection now, without a close frame.
    Kill,
    /// Go silent: keep the connection open but read nothing and write nothing more, as a
    /// connection behind a NAT that forgot it does. Only the client's liveness check finds it.
    Silence,
}

/// Everything the simulator shares between connection tasks and HTTP handlers.
pub(crate) struct Sim {
    pub config: SimConfig,
    pub world: Mutex<World>,
    faults: Mutex<ActiveFaults>,
    client_faults: Mutex<Vec<String>>,
    shutdown: watch::Sender<bool>,
    /// Bumped on every Talk change (message or read marker); long-polls wait on it.
    pub talk_changed: watch::Sender<u64>,
    next_conn: AtomicU64,
    /// The address actually bound (set once by `start`).
    pub addr: OnceLock<SocketAddr>,
}

/// Fault settings plus a generation that changes on every inject, so connections restart
/// their frame counters.
#[derive(Clone, Debug, Default)]
pub(crate) struct ActiveFaults {
    pub faults: Faults,
    pub generation: u64,
    /// Every Talk request answers 503 until then (`http_outage_ms`).
    pub outage_until: Option<Instant>,
}

/// The mutable world: ids, clock, connections and the three protocols' state.
pub(crate) struct World {
    pub rng: Rng,
    pub clock: Clock,
    pub outboxes: HashMap<ConnId, mpsc::UnboundedSender<Out>>,
    pub trueconf: trueconf::State,
    pub tada: tada::State,
    pub talk: talk::State,
}

impl World {
    pub fn new(seed: u64, talk_bulk_rooms: usize) -> World {
        World {
            rng: Rng::new(seed),
            clock: Clock::new(),
            outboxes: HashMap::new(),
            trueconf: trueconf::State::default(),
            tada: tada::State::seeded(),
            talk: talk::State::seeded(talk_bulk_rooms),
        }
    }

    /// Queues `out` for connection `conn` (ignored when the connection is gone).
    pub fn send(&self, conn: ConnId, out: Out) {
        if let Some(tx) = self.outboxes.get(&conn) {
            let _ = tx.send(out);
        }
    }

    /// Drops every WebSocket connection now.
    pub fn disconnect_all(&mut self) {
        for tx in self.outboxes.values() {
            let _ = tx.send(Out::Kill);
        }
    }

    /// Silences every WebSocket connection open now (see [`Out::Silence`]); new ones work.
    pub fn silence_all(&mut self) {
        for tx in self.outboxes.values() {
            let _ = tx.send(Out::Silence);
        }
    }
}

impl Sim {
    pub fn new(config: SimConfig) -> Sim {
        let world = World::new(config.seed, config.talk_bulk_rooms);
        let faults = ActiveFaults {
            faults: config.faults.clone(),
            generation: 0,
            outage_until: None,
        };
        Sim {
            config,
            world: Mutex::new(world),
            faults: Mutex::new(faults),
            client_faults: Mutex::new(Vec::new()),
            shutdown: watch::channel(false).0,
            talk_changed: watch::channel(0).0,
            next_conn: AtomicU64::new(1),
            addr: OnceLock::new(),
        }
    }

    /// Locks the world (a poisoned lock is taken over: state stays usable after a panic).
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `host:port` the simulator is reachable at (for absolute URLs it hands out).
    pub fn host(&self) -> String {
        self.addr
            .get()
            .map_or_else(|| self.config.listen.to_string(), ToString::to_string)
    }

    /// A new connection id.
    pub fn next_conn_id(&self) -> ConnId {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// The fault settings in force.
    pub fn faults(&self) -> ActiveFaults {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Changes the fault settings under the lock and starts a new fault generation.
    pub fn update_faults<R>(&self, f: impl FnOnce(&mut Faults) -> R) -> R {
        let mut active = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let r = f(&mut active.faults);
        active.generation += 1;
        r
    }

    /// Starts an outage of `ms` milliseconds from now (0 ends one): every Talk request
    /// answers 503 meanwhile, however often it is tried.
    pub fn start_http_outage(&self, ms: u64) {
        let mut active = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        active.outage_until = (ms > 0).then(|| Instant::now() + Duration::from_millis(ms));
    }

    /// Takes one unit of an HTTP burst fault, if any: `Some((429 or 503, Retry-After))`.
    pub fn take_http_burst(&self) -> Option<(u16, Option<u32>)> {
        let mut active = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let retry_after = active.faults.http_retry_after_secs;
        if active.outage_until.is_some_and(|t| Instant::now() < t) {
            return Some((503, retry_after));
        }
        if active.faults.http_429_burst > 0 {
            active.faults.http_429_burst -= 1;
            return Some((429, retry_after));
        }
        if active.faults.http_503_burst > 0 {
            active.faults.http_503_burst -= 1;
            return Some((503, retry_after));
        }
        None
    }

    /// Logs a client fault (a protocol rule the client broke).
    pub fn log_fault(&self, fault: String) {
        tracing::warn!(%fault, "client fault");
        self.client_faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(fault);
    }

    /// The client faults logged so far.
    pub fn client_faults(&self) -> Vec<String> {
        self.client_faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Back to the seeded state: drops every WebSocket, forgets tokens, chats and messages,
    /// restores the configured faults and clears the fault log.
    pub fn reset(&self) {
        {
            let mut w = self.world();
            w.disconnect_all();
            let outboxes = std::mem::take(&mut w.outboxes);
            *w = World::new(self.config.seed, self.config.talk_bulk_rooms);
            // Keep the (now killed) outboxes so their tasks can still unregister cleanly.
            w.outboxes = outboxes;
        }
        {
            let mut active = self.faults.lock().unwrap_or_else(|e| e.into_inner());
            active.faults = self.config.faults.clone();
            active.outage_until = None;
            active.generation += 1;
        }
        self.client_faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.talk_changed.send_modify(|v| *v += 1);
    }

    /// A receiver that sees `true` once shutdown has begun.
    pub fn subscribe_shutdown(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Starts shutdown: every connection task and long-poll ends.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// The ack/confirm timeout.
    pub fn ack_timeout(&self) -> Duration {
        Duration::from_millis(self.config.ack_timeout_ms)
    }
}

/// Background task: checks ack deadlines (TrueConf) and redelivers unconfirmed tada events.
pub(crate) async fn ticker(sim: std::sync::Arc<Sim>) {
    let period =
        (sim.ack_timeout() / 10).clamp(Duration::from_millis(20), Duration::from_millis(250));
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let now = Instant::now();
        let mut w = sim.world();
        trueconf::check_acks(&sim, &mut w, now);
        trueconf::advance_files(&mut w, now);
        tada::check_confirms(&sim, &mut w, now);
    }
}

/// Deterministic RNG (splitmix64): ids and fault decisions come from the seed only.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5eed_c4a7_0000_0001)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// `n` lowercase hex digits.
    pub fn hex(&mut self, n: usize) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        (0..n)
            .map(|_| HEX[(self.next_u64() % 16) as usize] as char)
            .collect()
    }

    /// A version-4-shaped UUID.
    pub fn uuid(&mut self) -> String {
        let h = self.hex(32);
        format!(
            "{}-{}-4{}-8{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        )
    }

    /// `n` characters of `[0-9A-Za-z]` (tada `confirm_id`s are 12 of them).
    pub fn alnum(&mut self, n: usize) -> String {
        const ALNUM: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        (0..n)
            .map(|_| ALNUM[(self.next_u64() % 62) as usize] as char)
            .collect()
    }
}

/// Logical clock for message timestamps: starts at 2024-01-01T00:00:00Z and advances one
/// second per stamped event, so runs are reproducible (never the wall clock).
#[derive(Clone, Debug)]
pub(crate) struct Clock {
    now_ms: u64,
}

impl Clock {
    /// 2024-01-01T00:00:00Z in Unix milliseconds.
    pub const START_MS: u64 = 1_704_067_200_000;

    pub fn new() -> Clock {
        Clock {
            now_ms: Self::START_MS,
        }
    }

    /// Advances the clock and returns the new time (Unix milliseconds).
    pub fn tick(&mut self) -> u64 {
        self.now_ms += 1000;
        self.now_ms
    }

    /// The current time without advancing (Unix milliseconds).
    pub fn now(&self) -> u64 {
        self.now_ms
    }
}

/// Unix milliseconds as an RFC 3339 UTC string with microseconds (`2024-01-01T00:00:01.000000Z`).
pub(crate) fn iso8601(ms: u64) -> String {
    let secs = ms / 1000;
    let micros = (ms % 1000) * 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}.{micros:06}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_known_dates() {
        assert_eq!(iso8601(Clock::START_MS), "2024-01-01T00:00:00.000000Z");
        assert_eq!(iso8601(1_569_546_093_661), "2019-09-27T01:01:33.661000Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn rng_is_deterministic() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        assert_eq!(a.uuid(), b.uuid());
        assert_eq!(a.alnum(12).len(), 12);
        assert_ne!(Rng::new(1).hex(40), Rng::new(2).hex(40));
    }
}
