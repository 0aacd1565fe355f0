"""Record classes, name checks, the cache and the timeout schedules."""

from __future__ import annotations

import inspect

import dns.message
import dns.name
import dns.rdata
import dns.rdatatype
import dns.rrset
import pytest

import plait.dns
from plait.dns import A6, MB, MINFO, NULL, InvalidQueryError
from plait.dns._cache import Cache
from plait.dns._names import checkType, toName
from plait.dns._query import schedule
from plait.dns._wire import Response, parseResponse
from plait.errors import DNSNameError


def roundTrip(rrsets: list[dns.rrset.RRset]) -> list[dns.rrset.RRset]:
    response = dns.message.make_response(dns.message.make_query("a.example.", "ANY"))
    response.answer.extend(rrsets)
    return list(dns.message.from_wire(response.to_wire()).answer)


def test_compressed_names_decode_to_names() -> None:
    """MB and MINFO names compressed against the message decode to names."""
    rrsets = [
        dns.rrset.from_text(
            "a.example.", 60, "IN", "MINFO", "r.a.example. e.a.example."
        ),
        dns.rrset.from_text("a.example.", 60, "IN", "MB", "host.a.example."),
    ]
    minfo, mb = roundTrip(rrsets)
    assert isinstance(minfo[0], MINFO) and minfo[0].emailbx == dns.name.from_text(
        "e.a.example."
    )
    assert isinstance(mb[0], MB) and mb[0].target == dns.name.from_text(
        "host.a.example."
    )


def test_null_and_a6_round_trip() -> None:
    """NULL keeps its octets; A6 keeps prefix length, suffix and prefix name."""
    rrsets = [
        dns.rrset.from_text("a.example.", 60, "IN", "NULL", r"\# 3 010203"),
        dns.rrset.from_text("a.example.", 60, "IN", "A6", "64 ::1:2:3:4 p.example."),
    ]
    null, a6 = roundTrip(rrsets)
    assert isinstance(null[0], NULL) and null[0].data == b"\x01\x02\x03"
    record = a6[0]
    assert isinstance(record, A6)
    assert (record.prefixLength, record.address) == (64, "::1:2:3:4")
    assert record.prefix == dns.name.from_text("p.example.")
    assert dns.rdata.from_text("IN", "A6", record.to_text()) == record


def test_a6_rejects_a_long_prefix() -> None:
    """An A6 prefix length over 128 is refused."""
    with pytest.raises(ValueError):
        A6(1, dns.rdatatype.A6, 129, "::", None)


def test_names_idna_and_bytes() -> None:
    """str names are IDNA-encoded; bytes names are taken as they are."""
    assert toName("bücher.example.").to_text() == "xn--bcher-kva.example."
    assert toName(b"a\\b.example.").labels[0] == b"a\\b"
    assert not toName("relative").is_absolute()


def test_meta_types_are_refused() -> None:
    """OPT and AXFR cannot be asked with lookupRecord; unknown mnemonics fail."""
    for bad in (dns.rdatatype.OPT, dns.rdatatype.AXFR, "BOGUS", 70000):
        with pytest.raises(InvalidQueryError):
            checkType("x", bad)
    assert checkType("x", 65280) == 65280


def test_schedule() -> None:
    """A number is cut from the default schedule; a sequence is kept."""
    assert schedule(10) == [1, 3, 6]
    assert schedule(0.5) == [0.5]
    assert schedule(100) == [1, 3, 11, 85]
    assert schedule((2, 4)) == [2, 4]
    for bad in (0, -1, (), (1, 0), "x"):
        with pytest.raises(ValueError):
            schedule(bad)  # type: ignore[arg-type]


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def answerMessage(ttl: int) -> Response:
    m = dns.message.make_response(dns.message.make_query("a.example.", "A"))
    m.answer.append(dns.rrset.from_text("a.example.", ttl, "IN", "A", "192.0.2.1"))
    return parseResponse(m.to_wire())


def test_cache_ttl_and_aging() -> None:
    """A cached answer ages and expires with its TTL."""
    clock = FakeClock()
    cache = Cache(clock)
    key = (dns.name.from_text("a.example."), 1, 1)
    m = answerMessage(60)
    cache.storeAnswer(key, m, (list(m.answer), [], []))
    clock.now += 20
    got = cache.get(key)
    assert isinstance(got, tuple) and got[0][0].ttl == 40
    clock.now += 40
    assert cache.get(key) is None


def test_cache_negative_uses_soa_minimum() -> None:
    """A name error is cached for min(SOA TTL, SOA minimum), RFC 2308."""
    clock = FakeClock()
    cache = Cache(clock)
    key = (dns.name.from_text("n.example."), 1, 1)
    m = dns.message.make_response(dns.message.make_query("n.example.", "A"))
    m.authority.append(
        dns.rrset.from_text("example.", 300, "IN", "SOA", "ns. h. 1 2 3 4 30")
    )
    cache.storeError(key, parseResponse(m.to_wire()), DNSNameError("n.example."))
    clock.now += 29
    assert isinstance(cache.get(key), DNSNameError)
    clock.now += 2
    assert cache.get(key) is None


def test_cache_is_bounded() -> None:
    """The cache drops the least recently used entry beyond its size."""
    cache = Cache(FakeClock(), maxSize=2)
    m = answerMessage(60)
    keys = [(dns.name.from_text(f"h{i}.example."), 1, 1) for i in range(3)]
    for key in keys:
        cache.storeAnswer(key, m, (list(m.answer), [], []))
    assert len(cache) == 2 and cache.get(keys[0]) is None


def test_exports() -> None:
    """plait.dns lists in __all__ exactly the public names it offers."""
    public = {
        name
        for name, value in vars(plait.dns).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert public == set(plait.dns.__all__)
    assert {"createResolver", "Resolver", "ZoneServer", "QueryEngine"} <= public
