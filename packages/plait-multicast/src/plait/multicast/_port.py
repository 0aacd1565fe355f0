"""A multicast UDP port: a UDP port that can join groups and tune how it
sends to them.

Facts that shaped this module:

- The family comes from the interface the port is bound to: IPv4 unless it
  is an IPv6 literal such as ``"::"``. Each option has an IPv4 and an IPv6
  form (``IP_MULTICAST_TTL`` and ``IPV6_MULTICAST_HOPS``...).
- An IPv4 interface is named by one of its addresses (``"127.0.0.1"``), an
  IPv6 one by its index or name (``1``, ``"lo"``); ``""`` (or 0) lets the
  kernel choose. ``getOutgoingInterface`` answers in the same terms: an
  address for IPv4, an index for IPv6.
- Groups, and IPv4 interfaces, may be given as host names: they resolve
  through the reactor first, so these methods answer with a Deferred. An IP
  literal resolves at once, so the Deferred has fired on return.
- A refused join is ``MulticastJoinError``, carrying the group, the
  interface and the system's error.
- With ``listenMultiple`` several sockets (of this process or of others)
  bind the same port, and each gets a copy of every datagram sent to a
  group it joined, and only those: Linux's habit of handing a socket the
  groups that other sockets joined is turned off (``_sockopt``).
"""

from __future__ import annotations

import socket
import struct
from typing import Any

from zope.interface import implementer

from plait.core import Deferred, Failure, bindInet, isIPLiteral
from plait.errors import MulticastJoinError
from plait.interfaces import IMulticastTransport
from plait.udp import Port

from ._sockopt import hearOnlyJoinedGroups

__all__ = ["MulticastPort"]

_IPV4 = socket.AF_INET
_IPV6 = socket.AF_INET6
_ANY_V4 = socket.inet_aton("0.0.0.0")  # noqa: S104  # INADDR_ANY: the kernel chooses


@implementer(IMulticastTransport)
class MulticastPort(Port):
    """A UDP port (see :class:`plait.udp.Port`) with multicast controls."""

    #: Let other sockets bind the same port too (SO_REUSEADDR/SO_REUSEPORT).
    listenMultiple = False

    def __init__(self, *args: Any, listenMultiple: bool = False, **kw: Any) -> None:
        """The arguments of :class:`plait.udp.Port`, and ``listenMultiple``."""
        super().__init__(*args, **kw)
        self.listenMultiple = bool(listenMultiple)

    def _bind(self) -> socket.socket:
        sock = bindInet(
            socket.SOCK_DGRAM,
            self.interface,
            self.port,
            reuseAddress=self.listenMultiple,
            reusePort=self.listenMultiple,
        )
        hearOnlyJoinedGroups(sock)
        return sock

    # -- IMulticastTransport -------------------------------------------------

    def getOutgoingInterface(self) -> str | int:
        """Where datagrams to groups leave: an IPv4 address (``"0.0.0.0"``
        when the kernel chooses), or an IPv6 interface index (0 likewise)."""
        sock = self.getHandle()
        if self.family == _IPV6:
            return int(sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF))
        raw = sock.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, 4)
        return socket.inet_ntoa(raw)

    def setOutgoingInterface(self, addr: str | int) -> Deferred[int]:
        """Send datagrams to groups through the interface ``addr`` names
        (see the module docstring); the Deferred fires with 1 once it is
        set, or fails with the error."""
        if self.family == _IPV6:
            return _now(lambda: self._setOutgoing(addr))
        return self._local(addr).addCallback(self._setOutgoing)

    def getLoopbackMode(self) -> bool:
        """Whether this host's own members of a group get what it sends."""
        level, name = self._option(socket.IP_MULTICAST_LOOP, "IPV6_MULTICAST_LOOP")
        return bool(self.getHandle().getsockopt(level, name))

    def setLoopbackMode(self, mode: bool) -> None:
        """Deliver (or not) datagrams sent to a group to members on this host."""
        level, name = self._option(socket.IP_MULTICAST_LOOP, "IPV6_MULTICAST_LOOP")
        self.getHandle().setsockopt(level, name, 1 if mode else 0)

    def getTTL(self) -> int:
        """How many routers a datagram to a group may cross (the hop limit)."""
        level, name = self._option(socket.IP_MULTICAST_TTL, "IPV6_MULTICAST_HOPS")
        return int(self.getHandle().getsockopt(level, name))

    def setTTL(self, ttl: int) -> None:
        """Set how many routers a datagram to a group may cross (0-255).

        :raises ValueError: ``ttl`` is outside 0-255.
        :raises TypeError: ``ttl`` is not an int.
        """
        if not isinstance(ttl, int) or isinstance(ttl, bool):
            raise TypeError(f"a TTL is an int, not {type(ttl).__name__}")
        if not 0 <= ttl <= 255:
            raise ValueError(f"a TTL is between 0 and 255, not {ttl}")
        level, name = self._option(socket.IP_MULTICAST_TTL, "IPV6_MULTICAST_HOPS")
        self.getHandle().setsockopt(level, name, ttl)

    def joinGroup(self, addr: str, interface: str | int = "") -> Deferred[int]:
        """Become a member of group ``addr`` on ``interface``.

        The Deferred fires with 1, or fails with MulticastJoinError.
        """
        return self._joinOrLeave(addr, interface, True)

    def leaveGroup(self, addr: str, interface: str | int = "") -> Deferred[int]:
        """Stop being a member of group ``addr`` on ``interface``.

        The Deferred fires with 1, or fails with MulticastJoinError.
        """
        return self._joinOrLeave(addr, interface, False)

    # -- inside --------------------------------------------------------------

    def _option(self, ipv4: int, ipv6: str) -> tuple[int, int]:
        if self.family == _IPV6:
            return socket.IPPROTO_IPV6, int(getattr(socket, ipv6))
        return socket.IPPROTO_IP, ipv4

    def _joinOrLeave(self, group: Any, interface: Any, join: bool) -> Deferred[int]:
        resolving = self._group(group)
        if self.family == _IPV6:
            done = resolving.addCallback(self._membership, interface, join)
        else:

            def onInterface(address: str) -> Deferred[int]:
                return self._local(interface).addCallback(
                    lambda local: self._membership(address, local, join)
                )

            done = resolving.addCallback(onInterface)
        return done.addErrback(_asJoinError, group, interface, join)

    def _group(self, group: Any) -> Deferred[Any]:
        """The group as an address of the port's family, resolving a name."""
        text = _text(group)
        if not isinstance(text, str):
            return _now(lambda: _refuse(group, "a group is an address or a name"))
        if isIPLiteral(text, self.family):
            return _now(lambda: text)
        resolving: Deferred[Any] = self.reactor.resolve(text)
        return resolving

    def _local(self, interface: Any) -> Deferred[Any]:
        """An IPv4 interface as its address ("0.0.0.0": the kernel chooses)."""
        text = _text(interface)
        if text == "" or text == 0:
            return _now(lambda: "0.0.0.0")  # noqa: S104  # the kernel chooses
        if not isinstance(text, str):
            return _now(lambda: _refuse(interface, "an interface is an address"))
        if isIPLiteral(text, _IPV4):
            return _now(lambda: text)
        resolving: Deferred[Any] = self.reactor.resolve(text)
        return resolving

    def _setOutgoing(self, addr: str | int) -> int:
        sock = self.getHandle()
        if self.family == _IPV6:
            sock.setsockopt(
                socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, _index(_text(addr))
            )
        else:
            sock.setsockopt(
                socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(str(addr))
            )
        return 1

    def _membership(self, group: str, interface: Any, join: bool) -> int:
        sock = self.getHandle()
        interface = _text(interface)
        try:
            if self.family == _IPV6:
                option = socket.IPV6_JOIN_GROUP if join else socket.IPV6_LEAVE_GROUP
                request = socket.inet_pton(_IPV6, group) + struct.pack(
                    "@I", _index(interface)
                )
                sock.setsockopt(socket.IPPROTO_IPV6, option, request)
            else:
                option = socket.IP_ADD_MEMBERSHIP if join else socket.IP_DROP_MEMBERSHIP
                local = socket.inet_aton(str(interface)) if interface else _ANY_V4
                sock.setsockopt(
                    socket.IPPROTO_IP, option, socket.inet_aton(group) + local
                )
        except (OSError, ValueError, TypeError) as e:
            doing = "joining" if join else "leaving"
            raise MulticastJoinError(f"{doing} {group}", interface, e) from e
        return 1


def _asJoinError(failure: Failure, group: Any, interface: Any, join: bool) -> Failure:
    """Whatever stopped a join or leave (a name that does not resolve, a
    port that stopped listening...) reaches the caller as MulticastJoinError,
    with the original error as its cause."""
    if failure.check(MulticastJoinError):
        return failure
    doing = "joining" if join else "leaving"
    error = MulticastJoinError(f"{doing} {_text(group)!r}", interface, failure.value)
    error.__cause__ = failure.value
    return Failure(error)


def _now(compute: Any) -> Deferred[Any]:
    """A Deferred that has fired with ``compute()``, or with its error."""
    d: Deferred[Any] = Deferred()
    try:
        d.callback(compute())
    except Exception:
        d.errback(Failure())
    return d


def _text(value: Any) -> Any:
    """Bytes as ASCII text; anything else unchanged."""
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("ascii")
        except UnicodeDecodeError:
            return value
    return value


def _refuse(value: Any, why: str) -> Any:
    raise MulticastJoinError(value, why)


def _index(interface: str | int) -> int:
    """The index of an IPv6 interface given by name or index ("" or 0: any)."""
    if isinstance(interface, int):
        return interface
    if not interface:
        return 0
    if interface.isdigit():
        return int(interface)
    try:
        return socket.if_nametoindex(interface)
    except OSError as e:
        raise ValueError(f"no network interface is named {interface!r}") from e
