"""The resolver: IResolver and IResolverSimple over plait's UDP and TCP.

A lookup goes: check the name and type (nothing bad reaches the wire),
answer from the hosts file (A and AAAA only) or the cache if they can,
else run a :class:`QueryEngine` through an :class:`Exchange`. A relative
name is tried with the search domains of resolv.conf, in the order
``ndots`` says, moving on when a name does not exist.

Every ``lookup*`` Deferred fires with ``(answers, authority, additional)``,
three lists of dnspython RRsets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zope.interface import implementer

import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from plait.core import Deferred, Failure, fail, succeed
from plait.errors import DNSError, DNSNameError
from plait.interfaces import IResolver, IResolverSimple

from ._cache import Cache, Result
from ._config import ResolverConfig, normalizeServers
from ._engine import Finished, QueryEngine, Server
from ._errors import tagged
from ._exchange import Exchange, Transfer
from ._hostbyname import getHostByName
from ._hosts import Hosts
from ._names import InvalidQueryError, checkClass, checkType, toName
from ._query import DEFAULT_SCHEDULE, Query, schedule
from ._transfer import ZoneTransfer

__all__ = ["Resolver"]

Timeout = float | Sequence[float]
_A = dns.rdatatype.A
_AAAA = dns.rdatatype.AAAA
_HOSTS_TTL = 3600


def _joined(name: dns.name.Name, suffix: dns.name.Name) -> dns.name.Name | None:
    try:
        return name.concatenate(suffix)
    except dns.name.NameTooLong:
        return None


#: The lookup method for each type that has one of its own.
_LOOKUPS: dict[int, str] = {
    dns.rdatatype.A: "lookupAddress",
    dns.rdatatype.A6: "lookupAddress6",
    dns.rdatatype.AAAA: "lookupIPV6Address",
    dns.rdatatype.MX: "lookupMailExchange",
    dns.rdatatype.NS: "lookupNameservers",
    dns.rdatatype.CNAME: "lookupCanonicalName",
    dns.rdatatype.MB: "lookupMailBox",
    dns.rdatatype.MG: "lookupMailGroup",
    dns.rdatatype.MR: "lookupMailRename",
    dns.rdatatype.PTR: "lookupPointer",
    dns.rdatatype.SOA: "lookupAuthority",
    dns.rdatatype.NULL: "lookupNull",
    dns.rdatatype.WKS: "lookupWellKnownServices",
    dns.rdatatype.HINFO: "lookupHostInfo",
    dns.rdatatype.MINFO: "lookupMailboxInfo",
    dns.rdatatype.TXT: "lookupText",
    dns.rdatatype.RP: "lookupResponsibility",
    dns.rdatatype.AFSDB: "lookupAFSDatabase",
    dns.rdatatype.SRV: "lookupService",
    dns.rdatatype.ANY: "lookupAllRecords",
    dns.rdatatype.AXFR: "lookupZone",
}


@implementer(IResolver, IResolverSimple)
class Resolver:
    """A DNS client on *reactor*.

    :param servers: ``(host, port)`` pairs or addresses (port 53) of the
        recursive servers to ask, in order; retransmissions rotate over them.
    :param search: domains tried after (or before, see *ndots*) a relative name.
    :param ndots: a relative name with at least this many dots is tried as
        absolute first.
    :param hosts: the hosts file to answer from, or ``None``.
    :param cacheSize: how many answers the cache keeps; 0 turns it off.
    :param useTCP: ask every question over TCP, never over UDP.
    """

    def __init__(
        self,
        reactor: Any,
        servers: Sequence[str | tuple[str, int]],
        search: Sequence[str | dns.name.Name] = (),
        ndots: int = 1,
        hosts: Hosts | None = None,
        cacheSize: int = 10000,
        useTCP: bool = False,
    ) -> None:
        self.reactor = reactor
        self.useTCP = useTCP
        self.servers: list[Server] = normalizeServers(servers)
        self.search = [
            toName(s) if not isinstance(s, dns.name.Name) else s for s in search
        ]
        self.search = [
            s if s.is_absolute() else s.concatenate(dns.name.root) for s in self.search
        ]
        self.ndots = ndots
        self.hosts = hosts if hosts is not None else Hosts(None)
        self.cache = Cache(reactor.seconds, cacheSize)
        #: Datagrams and messages dropped as no answer to the query they
        #: reached (spoofed, mismatched, malformed), over every finished query.
        self.ignoredReplies = 0

    @classmethod
    def fromConfig(
        cls,
        reactor: Any,
        config: ResolverConfig,
        hosts: Hosts | None,
        cacheSize: int = 10000,
        useTCP: bool = False,
    ) -> Resolver:
        """A resolver for what a resolv.conf said."""
        return cls(
            reactor,
            config.servers,
            config.search,
            config.ndots,
            hosts,
            cacheSize,
            useTCP,
        )

    def __repr__(self) -> str:
        servers = ", ".join(f"{h} port {p}" for h, p in self.servers)
        return f"<{type(self).__name__} asking {servers}>"

    # --- the engine room ------------------------------------------------

    def _candidates(self, name: dns.name.Name) -> list[dns.name.Name]:
        if name.is_absolute():
            return [name]
        if not self.search:
            absolute = _joined(name, dns.name.root)
            if absolute is None:
                raise InvalidQueryError(
                    name.to_text(), "the name is longer than 255 octets"
                )
            return [absolute]
        out = [c for c in (_joined(name, s) for s in self.search) if c is not None]
        absolute = _joined(name, dns.name.root)
        if absolute is not None:
            if len(name.labels) - 1 >= self.ndots:
                out.insert(0, absolute)
            else:
                out.append(absolute)
        if not out:
            raise InvalidQueryError(
                name.to_text(), "the name is longer than 255 octets"
            )
        return out

    def _fromHosts(
        self, original: object, name: dns.name.Name, rdtype: int
    ) -> Result | None:
        if rdtype not in (_A, _AAAA) or not self.hosts:
            return None
        text = name.to_text(omit_final_dot=True)
        addresses = self.hosts.ipv4(text) if rdtype == _A else self.hosts.ipv6(text)
        if not addresses:
            return None
        owner = name if name.is_absolute() else name.concatenate(dns.name.root)
        rrset = dns.rrset.from_text_list(
            owner, _HOSTS_TTL, "IN", dns.rdatatype.RdataType.make(rdtype), addresses
        )
        return ([rrset], [], [])

    def lookupRecord(
        self, name: Any, cls: Any, type: Any, timeout: Timeout = 10
    ) -> Deferred[Result]:
        """Query the records of class *cls* and type *type* under *name*."""
        try:
            # Without search domains a relative name can only mean itself.
            qname = toName(name, absolute=not self.search)
            rdtype = checkType(name, type)
            rdclass = checkClass(name, cls)
            times = schedule(timeout)
            candidates = self._candidates(qname)
        except InvalidQueryError as e:
            return fail(e)
        except ValueError as e:
            return fail(InvalidQueryError(name, str(e)))
        if rdclass == dns.rdataclass.IN:
            local = self._fromHosts(name, qname, rdtype)
            if local is not None:
                return succeed(local)
        if len(candidates) == 1:
            return self._ask(candidates[0], rdtype, rdclass, times)
        return self._search(candidates, rdtype, rdclass, times)

    def _search(
        self,
        candidates: list[dns.name.Name],
        rdtype: int,
        rdclass: int,
        times: list[float],
    ) -> Deferred[Result]:
        current: list[Deferred[Result]] = []
        result: Deferred[Result] = Deferred(lambda d: current[-1].cancel())

        def attempt(index: int) -> None:
            d = self._ask(candidates[index], rdtype, rdclass, times)
            current.append(d)
            d.addCallbacks(result.callback, lambda f: failed(f, index))

        def failed(reason: Failure, index: int) -> None:
            if result.called:
                return
            if reason.check(DNSNameError) and index + 1 < len(candidates):
                attempt(index + 1)
            else:
                result.errback(reason)

        attempt(0)
        return result

    def _ask(
        self, name: dns.name.Name, rdtype: int, rdclass: int, times: list[float]
    ) -> Deferred[Result]:
        key = (name, rdtype, rdclass)
        cached = self.cache.get(key)
        if isinstance(cached, DNSError):
            again = type(cached)(*cached.args)
            return fail(tagged(again, cached.name or "", cached.type or ""))
        if cached is not None:
            return succeed(cached)
        engine = QueryEngine(name, rdtype, rdclass, self.servers, times, self.useTCP)
        d = Exchange(self.reactor, engine).start()
        return d.addCallback(self._finished, key, engine)

    def _finished(
        self,
        finished: Finished,
        key: tuple[dns.name.Name, int, int],
        engine: QueryEngine,
    ) -> Result:
        self.ignoredReplies += engine.ignored
        message, error = finished.message, finished.error
        if error is not None:
            if message is not None and isinstance(error, DNSNameError):
                self.cache.storeError(key, message, error)
            raise error
        assert message is not None
        result: Result = (
            list(message.answer),
            list(message.authority),
            list(message.additional),
        )
        self.cache.storeAnswer(key, message, result)
        return result

    # --- IResolver ---------------------------------------------------------

    def query(self, query: Any, timeout: Timeout = 10) -> Deferred[Result]:
        """Ask *query*: a :class:`Query`, or anything with ``name``,
        ``rdtype`` and ``rdclass`` (a dnspython question RRset)."""
        if isinstance(query, Query):
            name, rdtype, rdclass = query.name, query.type, query.cls
        else:
            try:
                name, rdtype, rdclass = query.name, query.rdtype, query.rdclass
            except AttributeError:
                return fail(InvalidQueryError(repr(query), "not a query"))
        # An Internet-class question goes to the lookup method of its type,
        # so that a subclass (or a test) overriding one sees it; anything
        # else, and any type or class that does not parse, to lookupRecord
        # (which reports what is wrong).
        try:
            knownClass = dns.rdataclass.RdataClass.make(rdclass)
            method = _LOOKUPS.get(dns.rdatatype.RdataType.make(rdtype))
        except Exception:
            method = None
        if method is not None and knownClass == dns.rdataclass.IN:
            lookup: Any = getattr(self, method)
            return lookup(name, timeout)  # type: ignore[no-any-return]
        return self.lookupRecord(name, rdclass, rdtype, timeout)

    def _typed(self, name: Any, rdtype: int, timeout: Timeout) -> Deferred[Result]:
        return self.lookupRecord(name, dns.rdataclass.IN, rdtype, timeout)

    def lookupAddress(self, name: Any, timeout: Timeout = 10) -> Deferred[Result]:
        """The A records (IPv4 addresses) of *name*."""
        return self._typed(name, _A, timeout)

    def lookupAddress6(self, name: Any, timeout: Timeout = 10) -> Deferred[Result]:
        """The A6 records of *name* (historic IPv6 records)."""
        return self._typed(name, dns.rdatatype.A6, timeout)

    def lookupIPV6Address(self, name: Any, timeout: Timeout = 10) -> Deferred[Result]:
        """The AAAA records (IPv6 addresses) of *name*."""
        return self._typed(name, _AAAA, timeout)

    def lookupMailExchange(self, name: Any, timeout: Timeout = 10) -> Deferred[Result]:
        """The MX records of *name*."""
        return self._typed(name, dns.rdatatype.MX, timeout)

    def lookupNameservers(self, name: Any, timeout: Timeout = 10) -> Deferred[Result]:
        """The NS records of *name*."""
        return self._typed(name, dns.rdatatype.NS, timeout)

    def lookupCanonicalName(self, name: Any, timeout: Timeout = 10) -> Deferred[Result]:
        """The CNAME record of *name*."""
        return self._typed(name, dns.rdatatype.CNAME, timeout)

    def lookupMailBox(self, name: Any, timeout: Timeout = 10) -> Deferred[Result]:
        """The MB records of *name*."""
        return self._typed(name, dns.rdatatype.MB, timeout)

    def lookupMailGroup(self, name: Any, timeout: Timeout = 10) -> Deferred[Result]:
        """The MG records of *name*."""
        return self._typed(name, dns.rdatatype.MG, timeout)

    def lookupMailRename(self, name: Any, timeout: Timeout = 10) -> Deferred[Result]:
        """The MR records of *name*."""
        return self._typed(name, dns.rdatatype.MR, timeout)

    def lookupPointer(self, name: Any, timeout: Timeout = 10) -> Deferred[Result]:
        """The PTR records of *name* (such as ``4.3.2.1.in-addr.arpa``)."""
        return self._typed(name, dns.rdatatype.PTR, timeout)

    def lookupAuthority(self, name: Any, timeout: Timeout = 10) -> Deferred[Result]:
        """The SOA record of *name*."""
        return self._typed(name, dns.rdatatype.SOA, timeout)

    def lookupNull(self, name: Any, timeout: Timeout = 10) -> Deferred[Result]:
        """The NULL records of *name*."""
        return self._typed(name, dns.rdatatype.NULL, timeout)

    def lookupWellKnownServices(
        self, name: Any, timeout: Timeout = 10
    ) -> Deferred[Result]:
        """The WKS records of *name*."""
        return self._typed(name, dns.rdatatype.WKS, timeout)

    def lookupHostInfo(self, name: Any, timeout: Timeout = 10) -> Deferred[Result]:
        """The HINFO records of *name*."""
        return self._typed(name, dns.rdatatype.HINFO, timeout)

    def lookupMailboxInfo(self, name: Any, timeout: Timeout = 10) -> Deferred[Result]:
        """The MINFO records of *name*."""
        return self._typed(name, dns.rdatatype.MINFO, timeout)

    def lookupText(self, name: Any, timeout: Timeout = 10) -> Deferred[Result]:
        """The TXT records of *name*."""
        return self._typed(name, dns.rdatatype.TXT, timeout)

    def lookupResponsibility(
        self, name: Any, timeout: Timeout = 10
    ) -> Deferred[Result]:
        """The RP records of *name*."""
        return self._typed(name, dns.rdatatype.RP, timeout)

    def lookupAFSDatabase(self, name: Any, timeout: Timeout = 10) -> Deferred[Result]:
        """The AFSDB records of *name*."""
        return self._typed(name, dns.rdatatype.AFSDB, timeout)

    def lookupService(self, name: Any, timeout: Timeout = 10) -> Deferred[Result]:
        """The SRV records of *name* (such as ``_imap._tcp.example.com``)."""
        return self._typed(name, dns.rdatatype.SRV, timeout)

    def lookupAllRecords(self, name: Any, timeout: Timeout = 10) -> Deferred[Result]:
        """Whatever the server gives for a query of type ANY."""
        return self._typed(name, dns.rdatatype.ANY, timeout)

    def lookupZone(self, name: Any, timeout: Timeout = 10) -> Deferred[Result]:
        """The whole zone *name*, by AXFR over TCP from the first server.

        The answers are the zone's RRsets, its SOA first; *timeout* (a
        number, or a sequence whose sum is taken) bounds the whole transfer.
        """
        try:
            qname = toName(name)
            total = sum(schedule(timeout))
        except InvalidQueryError as e:
            return fail(e)
        except ValueError as e:
            return fail(InvalidQueryError(name, str(e)))
        if not qname.is_absolute():
            qname = qname.concatenate(dns.name.root)
        transfer = Transfer(self.reactor, ZoneTransfer(qname), self.servers[0], total)
        done: Deferred[list[dns.rrset.RRset]] = transfer.deferred

        def asResult(rrsets: list[dns.rrset.RRset]) -> Result:
            return (rrsets, [], [])

        return done.addCallback(asResult)

    # --- IResolverSimple ---------------------------------------------------

    def getHostByName(
        self, name: Any, timeout: Timeout = DEFAULT_SCHEDULE
    ) -> Deferred[str]:
        """One address of *name*: from A6, else AAAA, else A records (random
        among several), the three asked at once."""
        return getHostByName(self, name, timeout)
