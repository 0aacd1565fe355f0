"""The ``plait`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from plait.core import Deferred, Reactor, react

from ._demo import describe, runDemo
from ._echo import echoFactory


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plait", description="plait, an event-driven networking engine."
    )
    parser.add_argument(
        "--poller", default=None, help="epoll, kqueue, poll or select (default: best)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="verified TCP, TLS and UDP echo on loopback"
    )
    demo.add_argument("--connections", type=int, default=10)
    demo.add_argument("--messages", type=int, default=100, help="KiB per connection")
    commands.add_parser("info", help="installed distributions and reactor interfaces")
    echo = commands.add_parser("echo", help="run a TCP echo server until interrupted")
    echo.add_argument("--port", type=int, default=8000)
    echo.add_argument("--interface", default="127.0.0.1")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command named in ``argv`` (default: the process arguments)."""
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.connections <= 0 if args.command == "demo" else False:
        raise SystemExit("plait demo: --connections must be positive")

    async def run(reactor: Reactor) -> None:
        if args.command == "demo":
            await runDemo(reactor, print, args.connections, args.messages)
        elif args.command == "info":
            describe(reactor, print)
        else:
            await serveEcho(reactor, args.port, args.interface)

    react(run, reactor=Reactor(poller=args.poller))


async def serveEcho(reactor: Reactor, port: int, interface: str) -> None:
    """Echo on ``interface:port`` until the reactor stops."""
    from plait.tcp import TCP4ServerEndpoint

    listening = await TCP4ServerEndpoint(reactor, port, interface=interface).listen(
        echoFactory()
    )
    print(f"echoing on {listening.getHost()}; Ctrl-C stops")
    forever: Deferred[Any] = Deferred()
    await forever
