//! How `chatwire connect` builds and commands each protocol's session.

use crate::connect::{Args, Cli};
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
    let response = reqwest::Client::new()
        .post(&url)
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("token request to {url} failed: {e}"))?;
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
    fn build(args: &Args, _seed: u64) -> BoxFuture<'static, Result<Self, String>> {
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
            Ok(chatwire::trueconf::TrueConfSession::new(config))
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
            _ => None,
        }
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
    fn build(args: &Args, seed: u64) -> BoxFuture<'static, Result<Self, String>> {
        let (team, token) = (args.team.clone(), args.token.clone());
        Box::pin(async move {
            let (Some(team), Some(token)) = (team, token) else {
                return Err("tada needs --team and --token".into());
            };
            let mut config = chatwire::tada::TadaConfig::new(team, token);
            config.seed = seed;
            Ok(chatwire::tada::TadaSession::new(config))
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

impl Cli for chatwire::talk::TalkSession {
    fn build(args: &Args, seed: u64) -> BoxFuture<'static, Result<Self, String>> {
        let (user, password) = (args.user.clone(), args.password.clone());
        Box::pin(async move {
            let (Some(user), Some(password)) = (user, password) else {
                return Err("Talk needs --user and --password (an app password)".into());
            };
            let mut config = chatwire::talk::TalkConfig::new(user, password);
            config.seed = seed;
            Ok(chatwire::talk::TalkSession::new(config))
        })
    }

    fn start(client: &NativeClient<Self>, args: &Args) {
        for room in &args.rooms {
            if let Err(e) = client.client().join_room(client.now(), room) {
                eprintln!("chatwire connect: cannot join {room}: {e}");
            }
        }
    }

    fn op(
        client: &NativeClient<Self>,
        op: &str,
        cmd: &Value,
    ) -> Option<BoxFuture<'static, Result<Reply, Error>>> {
        let c = client.clone();
        let room = text(cmd, "room").or_else(|| text(cmd, "chat"));
        match op {
            "join" => {
                let Some(room) = room else {
                    return refuse("join needs \"room\"");
                };
                let joined = c.client().join_room(c.now(), &room);
                Some(Box::pin(async move { joined.map(|()| Reply::Empty) }))
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
