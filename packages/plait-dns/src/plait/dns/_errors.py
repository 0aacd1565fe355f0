"""The errors a lookup fails with, each naming the name and type asked."""

from __future__ import annotations

import dns.rcode
from plait.errors import (
    DNSError,
    DNSFormatError,
    DNSNameError,
    DNSNotImplementedError,
    DNSQueryRefusedError,
    DNSQueryTimeoutError,
    DNSServerError,
    DNSUnknownError,
)

__all__ = ["rcodeError", "tagged", "timeoutError"]

_BY_RCODE: dict[int, type[DNSError]] = {
    dns.rcode.FORMERR: DNSFormatError,
    dns.rcode.SERVFAIL: DNSServerError,
    dns.rcode.NXDOMAIN: DNSNameError,
    dns.rcode.NOTIMP: DNSNotImplementedError,
    dns.rcode.REFUSED: DNSQueryRefusedError,
}


def tagged(error: DNSError, name: str, rdtype: str) -> DNSError:
    """*error* with its ``name`` and ``type`` set."""
    error.name = name
    error.type = rdtype
    return error


def rcodeError(rcode: int, name: str, rdtype: str, server: str = "") -> DNSError:
    """The error for a response code other than NOERROR."""
    cls = _BY_RCODE.get(rcode, DNSUnknownError)
    detail = f"{name} {rdtype}"
    if cls is DNSUnknownError:
        detail += f" (response code {dns.rcode.to_text(dns.rcode.Rcode.make(rcode))})"
    if server:
        detail += f" from {server}"
    return tagged(cls(detail), name, rdtype)


def timeoutError(name: str, rdtype: str, detail: str = "") -> DNSError:
    """The error for a query no server answered in time."""
    ident = f"{name} {rdtype}" + (f" ({detail})" if detail else "")
    return tagged(DNSQueryTimeoutError(ident), name, rdtype)
