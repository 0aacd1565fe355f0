"""TCP: several connections to an echo server, every byte checked."""

from __future__ import annotations

from typing import Any

from plait.core import FirstError, connectProtocol, gatherResults
from plait.tcp import TCP4ClientEndpoint, TCP4ServerEndpoint

from .._checker import EchoChecker
from .._echo import echoFactory
from . import DemoSettings


async def run(reactor: Any, settings: DemoSettings) -> str:
    """Echo ``messages`` KiB over each of ``connections`` TCP connections."""
    port = await TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(
        echoFactory()
    )
    host = port.getHost()
    checkers = [
        EchoChecker(settings.messages, 1024, seed=i)
        for i in range(settings.connections)
    ]
    try:
        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", host.port)
        for checker in checkers:
            await connectProtocol(endpoint, checker)
        try:
            echoed = await gatherResults([c.done for c in checkers], consumeErrors=True)
        except FirstError as e:
            e.subFailure.raiseException()
        total = sum(echoed)
    finally:
        for checker in checkers:
            checker.abandon()
        await port.stopListening()
    return (
        f"echo on {host.host}:{host.port}: {settings.connections} connections,"
        f" {total:,} bytes echoed and verified"
    )
