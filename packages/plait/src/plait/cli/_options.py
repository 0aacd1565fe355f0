"""Argument types shared by the subcommands.

A value that can be judged without touching the network (a count, a port
number, the port field of an endpoint string) is checked while the
arguments are parsed, so a mistake there is a usage error: argparse prints
the usage line and one line naming the problem, and exits 2.  Whatever
needs the running system (a taken port, an unknown host, an endpoint
prefix whose distribution is not installed) is a runtime error instead.
"""

from __future__ import annotations

import argparse

__all__ = [
    "clientEndpoint",
    "port",
    "positiveInt",
    "serverEndpoint",
    "splitDescription",
]

#: Prefixes whose descriptions carry a TCP port.
_PORT_PREFIXES = frozenset({"tcp", "tcp6", "tls", "ssl"})


def positiveInt(text: str) -> int:
    """An integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def port(text: str) -> int:
    """A port number, 0 to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is outside 0-65535")
    return value


def splitDescription(description: str) -> tuple[str, list[str], dict[str, str]]:
    """The prefix, positional fields and ``key=value`` fields of an endpoint
    string, with backslash escapes undone."""
    fields: list[tuple[str | None, str]] = []
    current: list[str] = []
    key: str | None = None
    chars = iter(description)
    for char in chars:
        if char == "\\":
            current.append(next(chars, ""))
        elif char == ":":
            fields.append((key, "".join(current)))
            current, key = [], None
        elif char == "=" and key is None:
            key, current = "".join(current), []
        else:
            current.append(char)
    fields.append((key, "".join(current)))
    (_, prefix), rest = fields[0], fields[1:]
    positional = [text for name, text in rest if name is None]
    keywords = {name: text for name, text in rest if name is not None}
    return prefix, positional, keywords


def _checkPort(description: str, positionalIndex: int) -> str:
    if ":" not in description or description.startswith(":"):
        raise argparse.ArgumentTypeError(
            f"{description!r} is not an endpoint: write KIND:ARGUMENTS,"
            " such as tcp:8000"
        )
    prefix, positional, keywords = splitDescription(description)
    if prefix not in _PORT_PREFIXES:
        return description
    text = keywords.get("port")
    if text is None and len(positional) > positionalIndex:
        text = positional[positionalIndex]
    if text is not None:
        try:
            port(text)
        except argparse.ArgumentTypeError as e:
            raise argparse.ArgumentTypeError(f"{description!r}: {e}") from None
    return description


def serverEndpoint(description: str) -> str:
    """A server endpoint string, such as ``tcp:8000:interface=127.0.0.1``."""
    return _checkPort(description, 0)


def clientEndpoint(description: str) -> str:
    """A client endpoint string, such as ``tcp:localhost:8000``."""
    _, _positional, keywords = splitDescription(description)
    # tcp:HOST:PORT, or tcp:PORT when host= is given as a keyword.
    return _checkPort(description, 0 if "host" in keywords else 1)
