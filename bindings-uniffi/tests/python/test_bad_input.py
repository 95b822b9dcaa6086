"""Bad input from the host raises typed exceptions; nothing panics across the boundary."""

import pytest

import chatwire
from conftest import open_client



def test_snapshot_that_does_not_parse_raises():
    for make in (
        lambda: chatwire.TrueConfClient.restore("jwt", "{not json", None),
        lambda: chatwire.TadaClient.restore("team", "token", "[1,2]", None),
        lambda: chatwire.TalkClient.restore("u", "p", '{"rooms": 5}', None),
    ):
        with pytest.raises(chatwire.ChatwireError.InvalidArgument) as info:
            make()
        assert "snapshot" in info.value.reason


def test_wrong_types_raise_before_crossing():
    core = chatwire.TrueConfClient("jwt", None)
    with pytest.raises(TypeError):
        core.handle_frame("not a number", "{}")
    with pytest.raises((TypeError, ValueError, OverflowError)):
        core.handle_frame(-1, "{}")
    with pytest.raises((TypeError, ValueError, OverflowError)):
        core.handle_http_response(0, 2**40, 200, [], "")


def test_garbage_frames_and_responses_are_events_not_crashes():
    core = chatwire.TrueConfClient("jwt", None)
    core.connect(0)
    core.handle_connected(1)
    out = core.handle_frames(2, ["{", "\x00\xff", '{"type":2,"id":4294967295}', "[]", "9" * 400])
    assert any(isinstance(e, chatwire.Event.PROTOCOL_ERROR) for e in out.events)
    # An answer to a request that never was, and times far in the past or future.
    core.handle_http_response(3, 12345, 0, [], "")
    core.handle_timeout(2**64 - 1)
    core.handle_timeout(0)
    talk = chatwire.TalkClient("alice", "pw", None)
    talk.handle_http_response(0, 1, 599, [chatwire.Header(name="\n", value="\x00")], "\xff")


@pytest.mark.asyncio
async def test_refused_credentials_raise(sim):
    with pytest.raises(chatwire.ChatwireError.AuthFailed):
        await chatwire.Client.trueconf(sim.url, user="alice", password="wrong")


@pytest.mark.asyncio
async def test_invalid_arguments_raise_on_await(sim):
    alice = await open_client(sim, "talk", "alice")
    try:
        with pytest.raises(chatwire.ChatwireError):
            await alice.send_message("room-ab", "x" * 40000)
        with pytest.raises(chatwire.ChatwireError):
            alice.join_room("")
    finally:
        await alice.close()


def test_join_room_after_shutdown_raises():
    talk = chatwire.TalkClient("alice", "pw", None)
    talk.shutdown(0)
    with pytest.raises(chatwire.ChatwireError.Closed):
        talk.join_room(1, "room-ab")
