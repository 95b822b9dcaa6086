"""One run of a bot process for the snapshot test: restore from SNAPSHOT_FILE if it exists,
collect the texts others send until UNTIL arrives (printed as JSON lines), mark the last one
read, save the snapshot, exit."""

import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import chatwire  # noqa: E402
from conftest import Sim, collect_texts, open_client  # noqa: E402,F401


async def main(protocol: str, url: str, path: str, until: str) -> None:
    snapshot = open(path).read() if os.path.exists(path) else None

    class At:
        pass
    sim = At()
    sim.url = url
    bob = await open_client(sim, protocol, "bob", snapshot=snapshot)
    print("ready", flush=True)
    last = None
    try:
        got = []

        async def run():
            nonlocal last
            async for event in bob.events():
                text = chatwire.text_of(event)
                if text is not None and not event.message.own:
                    got.append(text)
                    last = event.message
                    if text == until:
                        return
        await asyncio.wait_for(run(), 15)
        if last is not None and protocol != "trueconf":
            await bob.mark_read(last.chat_id, last.id)
        # What arrives after UNTIL within a moment would be a redelivery.
        await asyncio.sleep(0.5)
        while not bob._events.empty():
            event = bob._events.get_nowait()
            text = chatwire.text_of(event)
            if text is not None and not event.message.own:
                got.append(text)
        if os.environ.get("SNAPSHOT_DEBUG"):
            print(bob.snapshot(), file=sys.stderr)
        with open(path, "w") as f:
            f.write(bob.snapshot())
        print(json.dumps(got), flush=True)
    finally:
        await bob.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
