"""`handle_frame`/`handle_frames` build their `Output` from the binding's tagged JSON
(chatwire/_tagged.py); it must be the very output UniFFI's own lifting builds, value for value
and class for class, for every kind of frame."""

import json
import pathlib

import chatwire

FIXTURES = pathlib.Path(__file__).resolve().parents[3] / "core" / "tests" / "fixtures"
SEEDED = chatwire.ClientOptions(reconnect=True, backoff_base_ms=500, backoff_max_ms=30000,
                                max_replays=3, replay_timeout_ms=30000, stable_after_ms=1000,
                                seed=7, session_seed=11, ping_interval_ms=None)


def frames(protocol):
    """Every server frame of the repository's fixtures for `protocol`, then bad ones."""
    paths = sorted((FIXTURES / protocol).rglob("*.json"))
    texts = [p.read_text() for p in paths if "server" in p.parts or "notifications" in p.parts]
    assert texts, f"no {protocol} fixtures under {FIXTURES}"
    return texts + ["{", "[]", "\x00\xff", '{"type":2,"id":4294967295}', "9" * 400, ""]


def pair(make):
    """Two clients with the same seeds, connected the same way."""
    a, b = make(), make()
    for core in (a, b):
        core.connect(0)
    return a, b


def same(fast, slow):
    assert fast == slow
    # Equality of the generated classes compares fields; the classes must be the same too.
    assert [type(t) for t in fast.transmits] == [type(t) for t in slow.transmits]
    assert [type(e) for e in fast.events] == [type(e) for e in slow.events]
    assert fast.timeout_ms == slow.timeout_ms and fast.sequence == slow.sequence


def trueconf_clients():
    a, b = pair(lambda: chatwire.TrueConfClient("jwt", SEEDED))
    outs = [core.handle_connected(1) for core in (a, b)]
    auth = json.loads(next(t.text for t in outs[0].transmits
                           if isinstance(t, chatwire.Transmit.FRAME)))
    answer = json.dumps({"type": 2, "id": auth["id"],
                         "payload": {"userId": "bot@x", "connectionId": "c-1"}})
    same(a.handle_frame(2, answer), b._records_handle_frame(2, answer))
    return a, b


def test_every_trueconf_fixture_lifts_to_the_same_output_one_at_a_time():
    a, b = trueconf_clients()
    kinds = set()
    for i, frame in enumerate(frames("trueconf")):
        fast, slow = a.handle_frame(10 + i, frame), b._records_handle_frame(10 + i, frame)
        same(fast, slow)
        kinds.update(type(e).__name__.rpartition(".")[2] for e in fast.events)
    # The fixtures reach nested records and enums (chats, roles, errors), not only messages.
    assert {"CHAT_CREATED", "PARTICIPANT_ADDED", "PROTOCOL_ERROR"} <= kinds, kinds


def test_every_trueconf_fixture_lifts_to_the_same_output_in_one_batch():
    a, b = trueconf_clients()
    batch = frames("trueconf")
    same(a.handle_frames(10, batch), b._records_handle_frames(10, batch))


def test_every_tada_fixture_lifts_to_the_same_output():
    a, b = pair(lambda: chatwire.TadaClient("team-1", "token", SEEDED))
    for core in (a, b):
        core.handle_connected(1)
    kinds = set()
    for i, frame in enumerate(frames("tada")):
        fast, slow = a.handle_frame(10 + i, frame), b._records_handle_frame(10 + i, frame)
        same(fast, slow)
        kinds.update(type(e).__name__.rpartition(".")[2] for e in fast.events)
    assert {"MESSAGE_RECEIVED", "WARNING", "COUNTERS", "TADA"} <= kinds, kinds


def test_events_keep_their_typed_classes_and_fields():
    a, _ = trueconf_clients()
    frame = json.dumps({"type": 1, "id": 5, "method": "sendMessage", "payload": {
        "messageId": "m-1", "chatId": "chat-1", "timestamp": 1746028006345, "type": 200,
        "author": {"id": "alice@x", "type": 1}, "content": {"text": "hi", "parseMode": "text"},
        "isEdited": False, "box": {"id": 1, "position": "0"}}})
    out = a.handle_frame(3, frame)
    assert isinstance(out, chatwire.Output)
    (ack,) = out.transmits
    assert isinstance(ack, chatwire.Transmit.FRAME) and isinstance(ack, chatwire.Transmit)
    assert json.loads(ack.text) == {"type": 2, "id": 5}
    (event,) = [e for e in out.events if isinstance(e, chatwire.Event.MESSAGE_RECEIVED)]
    assert isinstance(event, chatwire.Event)
    message = event.message
    assert isinstance(message, chatwire.Message) and isinstance(message.author, chatwire.Author)
    assert (message.id, message.chat_id, message.author.id) == ("m-1", "chat-1", "alice@x")
    assert chatwire.text_of(event) == "hi"
    assert message.raw.startswith("{") and json.loads(message.raw)["messageId"] == "m-1"
    assert "MESSAGE_RECEIVED" in str(event)


def test_the_fast_path_is_the_one_installed_and_refuses_what_the_generated_one_refused():
    import pytest

    for cls in (chatwire.TrueConfClient, chatwire.TadaClient, chatwire.TalkClient):
        assert cls._tagged_direct, f"{cls.__name__} fell back to the generated *_json methods"
    core = chatwire.TrueConfClient("jwt", None)
    with pytest.raises(TypeError):
        core.handle_frames(0, ["{}", 5])
    with pytest.raises(TypeError):
        core.handle_frame(0, b"{}")
    with pytest.raises((TypeError, ValueError, OverflowError)):
        core.handle_frames(-1, ["{}"])
    with pytest.raises((TypeError, ValueError, OverflowError)):
        core.handle_frame(2**64, "{}")
    # Text that is not UTF-8-encodable never reaches Rust half-encoded.
    with pytest.raises(UnicodeEncodeError):
        core.handle_frame(0, "\ud800")
    empty = core.handle_frames(0, [])
    assert (empty.transmits, empty.events, empty.timeout_ms) == ([], [], None)


def message_frame(i, text):
    return json.dumps({"type": 1, "id": i, "method": "sendMessage", "payload": {
        "messageId": f"m-{i}", "chatId": "chat-1", "timestamp": 1746028006345, "type": 200,
        "author": {"id": "alice@x", "type": 1}, "content": {"text": text, "parseMode": "text"},
        "isEdited": False, "box": {"id": i, "position": "0"}}}, ensure_ascii=False,
        separators=(",", ":"))


def test_a_raw_sliced_from_the_frame_is_the_payload_text_one_at_a_time_and_batched():
    a, b = trueconf_clients()
    # Non-ASCII before and inside the payload: the slice is in characters, not bytes; a frame
    # written with spaces has its payload re-encoded, so that one is text, not a slice.
    texts = ["plain", "привет 👋 мир", "\u00e9" * 300]
    frames = [message_frame(100 + i, t) for i, t in enumerate(texts)]
    frames.append(json.dumps(json.loads(message_frame(200, "spaced"))))
    for i, frame in enumerate(frames):
        fast, slow = a.handle_frame(10 + i, frame), b._records_handle_frame(10 + i, frame)
        same(fast, slow)
        (event,) = [e for e in fast.events if isinstance(e, chatwire.Event.MESSAGE_RECEIVED)]
        raw = event.message.raw
        assert type(raw) is str and json.loads(raw) == json.loads(frame)["payload"]
    batch = [message_frame(300 + i, t) for i, t in enumerate(texts * 3)]
    fast, slow = a.handle_frames(40, batch), b._records_handle_frames(40, batch)
    same(fast, slow)
    raws = [e.message.raw for e in fast.events if isinstance(e, chatwire.Event.MESSAGE_RECEIVED)]
    assert raws == [json.dumps(json.loads(f)["payload"], ensure_ascii=False,
                               separators=(",", ":")) for f in batch]


def test_a_tagged_text_that_does_not_fit_the_classes_is_a_clear_error():
    import pytest

    from chatwire import _tagged

    good = '["Output",[],[],null,1]'
    assert _tagged.output(good) == chatwire.Output(transmits=[], events=[], timeout_ms=None,
                                                   sequence=1)
    with pytest.raises(ValueError, match="Output has 4 fields"):
        _tagged.output('["Output",[],[],null]')
    with pytest.raises(AttributeError):
        _tagged.output('["NoSuchType"]')
    with pytest.raises(TypeError):
        _tagged.output('[5]')
    with pytest.raises(json.JSONDecodeError):
        _tagged.output('["Output",')
