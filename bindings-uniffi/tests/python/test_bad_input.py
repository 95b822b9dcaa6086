"""Bad input from the host raises typed exceptions; nothing panics across the boundary."""

import json

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


def _leaves(value, path=()):
    """Every (path, leaf) of a JSON document."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, path + (i,))
    else:
        yield path, value


def _replaced(doc, path, new):
    import copy
    doc = copy.deepcopy(doc)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return doc


def _rich_snapshots():
    """Real snapshots with something in every part: queued sends, a joined room."""
    talk = chatwire.TalkClient("alice", "pw", None)
    talk.join_room(0, "room-ab")
    talk.send_message(1, "room-ab", "hi", None, False)
    tada = chatwire.TadaClient("team", "tok", None)
    tada.connect(0)
    tada.handle_connected(1)
    tada.send_message(2, "g-1", "hi")
    trueconf = chatwire.TrueConfClient("jwt", None)
    return [
        ("talk", json.loads(talk.snapshot()), lambda s: chatwire.TalkClient.restore("alice", "pw", s, None)),
        ("tada", json.loads(tada.snapshot()), lambda s: chatwire.TadaClient.restore("team", "tok", s, None)),
        ("trueconf", json.loads(trueconf.snapshot()), lambda s: chatwire.TrueConfClient.restore("jwt", s, None)),
    ]


def _drive(core, protocol):
    core.connect(10)
    core.handle_connected(11)
    core.handle_frames(12, ['{"type":2,"id":1,"payload":{}}', '{"event":"server.confirm","params":{"confirm_id":"x"}}'])
    for t in (13, 10**6, 2**63, 2**64 - 1):
        core.handle_timeout(t)
    if protocol == "talk":
        core.join_room(20, "room-ab")
    core.send_text(21, "room-ab", "x", None)
    core.handle_closed(22, "drop")
    core.handle_timeout(2**64 - 1)
    core.shutdown(23)


def test_edited_snapshots_never_panic():
    """Every number in a saved snapshot replaced by an extreme value: restoring either refuses
    it (InvalidArgument) or gives a client that takes every input; never a panic (UniFFI's
    InternalError)."""
    extremes = [0, -1, 1, 2**31, 2**32 - 1, 2**53, 2**63 - 1, 2**64 - 1, "", None, [], {}]
    checked = 0
    for protocol, base, restore in _rich_snapshots():
        for path, leaf in _leaves(base):
            for new in extremes:
                doc = _replaced(base, path, new)
                try:
                    core = restore(json.dumps(doc))
                except chatwire.ChatwireError.InvalidArgument:
                    continue
                _drive(core, protocol)
                checked += 1
    assert checked > 100
