"""Endpoint description strings, such as ``"tcp:8080:interface=127.0.0.1"``.

A description is fields separated by colons.  The first field, the
prefix, names the parser; every later field is either ``key=value`` (split
at the first ``=``, passed as a keyword argument) or a positional argument.
A backslash makes the next character literal, so ``\\:``, ``\\=`` and
``\\\\`` stand for a colon, an equals sign and a backslash inside a field;
:func:`quoteStringArgument` adds those escapes.

Parsers come from the entry-point group ``plait.endpoints``: each entry
point names a parser class (instantiated with no arguments) or a parser
instance, with a ``prefix`` attribute.  They are loaded once per process.
Code that wants exactly its own parsers, tests especially, passes
``parsers=`` instead; nothing global is changed by that, so nothing leaks
from one test to the next.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from plait.interfaces import (
    IStreamClientEndpoint,
    IStreamClientEndpointStringParser,
    IStreamServerEndpoint,
    IStreamServerEndpointStringParser,
)

__all__ = [
    "ENDPOINTS_ENTRY_POINT_GROUP",
    "clientFromString",
    "quoteStringArgument",
    "serverFromString",
]

log = logging.getLogger("plait.core")

ENDPOINTS_ENTRY_POINT_GROUP = "plait.endpoints"

#: Prefixes that plait distributions provide, for the error message when
#: one is used but not installed.
_PREFIX_DISTRIBUTIONS: Mapping[str, str] = {
    "tcp": "plait-tcp",
    "tcp6": "plait-tcp",
    "tls": "plait-tcp",
    "ssl": "plait-tcp",
    "unix": "plait-unix",
}


@dataclass(slots=True, frozen=True)
class _Description:
    """A description split into its prefix and its arguments."""

    prefix: str
    args: tuple[str, ...]
    kwargs: dict[str, str] = field(default_factory=dict)


def quoteStringArgument(s: str) -> str:
    """Escape *s* so that it reads back as one field with the same text.

    Backslashes, colons and equals signs get a backslash in front.
    """
    return s.replace("\\", "\\\\").replace(":", "\\:").replace("=", "\\=")


def _splitFields(description: str) -> list[tuple[str, str | None]]:
    """Split at unescaped colons; each field is (text, key or None).

    The key is the text before the field's first unescaped ``=``; text and
    key come out unescaped.
    """
    fields: list[tuple[str, str | None]] = []
    current: list[str] = []
    key: str | None = None
    chars = iter(description)
    for char in chars:
        if char == "\\":
            escaped = next(chars, None)
            if escaped is None:
                raise ValueError(
                    f"endpoint description {description!r} ends with a lone "
                    "backslash; write '\\\\' for a literal one"
                )
            current.append(escaped)
        elif char == ":":
            fields.append(("".join(current), key))
            current, key = [], None
        elif char == "=" and key is None:
            key = "".join(current)
            current = []
        else:
            current.append(char)
    fields.append(("".join(current), key))
    return fields


def _parse(description: str) -> _Description:
    """Split *description* into prefix, positional and keyword arguments.

    :raises ValueError: there is no prefix, a key is empty or repeated, or
        a backslash ends the string.
    """
    fields = _splitFields(description)
    (prefix, prefixKey), rest = fields[0], fields[1:]
    if not rest or prefixKey is not None or not prefix:
        raise ValueError(
            f"endpoint description {description!r} has no prefix: it must "
            "start with a kind of endpoint and a colon, such as 'tcp:8080'"
        )
    if rest == [("", None)]:
        # "kind:" alone: a prefix without arguments.
        rest = []
    args: list[str] = []
    kwargs: dict[str, str] = {}
    for text, key in rest:
        if key is None:
            args.append(text)
        elif not key:
            raise ValueError(
                f"endpoint description {description!r} has a field with an "
                f"empty name ('={text}')"
            )
        elif key in kwargs:
            raise ValueError(f"endpoint description {description!r} sets {key!r} twice")
        else:
            kwargs[key] = text
    return _Description(prefix, tuple(args), kwargs)


@dataclass(slots=True, frozen=True)
class _Installed:
    """The parsers entry points provide, and the ones that failed to load."""

    parsers: tuple[Any, ...]
    broken: Mapping[str, str]


@functools.cache
def _installedParsers() -> _Installed:
    """Load the parsers of the ``plait.endpoints`` entry points, once."""
    parsers: list[Any] = []
    broken: dict[str, str] = {}
    for ep in entry_points(group=ENDPOINTS_ENTRY_POINT_GROUP):
        try:
            loaded = ep.load()
            parser = loaded() if isinstance(loaded, type) else loaded
        except Exception as e:
            log.exception("Endpoint parser %r (%s) failed to load", ep.name, ep.value)
            broken[ep.name] = f"{type(e).__name__}: {e}"
            continue
        if getattr(parser, "prefix", None) is None:
            log.error("Endpoint parser %r (%s) has no prefix", ep.name, ep.value)
            broken[ep.name] = "the parser has no 'prefix' attribute"
            continue
        parsers.append(parser)
    return _Installed(tuple(parsers), broken)


def _isServerParser(parser: object) -> bool:
    return IStreamServerEndpointStringParser.providedBy(parser) or callable(
        getattr(parser, "parseStreamServer", None)
    )


def _isClientParser(parser: object) -> bool:
    return IStreamClientEndpointStringParser.providedBy(parser) or callable(
        getattr(parser, "parseStreamClient", None)
    )


def _unknownPrefix(
    prefix: str, side: str, known: Iterable[str], broken: Mapping[str, str]
) -> ValueError:
    names = sorted(set(known))
    parts = [
        f"no {side} endpoint parser for the prefix {prefix!r}",
        "known prefixes: " + (", ".join(names) if names else "none"),
    ]
    if prefix in broken:
        parts.append(f"the parser for {prefix!r} failed to load ({broken[prefix]})")
    others = {p: d for p, d in _PREFIX_DISTRIBUTIONS.items() if p not in names}
    if others:
        listed = ", ".join(f"{p} ({d})" for p, d in others.items())
        parts.append(f"installable: {listed}")
    if prefix in others:
        parts.append(f"pip install {others[prefix]}")
    return ValueError("; ".join(parts))


def _find(
    description: str,
    parsers: Iterable[Any] | None,
    wanted: Any,
    side: str,
) -> tuple[Any, _Description]:
    parsed = _parse(description)
    if parsers is None:
        installed = _installedParsers()
        candidates: Iterable[Any] = installed.parsers
        broken = installed.broken
    else:
        candidates, broken = list(parsers), {}
    usable = [p for p in candidates if wanted(p)]
    for parser in usable:
        if parser.prefix == parsed.prefix:
            return parser, parsed
    raise _unknownPrefix(parsed.prefix, side, (p.prefix for p in usable), broken)


def serverFromString(
    reactor: Any, description: str, *, parsers: Iterable[Any] | None = None
) -> IStreamServerEndpoint:
    """Build the server endpoint *description* names, for *reactor*.

    :param parsers: use exactly these parser objects instead of the
        installed ones.
    :raises ValueError: the description is malformed, its prefix has no
        parser (the message lists the known prefixes and what to install),
        or the parser rejects the arguments.
    """
    parser, parsed = _find(description, parsers, _isServerParser, "server")
    endpoint: IStreamServerEndpoint = parser.parseStreamServer(
        reactor, *parsed.args, **parsed.kwargs
    )
    return endpoint


def clientFromString(
    reactor: Any, description: str, *, parsers: Iterable[Any] | None = None
) -> IStreamClientEndpoint:
    """Build the client endpoint *description* names, for *reactor*.

    :param parsers: use exactly these parser objects instead of the
        installed ones.
    :raises ValueError: as for :func:`serverFromString`.
    """
    parser, parsed = _find(description, parsers, _isClientParser, "client")
    endpoint: IStreamClientEndpoint = parser.parseStreamClient(
        reactor, *parsed.args, **parsed.kwargs
    )
    return endpoint
