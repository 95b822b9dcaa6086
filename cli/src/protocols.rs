//! How `chatwire connect` builds and commands each protocol's session.

use crate::connect::{Args, Cli, Started};
use chatwire::{Error, Reply};
use chatwire_native::NativeClient;
use futures::future::BoxFuture;
use serde_json::Value;

fn text(cmd: &Value, key: &str) -> Option<String> {
    cmd.get(key).and_then(Value::as_str).map(str::to_string)
}

fn bad(reason: impl Into<String>) -> Error {
    Error::InvalidArgument {
        reason: reason.into(),
    }
}

fn refuse(reason: impl Into<String>) -> Option<BoxFuture<'static, Result<Reply, Error>>> {
    let e = bad(reason);
    Some(Box::pin(async move { Err(e) }))
}

/// Trades a user name and password for a TrueConf JWT at the server's OAuth endpoint.
async fn trueconf_token(server: &str, user: &str, password: &str) -> Result<String, String> {
    let url = format!(
        "{}{}",
        server.trim_end_matches('/'),
        chatwire::trueconf::TOKEN_PATH
    );
    let body = serde_json::json!({
        "client_id": "chat_bot", "grant_type": "password", "username": user, "password": password
    });
    // A password written into --server (`https://user:pass@host`) must not reach the output.
    let shown = chatwire_native::redact_url(&url);
    let response = reqwest::Client::new()
        .post(&url)
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("token request to {shown} failed: {}", e.without_url()))?;
    let status = response.status();
    let reply: Value = response
        .json()
        .await
        .map_err(|e| format!("token response: {e}"))?;
    match reply["access_token"].as_str() {
        Some(token) if status.is_success() => Ok(token.to_string()),
        _ => Err(format!("token refused ({status}): {reply}")),
    }
}

impl Cli for chatwire::trueconf::TrueConfSession {
    type Snapshot = chatwire::trueconf::TrueConfSnapshot;

    fn snapshot(&self) -> Self::Snapshot {
        chatwire::trueconf::TrueConfSession::snapshot(self)
    }

    fn build(
        args: &Args,
        _seed: u64,
        snapshot: Option<Self::Snapshot>,
    ) -> BoxFuture<'static, Result<Self, String>> {
        let (server, token) = (args.server.clone(), args.token.clone());
        let (user, password) = (args.user.clone(), args.password.clone());
        Box::pin(async move {
            let token = match (token, user, password) {
                (Some(token), _, _) => token,
                (None, Some(user), Some(password)) => {
                    trueconf_token(&server, &user, &password).await?
                }
                _ => return Err("TrueConf needs --token, or --user and --password".into()),
            };
            let mut config = chatwire::trueconf::TrueConfConfig::new(token);
            // Ask for the messages that arrived while this user had no connection (`auth`
            // `receiveUnread`), on the first connection and on every reconnect: without it a
            // message sent while the socket was down is never delivered (the session's
            // redelivery filter drops the ones already seen).
            config.receive_unread = Some(true);
            Ok(match snapshot {
                Some(s) => chatwire::trueconf::TrueConfSession::restore(config, s),
                None => chatwire::trueconf::TrueConfSession::new(config),
            })
        })
    }

    fn op(
        client: &NativeClient<Self>,
        op: &str,
        cmd: &Value,
    ) -> Option<BoxFuture<'static, Result<Reply, Error>>> {
        let c = client.clone();
        match op {
            // Any TrueConf method: typed when known, raw otherwise.
            "request" => {
                let Some(method) = text(cmd, "method") else {
                    return refuse("request needs \"method\"");
                };
                let payload = cmd.get("payload").cloned().unwrap_or(Value::Null);
                let request = match chatwire::trueconf::Request::from_wire(&method, &payload) {
                    Ok(r) => r,
                    Err(reason) => return refuse(reason),
                };
                Some(Box::pin(c.client().call(c.now(), move |s, now| {
                    s.request(now, request.clone())
                })))
            }
            "chats" => {
                let count = cmd["count"].as_u64().unwrap_or(100) as u32;
                Some(Box::pin(
                    c.client()
                        .call(c.now(), move |s, now| s.get_chats(now, count, 1)),
                ))
            }
            // Shows "typing…" (or another activity) to the chat's other participants.
            "typing" => {
                let Some(chat) = text(cmd, "chat") else {
                    return refuse("typing needs \"chat\"");
                };
                let activity = text(cmd, "activity").unwrap_or_else(|| "typing".into());
                Some(Box::pin(c.client().call(c.now(), move |s, now| {
                    s.send_chat_activity(now, &chat, &activity)
                })))
            }
            "display_name" => {
                let Some(user) = text(cmd, "user") else {
                    return refuse("display_name needs \"user\"");
                };
                Some(Box::pin(c.client().call(c.now(), move |s, now| {
                    s.get_user_display_name(now, &user)
                })))
            }
            "file_info" => {
                let Some(file) = text(cmd, "file") else {
                    return refuse("file_info needs \"file\"");
                };
                Some(Box::pin(
                    c.client()
                        .call(c.now(), move |s, now| s.get_file_info(now, &file)),
                ))
            }
            "upload_limits" => Some(Box::pin(
                c.client()
                    .call(c.now(), |s, now| s.get_file_upload_limits(now)),
            )),
            "answer_command" => {
                let Some(command_id) = text(cmd, "command_id") else {
                    return refuse("answer_command needs \"command_id\"");
                };
                let answer = chatwire::trueconf::CommandAnswer {
                    command_id,
                    answer_type: text(cmd, "answer_type").unwrap_or_else(|| "complete".into()),
                    text: text(cmd, "text"),
                    status: text(cmd, "status"),
                    visibility: text(cmd, "visibility"),
                    level: text(cmd, "level"),
                };
                Some(Box::pin(c.client().call(c.now(), move |s, now| {
                    s.answer_command(now, answer.clone())
                })))
            }
            // Sends the file at "path" to "chat": `uploadFile`, the bytes over HTTP, `sendFile`.
            // Sends the file at "path": the session asks the host (chatwire-native) to stream it
            // from disk to the server, so it is never read into memory whole.
            "send_file" => {
                let (Some(chat), Some(path)) = (text(cmd, "chat"), text(cmd, "path")) else {
                    return refuse("send_file needs \"chat\" and \"path\"");
                };
                let name = text(cmd, "name").or_else(|| {
                    std::path::Path::new(&path)
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                });
                let Some(name) = name else {
                    return refuse("send_file: the path names no file; give \"name\"");
                };
                let size = match std::fs::metadata(&path) {
                    Ok(m) if m.is_file() => m.len(),
                    Ok(_) => return refuse(format!("send_file: {path} is not a file")),
                    Err(e) => return refuse(format!("send_file: {path}: {e}")),
                };
                let (caption, reply_to) = (text(cmd, "caption"), text(cmd, "reply_to"));
                let content_type = text(cmd, "content_type");
                Some(Box::pin(c.client().call(c.now(), move |s, now| {
                    s.send_file(
                        now,
                        &chat,
                        &path,
                        &name,
                        size,
                        content_type.as_deref(),
                        caption.as_deref(),
                        reply_to.as_deref(),
                    )
                })))
            }
            // Saves file "file" at "path", streamed to disk (waits for one still uploading).
            "download" => {
                let (Some(file), Some(path)) = (text(cmd, "file"), text(cmd, "path")) else {
                    return refuse("download needs \"file\" and \"path\"");
                };
                Some(Box::pin(c.client().call(c.now(), move |s, now| {
                    s.download_file(now, &file, &path)
                })))
            }
            _ => None,
        }
    }

    fn start(client: &NativeClient<Self>, _args: &Args) -> Vec<Started> {
        // The wall clock, so the session refreshes the token ahead of the JWT's `exp`.
        let unix_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        let _ = client.client().with_session(client.now(), |s, now| {
            s.set_unix_time(now, unix_ms);
            Ok(())
        });
        Vec::new()
    }

    fn refresh(client: &NativeClient<Self>, args: &Args) -> BoxFuture<'static, Result<(), String>> {
        let c = client.clone();
        let (server, user, password) = (
            args.server.clone(),
            args.user.clone(),
            args.password.clone(),
        );
        Box::pin(async move {
            let (Some(user), Some(password)) = (user, password) else {
                return Err("token expired; run again with a new --token".into());
            };
            let token = trueconf_token(&server, &user, &password).await?;
            c.client()
                .with_session(c.now(), |s, _| {
                    s.set_token(token);
                    Ok(())
                })
                .map_err(|e| e.to_string())?;
            Ok(())
        })
    }
}

impl Cli for chatwire::tada::TadaSession {
    type Snapshot = chatwire::tada::TadaSnapshot;

    fn snapshot(&self) -> Self::Snapshot {
        chatwire::tada::TadaSession::snapshot(self)
    }

    fn build(
        args: &Args,
        seed: u64,
        snapshot: Option<Self::Snapshot>,
    ) -> BoxFuture<'static, Result<Self, String>> {
        let (team, token) = (args.team.clone(), args.token.clone());
        Box::pin(async move {
            let (Some(team), Some(token)) = (team, token) else {
                return Err("tada needs --team and --token".into());
            };
            let mut config = chatwire::tada::TadaConfig::new(team, token);
            config.seed = seed;
            Ok(match snapshot {
                Some(s) => chatwire::tada::TadaSession::restore(config, s),
                None => chatwire::tada::TadaSession::new(config),
            })
        })
    }

    fn op(
        client: &NativeClient<Self>,
        op: &str,
        cmd: &Value,
    ) -> Option<BoxFuture<'static, Result<Reply, Error>>> {
        let c = client.clone();
        match op {
            "delete" => {
                let Some(message) = text(cmd, "message") else {
                    return refuse("delete needs \"message\"");
                };
                Some(Box::pin(c.client().call(c.now(), move |s, now| {
                    s.delete_message(now, &message)
                })))
            }
            "ping" => Some(Box::pin(c.client().call(c.now(), |s, now| s.ping(now)))),
            _ => None,
        }
    }
}

/// A Talk message id from a command (a number, or its decimal text).
fn message_id(cmd: &Value) -> Option<i64> {
    let v = cmd.get("message")?;
    v.as_i64().or_else(|| v.as_str()?.trim().parse().ok())
}

impl Cli for chatwire::talk::TalkSession {
    type Snapshot = chatwire::talk::TalkSnapshot;

    fn snapshot(&self) -> Self::Snapshot {
        chatwire::talk::TalkSession::snapshot(self)
    }

    fn build(
        args: &Args,
        seed: u64,
        snapshot: Option<Self::Snapshot>,
    ) -> BoxFuture<'static, Result<Self, String>> {
        let (user, password) = (args.user.clone(), args.password.clone());
        Box::pin(async move {
            let (Some(user), Some(password)) = (user, password) else {
                return Err("Talk needs --user and --password (an app password)".into());
            };
            let mut config = chatwire::talk::TalkConfig::new(user, password);
            config.seed = seed;
            Ok(match snapshot {
                Some(s) => chatwire::talk::TalkSession::restore(config, s),
                None => chatwire::talk::TalkSession::new(config),
            })
        })
    }

    /// Reads the room list (and keeps it fresh), and opens each `--room`: looked up first, so
    /// a room that does not exist fails its join and the others start from the server's read
    /// marker. Rooms restored from `--state` poll from their cursors already.
    fn start(client: &NativeClient<Self>, args: &Args) -> Vec<Started> {
        let listed = if args.all_rooms {
            client.client().join_listed_rooms(client.now())
        } else {
            client.client().watch_rooms(client.now())
        };
        if let Err(e) = listed {
            eprintln!("chatwire connect: cannot read the room list: {e}");
        }
        args.rooms
            .iter()
            .map(|room| -> Started {
                let fut = client.client().call(client.now(), {
                    let room = room.clone();
                    move |s, now| s.open_room(now, &room)
                });
                ("join".into(), Value::from(room.as_str()), Box::pin(fut))
            })
            .collect()
    }

    fn op(
        client: &NativeClient<Self>,
        op: &str,
        cmd: &Value,
    ) -> Option<BoxFuture<'static, Result<Reply, Error>>> {
        let c = client.clone();
        let room = text(cmd, "room").or_else(|| text(cmd, "chat"));
        match op {
            // Answered with the room once the server has it; a missing room fails (404).
            "join" => {
                let Some(room) = room else {
                    return refuse("join needs \"room\"");
                };
                Some(Box::pin(
                    c.client()
                        .call(c.now(), move |s, now| s.open_room(now, &room)),
                ))
            }
            "edit" => {
                let (Some(room), Some(id), Some(new)) = (room, message_id(cmd), text(cmd, "text"))
                else {
                    return refuse("edit needs \"room\", \"message\" and \"text\"");
                };
                Some(Box::pin(c.client().call(c.now(), move |s, now| {
                    s.edit_message(now, &room, id, &new)
                })))
            }
            "delete" => {
                let (Some(room), Some(id)) = (room, message_id(cmd)) else {
                    return refuse("delete needs \"room\" and \"message\"");
                };
                Some(Box::pin(c.client().call(c.now(), move |s, now| {
                    s.delete_message(now, &room, id)
                })))
            }
            "react" | "unreact" => {
                let (Some(room), Some(id), Some(emoji)) =
                    (room, message_id(cmd), text(cmd, "emoji"))
                else {
                    return refuse(format!("{op} needs \"room\", \"message\" and \"emoji\""));
                };
                let add = op == "react";
                Some(Box::pin(c.client().call(c.now(), move |s, now| {
                    if add {
                        s.react(now, &room, id, &emoji)
                    } else {
                        s.unreact(now, &room, id, &emoji)
                    }
                })))
            }
            "leave" => {
                let Some(room) = room else {
                    return refuse("leave needs \"room\"");
                };
                let left = c
                    .client()
                    .with_session(c.now(), |s, _| Ok(s.leave_room(&room)));
                Some(Box::pin(
                    async move { left.map(|value| Reply::Bool { value }) },
                ))
            }
            "mentions" => {
                let Some(room) = room else {
                    return refuse("mentions needs \"room\"");
                };
                let search = text(cmd, "search").unwrap_or_default();
                let limit = cmd["limit"].as_u64().unwrap_or(20) as u32;
                Some(Box::pin(c.client().call(c.now(), move |s, now| {
                    s.mentions(now, &room, &search, limit)
                })))
            }
            "older" => {
                let Some(room) = room else {
                    return refuse("older needs \"room\"");
                };
                let limit = cmd["limit"].as_u64().unwrap_or(50) as u32;
                Some(Box::pin(c.client().call(c.now(), move |s, now| {
                    s.load_older(now, &room, limit)
                })))
            }
            _ => None,
        }
    }
}
