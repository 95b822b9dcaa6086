//! Shared harness of the CLI integration tests: `chatwire sim` and `chatwire connect` as child
//! processes on loopback, driven through their stdin and read through their stdout.
//!
//! Nothing here can hang a test: every wait is bounded by [`WAIT`] and panics with what was
//! seen so far, and every child is killed when its handle drops (also when a test panics).

use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// The longest any single expected step may take.
pub const WAIT: Duration = Duration::from_secs(10);

/// The seeded tada team and group chat (sim/src/seed.rs).
pub const TADA_TEAM: &str = "team-sim";
pub const TADA_GROUP: &str = "g-5eed0000-0000-4000-8000-000000000001";
/// The seeded Talk room holding alice and bob.
pub const TALK_ROOM: &str = "room-ab";

/// The `chatwire` binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_chatwire")
}

/// Locks `m` even when a panicking test poisoned it: a failure message must not hide behind
/// a second panic.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Waits for `child` to exit, at most `limit`; kills it and returns `None` past that.
fn wait_exit(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

/// Collects everything a child writes on stderr, for failure messages.
fn collect_stderr(child: &mut Child) -> Arc<Mutex<String>> {
    let buf = Arc::new(Mutex::new(String::new()));
    if let Some(mut err) = child.stderr.take() {
        let sink = buf.clone();
        thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            lock(&sink).push_str(&text);
        });
    }
    buf
}

/// A `chatwire sim --protocol all` child on a free loopback port.
pub struct Sim {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    addr: String,
}

impl Sim {
    /// Starts the simulator with extra arguments (fault flags); panics if it does not print
    /// its address within [`WAIT`].
    pub fn start(extra: &[&str]) -> Sim {
        let mut child = Command::new(bin())
            .args(["sim", "--protocol", "all", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn chatwire sim");
        let stdout = child.stdout.take().expect("sim stdout");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            // Keep reading after the first line so the sim never blocks on a full pipe.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let line = match rx.recv_timeout(WAIT) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chatwire sim printed no address within {WAIT:?}");
            }
        };
        let first: Value = serde_json::from_str(&line).expect("sim's first line is JSON");
        let url = first["listening"]
            .as_str()
            .unwrap_or_else(|| panic!("no \"listening\" in {line}"))
            .to_string();
        let addr = url.trim_start_matches("http://").to_string();
        Sim { child, url, addr }
    }

    /// `POST /admin/inject` with `body`; panics unless it answers 200. Returns the answer.
    pub fn inject(&self, body: Value) -> Value {
        self.post("/admin/inject", &body.to_string())
    }

    /// `GET path` of the Talk API as `user` (their seeded session cookie); the OCS `data`.
    pub fn talk_get(&self, user: &str, path: &str) -> Value {
        let mut s = TcpStream::connect(&self.addr).expect("connect to the sim");
        s.set_read_timeout(Some(WAIT)).expect("read timeout");
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nOCS-APIRequest: true\r\n\
             Accept: application/json\r\nCookie: nc_session_id={user}-session\r\n\
             Connection: close\r\n\r\n",
            self.addr
        );
        s.write_all(request.as_bytes()).expect("send the request");
        let mut response = String::new();
        s.read_to_string(&mut response).expect("read the answer");
        let (head, payload) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        assert!(
            head.starts_with("HTTP/1.1 200"),
            "{path} answered {head}\n{payload}"
        );
        let v: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
        v["ocs"]["data"].clone()
    }

    /// The simulator's `host:port`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// A POST on the simulator's admin routes, over a plain socket.
    pub fn post(&self, path: &str, body: &str) -> Value {
        let mut s = TcpStream::connect(&self.addr).expect("connect to the sim");
        s.set_read_timeout(Some(WAIT)).expect("read timeout");
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        s.write_all(request.as_bytes())
            .expect("send the admin request");
        let mut response = String::new();
        s.read_to_string(&mut response)
            .expect("read the admin answer");
        let (head, payload) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        assert!(
            head.starts_with("HTTP/1.1 200"),
            "{path} answered {head}\n{payload}"
        );
        serde_json::from_str(payload).unwrap_or(Value::Null)
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a `chatwire connect` child printed so far.
#[derive(Default)]
struct Seen {
    events: Vec<Value>,
    closed: bool,
}

/// One `chatwire connect` child: commands in on stdin, JSON lines out on stdout.
pub struct Peer {
    /// Who this is, for messages.
    pub name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    seen: Arc<(Mutex<Seen>, Condvar)>,
    stderr: Arc<Mutex<String>>,
    next_tag: u32,
}

impl Peer {
    /// `chatwire connect --protocol trueconf` as `user` (OAuth with the seeded password).
    pub fn trueconf(sim: &Sim, user: &str) -> Peer {
        let password = format!("{user}-pass");
        Peer::spawn(
            user,
            &[
                "--protocol",
                "trueconf",
                "--server",
                &sim.url,
                "--user",
                user,
                "--password",
                &password,
            ],
        )
    }

    /// `chatwire connect --protocol tada` as `user` in the seeded team.
    pub fn tada(sim: &Sim, user: &str) -> Peer {
        let token = format!("{user}-token");
        Peer::spawn(
            user,
            &[
                "--protocol",
                "tada",
                "--server",
                &sim.url,
                "--team",
                TADA_TEAM,
                "--token",
                &token,
            ],
        )
    }

    /// `chatwire connect --protocol talk` as `user`, joining `rooms` from the command line.
    pub fn talk(sim: &Sim, user: &str, rooms: &[&str]) -> Peer {
        let password = format!("{user}-app-pass");
        let mut args = vec![
            "--protocol",
            "talk",
            "--server",
            &sim.url,
            "--user",
            user,
            "--password",
            &password,
        ];
        for room in rooms {
            args.extend(["--room", room]);
        }
        Peer::spawn(user, &args)
    }

    /// [`Peer::talk`] with more arguments (`--state FILE`, `--all-rooms`).
    pub fn talk_with(sim: &Sim, user: &str, rooms: &[&str], extra: &[&str]) -> Peer {
        let password = format!("{user}-app-pass");
        let mut args = vec![
            "--protocol",
            "talk",
            "--server",
            &sim.url,
            "--user",
            user,
            "--password",
            &password,
        ];
        for room in rooms {
            args.extend(["--room", room]);
        }
        args.extend(extra);
        Peer::spawn(user, &args)
    }

    /// Spawns `chatwire connect` with `args` and starts reading its output.
    pub fn spawn(name: &str, args: &[&str]) -> Peer {
        let mut child = Command::new(bin())
            .arg("connect")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn chatwire connect");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("connect stdout");
        let stderr = collect_stderr(&mut child);
        let seen = Arc::new((Mutex::new(Seen::default()), Condvar::new()));
        let sink = seen.clone();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let event = serde_json::from_str(&line)
                    .unwrap_or_else(|_| json!({"type": "unparsed", "line": line}));
                lock(&sink.0).events.push(event);
                sink.1.notify_all();
            }
            lock(&sink.0).closed = true;
            sink.1.notify_all();
        });
        Peer {
            name: name.to_string(),
            child,
            stdin,
            seen,
            stderr,
            next_tag: 0,
        }
    }

    /// Writes one command line.
    pub fn command(&mut self, cmd: &Value) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        writeln!(stdin, "{cmd}")
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("{}: cannot write a command: {e}", self.name));
    }

    /// Writes `bytes` to stdin as they are (lines that are not JSON, or not even UTF-8).
    pub fn write_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        stdin
            .write_all(bytes)
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("{}: cannot write to stdin: {e}", self.name));
    }

    /// Writes command `op` with `fields` and a fresh tag; returns the tag.
    pub fn submit(&mut self, op: &str, fields: Value) -> String {
        self.next_tag += 1;
        let tag = format!("{}-{}", self.name, self.next_tag);
        let mut cmd = fields;
        cmd["op"] = json!(op);
        cmd["tag"] = json!(tag);
        self.command(&cmd);
        tag
    }

    /// The `result` line of command `tag` (whether it succeeded or not).
    pub fn result(&self, tag: &str) -> Value {
        self.wait_for(&format!("the result of {tag}"), 0, |e| {
            e["type"] == "result" && e["tag"] == tag
        })
    }

    /// Runs command `op` and returns its reply; panics if it failed.
    pub fn call(&mut self, op: &str, fields: Value) -> Value {
        let tag = self.submit(op, fields);
        let result = self.result(&tag);
        assert_eq!(result["ok"], true, "{}: {op} failed: {result}", self.name);
        result["reply"].clone()
    }

    /// Sends `text` to `chat`; returns the message id the server gave it.
    pub fn send(&mut self, chat: &str, text: &str) -> String {
        let reply = self.call("send", json!({"chat": chat, "text": text}));
        reply["message_id"]
            .as_str()
            .unwrap_or_else(|| panic!("{}: send answered {reply}", self.name))
            .to_string()
    }

    /// How many events were printed so far: a `since` for [`Peer::wait_for`].
    pub fn mark(&self) -> usize {
        lock(&self.seen.0).events.len()
    }

    /// All events so far.
    pub fn events(&self) -> Vec<Value> {
        lock(&self.seen.0).events.clone()
    }

    /// The first event at index `since` or later that satisfies `pred`; panics after [`WAIT`]
    /// or when the process is gone, showing the last events.
    pub fn wait_for(&self, what: &str, since: usize, pred: impl Fn(&Value) -> bool) -> Value {
        self.wait_at(what, since, pred).1
    }

    /// Like [`Peer::wait_at`], also returning the event's index (a `since` for what follows).
    pub fn wait_at(
        &self,
        what: &str,
        since: usize,
        pred: impl Fn(&Value) -> bool,
    ) -> (usize, Value) {
        self.wait_within(what, since, WAIT, pred)
    }

    /// Like [`Peer::wait_at`] with a longer bound, for steps whose size the test chose
    /// (thousands of rooms).
    pub fn wait_within(
        &self,
        what: &str,
        since: usize,
        limit: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> (usize, Value) {
        let deadline = Instant::now() + limit;
        let (mutex, cvar) = &*self.seen;
        let mut seen = lock(mutex);
        let mut i = since;
        loop {
            while i < seen.events.len() {
                if pred(&seen.events[i]) {
                    return (i, seen.events[i].clone());
                }
                i += 1;
            }
            let now = Instant::now();
            if seen.closed || now >= deadline {
                let why = if seen.closed {
                    "chatwire connect exited"
                } else {
                    "timed out"
                };
                let last: Vec<String> = seen
                    .events
                    .iter()
                    .rev()
                    .take(12)
                    .rev()
                    .map(|e| e.to_string().chars().take(300).collect())
                    .collect();
                panic!(
                    "{}: {why} waiting for {what} ({limit:?})\nlast events:\n  {}\nstderr:\n{}",
                    self.name,
                    last.join("\n  "),
                    lock(&self.stderr)
                );
            }
            seen = cvar
                .wait_timeout(seen, deadline - now)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }

    /// Waits until message `id` was received (a `message_received` event) and returns it.
    pub fn wait_message(&self, id: &str) -> Value {
        self.wait_for(&format!("message {id}"), 0, |e| {
            e["type"] == "message_received" && e["message"]["id"] == id
        })["message"]
            .clone()
    }

    /// How many times each message id arrived as `message_received`.
    pub fn received_counts(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for e in self.events() {
            if e["type"] == "message_received" {
                if let Some(id) = e["message"]["id"].as_str() {
                    *counts.entry(id.to_string()).or_insert(0) += 1;
                }
            }
        }
        counts
    }

    /// Waits for the process to exit by itself (a permanent failure); its exit status.
    pub fn wait_exit(&mut self) -> Option<ExitStatus> {
        wait_exit(&mut self.child, WAIT)
    }

    /// Closes stdin and waits for a clean exit; panics if it does not exit with status 0
    /// within [`WAIT`].
    pub fn finish(mut self) {
        drop(self.stdin.take());
        let status = wait_exit(&mut self.child, WAIT);
        assert!(
            status.is_some_and(|s| s.success()),
            "{}: chatwire connect did not exit cleanly on stdin EOF: {status:?}\nstderr:\n{}",
            self.name,
            lock(&self.stderr)
        );
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A predicate on the event `type`.
pub fn is_type(kind: &'static str) -> impl Fn(&Value) -> bool {
    move |e| e["type"] == kind
}

/// The text of a received message.
pub fn text(message: &Value) -> &str {
    message["content"]["text"].as_str().unwrap_or_default()
}
