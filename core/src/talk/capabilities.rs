//! What the server can do (`GET /ocs/v2.php/cloud/capabilities`, `spreed` part).

use crate::json::field_str;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Path of the capabilities endpoint, below the server's base URL.
pub const CAPABILITIES_PATH: &str = "/ocs/v2.php/cloud/capabilities";

/// Feature that allows `PUT /chat/{token}/{messageId}` (Talk 19+).
pub const FEATURE_EDIT: &str = "edit-messages";
/// Feature that allows `DELETE /chat/{token}/{messageId}`.
pub const FEATURE_DELETE: &str = "delete-messages";
/// Feature of the `/reaction/{token}/{messageId}` endpoints.
pub const FEATURE_REACTIONS: &str = "reactions";

/// The Talk capabilities of a server, as far as chatwire uses them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TalkCapabilities {
    /// `spreed.features`; `None` when the server did not say (every command is tried).
    pub features: Option<Vec<String>>,
    /// `spreed.config.chat.max-length`, in characters.
    pub max_length: Option<u32>,
    /// `spreed.version` (`19.0.0`), when given.
    pub version: Option<String>,
}

impl TalkCapabilities {
    /// Reads the OCS `data` of the capabilities answer; missing parts stay `None`.
    pub fn from_data(data: &Value) -> TalkCapabilities {
        let spreed = data.pointer("/capabilities/spreed");
        let features = spreed
            .and_then(|s| s.get("features"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            });
        let max_length = spreed
            .and_then(|s| s.pointer("/config/chat/max-length"))
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n > 0);
        TalkCapabilities {
            features,
            max_length,
            version: spreed.and_then(|s| field_str(s, "version")),
        }
    }

    /// Whether the server has `feature` (`true` when it did not list its features).
    pub fn has(&self, feature: &str) -> bool {
        self.features
            .as_ref()
            .is_none_or(|f| f.iter().any(|x| x == feature))
    }
}
