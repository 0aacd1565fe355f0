"""The ``plait`` command line.

Conventions every subcommand follows:

- ``--help`` lists the options with their defaults;
- a usage mistake (an unknown option, a count below one, a port outside
  0-65535) exits 2 with the usage line and one line naming it;
- a runtime failure (a port in use, an endpoint kind that is not
  installed, an unknown poller) prints ``plait: error: ...`` and exits 1;
  ``plait --debug ...`` adds the traceback, which is otherwise never shown;
- SIGINT and SIGTERM stop a running subcommand cleanly, with status 0;
- every line of output is flushed as it is written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NoReturn

from plait.core import Reactor, availablePollers, react
from plait.errors import CancelledError

from ._console import configureOutput, reportError, say
from ._dig import (
    checkArguments,
    dnsServer,
    domainName,
    positiveSeconds,
    recordType,
)
from ._info import describe, version
from ._options import clientEndpoint, positiveInt, serverEndpoint
from ._steps import DemoSettings

__all__ = ["buildParser", "main"]

Command = Callable[[Any, argparse.Namespace], Awaitable[object]]


class _Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default value, when it has one."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        # A default of None or False means "not given": saying so is noise.
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


async def _demo(reactor: Any, args: argparse.Namespace) -> object:
    from ._demo import runDemo

    return await runDemo(reactor, DemoSettings(args.connections, args.messages))


async def _info(reactor: Any, args: argparse.Namespace) -> object:
    describe(reactor, say)
    return None


async def _echo(reactor: Any, args: argparse.Namespace) -> object:
    from ._echo import serveEcho

    await serveEcho(reactor, args.listen or ["tcp:8000:interface=127.0.0.1"])
    return None


async def _dig(reactor: Any, args: argparse.Namespace) -> object:
    from ._dig import runDig

    status = await runDig(reactor, args, say)
    if status:
        raise SystemExit(status)
    return None


async def _forward(reactor: Any, args: argparse.Namespace) -> object:
    from ._forward import serveForward

    await serveForward(reactor, args.listen, args.to)
    return None


def buildParser() -> argparse.ArgumentParser:
    """The argument parser of the ``plait`` command and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="plait",
        description="plait, an event-driven networking engine: a tour, an echo"
        " server, a port forwarder, a DNS lookup tool and what is installed.",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"plait {version()}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show tracebacks and debug logging",
    )
    parser.add_argument(
        "--poller",
        default=None,
        metavar="NAME",
        help=f"the reactor's poller, one of {', '.join(availablePollers())}"
        " (default: the best one)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, run: Command) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name, help=summary, description=summary, formatter_class=_Formatter
        )
        sub.set_defaults(run=run)
        return sub

    demo = command(
        "demo", "every installed distribution at work on loopback, step by step", _demo
    )
    demo.add_argument(
        "--connections",
        type=positiveInt,
        default=10,
        metavar="N",
        help="TCP connections echoed at once",
    )
    demo.add_argument(
        "--messages",
        type=positiveInt,
        default=100,
        metavar="N",
        help="KiB echoed per connection, and datagrams echoed over UDP",
    )
    command("info", "version, distributions, poller and reactor interfaces", _info)
    echo = command("echo", "an echo server on one or more endpoints", _echo)
    echo.add_argument(
        "--listen",
        action="extend",
        nargs="+",
        type=serverEndpoint,
        metavar="ENDPOINT",
        help="server endpoint strings such as tcp:8000:interface=127.0.0.1,"
        " tls:8443:certKey=server.pem or unix:/tmp/echo.sock; repeatable"
        " (default: tcp:8000:interface=127.0.0.1)",
    )
    forward = command(
        "forward", "relay each connection of one endpoint to another", _forward
    )
    forward.add_argument(
        "--listen",
        action="extend",
        nargs="+",
        type=serverEndpoint,
        required=True,
        metavar="ENDPOINT",
        help="server endpoint strings to accept on; repeatable",
    )
    forward.add_argument(
        "--to",
        required=True,
        type=clientEndpoint,
        metavar="ENDPOINT",
        help="the client endpoint each connection is relayed to, such as"
        " tcp:localhost:8000 or tls:example.com:443 (verified)",
    )
    dig = command("dig", "ask a DNS server a question, or for a whole zone", _dig)
    dig.add_argument(
        "name", nargs="?", type=domainName, metavar="NAME", help="the name to look up"
    )
    dig.add_argument(
        "type",
        nargs="?",
        default="A",
        type=recordType,
        metavar="TYPE",
        help="the record type, such as A, AAAA, MX, TXT or ANY",
    )
    dig.add_argument(
        "--axfr",
        type=domainName,
        metavar="ZONE",
        help="transfer the whole zone ZONE (over TCP) instead of asking NAME",
    )
    dig.add_argument(
        "--server",
        type=dnsServer,
        metavar="HOST[:PORT]",
        help="the server to ask: 192.0.2.53, 192.0.2.53:5353, ::1 or [::1]:5353"
        " (default: the first nameserver of /etc/resolv.conf)",
    )
    dig.add_argument(
        "--tcp", action="store_true", help="ask over TCP only, never over UDP"
    )
    dig.add_argument(
        "--timeout",
        type=positiveSeconds,
        default=5.0,
        metavar="S",
        help="seconds to wait for each attempt (with --axfr: for the transfer)",
    )
    dig.add_argument(
        "--tries",
        type=positiveInt,
        default=3,
        metavar="N",
        help="attempts before giving up",
    )
    dig.set_defaults(check=lambda args: checkArguments(args, dig.error))
    return parser


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Run the command named in ``argv`` (default: the process arguments)."""
    parser = buildParser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    check = getattr(args, "check", None)
    if check is not None:
        check(args)
    configureOutput(args.debug)
    try:
        reactor = Reactor(poller=args.poller)
    except ValueError as e:
        reportError(e, args.debug)
        raise SystemExit(1) from None

    async def run(reactor: Any) -> object:
        try:
            return await args.run(reactor, args)
        except (CancelledError, SystemExit):
            raise
        except Exception as e:
            reportError(e, args.debug)
            raise SystemExit(1) from None

    try:
        react(run, reactor=reactor)
    finally:
        reactor.close()
