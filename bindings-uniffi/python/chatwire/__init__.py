"""chatwire: TrueConf Chatbot API, tada.team and Nextcloud Talk clients on asyncio.

::

    async with await chatwire.connect("tada", "https://tada.example", team=T, token=K) as client:
        async for event in client.events():
            if isinstance(event, chatwire.Event.MESSAGE_RECEIVED) and not event.message.own:
                await client.send_message(event.message.chat_id, "hi")

Events, replies and errors are the typed UniFFI classes of ``chatwire._ffi`` (re-exported
here); ``ChatwireError`` variants are exceptions.
"""

from ._ffi import *  # noqa: F401,F403  (the typed records, enums and exceptions)
from ._ffi import ChatwireError, Event, Reply, Transmit, ClientOptions  # noqa: F401
from . import _tagged  # noqa: F401,E402  (handle_frame(s) through one JSON parse)
from .client import Client, connect, fetch_trueconf_token, now_ms  # noqa: F401


def text_of(event) -> "str | None":
    """The text of a ``MessageReceived`` event's message when it is a text message."""
    if isinstance(event, Event.MESSAGE_RECEIVED):
        content = event.message.content
        if isinstance(content, _Content.TEXT):
            return content.text
    return None


from ._ffi import Content as _Content  # noqa: E402
