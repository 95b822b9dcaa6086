"""examples/python/echo_bot.py answers each message from someone else once."""

import asyncio
import os
import sys

import pytest

from conftest import PROTOCOLS, TALK_ROOM, chat_with_bob, collect_texts, open_client

BOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "python", "echo_bot.py")


def bot_args(protocol, url):
    if protocol == "trueconf":
        return ["--user", "bob", "--password", "bob-pass"]
    if protocol == "tada":
        return ["--team", "team-sim", "--token", "bob-token"]
    return ["--user", "bob", "--password", "bob-app-pass", "--room", TALK_ROOM]


@pytest.mark.asyncio
@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_echo_bot_answers_once(sim, protocol):
    bot = await asyncio.create_subprocess_exec(
        sys.executable, BOT, "--protocol", protocol, "--server", sim.url,
        *bot_args(protocol, sim.url), stdout=asyncio.subprocess.PIPE)
    alice = await open_client(sim, protocol, "alice")
    try:
        line = await asyncio.wait_for(bot.stdout.readline(), 15)
        assert b"running" in line
        if protocol == "tada":
            await asyncio.sleep(0.5)  # the bot's socket is up before alice writes
        chat = await chat_with_bob(protocol, alice)
        await alice.send_message(chat, "ping")
        await alice.send_message(chat, "pong")
        assert await collect_texts(alice, "echo: pong", timeout=15) == ["echo: ping", "echo: pong"]
        # No second answer, and the bot does not answer itself.
        await alice.send_message(chat, "last")
        assert await collect_texts(alice, "echo: last") == ["echo: last"]
    finally:
        bot.terminate()
        await bot.wait()
        await alice.close()
