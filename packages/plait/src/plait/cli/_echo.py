"""``plait echo``: an echo server on any number of server endpoints."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zope.interface import implementer

from plait.core import Deferred, Factory, Protocol, serverFromString
from plait.errors import CancelledError, PlaitError
from plait.interfaces import IHalfCloseableProtocol

from ._console import CommandError, addressText, say

__all__ = ["Echo", "echoFactory", "serveEcho"]


@implementer(IHalfCloseableProtocol)
class Echo(Protocol):
    """Writes back every byte it receives; when the client has finished
    sending, the echo is finished too and the connection closes once
    everything is written back."""

    def dataReceived(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)

    def readConnectionLost(self) -> None:
        assert self.transport is not None
        self.transport.loseConnection()

    def writeConnectionLost(self) -> None:
        """Never asked for by the echo itself."""


def echoFactory() -> Factory:
    """A factory of :class:`Echo` protocols."""
    return Factory.forProtocol(Echo)


async def listenAll(
    reactor: Any, descriptions: Sequence[str], factory: Any
) -> list[tuple[str, Any]]:
    """Listen on every description; on the first failure, close the others.

    :raises CommandError: naming the description that failed and why.
    """
    ports: list[tuple[str, Any]] = []
    try:
        for description in descriptions:
            try:
                endpoint = serverFromString(reactor, description)
                listening = await endpoint.listen(factory)
            except CancelledError:
                raise
            except (ValueError, TypeError, OSError, PlaitError) as e:
                raise CommandError(f"{description}: {e}") from e
            ports.append((description, listening))
    except BaseException:
        for _, listening in ports:
            listening.stopListening()
        raise
    return ports


async def serveEcho(reactor: Any, descriptions: Sequence[str]) -> None:
    """Echo on every endpoint until the reactor is stopped."""
    ports = await listenAll(reactor, descriptions, echoFactory())
    for description, listening in ports:
        say(f"echoing on {description} ({addressText(listening.getHost())})")
    say("Ctrl-C stops")
    try:
        forever: Deferred[None] = Deferred()
        await forever
    finally:
        for _, listening in ports:
            listening.stopListening()
