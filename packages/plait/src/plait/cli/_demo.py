"""``plait demo``: what is installed, then verified TCP, TLS and UDP echo on
loopback."""

from __future__ import annotations

import importlib.metadata
import time
from collections.abc import Callable
from typing import Any

from plait.core import (
    Deferred,
    Reactor,
    connectProtocol,
    describeReactor,
    gatherResults,
)
from plait.errors import SSLError
from plait.tcp import (
    TCP4ClientEndpoint,
    TCP4ServerEndpoint,
    TLSClientEndpoint,
    TLSServerEndpoint,
    optionsForClientTLS,
    optionsForServerTLS,
)
from plait.udp import DatagramProtocol

from ._certs import makeDemoCertificates
from ._echo import EchoChecker, echoFactory

Say = Callable[[str], None]


def installedDistributions() -> list[tuple[str, str]]:
    """(name, version) of every installed plait distribution, sorted."""
    found = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name and (name == "plait" or name.startswith("plait-")):
            found[name] = dist.version
    return sorted(found.items())


def describe(reactor: Reactor, say: Say) -> None:
    """Print the installed distributions and what the reactor provides."""
    say("installed distributions:")
    for name, version in installedDistributions():
        say(f"  {name} {version}")
    say(f"reactor poller: {reactor.pollerName}")
    say("the reactor provides:")
    for name in describeReactor(reactor):
        say(f"  {name}")


async def tcpEcho(reactor: Reactor, say: Say, connections: int, messages: int) -> None:
    """Echo ``messages`` KiB over each of ``connections`` TCP connections."""
    port = await TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(
        echoFactory()
    )
    host = port.getHost()
    try:
        started = time.perf_counter()
        checkers = [EchoChecker(messages, 1024, seed=i) for i in range(connections)]
        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", host.port)
        for checker in checkers:
            await connectProtocol(endpoint, checker)
        total = sum(await gatherResults([c.done for c in checkers]))
        elapsed = time.perf_counter() - started
    finally:
        await port.stopListening()
    say(
        f"tcp echo on {host.host}:{host.port}: {connections} connections, "
        f"{total:,} bytes echoed and verified in {elapsed * 1000:.1f} ms"
    )


async def tlsEcho(reactor: Reactor, say: Say) -> None:
    """Verified TLS echo with a fresh CA; then a client that must refuse it."""
    certs = makeDemoCertificates("localhost")
    server = optionsForServerTLS(
        certs.serverCertificate, certs.serverKey, acceptableProtocols=[b"demo/1"]
    )
    port = await TLSServerEndpoint(
        TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1"), server
    ).listen(echoFactory())
    number = port.getHost().port
    try:
        client = optionsForClientTLS(
            "localhost", trustRoot=certs.caCertificate, acceptableProtocols=[b"demo/1"]
        )
        tcp = TCP4ClientEndpoint(reactor, "127.0.0.1", number)
        checker = EchoChecker(64, 1024)
        await connectProtocol(TLSClientEndpoint(tcp, client), checker)
        transport: Any = checker.transport
        version, alpn = transport.tlsVersion, transport.negotiatedProtocol
        await checker.done
        say(
            f"tls echo: {checker.received:,} bytes verified over {version}, "
            f"ALPN {alpn.decode() if alpn else 'none'}, "
            "server certificate checked for 'localhost'"
        )
        wrong = optionsForClientTLS("plait.invalid", trustRoot=certs.caCertificate)
        refused = EchoChecker(1, 16)
        try:
            await connectProtocol(TLSClientEndpoint(tcp, wrong), refused)
            await refused.done
        except SSLError as e:
            say(f"tls with the wrong hostname is refused: {e}")
        else:
            raise RuntimeError("a client expecting another hostname was not refused")
    finally:
        await port.stopListening()


class _UDPEcho(DatagramProtocol):
    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        self.transport.write(datagram, addr)


class _UDPChecker(DatagramProtocol):
    """Sends numbered datagrams to one peer; fires ``done`` once all came back."""

    def __init__(self, peer: tuple[str, int], count: int) -> None:
        self.peer = peer
        self.expected = {b"datagram %d" % n for n in range(count)}
        self.done: Deferred[int] = Deferred()

    def startProtocol(self) -> None:
        self.transport.connect(*self.peer)
        for datagram in sorted(self.expected):
            self.transport.write(datagram)

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        self.expected.discard(datagram)
        if not self.expected and not self.done.called:
            self.done.callback(len(datagram))


async def udpEcho(reactor: Reactor, say: Say, count: int) -> None:
    """``count`` datagrams to a UDP echo port and back, each one checked."""
    server = reactor.listenUDP(0, _UDPEcho(), interface="127.0.0.1")
    host = server.getHost()
    checker = _UDPChecker((host.host, host.port), count)
    client = reactor.listenUDP(0, checker, interface="127.0.0.1")
    timeout = reactor.callLater(5, checker.done.cancel)
    try:
        await checker.done
    finally:
        if timeout.active():
            timeout.cancel()
        await client.stopListening()
        await server.stopListening()
    say(f"udp echo on {host.host}:{host.port}: {count} datagrams sent back and checked")


async def runDemo(
    reactor: Reactor, say: Say = print, connections: int = 10, messages: int = 100
) -> None:
    """The whole demo, on a running reactor."""
    describe(reactor, say)
    await tcpEcho(reactor, say, connections, messages)
    await tlsEcho(reactor, say)
    await udpEcho(reactor, say, messages)
    say("demo complete")
