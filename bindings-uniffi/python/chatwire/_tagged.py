"""The fast way in for frames: an ``Output`` built from one tagged JSON text.

UniFFI lifts an ``Output`` from its buffer one field at a time in Python (a ``struct`` read
and a call per field, an object per record), which cost more than the core's own work per
frame. The binding's ``handle_frame_json``/``handle_frames_json`` return the same output as
compact JSON text in which every record and variant is an array led by its tag, its fields
following in declaration order (``["Event.MessageReceived", ["Message", "m-1", ...]]``; see
``bindings-uniffi/src/tagged.rs``), and this module turns it into the very classes UniFFI would
have built (``Output``, ``Transmit.FRAME``, ``Event.MESSAGE_RECEIVED``, ``Message``, ...): the C
parser builds the lists, and one constructor per tag, generated once from the generated class's
own ``__init__`` (its field names, in order, and their annotated types), makes each its object
with the very ``__dict__`` the generated ``__init__`` would set. A ``raw`` payload the server
wrote compactly comes as ``[frame, start, end]``: the string is that slice of the frame the
caller passed in, the same text, so it is not escaped into the output and parsed back.

:func:`install` puts this behind the clients' ``handle_frame`` and ``handle_frames``, so their
signatures, return types and results are what they were; only the crossing changed.
"""

from __future__ import annotations

import enum
import inspect
import json
import re
import typing

from . import _ffi

_WORD = re.compile(r"(?<!^)(?=[A-Z])")
# Annotations (strings: the generated module has ``from __future__ import annotations``) whose
# values are taken as they are parsed.
_PLAIN = {"str", "int", "bool", "float", "bytes"}
_OPTIONAL, _LIST = "typing.Optional[", "typing.List["


def _target(tag: str):
    """The class (or enum member) a tag names."""
    owner_name, _, variant = tag.partition(".")
    owner = getattr(_ffi, owner_name)
    if not variant:
        return owner
    # Error variants keep Rust's name (``ChatwireError.AuthFailed``); the variants of other
    # enums are SHOUTY_SNAKE (``Event.MESSAGE_RECEIVED``, ``Delivery.NOT_SENT``).
    target = getattr(owner, variant, None)
    if target is None:
        target = getattr(owner, _WORD.sub("_", variant).upper())
    return target


def _raw(value, src):
    """A ``raw`` field: text, or ``[frame, start, end]`` of the frames passed in."""
    if value.__class__ is list:
        frame, start, end = value
        return src[frame][start:end]
    return value


def _value(value, src):
    """A field of a type without annotations (an error variant's): built by its shape."""
    if value.__class__ is list:
        if value and value[0].__class__ is str:
            return _CONSTRUCTORS[value[0]](value, src)
        return [_value(v, src) for v in value]
    return value


def _expr(annotation: str, var: str, depth: int) -> str:
    """Python source building a field annotated ``annotation`` from the parsed ``var``."""
    if annotation in _PLAIN:
        return var
    if annotation.startswith(_OPTIONAL) and annotation.endswith("]"):
        inner = _expr(annotation[len(_OPTIONAL):-1], var, depth)
        return var if inner == var else f"(None if {var} is None else {inner})"
    if annotation.startswith(_LIST) and annotation.endswith("]"):
        item = f"x{depth}"
        inner = _expr(annotation[len(_LIST):-1], item, depth + 1)
        return var if inner == item else f"[{inner} for {item} in {var}]"
    if annotation.isidentifier() and isinstance(getattr(_ffi, annotation, None), type):
        # A record or an enum of the module: the tag says which class.
        return f"C[{var}[0]]({var}, src)"
    return f"V({var}, src)"  # any other shape: by the value's own shape


def _constructor(tag: str) -> typing.Callable[[list, object], object]:
    """How to make the value a tag names from its array (tag, then the fields)."""
    target = _target(tag)
    if isinstance(target, enum.Enum):
        return lambda fields, src: target
    names = [p.name for p in inspect.signature(target.__init__).parameters.values()][1:]
    if issubclass(target, BaseException):
        # Errors are made by their __init__ (it also sets the exception's message).
        def error(fields, src):
            return target(*[_raw(v, src) if n == "raw" else _value(v, src)
                            for n, v in zip(names, fields[1:])])
        return error
    annotations = target.__init__.__annotations__
    items = []
    for i, name in enumerate(names, start=1):
        var = f"f{i}"
        annotation = annotations.get(name)
        if name == "raw":
            code = f"R({var}, src)"
        elif annotation is None:
            code = f"V({var}, src)"
        else:
            code = _expr(annotation, var, 0)
        items.append(f"{name!r}: {code}")
    fields = "".join(f", f{i}" for i in range(1, len(names) + 1))
    # Every field the generated __init__ would set, and nothing else, under the same names;
    # `object.__new__` and the dict as its __dict__, as UniFFI's own objects have. One unpack
    # reads the fields (and checks their number) faster than an index per field.
    source = (f"def build(a, src):\n"
              f"    try:\n"
              f"        _{fields}, = a\n"
              f"    except ValueError:\n"
              f"        raise ValueError('%s has {len(names)} fields, not %d'"
              f" % (tag, len(a) - 1)) from None\n"
              f"    o = new(cls)\n"
              f"    o.__dict__ = {{{', '.join(items)}}}\n"
              f"    return o\n")
    scope = {"new": object.__new__, "cls": target, "tag": tag, "C": _CONSTRUCTORS, "R": _raw,
             "V": _value}
    exec(compile(source, f"<chatwire tagged {tag}>", "exec"), scope)
    return scope["build"]


class _Constructors(dict):
    """Tag -> constructor, made on first sight."""

    def __missing__(self, tag: str):
        if tag.__class__ is not str:
            raise TypeError(f"not a tag: {tag!r}")
        build = self[tag] = _constructor(tag)
        return build


_CONSTRUCTORS = _Constructors()
_loads = json.loads
# Non-ASCII as is: escaping it only makes more for Rust to unescape.
_encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def output(text: str, src: typing.Sequence[str] = ()) -> _ffi.Output:
    """The ``Output`` a tagged JSON text describes; ``src``: the frames of the call."""
    value = _loads(text)
    if value.__class__ is not list or not value:
        raise TypeError(f"not a tagged output: {text[:80]!r}")
    return _CONSTRUCTORS[value[0]](value, src)


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
        self.call = self._caller(ctypes.byref, ctypes.string_at)

    def _caller(self, byref, string_at):
        """``call(fn, error, obj, now_ms, data) -> str``, everything it uses bound in advance."""
        Status, Bytes, clone, free, check = self.Status, self.Bytes, self.clone, self.free, self.check

        def call(fn, error, obj, now_ms: int, data: bytes) -> str:
            status = Status()
            ref = byref(status)
            handle = clone(obj._handle, ref)
            if status.code:
                check(None, status)
            out = fn(handle, now_ms, Bytes(len(data), data), ref)
            if status.code:
                check(error, status)
            try:
                return string_at(out.data, out.len).decode()
            finally:
                free(out, ref)
                if status.code:
                    check(None, status)

        return call


def install(cls) -> None:
    """Routes ``cls.handle_frame`` and ``cls.handle_frames`` through the tagged JSON path."""
    try:
        direct = _Direct(cls)
    except (AttributeError, TypeError):
        direct = None  # a generated module of another shape: its own methods, slower
    doc_one = cls.handle_frame.__doc__
    doc_many = cls.handle_frames.__doc__
    if direct is not None:
        # The call written out in each method rather than through `direct.call`: a Python
        # call less per frame, on the path every frame takes.
        one, many, error = direct.one, direct.many, direct.error
        Status, Bytes, clone, free, check = (direct.Status, direct.Bytes, direct.clone,
                                             direct.free, direct.check)
        import ctypes
        byref, string_at = ctypes.byref, ctypes.string_at
        loads, constructors = _loads, _CONSTRUCTORS

        def handle_frame(self, now_ms: int, frame: str) -> _ffi.Output:
            if now_ms.__class__ is not int or not 0 <= now_ms < _U64:
                _check_now(now_ms)
            if frame.__class__ is not str and not isinstance(frame, str):
                raise TypeError(f"frame must be str, not {type(frame).__name__}")
            data = frame.encode()
            status = Status()
            ref = byref(status)
            handle = clone(self._handle, ref)
            if status.code:
                check(None, status)
            out = one(handle, now_ms, Bytes(len(data), data), ref)
            if status.code:
                check(None, status)
            try:
                value = loads(string_at(out.data, out.len).decode())
            finally:
                free(out, ref)
                if status.code:
                    check(None, status)
            return constructors[value[0]](value, (frame,))

        def handle_frames(self, now_ms: int, frames: typing.List[str]) -> _ffi.Output:
            _check_now(now_ms)
            frames = tuple(frames)  # what the slices are taken from, as it was sent
            # What UniFFI's lowering refused, refused alike (it checked every item).
            if not set(map(type, frames)) <= {str}:
                raise TypeError("frames must be a list of str")
            return output(direct.call(many, error, self, now_ms, _encode(frames).encode()),
                          frames)
    else:
        json_one, json_many = cls.handle_frame_json, cls.handle_frames_json

        def handle_frame(self, now_ms: int, frame: str) -> _ffi.Output:
            if frame.__class__ is not str and not isinstance(frame, str):
                raise TypeError(f"frame must be str, not {type(frame).__name__}")
            return output(json_one(self, now_ms, frame.encode()), (frame,))

        def handle_frames(self, now_ms: int, frames: typing.List[str]) -> _ffi.Output:
            frames = tuple(frames)
            if not set(map(type, frames)) <= {str}:
                raise TypeError("frames must be a list of str")
            return output(json_many(self, now_ms, _encode(frames).encode()), frames)

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
