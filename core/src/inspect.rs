//! One-frame inspection for captures and tools (`chatwire decode`).

use serde::{Deserialize, Serialize};

/// Which way a frame travelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Server to client.
    In,
    /// Client to server.
    Out,
}

/// What a frame is, at the protocol's framing level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameKind {
    /// A request that expects a response (TrueConf `type:1` from the client, a tada client event).
    Request,
    /// A response to a request (TrueConf `type:2`, tada `server.confirm` / `client.confirm`).
    Response,
    /// A server-initiated message (TrueConf `type:1` from the server, a tada server event).
    Notification,
}

/// The result of decoding one frame in isolation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    /// Framing kind.
    pub kind: FrameKind,
    /// Method or event name (`sendMessage`, `server.message.updated`); for responses, the name of
    /// the answered request when it can be told, else `response`.
    pub name: String,
    /// The frame this client would send back at once (TrueConf ack, tada `client.confirm`).
    pub ack: Option<String>,
}
