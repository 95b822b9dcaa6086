//! Admin endpoints for tests, on the same listener as the protocols.
//!
//! | route | what |
//! |---|---|
//! | `GET /admin/faults` | JSON array of the client faults logged so far (strings) |
//! | `POST /admin/inject` | JSON [`Inject`]: changes the given fault fields (the others stay), optionally drops every WebSocket, expires every TrueConf token or changes the TrueConf file upload limits; answers the faults now in force |
//! | `POST /admin/reset` | back to the seeded state: drops every WebSocket, forgets tokens, chats and messages, restores the configured faults, clears the fault log |
//! | `GET /admin/users` | the seeded accounts ([`crate::users`]) as JSON |

use std::sync::Arc;

use axum::extract::State as AxState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::json;

use crate::state::Sim;
use crate::Faults;

/// Body of `POST /admin/inject`. Every field is optional; absent fields keep their value.
/// For `drop_after_frames` and `malformed_every`, `null` or `0` switches the fault off.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Inject {
    /// See [`Faults::drop_after_frames`].
    #[serde(
        deserialize_with = "some_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub drop_after_frames: Option<Option<u32>>,
    /// See [`Faults::delay_ms`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// See [`Faults::duplicate`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<bool>,
    /// See [`Faults::reorder`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reorder: Option<bool>,
    /// See [`Faults::malformed_every`].
    #[serde(
        deserialize_with = "some_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub malformed_every: Option<Option<u32>>,
    /// See [`Faults::http_429_burst`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_429_burst: Option<u32>,
    /// See [`Faults::http_503_burst`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_503_burst: Option<u32>,
    /// See [`Faults::http_retry_after_secs`] (`null` turns it off).
    #[serde(
        deserialize_with = "some_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub http_retry_after_secs: Option<Option<u32>>,
    /// An outage of this many milliseconds from now (`0` ends one): every Talk request
    /// answers 503 until it is over, as a server in maintenance or restarting does. Unlike a
    /// burst, it does not end sooner for a client that tries more often.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_outage_ms: Option<u64>,
    /// Drop every open WebSocket (both protocols) now, without a close frame.
    pub disconnect_all: bool,
    /// Silence every open WebSocket now: kept open, nothing read or written any more (a dead
    /// NAT mapping). New connections work.
    pub silence_all: bool,
    /// Expire every TrueConf token issued so far: `auth` with one, and any request on a
    /// connection authorized with one, answers `errorCode` 203.
    pub expire_tokens: bool,
    /// New TrueConf file upload limits (`{"maxSize":N|null,"extensions":{"mode":"allow"|"block","list":[..]}|null}`):
    /// `uploadFile` checks them from now on, and every authorized TrueConf connection gets a
    /// `getFileUploadLimits` server request carrying them, as a real server does when an
    /// administrator changes them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_upload_limits: Option<crate::trueconf::UploadLimits>,
}

/// A present field (even `null`) becomes `Some(..)`; an absent one stays `None` by `default`.
fn some_option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<u32>>, D::Error> {
    Ok(Some(Option::<u32>::deserialize(d)?.filter(|n| *n > 0)))
}

/// The admin routes.
pub(crate) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/admin/faults", get(faults))
        .route("/admin/inject", post(inject))
        .route("/admin/reset", post(reset))
        .route("/admin/users", get(users))
}

async fn faults(AxState(sim): AxState<Arc<Sim>>) -> Json<Vec<String>> {
    Json(sim.client_faults())
}

async fn inject(AxState(sim): AxState<Arc<Sim>>, body: axum::body::Bytes) -> Response {
    let inject: Inject = match serde_json::from_slice(&body) {
        Ok(i) => i,
        Err(err) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": err.to_string()})),
            )
                .into_response();
        }
    };
    let now = apply(&sim, &inject);
    Json(now).into_response()
}

/// Applies an [`Inject`] and returns the faults now in force.
pub(crate) fn apply(sim: &Sim, inject: &Inject) -> Faults {
    let now = sim.update_faults(|f: &mut Faults| {
        if let Some(v) = inject.drop_after_frames {
            f.drop_after_frames = v;
        }
        if let Some(v) = inject.delay_ms {
            f.delay_ms = v;
        }
        if let Some(v) = inject.duplicate {
            f.duplicate = v;
        }
        if let Some(v) = inject.reorder {
            f.reorder = v;
        }
        if let Some(v) = inject.malformed_every {
            f.malformed_every = v;
        }
        if let Some(v) = inject.http_429_burst {
            f.http_429_burst = v;
        }
        if let Some(v) = inject.http_503_burst {
            f.http_503_burst = v;
        }
        if let Some(v) = inject.http_retry_after_secs {
            f.http_retry_after_secs = v;
        }
        f.clone()
    });
    if let Some(ms) = inject.http_outage_ms {
        sim.start_http_outage(ms);
    }
    if inject.disconnect_all
        || inject.silence_all
        || inject.expire_tokens
        || inject.file_upload_limits.is_some()
    {
        let mut w = sim.world();
        if let Some(limits) = &inject.file_upload_limits {
            crate::trueconf::set_upload_limits(&mut w, limits.clone());
        }
        if inject.expire_tokens {
            crate::trueconf::expire_tokens(&mut w);
        }
        if inject.disconnect_all {
            w.disconnect_all();
        }
        if inject.silence_all {
            w.silence_all();
        }
    }
    now
}

async fn reset(AxState(sim): AxState<Arc<Sim>>) -> Json<serde_json::Value> {
    sim.reset();
    Json(json!({"ok": true}))
}

async fn users() -> Json<serde_json::Value> {
    let list: Vec<serde_json::Value> = crate::users()
        .iter()
        .map(|u| {
            json!({
                "name": u.name,
                "display_name": u.display_name,
                "password": u.password,
                "app_password": u.app_password,
                "trueconf_id": u.trueconf_id,
                "tada_token": u.tada_token,
                "tada_jid": u.tada_jid,
            })
        })
        .collect();
    Json(json!({
        "users": list,
        "tada_team": crate::TADA_TEAM,
        "tada_group_jid": crate::TADA_GROUP_JID,
        "talk_rooms": [crate::TALK_ROOM_ALL, crate::TALK_ROOM_AB, crate::TALK_ROOM_LOBBY, crate::TALK_ROOM_RO],
    }))
}
