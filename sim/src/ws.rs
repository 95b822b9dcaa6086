//! The WebSocket connection loop shared by TrueConf and tada: one task owns the socket, reads
//! client frames, writes queued server frames through the fault pipe.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use futures::SinkExt as _;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::faults::{FaultPipe, Write};
use crate::state::{ConnId, Out, Sim};

/// The protocol side of a connection. All state lives in the world; these are callbacks.
pub(crate) trait Handler: Send + 'static {
    /// A text frame from the client.
    fn on_text(&mut self, sim: &Sim, conn: ConnId, text: &str);
    /// A copy of an event with ack key `key` was written to the socket.
    fn on_sent(&mut self, sim: &Sim, conn: ConnId, key: &str);
    /// The connection ended (any reason).
    fn on_close(&mut self, sim: &Sim, conn: ConnId);
}

/// Registers an outbox for a new connection and returns its id and receiver.
pub(crate) fn register(sim: &Sim) -> (ConnId, mpsc::UnboundedReceiver<Out>) {
    let id = sim.next_conn_id();
    let (tx, rx) = mpsc::unbounded_channel();
    sim.world().outboxes.insert(id, tx);
    (id, rx)
}

/// Runs one connection until the client goes away, a fault drops it, or shutdown.
pub(crate) async fn serve(
    sim: Arc<Sim>,
    mut socket: WebSocket,
    conn: ConnId,
    mut rx: mpsc::UnboundedReceiver<Out>,
    mut handler: impl Handler,
) {
    let mut pipe = FaultPipe::new(sim.config.seed, conn);
    let mut shutdown = sim.subscribe_shutdown();
    let far = Duration::from_secs(86_400);
    'conn: loop {
        if *shutdown.borrow_and_update() {
            let _ = socket.send(Message::Close(None)).await;
            break;
        }
        let flush_at = pipe.held_deadline().map(Instant::from_std);
        tokio::select! {
            _ = shutdown.changed() => {}
            msg = socket.recv() => match msg {
                Some(Ok(Message::Text(t))) => handler.on_text(&sim, conn, t.as_str()),
                Some(Ok(Message::Binary(b))) => match std::str::from_utf8(&b) {
                    Ok(t) => handler.on_text(&sim, conn, t),
                    Err(_) => sim.log_fault(format!("conn {conn}: binary frame that is not UTF-8")),
                },
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_))) => {
                    // Complete the close handshake: tungstenite has queued the echo of the
                    // client's Close (1000 for a normal close); flushing writes it, so clients
                    // see a clean close instead of an abnormal 1006.
                    let _ = tokio::time::timeout(Duration::from_secs(1), socket.flush()).await;
                    break;
                }
                Some(Err(_)) | None => break,
            },
            out = rx.recv() => {
                let out = match out {
                    None | Some(Out::Kill) => break,
                    Some(Out::Silence) => {
                        silent(&mut socket, &mut rx, &mut shutdown).await;
                        break;
                    }
                    Some(out) => out,
                };
                let active = sim.faults();
                pipe.sync_generation(active.generation);
                for w in pipe.plan(out, &active.faults) {
                    if !write(&sim, &mut socket, &mut pipe, &mut handler, conn, w).await {
                        break 'conn;
                    }
                }
            }
            _ = tokio::time::sleep_until(flush_at.unwrap_or_else(|| Instant::now() + far)), if flush_at.is_some() => {
                if let Some(w) = pipe.flush() {
                    if !write(&sim, &mut socket, &mut pipe, &mut handler, conn, w).await {
                        break 'conn;
                    }
                }
            }
        }
    }
    unregister(&sim, conn, &mut handler);
    tracing::debug!(conn, "connection closed");
}

/// Forgets a connection: its outbox, and what the protocol's handler holds for it. For one
/// registered before its handshake that then failed, as for one that ran and ended.
pub(crate) fn unregister(sim: &Sim, conn: ConnId, handler: &mut impl Handler) {
    sim.world().outboxes.remove(&conn);
    handler.on_close(sim, conn);
}

/// Holds a silenced connection open, writing nothing and ignoring what comes in (it is still
/// read, so the client's close is seen), until the client goes, a kill, or the simulator ends.
async fn silent(
    socket: &mut WebSocket,
    rx: &mut mpsc::UnboundedReceiver<Out>,
    shutdown: &mut watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            msg = socket.recv() => match msg {
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
            out = rx.recv() => {
                if matches!(out, None | Some(Out::Kill)) {
                    return;
                }
            }
        }
    }
}

/// Writes one frame with the write-level faults; `false` when the connection must end.
async fn write(
    sim: &Sim,
    socket: &mut WebSocket,
    pipe: &mut FaultPipe,
    handler: &mut impl Handler,
    conn: ConnId,
    w: Write,
) -> bool {
    let active = sim.faults();
    pipe.sync_generation(active.generation);
    let faults = active.faults;
    if faults.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.delay_ms)).await;
    }
    let plan = pipe.before_write(&faults);
    if let Some(junk) = plan.junk {
        if socket.send(Message::Text(junk.into())).await.is_err() {
            return false;
        }
    }
    if socket.send(Message::Text(w.text.into())).await.is_err() {
        return false;
    }
    if let Some(key) = w.key {
        handler.on_sent(sim, conn, &key);
    }
    if plan.drop_after {
        tracing::debug!(conn, "drop_after_frames: dropping connection");
        return false;
    }
    true
}
