"""UDP: numbered datagrams to an echo port and back, each one checked."""

from __future__ import annotations

from typing import Any

from plait.core import Deferred
from plait.errors import CancelledError
from plait.udp import DatagramProtocol

from . import DemoSettings

#: How long the datagrams may take on loopback before the step fails.
TIMEOUT = 5.0


class _Echo(DatagramProtocol):
    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        self.transport.write(datagram, addr)


class _Checker(DatagramProtocol):
    """Sends numbered datagrams to one peer, at most ``WINDOW`` unanswered at
    a time (more would overflow the sockets' buffers and be dropped); fires
    ``done`` once every one came back."""

    WINDOW = 32

    def __init__(self, peer: tuple[str, int], count: int) -> None:
        self.peer = peer
        self.count = count
        self.sent = 0
        self.waiting: set[bytes] = set()
        self.done: Deferred[int] = Deferred()

    def startProtocol(self) -> None:
        self.transport.connect(*self.peer)
        self._fill()

    def _fill(self) -> None:
        while self.sent < self.count and len(self.waiting) < self.WINDOW:
            datagram = b"datagram %d" % self.sent
            self.waiting.add(datagram)
            self.transport.write(datagram)
            self.sent += 1

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        self.waiting.discard(datagram)
        self._fill()
        if not self.waiting and self.sent == self.count and not self.done.called:
            self.done.callback(self.count)


async def run(reactor: Any, settings: DemoSettings) -> str:
    """``messages`` datagrams through a UDP echo port on 127.0.0.1."""
    server = reactor.listenUDP(0, _Echo(), interface="127.0.0.1")
    host = server.getHost()
    checker = _Checker((host.host, host.port), settings.messages)
    client = reactor.listenUDP(0, checker, interface="127.0.0.1")
    timeout = reactor.callLater(TIMEOUT, checker.done.cancel)
    try:
        count = await checker.done
    except CancelledError:
        if timeout.active():
            raise  # stopped from outside, not by the timeout
        raise RuntimeError(
            f"UDP: {len(checker.waiting)} datagrams not echoed within {TIMEOUT} s"
        ) from None
    finally:
        if timeout.active():
            timeout.cancel()
        await client.stopListening()
        await server.stopListening()
    return f"echo on {host.host}:{host.port}: {count} datagrams sent back and checked"
