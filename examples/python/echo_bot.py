#!/usr/bin/env python3
"""Echo bot: answers every text message from someone else with `echo: <text>`, once.

    python examples/python/echo_bot.py --protocol tada --server http://127.0.0.1:PORT \\
        --team team-sim --token bob-token

Needs the chatwire wheel (scripts/build-python.sh installs it into target/venv). Credential
flags as `chatwire connect`: TrueConf --user/--password (or --token), tada --team/--token,
Talk --user/--password and --room (repeatable).
"""

import argparse
import asyncio

import chatwire


async def main(args: argparse.Namespace) -> None:
    client = await chatwire.connect(args.protocol, args.server, user=args.user,
                                    password=args.password, token=args.token, team=args.team,
                                    rooms=args.room)
    async with client:
        print("echo bot running", flush=True)
        async for event in client.events():
            text = chatwire.text_of(event)
            if text is not None and not event.message.own:
                await client.send_message(event.message.chat_id, f"echo: {text}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", required=True, choices=["trueconf", "tada", "talk"])
    parser.add_argument("--server", required=True, help="base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--token")
    parser.add_argument("--team")
    parser.add_argument("--room", action="append", default=[], help="Talk room token")
    try:
        asyncio.run(main(parser.parse_args()))
    except KeyboardInterrupt:
        pass
