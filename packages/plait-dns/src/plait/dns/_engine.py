"""The query engine: one DNS question, its attempts and its answer, sans-IO.

The engine opens no socket and starts no timer. It is told what happened
(an attempt was started, a datagram came, a timer ran out, a stream
delivered bytes) and answers with the one thing to do next: send a
datagram, send over a stream, or finish. The resolver wires it to plait's
UDP ports, TCP connections and timers; tests wire it to fake servers.

Facts that shaped it:

- Every attempt gets its own random ID (``secrets``) and, in the I/O layer,
  its own socket. An answer counts only when it comes from the server that
  attempt asked, carries its ID, has QR set and repeats the question; an
  earlier attempt stays open, so a slow first server may still win.
- Anything else (a short header, a mismatch, a message dnspython cannot
  parse, such as one with a compression loop) is counted in ``ignored``
  and logged at debug level; the engine keeps waiting, as a spoofer must
  not be able to end a query.
- A truncated (TC) answer moves the question to TCP on the same server,
  with what is left of the overall time. If the stream fails, the next
  attempt of the schedule goes on over UDP.
- With ``useTCP`` every attempt is a TCP connection instead of a datagram,
  each given its own time from the schedule; when the last one fails the
  query times out, as an unanswered datagram would.
- The query is built once; an attempt only writes its ID into it. EDNS0
  advertises 1232 octets, the size that avoids IP fragmentation. A server
  that answers FORMERR without an OPT record does not know EDNS: the next
  attempt asks it without.
"""

from __future__ import annotations

import enum
import logging
import secrets
import struct
from collections.abc import Sequence
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdatatype
from plait.errors import DNSError, DNSServerError

from ._errors import rcodeError, tagged, timeoutError
from ._framing import StreamFramer, frame
from ._wire import MalformedMessage, Response, parseResponse

__all__ = [
    "EDNS_PAYLOAD",
    "Finished",
    "QueryEngine",
    "QueryState",
    "SendDatagram",
    "SendStream",
    "Server",
]

log = logging.getLogger("plait.dns")

#: The UDP payload size advertised with EDNS0 (the DNS flag day 2020 value).
EDNS_PAYLOAD = 1232

Server = tuple[str, int]

_HEADER = struct.Struct("!HHHHHH")
_QR = 0x8000
_TC = 0x0200


@dataclass(frozen=True, slots=True)
class SendDatagram:
    """Send *data* to *server* from a fresh socket; wait *timeout* seconds."""

    attempt: int
    server: Server
    data: bytes
    timeout: float


@dataclass(frozen=True, slots=True)
class SendStream:
    """Connect to *server* over TCP and send *data* (already framed)."""

    server: Server
    data: bytes
    timeout: float


@dataclass(frozen=True, slots=True)
class Finished:
    """The query is over: *message* answered it, or *error* says why not.

    A name error (NXDOMAIN) has both: the message carries the SOA that
    says how long the absence may be cached.
    """

    message: Response | None
    error: DNSError | None


Action = SendDatagram | SendStream | Finished | None


class QueryState(enum.Enum):
    """Where a query is."""

    NEW = "not started"
    UDP = "waiting for a datagram"
    TCP = "waiting on a stream"
    DONE = "finished"


class _Event(enum.Enum):
    START = "start"
    START_STREAM = "start over TCP"
    NEXT_STREAM = "next attempt over TCP"
    RETRY = "next attempt"
    TRUNCATED = "truncated answer"
    ANSWER = "answer"
    GIVE_UP = "give up"


_TRANSITIONS: dict[tuple[QueryState, _Event], QueryState] = {
    (QueryState.NEW, _Event.START): QueryState.UDP,
    (QueryState.NEW, _Event.START_STREAM): QueryState.TCP,
    (QueryState.TCP, _Event.NEXT_STREAM): QueryState.TCP,
    (QueryState.UDP, _Event.RETRY): QueryState.UDP,
    (QueryState.UDP, _Event.TRUNCATED): QueryState.TCP,
    (QueryState.UDP, _Event.ANSWER): QueryState.DONE,
    (QueryState.UDP, _Event.GIVE_UP): QueryState.DONE,
    (QueryState.TCP, _Event.RETRY): QueryState.UDP,
    (QueryState.TCP, _Event.ANSWER): QueryState.DONE,
    (QueryState.TCP, _Event.GIVE_UP): QueryState.DONE,
}


def buildQuery(
    name: dns.name.Name, rdtype: int, rdclass: int, payload: int | None = EDNS_PAYLOAD
) -> bytes:
    """The wire form of a recursive query with ID 0 (EDNS0 unless *payload* is None)."""
    opt = payload is not None
    header = _HEADER.pack(0, dns.flags.RD, 1, 0, 0, 1 if opt else 0)
    wire = header + _nameWire(name) + struct.pack("!HH", rdtype, rdclass)
    if opt:
        wire += b"\x00" + struct.pack("!HHIH", 41, payload, 0, 0)
    return wire


def _nameWire(name: dns.name.Name) -> bytes:
    wire = name.to_wire()
    assert wire is not None  # without a file, to_wire returns the octets
    return wire


def newID() -> int:
    """A query ID no one can predict."""
    return secrets.randbits(16)


class QueryEngine:
    """One question (absolute *name*, *rdtype*, *rdclass*) asked of *servers*.

    *schedule* gives each attempt's time in seconds; attempt ``i`` goes to
    ``servers[i % len(servers)]``. With *useTCP* each attempt is made over
    a TCP connection rather than a datagram.
    """

    def __init__(
        self,
        name: dns.name.Name,
        rdtype: int,
        rdclass: int,
        servers: Sequence[Server],
        schedule: Sequence[float],
        useTCP: bool = False,
    ) -> None:
        if not servers:
            raise ValueError("a query needs at least one server")
        if not schedule:
            raise ValueError("a query needs at least one attempt")
        self.name = name
        self.rdtype = rdtype
        self.rdclass = rdclass
        self.servers = list(servers)
        self.schedule = [float(t) for t in schedule]
        self.useTCP = useTCP
        self.state = QueryState.NEW
        #: Datagrams and stream messages dropped as not an answer to us.
        self.ignored = 0
        self._template = buildQuery(name, rdtype, rdclass)
        self._edns = True
        self._ids: list[int] = []
        self._attempt = -1
        self._deadline = 0.0
        self._streamID = 0
        self._framer: StreamFramer | None = None
        self._streamServer: Server | None = None

    @property
    def _nameText(self) -> str:
        # Text forms are only needed for errors and logs: made on demand.
        return self.name.to_text()

    @property
    def _typeText(self) -> str:
        return dns.rdatatype.to_text(dns.rdatatype.RdataType.make(self.rdtype))

    def _apply(self, event: _Event) -> None:
        try:
            self.state = _TRANSITIONS[(self.state, event)]
        except KeyError:
            raise RuntimeError(
                f"query cannot {event.value} when {self.state.value}"
            ) from None

    @property
    def attempt(self) -> int:
        """The index of the current attempt (-1 before the start)."""
        return self._attempt

    def start(self, now: float) -> SendDatagram | SendStream:
        """Begin: the first datagram to send (a stream with *useTCP*)."""
        self._deadline = now + sum(self.schedule)
        if self.useTCP:
            self._apply(_Event.START_STREAM)
            return self._nextStream()
        self._apply(_Event.START)
        return self._nextAttempt()

    def _nextStream(self) -> SendStream:
        self._attempt += 1
        server = self.servers[self._attempt % len(self.servers)]
        return self._toStream(server, self.schedule[self._attempt])

    def _nextAttempt(self) -> SendDatagram:
        self._attempt += 1
        ident = newID()
        self._ids.append(ident)
        data = struct.pack("!H", ident) + self._template[2:]
        server = self.servers[self._attempt % len(self.servers)]
        return SendDatagram(self._attempt, server, data, self.schedule[self._attempt])

    def _ignore(self, why: str, source: object) -> None:
        self.ignored += 1
        log.debug(
            "ignored a reply from %s to %s %s: %s",
            source,
            self._nameText,
            self._typeText,
            why,
        )

    def _matches(self, message: Response) -> bool:
        return (
            message.qtype == self.rdtype
            and message.qclass == self.rdclass
            and message.qname == self.name
        )

    def _finish(self, message: Response, server: Server) -> Finished:
        self._apply(_Event.ANSWER)
        rcode = message.rcode()
        if rcode == dns.rcode.NOERROR:
            return Finished(message, None)
        error = rcodeError(
            rcode, self._nameText, self._typeText, f"{server[0]} port {server[1]}"
        )
        return Finished(message, error)

    def datagramReceived(
        self, attempt: int, data: bytes, source: Server, now: float
    ) -> Action:
        """A datagram came to the socket of *attempt* from *source*."""
        if self.state is not QueryState.UDP or not 0 <= attempt <= self._attempt:
            self._ignore("no attempt waits for it", source)
            return None
        server = self.servers[attempt % len(self.servers)]
        if source != server:
            self._ignore("not from the server asked", source)
            return None
        if len(data) < 12:
            self._ignore("shorter than a DNS header", source)
            return None
        ident, flags = struct.unpack_from("!HH", data)
        if ident != self._ids[attempt]:
            self._ignore("wrong ID", source)
            return None
        if not flags & _QR or (flags >> 11) & 0xF != dns.opcode.QUERY:
            self._ignore("not a response to a query", source)
            return None
        truncated = bool(flags & _TC)
        try:
            message = parseResponse(data, truncated, self.name)
        except MalformedMessage as e:
            self._ignore(f"malformed ({e})", source)
            return None
        if not self._matches(message):
            self._ignore("a different question", source)
            return None
        if truncated:
            self._apply(_Event.TRUNCATED)
            return self._toStream(server, max(self._deadline - now, 0.001))
        if (
            message.rcode() == dns.rcode.FORMERR
            and not message.edns
            and self._edns
            and self._attempt + 1 < len(self.schedule)
        ):
            # A server from before EDNS (RFC 6891 section 7): ask again
            # without the OPT record, on the next attempt.
            self._edns = False
            self._template = buildQuery(self.name, self.rdtype, self.rdclass, None)
            self._apply(_Event.RETRY)
            return self._nextAttempt()
        return self._finish(message, server)

    def _toStream(self, server: Server, timeout: float) -> SendStream:
        self._streamID = newID()
        self._streamServer = server
        self._framer = StreamFramer()
        # Over TCP the EDNS buffer size means nothing; the record is harmless.
        data = struct.pack("!H", self._streamID) + self._template[2:]
        return SendStream(server, frame(data), timeout)

    def timedOut(self, attempt: int, now: float) -> Action:
        """The timer of *attempt* ran out, or its server refused the datagram."""
        if self.state is not QueryState.UDP or attempt != self._attempt:
            return None
        if self._attempt + 1 < len(self.schedule):
            self._apply(_Event.RETRY)
            return self._nextAttempt()
        self._apply(_Event.GIVE_UP)
        return Finished(None, timeoutError(self._nameText, self._typeText))

    def streamReceived(self, data: bytes) -> Action:
        """Bytes arrived on the TCP connection."""
        if self.state is not QueryState.TCP or self._framer is None:
            return None
        assert self._streamServer is not None
        for wire in self._framer.feed(data):
            if len(wire) < 12 or struct.unpack_from("!H", wire)[0] != self._streamID:
                self._ignore(
                    "wrong ID or short header on the stream", self._streamServer
                )
                continue
            try:
                message = parseResponse(wire)
            except MalformedMessage as e:
                self._ignore(f"malformed on the stream ({e})", self._streamServer)
                continue
            if not message.flags & _QR or not self._matches(message):
                self._ignore("a different question on the stream", self._streamServer)
                continue
            return self._finish(message, self._streamServer)
        return None

    def streamFailed(self, reason: str, now: float) -> Action:
        """The TCP connection failed, closed early or timed out."""
        if self.state is not QueryState.TCP:
            return None
        server = self._streamServer
        self._framer = None
        if self.useTCP:
            if self._attempt + 1 < len(self.schedule):
                self._apply(_Event.NEXT_STREAM)
                return self._nextStream()
            self._apply(_Event.GIVE_UP)
            return Finished(
                None, timeoutError(self._nameText, self._typeText, f"TCP: {reason}")
            )
        if self._attempt + 1 < len(self.schedule) and now < self._deadline:
            self._apply(_Event.RETRY)
            return self._nextAttempt()
        self._apply(_Event.GIVE_UP)
        where = f"{server[0]} port {server[1]}" if server else "the server"
        error = tagged(
            DNSServerError(
                f"{self._nameText} {self._typeText}: the answer was truncated and "
                f"TCP to {where} failed ({reason})"
            ),
            self._nameText,
            self._typeText,
        )
        return Finished(None, error)
