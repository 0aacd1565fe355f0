"""UDP: numbered datagrams to an echo port and back, each one checked."""

from __future__ import annotations

from typing import Any

from plait.core import Deferred
from plait.udp import DatagramProtocol

from . import DemoSettings

#: How long the datagrams may take on loopback before the step fails.
TIMEOUT = 5.0


class _Echo(DatagramProtocol):
    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        self.transport.write(datagram, addr)


class _Checker(DatagramProtocol):
    """Sends numbered datagrams to one peer; fires ``done`` once all came back."""

    def __init__(self, peer: tuple[str, int], count: int) -> None:
        self.peer = peer
        self.expected = {b"datagram %d" % n for n in range(count)}
        self.count = count
        self.done: Deferred[int] = Deferred()

    def startProtocol(self) -> None:
        self.transport.connect(*self.peer)
        for datagram in sorted(self.expected):
            self.transport.write(datagram)

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        self.expected.discard(datagram)
        if not self.expected and not self.done.called:
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
    finally:
        if timeout.active():
            timeout.cancel()
        await client.stopListening()
        await server.stopListening()
    return f"echo on {host.host}:{host.port}: {count} datagrams sent back and checked"
