"""Issue 13's Python figure: TrueConf incoming frames per CPU-second through chatwire's UniFFI
module against python-trueconf-bot 1.5.4 doing its own receive path, on the same frames, in one
run (rounds alternate which goes first; the ratio is taken within each round, the median kept).

chatwire: `TrueConfClient.handle_frame` per frame (decode, ack queued, typed event returned to
Python), and `handle_frames` in batches of 100. The SDK: its `Bot` receive path as its socket
loop runs it (`json.loads`, the ack task, `parse_update` into its typed `Message`, the
dispatcher calling a message handler), with its WebSocket replaced by one that serializes the
ack like `send_json` and drops it. CPU time of the process (`time.process_time`).

    python scripts/bench_python.py [--frames N] [--rounds R]

Needs both packages importable (scripts/bench.sh sets that up: the SDK's venv, with the
chatwire wheel's venv on PYTHONPATH). Prints one Markdown table row per figure.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import logging
import statistics
import time

import chatwire
from trueconf import Bot, Dispatcher, Router
from trueconf.types import Message

CHAT = "51ffe1b1-1515-498e-8501-233116adf9da"


def frame(i: int) -> str:
    """The native bench's `sendMessage` notification with the `chat` object real servers add (the
    SDK requires it), about 410 bytes, with fresh ids."""
    return json.dumps({"type": 1, "id": i % 1_000_000_000 + 1, "method": "sendMessage", "payload": {
        "messageId": f"c5e6f2a0-8e31-4b4f-9d0e-{i:012}", "chatId": CHAT,
        "chat": {"chatId": CHAT, "chatTitle": "Ops", "chatType": 2},
        "timestamp": 1_746_028_006_345 + i, "type": 200,
        "author": {"id": "alice@tc.example", "type": 1},
        "content": {"text": "Deploy finished.", "parseMode": "text"},
        "isEdited": False, "box": {"id": i, "position": "0"}}}, separators=(",", ":"))


def chatwire_client() -> chatwire.TrueConfClient:
    core = chatwire.TrueConfClient("jwt", None)
    core.connect(0)
    out = core.handle_connected(1)
    auth = json.loads(next(t.text for t in out.transmits if isinstance(t, chatwire.Transmit.FRAME)))
    core.handle_frame(2, json.dumps({"type": 2, "id": auth["id"],
                                     "payload": {"userId": "bot@tc.example", "connectionId": "c-1"}}))
    return core


def run_chatwire(frames: list[str], batch: int) -> float:
    """CPU seconds to handle `frames`, `batch` per crossing (1: one call per frame)."""
    core = chatwire_client()
    received = 0
    t0 = time.process_time()
    if batch == 1:
        for f in frames:
            out = core.handle_frame(3, f)
            received += sum(isinstance(e, chatwire.Event.MESSAGE_RECEIVED) for e in out.events)
    else:
        for i in range(0, len(frames), batch):
            out = core.handle_frames(3, frames[i:i + batch])
            received += sum(isinstance(e, chatwire.Event.MESSAGE_RECEIVED) for e in out.events)
    spent = time.process_time() - t0
    assert received == len(frames), (received, len(frames))
    return spent


class DropSocket:
    """Stands in for the SDK's WebSocket session: serializes what it is given, as send_json does."""

    def __init__(self) -> None:
        self.sent = 0

    async def send_json(self, message: dict) -> None:
        json.dumps(message)
        self.sent += 1


def jwt() -> str:
    """A token of the shape the SDK checks before it starts (three parts, `exp` ahead)."""
    part = lambda obj: base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'exp': int(time.time()) + 86_400})}.sig"


def sdk_bot() -> tuple[Bot, list[int]]:
    router = Router()
    received = [0]

    @router.message()
    async def on_message(message: Message) -> None:
        received[0] += 1

    dp = Dispatcher()
    dp.include_router(router)
    bot = Bot("tc.example", jwt(), dispatcher=dp, https=False)
    bot._session = DropSocket()
    bot._accept_updates = True
    bot._me_id = "bot@tc.example"
    return bot, received


def run_sdk(frames: list[str]) -> float:
    """CPU seconds for the SDK's receive path to handle `frames`, as its socket loop calls it."""
    bot, received = sdk_bot()
    on_raw = bot._Bot__on_raw_message

    async def feed() -> float:
        t0 = time.process_time()
        for i, f in enumerate(frames):
            await on_raw(f)
            if i % 100 == 99:
                # Let the ack and update tasks run, as the socket loop does between frames.
                await asyncio.gather(*list(bot._update_tasks), *list(bot._protocol_tasks))
        await asyncio.gather(*list(bot._update_tasks), *list(bot._protocol_tasks))
        return time.process_time() - t0

    spent = asyncio.run(feed())
    assert received[0] == len(frames), (received[0], len(frames))
    assert bot._session.sent == len(frames), bot._session.sent
    return spent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    frames = [frame(i) for i in range(args.frames)]
    one, batched, sdk = [], [], []
    for r in range(args.rounds):
        runs = [("one", lambda: run_chatwire(frames, 1)), ("batch", lambda: run_chatwire(frames, 100)),
                ("sdk", lambda: run_sdk(frames))]
        if r % 2:
            runs.reverse()
        took = {name: fn() for name, fn in runs}
        one.append(took["sdk"] / took["one"])
        batched.append(took["sdk"] / took["batch"])
        sdk.append(args.frames / took["sdk"])
    fps_sdk = statistics.median(sdk)
    print(f"| python-incoming | python-trueconf-bot 1.5.4 receive path | {fps_sdk:,.0f} frames/CPU-s "
          f"| chatwire `handle_frame` (one call per frame) | {fps_sdk * statistics.median(one):,.0f} frames/CPU-s "
          f"| **{statistics.median(one):.1f}×** | ≥ 5× | — | — |")
    print(f"| python-incoming-batch | python-trueconf-bot 1.5.4 receive path | {fps_sdk:,.0f} frames/CPU-s "
          f"| chatwire `handle_frames` (100 per call) | {fps_sdk * statistics.median(batched):,.0f} frames/CPU-s "
          f"| **{statistics.median(batched):.1f}×** | ≥ 20× | — | — |")


if __name__ == "__main__":
    main()
