"""``plait dig``: ask a DNS server one question, or for a whole zone.

The answer is printed the way zone files and ``dig`` write records: a
status line starting with ``;`` (the response code, the server, how long
it took), then one record per line, ``owner TTL class type rdata``. A TXT
record stays on one line however long it is.

The exit status tells what the server said: 0 for NOERROR (an empty
answer included), 1 for NXDOMAIN, 3 when no answer came (SERVFAIL,
REFUSED, another error code, or no reply in time).
"""

from __future__ import annotations

import argparse
import ipaddress
import time
from collections.abc import Callable, Sequence
from typing import Any

import dns.exception
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from plait.dns import InvalidQueryError, Resolver, createResolver
from plait.errors import (
    DNSError,
    DNSFormatError,
    DNSNameError,
    DNSNotImplementedError,
    DNSQueryRefusedError,
    DNSQueryTimeoutError,
    DNSServerError,
)

__all__ = [
    "EXIT_NO_ANSWER",
    "EXIT_NXDOMAIN",
    "checkArguments",
    "dnsServer",
    "domainName",
    "formatRecords",
    "positiveSeconds",
    "recordType",
    "runDig",
]

#: The exit status for a name that does not exist.
EXIT_NXDOMAIN = 1
#: The exit status when the server gave no usable answer.
EXIT_NO_ANSWER = 3

#: What each error of a lookup is called on the status line.
_STATUS: list[tuple[type[DNSError], str]] = [
    (DNSNameError, "NXDOMAIN"),
    (DNSServerError, "SERVFAIL"),
    (DNSQueryRefusedError, "REFUSED"),
    (DNSFormatError, "FORMERR"),
    (DNSNotImplementedError, "NOTIMP"),
    (DNSQueryTimeoutError, "TIMEOUT"),
]

#: Meta-types a question may carry (the zone transfers are handled apart).
_ASKABLE_META = frozenset(
    {dns.rdatatype.ANY, dns.rdatatype.AXFR, dns.rdatatype.MAILA, dns.rdatatype.MAILB}
)


def domainName(text: str) -> str:
    """A domain name DNS can carry (labels of 1-63 octets, 255 in all)."""
    try:
        dns.name.from_text(text)
    except dns.exception.DNSException as e:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a domain name: {e}"
        ) from None
    return text


def recordType(text: str) -> str:
    """A record type mnemonic such as ``MX``, or a ``TYPE123`` form."""
    try:
        value = dns.rdatatype.from_text(text.upper())
    except (ValueError, dns.rdatatype.UnknownRdatatype):
        raise argparse.ArgumentTypeError(f"unknown record type: {text!r}") from None
    if dns.rdatatype.is_metatype(value) and value not in _ASKABLE_META:
        raise argparse.ArgumentTypeError(
            f"record type {dns.rdatatype.to_text(value)} cannot be asked"
        )
    return dns.rdatatype.to_text(value)


def positiveSeconds(text: str) -> float:
    """A number of seconds above zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text}")
    return value


def _address(text: str, whole: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{whole!r}: a DNS server is an IP address, such as 192.0.2.53,"
            " 192.0.2.53:5353, ::1 or [::1]:5353"
        ) from None


def _port(text: str, whole: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{whole!r}: not a port number: {text!r}"
        ) from None
    if not 0 < value <= 65535:
        raise argparse.ArgumentTypeError(f"{whole!r}: port {value} is outside 1-65535")
    return value


def dnsServer(text: str) -> tuple[str, int]:
    """``HOST``, ``HOST:PORT``, ``IPV6`` or ``[IPV6]:PORT``; port 53 by default."""
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise argparse.ArgumentTypeError(
                f"{text!r}: write an IPv6 server as [ADDRESS]:PORT, such as [::1]:5353"
            )
        number = _port(rest[1:], text) if rest else 53
        return _address(host, text), number
    if text.count(":") == 1:
        host, _, portText = text.partition(":")
        return _address(host, text), _port(portText, text)
    # No colon, or an IPv6 address without a port.
    return _address(text, text), 53


def checkArguments(args: argparse.Namespace, error: Callable[[str], object]) -> None:
    """Report a usage mistake that no single argument shows on its own.

    ``NAME AXFR`` is taken as ``--axfr NAME``.
    """
    if args.type == "AXFR" and args.axfr is None:
        args.axfr, args.name, args.type = args.name, None, "A"
    if args.axfr is not None:
        if args.name is not None:
            error("--axfr takes the zone; give no NAME or TYPE with it")
    elif args.name is None:
        error("the following arguments are required: NAME (or --axfr ZONE)")


def formatRecords(rrsets: Sequence[dns.rrset.RRset]) -> list[str]:
    """One line per record: ``owner TTL class type rdata``."""
    lines = []
    for rrset in rrsets:
        head = (
            f"{rrset.name.to_text()} {rrset.ttl}"
            f" {dns.rdataclass.to_text(rrset.rdclass)}"
            f" {dns.rdatatype.to_text(rrset.rdtype)}"
        )
        for rdata in rrset:
            # Rdata text has no line breaks today; a record is one line whatever.
            text = " ".join(rdata.to_text().splitlines())
            lines.append(f"{head} {text}")
    return lines


def _statusOf(error: DNSError) -> str:
    for cls, name in _STATUS:
        if isinstance(error, cls):
            return name
    return "ERROR"


def _where(server: tuple[str, int], tcp: bool) -> str:
    host, number = server
    shown = f"[{host}]:{number}" if ":" in host else f"{host}:{number}"
    return f"{shown} over TCP" if tcp else shown


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


async def runDig(
    reactor: Any, args: argparse.Namespace, say: Callable[[str], None]
) -> int:
    """Ask the question *args* name, print the answer; return the exit status."""
    if args.server is not None:
        servers = [args.server]
    else:
        servers = createResolver(reactor, hosts=None, cacheSize=0).servers[:1]
    zone = args.axfr is not None
    tcp = args.tcp or zone
    resolver = Resolver(reactor, servers, cacheSize=0, useTCP=tcp)
    where = _where(servers[0], tcp)
    started = time.monotonic()
    try:
        if zone:
            answers, authority, additional = await resolver.lookupZone(
                args.axfr, timeout=args.timeout
            )
        else:
            answers, authority, additional = await resolver.lookupRecord(
                args.name, "IN", args.type, timeout=(args.timeout,) * args.tries
            )
    except InvalidQueryError:
        raise  # a question no server was asked: a plain error line
    except DNSError as e:
        took = (time.monotonic() - started) * 1000
        status = _statusOf(e)
        say(f"; {status} from {where} in {took:.1f} ms: {' '.join(str(e).split())}")
        return EXIT_NXDOMAIN if status == "NXDOMAIN" else EXIT_NO_ANSWER
    took = (time.monotonic() - started) * 1000
    if zone:
        count = sum(len(rrset) for rrset in answers)
        say(
            f"; NOERROR from {where} in {took:.1f} ms:"
            f" zone {args.axfr}, {_plural(count, 'record')}"
        )
    else:
        say(
            f"; NOERROR from {where} in {took:.1f} ms:"
            f" {_plural(sum(len(r) for r in answers), 'answer')},"
            f" {sum(len(r) for r in authority)}"
            f" authority, {sum(len(r) for r in additional)} additional"
        )
    for line in formatRecords(answers):
        say(line)
    for title, section in (("authority", authority), ("additional", additional)):
        if section:
            say(f"; {title}:")
            for line in formatRecords(section):
                say(line)
    return 0
