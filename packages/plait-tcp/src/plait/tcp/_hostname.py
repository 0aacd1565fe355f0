"""``HostnameEndpoint``: connect by name over IPv4 and IPv6 (RFC 8305).

The name is resolved with ``getaddrinfo`` for both families on the
reactor's thread pool (it blocks), unless a resolver of the program's own
was installed on the reactor (``installResolver``, such as plait-dns): then
that resolver's ``getHostByName`` gives the one address to connect to.
The addresses are interleaved by family, starting with the family of the
first answer, and tried in that order: the next attempt starts when the
previous one fails, or after ``attemptDelay``
(250 ms, RFC 8305's recommended connection attempt delay) if it is still
pending. The first connection to be established wins; the others are
abandoned. Which attempt wins is settled in ``buildProtocol``, so the
user's factory builds exactly one protocol even when two connections
complete in the same reactor turn (the loser is closed unused).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from zope.interface import implementer

from plait.address import HostnameAddress
from plait.core import (
    Deferred,
    Failure,
    ThreadedResolver,
    deferToThread,
    isIPLiteral,
    succeed,
)
from plait.errors import ConnectError, ConnectingCancelledError, DNSLookupError
from plait.interfaces import IStreamClientEndpoint

from ._endpoints import connectTCPEndpoint

__all__ = ["HostnameEndpoint", "interleave"]

ATTEMPT_DELAY = 0.25

_Address = tuple[int, str]  # (family, IP address)
_IP_FAMILIES = (int(socket.AF_INET), int(socket.AF_INET6))


def interleave(addresses: list[_Address]) -> list[_Address]:
    """Alternate families, starting with the first address's family."""
    if not addresses:
        return []
    first = addresses[0][0]
    preferred = [a for a in addresses if a[0] == first]
    others = [a for a in addresses if a[0] != first]
    out: list[_Address] = []
    for i in range(max(len(preferred), len(others))):
        if i < len(preferred):
            out.append(preferred[i])
        if i < len(others):
            out.append(others[i])
    return out


def _lookup(host: str, port: int) -> list[_Address]:
    try:
        infos = socket.getaddrinfo(host, port, socket.AF_UNSPEC, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise DNSLookupError(string=f"{host!r} could not be resolved: {e}") from e
    seen: set[_Address] = set()
    found: list[_Address] = []
    for family, _, _, _, sockaddr in infos:
        entry = (int(family), str(sockaddr[0]))
        if entry[0] in _IP_FAMILIES and entry not in seen:
            seen.add(entry)
            found.append(entry)
    if not found:
        raise DNSLookupError(string=f"{host!r} has no IPv4 or IPv6 address")
    return found


def _throughResolver(reactor: Any, host: str) -> Deferred[list[_Address]]:
    for family in _IP_FAMILIES:
        if isIPLiteral(host, family):
            return succeed([(family, host)])

    def one(address: str) -> list[_Address]:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(int(family), address)]

    d: Deferred[str] = reactor.resolve(host)
    return d.addCallback(one)


class _RaceFactory:
    """Lets exactly one of several attempts build the user's protocol."""

    def __init__(self, factory: Any) -> None:
        self.factory = factory
        self.claimed = False

    def doStart(self) -> None:
        self.factory.doStart()

    def doStop(self) -> None:
        self.factory.doStop()

    def buildProtocol(self, addr: Any) -> Any:
        if self.claimed:
            return None
        self.claimed = True
        return self.factory.buildProtocol(addr)


class _Race:
    """The attempts of one ``connect`` call and how they end."""

    def __init__(self, endpoint: HostnameEndpoint, factory: Any) -> None:
        self.endpoint = endpoint
        self.reactor = endpoint._reactor
        self.race = _RaceFactory(factory)
        self.result: Deferred[Any] = Deferred(self._cancel)
        self.pending: list[Deferred[Any]] = []
        self.queue: list[_Address] = []
        self.timer: Any = None
        self.lookup: Deferred[list[_Address]] | None = None
        self.lastFailure: Failure | None = None

    def start(self) -> Deferred[Any]:
        host, port = self.endpoint._host, self.endpoint._port
        resolver = getattr(self.reactor, "resolver", None)
        if (
            self.endpoint._ownLookup
            or resolver is None
            or isinstance(resolver, ThreadedResolver)
        ):
            self.lookup = deferToThread(self.reactor, self.endpoint._lookup, host, port)
        else:
            self.lookup = _throughResolver(self.reactor, host)
        self.lookup.addCallbacks(self._resolved, self._lost)
        return self.result

    def _resolved(self, addresses: list[_Address]) -> None:
        self.lookup = None
        if self.result.called:
            return
        self.queue = interleave(addresses)
        self._next()

    def _next(self) -> None:
        if self.timer is not None and self.timer.active():
            self.timer.cancel()
        self.timer = None
        if self.result.called:
            return
        if not self.queue:
            if not self.pending:
                self._lost(
                    self.lastFailure or Failure(ConnectError(string="no address"))
                )
            return
        _, address = self.queue.pop(0)
        e = self.endpoint
        d = connectTCPEndpoint(
            self.reactor, address, e._port, self.race, e._timeout, e._bindAddress
        )
        self.pending.append(d)
        d.addCallbacks(self._won, self._attemptFailed, errbackArgs=(d,))
        if self.queue and not d.called:
            self.timer = self.reactor.callLater(e._attemptDelay, self._next)

    def _won(self, protocol: Any) -> None:
        if self.result.called:
            return
        self.result.callback(protocol)
        self._stopOthers()

    def _attemptFailed(self, reason: Failure, d: Deferred[Any]) -> None:
        if d in self.pending:
            self.pending.remove(d)
        if self.result.called:
            return
        self.lastFailure = reason
        if self.race.claimed:
            # The winner's factory refused or failed: that is the answer.
            self.result.errback(reason)
            self._stopOthers()
            return
        self._next()

    def _lost(self, reason: Failure) -> None:
        if not self.result.called:
            self.result.errback(reason)

    def _stopOthers(self) -> None:
        if self.timer is not None and self.timer.active():
            self.timer.cancel()
        self.timer = None
        self.queue = []
        pending, self.pending = self.pending, []
        for d in pending:
            if not d.called:
                d.addErrback(lambda f: None)
                d.cancel()

    def _cancel(self, d: Deferred[Any]) -> None:
        e = self.endpoint
        d.errback(
            Failure(ConnectingCancelledError(HostnameAddress(e._hostBytes, e._port)))
        )
        lookup, self.lookup = self.lookup, None
        if lookup is not None:
            lookup.addErrback(lambda f: None)
            lookup.cancel()
        self._stopOthers()


@implementer(IStreamClientEndpoint)
class HostnameEndpoint:
    """Connects to ``host:port`` trying every address of the name.

    :param attemptDelay: seconds to wait before racing the next address.
    :param lookup: ``lookup(host, port) -> [(family, address), ...]``, run
        on the thread pool instead of ``getaddrinfo`` (for tests, or a
        resolver of your own); it raises DNSLookupError for unknown names.
    """

    def __init__(
        self,
        reactor: Any,
        host: str | bytes,
        port: int,
        timeout: float | None = 30,
        bindAddress: tuple[str, int] | None = None,
        attemptDelay: float = ATTEMPT_DELAY,
        *,
        lookup: Callable[[str, int], list[_Address]] | None = None,
    ) -> None:
        if isinstance(host, bytes):
            host = host.decode("idna")
        self._reactor = reactor
        self._host = host
        self._hostBytes = host.encode("idna") if not host.isascii() else host.encode()
        self._port = port
        self._timeout = timeout
        self._bindAddress = bindAddress
        self._attemptDelay = attemptDelay
        self._lookup = _lookup if lookup is None else lookup
        self._ownLookup = lookup is not None

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        """A Deferred of the protocol of the first connection established."""
        return _Race(self, protocolFactory).start()

    def __repr__(self) -> str:
        return f"<HostnameEndpoint {self._host}:{self._port}>"
