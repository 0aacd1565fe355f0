"""A zone transfer (AXFR, RFC 5936) over one stream, sans-IO.

The server sends the zone as a run of messages: the first record is the
zone's SOA, the last is the same SOA again. The transfer is complete only
when that closing SOA arrives; a stream that ends before it lost records,
so the transfer fails rather than hand back part of a zone.

Each message must carry the query's ID; the first must repeat the question
(later ones may omit it). A response code other than NOERROR ends the
transfer with the matching error. The records are gathered into one RRset
per (name, type, class), in the order they first appear; the opening SOA is
kept once, the closing one dropped.
"""

from __future__ import annotations

import struct
from typing import Any, cast

import dns.exception
import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from plait.errors import DNSError, DNSFormatError

from ._engine import buildQuery, newID
from ._errors import rcodeError, tagged
from ._framing import StreamFramer, frame

__all__ = ["ZoneTransfer"]

_Key = tuple[dns.name.Name, int, int, int]


class ZoneTransfer:
    """The AXFR of the zone *name* (absolute) in class *rdclass*."""

    def __init__(self, name: dns.name.Name, rdclass: int = dns.rdataclass.IN) -> None:
        self.name = name
        self.rdclass = rdclass
        self.ident = newID()
        self.done = False
        self.messages = 0
        self._nameText = name.to_text()
        self._framer = StreamFramer()
        self._soa: dns.rrset.RRset | None = None
        self._rrsets: dict[_Key, dns.rrset.RRset] = {}

    def request(self) -> bytes:
        """The framed AXFR query to write first."""
        wire = buildQuery(self.name, dns.rdatatype.AXFR, self.rdclass, payload=None)
        # A transfer is not recursive: clear RD.
        header = struct.pack("!HH", self.ident, 0)
        return frame(header + wire[4:])

    def _fail(self, why: str) -> DNSError:
        return tagged(
            DNSFormatError(f"{self._nameText} AXFR: {why}"), self._nameText, "AXFR"
        )

    def dataReceived(self, data: bytes) -> list[dns.rrset.RRset] | None:
        """Feed stream bytes; the zone's RRsets once the closing SOA came.

        :raises plait.errors.DNSError: the server refused or failed the
            transfer, or sent something that is not this zone's transfer.
        """
        if self.done:
            return None
        for wire in self._framer.feed(data):
            result = self._message(wire)
            if result is not None:
                return result
        return None

    def _message(self, wire: bytes) -> list[dns.rrset.RRset] | None:
        if len(wire) < 12 or struct.unpack_from("!H", wire)[0] != self.ident:
            raise self._fail("a message with the wrong ID")
        try:
            message = dns.message.from_wire(wire, one_rr_per_rrset=True)
        except (dns.exception.DNSException, ValueError, struct.error) as e:
            raise self._fail(f"a malformed message ({e})") from None
        self.messages += 1
        rcode = message.rcode()
        if rcode != 0:
            raise rcodeError(rcode, self._nameText, "AXFR")
        if self.messages == 1 and (
            len(message.question) != 1 or message.question[0].name != self.name
        ):
            raise self._fail("the first message does not repeat the question")
        for rrset in message.answer:
            if self._record(rrset):
                self.done = True
                return list(self._rrsets.values())
        return None

    def _record(self, rrset: dns.rrset.RRset) -> bool:
        """Keep *rrset*; true when it is the closing SOA."""
        isSOA = rrset.rdtype == dns.rdatatype.SOA and rrset.name == self.name
        if self._soa is None:
            if not isSOA:
                raise self._fail("the transfer does not start with the zone's SOA")
            self._soa = rrset
        elif isSOA:
            if rrset[0].serial != self._soa[0].serial:
                raise self._fail(
                    "the closing SOA has another serial than the opening one"
                )
            return True
        key = (rrset.name, rrset.rdtype, rrset.rdclass, rrset.covers)
        known = self._rrsets.get(key)
        if known is None:
            known = dns.rrset.RRset(
                rrset.name, rrset.rdclass, rrset.rdtype, rrset.covers
            )
            self._rrsets[key] = known
        cast(Any, known).update(rrset)
        return False

    def incomplete(self) -> DNSError:
        """The error for a stream that closed before the closing SOA."""
        return self._fail(
            f"the stream closed after {self.messages} messages, before the closing SOA"
        )
