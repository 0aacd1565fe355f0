"""The default host name resolver: ``getaddrinfo`` on a worker thread.

``getaddrinfo`` blocks and cannot be interrupted, so each lookup runs on
the reactor's thread pool while a timer bounds how long the caller waits.
A lookup that times out keeps its thread until the C library gives up; its
late answer is dropped.

``getHostByName`` returns one address as a string, picked at random among
the answers of the preferred family.  IPv4 is preferred here, unlike the
interface's general rule (IPv6 first): this resolver serves the reactor's
own ``resolve`` and ``connectTCP``, and a server listening on 127.0.0.1
must stay reachable as "localhost", as it is with every other reactor.  A
name with only IPv6 records yields an IPv6 address.  The network resolver
of plait-dns follows the interface's order.
"""

from __future__ import annotations

import ipaddress
import random
import socket
from collections.abc import Sequence
from typing import Any, Protocol

from zope.interface import implementer

from plait.errors import DNSLookupError, TimeoutError
from plait.interfaces import IResolverSimple

from ._defer import Deferred, fail, succeed
from ._failure import Failure

__all__ = ["ResolverMixin", "ThreadedResolver", "lookupHost"]


class _ReactorLike(Protocol):
    def callLater(self, delay: float, callable: Any, *args: Any, **kw: Any) -> Any: ...
    def callFromThread(self, callable: Any, *args: Any, **kw: Any) -> None: ...
    def getThreadPool(self) -> Any: ...


def lookupHost(name: str) -> str:
    """Resolve *name* to one address, blocking; IPv4 preferred, one of
    several picked at random.

    :raises plait.errors.DNSLookupError: the name has no address.
    """
    try:
        infos = socket.getaddrinfo(name, None, socket.AF_UNSPEC, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise DNSLookupError(string=f"address {name!r} not found: {e}") from e
    for family in (socket.AF_INET, socket.AF_INET6):
        found = list(dict.fromkeys(str(i[4][0]) for i in infos if i[0] == family))
        if found:
            return random.choice(found)  # noqa: S311  # spreading load, not secrets
    raise DNSLookupError(string=f"address {name!r} not found: no IP address")


def _totalTimeout(timeout: float | Sequence[float]) -> float:
    if isinstance(timeout, (int, float)):
        return float(timeout)
    return float(sum(timeout))


@implementer(IResolverSimple)
class ThreadedResolver:
    """An :class:`~plait.interfaces.IResolverSimple` for one reactor."""

    def __init__(self, reactor: _ReactorLike) -> None:
        self._reactor = reactor

    def getHostByName(
        self, name: str, timeout: float | Sequence[float] = (1, 3, 11, 45)
    ) -> Deferred[str]:
        """Look *name* up; the Deferred fires with an address string.

        It fails with :class:`plait.errors.DNSLookupError` when the name
        does not resolve, and with :class:`plait.errors.TimeoutError` when
        the answer takes longer than the sum of *timeout*.  Cancelling it
        stops the wait (the thread finishes on its own).
        """
        reactor = self._reactor
        total = _totalTimeout(timeout)

        def cancel(d: Deferred[str]) -> None:
            if timer.active():
                timer.cancel()

        result: Deferred[str] = Deferred(cancel)

        def timedOut() -> None:
            if not result.called:
                result.errback(
                    Failure(
                        TimeoutError(
                            string=f"looking up {name!r} took more than {total:g}s"
                        )
                    )
                )

        def deliver(ok: bool, value: Any) -> None:
            if timer.active():
                timer.cancel()
            if result.called:
                return
            if ok:
                result.callback(value)
            else:
                result.errback(value)

        def onResult(ok: bool, value: Any) -> None:
            reactor.callFromThread(deliver, ok, value)

        timer = reactor.callLater(total, timedOut)
        reactor.getThreadPool().callInThreadWithCallback(onResult, lookupHost, name)
        return result


class ResolverMixin:
    """``resolve`` and IReactorPluggableResolver, for the reactor."""

    _resolver: IResolverSimple

    @property
    def resolver(self) -> IResolverSimple:
        """The resolver ``resolve()`` uses now (see :meth:`installResolver`)."""
        return self._resolver

    def installResolver(self, resolver: IResolverSimple) -> IResolverSimple:
        """Make *resolver* serve ``resolve()``; return the one it replaces.

        :raises TypeError: *resolver* does not provide IResolverSimple.
        """
        if not IResolverSimple.providedBy(resolver):
            raise TypeError(f"{resolver!r} does not provide IResolverSimple")
        old, self._resolver = self._resolver, resolver
        return old

    def resolve(self, name: str | bytes, timeout: float = 10) -> Deferred[str]:
        """One IP address for *name*; an IP literal answers at once.

        *name* may be text or ASCII bytes.
        """
        if isinstance(name, (bytes, bytearray)):
            try:
                name = bytes(name).decode("ascii")
            except UnicodeDecodeError:
                return fail(DNSLookupError(f"{name!r} is not a host name"))
        try:
            # Only text: ip_address would read 4 or 16 bytes as a packed address.
            ipaddress.ip_address(name)
        except ValueError:
            pass
        else:
            return succeed(name)
        if timeout:
            result = self._resolver.getHostByName(name, (timeout,))
        else:
            result = self._resolver.getHostByName(name)
        if not isinstance(result, Deferred):
            raise TypeError(f"{self._resolver!r} returned {result!r}, not a Deferred")
        return result
