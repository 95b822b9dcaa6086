#!/usr/bin/env python3
"""The fault soak: two `chatwire connect` clients per protocol exchange numbered messages
through `chatwire sim` under injected faults, and every message is accounted for.

    python3 tests/soak/soak.py [--bin PATH] [--quick] [--messages N] [--seed N]
                               [--only PROTOCOL[/MIX]] [--settle SECONDS] [--verbose]

One cell = one protocol under one fault mix, on a fresh simulator. alice and bob connect
(TrueConf: alice creates a group chat and adds bob; tada: the seeded group; Talk: the seeded
room, both join), the faults are switched on (`POST /admin/inject`, some repeated by a timer:
disconnects, Talk 429/503 bursts, TrueConf token expiry), N numbered messages are sent (every
tenth by bob, the rest by alice; at most WINDOW unanswered per sender), the faults are switched
off, and the cell waits up to --settle seconds for everything to arrive. Then each side's read
state is compared with the server's answer, before and after each marks read the newest message
of the other.

A cell passes when: 0 lost (each message is delivered to the other side, or its send reported
failed with a reason: counted apart), 0 duplicates (by text), 0 sends never answered, 0 out of
order (per sender, as received), read state equal to the server's, and no client died or
panicked. It prints a table, then `N passed, N failed` alone on the last line; exit status 1
when a cell failed, 2 on a usage error. Every wait is bounded; every child is stopped on exit.

Python 3.11+, standard library only. `./scripts/soak.sh` builds the binary and runs this.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "examples"))

import demo  # noqa: E402 - the Peer / simulator machinery of examples/demo.py
from demo import DemoFailed, Peer  # noqa: E402

WINDOW = 16  # unanswered sends per sender: paced like an app, not one burst of N
POLL = 0.05  # seconds between looks at the event lists

# Everything off: sent once the sends are answered, before the settle phase.
FAULTS_OFF = {"drop_after_frames": None, "delay_ms": 0, "duplicate": False, "reorder": False,
              "malformed_every": None, "http_429_burst": 0, "http_503_burst": 0,
              "http_outage_ms": 0}


@dataclass
class Mix:
    """A fault mix: fields for `POST /admin/inject` once, and repeated ones on a timer."""

    name: str
    once: dict[str, Any] = field(default_factory=dict)
    # (every seconds, [inject bodies used in turn])
    every: tuple[float, list[dict[str, Any]]] | None = None


WS_MIXES = [
    Mix("none"),
    Mix("dup+reorder+malformed", {"duplicate": True, "reorder": True, "malformed_every": 7}),
    Mix("drop after 300 frames", {"drop_after_frames": 300}),
    Mix("disconnect every 1s", every=(1.0, [{"disconnect_all": True}])),
    Mix("mix", {"delay_ms": 2, "duplicate": True, "reorder": True, "malformed_every": 11},
        every=(1.5, [{"disconnect_all": True}])),
]
TRUECONF_MIXES = WS_MIXES + [
    Mix("token expiry every 1s", every=(1.0, [{"expire_tokens": True}])),
    Mix("mix+expiry", {"delay_ms": 2, "duplicate": True, "reorder": True, "malformed_every": 11},
        every=(1.0, [{"disconnect_all": True}, {"expire_tokens": True}])),
]
# Talk is HTTP: the WebSocket faults do not apply; a burst answers the next N Talk requests
# (sends and long-polls alike) 429 or 503; an outage answers every request 503 for a time, with
# `Retry-After` as Nextcloud in maintenance mode sends it. (A count-based burst of 12 every
# 1.5 s was tried first: it punishes backing off, since a client that waits longer meets the
# same 12 refusals later, so it measured a server that is never up rather than an outage.)
TALK_MIXES = [
    Mix("none"),
    Mix("429/503 bursts", {"http_429_burst": 3},
        every=(0.4, [{"http_503_burst": 3}, {"http_429_burst": 3}])),
    Mix("503 outages", {"http_outage_ms": 1000, "http_retry_after_secs": 1},
        every=(3.0, [{"http_outage_ms": 1000}])),
]
MIXES = {"trueconf": TRUECONF_MIXES, "tada": WS_MIXES, "talk": TALK_MIXES}
QUICK = {"trueconf": ["mix+expiry"], "tada": ["drop after 300 frames", "mix"],
         "talk": ["none", "429/503 bursts"]}

TEXT = re.compile(r"^soak (\w+) #(\d+)$")


# Events that say a part of the client stopped or gave up: shown in the cell's notes.
NOTABLE = ("room_stopped", "connection_dead", "auth_failed", "connect_failed", "warning",
           "token_expired")


def _brief(e: dict) -> str:
    text = json.dumps({k: v for k, v in e.items() if k != "raw"}, separators=(",", ":"))
    return text if len(text) <= 160 else text[:157] + "..."


class CellFailed(Exception):
    """The cell could not run to its end (set-up failed, a client died); the reason says why."""


def log(text: str) -> None:
    print(text, flush=True)


def post(server: str, path: str, body: dict, timeout: float = 5.0) -> Any:
    req = urllib.request.Request(server + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"null")


def get(server: str, path: str, headers: dict[str, str] | None = None,
        timeout: float = 5.0) -> Any:
    req = urllib.request.Request(server + path, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


class Side:
    """What one client has shown so far, read incrementally from its event list."""

    def __init__(self, peer: Peer, chat: str):
        self.peer = peer
        self.chat = chat
        self.seen = 0
        self.results: dict[str, dict] = {}
        self.received: list[tuple[str, int, str]] = []  # (sender, seq, message id)
        self.unread: int | None = None  # the last read_state_changed for the chat
        self.last_id: str | None = None  # the latest arrival in the chat
        self.own_ids: list[str] = []  # ids of this side's sent messages, as answered
        self.connects = 0
        self.protocol_errors = 0
        self.kinds: dict[str, int] = {}  # events by type, for the cell's notes
        self.notable: list[str] = []  # events that mean something stopped or broke

    def pump(self) -> None:
        with self.peer.cond:
            new = self.peer.events[self.seen:]
            self.seen += len(new)
        for e in new:
            kind = e.get("type")
            self.kinds[str(kind)] = self.kinds.get(str(kind), 0) + 1
            if kind in NOTABLE:
                self.notable.append(_brief(e))
            if kind == "result":
                self.results[str(e.get("tag"))] = e
                sent = (e.get("reply") or {}).get("message_id") if e.get("ok") else None
                if sent is not None:
                    self.own_ids.append(str(sent))
            elif kind == "connected":
                self.connects += 1
            elif kind == "protocol_error":
                self.protocol_errors += 1
            elif kind == "read_state_changed" and e.get("chat_id") == self.chat:
                self.unread = (e.get("state") or {}).get("unread")
            elif kind == "message_received":
                m = e.get("message") or {}
                if m.get("chat_id") in (None, self.chat):
                    self.last_id = str(m.get("id"))
                text = (m.get("content") or {}).get("text") or ""
                hit = TEXT.match(text)
                if hit and hit.group(1) != self.peer.name:
                    self.received.append((hit.group(1), int(hit.group(2)), str(m.get("id"))))

    def alive(self) -> None:
        if self.peer.done or self.peer.proc.poll() is not None:
            raise CellFailed(f"{self.peer.name}: chatwire connect exited "
                             f"(status {self.peer.proc.poll()}){demo.tail(self.peer.log)}")


def until(what: str, check: Callable[[], bool], timeout: float, sides: list[Side]) -> bool:
    """Pumps the sides until `check()` holds; False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        for s in sides:
            s.pump()
        if check():
            return True
        for s in sides:
            s.alive()
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL)


class Injector(threading.Thread):
    """Posts the mix's repeated faults on a timer until stopped."""

    def __init__(self, server: str, every: tuple[float, list[dict]]):
        super().__init__(daemon=True)
        self.server, (self.period, self.bodies) = server, every
        self.stop = threading.Event()
        self.count = 0

    def run(self) -> None:
        i = 0
        while not self.stop.wait(self.period):
            try:
                post(self.server, "/admin/inject", self.bodies[i % len(self.bodies)])
                self.count += 1
            except OSError:
                pass  # the simulator is going away with the cell
            i += 1


@dataclass
class Row:
    protocol: str
    mix: str
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    lost: int = 0
    dups: int = 0
    ooo: int = 0
    unresolved: int = 0
    reconnects: int = 0
    read_ok: bool = False
    late: int = 0  # delivered only after every send was answered (during the settle)
    seconds: float = 0.0
    send_seconds: float = 0.0  # from the first send until every send was answered
    problems: list[str] = field(default_factory=list)
    send_failures: list[str] = field(default_factory=list)  # the distinct reasons given
    events: list[str] = field(default_factory=list)  # notable client events, summed up
    sim_faults: int = 0  # client faults the simulator logged (GET /admin/faults)

    @property
    def passed(self) -> bool:
        return (not self.problems and self.lost == 0 and self.dups == 0 and self.ooo == 0
                and self.unresolved == 0 and self.read_ok)


# ---------------------------------------------------------------------------------------------
# Per-protocol set-up and the server's read state


def talk_unread(server: str, user: str, room: str) -> int | None:
    auth = base64.b64encode(f"{user}:{user}-app-pass".encode()).decode()
    reply = get(server, "/ocs/v2.php/apps/spreed/api/v4/room?format=json",
                {"OCS-APIRequest": "true", "Accept": "application/json",
                 "Authorization": f"Basic {auth}"})
    for r in reply["ocs"]["data"]:
        if r.get("token") == room:
            return r.get("unreadMessages")
    return None


class Setup:
    """Starts the two clients of a protocol and answers the server's unread for a side."""

    def __init__(self, protocol: str, binary: str, server: str, seed: int, timeout: float,
                 verbose: bool):
        self.protocol, self.binary, self.server = protocol, binary, server
        self.seed, self.timeout, self.verbose = seed, timeout, verbose

    def peer(self, name: str, n: int) -> Peer:
        seed = ("--seed", str(self.seed * 10 + n))
        if self.protocol == "trueconf":
            args = ("--user", name, "--password", f"{name}-pass")
        elif self.protocol == "tada":
            args = ("--team", demo.TADA_TEAM, "--token", f"{name}-token")
        else:
            args = ("--user", name, "--password", f"{name}-app-pass")
        return Peer(name, self.binary, self.server, self.protocol, *args, *seed,
                    timeout=self.timeout, verbose=self.verbose)

    def start(self) -> tuple[Peer, Peer, str]:
        alice, bob = self.peer("alice", 1), self.peer("bob", 2)
        try:
            if self.protocol == "trueconf":
                for p in (alice, bob):
                    p.wait("connected", demo.is_type("connected"))
                chat = alice.call("request", method="createGroupChat",
                                  payload={"title": "soak"})["chat_id"]
                since = bob.mark()
                alice.call("request", method="addChatParticipant",
                           payload={"chatId": chat, "userId": "bob@sim.local"})
                bob.wait("chat_created", lambda e: e.get("type") == "chat_created"
                         and e["chat"]["id"] == chat, since)
            elif self.protocol == "tada":
                chat = demo.TADA_GROUP
                for p in (alice, bob):
                    p.wait("the seeded group", lambda e: e.get("type") == "chat_created"
                           and e["chat"]["id"] == chat)
            else:
                chat = demo.TALK_ROOM
                for p in (alice, bob):
                    p.call("join", room=chat)
                    # The room's read state may come with the room list, before the join.
                    p.wait("the room's read state", demo.read_state(chat, lambda s: True))
        except DemoFailed as e:
            raise CellFailed(f"set-up: {e}") from None
        return alice, bob, chat

    def server_unread(self, side: Side, n: int) -> int | None:
        """The server's unread count of `side`'s user in the chat."""
        name = side.peer.name
        if self.protocol == "trueconf":
            return demo.unread_in(side.peer.call("chats"), side.chat)
        if self.protocol == "talk":
            return talk_unread(self.server, name, side.chat)
        # tada has no counters over REST: a fresh connection of the same user is told them.
        observer = self.peer(name, 50 + n)
        observer.name = f"{name}-observer"
        try:
            made = observer.wait("the group", lambda e: e.get("type") == "chat_created"
                                 and e["chat"]["id"] == side.chat)
            return made["chat"].get("unread")
        finally:
            observer.proc.stdin.close()
            try:
                observer.proc.wait(timeout=5)
            except Exception:  # noqa: BLE001 - stop_children kills it on the way out
                observer.proc.kill()


# ---------------------------------------------------------------------------------------------
# One cell


def run_cell(protocol: str, mix: Mix, args: argparse.Namespace, seed: int) -> Row:
    row = Row(protocol, mix.name)
    started = time.monotonic()
    server, _sim, sim_log = demo.start_sim(args.bin, args.timeout, ("--seed", str(seed)))
    setup = Setup(protocol, args.bin, server, seed, args.timeout, args.verbose)
    injector = None
    peers: list[Peer] = []
    try:
        alice, bob, chat = setup.start()
        peers = [alice, bob]
        sides = {"alice": Side(alice, chat), "bob": Side(bob, chat)}
        both = list(sides.values())
        for s in both:
            s.pump()
        connects0 = sum(s.connects for s in both)

        if mix.once:
            post(server, "/admin/inject", mix.once)
        if mix.every:
            injector = Injector(server, mix.every)
            injector.start()

        # Send: every tenth message by bob, the rest by alice, at most WINDOW unanswered each.
        tags: dict[int, tuple[str, str]] = {}  # seq -> (sender, tag)
        phase = time.monotonic()
        send_deadline = phase + args.send_timeout
        for seq in range(1, args.messages + 1):
            sender = "bob" if seq % 10 == 0 else "alice"
            side = sides[sender]
            mine = [t for (who, t) in tags.values() if who == sender]

            def room() -> bool:
                return sum(1 for t in mine if t not in side.results) < WINDOW

            if not until("a free send slot", room, send_deadline - time.monotonic(), both):
                row.problems.append(f"send phase timed out at message {seq} after "
                                    f"{args.send_timeout:g} s ({WINDOW} sends of {sender} "
                                    "unanswered)")
                break
            try:
                tags[seq] = (sender, side.peer.submit("send", chat=chat,
                                                      text=f"soak {sender} #{seq}"))
            except DemoFailed as e:
                raise CellFailed(str(e)) from None
        row.sent = len(tags)

        def answered() -> bool:
            return all(t in sides[who].results for (who, t) in tags.values())

        until("every send answered", answered, max(1.0, send_deadline - time.monotonic()), both)
        row.send_seconds = time.monotonic() - phase
        early = {(n, q) for n, s in sides.items() for (_, q, _) in s.received}
        if injector:
            injector.stop.set()
            injector.join(timeout=5)
        post(server, "/admin/inject", FAULTS_OFF)

        # Settle: what was sent and not reported failed should now arrive.
        def expected() -> dict[str, set[int]]:
            want: dict[str, set[int]] = {"alice": set(), "bob": set()}
            for seq, (who, t) in tags.items():
                res = sides[who].results.get(t)
                if res is None or res.get("ok"):
                    want["bob" if who == "alice" else "alice"].add(seq)
            return want

        def settled() -> bool:
            want = expected()
            return answered() and all(
                want[n] <= {q for (_, q, _) in s.received} for n, s in sides.items())

        until("everything delivered", settled, args.settle, both)
        time.sleep(0.5)  # late duplicates and read states
        for s in both:
            s.pump()

        # Account for every message.
        lost: dict[str, list[int]] = {"alice": [], "bob": []}
        unanswered: dict[str, list[int]] = {"alice": [], "bob": []}
        for seq, (who, t) in tags.items():
            other = sides["bob" if who == "alice" else "alice"]
            got = sum(1 for (_, q, _) in other.received if q == seq)
            res = sides[who].results.get(t)
            if res is None:
                row.unresolved += 1
                unanswered[who].append(seq)
            if got:
                row.delivered += 1
                row.late += (other.peer.name, seq) not in early
                row.dups += got - 1
            elif res is not None and not res.get("ok") and (res.get("message") or res.get("error")):
                row.failed += 1
            elif res is not None:
                row.lost += 1
                lost[who].append(seq)
        for who, seqs in lost.items():
            if seqs:
                row.problems.append(f"lost {len(seqs)} sent by {who} (answered ok, never "
                                    f"received): #{_ranges(seqs)}")
        for who, seqs in unanswered.items():
            if seqs:
                row.problems.append(f"{len(seqs)} sends by {who} never answered: "
                                    f"#{_ranges(seqs)}")
        for s in both:
            last, behind = 0, []
            for (_, q, _) in s.received:
                if q < last:
                    row.ooo += 1
                    behind.append(f"#{q} after #{last}")
                last = max(last, q)
            if behind:
                row.problems.append(f"{s.peer.name} received {len(behind)} out of order: "
                                    + ", ".join(behind[:8]) + (" …" if len(behind) > 8 else ""))
        row.reconnects = sum(s.connects for s in both) - connects0
        row.read_ok = compare_read(setup, sides, row, args)
        for p in peers:
            p.proc.stdin.close()
        for p in peers:
            try:
                code = p.proc.wait(timeout=args.timeout)
                if code != 0:
                    row.problems.append(f"{p.name}: exit status {code}{demo.tail(p.log)}")
            except Exception:  # noqa: BLE001
                row.problems.append(f"{p.name}: did not exit within {args.timeout:g} s of EOF")
        failures = sides["alice"].results, sides["bob"].results
        reasons = sorted({str(r.get("message"))[:90] for rs in failures for r in rs.values()
                          if not r.get("ok")})
        row.send_failures = reasons
        for name, side in sides.items():
            if side.notable:
                counts = ", ".join(f"{side.kinds[k]} {k}" for k in NOTABLE if side.kinds.get(k))
                row.events.append(f"{name}: {counts}; first {side.notable[0]}"
                                  + (f"; last {side.notable[-1]}" if len(side.notable) > 1
                                     else ""))
            if side.protocol_errors:
                row.events.append(f"{name}: {side.protocol_errors} protocol_error events "
                                  "(the malformed frames)")
        try:
            row.sim_faults = len(get(server, "/admin/faults"))
        except OSError:
            pass
    except CellFailed as e:
        row.problems.append(str(e))
    except (OSError, ValueError, KeyError) as e:
        row.problems.append(f"{type(e).__name__}: {e}")
    finally:
        if injector:
            injector.stop.set()
        for p in peers:
            for line in _panics(p):
                row.problems.append(f"{p.name}: {line}")
        demo.stop_children()
        sim_log.close()
    row.seconds = time.monotonic() - started
    return row


def _ranges(seqs: list[int], most: int = 6) -> str:
    """1,2,3,7,9 -> '1-3, 7, 9' (the first `most` runs)."""
    runs: list[list[int]] = []
    for q in sorted(seqs):
        if runs and q == runs[-1][1] + 1:
            runs[-1][1] = q
        else:
            runs.append([q, q])
    text = ", ".join(f"{a}-{b}" if a != b else f"{a}" for a, b in runs[:most])
    return text + (f", … ({len(runs) - most} more runs)" if len(runs) > most else "")


def _panics(peer: Peer) -> list[str]:
    peer.log.flush()
    peer.log.seek(0)
    return [line.strip() for line in peer.log if "panicked" in line][:2]


def compare_read(setup: Setup, sides: dict[str, Side], row: Row, args) -> bool:
    """The client's last unread equals the server's, before and after marking read."""
    ok = True
    for n, (name, side) in enumerate(sides.items()):
        for phase in ("at quiescence", "after marking read"):
            if phase == "after marking read":
                if side.last_id is None:
                    continue
                # What an app shows last: the newest message of the chat. Talk does not echo
                # one's own messages, and reading up to an older id moves the server's marker
                # back below them, so there it is the highest id seen or sent.
                newest = side.last_id
                if setup.protocol == "talk":
                    newest = str(max(int(i) for i in [newest, *side.own_ids] if i.isdigit()))
                try:
                    side.peer.call("read", chat=side.chat, message=newest)
                except DemoFailed as e:
                    row.problems.append(f"{name}: read failed: {e}")
                    ok = False
                    continue
            # The client learns the server's count by an event: give it a moment to come.
            server = client = None
            deadline = time.monotonic() + 4
            while True:
                time.sleep(0.3)
                side.pump()
                client = side.unread
                try:
                    server = setup.server_unread(side, n)
                except (DemoFailed, OSError, KeyError, ValueError) as e:
                    row.problems.append(f"{name}: the server's unread: {e}")
                    return False
                if client == server or time.monotonic() > deadline:
                    break
            if client != server:
                row.problems.append(f"{name} read state {phase}: client unread {client}, "
                                    f"server unread {server}")
                ok = False
    return ok


# ---------------------------------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    head = ("protocol", "faults", "sent", "delivered", "failed", "lost", "dups", "ooo",
            "unresolved", "reconnects", "late", "read", "secs", "verdict")
    lines = [head]
    for r in rows:
        lines.append((r.protocol, r.mix, str(r.sent), str(r.delivered), str(r.failed),
                      str(r.lost), str(r.dups), str(r.ooo), str(r.unresolved),
                      str(r.reconnects), str(r.late), "equal" if r.read_ok else "DIFF",
                      f"{r.seconds:.1f}",
                      "pass" if r.passed else "FAIL"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = []
    for i, line in enumerate(lines):
        out.append("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths)) + " |")
        if i == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=os.environ.get("CHATWIRE_BIN"),
                        help="the chatwire binary (default: $CHATWIRE_BIN, else "
                             "target/release/chatwire)")
    parser.add_argument("--quick", action="store_true",
                        help="fewer cells and messages (the test command's run, about 60 s)")
    parser.add_argument("--messages", type=int, help="messages per cell (default 1000, "
                                                     "quick 200)")
    parser.add_argument("--seed", type=int, default=14, help="seed of the simulator and "
                                                            "clients (default 14)")
    parser.add_argument("--only", action="append", default=[],
                        help="run only PROTOCOL or PROTOCOL/MIX (repeatable)")
    parser.add_argument("--settle", type=float, default=None,
                        help="seconds to wait for late deliveries once the sends are answered "
                             "(default 10, quick 6)")
    parser.add_argument("--send-timeout", type=float, default=None,
                        help="seconds for the send phase of a cell (default 60, quick 25)")
    parser.add_argument("--timeout", type=float, default=15.0,
                        help="seconds for each set-up step and each client's exit")
    parser.add_argument("--verbose", action="store_true", help="print every JSON line too")
    args = parser.parse_args()
    args.bin = args.bin or str(ROOT / "target" / "release" / "chatwire")
    if not os.access(args.bin, os.X_OK):
        print(f"soak: no chatwire binary at {args.bin}; run ./scripts/soak.sh or pass --bin",
              file=sys.stderr)
        return 2
    args.messages = args.messages or (200 if args.quick else 1000)
    args.settle = args.settle if args.settle is not None else (6.0 if args.quick else 10.0)
    args.send_timeout = args.send_timeout or (25.0 if args.quick else 60.0)
    if args.messages < 1:
        print("soak: --messages must be at least 1", file=sys.stderr)
        return 2

    cells = []
    for protocol, mixes in MIXES.items():
        for mix in mixes:
            if args.quick and mix.name not in QUICK[protocol]:
                continue
            if args.only and not any(o in (protocol, f"{protocol}/{mix.name}")
                                     for o in args.only):
                continue
            cells.append((protocol, mix))
    if not cells:
        print("soak: --only matched no cell", file=sys.stderr)
        return 2

    def interrupted(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    atexit.register(demo.stop_children)
    rows: list[Row] = []
    started = time.monotonic()
    log(f"soak: {len(cells)} cells, {args.messages} messages each, seed {args.seed}, "
        f"settle {args.settle:g} s")
    try:
        for i, (protocol, mix) in enumerate(cells):
            row = run_cell(protocol, mix, args, args.seed * 100 + i)
            rows.append(row)
            log(f"  {protocol:<8} {mix.name:<24} {'pass' if row.passed else 'FAIL'} "
                f"({row.delivered}/{row.sent} delivered, sends answered in "
                f"{row.send_seconds:.1f} s, {row.seconds:.1f} s in all)")
    except KeyboardInterrupt:
        print("\nsoak interrupted", file=sys.stderr)
        return 130
    finally:
        demo.stop_children()
    log("")
    log(table(rows))
    for r in rows:
        notes = (r.problems + [f"send failed: {m}" for m in r.send_failures]
                 + [f"events: {m}" for m in r.events])
        if r.sim_faults:
            notes.append(f"simulator logged {r.sim_faults} client faults (GET /admin/faults)")
        if notes:
            log(f"\n{r.protocol} / {r.mix}:")
            for n in notes:
                log(f"  - {n}")
    passed = sum(r.passed for r in rows)
    log(f"\nsoak took {time.monotonic() - started:.1f} s")
    log(f"{passed} passed, {len(rows) - passed} failed")
    return 0 if passed == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
