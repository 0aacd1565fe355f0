"""Record classes dnspython lacks: A6, MB, MG, MR, MINFO and NULL.

dnspython decodes a type it has no class for as opaque bytes. For MB, MG,
MR and MINFO that is wrong, not merely inconvenient: their data holds
domain names that a server may compress against the rest of the message,
and the pointer means nothing once the bytes are cut out of it. So each
gets a class that reads its names through the message parser.

- MB, MG, MR (RFC 1035): one domain name, compressible.
- MINFO (RFC 1035): two domain names, the responsible mailbox and the
  mailbox for errors, compressible.
- NULL (RFC 1035): up to 65535 opaque octets; its text form is the generic
  ``\\# length hex`` of RFC 3597, as it has no other.
- A6 (RFC 2874, historic): a prefix length, the address bits after the
  prefix, and the name the prefix comes from (absent when the length is 0).
  Its names are never compressed.

:func:`registerRecordTypes` installs them; importing :mod:`plait.dns` calls
it once.
"""

from __future__ import annotations

import binascii
import inspect
import ipaddress
from collections.abc import Callable
from typing import Any

import dns.exception
import dns.immutable
import dns.ipv6
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.nsbase
import dns.wire

__all__ = ["A6", "MB", "MG", "MINFO", "MR", "NULL", "registerRecordTypes"]

# dnspython leaves these helpers unannotated; called through Any, they keep
# mypy's strict mode quiet without an exemption.
_SyntaxError: Any = dns.exception.SyntaxError
_FormError: Any = dns.exception.FormError


def _untyped(rdata: dns.rdata.Rdata) -> Any:
    return rdata


_Show = Callable[[dns.name.Name], str]

# dnspython 2.9 reads a name in record data without following compression
# pointers unless told to; older releases always follow them.
_DECOMPRESS_FLAG = (
    "decompress" in inspect.signature(dns.wire.Parser.get_name).parameters
)


def _compressedName(parser: Any, origin: Any) -> dns.name.Name:
    if _DECOMPRESS_FLAG:
        return parser.get_name(origin, True)  # type: ignore[no-any-return]
    return parser.get_name(origin)  # type: ignore[no-any-return]


def _toText(rdata: Any, origin: Any, relativize: bool, style: Any) -> str:
    # dnspython 2.9 formats through styles; older releases call to_text
    # with origin and relativize. Both reach the same _text.
    if style is not None:
        return str(rdata.to_styled_text(style))

    def show(name: dns.name.Name) -> str:
        return name.choose_relativity(origin, relativize).to_text()

    return str(rdata._text(show))


@dns.immutable.immutable
class _TextForms(dns.rdata.Rdata):
    """Both of dnspython's text forms (styled, and the older keyword one)
    from one ``_text(show)``, where ``show`` renders a name."""

    __slots__: list[str] = []

    def _text(self, show: _Show) -> str:
        raise NotImplementedError

    def to_styled_text(self, style: Any) -> str:
        return self._text(lambda name: name.to_styled_text(style))

    def to_text(
        self,
        origin: Any = None,
        relativize: bool = True,
        style: Any = None,
        **kw: Any,
    ) -> str:
        return _toText(self, origin, relativize, style)


@dns.immutable.immutable
class MB(dns.rdtypes.nsbase.NSBase):
    """A mailbox domain name: the host that holds a mailbox (experimental)."""


@dns.immutable.immutable
class MG(dns.rdtypes.nsbase.NSBase):
    """A mail group member: one mailbox of a mail group (experimental)."""


@dns.immutable.immutable
class MR(dns.rdtypes.nsbase.NSBase):
    """A mail rename: the mailbox that replaces this one (experimental)."""


@dns.immutable.immutable
class MINFO(_TextForms):
    """Mailbox or mail list information: who is responsible, who gets errors."""

    __slots__ = ["emailbx", "rmailbx"]

    def __init__(self, rdclass: Any, rdtype: Any, rmailbx: Any, emailbx: Any) -> None:
        super().__init__(rdclass, rdtype)
        self.rmailbx: dns.name.Name = _untyped(self)._as_name(rmailbx)
        self.emailbx: dns.name.Name = _untyped(self)._as_name(emailbx)

    def _text(self, show: _Show) -> str:
        return f"{show(self.rmailbx)} {show(self.emailbx)}"

    @classmethod
    def from_text(
        cls,
        rdclass: Any,
        rdtype: Any,
        tok: Any,
        origin: Any = None,
        relativize: bool = True,
        relativize_to: Any = None,
    ) -> MINFO:
        rmailbx = tok.get_name(origin, relativize, relativize_to)
        emailbx = tok.get_name(origin, relativize, relativize_to)
        return cls(rdclass, rdtype, rmailbx, emailbx)

    def _to_wire(
        self,
        file: Any,
        compress: Any = None,
        origin: Any = None,
        canonicalize: bool = False,
    ) -> None:
        self.rmailbx.to_wire(file, compress, origin, canonicalize)
        self.emailbx.to_wire(file, compress, origin, canonicalize)

    @classmethod
    def from_wire_parser(
        cls, rdclass: Any, rdtype: Any, parser: Any, origin: Any = None
    ) -> MINFO:
        rmailbx = _compressedName(parser, origin)
        emailbx = _compressedName(parser, origin)
        return cls(rdclass, rdtype, rmailbx, emailbx)


@dns.immutable.immutable
class NULL(_TextForms):
    """Anything at all, up to 65535 octets (experimental)."""

    __slots__ = ["data"]

    def __init__(self, rdclass: Any, rdtype: Any, data: Any) -> None:
        super().__init__(rdclass, rdtype)
        self.data: bytes = self._as_bytes(data, max_length=65535)

    def _text(self, show: _Show) -> str:
        return rf"\# {len(self.data)} {binascii.hexlify(self.data).decode()}".rstrip()

    @classmethod
    def from_text(
        cls,
        rdclass: Any,
        rdtype: Any,
        tok: Any,
        origin: Any = None,
        relativize: bool = True,
        relativize_to: Any = None,
    ) -> NULL:
        marker = tok.get_string()
        if marker != r"\#":
            raise _SyntaxError(r"NULL data must be written as \# length hex")
        length = tok.get_int()
        data = binascii.unhexlify(tok.concatenate_remaining_identifiers().encode())
        if len(data) != length:
            raise _SyntaxError("NULL data does not match its length")
        return cls(rdclass, rdtype, data)

    def _to_wire(
        self,
        file: Any,
        compress: Any = None,
        origin: Any = None,
        canonicalize: bool = False,
    ) -> None:
        file.write(self.data)

    @classmethod
    def from_wire_parser(
        cls, rdclass: Any, rdtype: Any, parser: Any, origin: Any = None
    ) -> NULL:
        return cls(rdclass, rdtype, parser.get_remaining())


def _suffixOctets(prefixLength: int) -> int:
    return (128 - prefixLength + 7) // 8


@dns.immutable.immutable
class A6(_TextForms):
    """An IPv6 address built from a prefix name and a suffix (historic).

    ``address`` is the full 128-bit address in text form, with the bits of
    the prefix set to zero; ``prefix`` is ``None`` when ``prefixLength`` is 0
    (the address is then complete).
    """

    __slots__ = ["address", "prefix", "prefixLength"]

    def __init__(
        self, rdclass: Any, rdtype: Any, prefixLength: int, address: str, prefix: Any
    ) -> None:
        super().__init__(rdclass, rdtype)
        length = _untyped(self)._as_uint8(prefixLength)
        if length > 128:
            raise ValueError(f"an A6 prefix length is at most 128, not {length}")
        packed = dns.ipv6.inet_aton(_untyped(self)._as_ipv6_address(address))
        keep = 128 - length
        value = int.from_bytes(packed, "big") & ((1 << keep) - 1)
        self.prefixLength: int = length
        self.address: str = str(ipaddress.IPv6Address(value))
        if length == 0:
            if prefix is not None:
                raise ValueError("an A6 record with prefix length 0 has no prefix name")
            self.prefix: dns.name.Name | None = None
        else:
            if prefix is None:
                raise ValueError(
                    "an A6 record with a prefix length needs a prefix name"
                )
            self.prefix = _untyped(self)._as_name(prefix)

    def _text(self, show: _Show) -> str:
        text = str(self.prefixLength)
        if self.prefixLength < 128:
            text += f" {self.address}"
        if self.prefix is not None:
            text += f" {show(self.prefix)}"
        return text

    @classmethod
    def from_text(
        cls,
        rdclass: Any,
        rdtype: Any,
        tok: Any,
        origin: Any = None,
        relativize: bool = True,
        relativize_to: Any = None,
    ) -> A6:
        length = tok.get_uint8()
        address = tok.get_identifier() if length < 128 else "::"
        prefix = None
        if length > 0:
            prefix = tok.get_name(origin, relativize, relativize_to)
        return cls(rdclass, rdtype, length, address, prefix)

    def _to_wire(
        self,
        file: Any,
        compress: Any = None,
        origin: Any = None,
        canonicalize: bool = False,
    ) -> None:
        file.write(bytes([self.prefixLength]))
        octets = _suffixOctets(self.prefixLength)
        if octets:
            file.write(dns.ipv6.inet_aton(self.address)[16 - octets :])
        if self.prefix is not None:
            self.prefix.to_wire(file, None, origin, canonicalize)

    @classmethod
    def from_wire_parser(
        cls, rdclass: Any, rdtype: Any, parser: Any, origin: Any = None
    ) -> A6:
        length = parser.get_uint8()
        if length > 128:
            raise _FormError(f"A6 prefix length {length} is over 128")
        suffix = parser.get_bytes(_suffixOctets(length))
        address = str(ipaddress.IPv6Address(bytes(16 - len(suffix)) + suffix))
        prefix = parser.get_name(origin) if length > 0 else None
        return cls(rdclass, rdtype, length, address, prefix)


_REGISTERED = False


def registerRecordTypes() -> None:
    """Teach dnspython A6, MB, MG, MR, MINFO and NULL (idempotent).

    A type dnspython already knows (a newer release may add one) keeps
    dnspython's class.
    """
    global _REGISTERED
    if _REGISTERED:
        return
    for implementation, rdtype in (
        (A6, dns.rdatatype.A6),
        (MB, dns.rdatatype.MB),
        (MG, dns.rdatatype.MG),
        (MR, dns.rdatatype.MR),
        (MINFO, dns.rdatatype.MINFO),
        (NULL, dns.rdatatype.NULL),
    ):
        rdclass = (
            dns.rdataclass.IN if rdtype == dns.rdatatype.A6 else dns.rdataclass.ANY
        )
        try:
            dns.rdata.register_type(
                implementation, rdtype, dns.rdatatype.to_text(rdtype), rdclass=rdclass
            )
        except dns.rdata.RdatatypeExists:
            pass
    _REGISTERED = True
