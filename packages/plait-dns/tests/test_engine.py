"""The sans-IO query engine and zone transfer, wired to fake servers."""

from __future__ import annotations

import struct

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from plait.dns import QueryEngine
from plait.dns._engine import Finished, SendDatagram, SendStream
from plait.dns._framing import StreamFramer, frame
from plait.dns._transfer import ZoneTransfer
from plait.errors import (
    DNSFormatError,
    DNSNameError,
    DNSQueryTimeoutError,
    DNSServerError,
)

NAME = dns.name.from_text("www.example.")
S1 = ("192.0.2.1", 53)
S2 = ("192.0.2.2", 53)


def engine(schedule: tuple[float, ...] = (1, 3)) -> QueryEngine:
    return QueryEngine(NAME, dns.rdatatype.A, 1, [S1, S2], schedule)


def reply(
    wire: bytes, rcode: int = 0, address: str = "192.0.2.9"
) -> dns.message.Message:
    query = dns.message.from_wire(wire)
    response = dns.message.make_response(query)
    response.set_rcode(dns.rcode.Rcode.make(rcode))
    if rcode == 0:
        response.answer.append(
            dns.rrset.from_text(query.question[0].name, 60, "IN", "A", address)
        )
    return response


def test_query_has_edns_and_random_id() -> None:
    """The first datagram carries EDNS0 with a 1232-octet buffer and a random ID."""
    ids = set()
    for _ in range(20):
        send = engine().start(0.0)
        assert isinstance(send, SendDatagram)
        query = dns.message.from_wire(send.data)
        assert query.edns == 0 and query.payload == 1232
        ids.add(query.id)
    assert len(ids) > 10


def test_matching_answer_finishes() -> None:
    """An answer from the server asked, with its ID and question, finishes the query."""
    e = engine()
    send = e.start(0.0)
    done = e.datagramReceived(0, reply(send.data).to_wire(), S1, 0.1)
    assert isinstance(done, Finished) and done.error is None
    assert done.message is not None and done.message.answer[0][0].address == "192.0.2.9"


@pytest.mark.parametrize(
    "bad", ["source", "id", "question", "short", "loop", "garbage", "query"]
)
def test_bad_answers_are_ignored(bad: str) -> None:
    """Wrong source, ID or question, short header, loop or garbage: ignored."""
    e = engine()
    send = e.start(0.0)
    good = reply(send.data)
    source = S1
    if bad == "source":
        wire, source = good.to_wire(), ("192.0.2.66", 53)
    elif bad == "id":
        good.id ^= 1
        wire = good.to_wire()
        good.id ^= 1
    elif bad == "question":
        other = dns.message.make_query("evil.example.", "A")
        other.id = good.id
        wire = dns.message.make_response(other).to_wire()
    elif bad == "short":
        wire = good.to_wire()[:11]
    elif bad == "loop":
        header = good.to_wire()[:4] + struct.pack("!HHHH", 1, 0, 0, 0)
        wire = header + b"\xc0\x0c" + b"\x00\x01\x00\x01"
    elif bad == "garbage":
        wire = good.to_wire()[:2] + b"\x80" + b"\xff" * 40
    else:
        wire = send.data
    assert e.datagramReceived(0, wire, source, 0.1) is None
    assert e.ignored == 1
    done = e.datagramReceived(0, good.to_wire(), S1, 0.2)
    assert isinstance(done, Finished) and done.error is None


def test_timeouts_rotate_servers_then_fail() -> None:
    """Each attempt goes to the next server with a fresh ID; the last timeout fails."""
    e = engine((1, 3, 5))
    first = e.start(0.0)
    second = e.timedOut(0, 1.0)
    assert (
        isinstance(second, SendDatagram) and second.server == S2 and second.timeout == 3
    )
    third = e.timedOut(1, 4.0)
    assert isinstance(third, SendDatagram) and third.server == S1
    assert first.data[:2] != second.data[:2] or second.data[:2] != third.data[:2]
    assert e.timedOut(0, 4.0) is None
    done = e.timedOut(2, 9.0)
    assert isinstance(done, Finished)
    assert isinstance(done.error, DNSQueryTimeoutError)
    assert done.error.name == "www.example." and done.error.type == "A"


def test_late_answer_to_an_earlier_attempt_counts() -> None:
    """An answer to the first attempt still wins after the second went out."""
    e = engine()
    first = e.start(0.0)
    e.timedOut(0, 1.0)
    done = e.datagramReceived(0, reply(first.data).to_wire(), S1, 1.5)
    assert isinstance(done, Finished) and done.error is None


@pytest.mark.parametrize(
    ("rcode", "error"),
    [(dns.rcode.NXDOMAIN, DNSNameError), (dns.rcode.SERVFAIL, DNSServerError)],
)
def test_response_codes_become_errors(rcode: int, error: type) -> None:
    """NXDOMAIN and SERVFAIL finish with their error classes, naming the query."""
    e = engine()
    send = e.start(0.0)
    done = e.datagramReceived(0, reply(send.data, rcode).to_wire(), S1, 0.1)
    assert isinstance(done, Finished)
    assert isinstance(done.error, error)
    assert done.error is not None and done.error.name == "www.example."


def test_truncated_answer_moves_to_tcp() -> None:
    """A TC answer switches to a framed TCP query to the same server."""
    e = engine()
    send = e.start(0.0)
    truncated = reply(send.data)
    truncated.answer.clear()
    truncated.flags |= dns.flags.TC
    stream = e.datagramReceived(0, truncated.to_wire(), S1, 0.5)
    assert isinstance(stream, SendStream) and stream.server == S1
    assert stream.timeout == pytest.approx(3.5)
    (query,) = StreamFramer().feed(stream.data)
    answer = frame(reply(query).to_wire())
    assert e.streamReceived(answer[:5]) is None
    done = e.streamReceived(answer[5:])
    assert isinstance(done, Finished) and done.error is None


def test_tcp_failure_retries_over_udp_then_fails() -> None:
    """A refused TCP retry moves to the next attempt, then fails as a server error."""
    e = engine((1, 1))
    send = e.start(0.0)
    truncated = reply(send.data)
    truncated.flags |= dns.flags.TC
    e.datagramReceived(0, truncated.to_wire(), S1, 0.1)
    again = e.streamFailed("refused", 0.2)
    assert isinstance(again, SendDatagram) and again.server == S2
    truncated = reply(again.data)
    truncated.flags |= dns.flags.TC
    e.datagramReceived(1, truncated.to_wire(), S2, 0.3)
    done = e.streamFailed("refused", 0.4)
    assert isinstance(done, Finished) and isinstance(done.error, DNSServerError)


def test_use_tcp_asks_over_streams_only() -> None:
    """With useTCP every attempt is a stream, rotating servers, then a timeout."""
    e = QueryEngine(NAME, dns.rdatatype.A, 1, [S1, S2], (1, 2), useTCP=True)
    first = e.start(0.0)
    assert isinstance(first, SendStream) and first.server == S1
    assert first.timeout == 1
    second = e.streamFailed("refused", 0.1)
    assert isinstance(second, SendStream) and second.server == S2
    assert second.timeout == 2
    done = e.streamFailed("refused", 0.2)
    assert isinstance(done, Finished) and isinstance(done.error, DNSQueryTimeoutError)


def test_use_tcp_answer_finishes() -> None:
    """An answer on the stream of a TCP-only query finishes it."""
    e = QueryEngine(NAME, dns.rdatatype.A, 1, [S1], (1,), useTCP=True)
    stream = e.start(0.0)
    assert isinstance(stream, SendStream)
    (query,) = StreamFramer().feed(stream.data)
    done = e.streamReceived(frame(reply(query).to_wire()))
    assert isinstance(done, Finished) and done.error is None


def transferMessages(
    transfer: ZoneTransfer, count: int, serial: int = 5
) -> list[bytes]:
    (query,) = StreamFramer().feed(transfer.request())
    request = dns.message.from_wire(query)
    zone = dns.name.from_text("z.example.")
    soa = dns.rrset.from_text(zone, 60, "IN", "SOA", f"ns. h. {serial} 1 1 1 1")
    out = []
    for i in range(count):
        m = dns.message.make_response(request)
        if i == 0:
            m.answer.append(soa)
        m.answer.append(
            dns.rrset.from_text(f"h{i}.z.example.", 60, "IN", "A", f"10.0.0.{i}")
        )
        out.append(frame(m.to_wire()))
    last = dns.message.make_response(request)
    last.answer.append(dns.rrset.from_text(zone, 60, "IN", "SOA", "ns. h. 5 1 1 1 1"))
    out.append(frame(last.to_wire()))
    return out


def test_zone_transfer_across_messages() -> None:
    """An AXFR spread over messages ends at the closing SOA with every record."""
    transfer = ZoneTransfer(dns.name.from_text("z.example."))
    messages = transferMessages(transfer, 4)
    for m in messages[:-1]:
        assert transfer.dataReceived(m) is None
    result = transfer.dataReceived(messages[-1])
    assert result is not None and transfer.messages == 5
    assert result[0].rdtype == dns.rdatatype.SOA and len(result) == 5


def test_zone_transfer_serial_mismatch_fails() -> None:
    """A closing SOA whose serial differs from the opening one is an error."""
    transfer = ZoneTransfer(dns.name.from_text("z.example."))
    messages = transferMessages(transfer, 2, serial=4)
    with pytest.raises(DNSFormatError):
        for m in messages:
            transfer.dataReceived(m)


def test_zone_transfer_must_start_with_soa() -> None:
    """A transfer whose first record is not the zone's SOA is refused."""
    transfer = ZoneTransfer(dns.name.from_text("z.example."))
    (query,) = StreamFramer().feed(transfer.request())
    m = dns.message.make_response(dns.message.from_wire(query))
    m.answer.append(dns.rrset.from_text("a.z.example.", 60, "IN", "A", "10.0.0.1"))
    with pytest.raises(DNSFormatError):
        transfer.dataReceived(frame(m.to_wire()))


def test_formerr_without_edns_retries_plain() -> None:
    """FORMERR from a server without EDNS makes the next attempt drop the OPT record."""
    e = engine()
    send = e.start(0.0)
    query = dns.message.from_wire(send.data)
    old = dns.message.make_response(query)
    old.use_edns(False)
    old.set_rcode(dns.rcode.FORMERR)
    again = e.datagramReceived(0, old.to_wire(), S1, 0.1)
    assert isinstance(again, SendDatagram)
    assert dns.message.from_wire(again.data).edns == -1
    done = e.datagramReceived(1, reply(again.data).to_wire(), S2, 0.2)
    assert isinstance(done, Finished) and done.error is None


def test_formerr_with_edns_is_an_error() -> None:
    """FORMERR from a server that speaks EDNS fails with DNSFormatError."""
    e = engine()
    send = e.start(0.0)
    done = e.datagramReceived(0, reply(send.data, dns.rcode.FORMERR).to_wire(), S1, 0.1)
    assert isinstance(done, Finished)
    assert isinstance(done.error, DNSFormatError)
