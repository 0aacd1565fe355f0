"""The question object of ``IResolver.query`` and the timeout schedules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import dns.name
import dns.rdataclass
import dns.rdatatype

__all__ = ["DEFAULT_SCHEDULE", "Query", "schedule"]

#: The attempts ``getHostByName`` makes by default, in seconds each.
DEFAULT_SCHEDULE = (1.0, 3.0, 11.0, 45.0)


@dataclass(frozen=True, slots=True)
class Query:
    """A question: a name, a record type and a class (``IN`` by default).

    *type* and *cls* are numbers or mnemonics (``"MX"``, ``"CH"``).
    """

    name: str | bytes | dns.name.Name
    type: int | str = dns.rdatatype.A
    cls: int | str = dns.rdataclass.IN


def schedule(timeout: float | Sequence[float]) -> list[float]:
    """The per-attempt times for *timeout*.

    A sequence is taken as it is. A single number is the bound for the
    whole lookup: the attempts follow the default schedule (1, 3, 11, 45
    seconds), the last one cut so that they add up to the number.

    :raises ValueError: a time is not a positive number, or none is given.
    """
    key: object = timeout
    cacheable = type(key) in (int, float) or (
        isinstance(key, tuple) and all(type(t) in (int, float) for t in key)
    )
    if cacheable:
        known = _SEEN.get(key)
        if known is not None:
            return list(known)
    out = _schedule(timeout)
    if cacheable and len(_SEEN) < 256:
        _SEEN[key] = tuple(out)
    return out


# Schedules already worked out, by the timeout a caller passed.
_SEEN: dict[object, tuple[float, ...]] = {}


def _schedule(timeout: float | Sequence[float]) -> list[float]:
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        total = float(timeout)
        if not total > 0:
            raise ValueError(f"a timeout must be positive, not {timeout!r}")
        out: list[float] = []
        for step in DEFAULT_SCHEDULE:
            if total <= step:
                out.append(total)
                return out
            out.append(step)
            total -= step
        out[-1] += total
        return out
    if isinstance(timeout, bool):
        raise ValueError(f"a timeout is a number or a sequence, not {timeout!r}")
    try:
        out = [float(t) for t in timeout]
    except (TypeError, ValueError):
        raise ValueError(
            f"a timeout is a number or a sequence of numbers, not {timeout!r}"
        ) from None
    if not out or any(not t > 0 for t in out):
        raise ValueError(f"every timeout must be positive: {timeout!r}")
    return out
