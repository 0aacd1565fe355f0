"""Interfaces of name resolvers: the small one and the full DNS one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

from zope.interface import Interface

#: A per-attempt timeout schedule in seconds, or one overall number.
_Timeout: TypeAlias = float | Sequence[float]


class IResolverSimple(Interface):
    """Turns a host name into a single IP address, and nothing more.

    This is what a reactor's ``resolve()`` delegates to; plait-core ships a
    default provider built on ``getaddrinfo`` in a worker thread.
    """

    __module__ = "plait.interfaces"

    def getHostByName(name: str, timeout: _Timeout = (1, 3, 11, 45)) -> Any:
        """Find one address for the host *name*.

        :param name: the host name to look up.
        :param timeout: the schedule of retries: each element is how long,
            in seconds, one attempt may take before the next one starts.
            The lookup as a whole gives up once the schedule is exhausted.
        :returns: a :class:`plait.core.Deferred` firing with the address as
            a ``str``.  When a name has records of several families, IPv6
            answers are preferred over IPv4 ones; among records of the
            chosen family one is picked at random.
        :raises plait.errors.TimeoutError: delivered through the Deferred's
            errback when no answer arrives within *timeout*.
        :raises plait.errors.DNSLookupError: delivered through the errback
            when the name cannot be resolved at all.
        """


class IResolver(IResolverSimple):
    """A full DNS client: one lookup method per record type.

    Every ``lookup*`` method returns a :class:`plait.core.Deferred` that
    fires with a 3-tuple ``(answers, authority, additional)``, each a list of
    resource records as the DNS implementation (plait-dns) represents them.
    A failed lookup errbacks with one of the DNS errors of
    :mod:`plait.errors` (``DNSNameError`` for a name that does not exist,
    ``DNSQueryTimeoutError`` when no server replied, and so on).

    *timeout* is either one number of seconds or a sequence giving the time
    allowed for each successive attempt.
    """

    __module__ = "plait.interfaces"

    def lookupRecord(name: str, cls: int, type: int, timeout: _Timeout = 10) -> Any:
        """Query for the records of one class and type under *name*.

        :param name: the domain name to query.
        :param cls: the numeric DNS class (1 is ``IN``).
        :param type: the numeric DNS record type (1 is ``A``, 28 ``AAAA``).
        :param timeout: see the interface description.
        :returns: a Deferred of ``(answers, authority, additional)``.
        """

    def query(query: Any, timeout: _Timeout = 10) -> Any:
        """Run a prepared query object through the matching ``lookup*`` method.

        :param query: a query as plait-dns models it (a name, a type and a
            class).
        :param timeout: see the interface description.
        :returns: a Deferred of ``(answers, authority, additional)``.
        """

    def lookupAddress(name: str, timeout: _Timeout = 10) -> Any:
        """Fetch the IPv4 address records (``A``) of *name*."""

    def lookupAddress6(name: str, timeout: _Timeout = 10) -> Any:
        """Fetch the obsolete ``A6`` records of *name*."""

    def lookupIPV6Address(name: str, timeout: _Timeout = 10) -> Any:
        """Fetch the IPv6 address records (``AAAA``) of *name*."""

    def lookupMailExchange(name: str, timeout: _Timeout = 10) -> Any:
        """Fetch the mail exchanger records (``MX``) of *name*."""

    def lookupNameservers(name: str, timeout: _Timeout = 10) -> Any:
        """Fetch the name server records (``NS``) of *name*."""

    def lookupCanonicalName(name: str, timeout: _Timeout = 10) -> Any:
        """Fetch the alias records (``CNAME``) of *name*."""

    def lookupMailBox(name: str, timeout: _Timeout = 10) -> Any:
        """Fetch the mailbox records (``MB``) of *name*."""

    def lookupMailGroup(name: str, timeout: _Timeout = 10) -> Any:
        """Fetch the mail group records (``MG``) of *name*."""

    def lookupMailRename(name: str, timeout: _Timeout = 10) -> Any:
        """Fetch the mail rename records (``MR``) of *name*."""

    def lookupPointer(name: str, timeout: _Timeout = 10) -> Any:
        """Fetch the reverse-mapping records (``PTR``) of *name*."""

    def lookupAuthority(name: str, timeout: _Timeout = 10) -> Any:
        """Fetch the start-of-authority record (``SOA``) of *name*."""

    def lookupNull(name: str, timeout: _Timeout = 10) -> Any:
        """Fetch the experimental ``NULL`` records of *name*."""

    def lookupWellKnownServices(name: str, timeout: _Timeout = 10) -> Any:
        """Fetch the service description records (``WKS``) of *name*."""

    def lookupHostInfo(name: str, timeout: _Timeout = 10) -> Any:
        """Fetch the CPU and OS description records (``HINFO``) of *name*."""

    def lookupMailboxInfo(name: str, timeout: _Timeout = 10) -> Any:
        """Fetch the mailbox information records (``MINFO``) of *name*."""

    def lookupText(name: str, timeout: _Timeout = 10) -> Any:
        """Fetch the free-form text records (``TXT``) of *name*."""

    def lookupResponsibility(name: str, timeout: _Timeout = 10) -> Any:
        """Fetch the responsible person records (``RP``) of *name*."""

    def lookupAFSDatabase(name: str, timeout: _Timeout = 10) -> Any:
        """Fetch the AFS database location records (``AFSDB``) of *name*."""

    def lookupService(name: str, timeout: _Timeout = 10) -> Any:
        """Fetch the service location records (``SRV``) of *name*."""

    def lookupAllRecords(name: str, timeout: _Timeout = 10) -> Any:
        """Ask for every record type at once (``ANY``) under *name*."""

    def lookupZone(name: str, timeout: _Timeout = 10) -> Any:
        """Transfer the whole zone *name* (``AXFR``, over TCP).

        :returns: a Deferred firing with the zone's records in the same
            3-tuple shape as the other lookups.
        """
