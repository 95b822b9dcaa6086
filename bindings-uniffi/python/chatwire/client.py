"""The asyncio host: owns the sockets and the timer of one core client.

The Rust core (``chatwire._ffi``) performs no I/O and holds nothing of ours: every input
returns one ``Output`` (transmits to perform in order, events, the next deadline) that
:meth:`Client._apply` carries out. This object refers to the core, never the other way
round, so there is no reference cycle through native code for the garbage collector to miss.
"""

from __future__ import annotations

import asyncio
import time
from typing import AsyncIterator, Callable, Optional, Sequence

import aiohttp
import websockets

from . import _ffi

Event = _ffi.Event
Reply = _ffi.Reply
Transmit = _ffi.Transmit
ChatwireError = _ffi.ChatwireError

_END = object()


def now_ms() -> int:
    """The host clock the core runs on: monotonic milliseconds (asyncio's own clock)."""
    return time.monotonic_ns() // 1_000_000


def _ws_base(server: str) -> str:
    server = server.rstrip("/")
    if server.startswith("https://"):
        return "wss://" + server[len("https://"):]
    if server.startswith("http://"):
        return "ws://" + server[len("http://"):]
    raise ValueError(f"server must be an http:// or https:// URL, got {server!r}")


async def fetch_trueconf_token(server: str, user: str, password: str) -> str:
    """A TrueConf bot token (JWT) from the server's OAuth endpoint."""
    url = server.rstrip("/") + "/bridge/api/client/v1/oauth/token"
    body = _ffi.trueconf_oauth_body(user, password)
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=body, headers={"Content-Type": "application/json"}) as r:
            text = await r.text()
    return _ffi.trueconf_parse_oauth(text)


class Client:
    """One chat connection on asyncio: ``async for event in client.events()`` and
    ``await client.send_message(chat, text)``.

    Build it with :meth:`trueconf`, :meth:`tada` or :meth:`talk` (or :func:`chatwire.connect`);
    end it with :meth:`close` (or ``async with``), which fails every pending call with
    ``ChatwireError.Closed``.
    """

    def __init__(self, core, server: str, protocol: str):
        self.core = core
        """The UniFFI client (``TrueConfClient``, ``TadaClient`` or ``TalkClient``)."""
        self.protocol = protocol
        self._base = server.rstrip("/")
        self._ws_url = _ws_base(server)
        self._loop = asyncio.get_running_loop()
        self._events: asyncio.Queue = asyncio.Queue()
        self._timer: Optional[asyncio.TimerHandle] = None
        self._gen = 0
        self._ws = None
        self._outgoing: Optional[asyncio.Queue] = None
        self._tasks: set = set()
        self._http: Optional[aiohttp.ClientSession] = None
        self._closed = False
        self.frames_in = 0
        """How many frames this client handed to the core (for tests and statistics)."""

    # ---- construction -------------------------------------------------------------------

    @classmethod
    async def trueconf(cls, server: str, *, token: Optional[str] = None, user: Optional[str] = None,
                       password: Optional[str] = None, snapshot: Optional[str] = None,
                       options: Optional[_ffi.ClientOptions] = None) -> "Client":
        """A connected TrueConf bot: a `token`, or `user` and `password` to get one."""
        if token is None:
            if user is None or password is None:
                raise ValueError("TrueConf needs a token, or a user and a password")
            token = await fetch_trueconf_token(server, user, password)
        core = (_ffi.TrueConfClient.restore(token, snapshot, options) if snapshot is not None
                else _ffi.TrueConfClient(token, options))
        client = cls(core, server, "trueconf")
        client._apply(core.connect(now_ms()))
        return client

    @classmethod
    async def tada(cls, server: str, *, team: str, token: str, snapshot: Optional[str] = None,
                   options: Optional[_ffi.ClientOptions] = None) -> "Client":
        """A connected tada.team client of `team`."""
        core = (_ffi.TadaClient.restore(team, token, snapshot, options) if snapshot is not None
                else _ffi.TadaClient(team, token, options))
        client = cls(core, server, "tada")
        client._apply(core.connect(now_ms()))
        return client

    @classmethod
    async def talk(cls, server: str, *, user: str, password: str, rooms: Sequence[str] = (),
                   snapshot: Optional[str] = None,
                   options: Optional[_ffi.ClientOptions] = None) -> "Client":
        """A Nextcloud Talk client receiving `rooms` (tokens); more with :meth:`join_room`."""
        core = (_ffi.TalkClient.restore(user, password, snapshot, options) if snapshot is not None
                else _ffi.TalkClient(user, password, options))
        client = cls(core, server, "talk")
        client._apply(core.connect(now_ms()))
        for room in rooms:
            client.join_room(room)
        return client

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    # ---- the app's side -----------------------------------------------------------------

    async def events(self) -> AsyncIterator[object]:
        """Every event, in order, until :meth:`close`."""
        while True:
            event = await self._events.get()
            if event is _END:
                # Leave the marker for any other reader.
                self._events.put_nowait(_END)
                return
            yield event

    async def next_event(self, predicate: Callable[[object], bool] = lambda e: True,
                         timeout: float = 10.0):
        """The next event for which `predicate` holds (others are dropped); TimeoutError."""
        async def find():
            async for event in self.events():
                if predicate(event):
                    return event
            raise ChatwireError.Closed()
        return await asyncio.wait_for(find(), timeout)

    async def request(self, command: Callable[[object, int], object]):
        """Issues ``command(core, now_ms)`` (a core command returning a ``Command``), performs
        its output at once and awaits the answer (a ``Reply``)."""
        issued = command(self.core, now_ms())
        self._apply(issued.output)
        return await issued.call.wait()

    async def send_message(self, chat_id: str, text: str, reply_to: Optional[str] = None) -> str:
        """Sends `text` to `chat_id`; the new message's id once the server accepted it."""
        if self.protocol == "talk":
            parent = int(reply_to) if reply_to is not None else None
            reply = await self.request(lambda c, t: c.send_message(t, chat_id, text, parent, False))
        elif self.protocol == "tada":
            if reply_to is not None:
                raise ValueError("tada replies are not supported by send_message")
            reply = await self.request(lambda c, t: c.send_message(t, chat_id, text))
        else:
            reply = await self.request(lambda c, t: c.send_message(t, chat_id, text, reply_to))
        if isinstance(reply, Reply.MESSAGE_SENT):
            return reply.message_id
        raise ChatwireError.UnexpectedResponse(f"expected a sent message, got {reply!r}")

    async def mark_read(self, chat_id: str, message_id: str) -> None:
        """Marks `chat_id` read up to `message_id`."""
        await self.request(lambda c, t: c.mark_read(t, chat_id, message_id))

    def join_room(self, room: str) -> None:
        """Talk: starts receiving `room`."""
        self._apply(self.core.join_room(now_ms(), room))

    def snapshot(self) -> str:
        """The session's state as JSON text; pass it as ``snapshot=`` to resume."""
        return self.core.snapshot()

    async def close(self) -> None:
        """Ends the client: pending calls fail with ``Closed``, sockets close, events end."""
        if self._closed:
            return
        self._apply(self.core.shutdown(now_ms()))
        self._closed = True
        self._gen += 1
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
            self._http = None
        self._events.put_nowait(_END)

    # ---- performing the core's output ---------------------------------------------------

    def _apply(self, out) -> None:
        if self._closed:
            return
        # The core's own close (a connection it judged dead) is reported back once this
        # output is performed: the core reconnects only after it hears the socket is gone.
        closed_by_core = None
        for t in out.transmits:
            if isinstance(t, Transmit.FRAME):
                if self._outgoing is not None:
                    self._outgoing.put_nowait(t.text)
            elif isinstance(t, Transmit.HTTP):
                self._spawn(self._http_request(t))
            elif isinstance(t, Transmit.CONNECT):
                self._drop_ws()
                self._spawn(self._run_ws(self._gen, t))
            elif isinstance(t, Transmit.CLOSE):
                self._drop_ws()
                closed_by_core = t.reason
        for event in out.events:
            self._events.put_nowait(event)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if out.timeout_ms is not None:
            delay = max(0, out.timeout_ms - now_ms()) / 1000
            self._timer = self._loop.call_later(delay, self._on_timer)
        if closed_by_core is not None:
            self._apply(self.core.handle_closed(now_ms(), closed_by_core))

    def _spawn(self, coro) -> None:
        task = self._loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_timer(self) -> None:
        self._timer = None
        self._apply(self.core.handle_timeout(now_ms()))

    def _drop_ws(self) -> None:
        """Lets the current WebSocket go; its own close is not reported (a newer socket, or the
        core's close, replaces it)."""
        self._gen += 1
        ws, self._ws = self._ws, None
        self._outgoing = None
        if ws is not None:
            self._spawn(ws.close())

    async def _run_ws(self, gen: int, t) -> None:
        headers = [(h.name, h.value) for h in t.headers]
        try:
            ws = await websockets.connect(
                self._ws_url + t.path,
                additional_headers=headers,
                subprotocols=list(t.subprotocols) or None,
                max_size=None,
                open_timeout=10,
            )
        except asyncio.CancelledError:
            raise
        except Exception as e:  # any failure to open is the core's to judge and retry
            if gen == self._gen:
                self._apply(self.core.handle_connect_failed(now_ms(), f"{type(e).__name__}: {e}", False))
            return
        if gen != self._gen:
            await ws.close()
            return
        self._ws = ws
        outgoing: asyncio.Queue = asyncio.Queue()
        self._outgoing = outgoing
        self._spawn(self._write_ws(ws, outgoing))
        self._apply(self.core.handle_connected(now_ms()))
        reason = "closed"
        try:
            async for frame in ws:
                if gen != self._gen:
                    return
                if isinstance(frame, bytes):
                    frame = frame.decode("utf-8", "replace")
                self.frames_in += 1
                self._apply(self.core.handle_frame(now_ms(), frame))
        except websockets.ConnectionClosed as e:
            reason = f"connection closed ({e})"
        except asyncio.CancelledError:
            raise
        except Exception as e:
            reason = f"{type(e).__name__}: {e}"
        else:
            if ws.close_code is not None:
                reason = f"closed with code {ws.close_code}"
        finally:
            outgoing.put_nowait(None)
        if gen == self._gen:
            self._ws = None
            self._outgoing = None
            self._apply(self.core.handle_closed(now_ms(), reason))

    async def _write_ws(self, ws, outgoing: asyncio.Queue) -> None:
        while True:
            text = await outgoing.get()
            if text is None:
                return
            try:
                await ws.send(text)
            except Exception:
                # The reader sees the close and reports it.
                return

    async def _http_request(self, t) -> None:
        if self._http is None:
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=10))
        try:
            async with self._http.request(
                t.method, self._base + t.path,
                headers=[(h.name, h.value) for h in t.headers],
                data=t.body.encode("utf-8") if t.body is not None else None,
            ) as r:
                body = await r.text(errors="replace")
                headers = [_ffi.Header(name=k, value=v) for k, v in r.headers.items()]
                status = r.status
        except asyncio.CancelledError:
            raise
        except Exception as e:
            status, headers, body = 0, [], f"{type(e).__name__}: {e}"
        self._apply(self.core.handle_http_response(now_ms(), t.id, status, headers, body))


async def connect(protocol: str, server: str, *, user: Optional[str] = None,
                  password: Optional[str] = None, token: Optional[str] = None,
                  team: Optional[str] = None, rooms: Sequence[str] = (),
                  snapshot: Optional[str] = None,
                  options: Optional[_ffi.ClientOptions] = None) -> Client:
    """A connected client of `protocol` (``trueconf``, ``tada`` or ``talk``), with the
    credential flags of ``chatwire connect``."""
    if protocol == "trueconf":
        return await Client.trueconf(server, token=token, user=user, password=password,
                                     snapshot=snapshot, options=options)
    if protocol == "tada":
        if team is None or token is None:
            raise ValueError("tada needs a team and a token")
        return await Client.tada(server, team=team, token=token, snapshot=snapshot, options=options)
    if protocol == "talk":
        if user is None or password is None:
            raise ValueError("Talk needs a user and a password (app password)")
        return await Client.talk(server, user=user, password=password, rooms=rooms,
                                 snapshot=snapshot, options=options)
    raise ValueError(f"unknown protocol {protocol!r} (trueconf, tada or talk)")
