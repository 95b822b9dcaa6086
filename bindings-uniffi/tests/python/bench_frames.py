"""Cost per incoming frame from Python: one crossing per frame (handle_frame) against one
crossing per batch (handle_frames). Each frame is a TrueConf `sendMessage` notification: the
core decodes it, queues its ack and emits a MessageReceived event, all returned in the Output.

    target/venv/bin/python bindings-uniffi/tests/python/bench_frames.py [N]
"""

import json
import sys
import time

import chatwire


def ready_client():
    core = chatwire.TrueConfClient("jwt", None)
    core.connect(0)
    out = core.handle_connected(1)
    auth = json.loads(next(t.text for t in out.transmits if isinstance(t, chatwire.Transmit.FRAME)))
    core.handle_frame(2, json.dumps({"type": 2, "id": auth["id"],
                                     "payload": {"userId": "bot@x", "connectionId": "c-1"}}))
    return core


def frame(i: int) -> str:
    return json.dumps({"type": 1, "id": i, "method": "sendMessage", "payload": {
        "messageId": f"m-{i}", "chatId": "chat-1", "timestamp": 1746028006345, "type": 200,
        "author": {"id": "alice@x", "type": 1}, "content": {"text": f"hi {i}", "parseMode": "text"},
        "isEdited": False, "box": {"id": i, "position": "0"}}})


def main(n: int) -> None:
    frames = [frame(i) for i in range(10, 10 + n)]
    core = ready_client()
    t0 = time.perf_counter()
    events = 0
    for f in frames:
        events += sum(isinstance(e, chatwire.Event.MESSAGE_RECEIVED) for e in core.handle_frame(3, f).events)
    one = (time.perf_counter() - t0) / n
    assert events == n, events

    core = ready_client()
    batch = 100
    t0 = time.perf_counter()
    events = 0
    for i in range(0, n, batch):
        events += sum(isinstance(e, chatwire.Event.MESSAGE_RECEIVED) for e in core.handle_frames(3, frames[i:i + batch]).events)
    batched = (time.perf_counter() - t0) / n
    assert events == n, events

    core = ready_client()
    t0 = time.perf_counter()
    for _ in range(n):
        core.poll_output()
    empty = (time.perf_counter() - t0) / n
    print(f"per frame: one crossing {one * 1e6:.1f} us, batch of {batch} {batched * 1e6:.1f} us; "
          f"an empty crossing (poll_output) {empty * 1e6:.1f} us  (n={n})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
