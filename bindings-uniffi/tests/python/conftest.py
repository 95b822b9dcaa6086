"""Fixtures: a fresh `chatwire sim` per test, and clients of its seeded accounts."""

import asyncio
import json
import os
import subprocess
import urllib.request

import pytest
import pytest_asyncio

import chatwire

TADA_TEAM = "team-sim"
TADA_GROUP = "g-5eed0000-0000-4000-8000-000000000001"
TALK_ROOM = "room-ab"
TRUECONF_BOB = "bob@sim.local"
PROTOCOLS = ["trueconf", "tada", "talk"]
# Fast reconnects keep the drop tests short.
FAST = chatwire.ClientOptions(reconnect=True, backoff_base_ms=50, backoff_max_ms=300,
                              max_replays=3, replay_timeout_ms=10000, stable_after_ms=1000, seed=7,
                              session_seed=None)


def chatwire_bin() -> str:
    path = os.environ.get("CHATWIRE_BIN")
    if not path:
        raise RuntimeError("CHATWIRE_BIN must name the chatwire binary (scripts/test-python.sh sets it)")
    return path


class Sim:
    """One simulator process on an ephemeral loopback port."""

    def __init__(self, *extra: str):
        self.proc = subprocess.Popen(
            [chatwire_bin(), "sim", "--protocol", "all", "--listen", "127.0.0.1:0",
             "--talk-poll-cap-secs", "1", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        self.url = json.loads(line)["listening"]

    def admin(self, path: str, body: dict) -> str:
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.read().decode()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=5)


@pytest.fixture
def sim():
    s = Sim()
    yield s
    s.stop()


async def open_client(sim: Sim, protocol: str, user: str, snapshot=None) -> chatwire.Client:
    """`user`'s client of `protocol`, connected (TrueConf, tada) or receiving room-ab (Talk)."""
    if protocol == "trueconf":
        client = await chatwire.Client.trueconf(sim.url, user=user, password=f"{user}-pass",
                                                snapshot=snapshot, options=FAST)
    elif protocol == "tada":
        client = await chatwire.Client.tada(sim.url, team=TADA_TEAM, token=f"{user}-token",
                                            snapshot=snapshot, options=FAST)
    else:
        client = await chatwire.Client.talk(sim.url, user=user, password=f"{user}-app-pass",
                                            rooms=[TALK_ROOM], snapshot=snapshot, options=FAST)
    if protocol != "talk":
        await client.next_event(lambda e: isinstance(e, chatwire.Event.CONNECTED))
    return client


async def chat_with_bob(protocol: str, alice: chatwire.Client) -> str:
    """The chat id alice writes to bob in."""
    if protocol == "trueconf":
        reply = await alice.request(lambda c, t: c.create_p2p_chat(t, TRUECONF_BOB))
        return reply.chat_id
    if protocol == "tada":
        return TADA_GROUP
    return TALK_ROOM


def texts_from_others(event) -> "str | None":
    if isinstance(event, chatwire.Event.MESSAGE_RECEIVED) and not event.message.own:
        return chatwire.text_of(event)
    return None


async def collect_texts(client: chatwire.Client, until: str, timeout: float = 10.0) -> list:
    """Texts from others, in order, up to and including `until`."""
    got = []

    async def run():
        async for event in client.events():
            text = texts_from_others(event)
            if text is not None:
                got.append(text)
                if text == until:
                    return
    await asyncio.wait_for(run(), timeout)
    return got
