"""Python host figures of issue 13: TrueConf incoming `sendMessage` frames per CPU-second, the
UniFFI module `chatwire` against TrueConf's official SDK, `python-trueconf-bot` 1.5.4, on the
same frames, measured side by side in one run. Timings are printed, never asserted.

    scripts/bench-python.sh [--frames N] [--rounds R] [--batch B] [--rows] [--breakdown] [--profile]

(--rows: only the table rows, in the columns of scripts/bench.sh's table, where a ratio is
chatwire's time per frame over the other's, as in the native rows.)

(the wrapper builds the wheel and the bench venv, target/venv-bench-python, with both
packages; this file runs inside it.)

Frames: N (default 100 000) distinct `sendMessage` notifications from the server (type 1, a
x, built before any clock starts.

What each variant does per frame, everything a bot needs before its handler runs:

* ``sdk``: the SDK's own receive path, called as its WebSocket listener calls it.
  ``trueconf.client.session.WebSocketSession._listener`` does ``await
  self._on_message(raw)`` for every text frame the socket yields, and ``Bot`` wires
  ``_on_message`` to ``Bot.__on_raw_message`` (``trueconf/client/bot.py``), so this bench
  awaits ``bot._Bot__on_raw_message(raw)`` for each frame on a real ``Bot`` (default
  dispatcher, the default ``SkipSelfMessages`` outer middleware) whose ``WebSocketSession`` is
  attached to an in-memory socket: its ``send`` keeps the text. ``__on_raw_message`` is what the
  SDK does on arrival: ``json.loads``; for a request (type 1) it schedules
  ``Bot._send_ws_payload({"type": 2, "id": id})`` — the ack, which
  ``WebSocketSession.send_json`` serializes with ``json.dumps`` and hands to the socket's
  ``send`` — as an asyncio task; ``__resolve_future`` (the pending-request table); then it
  schedules ``Bot.__process_message`` as a task: ``trueconf.types.parser.parse_update``
  (``deserialize_envelope`` -> mashumaro ``Message.from_dict``), ``data.bind(bot)``,
  ``Update.from_dict(raw_data)``, and ``Dispatcher._feed_update`` (outer middleware chain,
  router filters, ``InstanceOfFilter(Message)``) into a ``@router.message()`` handler that
  counts. The event loop runs those tasks, as it does between socket reads; the loop here lets
  them run after every ``--batch`` frames (a socket delivering a backlog) — the SDK's cheapest
  case; draining after every frame costs it more. Not included: the ``websockets`` library's
  own frame decoding (chatwire's figures exclude the socket too).
* ``chatwire 1/call``: ``TrueConfClient.handle_frame(now, frame)`` on an authenticated client
  (decode, dedupe, the ack queued as a transmit, a typed ``Event.MESSAGE_RECEIVED`` built as a
  Python object by UniFFI), then what a host does with the output: every transmit's text
  handed to the same in-memory socket's ``send``, every ``MESSAGE_RECEIVED`` to a counting
  handler.
* ``chatwire batch``: the same through ``handle_frames(now, frames[i:i + B])``, one crossing
  per ``--batch`` frames (default 100).
* ``chatwire ..., records``: the two above as they were before the package's ``handle_frame``
  took its output as tagged JSON (``chatwire/_tagged.py``): UniFFI's generated methods, which
  lift the ``Output`` from its buffer field by field. Same classes, same values.

Measure: each round runs every variant once over all N frames, in an order rotated from round
to round, each on a fresh client; the clock is ``time.process_time`` (this process's CPU time,
so other processes' load does not count). The figure is the median over the rounds; ratios are
taken within each round, then the median. Every variant must produce N acks and N typed
messages, or the run fails.
"""

import argparse
import asyncio
import base64
import gc
import importlib.metadata
import json
import logging
import statistics
import sys
import time

import chatwire
from trueconf import Bot, Dispatcher, Router
from trueconf.types.message import Message


def frame(i: int) -> str:
    return json.dumps({"type": 1, "id": i, "method": "sendMessage", "payload": {
        "messageId": f"m-{i}", "chatId": "chat-1",
        "chat": {"chatId": "chat-1", "chatTitle": "Team", "chatType": 2}, "timestamp": 1746028006345, "type": 200,
        "author": {"id": "alice@x", "type": 1}, "content": {"text": f"hi {i}", "parseMode": "text"},
        "isEdited": False, "box": {"id": i, "position": "0"}}}, separators=(",", ":"))


class MemorySocket:
    """The socket both variants write acks to: keeps each text frame sent."""

    def __init__(self):
        self.sent = []

    async def send(self, text: str) -> None:  # the `websockets` connection's signature
        self.sent.append(text)


# --- the official SDK -------------------------------------------------------------------


def sdk_bot():
    """A `Bot` as after a successful connect and auth, its session on a MemorySocket."""
    b64 = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")  # noqa: E731
    token = f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64({'exp': 4102444800})}.sig"
    counted = []
    router = Router()

    @router.message()
    async def on_message(message: Message):
        counted.append(message.message_id)

    dp = Dispatcher()
    dp.include_router(router)
    bot = Bot(server="127.0.0.1", token=token, dispatcher=dp, https=False, web_port=1)
    sock = MemorySocket()
    from trueconf.client.session import WebSocketSession
    session = WebSocketSession(on_message=bot._Bot__on_raw_message)
    session.ws = sock  # what `attach` sets, without starting a listener on a real socket
    bot._session = session
    bot._me_id = "bot@x"
    bot._accept_updates = True  # what `start` sets once authorized
    return bot, sock, counted


async def sdk_run(frames, batch):
    bot, sock, counted = sdk_bot()
    on_raw = bot._Bot__on_raw_message
    t0 = time.process_time()
    for i in range(0, len(frames), batch):
        for f in frames[i:i + batch]:
            await on_raw(f)
        while bot._update_tasks or bot._protocol_tasks:
            await asyncio.sleep(0)
    t = time.process_time() - t0
    await asyncio.sleep(0)  # the tasks' done callbacks
    check("sdk", frames, sock.sent, len(counted))
    return t


# --- chatwire ---------------------------------------------------------------------------


def chatwire_client():
    core = chatwire.TrueConfClient("jwt", None)
    core.connect(0)
    out = core.handle_connected(1)
    auth = json.loads(next(t.text for t in out.transmits if isinstance(t, chatwire.Transmit.FRAME)))
    core.handle_frame(2, json.dumps({"type": 2, "id": auth["id"],
                                     "payload": {"userId": "bot@x", "connectionId": "c-1"}}))
    return core


def perform(out, sent, counted):
    """What a host does with an Output: the transmits to the socket, the events to handlers."""
    for t in out.transmits:
        if isinstance(t, FRAME):
            sent.append(t.text)
    for e in out.events:
        if isinstance(e, MESSAGE_RECEIVED):
            counted.append(e.message.id)


FRAME = chatwire.Transmit.FRAME
MESSAGE_RECEIVED = chatwire.Event.MESSAGE_RECEIVED


def one_per_call(name, method):
    """A variant that hands the client one frame per call of `method`."""
    def run(frames, _batch):
        core, sent, counted = chatwire_client(), [], []
        handle = getattr(core, method)
        t0 = time.process_time()
        for f in frames:
            perform(handle(3, f), sent, counted)
        t = time.process_time() - t0
        check(name, frames, sent, len(counted))
        return t
    return run


def batched(name, method):
    """A variant that hands the client `batch` frames per call of `method`."""
    def run(frames, batch):
        core, sent, counted = chatwire_client(), [], []
        handle = getattr(core, method)
        t0 = time.process_time()
        for i in range(0, len(frames), batch):
            perform(handle(3, frames[i:i + batch]), sent, counted)
        t = time.process_time() - t0
        check(name, frames, sent, len(counted))
        return t
    return run


chatwire_one = one_per_call("chatwire 1/call", "handle_frame")
chatwire_batch = batched("chatwire batch", "handle_frames")
chatwire_records_one = one_per_call("chatwire 1/call, records", "_records_handle_frame")
chatwire_records_batch = batched("chatwire batch, records", "_records_handle_frames")


def check(name, frames, sent, messages):
    acks = sum(1 for s in sent if json.loads(s).get("type") == 2)
    if acks != len(frames) or messages != len(frames):
        sys.exit(f"bench-python: {name} produced {acks} acks and {messages} messages "
                 f"for {len(frames)} frames")


# --- the run ----------------------------------------------------------------------------


VARIANTS = {
    "sdk": lambda frames, batch: asyncio.run(sdk_run(frames, batch)),
    "chatwire 1/call": chatwire_one,
    "chatwire batch": chatwire_batch,
    "chatwire 1/call, records": chatwire_records_one,
    "chatwire batch, records": chatwire_records_batch,
}


def measure(frames, rounds, batch):
    names = list(VARIANTS)
    times = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            gc.collect()
            times[name].append(VARIANTS[name](frames, batch))
        print(f"bench-python: round {r + 1}/{rounds}: " + ", ".join(
            f"{n} {len(frames) / times[n][-1]:,.0f} fps" for n in names), file=sys.stderr)
    return times


def profile(frames, batch):
    """Where chatwire's time goes: cProfile over one pass of each chatwire variant."""
    import cProfile
    import pstats
    for name in ("chatwire 1/call", "chatwire batch", "sdk"):
        prof = cProfile.Profile()
        prof.enable()
        VARIANTS[name](frames, batch)
        prof.disable()
        print(f"\n=== cProfile: {name} ({len(frames)} frames) ===")
        pstats.Stats(prof).sort_stats("tottime").print_stats(14)


def breakdown(frames, rounds):
    """Where chatwire's time per frame goes, one frame per call, timed like the figures (rotated
    rounds, process CPU time, medians) rather than under cProfile, which inflates Python-level
    work several times over:

    * ``records: crossing + core``: the generated binding's own steps up to the Rust
      function's return — clone the object handle (one FFI call), lower the frame into a
      RustBuffer (one call), call ``handle_frame`` (the core: decode, ack, event, serialized
      into a RustBuffer) — then free the returned buffer (one call) without reading it;
    * ``records: + lift``: the same, then ``_UniffiFfiConverterTypeOutput.lift``, UniFFI's
      Python reader building the ``Output``, ``Transmit`` and ``Event.MESSAGE_RECEIVED``/
      ``Message`` objects field by field from the buffer (and freeing it);
    * ``records: + checks and host``: the generated ``handle_frame`` in full (the above plus
      its ``check_lower`` argument checks) and ``perform`` (the figure before the tagged path);
    * ``tagged: crossing + core + JSON text``: ``chatwire/_tagged.py``'s ctypes call of
      ``handle_frame_json`` (clone the handle, the call with the frame as borrowed bytes, the
      output's tagged JSON read into a ``str``, the buffer freed);
    * ``tagged: + json parse into the classes``: the same, then ``json`` and the per-tag
      constructors that make each array its UniFFI object (``raw`` a slice of the frame);
    * ``tagged: + checks and host``: the package's ``handle_frame`` and ``perform`` (the figure);
    * ``empty crossing``: ``poll_output`` with nothing queued (handle, call, an empty Output).
    """
    from chatwire._ffi import chatwire_ffi as ffi
    fn = ffi._UniffiLib.uniffi_chatwire_ffi_fn_method_trueconfclient_handle_frame
    lower, lift = ffi._UniffiFfiConverterString.lower, ffi._UniffiFfiConverterTypeOutput.lift
    call = ffi._uniffi_rust_call_with_error

    def raw(frames):
        core = chatwire_client()
        t0 = time.process_time()
        for f in frames:
            call(None, fn, core._uniffi_clone_handle(), 3, lower(f)).free()
        return time.process_time() - t0

    def lifted(frames):
        core = chatwire_client()
        t0 = time.process_time()
        for f in frames:
            lift(call(None, fn, core._uniffi_clone_handle(), 3, lower(f)))
        return time.process_time() - t0

    def empty(frames):
        core = chatwire_client()
        t0 = time.process_time()
        for _ in frames:
            core.poll_output()
        return time.process_time() - t0

    from chatwire import _tagged
    direct = _tagged._Direct(chatwire.TrueConfClient)

    def tagged_text(frames):
        core = chatwire_client()
        t0 = time.process_time()
        for f in frames:
            direct.call(direct.one, None, core, 3, f.encode())
        return time.process_time() - t0

    def tagged_decoded(frames):
        core, decode = chatwire_client(), _tagged.output
        t0 = time.process_time()
        for f in frames:
            decode(direct.call(direct.one, None, core, 3, f.encode()), (f,))
        return time.process_time() - t0

    steps = {"records: crossing + core": raw, "records: + lift": lifted,
             "records: + checks and host": lambda f: chatwire_records_one(f, 0),
             "tagged: crossing + core + JSON text": tagged_text,
             "tagged: + json parse into the classes": tagged_decoded,
             "tagged: + checks and host (the figure)": lambda f: chatwire_one(f, 0),
             "empty crossing": empty}
    names, times = list(steps), {k: [] for k in steps}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            gc.collect()
            times[name].append(steps[name](frames))
    n = len(frames)
    print(f"chatwire 1/call, where the time goes ({n:,} frames, {rounds} rounds, medians)\n")
    print("| step | µs per frame | of the whole |")
    print("|---|---|---|")
    whole = statistics.median(times["tagged: + checks and host (the figure)"])
    for k in names:
        m = statistics.median(times[k])
        print(f"| {k} | {m / n * 1e6:.1f} | {m / whole * 100:.0f} % |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--rows", action="store_true", help="only rows for scripts/bench.sh's table")
    ap.add_argument("--breakdown", action="store_true", help="time chatwire's steps instead")
    ap.add_argument("--profile", action="store_true", help="cProfile each variant once instead")
    a = ap.parse_args()
    logging.disable(logging.CRITICAL)  # the SDK logs at info on startup; nothing per frame
    frames = [frame(i) for i in range(10, 10 + a.frames)]
    if a.breakdown:
        breakdown(frames, a.rounds)
        return
    if a.profile:
        profile(frames, a.batch)
        return
    times = measure(frames, a.rounds, a.batch)
    n = len(frames)
    med = {k: statistics.median(v) for k, v in times.items()}
    # Within each round: the SDK's time over chatwire's (how many times its fps) and the inverse.
    speedup = {k: [s / c for s, c in zip(times["sdk"], v)] for k, v in times.items()}
    us = lambda k: f"{med[k] / n * 1e6:.1f} µs ±{spread(times[k]):.0f} %"  # noqa: E731
    if a.rows:
        for label, k, target in ((f"Python: TrueConf incoming, 1 frame per call", "chatwire 1/call", 5),
                                 (f"Python: TrueConf incoming, batches of {a.batch}", "chatwire batch", 20)):
            inv = [1 / x for x in speedup[k]]
            name = "`handle_frame`" if k == "chatwire 1/call" else "`handle_frames`"
            print(f"| {label} | python-trueconf-bot {SDK_VERSION} | {us('sdk')} | {name} | {us(k)} | "
                  f"**{statistics.median(inv):.2f}×** ±{spread(inv):.0f} % "
                  f"({statistics.median(speedup[k]):.1f}× the SDK's fps) | ≤ {1 / target:.2f}× "
                  f"(≥ {target}× its fps) | — | — |")
        return
    print(f"Python host: TrueConf incoming sendMessage ({len(frames[n // 2])} B), {n:,} frames, "
          f"{a.rounds} rounds rotated, process CPU time, medians (± half the interquartile range)\n")
    print("| variant | frames per CPU-second | time per frame | fps ratio to the SDK | target |")
    print("|---|---|---|---|---|")
    rows = [(f"python-trueconf-bot {SDK_VERSION} (its receive path)", "sdk", ""),
            ("chatwire, one frame per `handle_frame`", "chatwire 1/call", "≥ 5×"),
            (f"chatwire, `handle_frames` batches of {a.batch}", "chatwire batch", "≥ 20×"),
            ("(before: one frame per call, UniFFI's record lifting)", "chatwire 1/call, records", ""),
            (f"(before: batches of {a.batch}, UniFFI's record lifting)", "chatwire batch, records", "")]
    for label, k, target in rows:
        r = "1" if k == "sdk" else f"**{statistics.median(speedup[k]):.1f}×** ±{spread(speedup[k]):.0f} %"
        print(f"| {label} | {n / med[k]:,.0f} | {us(k)} | {r} | {target} |")


def spread(xs):
    """Half the interquartile range, in % of the median."""
    q = statistics.quantiles(xs, n=4) if len(xs) > 1 else [xs[0]] * 3
    return (q[2] - q[0]) / 2 / statistics.median(xs) * 100


SDK_VERSION = importlib.metadata.version("python-trueconf-bot")


if __name__ == "__main__":
    main()
