"""Reading a DNS response quickly, into dnspython RRsets.

``dns.message.from_wire`` is general: it handles TSIG, zone transfers,
update messages and more, and costs about 180 microseconds for a plain
111-octet answer on the machine this was measured on, most of a lookup's
time. A resolver needs less: the header, the question, and three sections
of records. This reader walks them directly and builds the same dnspython
objects (``Name``, ``RRset``, rdata classes), in about a third of the time;
record data of any type but A and AAAA is still decoded by dnspython.

Names are read with the checks dnspython makes: a compression pointer must
point before the place it was read from and before every earlier part of
the name (so a loop cannot happen), labels use only the two defined kinds,
and a name holds at most 255 octets. Anything wrong raises
:class:`MalformedMessage`.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass, field
from typing import Any

import dns.exception
import dns.ipv6
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.CNAME
import dns.rdtypes.ANY.NS
import dns.rdtypes.ANY.PTR
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.rrset
import dns.wire

__all__ = ["MalformedMessage", "Response", "parseResponse"]

_ntoa = socket.inet_ntoa
_HEADER = struct.Struct("!HHHHHH")
_RR = struct.Struct("!HHIH")
_QUESTION = struct.Struct("!HH")
_A = dns.rdatatype.A
_AAAA = dns.rdatatype.AAAA
_OPT = dns.rdatatype.OPT
_RRSIG = dns.rdatatype.RRSIG
_IN = dns.rdataclass.IN
# dnspython's constructors are unannotated; through Any they keep strict
# mypy quiet without an exemption.
_ARecord: Any = dns.rdtypes.IN.A.A
_AAAARecord: Any = dns.rdtypes.IN.AAAA.AAAA
_RdataType = dns.rdatatype.RdataType
# Types whose data is one compressible name: read here, like the owner names.
_NAMED: dict[int, Any] = {
    dns.rdatatype.NS: dns.rdtypes.ANY.NS.NS,
    dns.rdatatype.CNAME: dns.rdtypes.ANY.CNAME.CNAME,
    dns.rdatatype.PTR: dns.rdtypes.ANY.PTR.PTR,
}
# Types an RRset may hold once only, or that carry a covered type: these go
# through RRset.add and its checks.
_CAREFUL = frozenset({_RRSIG, dns.rdatatype.SIG}) | frozenset(
    t for t in dns.rdatatype.RdataType if dns.rdatatype.is_singleton(t)
)
_RdataClass = dns.rdataclass.RdataClass


# Names are immutable: one object per spelling serves every message that
# repeats it (a zone's name, its servers, a question echoed in the answer).
_NAMES: dict[tuple[bytes, ...], dns.name.Name] = {}
_NAMES_KEPT = 4096


_KINDS: dict[int, dns.rdatatype.RdataType] = {}
_KLASSES: dict[int, dns.rdataclass.RdataClass] = {}


def _kind(value: int) -> dns.rdatatype.RdataType:
    # RdataType.make costs a microsecond; each value seen is kept (at most
    # 65536 of them, and a server repeats a few).
    kind = _KINDS.get(value)
    if kind is None:
        kind = _KINDS[value] = _RdataType.make(value)
    return kind


def _klass(value: int) -> dns.rdataclass.RdataClass:
    klass = _KLASSES.get(value)
    if klass is None:
        klass = _KLASSES[value] = _RdataClass.make(value)
    return klass


class MalformedMessage(ValueError):
    """The octets are not a well-formed DNS message."""


@dataclass(slots=True)
class Response:
    """What a resolver needs of a response."""

    id: int
    flags: int
    rcodeValue: int
    qname: dns.name.Name | None
    qtype: int
    qclass: int
    answer: list[dns.rrset.RRset] = field(default_factory=list)
    authority: list[dns.rrset.RRset] = field(default_factory=list)
    additional: list[dns.rrset.RRset] = field(default_factory=list)
    #: Whether the response carried an OPT record (the server speaks EDNS).
    edns: bool = False

    def rcode(self) -> int:
        """The response code, extended by EDNS when present."""
        return self.rcodeValue


def _readName(data: bytes, offset: int) -> tuple[dns.name.Name, int]:
    labels: list[bytes] = []
    total = 0
    end = -1
    lowest = offset
    size = len(data)
    while True:
        if offset >= size:
            raise MalformedMessage("a name runs past the end")
        length = data[offset]
        if length == 0:
            offset += 1
            labels.append(b"")
            total += 1
            break
        kind = length & 0xC0
        if kind == 0xC0:
            if offset + 1 >= size:
                raise MalformedMessage("a compression pointer runs past the end")
            target = ((length & 0x3F) << 8) | data[offset + 1]
            if target >= lowest:
                raise MalformedMessage("a compression pointer does not point back")
            if end < 0:
                end = offset + 2
            offset = lowest = target
            continue
        if kind:
            raise MalformedMessage("an unknown label type")
        label = data[offset + 1 : offset + 1 + length]
        if len(label) != length:
            raise MalformedMessage("a label runs past the end")
        total += length + 1
        if total > 255:
            raise MalformedMessage("a name longer than 255 octets")
        labels.append(label)
        offset += length + 1
    key = tuple(labels)
    name = _NAMES.get(key)
    if name is None:
        name = dns.name.Name(key)
        if len(_NAMES) >= _NAMES_KEPT:
            _NAMES.clear()
        _NAMES[key] = name
    return name, (end if end >= 0 else offset)


def _section(
    data: bytes, offset: int, count: int, out: list[dns.rrset.RRset]
) -> tuple[int, int]:
    """Read *count* records into RRsets; return the offset and the extended
    rcode bits of an OPT record (-1 without one)."""
    extended = -1
    found: dict[tuple[dns.name.Name, int, int, int], dns.rrset.RRset] = {}
    for _ in range(count):
        name, offset = _readName(data, offset)
        if offset + 10 > len(data):
            raise MalformedMessage("a record header runs past the end")
        rdtype, rdclass, ttl, rdlen = _RR.unpack_from(data, offset)
        offset += 10
        end = offset + rdlen
        if end > len(data):
            raise MalformedMessage("record data runs past the end")
        if rdtype == _OPT:
            extended = (ttl >> 24) << 4
            offset = end
            continue
        if ttl & 0x80000000:
            ttl = 0  # RFC 2181: a TTL with the top bit set means zero
        if rdtype == _A and rdclass == _IN and rdlen == 4:
            rd: dns.rdata.Rdata = _ARecord(_IN, _A, _ntoa(data[offset:end]))
        elif rdtype == _AAAA and rdclass == _IN and rdlen == 16:
            rd = _AAAARecord(_IN, _AAAA, dns.ipv6.inet_ntoa(data[offset:end]))
        elif rdtype in _NAMED:
            target, after = _readName(data, offset)
            if after != end:
                raise MalformedMessage("a name does not fill its record data")
            rd = _NAMED[rdtype](_klass(rdclass), _kind(rdtype), target)
        else:
            parser = dns.wire.Parser(data, offset)
            with parser.restrict_to(rdlen):
                rd = dns.rdata.from_wire_parser(
                    _klass(rdclass), _kind(rdtype), parser, None
                )
        offset = end
        covers = rd.covers() if rdtype == _RRSIG else 0
        key = (name, rdclass, rdtype, covers)
        rrset = found.get(key)
        if rrset is None:
            rrset = dns.rrset.RRset(
                name,
                _klass(rdclass),
                _kind(rdtype),
                _kind(covers),
            )
            found[key] = rrset
            out.append(rrset)
        if rdtype in _CAREFUL or type(rrset.items) is not dict:
            rrset.add(rd, ttl)
        else:
            # RRset.add would hash the record twice (a membership test, then
            # the insertion); a record's hash is its wire form, so once is
            # enough. Duplicates still collapse, as dict keys.
            rrset.update_ttl(ttl)
            rrset.items[rd] = None
    return offset, extended


def parseResponse(
    data: bytes, questionOnly: bool = False, asked: dns.name.Name | None = None
) -> Response:
    """Read *data*; with *questionOnly*, stop after the question.

    *asked*, the name the query asked, is reused where the message spells it
    the same way (its question, usually its answers' owner).

    :raises MalformedMessage: the octets are not a well-formed message.
    """
    if asked is not None and asked.labels not in _NAMES:
        if len(_NAMES) >= _NAMES_KEPT:
            _NAMES.clear()
        _NAMES[asked.labels] = asked
    try:
        ident, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(data)
        response = Response(ident, flags, flags & 0xF, None, 0, 0)
        offset = 12
        if qdcount > 1:
            raise MalformedMessage("more than one question")
        if qdcount == 1:
            response.qname, offset = _readName(data, offset)
            response.qtype, response.qclass = _QUESTION.unpack_from(data, offset)
            offset += 4
        if questionOnly:
            return response
        offset, _ = _section(data, offset, ancount, response.answer)
        offset, _ = _section(data, offset, nscount, response.authority)
        offset, extended = _section(data, offset, arcount, response.additional)
        if offset != len(data):
            raise MalformedMessage("octets after the last record")
        if extended >= 0:
            response.edns = True
            response.rcodeValue |= extended
        return response
    except MalformedMessage:
        raise
    except Exception as e:
        # Whatever a record's decoder trips over in hostile octets, the
        # message is unreadable; a query must never crash on an answer.
        raise MalformedMessage(str(e) or type(e).__name__) from None
