//! tada.team messenger over WebSocket (`/messaging/{team}`).
