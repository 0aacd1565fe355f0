"""Checking what a caller asks for before anything reaches the wire.

- A ``str`` name is IDNA-encoded (``bücher.example`` becomes
  ``xn--bcher-kva.example``); a ``bytes`` name is split on dots and its
  labels are taken exactly as given, so a caller can ask for any octets.
- A label over 63 octets, a name over 255, or an empty label inside a name
  is refused at once: such a query cannot be encoded, and a server would
  only answer FORMERR after a round trip.
- Record types: any number in 1..65535 except the meta types a plain query
  cannot carry (OPT, TSIG, TKEY, and the zone transfers, which have
  ``lookupZone``), or a mnemonic dnspython knows. ``ANY`` is allowed.
"""

from __future__ import annotations

import dns.exception
import dns.name
import dns.rdataclass
import dns.rdatatype
from plait.errors import DNSError

__all__ = ["InvalidQueryError", "checkClass", "checkType", "toName", "typeText"]

_FORBIDDEN_TYPES = frozenset(
    {
        dns.rdatatype.NONE,
        dns.rdatatype.OPT,
        dns.rdatatype.TSIG,
        dns.rdatatype.TKEY,
        dns.rdatatype.AXFR,
        dns.rdatatype.IXFR,
    }
)


class InvalidQueryError(DNSError, ValueError):
    """The name, type or class of a lookup cannot be asked (nothing was sent).

    :param name: the name as the caller gave it.
    :param reason: why it was refused.
    """

    summary = "The DNS query is not valid"

    def __init__(self, name: object, reason: str) -> None:
        super().__init__(name, reason)
        self.name = name if isinstance(name, str) else repr(name)
        self.reason = reason

    def __str__(self) -> str:
        return f"The DNS query for {self.name} is not valid: {self.reason}."


def _fromOctets(raw: bytes, absolute: bool) -> dns.name.Name:
    labels = raw.split(b".")
    if labels[-1]:
        if absolute:
            labels.append(b"")
    else:
        labels = [*labels[:-1], b""]
    return dns.name.Name(labels)


def toName(name: str | bytes | dns.name.Name, absolute: bool = False) -> dns.name.Name:
    """The dnspython name for *name*; relative unless it ends with a dot, or
    *absolute* is true (then the root is added).

    :raises InvalidQueryError: the name cannot be encoded.
    """
    if isinstance(name, dns.name.Name):
        if absolute and not name.is_absolute():
            return _joined(name)
        return name
    try:
        if isinstance(name, str):
            if not name or name == ".":
                return dns.name.root
            if name.isascii() and "\\" not in name:
                # Plain ASCII needs no IDNA step and no escapes: the octets
                # are the labels, and Name checks their lengths.
                return _fromOctets(name.encode("ascii"), absolute)
            return dns.name.from_unicode(
                name, origin=dns.name.root if absolute else None
            )
        if isinstance(name, (bytes, bytearray)):
            raw = bytes(name)
            if not raw or raw == b".":
                return dns.name.root
            return _fromOctets(raw, absolute)
    except dns.name.LabelTooLong:
        raise InvalidQueryError(name, "a label is longer than 63 octets") from None
    except dns.name.NameTooLong:
        raise InvalidQueryError(name, "the name is longer than 255 octets") from None
    except dns.name.EmptyLabel:
        raise InvalidQueryError(name, "the name has an empty label") from None
    except (dns.exception.DNSException, UnicodeError) as e:
        raise InvalidQueryError(name, f"it cannot be encoded ({e})") from None
    raise InvalidQueryError(
        name, f"a name must be str or bytes, not {type(name).__name__}"
    )


def _joined(name: dns.name.Name) -> dns.name.Name:
    try:
        return name.concatenate(dns.name.root)
    except dns.name.NameTooLong:
        raise InvalidQueryError(
            name.to_text(), "the name is longer than 255 octets"
        ) from None


# Types and classes already accepted, by the value a caller passed: every
# lookup checks one, and most programs ask a handful.
_TYPES_SEEN: dict[int | str, dns.rdatatype.RdataType] = {}
_CLASSES_SEEN: dict[int | str, dns.rdataclass.RdataClass] = {}


def checkType(name: object, rdtype: object) -> dns.rdatatype.RdataType:
    """The record type *rdtype* (a number or mnemonic), if a query can ask it.

    :raises InvalidQueryError: the type is unknown or cannot be queried.
    """
    plain = (
        rdtype if isinstance(rdtype, (int, str)) and type(rdtype) is not bool else None
    )
    if isinstance(plain, (int, str)):
        known = _TYPES_SEEN.get(plain)
        if known is not None:
            return known
    value = _checkType(name, rdtype)
    if isinstance(plain, (int, str)) and len(_TYPES_SEEN) < 1024:
        _TYPES_SEEN[plain] = value
    return value


def _checkType(name: object, rdtype: object) -> dns.rdatatype.RdataType:
    try:
        if isinstance(rdtype, str):
            value = dns.rdatatype.from_text(rdtype)
        elif isinstance(rdtype, int) and not isinstance(rdtype, bool):
            value = dns.rdatatype.RdataType.make(rdtype)
        else:
            raise ValueError(rdtype)
    except (ValueError, dns.exception.DNSException):
        raise InvalidQueryError(name, f"unknown record type {rdtype!r}") from None
    if value in _FORBIDDEN_TYPES or (
        dns.rdatatype.is_metatype(value)
        and value
        not in (
            dns.rdatatype.ANY,
            dns.rdatatype.MAILA,
            dns.rdatatype.MAILB,
        )
    ):
        raise InvalidQueryError(
            name, f"record type {dns.rdatatype.to_text(value)} cannot be queried"
        )
    return value


def checkClass(name: object, rdclass: object) -> dns.rdataclass.RdataClass:
    """The DNS class *rdclass* (a number or mnemonic such as ``IN``).

    :raises InvalidQueryError: the class is unknown.
    """
    plain = (
        rdclass
        if isinstance(rdclass, (int, str)) and type(rdclass) is not bool
        else None
    )
    if isinstance(plain, (int, str)):
        known = _CLASSES_SEEN.get(plain)
        if known is not None:
            return known
    value = _checkClass(name, rdclass)
    if isinstance(plain, (int, str)) and len(_CLASSES_SEEN) < 1024:
        _CLASSES_SEEN[plain] = value
    return value


def _checkClass(name: object, rdclass: object) -> dns.rdataclass.RdataClass:
    try:
        if isinstance(rdclass, str):
            return dns.rdataclass.from_text(rdclass)
        if isinstance(rdclass, int) and not isinstance(rdclass, bool) and rdclass > 0:
            return dns.rdataclass.RdataClass.make(rdclass)
    except (ValueError, dns.exception.DNSException):
        pass
    raise InvalidQueryError(name, f"unknown DNS class {rdclass!r}")


def typeText(rdtype: int) -> str:
    """The mnemonic of a record type (``TYPE65280`` for one without)."""
    return dns.rdatatype.to_text(dns.rdatatype.RdataType.make(rdtype))
