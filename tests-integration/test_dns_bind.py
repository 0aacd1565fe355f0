"""plait-dns against BIND's named on loopback (see named.py for the zones)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from named import BIG_RECORDS, Named, namedBinary, startNamed

pytest.importorskip("plait.dns")

import dns.rdatatype

from plait.dns import A6, MB, MG, MINFO, MR, NULL, createResolver
from plait.errors import DNSNameError, DNSNotImplementedError, DNSQueryRefusedError


@pytest.fixture(scope="module")
def named() -> Iterator[Named]:
    """A named for the module, authoritative for example.test and big.test."""
    binary = namedBinary()
    if binary is None:
        pytest.skip("BIND's named is not installed (Debian package bind9)")
    server = startNamed(binary)
    yield server
    server.stop()


@pytest.fixture
def resolver(reactor: Any, named: Named) -> Any:
    """A resolver asking the named, without cache files or hosts."""
    return createResolver(
        reactor, servers=[("127.0.0.1", named.port)], resolvconf=None, hosts=None
    )


def wait(reactor: Any, until: Callable[..., None], d: Any) -> Any:
    box: list[Any] = []
    d.addBoth(box.append)
    until(reactor, lambda: box)
    return box[0]


def answer(reactor: Any, until: Callable[..., None], d: Any) -> Any:
    result = wait(reactor, until, d)
    if hasattr(result, "raiseException"):
        result.raiseException()
    return result


CASES = [
    ("lookupAddress", "www.example.test", dns.rdatatype.A, {"192.0.2.1", "192.0.2.2"}),
    ("lookupIPV6Address", "www.example.test", dns.rdatatype.AAAA, {"2001:db8::1"}),
    ("lookupAddress6", "example.test", dns.rdatatype.A6, {"0 2001:db8::a6"}),
    ("lookupMailExchange", "example.test", dns.rdatatype.MX, {"10 mail.example.test."}),
    ("lookupNameservers", "example.test", dns.rdatatype.NS, {"ns1.example.test."}),
    (
        "lookupCanonicalName",
        "alias.example.test",
        dns.rdatatype.CNAME,
        {"www.example.test."},
    ),
    ("lookupMailBox", "example.test", dns.rdatatype.MB, {"mail.example.test."}),
    ("lookupMailGroup", "example.test", dns.rdatatype.MG, {"member.example.test."}),
    ("lookupMailRename", "example.test", dns.rdatatype.MR, {"renamed.example.test."}),
    ("lookupPointer", "ptr.example.test", dns.rdatatype.PTR, {"www.example.test."}),
    ("lookupNull", "example.test", dns.rdatatype.NULL, {r"\# 4 deadbeef"}),
    ("lookupHostInfo", "example.test", dns.rdatatype.HINFO, {'"PDP-11" "UNIX"'}),
    (
        "lookupMailboxInfo",
        "example.test",
        dns.rdatatype.MINFO,
        {"admin.example.test. errors.example.test."},
    ),
    ("lookupText", "info.example.test", dns.rdatatype.TXT, {'"contact us"'}),
    (
        "lookupResponsibility",
        "example.test",
        dns.rdatatype.RP,
        {"admin.example.test. info.example.test."},
    ),
    ("lookupAFSDatabase", "example.test", dns.rdatatype.AFSDB, {"1 afs.example.test."}),
    (
        "lookupService",
        "_imap._tcp.example.test",
        dns.rdatatype.SRV,
        {"0 5 143 mail.example.test."},
    ),
]


@pytest.mark.parametrize(("method", "name", "rdtype", "expected"), CASES)
def test_each_lookup_method_returns_bind_records(
    reactor: Any,
    until: Any,
    resolver: Any,
    method: str,
    name: str,
    rdtype: int,
    expected: set[str],
) -> None:
    """Each lookup method fires with the records named serves, as dnspython RRsets."""
    answers, authority, additional = answer(
        reactor, until, getattr(resolver, method)(name)
    )
    rrsets = [r for r in answers if r.rdtype == rdtype]
    assert len(rrsets) == 1
    assert {rd.to_text() for rd in rrsets[0]} == expected
    assert isinstance(authority, list) and isinstance(additional, list)


def test_special_types_decode_to_their_classes(
    reactor: Any, until: Any, resolver: Any
) -> None:
    """MB, MG, MR, MINFO, NULL and A6 from BIND decode to plait's record classes."""
    for method, cls in [
        ("lookupMailBox", MB),
        ("lookupMailGroup", MG),
        ("lookupMailRename", MR),
        ("lookupMailboxInfo", MINFO),
        ("lookupNull", NULL),
        ("lookupAddress6", A6),
    ]:
        answers, _, _ = answer(
            reactor, until, getattr(resolver, method)("example.test")
        )
        assert isinstance(answers[0][0], cls)


def test_authority_and_all_records(reactor: Any, until: Any, resolver: Any) -> None:
    """lookupAuthority gives the SOA; lookupAllRecords (ANY) gives the apex records."""
    answers, _, _ = answer(reactor, until, resolver.lookupAuthority("example.test"))
    assert answers[0][0].serial == 2024010101
    answers, _, _ = answer(reactor, until, resolver.lookupAllRecords("example.test"))
    types = {r.rdtype for r in answers}
    assert {dns.rdatatype.SOA, dns.rdatatype.NS, dns.rdatatype.MX} <= types


def test_well_known_services(reactor: Any, until: Any, resolver: Any) -> None:
    """lookupWellKnownServices returns the WKS record with its address."""
    answers, _, _ = answer(
        reactor, until, resolver.lookupWellKnownServices("example.test")
    )
    assert answers[0][0].address == "192.0.2.10"


def test_truncated_answer_is_fetched_over_tcp(
    reactor: Any, until: Any, resolver: Any
) -> None:
    """A TXT answer over BIND's UDP limit comes back whole, over TCP."""
    answers, _, _ = answer(reactor, until, resolver.lookupText("big.example.test"))
    (rdata,) = answers[0]
    assert len(rdata.strings) == 12 and all(len(s) == 250 for s in rdata.strings)


def test_name_error_carries_name_and_type(
    reactor: Any, until: Any, resolver: Any
) -> None:
    """NXDOMAIN from BIND fails with DNSNameError naming the name and type."""
    result = wait(reactor, until, resolver.lookupAddress("missing.example.test"))
    assert result.check(DNSNameError)
    assert result.value.name == "missing.example.test."
    assert result.value.type == "A"


def test_refused_for_a_zone_bind_does_not_serve(
    reactor: Any, until: Any, resolver: Any
) -> None:
    """A query outside BIND's zones, with recursion off, fails as refused."""
    result = wait(reactor, until, resolver.lookupAddress("example.org"))
    assert result.check(DNSQueryRefusedError, DNSNotImplementedError)
    assert result.value.name == "example.org."


def test_get_host_by_name_prefers_ipv6(reactor: Any, until: Any, resolver: Any) -> None:
    """getHostByName picks AAAA over A, A6 over both, A when alone."""
    assert (
        answer(reactor, until, resolver.getHostByName("www.example.test"))
        == "2001:db8::1"
    )
    assert (
        answer(reactor, until, resolver.getHostByName("example.test")) == "2001:db8::a6"
    )
    assert (
        answer(reactor, until, resolver.getHostByName("only4.example.test"))
        == "192.0.2.4"
    )


def test_ipv6_server(reactor: Any, until: Any, named: Named) -> None:
    """The resolver asks named over IPv6 (::1) as well, UDP and then TCP."""
    if not named.ipv6:
        pytest.skip("::1 cannot be bound on this machine")
    resolver = createResolver(
        reactor, servers=[("::1", named.port)], resolvconf=None, hosts=None
    )
    answers, _, _ = answer(reactor, until, resolver.lookupAddress("only4.example.test"))
    assert answers[0][0].address == "192.0.2.4"
    answers, _, _ = answer(reactor, until, resolver.lookupText("big.example.test"))
    assert len(answers[0][0].strings) == 12


def test_zone_transfer_spans_many_messages(
    reactor: Any, until: Any, resolver: Any
) -> None:
    """lookupZone gets every record of a zone whose AXFR takes many messages."""
    answers, _, _ = answer(reactor, until, resolver.lookupZone("big.test"))
    assert answers[0].rdtype == dns.rdatatype.SOA
    addresses = [r for r in answers if r.rdtype == dns.rdatatype.A]
    assert len(addresses) == BIG_RECORDS + 1
    assert sum(1 for r in answers if r.rdtype == dns.rdatatype.SOA) == 1


def test_zone_transfer_of_unserved_zone_fails(
    reactor: Any, until: Any, resolver: Any
) -> None:
    """An AXFR of a zone named does not serve fails with a DNS error."""
    result = wait(reactor, until, resolver.lookupZone("other.test"))
    assert result.value.type == "AXFR"


def test_installed_resolver_serves_connect_tcp(
    reactor: Any, until: Any, resolver: Any
) -> None:
    """After installResolver, connectTCP to a name connects where named says."""
    from plait.core import ClientFactory, Factory, Protocol

    accepted: list[Any] = []

    class Server(Protocol):
        def connectionMade(self) -> None:
            accepted.append(self)

    port = reactor.listenTCP(0, Factory.forProtocol(Server), interface="127.0.0.1")
    reactor.installResolver(resolver)
    made: list[Any] = []

    class Client(Protocol):
        def connectionMade(self) -> None:
            made.append(self)
            self.transport.loseConnection()

    factory = ClientFactory()
    factory.protocol = Client
    reactor.connectTCP("local.example.test", port.getHost().port, factory)
    until(reactor, lambda: made and accepted)
    assert made[0].transport.getPeer().host == "127.0.0.1"
    port.stopListening()


def test_installed_resolver_serves_tcp_endpoint(
    reactor: Any, until: Any, resolver: Any
) -> None:
    """After installResolver, a tcp: client endpoint resolves its host through it."""
    from plait.core import Factory, Protocol, clientFromString, connectProtocol

    accepted: list[Any] = []

    class Server(Protocol):
        def connectionMade(self) -> None:
            accepted.append(self)

    port = reactor.listenTCP(0, Factory.forProtocol(Server), interface="127.0.0.1")
    reactor.installResolver(resolver)
    endpoint = clientFromString(
        reactor, f"tcp:host=local.example.test:port={port.getHost().port}"
    )
    connected = wait(reactor, until, connectProtocol(endpoint, Protocol()))
    until(reactor, lambda: accepted)
    assert connected.transport.getPeer().host == "127.0.0.1"
    connected.transport.loseConnection()
    port.stopListening()


def test_installed_resolver_serves_hostname_endpoint(
    reactor: Any, until: Any, resolver: Any
) -> None:
    """After installResolver, HostnameEndpoint resolves its name through it."""
    from plait.core import Factory, Protocol, connectProtocol
    from plait.tcp import HostnameEndpoint

    port = reactor.listenTCP(0, Factory.forProtocol(Protocol), interface="127.0.0.1")
    reactor.installResolver(resolver)
    endpoint = HostnameEndpoint(reactor, "local.example.test", port.getHost().port)
    connected = wait(reactor, until, connectProtocol(endpoint, Protocol()))
    assert connected.transport.getPeer().host == "127.0.0.1"
    connected.transport.loseConnection()
    port.stopListening()
