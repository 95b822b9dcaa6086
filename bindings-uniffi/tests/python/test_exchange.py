"""Exchanges over real sockets against `chatwire sim`, all three protocols."""

import asyncio

import pytest

import chatwire
from conftest import PROTOCOLS, TADA_GROUP, chat_with_bob, collect_texts, open_client



@pytest.mark.asyncio
@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_exchange_both_ways(sim, protocol):
    alice = await open_client(sim, protocol, "alice")
    bob = await open_client(sim, protocol, "bob")
    try:
        chat = await chat_with_bob(protocol, alice)
        message_id = await alice.send_message(chat, "hello bob")
        assert message_id
        assert await collect_texts(bob, "hello bob") == ["hello bob"]

        # Bob answers in the same chat (TrueConf chat ids, the tada group jid and Talk room
        # tokens are the same on both sides).
        await bob.send_message(chat, "hello alice")
        assert await collect_texts(alice, "hello alice") == ["hello alice"]
    finally:
        await alice.close()
        await bob.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_reconnect_after_drop_loses_and_doubles_nothing(sim, protocol):
    alice = await open_client(sim, protocol, "alice")
    bob = await open_client(sim, protocol, "bob")
    try:
        chat = await chat_with_bob(protocol, alice)
        await alice.send_message(chat, "m1")
        assert await collect_texts(bob, "m1") == ["m1"]

        if protocol == "talk":
            # Talk is HTTP: the "drop" is a burst of 503s on the next requests (polls and
            # sends); the client backs off and retries with its cursor and referenceId.
            sim.admin("/admin/inject", {"http_503_burst": 3})
        else:
            sim.admin("/admin/inject", {"disconnect_all": True})
            # Sending before the client noticed the drop would write into a dead socket: the
            # core then (rightly) answers Disconnected(MAYBE_DELIVERED) instead of replaying.
            await alice.next_event(lambda e: isinstance(e, chatwire.Event.DISCONNECTED))
        # Issued while alice is down or coming back: queued, sent once after the reconnect.
        for i in (2, 3, 4):
            await asyncio.wait_for(alice.send_message(chat, f"m{i}"), 15)
        assert await collect_texts(bob, "m4", timeout=15) == ["m2", "m3", "m4"]
        # Nothing arrives twice after the fact either.
        await alice.send_message(chat, "m5")
        assert await collect_texts(bob, "m5") == ["m5"]
    finally:
        await alice.close()
        await bob.close()


@pytest.mark.asyncio
async def test_silent_tada_connection_is_found_dead_and_replaced(sim):
    """A socket that stays open but goes mute (a dead NAT mapping): the core's unanswered ping
    closes it, the host reports the close back, and the client reconnects by itself."""
    options = chatwire.ClientOptions(backoff_base_ms=50, backoff_max_ms=300, ping_interval_ms=500)
    alice = await chatwire.Client.tada(sim.url, team="team-sim", token="alice-token",
                                       options=options)
    bob = await open_client(sim, "tada", "bob")
    try:
        await alice.next_event(lambda e: isinstance(e, chatwire.Event.CONNECTED))
        sim.admin("/admin/inject", {"silence_all": True})
        dead = await alice.next_event(lambda e: isinstance(e, chatwire.Event.CONNECTION_DEAD),
                                      timeout=20)
        assert "client.ping" in dead.reason
        await alice.next_event(lambda e: isinstance(e, chatwire.Event.CONNECTED), timeout=10)
        # Bob is on the default 30 s ping and still on his mute socket: replace it by hand.
        bob._apply(bob.core.connect(chatwire.now_ms()))
        await bob.next_event(lambda e: isinstance(e, chatwire.Event.CONNECTED))
        await alice.send_message(TADA_GROUP, "after the silence")
        assert await collect_texts(bob, "after the silence") == ["after the silence"]
    finally:
        await alice.close()
        await bob.close()


@pytest.mark.asyncio
async def test_close_settles_pending_calls(sim):
    alice = await open_client(sim, "trueconf", "alice")
    # The command's output (the request) is taken but never performed, as if the host's
    # socket swallowed it: closing (the core's shutdown) settles the call with Closed.
    issued = alice.core.create_group_chat(chatwire.now_ms(), "never sent")
    await alice.close()
    with pytest.raises(chatwire.ChatwireError.Closed):
        await asyncio.wait_for(issued.call.wait(), 5)
    # Later commands fail at once, as does waiting again on the settled call.
    with pytest.raises(chatwire.ChatwireError.Closed):
        await alice.core.send_text(chatwire.now_ms(), "chat", "x", None).call.wait()
    with pytest.raises(chatwire.ChatwireError.Closed):
        await issued.call.wait()


@pytest.mark.asyncio
async def test_shutdown_before_connect_settles_with_closed():
    core = chatwire.TrueConfClient("jwt", None)
    issued = core.send_text(0, "chat", "queued while never connected", None)
    core.shutdown(1)
    with pytest.raises(chatwire.ChatwireError.Closed):
        await asyncio.wait_for(issued.call.wait(), 5)


@pytest.mark.asyncio
async def test_close_without_shutdown_gives_the_delivery_verdict(sim):
    alice = await open_client(sim, "trueconf", "alice")
    try:
        issued = alice.core.create_group_chat(chatwire.now_ms(), "cut off")
        # Taken (so maybe delivered), then the app lets the connection go without ending.
        alice._apply(alice.core.close(chatwire.now_ms()))
        with pytest.raises(chatwire.ChatwireError.Disconnected) as info:
            await asyncio.wait_for(issued.call.wait(), 5)
        assert info.value.delivery == chatwire.Delivery.MAYBE_DELIVERED
    finally:
        await alice.close()


@pytest.mark.asyncio
async def test_many_waiters_on_one_call_get_the_same_answer(sim):
    alice = await open_client(sim, "trueconf", "alice")
    try:
        issued = alice.core.create_p2p_chat(chatwire.now_ms(), "bob@sim.local")
        waits = [asyncio.ensure_future(issued.call.wait()) for _ in range(5)]
        alice._apply(issued.output)
        replies = await asyncio.wait_for(asyncio.gather(*waits), 10)
        assert len({r.chat_id for r in replies}) == 1
        # And once more after it settled.
        assert (await issued.call.wait()).chat_id == replies[0].chat_id
    finally:
        await alice.close()


def test_frames_batch_matches_one_by_one():
    from bench_frames import frame, ready_client
    frames = [frame(i) for i in range(10, 40)]
    one = ready_client()
    singles = [one.handle_frame(3, f) for f in frames]
    batch = ready_client().handle_frames(3, frames)
    assert [t for o in singles for t in o.transmits] == batch.transmits
    assert [e for o in singles for e in o.events] == batch.events
    assert sum(isinstance(e, chatwire.Event.MESSAGE_RECEIVED) for e in batch.events) == 30
