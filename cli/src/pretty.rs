//! One readable line per event or result, for `--pretty`.

use chatwire::{Content, Error, Event, Message, Reply};

fn who(m: &Message) -> &str {
    m.author.display_name.as_deref().unwrap_or(&m.author.id)
}

fn body(m: &Message) -> String {
    match &m.content {
        Content::Text { text, .. } => text.clone(),
        Content::System { text, .. } => format!("({text})"),
        other => format!(
            "<{}>",
            serde_json::to_value(other)
                .ok()
                .and_then(|v| v["type"].as_str().map(str::to_string))
                .unwrap_or_default()
        ),
    }
}

/// An event as a person reads it.
pub fn event(e: &Event) -> String {
    match e {
        Event::Connected { user_id, .. } => {
            format!("● connected as {}", user_id.as_deref().unwrap_or("?"))
        }
        Event::Disconnected { reason } => format!("○ disconnected: {reason}"),
        Event::MessageReceived { message: m } => format!(
            "[{}] {}: {}",
            m.chat_id.as_deref().unwrap_or("?"),
            who(m),
            body(m)
        ),
        Event::MessageEdited { message: m } => format!(
            "[{}] {} edited: {}",
            m.chat_id.as_deref().unwrap_or("?"),
            who(m),
            body(m)
        ),
        Event::MessageRemoved {
            chat_id,
            message_id,
            ..
        } => format!(
            "[{}] message {message_id} removed",
            chat_id.as_deref().unwrap_or("?")
        ),
        Event::ReadStateChanged { chat_id, state } => format!(
            "[{chat_id}] unread {} (read up to {})",
            state
                .unread
                .map(|n| n.to_string())
                .unwrap_or_else(|| "?".into()),
            state.last_read_message_id.as_deref().unwrap_or("-")
        ),
        Event::ChatCreated { chat } => format!(
            "+ chat {} “{}”",
            chat.id,
            chat.title.as_deref().unwrap_or("")
        ),
        Event::ParticipantAdded {
            chat_id, user_id, ..
        } => format!("+ {user_id} joined {chat_id}"),
        Event::ParticipantRemoved {
            chat_id, user_id, ..
        } => format!("- {user_id} left {chat_id}"),
        Event::ConnectFailed {
            reason,
            permanent,
            retry_in_ms,
            attempt,
        } => match (permanent, retry_in_ms) {
            (true, _) | (_, None) => format!("✗ cannot reach the server, giving up: {reason}"),
            (false, Some(ms)) => format!(
                "… attempt {attempt} failed: {reason}; trying again in {:.1} s",
                *ms as f64 / 1000.0
            ),
        },
        Event::ReactionsChanged {
            chat_id,
            message_id,
            reactions,
        } => {
            let list: Vec<String> = reactions
                .iter()
                .map(|r| {
                    format!(
                        "{} {}{}",
                        r.emoji,
                        r.count,
                        if r.own { " (you)" } else { "" }
                    )
                })
                .collect();
            format!("[{chat_id}] reactions on {message_id}: {}", list.join(", "))
        }
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// A command's result as a person reads it.
pub fn result(op: &str, r: &Result<Reply, Error>) -> String {
    match r {
        Ok(reply) => format!(
            "✓ {op}: {}",
            serde_json::to_string(reply).unwrap_or_default()
        ),
        Err(e) => format!("✗ {op}: {e}"),
    }
}
