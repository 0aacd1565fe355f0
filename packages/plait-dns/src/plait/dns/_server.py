"""A tiny authoritative server that answers one zone from memory.

Meant for tests and demonstrations, not for the Internet: it answers
queries over UDP and TCP from a dnspython zone, marks its answers
authoritative, says NXDOMAIN or NODATA with the zone's SOA, and truncates
(TC) a UDP answer larger than the client's EDNS buffer (512 octets without
EDNS). It does not recurse, follow CNAMEs or transfer the zone.
"""

from __future__ import annotations

import logging
from typing import Any, cast

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.zone
from plait.core import Factory, Protocol
from plait.errors import CannotListenError
from plait.udp import DatagramProtocol

from ._framing import StreamFramer, frame

__all__ = ["ZoneServer"]

log = logging.getLogger("plait.dns")


class ZoneServer:
    """Answers for *zone*: a ``dns.zone.Zone``, or zone-file text with *origin*."""

    def __init__(self, zone: dns.zone.Zone | str, origin: str | None = None) -> None:
        if isinstance(zone, str):
            zone = dns.zone.from_text(zone, origin=origin, relativize=False)
        self.zone = zone
        self.ports: list[Any] = []

    def respond(self, wire: bytes, limit: int | None = None) -> bytes | None:
        """The answer to query *wire*; *limit* caps its size (UDP), else none."""
        try:
            query = dns.message.from_wire(wire)
        except (dns.exception.DNSException, ValueError):
            return None
        if query.flags & dns.flags.QR or len(query.question) != 1:
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        question = query.question[0]
        origin = self.zone.origin
        assert origin is not None
        if not question.name.is_subdomain(origin) or question.rdtype in (
            dns.rdatatype.AXFR,
            dns.rdatatype.IXFR,
        ):
            response.set_rcode(dns.rcode.REFUSED)
            response.flags &= ~dns.flags.AA
            return response.to_wire()
        node = self.zone.get_node(question.name)
        soa = self.zone.find_rrset(origin, dns.rdatatype.SOA)
        if node is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
            response.authority.append(soa)
        else:
            for rdataset in node.rdatasets:
                if question.rdtype in (dns.rdatatype.ANY, rdataset.rdtype):
                    rrset = dns.rrset.RRset(
                        question.name, rdataset.rdclass, rdataset.rdtype
                    )
                    cast(Any, rrset).update(rdataset)
                    response.answer.append(rrset)
            if not response.answer:
                response.authority.append(soa)
        if limit is None:
            return response.to_wire(max_size=65535)
        size = query.payload if query.edns >= 0 else 512
        try:
            return response.to_wire(max_size=min(size, limit))
        except dns.exception.TooBig:
            response.answer.clear()
            response.authority.clear()
            response.flags |= dns.flags.TC
            return response.to_wire()

    def listen(self, reactor: Any, port: int = 0, interface: str = "127.0.0.1") -> int:
        """Serve on *port* (0: a free one) over UDP and TCP; return the port."""
        for _ in range(20 if port == 0 else 1):
            udp = reactor.listenUDP(port, _Datagrams(self), interface, 65535)
            number = udp.getHost().port
            try:
                tcp = reactor.listenTCP(
                    number, _StreamFactory(self), interface=interface
                )
            except CannotListenError:
                # The kernel's free UDP port was taken for TCP: try another.
                udp.stopListening()
                if port != 0:
                    raise
                continue
            self.ports += [udp, tcp]
            return int(number)
        raise CannotListenError(interface, port, "no port free for both UDP and TCP")

    def stopListening(self) -> None:
        """Close every port :meth:`listen` opened."""
        for port in self.ports:
            port.stopListening()
        self.ports.clear()


class _Datagrams(DatagramProtocol):
    def __init__(self, server: ZoneServer) -> None:
        self.server = server

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        answer = self.server.respond(datagram, 65535)
        if answer is not None:
            self.transport.write(answer, addr)


class _Stream(Protocol):
    def __init__(self, server: ZoneServer) -> None:
        self.server = server
        self.framer = StreamFramer()

    def dataReceived(self, data: bytes) -> None:
        for wire in self.framer.feed(data):
            answer = self.server.respond(wire)
            if answer is not None:
                self.transport.write(frame(answer))


class _StreamFactory(Factory):
    def __init__(self, server: ZoneServer) -> None:
        self.server = server

    def buildProtocol(self, addr: Any) -> _Stream:
        return _Stream(self.server)
