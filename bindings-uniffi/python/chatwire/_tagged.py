"""The fast way in for frames: an ``Output`` built from one tagged JSON text.

UniFFI lifts an ``Output`` from its buffer one field at a time in Python (a ``struct`` read
and a call per field, an object per record), which cost more than the core's own work per
frame. The binding's ``handle_frame_json``/``handle_frames_json`` return the same output as
JSON text in which every object names its type (``{"$": "Event.MessageReceived", ...}``,
``{"$": "Message", ...}``; see ``bindings-uniffi/src/tagged.rs``), and this module turns it into
the very classes UniFFI would have built (``Output``, ``Transmit.FRAME``,
``Event.MESSAGE_RECEIVED``, ``Message``, ...) in one ``json`` parse: the C parser builds the
dicts, and a hook makes each one its typed object as it is finished, innermost first.

:func:`install` puts this behind the clients' ``handle_frame`` and ``handle_frames``, so their
signatures, return types and results are what they were; only the crossing changed.
"""

from __future__ import annotations

import enum
import json
import re
import typing

from . import _ffi

_WORD = re.compile(r"(?<!^)(?=[A-Z])")


def _builder(tag: str) -> typing.Callable[[dict], object]:
    """How to make the value a tag names, from the dict of its fields."""
    owner_name, _, variant = tag.partition(".")
    owner = getattr(_ffi, owner_name)
    if not variant:
        target = owner
    else:
        # Error variants keep Rust's name (``ChatwireError.AuthFailed``); the variants of other
        # enums are SHOUTY_SNAKE (``Event.MESSAGE_RECEIVED``, ``Delivery.NOT_SENT``).
        target = getattr(owner, variant, None)
        if target is None:
            target = getattr(owner, _WORD.sub("_", variant).upper())
    if isinstance(target, enum.Enum):
        return lambda fields: target
    if issubclass(target, BaseException):
        return lambda fields: target(**fields)
    new = object.__new__

    def build(fields: dict) -> object:
        # Every field the generated __init__ would set, and nothing else: the dict is exactly
        # the record's or variant's fields, under the same names.
        obj = new(target)
        obj.__dict__ = fields
        return obj

    return build


class _Builders(dict):
    """Tag -> builder, resolved on first sight."""

    def __missing__(self, tag: str):
        build = self[tag] = _builder(tag)
        return build


_BUILDERS = _Builders()


def _hook(fields: dict, _builders=_BUILDERS) -> object:
    return _builders[fields.pop("$")](fields)


_decode = json.JSONDecoder(object_hook=_hook).decode
# Non-ASCII as is: escaping it only makes more for Rust to unescape.
_encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def output(text: str) -> _ffi.Output:
    """The ``Output`` a tagged JSON text describes."""
    return _decode(text)


_U64 = 1 << 64


def _check_now(now_ms) -> None:
    # What UniFFI's own check_lower refuses, refused alike (ctypes would wrap a negative).
    if now_ms.__class__ is not int and not isinstance(now_ms, int):
        raise TypeError(f"now_ms must be int, not {type(now_ms).__name__}")
    if not 0 <= now_ms < _U64:
        raise ValueError(f"now_ms {now_ms} is out of range for u64")


class _Direct:
    """The two ``*_json`` methods of one client class called through ctypes as the generated
    wrapper does, minus its Python-level machinery (a context manager and a stream object per
    buffer, a status object per step): per frame one call to clone the object's handle, the
    method itself (the frame passed as borrowed bytes, no buffer allocated for it), and one to
    free the returned buffer. It uses UniFFI's C ABI (``RustBuffer``, ``ForeignBytes``,
    ``RustCallStatus``, the ``uniffi_<crate>_fn_*`` symbols), which is the contract between
    the library and any generated binding; errors go through the generated module's own status
    check, so they raise exactly what the generated methods raise.
    """

    def __init__(self, cls):
        import ctypes

        m = _ffi.chatwire_ffi
        lib = m._UniffiLib
        Buffer, Status = m._UniffiRustBuffer, m._UniffiRustCallStatus
        name = cls.__name__.lower()

        class Bytes(ctypes.Structure):
            # UniFFI's ForeignBytes, with the pointer declared so a `bytes` passes as it is.
            _fields_ = [("len", ctypes.c_int32), ("data", ctypes.c_char_p)]

        def function(symbol, args, restype):
            # A function object of our own (indexing makes a fresh one), so the generated
            # module's declarations stay as they are.
            f = lib[symbol]
            f.argtypes = (*args, ctypes.POINTER(Status))
            f.restype = restype
            return f

        handle = ctypes.c_uint64
        self.clone = function(f"uniffi_chatwire_ffi_fn_clone_{name}", (handle,), handle)
        self.one = function(f"uniffi_chatwire_ffi_fn_method_{name}_handle_frame_json",
                            (handle, ctypes.c_uint64, Bytes), Buffer)
        self.many = function(f"uniffi_chatwire_ffi_fn_method_{name}_handle_frames_json",
                             (handle, ctypes.c_uint64, Bytes), Buffer)
        self.free = function("ffi_chatwire_ffi_rustbuffer_free", (Buffer,), None)
        self.Bytes, self.Status = Bytes, Status
        self.check = m._uniffi_check_call_status
        self.error = m._UniffiFfiConverterTypeChatwireError
        self.byref, self.string_at = ctypes.byref, ctypes.string_at

    def call(self, fn, error, obj, now_ms: int, data: bytes) -> str:
        status = self.Status()
        ref = self.byref(status)
        handle = self.clone(obj._handle, ref)
        if status.code:
            self.check(None, status)
        out = fn(handle, now_ms, self.Bytes(len(data), data), ref)
        if status.code:
            self.check(error, status)
        try:
            return self.string_at(out.data, out.len).decode()
        finally:
            self.free(out, ref)
            if status.code:
                self.check(None, status)


def install(cls) -> None:
    """Routes ``cls.handle_frame`` and ``cls.handle_frames`` through the tagged JSON path."""
    try:
        direct = _Direct(cls)
    except (AttributeError, TypeError):
        direct = None  # a generated module of another shape: its own methods, slower
    doc_one = cls.handle_frame.__doc__
    doc_many = cls.handle_frames.__doc__
    if direct is not None:
        call, one, many, error = direct.call, direct.one, direct.many, direct.error

        def handle_frame(self, now_ms: int, frame: str) -> _ffi.Output:
            _check_now(now_ms)
            if frame.__class__ is not str and not isinstance(frame, str):
                raise TypeError(f"frame must be str, not {type(frame).__name__}")
            return _decode(call(one, None, self, now_ms, frame.encode()))

        def handle_frames(self, now_ms: int, frames: typing.List[str]) -> _ffi.Output:
            _check_now(now_ms)
            # What UniFFI's lowering refused, refused alike (it checked every item).
            if not set(map(type, frames)) <= {str}:
                raise TypeError("frames must be a list of str")
            return _decode(call(many, error, self, now_ms, _encode(frames).encode()))
    else:
        json_one, json_many = cls.handle_frame_json, cls.handle_frames_json

        def handle_frame(self, now_ms: int, frame: str) -> _ffi.Output:
            if frame.__class__ is not str and not isinstance(frame, str):
                raise TypeError(f"frame must be str, not {type(frame).__name__}")
            return _decode(json_one(self, now_ms, frame.encode()))

        def handle_frames(self, now_ms: int, frames: typing.List[str]) -> _ffi.Output:
            if not set(map(type, frames)) <= {str}:
                raise TypeError("frames must be a list of str")
            return _decode(json_many(self, now_ms, _encode(frames).encode()))

    handle_frame.__doc__ = doc_one
    handle_frames.__doc__ = doc_many
    # UniFFI's own lifting stays reachable for comparison (scripts/bench-python.py).
    cls._records_handle_frame = cls.handle_frame
    cls._records_handle_frames = cls.handle_frames
    cls.handle_frame = handle_frame
    cls.handle_frames = handle_frames
    cls._tagged_direct = direct is not None


for _cls in (_ffi.TrueConfClient, _ffi.TadaClient, _ffi.TalkClient):
    install(_cls)
