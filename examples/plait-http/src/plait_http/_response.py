"""What a handler answers with, and the bytes of a response head.

A response head is mostly the same from one request to the next: the
status line comes from a table built once, the ``date`` line is rebuilt
at most once a second, and a header list given as a tuple (the usual case
for a handler that keeps its headers in a constant) is encoded once and
remembered. Header names and values are checked before anything is sent:
a CR or LF inside a value would let a caller's data split the response.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterable, Iterable
from email.utils import formatdate
from http import HTTPStatus

__all__ = ["HeaderPairs", "Response", "encodeHeaders", "statusLine"]

#: What a handler may give as headers: (name, value) pairs of bytes or str.
HeaderPairs = Iterable[tuple[bytes | str, bytes | str]]

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE = re.compile(rb"[\x00\r\n]")
#: Framing headers the server writes itself.
_FRAMING = frozenset({b"transfer-encoding"})

_STATUS_LINES: dict[int, bytes] = {
    s.value: b"HTTP/1.1 %d %s\r\n" % (s.value, s.phrase.encode("ascii"))
    for s in HTTPStatus
}


def statusLine(status: int) -> bytes:
    """``HTTP/1.1 <status> <reason>\\r\\n`` for a three-digit status code.

    :raises ValueError: the status is not an integer from 100 to 999.
    """
    line = _STATUS_LINES.get(status)
    if line is not None:
        return line
    if type(status) is not int or not 100 <= status <= 999:
        raise ValueError(f"an HTTP status is an integer, 100 to 999, not {status!r}")
    line = b"HTTP/1.1 %d Unknown\r\n" % status
    _STATUS_LINES[status] = line
    return line


class _DateLine:
    """The ``date`` header line, rebuilt when the second changes."""

    __slots__ = ("_line", "_second")

    def __init__(self) -> None:
        self._second = -1
        self._line = b""

    def __call__(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._line = b"date: " + formatdate(now, usegmt=True).encode() + b"\r\n"
        return self._line


dateLine = _DateLine()


def _asBytes(text: object, what: str) -> bytes:
    if type(text) is bytes:
        return text
    if isinstance(text, str):
        try:
            return text.encode("latin-1")
        except UnicodeEncodeError:
            raise ValueError(f"header {what} {text!r} is not latin-1") from None
    if isinstance(text, (bytearray, memoryview)):
        return bytes(text)
    raise TypeError(f"a header {what} is bytes or str, not {type(text).__name__}")


class EncodedHeaders:
    """A handler's header list, checked and encoded as header lines.

    ``contentLength`` is the value of a ``content-length`` header the
    handler gave itself (None without one); ``close`` says it asked for
    ``connection: close``.
    """

    __slots__ = ("_tails", "block", "close", "contentLength")

    def __init__(self, block: bytes, contentLength: int | None, close: bool) -> None:
        self.block = block
        self.contentLength = contentLength
        self.close = close
        self._tails: dict[tuple[int, bool, bool], bytes] | None = None

    def tail(self, length: int, close: bool, keepAlive: bool) -> bytes:
        """The head after the date line, for a body of *length* bytes: the
        headers, ``content-length``, the ``connection`` line (``close``, or
        ``keep-alive`` when *keepAlive* asks for it) and the blank line.
        Kept for a few lengths, since a server sends the same ones often."""
        tails = self._tails
        key = (length, close, keepAlive)
        if tails is not None:
            found = tails.get(key)
            if found is not None:
                return found
        else:
            tails = self._tails = {}
        connection = b""
        if close:
            connection = b"" if self.close else b"connection: close\r\n"
        elif keepAlive:
            connection = b"connection: keep-alive\r\n"
        built = b"%scontent-length: %d\r\n%s\r\n" % (self.block, length, connection)
        if len(tails) < 32:
            tails[key] = built
        return built


_CACHE: dict[tuple[object, ...], EncodedHeaders] = {}
_CACHE_LIMIT = 512
_EMPTY = EncodedHeaders(b"", None, False)


def encodeHeaders(headers: HeaderPairs) -> EncodedHeaders:
    """Check and encode *headers*; a tuple of pairs is encoded once and kept.

    :raises ValueError: a name is not an HTTP token, a value holds CR, LF
        or NUL, ``content-length`` is not a number or ``transfer-encoding``
        is given (the server chooses the framing).
    :raises TypeError: a name or value is neither bytes nor str.
    """
    if not headers:
        return _EMPTY
    if type(headers) is tuple:
        try:
            cached = _CACHE.get(headers)
        except TypeError:  # an unhashable pair (lists): encode each time
            cached = None
        else:
            if cached is not None:
                return cached
            encoded = _encode(headers)
            if len(_CACHE) < _CACHE_LIMIT:
                _CACHE[headers] = encoded
            return encoded
    return _encode(headers)


def _encode(headers: HeaderPairs) -> EncodedHeaders:
    lines: list[bytes] = []
    contentLength: int | None = None
    close = False
    for pair in headers:
        rawName, rawValue = pair
        name = _asBytes(rawName, "name")
        value = _asBytes(rawValue, "value")
        if _TOKEN.fullmatch(name) is None:
            raise ValueError(f"header name {name!r} is not an HTTP token")
        if _BAD_VALUE.search(value) is not None:
            raise ValueError(f"header value {value!r} holds CR, LF or NUL")
        lower = name.lower()
        if lower in _FRAMING:
            raise ValueError(
                f"the server frames the body itself: leave out the {name!r} header"
            )
        if lower == b"content-length":
            if not value.isdigit():
                raise ValueError(f"content-length {value!r} is not a number")
            contentLength = int(value)
            name, value = b"content-length", b"%d" % contentLength
        elif lower == b"connection" and value.strip().lower() == b"close":
            close = True
        lines.append(name + b": " + value + b"\r\n")
    return EncodedHeaders(b"".join(lines), contentLength, close)


class Response:
    """What an async handler returns.

    :param status: the status code, 200 by default.
    :param headers: (name, value) pairs, bytes or str; ``content-length``
        is added for a bytes body, and chunked framing is chosen for an
        iterator body without one.
    :param body: bytes, or an async iterator of bytes that is read as the
        client takes the data (flow control pauses it while the client is
        slow).
    """

    __slots__ = ("body", "headers", "status")

    def __init__(
        self,
        status: int = 200,
        headers: HeaderPairs = (),
        body: bytes | AsyncIterable[bytes] = b"",
    ) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def __repr__(self) -> str:
        kind = f"{len(self.body)} bytes" if isinstance(self.body, bytes) else "stream"
        return f"<Response {self.status} {kind}>"
