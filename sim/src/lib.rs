//! `chatwire-sim`: a protocol-faithful chat **server** simulator.
//!
//! One process, one loopback listener, one axum router speaking three protocols with real
//! state, so that chatwire's integration tests, its demo and every binding's tests (WebAssembly,
//! Python, Kotlin) talk to something that behaves like the real servers:
//!
//! | protocol | entry points |
//! |---|---|
//! | TrueConf Chatbot API ([`trueconf`]) | `POST /bridge/api/client/v1/oauth/token`, WebSocket `/websocket/chat_bot/` (subprotocol `json.v1`) |
//! | tada.team ([`tada`]) | WebSocket `/messaging/{team}` with header `token`, or cookie `token` (browsers); REST history `GET /api/v4/teams/{team}/messages/{jid}` (also `/api/v4/teams/{team}/chats/{jid}/messages`) |
//! | Nextcloud Talk ([`talk`]) | rooms `/ocs/v2.php/apps/spreed/api/v4/room[/{token}]`; chat `/ocs/v2.php/apps/spreed/api/v1/chat/{token}` (+ `/read`, `/mentions`, `/{messageId}` PUT edit / DELETE); reactions `/ocs/v2.php/apps/spreed/api/v1/reaction/{token}/{messageId}`; `/ocs/v2.php/cloud/capabilities`; browser session `POST /login`, `GET /logout` (cookie `nc_session_id`) |
//! | static files | `GET /{path}` from [`SimConfig::static_dir`] (`chatwire sim --static DIR`), for a web page served same-origin |
//! | admin ([`admin`]) | `GET /admin/faults`, `POST /admin/inject`, `POST /admin/reset`, `GET /admin/users` |
//!
//! Everything is deterministic from [`SimConfig::seed`]: chat and message ids, `confirm_id`s,
//! tada `gentime`s and message timestamps (a logical clock, never the wall clock) come out the
//! same for the same sequence of requests. Faults ([`Faults`]) are applied to the server's
//! WebSocket frames of both WebSocket protocols and to Talk HTTP answers (bursts of 429/503).
//!
//! The seeded accounts are listed by [`users()`]; the seeded tada chats and Talk rooms are the
//! constants in this crate root ([`TADA_TEAM`], [`TADA_GROUP_JID`], [`TALK_ROOM_ALL`], ...).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sim = chatwire_sim::start(chatwire_sim::SimConfig::default()).await?;
//! println!("simulator on http://{}", sim.addr());
//! // ... point clients at sim.addr() ...
//! assert!(sim.client_faults().is_empty());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]
// The Talk room object is one large `json!` literal.
#![recursion_limit = "256"]

pub mod admin;
pub mod faults;
mod multipart;
mod seed;
mod state;
mod statics;
pub mod tada;
pub mod talk;
pub mod trueconf;
mod ws;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

pub use faults::Faults;
pub use seed::{
    users, SimUser, TADA_GROUP_JID, TADA_TEAM, TALK_ROOM_AB, TALK_ROOM_ALL, TALK_ROOM_LOBBY,
    TALK_ROOM_RO, TRUECONF_DOMAIN,
};

/// Which protocols the simulator serves. A disabled protocol's routes answer 404.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Protocols {
    /// TrueConf Chatbot API (OAuth token endpoint + `/websocket/chat_bot/`).
    pub trueconf: bool,
    /// tada.team WebSocket (`/messaging/{team}`).
    pub tada: bool,
    /// Nextcloud Talk chat REST API (`/ocs/v2.php/...`).
    pub talk: bool,
}

impl Protocols {
    /// All three protocols on.
    pub const ALL: Protocols = Protocols {
        trueconf: true,
        tada: true,
        talk: true,
    };
}

impl Default for Protocols {
    fn default() -> Self {
        Self::ALL
    }
}

/// Which Nextcloud Talk release the simulator plays (`chatwire sim --talk-version 18|19`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TalkVersion {
    /// Talk 18 on Nextcloud 28: no `edit-messages` capability; `PUT /chat/{token}/{id}` answers 405.
    V18,
    /// Talk 19 on Nextcloud 29 (default): messages can be edited.
    #[default]
    V19,
}

/// How the simulator answers cross-origin browser requests (`chatwire sim --cors strict|permissive`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CorsMode {
    /// Default: every route answers preflights and allows any origin, exposing `X-Chat-*`.
    #[default]
    Permissive,
    /// As Nextcloud: `/ocs/...` and `/login` give a foreign origin no `Access-Control-*` headers
    /// and refuse its preflights (405), so only a same-origin page can read Talk answers.
    Strict,
}

/// How to run the simulator. `SimConfig::default()` is what tests and the demo normally use.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Address to bind; must be a loopback address (127.0.0.0/8 or ::1). Default `127.0.0.1:0`
    /// (an ephemeral port: read the real one from [`SimHandle::addr`]).
    pub listen: SocketAddr,
    /// Which protocols to serve (default: all three).
    pub protocols: Protocols,
    /// Seed of every id, `confirm_id` and fault decision the simulator makes (default 1).
    pub seed: u64,
    /// Faults active from the start; change them at run time with `POST /admin/inject`.
    pub faults: Faults,
    /// Cap, in seconds, on a Talk long-poll's `timeout` (default 30, as real Talk; tests set
    /// it to 1 or 2 so a 304 comes quickly).
    pub talk_poll_timeout_cap_secs: u64,
    /// How long a client has to ack a TrueConf server request or `client.confirm` a tada event
    /// before it is logged as a client fault (and, for tada, redelivered). Default 5000 ms.
    pub ack_timeout_ms: u64,
    /// Nextcloud Talk release to play (default [`TalkVersion::V19`]).
    pub talk_version: TalkVersion,
    /// Cross-origin policy (default [`CorsMode::Permissive`]).
    pub cors: CorsMode,
    /// Extra Talk group rooms `bulk-1` ... `bulk-N` ("Bulk room N", alice owner, bob and carol
    /// members), seeded after the standard rooms, for clients that join thousands (default 0).
    pub talk_bulk_rooms: usize,
    /// Directory whose files are served at `/` for paths no protocol claims (`index.html` for
    /// a directory); `None` (default) serves nothing.
    pub static_dir: Option<std::path::PathBuf>,
    /// How long a file posted with TrueConf `sendFile` stays in `readyState` 1 (uploading:
    /// the server still storing it) before it becomes 2 (ready), in wall-clock milliseconds.
    /// Meanwhile `getFileInfo` has no `downloadUrl`, and subscribers of `subscribeFileProgress`
    /// get `uploadFileProgress` at half and at the full size. Default 0: ready at once.
    pub trueconf_file_ready_ms: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            protocols: Protocols::ALL,
            seed: 1,
            faults: Faults::default(),
            talk_poll_timeout_cap_secs: 30,
            ack_timeout_ms: 5000,
            talk_version: TalkVersion::V19,
            cors: CorsMode::Permissive,
            talk_bulk_rooms: 0,
            static_dir: None,
            trueconf_file_ready_ms: 0,
        }
    }
}

/// A running simulator. Dropping it stops the server too, but [`SimHandle::shutdown`] is the
/// orderly way (closes WebSockets, ends long-polls, waits for the listener to stop).
pub struct SimHandle {
    addr: SocketAddr,
    sim: Arc<state::Sim>,
    server: Option<tokio::task::JoinHandle<()>>,
    ticker: tokio::task::JoinHandle<()>,
}

impl SimHandle {
    /// The address the simulator listens on (all protocols and the admin endpoints).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Client faults logged so far (missing, late or duplicate acks/confirms, acks for unknown
    /// ids, malformed client frames), oldest first. Same list as `GET /admin/faults`.
    pub fn client_faults(&self) -> Vec<String> {
        self.sim.client_faults()
    }

    /// Stops the simulator: closes every WebSocket, answers pending long-polls, stops the
    /// listener and waits (at most 5 s) for the server task to finish.
    pub async fn shutdown(mut self) {
        self.sim.begin_shutdown();
        if let Some(server) = self.server.take() {
            let abort = server.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), server)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        self.ticker.abort();
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.sim.begin_shutdown();
        if let Some(server) = self.server.take() {
            server.abort();
        }
        self.ticker.abort();
    }
}

/// Starts the simulator on `config.listen` and returns once it accepts connections. Call it
/// inside a Tokio runtime (the server, its connections and its ack timer are Tokio tasks).
///
/// Fails with [`std::io::ErrorKind::InvalidInput`] for a non-loopback address: the simulator
/// never listens beyond this machine.
pub async fn start(config: SimConfig) -> std::io::Result<SimHandle> {
    if !config.listen.ip().is_loopback() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "chatwire-sim only binds loopback addresses (127.0.0.0/8 or ::1); refusing to bind {}",
                config.listen
            ),
        ));
    }
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let sim = Arc::new(state::Sim::new(config));
    let _ = sim.addr.set(addr);
    let router = router(sim.clone());
    let mut shutdown = sim.subscribe_shutdown();
    let server = tokio::spawn(async move {
        let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
            while !*shutdown.borrow_and_update() {
                if shutdown.changed().await.is_err() {
                    break;
                }
            }
        });
        if let Err(err) = serve.await {
            tracing::warn!(%err, "chatwire-sim server stopped with an error");
        }
    });
    let ticker = tokio::spawn(state::ticker(sim.clone()));
    tracing::info!(%addr, "chatwire-sim listening");
    Ok(SimHandle {
        addr,
        sim,
        server: Some(server),
        ticker,
    })
}

fn router(sim: Arc<state::Sim>) -> axum::Router {
    let protocols = sim.config.protocols;
    let mut router = admin::routes();
    if protocols.trueconf {
        router = router.merge(trueconf::routes());
    }
    if protocols.tada {
        router = router.merge(tada::routes());
    }
    if protocols.talk {
        router = router.merge(talk::routes());
    }
    if sim.config.static_dir.is_some() {
        router = router.fallback(statics::serve);
    }
    router
        .layer(axum::middleware::from_fn_with_state(
            sim.clone(),
            talk::cors,
        ))
        .with_state(sim)
}
