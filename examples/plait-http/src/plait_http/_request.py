"""The request a handler receives, and its body as an async iterator."""

from __future__ import annotations

from typing import TYPE_CHECKING

from plait.core import Deferred, fail, succeed

if TYPE_CHECKING:
    from ._exchange import Exchange

__all__ = ["IncompleteBody", "Request", "RequestBody"]


class IncompleteBody(Exception):
    """The request body ended before its end: the client sent a malformed
    chunk, or the connection was lost while the body was arriving."""


class Request:
    """One HTTP request as the server parsed it.

    - ``method``: the method as sent, for example ``b"GET"``.
    - ``target``: the request target as sent, for example ``b"/a?b=1"``.
    - ``version``: ``"1.1"`` or ``"1.0"``.
    - ``headers``: (name, value) pairs in arrival order, names in lower
      case; :meth:`header` looks one up.
    - ``body``: the body, an async iterator of bytes (see
      :class:`RequestBody`); its first read sends ``100 Continue`` to a
      client that waits for one.
    """

    __slots__ = ("_body", "exchange", "headers", "method", "target", "version")

    def __init__(
        self,
        method: bytes,
        target: bytes,
        version: str,
        headers: list[tuple[bytes, bytes]],
        exchange: Exchange,
    ) -> None:
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.exchange = exchange
        self._body: RequestBody | None = None

    @property
    def body(self) -> RequestBody:
        """The request body, as an async iterator of bytes."""
        body = self._body
        if body is None:
            body = self._body = RequestBody(self.exchange)
        return body

    def header(self, name: bytes | str, default: bytes | None = None) -> bytes | None:
        """The value of the first header called *name* (any case), or *default*."""
        wanted = (name.encode("latin-1") if isinstance(name, str) else name).lower()
        for key, value in self.headers:
            if key == wanted:
                return value
        return default

    def __repr__(self) -> str:
        return f"<Request {self.method.decode('latin-1')} {self.target!r}>"


class RequestBody:
    """The request body: ``async for chunk in request.body`` reads it.

    Chunks come as the client sends them. While the handler does not read,
    what arrives is held up to a limit and then the server stops reading
    from the socket, so a slow handler slows the client down instead of
    filling memory. :raises IncompleteBody: from the iteration when the body
    is cut short or malformed.
    """

    __slots__ = ("_exchange",)

    def __init__(self, exchange: Exchange) -> None:
        self._exchange = exchange

    def __aiter__(self) -> RequestBody:
        return self

    def __anext__(self) -> Deferred[bytes]:
        chunk = self._exchange._takeChunk()
        if chunk is not None:
            return succeed(chunk)
        error = self._exchange._bodyError
        if error is not None:
            return fail(error)
        if self._exchange._bodyDone:
            return fail(StopAsyncIteration())
        return self._exchange._waitForChunk()

    async def read(self, limit: int | None = None) -> bytes:
        """The whole body as one bytes object.

        :param limit: the most bytes accepted.
        :raises ValueError: the body is longer than *limit*.
        :raises IncompleteBody: the body was cut short or malformed.
        """
        parts: list[bytes] = []
        size = 0
        async for chunk in self:
            size += len(chunk)
            if limit is not None and size > limit:
                raise ValueError(f"the request body is longer than {limit} bytes")
            parts.append(chunk)
        return b"".join(parts)
