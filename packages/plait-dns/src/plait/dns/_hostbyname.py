"""``getHostByName``: one address, by the contract's order of preference.

A6 records win over AAAA records, which win over A records. The three
queries go out together, so the preference costs no round trip: the answer
is known as soon as the best family that has records has answered and
every better one has answered without. Among several addresses of the
chosen family one is picked at random. An A6 record only counts when it
holds the whole address (prefix length 0): the rest would need a chain of
further lookups that A6's own RFC was retired over.

The hosts file answers first for the names it lists.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import dns.rdataclass
import dns.rdatatype
from plait.core import Deferred, Failure, succeed
from plait.errors import (
    CancelledError,
    DNSLookupError,
    DNSNameError,
    DNSQueryTimeoutError,
)

from ._names import InvalidQueryError

__all__ = ["getHostByName"]

_ORDER = (dns.rdatatype.A6, dns.rdatatype.AAAA, dns.rdatatype.A)
_PENDING = object()


def _addresses(result: Any, rdtype: int) -> list[str]:
    out: list[str] = []
    for rrset in result[0]:
        if rrset.rdtype != rdtype:
            continue
        for rdata in rrset:
            if rdtype == dns.rdatatype.A6:
                if rdata.prefixLength == 0:
                    out.append(rdata.address)
            else:
                out.append(rdata.address)
    return out


def getHostByName(
    resolver: Any, name: Any, timeout: float | Sequence[float]
) -> Deferred[str]:
    """Resolve *name* with *resolver*; see the module's description."""
    local = _fromHosts(resolver.hosts, name)
    if local:
        return succeed(random.choice(local))  # noqa: S311 (not a secret)
    lookups: list[Deferred[Any]] = []
    outcomes: list[object] = [_PENDING] * len(_ORDER)

    cancelling: list[bool] = []

    def cancel(d: Deferred[str]) -> None:
        # The caller gave up: the lookups' own failures must not answer.
        cancelling.append(True)
        for lookup in lookups:
            lookup.cancel()

    result: Deferred[str] = Deferred(cancel)

    def decide() -> None:
        if result.called or cancelling:
            return
        for outcome in outcomes:
            if outcome is _PENDING:
                return
            if isinstance(outcome, list) and outcome:
                result.callback(random.choice(outcome))  # noqa: S311
                for lookup in lookups:
                    if not lookup.called:
                        lookup.cancel()
                return
        result.errback(_failure(name, outcomes))

    def got(value: Any, index: int) -> None:
        outcomes[index] = _addresses(value, _ORDER[index])
        decide()

    def failed(reason: Failure, index: int) -> None:
        if reason.check(CancelledError) and result.called:
            return
        if reason.check(InvalidQueryError) and not result.called:
            outcomes[index] = reason.value
            result.errback(reason)
            return
        outcomes[index] = reason.value
        decide()

    lookups.extend(
        resolver.lookupRecord(name, dns.rdataclass.IN, rdtype, timeout)
        for rdtype in _ORDER
    )
    for index, d in enumerate(lookups):
        d.addCallbacks(got, failed, callbackArgs=(index,), errbackArgs=(index,))
    return result


def _fromHosts(hosts: Any, name: Any) -> list[str]:
    """The hosts file's addresses for *name* (text or ASCII bytes), IPv6
    first; none for a name it cannot hold."""
    if isinstance(name, bytes):
        try:
            name = name.decode("ascii")
        except UnicodeDecodeError:
            return []
    if not isinstance(name, str):
        return []
    found: list[str] = hosts.ipv6(name) or hosts.ipv4(name)
    return found


def _failure(name: Any, outcomes: list[object]) -> Failure:
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    timeouts = [e for e in errors if isinstance(e, DNSQueryTimeoutError)]
    # No family gave an address, and one of them ran out of time: the name
    # could not be resolved in time, unless a server said it does not exist.
    if timeouts and not any(isinstance(e, DNSNameError) for e in errors):
        return Failure(timeouts[-1])
    detail = "; ".join(str(e) for e in errors) or "no address records"
    return Failure(DNSLookupError(string=f"{name!r} has no address: {detail}"))
