#!/usr/bin/env python3
"""Interop: TrueConf's official Python SDK (python-trueconf-bot 1.5.4, unpatched) against `chatwire sim`.

A bot (alice) written with the SDK talks to a second user (bob) driven by `chatwire connect`
over the simulator. It connects, receives each message once, answers, and exercises every
method the SDK offers; then it restarts with `receive_unread_messages` and must get what bob
sent meanwhile, once. It fails when the SDK raises where it should not, an expected update
never comes (or comes twice), the SDK logs anything at WARNING or above (its parse errors are
logged at ERROR), or the simulator logs a client fault.

Usage: trueconf_official_sdk.py PATH_TO_CHATWIRE  (run with the venv that holds the SDK)
Prints one line per check and, last, `N passed, N failed` alone on a line; exits 1 on a failure.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
from pathlib import Path

import websockets
from trueconf import Bot, Dispatcher, Router
from trueconf.enums import ChatActivity
from trueconf.enums.chat_type import ChatType
from trueconf.enums.file_ready_state import FileReadyState
from trueconf.enums.message_type import MessageType
from trueconf.exceptions import ApiErrorException, FileSizeTooLargeError
from trueconf.methods.base import TrueConfMethod
from trueconf.types import Message
from trueconf.types.callback_query import CallbackQuery
from trueconf.types.input_file import BufferedInputFile
from trueconf.types.keyboard import InlineKeyboardButton, InlineKeyboardMarkup
from trueconf.types.requests.added_chat_participant import AddedChatParticipant
from trueconf.types.requests.changed_file_upload_limits import ChangedFileUploadLimits
from trueconf.types.requests.changed_participant_role import ChangedParticipantRole
from trueconf.types.requests.cleared_chat_history import ClearedChatHistory
from trueconf.types.requests.created_channel import CreatedChannel
from trueconf.types.requests.created_group_chat import CreatedGroupChat
from trueconf.types.requests.edited_chat_title import EditedChatTitle
from trueconf.types.requests.edited_message import EditedMessage
from trueconf.types.requests.removed_chat import RemovedChat
from trueconf.types.requests.removed_chat_participant import RemovedChatParticipant
from trueconf.types.requests.removed_message import RemovedMessage
from trueconf.types.requests.uploading_progress import UploadingProgress
from trueconf.types.responses.answer_command_response import AnswerCommandResponse
from trueconf.types.system_message import SystemMessage
from trueconf.types.update import Update

WAIT = 5.0  # seconds any single expected update may take

# A 1x1 PNG and a minimal WebP (RIFF/WEBP/VP8L), so the SDK's MIME detection sees real types.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
WEBP = base64.b64decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")


class Checks:
    """Named pass/fail checks; a failing check records why and the run goes on."""

    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def ok(self, name: str, cond: bool, detail: object = "") -> bool:
        if cond:
            self.passed += 1
            print(f"PASS {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {name}: {detail}", flush=True)
        return bool(cond)


class Captured(logging.Handler):
    """Every log record at WARNING or above, from the SDK or anything else. While a check
    provokes an error on purpose (`expecting`), the SDK's own report of it is set aside."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []
        self.expected: list[logging.LogRecord] = []
        self.expecting = False

    def emit(self, record: logging.LogRecord) -> None:
        (self.expected if self.expecting else self.records).append(record)


CAPTURED = Captured()


def http_json(url: str, body: object | None = None, method: str | None = None, headers=None, raw: bytes | None = None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    hdrs = {"Content-Type": "application/json"} if body is not None else {}
    hdrs.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"null")


def http_bytes(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.read()


class Proc:
    """A child process whose stdout lines are JSON, read by a thread into a list."""

    def __init__(self, argv: list[str]) -> None:
        self.p = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
        )
        self.lines: list[dict] = []
        self.cond = threading.Condition()
        self.stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read(self) -> None:
        for line in self.p.stdout:
            try:
                v = json.loads(line)
            except ValueError:
                v = {"type": "unparsable", "line": line}
            with self.cond:
                self.lines.append(v)
                self.cond.notify_all()

    def _read_err(self) -> None:
        for line in self.p.stderr:
            self.stderr.append(line)

    def wait_line(self, pred, timeout: float = WAIT, start: int = 0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for v in self.lines[start:]:
                    if pred(v):
                        return v
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def stop(self) -> None:
        if self.p.poll() is None:
            try:
                self.p.stdin.close()
                self.p.wait(5)
            except Exception:
                self.p.terminate()
                self.p.wait(5)


class Bob(Proc):
    """Bob over `chatwire connect --protocol trueconf`, commanded by JSON lines."""

    def __init__(self, chatwire: str, url: str) -> None:
        super().__init__([chatwire, "connect", "--protocol", "trueconf", "--server", url, "--user", "bob", "--password", "bob-pass"])
        self.tag = 0

    def cmd(self, **cmd):
        """Sends one command and waits for its result line; returns it (or None on timeout)."""
        self.tag += 1
        tag = f"t{self.tag}"
        cmd["tag"] = tag
        self.p.stdin.write(json.dumps(cmd) + "\n")
        self.p.stdin.flush()
        return self.wait_line(lambda v: v.get("type") == "result" and v.get("tag") == tag)

    def request(self, method: str, payload: dict):
        """A raw TrueConf request; returns the answer's payload (or the failed result)."""
        r = self.cmd(op="request", method=method, payload=payload)
        if r and r.get("ok"):
            reply = r.get("reply") or {}
            if "payload" in reply:
                return reply["payload"]
            # A typed reply (`{"type":"message_sent","message_id":..}`): back to wire names.
            return {"".join(w.capitalize() if i else w for i, w in enumerate(k.split("_"))): v for k, v in reply.items()}
        return {"failed": r}

    def received(self, pred, timeout: float = WAIT):
        """The first `message_received` whose message satisfies `pred`."""
        return self.wait_line(lambda v: v.get("type") == "message_received" and pred(v["message"]), timeout)

    def saw(self, *needles: str, timeout: float = WAIT, skip=("result", "message_received")):
        """The first event line, of a type not in `skip`, that mentions every one of `needles`.
        (Matching on text keeps this independent of which typed event chatwire makes of it.)"""

        def match(v: dict) -> bool:
            text = json.dumps(v)
            return v.get("type") not in skip and all(n in text for n in needles)

        return self.wait_line(match, timeout)


class Inbox:
    """Every update the bot's dispatcher sees, for waiting on and for counting."""

    def __init__(self) -> None:
        self.items: list[object] = []
        self.changed = asyncio.Event()

    def add(self, item: object) -> None:
        self.items.append(item)
        self.changed.set()

    async def wait(self, pred, timeout: float = WAIT):
        deadline = asyncio.get_running_loop().time() + timeout
        seen = 0
        while True:
            for item in self.items[seen:]:
                if pred(item):
                    return item
            seen = len(self.items)
            self.changed.clear()
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return None
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except asyncio.TimeoutError:
                return None

    def messages(self) -> list[Message]:
        return [i for i in self.items if isinstance(i, Message)]


def make_bot(url_port: int, inbox: Inbox, *, unread: bool) -> Bot:
    """The bot under test, on a dispatcher whose router records everything and answers pings."""
    dp = Dispatcher()
    router = Router()

    class Record:
        async def __call__(self, handler, event, data):
            inbox.add(event)
            await handler(event, data)

    router.outer_middleware(Record())

    @router.message()
    async def on_message(message: Message):
        # Answer bob's pings: the "receives and answers" part.
        if message.text and message.text.startswith("ping"):
            await message.answer(f"pong: {message.text}")

    dp.include_router(router)
    return Bot.from_credentials(
        "127.0.0.1",
        "alice",
        "alice-pass",
        https=False,
        web_port=url_port,
        dispatcher=dp,
        receive_unread_messages=unread,
        receive_system_messages=True,
    )


class AnswerCommandCall(TrueConfMethod[AnswerCommandResponse]):
    """`answerCommand` through the SDK's own method machinery: 1.5.4's `AnswerCommand` refuses
    to be built (NotImplementedError, "not yet available in this library"), but the payload is
    the one its `payload()` documents."""

    __api_method__ = "answerCommand"
    __returning__ = AnswerCommandResponse

    def __init__(self, command_id: str, answer_type: str, text: str) -> None:
        super().__init__()
        self.command_id, self.answer_type, self.text = command_id, answer_type, text

    def payload(self) -> dict:
        return {"commandId": self.command_id, "answerType": self.answer_type, "message": {"text": self.text}}


async def expect_api_error(c: Checks, name: str, code: int, coro) -> None:
    CAPTURED.expecting = True
    try:
        await coro
    except ApiErrorException as e:
        c.ok(name, e.code == code, f"errorCode {e.code}, wanted {code}")
        return
    finally:
        CAPTURED.expecting = False
    c.ok(name, False, "no ApiErrorException")


async def run(c: Checks, chatwire: str) -> None:
    sim = Proc([chatwire, "sim", "--protocol", "all", "--listen", "127.0.0.1:0"])
    bob = None
    bot = None
    try:
        first = sim.wait_line(lambda v: "listening" in v, timeout=10)
        if not c.ok("sim starts", first is not None, "".join(sim.stderr)):
            return
        url = first["listening"]
        port = int(url.rsplit(":", 1)[1])

        # --- HTTP surface the SDK relies on -------------------------------------------------
        info = http_json(f"{url}/api/v4/server")
        c.ok("GET /api/v4/server has product.version and display_name",
             bool(info.get("product", {}).get("version")) and info["product"].get("display_name") == "sim.local", info)
        tok = http_json(f"{url}/bridge/api/client/v1/oauth/token",
                        {"client_id": "chat_bot", "grant_type": "password", "username": "alice", "password": "alice-pass"})
        claims = json.loads(base64.urlsafe_b64decode(tok["access_token"].split(".")[1] + "=="))
        now = int(time.time())
        c.ok("token (JSON body): expires_at and JWT exp are wall-clock, an hour ahead",
             tok.get("expires_at") == claims.get("exp") and now + 3500 < claims["exp"] <= now + 3700, (tok, claims))

        # --- the bot connects ----------------------------------------------------------------
        inbox = Inbox()
        bot = make_bot(port, inbox, unread=False)
        await bot.start()
        await asyncio.wait_for(bot.authorized_event.wait(), WAIT)
        c.ok("SDK starts unpatched (version check, token, auth)", bot.me_id == "alice@sim.local", bot.me_id)
        c.ok("server_version", await bot.server_version == info["product"]["version"])

        bob = Bob(chatwire, url)
        c.ok("bob connects through chatwire connect", bob.wait_line(lambda v: v.get("type") == "connected") is not None,
             "".join(bob.stderr))

        # --- P2P: send, receive once, answer -------------------------------------------------
        p2p = (await bot.create_personal_chat("bob")).chat_id
        hello = await bot.send_message(p2p, "hello bob")
        c.ok("bob receives the bot's message", bob.received(lambda m: m["id"] == hello.message_id) is not None)

        r = bob.cmd(op="send", chat=p2p, text="ping 1")
        got = await inbox.wait(lambda m: isinstance(m, Message) and m.text == "ping 1")
        c.ok("bot receives bob's message with chat{chatId,chatTitle,chatType}",
             got is not None and got.chat.chat_id == p2p and got.chat.chat_type == ChatType.P2P
             and got.chat.chat_title == "bob@sim.local" and got.from_user.id == "bob@sim.local", (r, got))
        c.ok("bot's answer reaches bob", bob.received(lambda m: m["content"].get("text") == "pong: ping 1") is not None)

        bob.request("sendMessage", {"chatId": p2p, "content": {"text": "a reply", "parseMode": "text"},
                                    "replyMessageId": hello.message_id})
        got = await inbox.wait(lambda m: isinstance(m, Message) and m.text == "a reply")
        c.ok("reply carries replyMessageId and the expanded replyMessage",
             got is not None and got.reply_message_id == hello.message_id and got.reply_message is not None
             and got.reply_message.text == "hello bob", got)

        bob.request("forwardMessage", {"chatId": p2p, "messageId": hello.message_id})
        got = await inbox.wait(lambda m: isinstance(m, Message) and m.type == MessageType.FORWARDED_MESSAGE)
        c.ok("forward (201) carries the forwarded envelope",
             got is not None and got.forwarded_message is not None and got.forwarded_message.text == "hello bob"
             and got.forwarded_message.message_id == hello.message_id, got)

        # --- inline buttons, incoming command, answerCommand ---------------------------------
        kb = InlineKeyboardMarkup(buttons=[[InlineKeyboardButton(text="Go", command="/go", custom_data="x1")]])
        with_buttons = await bot.send_message(p2p, "press it", buttons=kb)
        c.ok("bob receives the message with buttons", bob.received(lambda m: m["id"] == with_buttons.message_id) is not None)
        pressed = bob.request("pressButton", {"messageId": with_buttons.message_id, "command": "/go"})
        cq = await inbox.wait(lambda e: isinstance(e, CallbackQuery))
        c.ok("bot receives the command (CallbackQuery)",
             cq is not None and cq.command == "/go" and cq.custom_data == "x1" and cq.command_id == pressed.get("commandId")
             and cq.message is not None and cq.message.message_id == with_buttons.message_id, (pressed, cq))
        if cq is not None and cq.command_id:
            await bot(AnswerCommandCall(cq.command_id, "complete", "done"))
            c.ok("answerCommand reaches bob", bob.saw("answerCommand", cq.command_id, "done") is not None)
            await expect_api_error(c, "answerCommand on a settled command: 307", 307,
                                   bot(AnswerCommandCall(cq.command_id, "complete", "again")))

        # --- chat activity, display names ----------------------------------------------------
        act = await bot.send_chat_activity(p2p, ChatActivity.TYPING)
        c.ok("sendChatActivity answer", act.chat_id == p2p and act.activity_type == "typing" and act.retry_after >= 0, act)
        c.ok("bob sees the typing", bob.saw("typing", "alice@sim.local", p2p) is not None)
        bob.request("sendChatActivity", {"chatId": p2p, "activityType": "typing"})
        up = await inbox.wait(lambda e: isinstance(e, Update) and e.method == "sendChatActivity")
        c.ok("bot gets bob's typing as a raw update", up is not None and up.payload.get("userId") == "bob@sim.local", up)
        c.ok("getUserDisplayName (bare name and full id)",
             (await bot.get_user_display_name("bob")).display_name == "Bob"
             and (await bot.get_user_display_name("carol@sim.local")).display_name == "Carol")

        # --- files ---------------------------------------------------------------------------
        limits = await bot.get_file_info_upload_limits()
        c.ok("getFileUploadLimits", limits.max_size and limits.max_size > 0, limits)
        report = b"quarterly numbers\n" * 50
        sent = await bot.send_document(p2p, BufferedInputFile(report, "report.txt"), caption="the report")
        c.ok("sendDocument (uploadFile + HTTP upload + sendFile) with a caption message",
             sent.file_id and sent.caption_message_id, sent)
        c.ok("bob receives the file message", bob.received(lambda m: m["id"] == sent.message_id) is not None)
        c.ok("bob receives the caption", bob.received(lambda m: m["content"].get("text") == "the report") is not None)
        fi = await bot.get_file_info(sent.file_id)
        c.ok("getFileInfo", fi.name == "report.txt" and fi.size == len(report) and fi.ready_state == FileReadyState.READY
             and fi.mimetype == "text/plain" and fi.download_url, fi)
        c.ok("download_file_by_id into memory", await bot.download_file_by_id(sent.file_id) == report)
        with tempfile.TemporaryDirectory() as d:
            dest = Path(d) / "copy.txt"
            saved = await bot.download_file_by_id(sent.file_id, file_path=dest)
            c.ok("download_file_by_id to a file", saved == dest and dest.read_bytes() == report, saved)
        sub = await bot.subscribe_file_progress(sent.file_id)
        prog = await inbox.wait(lambda e: isinstance(e, UploadingProgress) and e.file_id == sent.file_id)
        c.ok("subscribeFileProgress + uploadFileProgress", sub.result and prog is not None and prog.progress == len(report), prog)
        c.ok("unsubscribeFileProgress", (await bot.unsubscribe_file_progress(sent.file_id)).result is True)

        photo = await bot.send_photo(p2p, BufferedInputFile(PNG, "dot.png"), preview=BufferedInputFile(PNG, "dot-small.png"))
        pi = await bot.get_file_info(photo.file_id)
        c.ok("sendPhoto with a preview: getFileInfo lists it and its URL serves it",
             pi.mimetype == "image/png" and pi.previews and http_bytes(pi.previews[0].download_url) == PNG, pi)
        sticker = await bot.send_sticker(p2p, BufferedInputFile(WEBP, "s.webp"))
        si = await bot.get_file_info(sticker.file_id)
        c.ok("sendSticker", si.mimetype == "sticker/webp" and await bot.download_file_by_id(sticker.file_id) == WEBP, si)
        await expect_api_error(c, "getFileInfo of an unknown file: 308", 308, bot.get_file_info("0" * 40))

        # Bob sends a file: uploadFile through chatwire, the bytes over HTTP, sendFile through chatwire.
        blob = bytes(range(256)) * 8
        task = bob.request("uploadFile", {"fileName": "bob.bin", "fileSize": len(blob)})
        tmp = http_json(f"{url}/bridge/api/client/v1/files", method="PUT", raw=blob,
                        headers={"Upload-Task-Id": task.get("uploadTaskId", ""), "Content-Type": "application/octet-stream"})
        bob.request("sendFile", {"chatId": p2p, "content": {"temporalFileId": tmp.get("temporalFileId")}})
        got = await inbox.wait(lambda m: isinstance(m, Message) and m.document is not None and m.document.file_name == "bob.bin")
        c.ok("bot receives bob's file (202) and downloads it",
             got is not None and got.document.file_size == len(blob) and await got.document.download() == blob, got)

        # --- surveys -------------------------------------------------------------------------
        survey = await bot.send_survey(p2p, "Lunch?", "campaign-1")
        c.ok("bob receives the survey", bob.received(lambda m: m["id"] == survey.message_id) is not None)
        edited = await bot.edit_survey(survey.message_id, "Lunch today?", "campaign-1")
        c.ok("editSurvey", edited.message_id == survey.message_id and edited.timestamp > 0, edited)
        got = await bot.get_message_by_id(survey.message_id)
        c.ok("the survey reads back edited", got.content.title == "Lunch today?" and got.is_edited, got)

        # --- group chat: membership, roles, system envelopes, edits --------------------------
        g = (await bot.create_group_chat("Interop")).chat_id
        await bot.add_participant_to_chat(g, "bob", display_history=True)
        c.ok("bob is told about the group", bob.saw(g, "Interop") is not None)
        parts = await bot.get_chat_participants(g, 10, 1)
        c.ok("getChatParticipants", sorted(p.user_id for p in parts.participants) == ["alice@sim.local", "bob@sim.local"], parts)
        await bot.change_participant_role(g, "bob", "admin")
        p = await bot.get_chat_participant(g, "bob")
        c.ok("changeParticipantRole + getChatParticipant", p.role == "admin", p)
        c.ok("hasChatParticipant", (await bot.has_chat_participant(g, "bob")).result is True)
        await expect_api_error(c, "changeParticipantRole to an unknown role: 312", 312,
                               bot.change_participant_role(g, "bob", "emperor"))
        bob.request("editChatTitle", {"chatId": g, "title": "Renamed by Bob"})
        t = await inbox.wait(lambda e: isinstance(e, EditedChatTitle) and e.chat_id == g)
        c.ok("bot gets editChatTitle", t is not None and t.title == "Renamed by Bob", t)
        sysmsg = await inbox.wait(lambda e: isinstance(e, SystemMessage) and e.type == MessageType.EDIT_CHAT_TITLE)
        c.ok("bot gets the system envelope (asked for with receiveSystemMessageEnvelopes)",
             sysmsg is not None and sysmsg.chat.chat_id == g and sysmsg.content.title == "Renamed by Bob", sysmsg)
        chat = await bot.get_chat_by_id(g)
        c.ok("getChatByID", chat.title == "Renamed by Bob" and chat.chat_type == ChatType.GROUP, chat)
        await bot.edit_chat_avatar(g, BufferedInputFile(PNG, "avatar.png"))
        c.ok("editChatAvatar reaches bob", bob.saw(g, "/download/") is not None)

        bob.cmd(op="send", chat=g, text="ping group")
        got = await inbox.wait(lambda m: isinstance(m, Message) and m.text == "ping group")
        c.ok("bot receives a group message", got is not None and got.chat.chat_type == ChatType.GROUP and got.chat.chat_title == "Renamed by Bob", got)
        m = await bot.send_message(g, "draft")
        e = await bot.edit_message(m.message_id, "final")
        c.ok("editMessage", e.message_id == m.message_id, e)
        c.ok("bob sees the edit", bob.saw(m.message_id, "final") is not None)
        hist = await bot.get_chat_history(g, 50)
        kinds = {type(x).__name__ for x in hist.messages}
        c.ok("getChatHistory parses user and system envelopes", {"Message", "SystemMessage"} <= kinds and hist.count == len(hist.messages), kinds)
        got = await bot.get_message_by_id(m.message_id)
        c.ok("getMessageById", got.content.text == "final" and got.is_edited and got.chat_id == g, got)
        await bot.remove_message(m.message_id, for_all=True)
        c.ok("removeMessage reaches bob", bob.saw(m.message_id, "remove") is not None)
        await expect_api_error(c, "getMessageById of a removed message: 306", 306, bot.get_message_by_id(m.message_id))
        chats = await bot.get_chats(count=50, page=1)
        c.ok("getChats", {p2p, g} <= {x.chat_id for x in chats.chats}, chats)
        await bot.clear_chat_history(g, for_all=True)
        cleared = await bot.get_chat_history(g, 50)
        c.ok("clearHistory (for all)", all(isinstance(x, SystemMessage) for x in cleared.messages), cleared)
        await bot.remove_participant_from_chat(g, "bob")
        c.ok("removeChatParticipant", (await bot.has_chat_participant(g, "bob")).result is False)
        c.ok("bob is told he was removed", bob.saw(g, "remove", "bob@sim.local") is not None)
        await bot.delete_chat(g)
        await expect_api_error(c, "getChatByID of a removed chat: 304", 304, bot.get_chat_by_id(g))

        # --- bob acts in a chat of his own: every incoming notification, typed -------------
        bg = bob.request("createGroupChat", {"title": "Bob's"}).get("chatId")
        bob.request("addChatParticipant", {"chatId": bg, "userId": "alice@sim.local"})
        got = await inbox.wait(lambda e: isinstance(e, CreatedGroupChat) and e.chat_id == bg)
        c.ok("createGroupChat notification (added to bob's group)", got is not None and got.title == "Bob's", got)
        got = await inbox.wait(lambda e: isinstance(e, AddedChatParticipant) and e.chat_id == bg and e.user_id == "alice@sim.local")
        c.ok("addChatParticipant notification", got is not None and got.added_by.id == "bob@sim.local" and got.timestamp > 0, got)
        bob.request("addChatParticipant", {"chatId": bg, "userId": "carol@sim.local"})
        got = await inbox.wait(lambda e: isinstance(e, SystemMessage) and e.chat.chat_id == bg and e.type == MessageType.ADD_PARTICIPANT
                               and e.content.user_id == "carol@sim.local")
        c.ok("system envelope: participant added", got is not None, got)
        bob.request("changeParticipantRole", {"chatId": bg, "userId": "carol@sim.local", "role": "admin"})
        got = await inbox.wait(lambda e: isinstance(e, ChangedParticipantRole) and e.chat_id == bg)
        c.ok("changeParticipantRole notification", got is not None and got.user_id == "carol@sim.local" and got.role == "admin", got)
        got = await inbox.wait(lambda e: isinstance(e, SystemMessage) and e.chat.chat_id == bg and e.type == MessageType.PARTICIPANT_ROLE)
        c.ok("system envelope: role changed", got is not None and got.content.role == "admin", got)
        bob.request("removeChatParticipant", {"chatId": bg, "userId": "carol@sim.local"})
        got = await inbox.wait(lambda e: isinstance(e, RemovedChatParticipant) and e.chat_id == bg)
        c.ok("removeChatParticipant notification", got is not None and got.removed_by.id == "bob@sim.local", got)
        got = await inbox.wait(lambda e: isinstance(e, SystemMessage) and e.chat.chat_id == bg and e.type == MessageType.REMOVE_PARTICIPANT)
        c.ok("system envelope: participant removed", got is not None and got.content.user_id == "carol@sim.local", got)
        sent_b = bob.request("sendMessage", {"chatId": bg, "content": {"text": "typo", "parseMode": "text"}})
        bob.request("editMessage", {"messageId": sent_b.get("messageId"), "content": {"text": "fixed", "parseMode": "text"}})
        got = await inbox.wait(lambda e: isinstance(e, EditedMessage) and e.chat_id == bg)
        c.ok("editMessage notification", got is not None and got.content.text == "fixed", got)
        bob.request("removeMessage", {"messageId": sent_b.get("messageId"), "forAll": True})
        got = await inbox.wait(lambda e: isinstance(e, RemovedMessage) and e.chat_id == bg)
        c.ok("removeMessage notification", got is not None and got.message_id == sent_b.get("messageId")
             and got.removed_by.id == "bob@sim.local", got)
        bob.request("clearHistory", {"chatId": bg, "forAll": True})
        got = await inbox.wait(lambda e: isinstance(e, ClearedChatHistory) and e.chat_id == bg)
        c.ok("clearHistory notification", got is not None and got.for_all is True, got)
        got = await inbox.wait(lambda e: isinstance(e, SystemMessage) and e.chat.chat_id == bg and e.type == MessageType.CLEAR_CHAT_HISTORY)
        c.ok("system envelope: history cleared", got is not None and got.content.for_all is True, got)
        bob.request("removeChat", {"chatId": bg})
        got = await inbox.wait(lambda e: isinstance(e, RemovedChat) and e.chat_id == bg)
        c.ok("removeChat notification", got is not None, got)
        bch = bob.request("createChannel", {"title": "Bob's news"}).get("chatId")
        bob.request("addChatParticipant", {"chatId": bch, "userId": "alice@sim.local"})
        got = await inbox.wait(lambda e: isinstance(e, CreatedChannel) and e.chat_id == bch)
        c.ok("createChannel notification", got is not None and got.chat_type == ChatType.CHANNEL, got)

        # --- channel and Favorites -----------------------------------------------------------
        ch = (await bot.create_channel("News")).chat_id
        await bot.add_participant_to_chat(ch, "bob")
        post = await bot.send_message(ch, "breaking")
        c.ok("channel: bob receives the post", bob.received(lambda m: m["id"] == post.message_id) is not None)
        fav = await bot.me_chat
        favc = await bot.get_chat_by_id(fav)
        c.ok("Favorites chat", favc.chat_type == ChatType.FAVORITES and isinstance(favc.title, str), favc)

        # --- changed upload limits (incoming getFileUploadLimits) ----------------------------
        http_json(f"{url}/admin/inject", {"file_upload_limits": {"maxSize": 1000, "extensions": {"mode": "block", "list": ["exe"]}}})
        lim = await inbox.wait(lambda e: isinstance(e, ChangedFileUploadLimits))
        c.ok("bot gets the changed upload limits", lim is not None and bot.max_file_size == 1000
             and bot.file_extensions_list == {"exe"}, lim)
        CAPTURED.expecting = True
        try:
            await bot.send_document(p2p, BufferedInputFile(b"x" * 2000, "big.txt"))
            c.ok("the SDK enforces the new limit", False, "no FileSizeTooLargeError")
        except FileSizeTooLargeError:
            c.ok("the SDK enforces the new limit", True)
        finally:
            CAPTURED.expecting = False
        http_json(f"{url}/admin/inject", {"file_upload_limits": {"maxSize": 16 * 1024 * 1024, "extensions": None}})
        await inbox.wait(lambda e: isinstance(e, ChangedFileUploadLimits) and e.max_size == 16 * 1024 * 1024)

        # --- each message once ---------------------------------------------------------------
        ids = [m.message_id for m in inbox.messages()]
        c.ok("the bot got each message once", len(ids) == len(set(ids)), ids)
        bob_msgs = [v["message"] for v in bob.lines if v.get("type") == "message_received"]
        bob_ids = [m["id"] for m in bob_msgs]
        c.ok("bob got each message once", len(bob_ids) == len(set(bob_ids)), bob_ids)
        system = [m for m in bob_msgs if not 200 <= (m.get("raw") or {}).get("type", 200) <= 205]
        c.ok("no system envelopes for a client that did not ask for them", not system, system[:3])

        # --- restart with receiveUnread ------------------------------------------------------
        await bot.shutdown()
        bot = None
        await asyncio.sleep(0.3)
        bob.cmd(op="send", chat=p2p, text="while you were away 1")
        bob.cmd(op="send", chat=p2p, text="while you were away 2")
        inbox2 = Inbox()
        bot = make_bot(port, inbox2, unread=True)
        await bot.start()
        await asyncio.wait_for(bot.authorized_event.wait(), WAIT)
        await inbox2.wait(lambda m: isinstance(m, Message) and m.text == "while you were away 2")
        await asyncio.sleep(1.0)  # anything redelivered or stale would arrive by now
        texts = [m.text for m in inbox2.messages()]
        c.ok("restart with receiveUnread gets exactly what was sent meanwhile, once",
             texts == ["while you were away 1", "while you were away 2"], texts)
        await bot.shutdown()
        bot = None

        # --- close handshake -----------------------------------------------------------------
        async with websockets.connect(f"ws://127.0.0.1:{port}/websocket/chat_bot") as ws:
            await ws.close()
        rcvd = ws.protocol.close_rcvd
        c.ok("the server echoes Close 1000", rcvd is not None and rcvd.code == 1000, rcvd)

        faults = http_json(f"{url}/admin/faults")
        c.ok("the simulator logged no client faults", faults == [], faults)
    finally:
        if bot is not None:
            await bot.shutdown()
        if bob is not None:
            bob.stop()
            if os.environ.get("DUMP_BOB"):
                for v in bob.lines:
                    print("BOB", json.dumps(v)[:300])
            errs = [v for v in bob.lines if v.get("type") in ("unparsable", "error", "bad_frame", "decode_error")]
            c.ok("chatwire connect printed no error lines", not errs, errs[:5])
        sim.p.terminate()
        sim.p.wait(5)


async def run_storing(c: Checks, chatwire: str) -> None:
    """A server still storing a sent file (readyState 1): the SDK's download waits for it
    through subscribeFileProgress / uploadFileProgress, then fetches it once ready."""
    sim = Proc([chatwire, "sim", "--protocol", "trueconf", "--listen", "127.0.0.1:0", "--trueconf-file-ready-ms", "600"])
    bot = None
    try:
        first = sim.wait_line(lambda v: "listening" in v, timeout=10)
        if not c.ok("sim (files stored slowly) starts", first is not None, "".join(sim.stderr)):
            return
        url = first["listening"]
        port = int(url.rsplit(":", 1)[1])
        inbox = Inbox()
        bot = make_bot(port, inbox, unread=False)
        await bot.start()
        await asyncio.wait_for(bot.authorized_event.wait(), WAIT)
        fav = await bot.me_chat
        data = b"slowly stored\n" * 100
        sent = await bot.send_document(fav, BufferedInputFile(data, "slow.txt"))
        info = await bot.get_file_info(sent.file_id)
        c.ok("a file being stored: readyState UPLOADING, no downloadUrl",
             info.ready_state == FileReadyState.UPLOADING and info.download_url is None, info)
        got = await bot.download_file_by_id(sent.file_id)
        c.ok("download waits through uploadFileProgress until READY, then fetches", got == data, got and len(got))
        info = await bot.get_file_info(sent.file_id)
        c.ok("the file is READY afterwards", info.ready_state == FileReadyState.READY and info.download_url, info)
        hist = await bot.get_chat_history(fav, 5)
        c.ok("its message shows readyState 2 too", any(getattr(m.content, "ready_state", None) == 2 for m in hist.messages), hist)
        faults = http_json(f"{url}/admin/faults")
        c.ok("no client faults (slow storage)", faults == [], faults)
    finally:
        if bot is not None:
            await bot.shutdown()
        sim.p.terminate()
        sim.p.wait(5)


async def run_all(c: Checks, chatwire: str) -> None:
    await run(c, chatwire)
    await run_storing(c, chatwire)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    chatwire = os.path.abspath(sys.argv[1])
    captured = CAPTURED
    logging.getLogger().addHandler(captured)
    # The SDK logs every call at INFO to stderr; only WARNING and above matter here.
    for name in ("trueconf.client.chatbot", "trueconf.dispatcher"):
        logging.getLogger(name).setLevel(logging.WARNING)
    c = Checks()
    try:
        asyncio.run(asyncio.wait_for(run_all(c, chatwire), 100))
    except BaseException as e:  # the SDK raising is a failure, not a crash of the runner
        c.ok("the run completes without an exception", False, "".join(traceback.format_exception(e))[-2000:])
    c.ok("the SDK logged nothing at WARNING or above", not captured.records,
         [f"{r.levelname} {r.name}: {r.getMessage()[:300]}" for r in captured.records[:10]])
    print(f"{c.passed} passed, {c.failed} failed", flush=True)
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
