//! `chatwire connect`: a terminal client — events out as JSON lines, commands in as JSON lines.

use crate::pretty;
use chatwire::{Client, ClientConfig, Error, Event, Reply, Session};
use chatwire_native::NativeClient;
use clap::ValueEnum;
use futures::future::BoxFuture;
use serde_json::{json, Value};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::AsyncBufReadExt;

/// The protocols `connect` speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ConnectProtocol {
    /// TrueConf Chatbot API.
    Trueconf,
    /// tada.team.
    Tada,
    /// Nextcloud Talk.
    Talk,
}

/// Arguments of `chatwire connect`. Credentials may come from the environment so they stay out
/// of shell history and process listings.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Protocol to speak.
    #[arg(long, value_enum)]
    pub protocol: ConnectProtocol,
    /// Server base URL (`https://chat.example.com`, `http://127.0.0.1:8080`).
    #[arg(long, env = "CHATWIRE_SERVER")]
    pub server: String,
    /// TrueConf JWT or tada token (else TrueConf fetches one with --user/--password).
    #[arg(long, env = "CHATWIRE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// User name (TrueConf OAuth login, Talk user).
    #[arg(long, env = "CHATWIRE_USER")]
    pub user: Option<String>,
    /// Password (TrueConf OAuth) or Talk app password.
    #[arg(long, env = "CHATWIRE_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// tada team uid.
    #[arg(long, env = "CHATWIRE_TEAM")]
    pub team: Option<String>,
    /// Talk room token to join (repeatable).
    #[arg(long = "room")]
    pub rooms: Vec<String>,
    /// Print for people instead of JSON lines.
    #[arg(long)]
    pub pretty: bool,
    /// Seed for ids and jitter (default: from the system clock).
    #[arg(long)]
    pub seed: Option<u64>,
}

/// A protocol session as `connect` drives it: how it is built and which extra ops it takes.
pub trait Cli: Session + Send + Sized + 'static {
    /// Builds the session from the arguments (may fetch a token).
    fn build(args: &Args, seed: u64) -> BoxFuture<'static, Result<Self, String>>;
    /// Runs after the client exists (Talk joins its rooms).
    fn start(_client: &NativeClient<Self>, _args: &Args) {}
    /// Protocol-specific ops beyond `send` and `read`.
    fn op(
        client: &NativeClient<Self>,
        op: &str,
        cmd: &Value,
    ) -> Option<BoxFuture<'static, Result<Reply, Error>>>;
    /// Called on `TokenExpired`: get new credentials into the session, if possible.
    fn refresh(
        _client: &NativeClient<Self>,
        _args: &Args,
    ) -> BoxFuture<'static, Result<(), String>> {
        Box::pin(async { Err("this protocol cannot refresh credentials by itself".to_string()) })
    }
}

/// Runs `chatwire connect` for the chosen protocol.
pub fn run(args: Args) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("chatwire connect: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async move {
        match args.protocol {
            ConnectProtocol::Trueconf => session::<chatwire::trueconf::TrueConfSession>(args).await,
            ConnectProtocol::Tada => session::<chatwire::tada::TadaSession>(args).await,
            ConnectProtocol::Talk => session::<chatwire::talk::TalkSession>(args).await,
        }
    })
}

async fn session<S: Cli>(args: Args) -> ExitCode {
    let seed = args.seed.unwrap_or_else(|| {
        // The host's entropy, handed to the sans-IO core as a seed.
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    });
    let session = match S::build(&args, seed).await {
        Ok(s) => s,
        Err(reason) => {
            eprintln!("chatwire connect: {reason}");
            return ExitCode::from(1);
        }
    };
    let config = ClientConfig {
        seed,
        ..ClientConfig::default()
    };
    let client = NativeClient::spawn(Client::new(session, config), args.server.clone());
    client.connect();
    S::start(&client, &args);
    let args = Arc::new(args);
    let out = Printer {
        pretty: args.pretty,
    };
    let events = tokio::spawn(print_events(client.clone(), args.clone(), out));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let idle = Arc::new(tokio::sync::Notify::new());
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let code = loop {
        tokio::select! {
            line = lines.next_line() => match line {
                Ok(Some(line)) if line.trim().is_empty() => {}
                Ok(Some(line)) => dispatch(&client, &line, out, &in_flight, &idle),
                // EOF: let what was asked finish, then leave.
                Ok(None) | Err(_) => break drain(&in_flight, &idle, out).await,
            },
            _ = tokio::signal::ctrl_c() => break ExitCode::SUCCESS,
            done = wait(&events) => break done,
        }
    };
    client.shutdown();
    // Give the close frame a moment to leave.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    code
}

/// How long end of input waits for commands still in flight: longer than a request's own
/// timeout (30 s), so only a command that cannot finish is cut off — one parked for a reconnect
/// that never succeeds because the server is gone.
const DRAIN_LIMIT: std::time::Duration = std::time::Duration::from_secs(40);

/// Waits until no command is in flight (at most [`DRAIN_LIMIT`], or until Ctrl-C).
async fn drain(in_flight: &AtomicUsize, idle: &tokio::sync::Notify, out: Printer) -> ExitCode {
    let settled = async {
        loop {
            // Registered before the check, so a command finishing in between still wakes us.
            let notified = idle.notified();
            if in_flight.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    };
    tokio::select! {
        done = tokio::time::timeout(DRAIN_LIMIT, settled) => match done {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => {
                let left = in_flight.load(Ordering::SeqCst);
                out.note(&format!(
                    "end of input: {left} command(s) still unanswered after {} s; leaving",
                    DRAIN_LIMIT.as_secs()
                ));
                ExitCode::from(1)
            }
        },
        _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
    }
}

async fn wait(task: &tokio::task::JoinHandle<ExitCode>) -> ExitCode {
    // Polls the printer's completion without consuming the handle.
    loop {
        if task.is_finished() {
            return ExitCode::from(1);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Prints events until a fatal one; refreshes credentials on `TokenExpired`.
async fn print_events<S: Cli>(client: NativeClient<S>, args: Arc<Args>, out: Printer) -> ExitCode {
    // Whether the last credential refresh worked: an `AuthFailed` for an expired token that
    // follows it is the old connection's, not a reason to stop.
    let mut refreshed = false;
    while let Some(event) = client.next_event().await {
        out.event(&event);
        match &event {
            Event::AuthFailed { error } => {
                let expired = matches!(
                    error,
                    Error::TrueConf {
                        code: chatwire::trueconf::ErrorCode::TokenExpired
                    }
                );
                if !(expired && refreshed) {
                    return ExitCode::from(1);
                }
            }
            Event::TokenExpired => {
                refreshed = match S::refresh(&client, &args).await {
                    Ok(()) => {
                        client.connect();
                        true
                    }
                    Err(reason) => {
                        out.note(&reason);
                        false
                    }
                };
            }
            _ => {}
        }
    }
    ExitCode::SUCCESS
}

fn dispatch<S: Cli>(
    client: &NativeClient<S>,
    line: &str,
    out: Printer,
    in_flight: &Arc<AtomicUsize>,
    idle: &Arc<tokio::sync::Notify>,
) {
    let cmd: Value = match serde_json::from_str(line) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => return out.result("?", &Value::Null, Err(bad("a command is a JSON object"))),
        Err(e) => return out.result("?", &Value::Null, Err(bad(&format!("not JSON: {e}")))),
    };
    let op = cmd["op"].as_str().unwrap_or("").to_string();
    let tag = cmd.get("tag").cloned().unwrap_or(Value::Null);
    let str_field = |k: &str| cmd.get(k).and_then(Value::as_str).map(str::to_string);
    let fut: BoxFuture<'static, Result<Reply, Error>> = match op.as_str() {
        "send" => match (str_field("chat"), str_field("text")) {
            (Some(chat), Some(text)) => {
                let c = client.clone();
                let reply_to = str_field("reply_to");
                Box::pin(
                    c.client()
                        .send_text(c.now(), &chat, &text, reply_to.as_deref()),
                )
            }
            _ => return out.result(&op, &tag, Err(bad("send needs \"chat\" and \"text\""))),
        },
        "read" => match (str_field("chat"), str_field("message")) {
            (Some(chat), Some(message)) => {
                let c = client.clone();
                Box::pin(c.client().mark_read(c.now(), &chat, &message))
            }
            _ => return out.result(&op, &tag, Err(bad("read needs \"chat\" and \"message\""))),
        },
        _ => match S::op(client, &op, &cmd) {
            Some(fut) => fut,
            None => {
                return out.result(
                    &op,
                    &tag,
                    Err(bad(&format!("unknown op {op:?} for this protocol"))),
                )
            }
        },
    };
    in_flight.fetch_add(1, Ordering::SeqCst);
    let (in_flight, idle) = (in_flight.clone(), idle.clone());
    tokio::spawn(async move {
        let result = fut.await;
        out.result(&op, &tag, result);
        in_flight.fetch_sub(1, Ordering::SeqCst);
        idle.notify_waiters();
    });
}

fn bad(reason: &str) -> Error {
    Error::InvalidArgument {
        reason: reason.to_string(),
    }
}

/// Output in JSON lines or for people.
#[derive(Clone, Copy)]
pub struct Printer {
    pretty: bool,
}

impl Printer {
    fn event(&self, event: &Event) {
        if self.pretty {
            emit(&pretty::event(event));
        } else {
            emit(&serde_json::to_string(event).unwrap_or_default());
        }
    }

    fn result(&self, op: &str, tag: &Value, result: Result<Reply, Error>) {
        // `to_value` rather than `json!`: a value that cannot be serialized must become a
        // visible error string, never a panic of the printer.
        let as_json = |v: Result<Value, serde_json::Error>| {
            v.unwrap_or_else(|e| json!(format!("<not serializable: {e}>")))
        };
        let line = match &result {
            Ok(reply) => {
                let reply = as_json(serde_json::to_value(reply));
                json!({"type": "result", "op": op, "tag": tag, "ok": true, "reply": reply})
            }
            Err(e) => {
                let error = as_json(serde_json::to_value(e));
                json!({"type": "result", "op": op, "tag": tag, "ok": false, "error": error, "message": e.to_string()})
            }
        };
        if self.pretty {
            emit(&pretty::result(op, &result));
        } else {
            emit(&line.to_string());
        }
    }

    fn note(&self, text: &str) {
        if self.pretty {
            emit(&format!("! {text}"));
        } else {
            emit(&json!({"type": "note", "text": text}).to_string());
        }
    }
}

/// Writes one line to stdout. When stdout is gone (piped into `head`, reader exited) nobody can
/// hear us any more: leave quietly instead of panicking as `println!` would.
fn emit(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
        std::process::exit(0);
    }
}
