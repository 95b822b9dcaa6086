#!/usr/bin/env python3
"""The chatwire demo: alice and bob talk over TrueConf, tada.team and Nextcloud Talk.

Starts `chatwire sim` on loopback, then for each protocol runs two `chatwire connect` processes
(alice and bob), drives them with JSON-line commands on their stdin, reads the JSON-line events
they print, and tells the story: who said what, what each side received, and how the unread
counts and read markers moved.

    python3 examples/demo.py [--bin PATH] [--timeout SECONDS] [--verbose]

`./scripts/demo.sh` builds the binary and runs this. Python 3.11+, standard library only.
Exit status: 0 when every step happened; 1 with the step that did not (every wait is bounded by
--timeout); 2 on a usage error. Every child process is stopped on the way out, whatever happens.
"""

from __future__ import annotations

import argparse
import atexit
import itertools
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent

# The simulator's seeded accounts (sim/src/seed.rs): fixed on every run.
TADA_TEAM = "team-sim"
TADA_GROUP = "g-5eed0000-0000-4000-8000-000000000001"
TALK_ROOM = "room-ab"
NAMES = {
    "alice@sim.local": "alice",
    "bob@sim.local": "bob",
    "d-a11ce000-0000-4000-8000-000000000001": "alice",
    "d-b0b00000-0000-4000-8000-000000000002": "bob",
}

Event = dict[str, Any]


class DemoFailed(Exception):
    """An expected step did not happen; the message says which."""


# ---------------------------------------------------------------------------------------------
# Child processes


CHILDREN: list[subprocess.Popen] = []


def stop_children() -> None:
    """Stops every child still running: SIGTERM, then SIGKILL after a short grace."""
    for proc in CHILDREN:
        if proc.poll() is None:
            try:
                proc.terminate()
            except OSError:
                pass
    deadline = time.monotonic() + 3
    for proc in CHILDREN:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    CHILDREN.clear()


def _die_with_parent() -> None:
    """In the child, before exec: get SIGKILL if the demo itself is killed (Linux only).

    `chatwire connect` already leaves on stdin EOF; the simulator does not watch stdin.
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort: not Linux, no glibc
        pass


def tail(log) -> str:
    """The last lines a child wrote to its stderr log, indented, or '' when it wrote none."""
    log.flush()
    log.seek(0)
    lines = log.read().splitlines()[-8:]
    return "".join(f"\n      | {line}" for line in lines)


def start_sim(binary: str, timeout: float,
              flags: tuple[str, ...] = ("--seed", "1")) -> tuple[str, subprocess.Popen, Any]:
    """Starts `chatwire sim --protocol all` on a free loopback port; returns its base URL.

    `flags` are further `chatwire sim` flags (the soak passes its own seed and faults).
    """
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(
        [binary, "sim", "--protocol", "all", "--listen", "127.0.0.1:0", *flags],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    CHILDREN.append(proc)
    first: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in proc.stdout:  # keeps draining after the first line
            first.put(line)
        first.put("")

    threading.Thread(target=read, daemon=True).start()
    try:
        line = first.get(timeout=timeout)
    except queue.Empty:
        raise DemoFailed(f"chatwire sim printed no address within {timeout:g} s{tail(log)}")
    try:
        return json.loads(line)["listening"], proc, log
    except (ValueError, KeyError, TypeError):
        raise DemoFailed(f"chatwire sim did not start: {line.strip()!r}{tail(log)}")


class Peer:
    """One `chatwire connect` process: commands in on stdin, events out on stdout."""

    def __init__(self, name: str, binary: str, server: str, protocol: str, *args: str,
                 timeout: float, verbose: bool, first: list[dict] | None = None):
        self.name = name
        self.timeout = timeout
        self.verbose = verbose
        self.events: list[Event] = []
        self.cond = threading.Condition()
        self.done = False
        self.tags = itertools.count(1)
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            [binary, "connect", "--protocol", protocol, "--server", server, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            bufsize=1,
        )
        CHILDREN.append(self.proc)
        # Commands written before the process has even connected are queued by the client and
        # go out right after authentication.
        for cmd in first or []:
            self.write(cmd)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                event = {"type": "unparsed", "line": line.rstrip("\n")}
            if self.verbose:
                try:
                    print(f"      . {self.name} <- {line.rstrip()}", flush=True)
                except (BrokenPipeError, ValueError):  # our stdout is gone: keep reading
                    self.verbose = False
            with self.cond:
                self.events.append(event)
                self.cond.notify_all()
        with self.cond:
            self.done = True
            self.cond.notify_all()

    def write(self, cmd: dict) -> None:
        if self.verbose:
            print(f"      . {self.name} -> {json.dumps(cmd)}", flush=True)
        try:
            self.proc.stdin.write(json.dumps(cmd) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            raise DemoFailed(f"{self.name}: chatwire connect is gone{tail(self.log)}")

    def mark(self) -> int:
        """A position in the event list: `wait(..., since=mark)` looks only at what came after."""
        with self.cond:
            return len(self.events)

    def wait(self, what: str, pred: Callable[[Event], bool], since: int = 0) -> Event:
        """The first event at or after `since` that satisfies `pred`, within the timeout."""
        deadline = time.monotonic() + self.timeout
        i = since
        with self.cond:
            while True:
                while i < len(self.events):
                    event = self.events[i]
                    i += 1
                    if pred(event):
                        return event
                if self.done:
                    code = self.proc.wait()
                    raise DemoFailed(f"{self.name}: chatwire connect exited (status {code}) "
                                     f"before {what}{tail(self.log)}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise DemoFailed(f"{self.name}: waited {self.timeout:g} s for {what}; "
                                     "it did not come")
                self.cond.wait(left)

    def submit(self, op: str, **fields: Any) -> str:
        """Writes a command without waiting; returns its tag for `result`."""
        tag = f"{self.name}-{next(self.tags)}"
        self.write({"op": op, "tag": tag, **fields})
        return tag

    def result(self, tag: str, op: str) -> dict:
        """Waits for the result of command `tag`; its reply, or DemoFailed when it failed."""
        res = self.wait(f"answer to {op!r}",
                        lambda e: e.get("type") == "result" and e.get("tag") == tag)
        if not res.get("ok"):
            raise DemoFailed(f"{self.name}: {op} failed: {res.get('message')} ({res.get('error')})")
        return res.get("reply") or {}

    def call(self, op: str, **fields: Any) -> dict:
        """Runs a command and returns its reply."""
        return self.result(self.submit(op, **fields), op)

    def close(self) -> None:
        """Closes stdin (the client finishes what is in flight and exits) and waits for it."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            code = self.proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise DemoFailed(f"{self.name}: chatwire connect did not exit within "
                             f"{self.timeout:g} s of stdin EOF")
        self.reader.join(timeout=self.timeout)
        if code != 0:
            raise DemoFailed(f"{self.name}: chatwire connect exited with status {code}"
                             f"{tail(self.log)}")


# ---------------------------------------------------------------------------------------------
# The story


def title(text: str) -> None:
    print(f"\n=== {text} ===", flush=True)


def say(who: str, text: str) -> None:
    print(f"  {who:<6} {text}", flush=True)


def note(text: str) -> None:
    print(f"         ({text})", flush=True)


def short(ident: str) -> str:
    return ident if len(ident) <= 12 else ident[:8] + "..."


def author(message: dict) -> str:
    a = message.get("author") or {}
    return NAMES.get(a.get("id"), a.get("display_name") or a.get("id") or "?").lower()


def text_of(message: dict) -> str:
    content = message.get("content") or {}
    if content.get("type") == "system":
        return f"({content.get('code') or content.get('text')})"
    return content.get("text") or f"<{content.get('type')}>"


def is_type(kind: str) -> Callable[[Event], bool]:
    return lambda e: e.get("type") == kind


def received(mid: str) -> Callable[[Event], bool]:
    return lambda e: e.get("type") == "message_received" and e["message"].get("id") == mid


def read_state(chat: str, check: Callable[[dict], bool]) -> Callable[[Event], bool]:
    return lambda e: (e.get("type") == "read_state_changed" and e.get("chat_id") == chat
                      and check(e["state"]))


def unread_is(chat: str, n: int) -> Callable[[Event], bool]:
    return read_state(chat, lambda s: s.get("unread") == n)


def badge_is(n: int) -> Callable[[Event], bool]:
    return lambda e: e.get("type") == "counters" and e.get("badge") == n


def exchange(sender: Peer, receiver: Peer, chat: str, text: str) -> str:
    """`sender` sends `text`; waits until `receiver` got it. Returns the message id."""
    since = receiver.mark()
    reply = sender.call("send", chat=chat, text=text)
    mid = reply["message_id"]
    say(sender.name, f'says "{text}"  [message {short(mid)}]')
    got = receiver.wait(f"message {short(mid)} ({text!r})", received(mid), since)["message"]
    say(receiver.name, f'<- {author(got)}: "{text_of(got)}"')
    return mid


def unread_in(reply: dict, chat: str) -> int | None:
    for c in reply.get("chats", []):
        if c.get("id") == chat:
            return c.get("unread")
    raise DemoFailed(f"chat {short(chat)} is missing from the chat list")


def demo_trueconf(binary: str, server: str, timeout: float, verbose: bool) -> None:
    title("TrueConf Chatbot API: WebSocket, json.v1, OAuth password grant")

    def peer(name: str, first: list[dict] | None = None) -> Peer:
        return Peer(name, binary, server, "trueconf", "--user", name, "--password",
                    f"{name}-pass", timeout=timeout, verbose=verbose, first=first)

    alice, bob = peer("alice"), peer("bob")
    for p in (alice, bob):
        say(p.name, f"connected as {p.wait('connected event', is_type('connected'))['user_id']}")

    topic = "chatwire demo"
    chat = alice.call("request", method="createGroupChat", payload={"title": topic})["chat_id"]
    say("alice", f'creates group chat "{topic}"  [chat {short(chat)}]')
    since = bob.mark()
    alice.call("request", method="addChatParticipant",
               payload={"chatId": chat, "userId": "bob@sim.local"})
    say("alice", "adds bob@sim.local (addChatParticipant)")
    made = bob.wait("chat_created for the new chat",
                    lambda e: e.get("type") == "chat_created" and e["chat"]["id"] == chat, since)
    say("bob", f'<- chat "{made["chat"]["title"]}" appears in his list '
               f'(unread {made["chat"].get("unread")})')
    added = bob.wait("participant_added",
                     lambda e: e.get("type") == "participant_added" and e["chat_id"] == chat,
                     since)
    say("bob", f"<- {added['user_id']} added by {added['by']}")

    exchange(alice, bob, chat, "Hi Bob, welcome to the demo chat!")
    since = alice.mark()
    bob.call("typing", chat=chat)
    alice.wait("bob's typing", lambda e: e.get("type") == "chat_activity" and e["chat_id"] == chat,
               since)
    say("alice", "<- bob is typing… (sendChatActivity)")
    last = exchange(bob, alice, chat, "Thanks Alice, glad to be here.")

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "agenda.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("1. welcome\n2. standup\n")
        since = bob.mark()
        sent = alice.call("send_file", chat=chat, path=path, caption="today's agenda")
        say("alice", f"sends agenda.txt (uploadFile, the bytes over HTTP, sendFile)"
                     f"  [message {short(sent['message_id'])}]")
        got = bob.wait("the file", lambda e: e.get("type") == "message_received"
                       and e["message"]["content"].get("type") == "attachment", since)["message"]
        say("bob", f"<- {author(got)}: file {got['content'].get('name')!r}")
    alice.call("read", chat=chat, message=last)
    say("alice", f"marks read up to {short(last)}")
    note("TrueConf has no read request: the ack each client sends on arrival marks it read")
    unread = unread_in(alice.call("chats"), chat)
    say("alice", f"getChats: unread {unread}")
    if unread != 0:
        raise DemoFailed(f"alice: getChats says unread {unread}, expected 0")

    bob.close()
    say("bob", "goes offline")
    missed = []
    for text in ("Bob, are you there?", "Ping me when you are back."):
        missed.append(alice.call("send", chat=chat, text=text)["message_id"])
        say("alice", f'says "{text}"  [message {short(missed[-1])}]  (bob is offline)')

    # Bob comes back; his getChats is queued before the connection opens, so it goes out right
    # after `auth` (with receiveUnread), ahead of the acks for the messages the server re-sends.
    bob = peer("bob", first=[{"op": "chats", "tag": "bob-before"}])
    say("bob", f"back online as {bob.wait('connected event', is_type('connected'))['user_id']}")
    before = unread_in(bob.result("bob-before", "chats"), chat)
    say("bob", f"getChats: unread {before} in \"{topic}\"")
    if before != len(missed):
        note(f"expected {len(missed)}: his client had already acknowledged them")
    for mid in missed:
        got = bob.wait(f"missed message {short(mid)}", received(mid))["message"]
        say("bob", f'<- {author(got)}: "{text_of(got)}"  (delivered on reconnect)')
    bob.call("read", chat=chat, message=missed[-1])
    say("bob", f"marks read up to {short(missed[-1])}")
    after = unread_in(bob.call("chats"), chat)
    say("bob", f"getChats: unread {after}")
    if after != 0:
        raise DemoFailed(f"bob: getChats says unread {after} after reading, expected 0")
    states = [e["state"]["unread"] for e in bob.events if read_state(chat, lambda s: True)(e)]
    say("bob", f"his read_state_changed events said unread {' -> '.join(map(str, states))}")
    note("each missed message arrives already acknowledged; getChats reports the server's "
         "count when it ran")
    for p in (alice, bob):
        p.close()
    print("  ok: TrueConf", flush=True)


def demo_tada(binary: str, server: str, timeout: float, verbose: bool) -> None:
    title("tada.team: WebSocket /messaging/team-sim, confirm ids, gentime-versioned counters")

    def peer(name: str) -> Peer:
        return Peer(name, binary, server, "tada", "--team", TADA_TEAM, "--token",
                    f"{name}-token", timeout=timeout, verbose=verbose)

    alice, bob = peer("alice"), peer("bob")
    chat = TADA_GROUP
    for p in (alice, bob):
        p.wait("connected event", is_type("connected"))
        made = p.wait("the seeded group chat",
                      lambda e: e.get("type") == "chat_created" and e["chat"]["id"] == chat)
        counters = p.wait("counters", is_type("counters"))
        say(p.name, f'connected; group "{made["chat"]["title"]}" unread '
                    f'{made["chat"].get("unread")}, badge {counters["badge"]}')

    since = bob.mark()
    exchange(alice, bob, chat, "Morning team!")
    second = exchange(alice, bob, chat, "Standup in five minutes.")
    state = bob.wait("unread 2 in the group", unread_is(chat, 2), since)["state"]
    counters = bob.wait("badge 2", badge_is(2), since)
    say("bob", f"server says: unread {state['unread']} in the group (gentime {state['version']}), "
               f"badge {counters['badge']}, team_unread.group {counters['team_unread']['group']}")

    since, seen = bob.mark(), state["version"]
    bob.call("read", chat=chat, message=second)
    say("bob", f"marks read up to {short(second)} (client.chat.lastread)")
    state = bob.wait("unread 0 after reading", unread_is(chat, 0), since)["state"]
    say("bob", f"his client shows unread {state['unread']} at once (optimistic, same gentime)")
    state = bob.wait("the server's read state (a newer gentime)",
                     read_state(chat, lambda s: s.get("version", 0) > seen), since)["state"]
    counters = bob.wait("badge 0", badge_is(0), since)
    say("bob", f"server says: unread {state['unread']}, last read "
               f"{short(state['last_read_message_id'] or '-')} (gentime {state['version']}), "
               f"badge {counters['badge']}")
    if state["unread"] != 0 or state["last_read_message_id"] != second:
        raise DemoFailed(f"bob: the server's read state is {state}, expected unread 0 "
                         f"read up to {second}")

    since = alice.mark()
    reply = exchange(bob, alice, chat, "On my way.")
    state = alice.wait("unread 1 for alice", unread_is(chat, 1), since)["state"]
    say("alice", f"server says: unread {state['unread']} in the group")
    since, seen = alice.mark(), state["version"]
    alice.call("read", chat=chat, message=reply)
    say("alice", f"marks read up to {short(reply)}")
    state = alice.wait("the server's read state for alice (a newer gentime)",
                       read_state(chat, lambda s: s.get("version", 0) > seen), since)["state"]
    counters = alice.wait("badge 0 for alice", badge_is(0), since)
    say("alice", f"server says: unread {state['unread']} (gentime {state['version']}), "
                 f"badge {counters['badge']}")
    if state["unread"] != 0:
        raise DemoFailed(f"alice: the server says unread {state['unread']} after reading")
    for p in (alice, bob):
        p.close()
    print("  ok: tada", flush=True)


def demo_talk(binary: str, server: str, timeout: float, verbose: bool) -> None:
    title("Nextcloud Talk: REST long-poll, OCS envelopes, common read marker")

    def peer(name: str) -> Peer:
        return Peer(name, binary, server, "talk", "--user", name, "--password",
                    f"{name}-app-pass", timeout=timeout, verbose=verbose)

    alice, bob = peer("alice"), peer("bob")
    room = TALK_ROOM
    for p in (alice, bob):
        since = p.mark()
        p.call("join", room=room)
        # The room list read at start may already have reported this room's read state, and
        # the join reports only a change: any report of it will do.
        p.wait("the room's history", read_state(room, lambda s: True), 0)
        history = [e["message"] for e in p.events[since:] if e.get("type") == "message_received"]
        kinds = ", ".join(text_of(m) for m in history)
        say(p.name, f"joins {room}: {len(history)} messages of history {kinds}")

    since = bob.mark()
    exchange(alice, bob, room, "Hi Bob, the build is green.")
    last = exchange(alice, bob, room, "Shall we ship it?")
    state = bob.wait("unread 2 for bob", unread_is(room, 2), since)["state"]
    say("bob", f"unread {state['unread']} in {room}")

    since = bob.mark()
    bob.call("read", chat=room, message=last)
    say("bob", f"marks read up to {last} (POST /chat/{room}/read)")
    state = bob.wait("unread 0 for bob", unread_is(room, 0), since)["state"]
    say("bob", f"unread {state['unread']}, common read {state['last_common_read_id']} "
               "(the oldest read marker of the room's members)")

    since = alice.mark()
    reply = exchange(bob, alice, room, "Ship it.")
    state = alice.wait("unread 1 for alice", unread_is(room, 1), since)["state"]
    say("alice", f"unread {state['unread']} in {room}")
    a_since, b_since = alice.mark(), bob.mark()
    alice.call("read", chat=room, message=reply)
    say("alice", f"marks read up to {reply}")
    state = alice.wait("unread 0 for alice", unread_is(room, 0), a_since)["state"]
    say("alice", f"unread {state['unread']}, common read {state['last_common_read_id']}")
    # Bob's long-poll carries lastCommonReadId, so the server answers it at once when the
    # common marker moves: that is how the sender learns everyone has read his message.
    bob.wait(f"common read {reply} at bob",
             read_state(room, lambda s: s.get("last_common_read_id") == reply), b_since)
    say("bob", f"<- common read moved to {reply}: alice has read his reply")
    for p in (alice, bob):
        p.close()
    print("  ok: Talk", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=os.environ.get("CHATWIRE_BIN"),
                        help="the chatwire binary (default: $CHATWIRE_BIN, else "
                             "target/release/chatwire)")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds to wait for each expected step (default 10)")
    parser.add_argument("--verbose", action="store_true",
                        help="also print every command and JSON line exchanged")
    args = parser.parse_args()
    binary = args.bin or str(ROOT / "target" / "release" / "chatwire")
    if not os.access(binary, os.X_OK):
        print(f"demo: no chatwire binary at {binary}; build it with "
              "`cargo build --release -p chatwire-cli` or pass --bin", file=sys.stderr)
        return 2

    # Ctrl-C and SIGTERM unwind through `finally` like a failure does.
    def interrupted(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    atexit.register(stop_children)
    started = time.monotonic()
    sim_log = None
    try:
        server, _sim, sim_log = start_sim(binary, args.timeout)
        print(f"chatwire sim listening on {server} (TrueConf, tada and Talk on one port)")
        for demo in (demo_trueconf, demo_tada, demo_talk):
            demo(binary, server, args.timeout, args.verbose)
    except DemoFailed as e:
        print(f"\ndemo FAILED: {e}", file=sys.stderr, flush=True)
        if sim_log is not None and tail(sim_log):
            print(f"  simulator stderr:{tail(sim_log)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ndemo interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Whoever read our output left (`| head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    finally:
        stop_children()
    print(f"\nAll three protocols done in {time.monotonic() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
