"""The resolver on a real reactor, against small in-process servers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from plait.core import Reactor
from plait.dns import InvalidQueryError, Query, Resolver, ZoneServer, createResolver
from plait.dns._hosts import Hosts
from plait.errors import (
    DNSLookupError,
    DNSNameError,
    DNSQueryTimeoutError,
    DNSServerError,
)
from plait.udp import DatagramProtocol

BIG = '" "'.join(["x" * 250] * 8)
ZONE = f"""
$TTL 300
@ IN SOA ns.example. admin.example. 1 3600 600 86400 30
@ IN NS ns.example.
www IN A 192.0.2.1
www IN AAAA 2001:db8::1
v4 IN A 192.0.2.4
big IN TXT "{BIG}"
"""

Spin = Callable[[Reactor, Callable[[], object]], None]


def result(reactor: Reactor, spin: Spin, d: Any) -> Any:
    box: list[Any] = []
    d.addBoth(box.append)
    spin(reactor, lambda: box)
    return box[0]


@pytest.fixture
def zone(reactor: Reactor) -> Any:
    server = ZoneServer(ZONE, origin="example.")
    port = server.listen(reactor)
    yield port
    server.stopListening()


def test_lookup_through_udp(reactor: Reactor, spin: Spin, zone: int) -> None:
    """lookupAddress fires with (answers, authority, additional) of RRsets."""
    r = createResolver(
        reactor, servers=[("127.0.0.1", zone)], resolvconf=None, hosts=None
    )
    answers, authority, additional = result(
        reactor, spin, r.lookupAddress("www.example.")
    )
    assert (
        isinstance(answers[0], dns.rrset.RRset) and answers[0][0].address == "192.0.2.1"
    )
    assert authority == [] and additional == []


def test_truncation_goes_to_tcp(reactor: Reactor, spin: Spin, zone: int) -> None:
    """A TXT larger than the UDP limit comes back whole over TCP."""
    r = createResolver(
        reactor, servers=[("127.0.0.1", zone)], resolvconf=None, hosts=None
    )
    answers, _, _ = result(reactor, spin, r.lookupText("big.example."))
    assert len(answers[0][0].strings) == 8


def test_use_tcp_sends_no_datagram(reactor: Reactor, spin: Spin) -> None:
    """createResolver(useTCP=True) asks over TCP and never sends a datagram."""
    server = ZoneServer(ZONE, origin="example.")
    port = server.listen(reactor)
    udp = server.ports[0]
    udp.stopListening()
    server.ports.remove(udp)
    r = createResolver(
        reactor,
        servers=[("127.0.0.1", port)],
        resolvconf=None,
        hosts=None,
        useTCP=True,
    )
    answers, _, _ = result(reactor, spin, r.lookupText("big.example."))
    assert len(answers[0][0].strings) == 8
    server.stopListening()


def test_query_object_and_cache(reactor: Reactor, spin: Spin, zone: int) -> None:
    """query() takes a Query; a repeated lookup is answered from the cache."""
    server = ZoneServer(ZONE, origin="example.")
    r = Resolver(reactor, [("127.0.0.1", zone)])
    first = result(reactor, spin, r.query(Query("www.example.", "AAAA")))
    assert first[0][0][0].address == "2001:db8::1"
    assert len(r.cache) == 1
    second = r.query(Query("www.example.", "AAAA"))
    assert second.called
    assert result(reactor, spin, second)[0][0][0].address == "2001:db8::1"
    del server


def test_negative_answer_is_cached(reactor: Reactor, spin: Spin, zone: int) -> None:
    """NXDOMAIN is cached for the SOA's minimum, and fails again at once."""
    r = Resolver(reactor, [("127.0.0.1", zone)])
    failure = result(reactor, spin, r.lookupAddress("nope.example."))
    assert failure.check(DNSNameError) and failure.value.type == "A"
    again = r.lookupAddress("nope.example.")
    assert again.called
    assert result(reactor, spin, again).check(DNSNameError)


def test_search_domains(reactor: Reactor, spin: Spin, zone: int) -> None:
    """A relative name is tried with the search domains until one exists."""
    r = Resolver(
        reactor, [("127.0.0.1", zone)], search=["nothere.example.", "example."], ndots=1
    )
    answers, _, _ = result(reactor, spin, r.lookupAddress("www"))
    assert answers[0].name.to_text() == "www.example."


def test_get_host_by_name_prefers_aaaa(reactor: Reactor, spin: Spin, zone: int) -> None:
    """getHostByName picks AAAA over A, and A when there is no AAAA."""
    r = Resolver(reactor, [("127.0.0.1", zone)])
    assert result(reactor, spin, r.getHostByName("www.example.")) == "2001:db8::1"
    assert result(reactor, spin, r.getHostByName("v4.example.")) == "192.0.2.4"
    failure = result(reactor, spin, r.getHostByName("nope.example."))
    assert failure.check(DNSLookupError)


def test_hosts_file_answers_first(reactor: Reactor, spin: Spin, tmp_path: Any) -> None:
    """Names in the hosts file resolve without a server."""
    path = tmp_path / "hosts"
    path.write_text(
        "# comment\n10.1.2.3 printer printer.lan\nfe80::1 printer\nbad line\n"
    )
    r = Resolver(reactor, [("127.0.0.1", 9)], hosts=Hosts(str(path)))
    assert result(reactor, spin, r.getHostByName("printer")) == "fe80::1"
    answers, _, _ = result(reactor, spin, r.lookupAddress("printer.lan"))
    assert answers[0][0].address == "10.1.2.3"


def test_resolv_conf(reactor: Reactor, tmp_path: Any) -> None:
    """createResolver reads servers, search domains and ndots from resolv.conf."""
    path = tmp_path / "resolv.conf"
    path.write_text(
        "nameserver 192.0.2.53\nnameserver ::1\n"
        "search a.example b.example\noptions ndots:3\n"
    )
    r = createResolver(reactor, resolvconf=str(path), hosts=None)
    assert r.servers == [("192.0.2.53", 53), ("::1", 53)]
    assert [s.to_text() for s in r.search] == ["a.example.", "b.example."]
    assert r.ndots == 3


@pytest.mark.parametrize(
    "name",
    ["a" * 64 + ".example.", ".".join(["a" * 63] * 5), "a..example.", b"x" * 64],
)
def test_bad_names_fail_at_once(reactor: Reactor, name: Any) -> None:
    """Names that cannot be encoded fail before anything is sent."""
    r = Resolver(reactor, [("127.0.0.1", 9)])
    d = r.lookupAddress(name)
    box: list[Any] = []
    d.addErrback(box.append)
    assert box and box[0].check(InvalidQueryError)


def test_unknown_type_fails_at_once(reactor: Reactor) -> None:
    """An unknown record type fails before anything is sent."""
    r = Resolver(reactor, [("127.0.0.1", 9)])
    box: list[Any] = []
    r.lookupRecord("example.", 1, "NOSUCHTYPE").addErrback(box.append)
    assert box and box[0].check(InvalidQueryError)


class Misbehaving(DatagramProtocol):
    """Answers each query the way *mode* says."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.queries = 0

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        self.queries += 1
        query = dns.message.from_wire(datagram)
        good = dns.message.make_response(query)
        good.answer.append(
            dns.rrset.from_text(query.question[0].name, 60, "IN", "A", "192.0.2.7")
        )
        mode = self.mode
        if mode == "slow":
            if self.queries == 1:
                self.transport.reactor.callLater(
                    0.15, self.transport.write, good.to_wire(), addr
                )
            return
        if mode == "servfail":
            bad = dns.message.make_response(query)
            bad.set_rcode(dns.rcode.SERVFAIL)
            self.transport.write(bad.to_wire(), addr)
            return
        if mode == "tc":
            bad = dns.message.make_response(query)
            bad.flags |= dns.flags.TC
            self.transport.write(bad.to_wire(), addr)
            return
        wire = good.to_wire()
        junk = {
            "garbage": b"\x00" * 3 + b"\xff" * 30,
            "wrongid": bytes([wire[0] ^ 0xFF]) + wire[1:],
            "short": wire[:7],
            "loop": wire[:4]
            + b"\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01",
            "question": dns.message.make_response(
                dns.message.make_query("other.example.", "A", id=query.id)
            ).to_wire(),
        }[mode]
        self.transport.write(junk, addr)
        if mode in ("short", "loop") and self.queries == 2:
            self.transport.write(wire, addr)


def serve(reactor: Any, mode: str) -> tuple[Any, Misbehaving]:
    protocol = Misbehaving(mode)
    port = reactor.listenUDP(0, protocol, "127.0.0.1")
    protocol.transport.reactor = reactor
    return port, protocol


@pytest.mark.parametrize("mode", ["garbage", "wrongid", "question", "short", "loop"])
def test_bad_answers_time_out_cleanly(reactor: Reactor, spin: Spin, mode: str) -> None:
    """Garbage, wrong IDs or questions, short headers and loops are ignored: the
    query keeps waiting, takes a good answer that follows, or times out."""
    port, protocol = serve(reactor, mode)
    r = Resolver(reactor, [("127.0.0.1", port.getHost().port)], cacheSize=0)
    outcome = result(reactor, spin, r.lookupAddress("x.example.", timeout=(0.05, 0.05)))
    assert protocol.queries == 2
    if mode in ("short", "loop"):
        # The second attempt's junk is followed by the real answer.
        assert outcome[0][0][0].address == "192.0.2.7"
    else:
        assert outcome.check(DNSQueryTimeoutError)
        assert outcome.value.name == "x.example."
    assert r.ignoredReplies == 2
    port.stopListening()


def test_slow_server_answer_still_counts(reactor: Reactor, spin: Spin) -> None:
    """An answer to the first attempt arriving during the second is accepted."""
    port, _ = serve(reactor, "slow")
    r = Resolver(reactor, [("127.0.0.1", port.getHost().port)])
    answers, _, _ = result(
        reactor, spin, r.lookupAddress("x.example.", timeout=(0.05, 5))
    )
    assert answers[0][0].address == "192.0.2.7"
    port.stopListening()


def test_dead_server_times_out(reactor: Reactor, spin: Spin) -> None:
    """A server that refuses (nothing listens) ends in a timeout error, not a hang."""
    port, _ = serve(reactor, "garbage")
    number = port.getHost().port
    port.stopListening()
    spin(reactor, lambda: True)
    r = Resolver(reactor, [("127.0.0.1", number)])
    failure = result(reactor, spin, r.lookupAddress("x.example.", timeout=(0.05, 0.05)))
    assert failure.check(DNSQueryTimeoutError)


def test_servfail(reactor: Reactor, spin: Spin) -> None:
    """SERVFAIL fails with DNSServerError naming name and type."""
    port, _ = serve(reactor, "servfail")
    r = Resolver(reactor, [("127.0.0.1", port.getHost().port)])
    failure = result(reactor, spin, r.lookupMailExchange("x.example."))
    assert failure.check(DNSServerError) and failure.value.type == "MX"
    port.stopListening()


def test_truncated_with_tcp_refused(reactor: Reactor, spin: Spin) -> None:
    """A TC answer from a server without TCP fails with a clear server error."""
    port, _ = serve(reactor, "tc")
    r = Resolver(reactor, [("127.0.0.1", port.getHost().port)])
    failure = result(reactor, spin, r.lookupAddress("x.example.", timeout=(1,)))
    assert failure.check(DNSServerError)
    assert "TCP" in str(failure.value)
    port.stopListening()


def test_install_resolver_serves_connect_tcp(
    reactor: Reactor, spin: Spin, zone: int
) -> None:
    """reactor.installResolver makes the reactor's resolve() use the resolver."""
    r = Resolver(reactor, [("127.0.0.1", zone)])
    reactor.installResolver(r)
    assert result(reactor, spin, reactor.resolve("v4.example.")) == "192.0.2.4"


def test_cancel_closes_sockets(reactor: Reactor, spin: Spin) -> None:
    """Cancelling a lookup fails it with CancelledError and closes its socket."""
    port, protocol = serve(reactor, "garbage")
    r = Resolver(reactor, [("127.0.0.1", port.getHost().port)])
    d = r.lookupAddress("x.example.", timeout=30)
    spin(reactor, lambda: protocol.queries)
    d.cancel()
    from plait.errors import CancelledError

    assert result(reactor, spin, d).check(CancelledError)
    port.stopListening()


def test_zone_transfer_timeout(reactor: Reactor, spin: Spin) -> None:
    """lookupZone from a server that accepts and stays silent fails at its timeout."""
    from plait.core import Factory, Protocol

    silent = reactor.listenTCP(0, Factory.forProtocol(Protocol), interface="127.0.0.1")
    r = Resolver(reactor, [("127.0.0.1", silent.getHost().port)])
    failure = result(reactor, spin, r.lookupZone("example.", timeout=0.1))
    assert failure.check(DNSQueryTimeoutError)
    assert failure.value.type == "AXFR"
    silent.stopListening()


def test_zone_transfer_refused_by_zone_server(
    reactor: Reactor, spin: Spin, zone: int
) -> None:
    """A server that refuses AXFR makes lookupZone fail with DNSQueryRefusedError."""
    from plait.errors import DNSQueryRefusedError

    r = Resolver(reactor, [("127.0.0.1", zone)])
    failure = result(reactor, spin, r.lookupZone("example."))
    assert failure.check(DNSQueryRefusedError)


def test_cancel_get_host_by_name(reactor: Reactor, spin: Spin) -> None:
    """Cancelling getHostByName fails it with CancelledError, not a lookup error."""
    from plait.errors import CancelledError

    port, protocol = serve(reactor, "garbage")
    r = Resolver(reactor, [("127.0.0.1", port.getHost().port)])
    d = r.getHostByName("x.example.", timeout=(30,))
    spin(reactor, lambda: protocol.queries >= 3)
    d.cancel()
    assert result(reactor, spin, d).check(CancelledError)
    port.stopListening()


def test_query_goes_to_the_lookup_method_of_its_type(
    reactor: Reactor, spin: Spin, zone: int
) -> None:
    """query() hands an Internet-class question to the lookup method of its
    type (so an overridden method sees it), and other classes to
    lookupRecord."""
    r = createResolver(
        reactor, servers=[("127.0.0.1", zone)], resolvconf=None, hosts=None
    )
    seen: list[tuple[str, Any]] = []

    class Watching(Resolver):
        def lookupAddress(self, name: Any, timeout: Any = 10) -> Any:
            seen.append(("A", name))
            return super().lookupAddress(name, timeout)

        def lookupZone(self, name: Any, timeout: Any = 10) -> Any:
            seen.append(("AXFR", name))
            return super().lookupZone(name, timeout)

    r.__class__ = Watching
    answers, _, _ = result(reactor, spin, r.query(Query("www.example.", "A")))
    assert answers[0][0].address == "192.0.2.1"
    assert seen == [("A", "www.example.")]
    question = dns.rrset.RRset(dns.name.from_text("example."), "IN", "AXFR")
    result(reactor, spin, r.query(question))
    assert seen[-1][0] == "AXFR"


class _DropsA(DatagramProtocol):
    """Answers A6 and AAAA with empty authoritative answers, drops A."""

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        query = dns.message.from_wire(datagram)
        if query.question[0].rdtype == dns.rdatatype.A:
            return
        answer = dns.message.make_response(query)
        answer.flags |= dns.flags.AA
        self.transport.write(answer.to_wire(), addr)


def test_get_host_by_name_times_out_when_one_family_does(
    reactor: Reactor, spin: Spin
) -> None:
    """With no address in the families that answered and one that never
    did, getHostByName fails with a timeout, as the interface says."""
    port = reactor.listenUDP(0, _DropsA(), "127.0.0.1")
    r = createResolver(
        reactor,
        servers=[("127.0.0.1", port.getHost().port)],
        resolvconf=None,
        hosts=None,
    )
    outcome = result(reactor, spin, r.getHostByName("x.example.", timeout=(0.2,)))
    assert outcome.check(DNSQueryTimeoutError)
    port.stopListening()


def test_bytes_names_use_the_hosts_file(
    reactor: Reactor, spin: Spin, tmp_path: Any
) -> None:
    """A bytes name listed in the hosts file is answered from it at once."""
    path = tmp_path / "hosts"
    path.write_text("10.9.9.9 myhost\n::9 myhost\n")
    r = Resolver(reactor, [("127.0.0.1", 9)], hosts=Hosts(str(path)))
    d = r.getHostByName(b"myhost")
    assert d.called
    assert result(reactor, spin, d) == "::9"
