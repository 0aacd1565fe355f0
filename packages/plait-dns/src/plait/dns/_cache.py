"""A bounded cache of answers that honours TTLs, negative answers included.

- A positive answer lives as long as the smallest TTL of its answer
  records; a record read back carries the TTL it has left.
- A negative answer (a name that does not exist, or a name without records
  of the type) lives as long as RFC 2308 says: the smaller of the SOA
  record's TTL and its MINIMUM field, the SOA coming from the authority
  section. Without an SOA the absence is not cached.
- The cache holds at most ``maxSize`` entries; the least recently used one
  goes first. Expired entries go when they are next looked up.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import dns.name
import dns.rdatatype
import dns.rrset
from plait.errors import DNSError

from ._wire import Response

__all__ = ["Cache", "Result", "negativeTTL"]

Result = tuple[list[dns.rrset.RRset], list[dns.rrset.RRset], list[dns.rrset.RRset]]
_Key = tuple[dns.name.Name, int, int]


@dataclass(slots=True)
class _Entry:
    expires: float
    stored: float
    result: Result | None
    error: DNSError | None


def negativeTTL(message: Response) -> int | None:
    """How long the absence *message* reports may be cached (RFC 2308 §5)."""
    for rrset in message.authority:
        if rrset.rdtype == dns.rdatatype.SOA and len(rrset):
            return int(min(rrset.ttl, rrset[0].minimum))
    return None


def _aged(rrsets: list[dns.rrset.RRset], elapsed: int) -> list[dns.rrset.RRset]:
    if elapsed <= 0:
        return list(rrsets)
    out = []
    for rrset in rrsets:
        copy: dns.rrset.RRset = cast(Any, rrset).copy()
        copy.ttl = max(rrset.ttl - elapsed, 0)
        out.append(copy)
    return out


class Cache:
    """Answers by (name, type, class), against the clock *now*."""

    def __init__(self, now: Callable[[], float], maxSize: int = 10000) -> None:
        self._now = now
        self.maxSize = maxSize
        self._entries: OrderedDict[_Key, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: _Key) -> Result | DNSError | None:
        """The live answer or error for *key*, or ``None``."""
        if self.maxSize <= 0:
            return None
        entry = self._entries.get(key)
        if entry is None:
            return None
        now = self._now()
        if now >= entry.expires:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        if entry.error is not None:
            return entry.error
        assert entry.result is not None
        elapsed = int(now - entry.stored)
        answers, authority, additional = entry.result
        return (
            _aged(answers, elapsed),
            _aged(authority, elapsed),
            _aged(additional, elapsed),
        )

    def _put(
        self, key: _Key, ttl: float, result: Result | None, error: DNSError | None
    ) -> None:
        if self.maxSize <= 0 or ttl <= 0:
            return
        now = self._now()
        self._entries[key] = _Entry(now + ttl, now, result, error)
        self._entries.move_to_end(key)
        while len(self._entries) > self.maxSize:
            self._entries.popitem(last=False)

    def storeAnswer(self, key: _Key, message: Response, result: Result) -> None:
        """Keep a NOERROR answer: positive for its TTL, or negative (no data)."""
        if self.maxSize <= 0:
            return
        if result[0]:
            self._put(key, min(r.ttl for r in result[0]), result, None)
            return
        ttl = negativeTTL(message)
        if ttl is not None:
            self._put(key, ttl, result, None)

    def storeError(self, key: _Key, message: Response, error: DNSError) -> None:
        """Keep a name error for as long as its SOA allows."""
        ttl = negativeTTL(message)
        if ttl is not None:
            self._put(key, ttl, None, error)

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()
