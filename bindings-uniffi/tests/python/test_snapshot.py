"""A snapshot saved by one Python process resumes the session in the next."""

import asyncio
import json
import os
import subprocess
import sys

import pytest

import chatwire
from conftest import PROTOCOLS, chat_with_bob, open_client

HERE = os.path.dirname(__file__)


async def run_bot(protocol, url, path, until):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, os.path.join(HERE, "snapshot_process.py"), protocol, url, path, until,
        stdout=subprocess.PIPE)
    return proc


async def ready(proc):
    """Waits until the process is connected (TrueConf, tada) or has joined its room (Talk)."""
    line = await asyncio.wait_for(proc.stdout.readline(), 20)
    assert line.strip() == b"ready", line


async def finish(proc):
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    return json.loads(out.decode().strip().splitlines()[-1])


@pytest.mark.asyncio
@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_snapshot_across_process_restart(sim, protocol, tmp_path):
    path = str(tmp_path / "bob.snapshot.json")
    alice = await open_client(sim, protocol, "alice")
    try:
        chat = await chat_with_bob(protocol, alice)
        first = await run_bot(protocol, sim.url, path, "s1")
        # tada has no catch-up: the process must be connected before alice writes.
        await ready(first)
        await alice.send_message(chat, "s1")
        assert await finish(first) == ["s1"]
        saved = json.loads(open(path).read())
        assert saved, "the snapshot holds the session's state"

        if protocol != "tada":
            # Written while no bob process runs: the restored session picks it up (TrueConf's
            # unread delivery, Talk's saved cursor), and s1 is not delivered again.
            await alice.send_message(chat, "s2")
            second = await run_bot(protocol, sim.url, path, "s2")
            await ready(second)
        else:
            second = await run_bot(protocol, sim.url, path, "s2")
            await ready(second)
            await alice.send_message(chat, "s2")
        assert await finish(second) == ["s2"]
        if protocol == "tada":
            # What the first process saw and read survived the restart: its delivered-message
            # record is still there beside the new one, and the read marker moved on from it.
            restored = json.loads(open(path).read())
            first_seen = saved["seen"]["order"]
            assert len(first_seen) == 1
            assert restored["seen"]["order"][:1] == first_seen
            group = "g-5eed0000-0000-4000-8000-000000000001"
            before = saved["read_states"]["chats"][group]["last_read_message_id"]
            after = restored["read_states"]["chats"][group]["last_read_message_id"]
            assert before and after and before != after
    finally:
        await alice.close()
