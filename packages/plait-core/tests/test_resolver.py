"""resolve(), installResolver() and the default threaded resolver."""

from __future__ import annotations

import socket
import threading

import pytest
from zope.interface import implementer
from zope.interface.verify import verifyObject

from plait.core import Deferred, Reactor, ThreadedResolver, succeed
from plait.errors import DNSLookupError, TimeoutError
from plait.interfaces import IResolverSimple


@implementer(IResolverSimple)
class RecordingResolver:
    """Answers every name with one address and remembers the questions."""

    def __init__(self, answer: str = "192.0.2.1") -> None:
        self.answer = answer
        self.asked: list[tuple[str, object]] = []

    def getHostByName(
        self, name: str, timeout: object = (1, 3, 11, 45)
    ) -> Deferred[str]:
        self.asked.append((name, timeout))
        return succeed(self.answer)


def _result(d: Deferred[str]) -> list[object]:
    out: list[object] = []
    d.addBoth(out.append)
    return out


def _fake_getaddrinfo(monkeypatch: pytest.MonkeyPatch, answer) -> None:
    def fake(host, port, family=0, type=0, proto=0, flags=0):
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            return answer()
        return answer

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def _info(family: int, address: str):
    return (family, socket.SOCK_STREAM, 6, "", (address, 0))


@pytest.mark.parametrize("literal", ["127.0.0.1", "::1", "2001:db8::5"])
def test_ip_literal_resolves_at_once(reactor: Reactor, literal: str) -> None:
    """An IP literal is the answer itself; no resolver is consulted."""
    resolver = RecordingResolver()
    reactor.installResolver(resolver)
    assert _result(reactor.resolve(literal)) == [literal]
    assert resolver.asked == []


def test_resolve_uses_installed_resolver(reactor: Reactor) -> None:
    """resolve() asks the installed resolver, passing its timeout as a tuple."""
    resolver = RecordingResolver("198.51.100.7")
    reactor.installResolver(resolver)
    assert _result(reactor.resolve("example.test", timeout=7)) == ["198.51.100.7"]
    assert resolver.asked == [("example.test", (7,))]


def test_bytes_names_are_decoded_never_read_as_packed_addresses(
    reactor: Reactor,
) -> None:
    """A bytes name is decoded; four bytes are a name, not a packed IPv4."""
    resolver = RecordingResolver("198.51.100.7")
    reactor.installResolver(resolver)
    assert _result(reactor.resolve(b"abcd")) == ["198.51.100.7"]
    assert _result(reactor.resolve(b"127.0.0.1")) == ["127.0.0.1"]
    assert resolver.asked == [("abcd", (10,))]


def test_install_resolver_returns_previous(reactor: Reactor) -> None:
    """installResolver returns the resolver it replaces."""
    first, second = RecordingResolver(), RecordingResolver()
    default = reactor.installResolver(first)
    assert isinstance(default, ThreadedResolver)
    assert reactor.installResolver(second) is first


def test_install_resolver_refuses_non_resolvers(reactor: Reactor) -> None:
    """An object that does not provide IResolverSimple is a TypeError."""
    with pytest.raises(TypeError, match="IResolverSimple"):
        reactor.installResolver(object())  # type: ignore[arg-type]


def test_threaded_resolver_provides_interface(reactor: Reactor) -> None:
    """The default resolver verifies against IResolverSimple."""
    assert verifyObject(IResolverSimple, ThreadedResolver(reactor))


def test_localhost_resolves(reactor: Reactor, spin, monkeypatch) -> None:
    """A name with addresses resolves to one of them through the thread pool."""
    _fake_getaddrinfo(monkeypatch, [_info(socket.AF_INET, "127.0.0.1")])
    out = _result(reactor.resolve("localhost"))
    spin(reactor, lambda: out)
    assert out == ["127.0.0.1"]


def test_ipv4_is_preferred(reactor: Reactor, spin, monkeypatch) -> None:
    """With both families available, the IPv4 address is returned."""
    _fake_getaddrinfo(
        monkeypatch,
        [_info(socket.AF_INET6, "2001:db8::1"), _info(socket.AF_INET, "192.0.2.9")],
    )
    out = _result(reactor.resolve("dual.test"))
    spin(reactor, lambda: out)
    assert out == ["192.0.2.9"]


def test_one_of_several_addresses_is_picked_at_random(monkeypatch) -> None:
    """Among several addresses of the preferred family, each gets picked."""
    from plait.core._resolver import lookupHost

    addresses = ["192.0.2.1", "192.0.2.2", "192.0.2.3"]
    _fake_getaddrinfo(
        monkeypatch,
        [_info(socket.AF_INET6, "2001:db8::1")]
        + [_info(socket.AF_INET, a) for a in addresses],
    )
    seen = {lookupHost("many.test") for _ in range(300)}
    assert seen == set(addresses)


def test_ipv6_only_name(reactor: Reactor, spin, monkeypatch) -> None:
    """A name with only IPv6 addresses resolves to an IPv6 address."""
    _fake_getaddrinfo(monkeypatch, [_info(socket.AF_INET6, "2001:db8::1")])
    out = _result(reactor.resolve("six.test"))
    spin(reactor, lambda: out)
    assert out == ["2001:db8::1"]


def test_unknown_name_fails_with_dns_lookup_error(
    reactor: Reactor, spin, monkeypatch
) -> None:
    """A name that does not resolve fails with DNSLookupError naming it."""
    _fake_getaddrinfo(monkeypatch, socket.gaierror(socket.EAI_NONAME, "unknown"))
    out = _result(reactor.resolve("nowhere.invalid"))
    spin(reactor, lambda: out)
    assert out[0].check(DNSLookupError)
    assert "nowhere.invalid" in str(out[0].value)


def test_slow_lookup_times_out(clocked_reactor, clock, spin, monkeypatch) -> None:
    """A lookup slower than the timeout fails with plait's TimeoutError."""
    release = threading.Event()
    entered = threading.Event()

    def slow():
        entered.set()
        release.wait(30)
        return [_info(socket.AF_INET, "192.0.2.1")]

    _fake_getaddrinfo(monkeypatch, slow)
    out = _result(clocked_reactor.resolve("slow.test", timeout=2))
    assert entered.wait(30)
    clock.advance(2)
    clocked_reactor.iterate()
    try:
        assert out and out[0].check(TimeoutError)
        assert "slow.test" in str(out[0].value)
    finally:
        release.set()
    # The late answer is dropped quietly.
    pool = clocked_reactor.getThreadPool()
    spin(clocked_reactor, lambda: not pool.threads or len(out) == 1, limit=50)
    assert len(out) == 1


def test_scalar_timeout_accepted(reactor: Reactor, spin, monkeypatch) -> None:
    """getHostByName accepts one number as the timeout, not only a tuple."""
    _fake_getaddrinfo(monkeypatch, [_info(socket.AF_INET, "192.0.2.3")])
    out = _result(ThreadedResolver(reactor).getHostByName("x.test", 5))
    spin(reactor, lambda: out)
    assert out == ["192.0.2.3"]


def test_cancel_stops_the_timer(reactor: Reactor, monkeypatch) -> None:
    """Cancelling a lookup drops its timeout call."""
    release = threading.Event()
    _fake_getaddrinfo(monkeypatch, lambda: release.wait(30) and [])
    d = ThreadedResolver(reactor).getHostByName("x.test", (30,))
    assert len(reactor.getDelayedCalls()) == 1
    d.addErrback(lambda f: None)
    d.cancel()
    release.set()
    assert reactor.getDelayedCalls() == ()
