"""Internet socket helpers shared by the transport distributions."""

from __future__ import annotations

import socket

import pytest

from plait.address import IPv4Address, IPv6Address
from plait.core import anyAddress, bindInet, familyForInterface, inetAddress
from plait.errors import CannotListenError


@pytest.mark.parametrize(
    ("interface", "family"),
    [
        ("", socket.AF_INET),
        ("127.0.0.1", socket.AF_INET),
        ("localhost", socket.AF_INET),
        ("::", socket.AF_INET6),
        ("::1", socket.AF_INET6),
        ("fe80::1%lo", socket.AF_INET6),
        ("not:an:address", socket.AF_INET),
    ],
)
def test_family_for_interface(interface: str, family: int) -> None:
    """Only an IPv6 literal (a zone allowed) selects IPv6."""
    assert familyForInterface(interface) == family


def test_any_address() -> None:
    """The wildcard of each family."""
    assert anyAddress(socket.AF_INET) == "0.0.0.0"
    assert anyAddress(socket.AF_INET6) == "::"


def test_bind_inet_binds_non_blocking() -> None:
    """bindInet returns a bound, non-blocking socket of the kind asked for."""
    sock = bindInet(socket.SOCK_DGRAM, "127.0.0.1", 0)
    try:
        assert sock.type == socket.SOCK_DGRAM
        assert sock.getsockname()[0] == "127.0.0.1"
        assert sock.getblocking() is False
    finally:
        sock.close()


def test_bind_inet_refusal_is_cannot_listen() -> None:
    """A taken port, or one out of range, raises CannotListenError."""
    taken = bindInet(socket.SOCK_DGRAM, "127.0.0.1", 0)
    try:
        port = taken.getsockname()[1]
        with pytest.raises(CannotListenError) as info:
            bindInet(socket.SOCK_DGRAM, "127.0.0.1", port)
        assert info.value.port == port
    finally:
        taken.close()
    with pytest.raises(CannotListenError):
        bindInet(socket.SOCK_STREAM, "127.0.0.1", 70000)


def test_inet_address_of_each_family() -> None:
    """A pair is an IPv4Address, a 4-tuple an IPv6Address, of the given type."""
    assert inetAddress("UDP", ("127.0.0.1", 53)) == IPv4Address("UDP", "127.0.0.1", 53)
    assert inetAddress("TCP", ("::1", 80, 0, 0)) == IPv6Address("TCP", "::1", 80)


def test_link_local_addresses_keep_their_zone() -> None:
    """An IPv6 address with a scope id names its zone in host, as fe80::1%lo."""
    index = socket.if_nametoindex("lo")
    address = inetAddress("TCP", ("fe80::1", 80, 0, index))
    assert isinstance(address, IPv6Address)
    assert (address.host, address.scopeID) == ("fe80::1%lo", index)


def test_sockaddr_of_a_zoned_ipv6_literal() -> None:
    """Only an IPv6 literal with a zone becomes a 4-tuple with its scope id."""
    from plait.core import sockaddrFor

    index = socket.if_nametoindex("lo")
    v6, dgram = socket.AF_INET6, socket.SOCK_DGRAM
    assert sockaddrFor(v6, dgram, "fe80::1%lo", 9) == ("fe80::1", 9, 0, index)
    assert sockaddrFor(v6, dgram, "::1", 9) == ("::1", 9)
    assert sockaddrFor(socket.AF_INET, dgram, "127.0.0.1", 9) == ("127.0.0.1", 9)
    with pytest.raises(OSError):
        sockaddrFor(v6, dgram, "fe80::1%no-such-interface0", 9)
