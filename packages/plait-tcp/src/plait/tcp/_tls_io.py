"""The four memory-BIO operations the TLS engine repeats for every record.

``ioFor(connection)`` gives an object that feeds ciphertext in, reads the
plaintext out, encrypts and collects what goes on the wire. Two versions:

- ``DirectIO`` calls OpenSSL through the same cffi binding pyOpenSSL uses,
  on the handles of the pyOpenSSL ``Connection``. pyOpenSSL's own methods
  allocate a fresh 64 KiB buffer per call and report "nothing more to read"
  and "nothing queued" by raising, which made those wrappers, not the
  cryptography, most of a TLS echo server's CPU time (measured with
  pyinstrument on ``benchmarks/bench_tcp.py --only tls-echo``). Here the
  expected outcomes are plain return values; every other outcome is handed
  to pyOpenSSL, so errors are exactly pyOpenSSL's.
- ``PublicIO`` uses only pyOpenSSL's documented API. It is chosen when a
  pyOpenSSL release no longer has the handles ``DirectIO`` needs.
"""

from __future__ import annotations

from typing import Any

from OpenSSL import SSL

__all__ = ["DirectIO", "PublicIO", "ioFor"]

try:  # pragma: no branch - present in every pyOpenSSL this supports
    from OpenSSL._util import ffi as _ffi
    from OpenSSL._util import lib as _lib
except ImportError:  # pragma: no cover
    _ffi = _lib = None

#: The most plaintext one TLS record carries.
_RECORD = 16384


class PublicIO:
    """The operations over pyOpenSSL's public ``Connection`` methods."""

    __slots__ = ("_conn",)

    def __init__(self, connection: SSL.Connection) -> None:
        self._conn = connection

    def feed(self, data: bytes) -> None:
        """Give OpenSSL ciphertext that came from the network."""
        self._conn.bio_write(data)

    def readInto(self, chunks: list[bytes]) -> bool:
        """Append every plaintext record now readable to ``chunks``; True
        when the peer's close_notify was read. Raises ``SSL.Error``."""
        recv = self._conn.recv
        while True:
            try:
                chunks.append(recv(_RECORD))
            except SSL.WantReadError:  # noqa: PERF203
                return False
            except SSL.ZeroReturnError:
                return True

    def write(self, data: bytes | memoryview) -> int:
        """Encrypt from ``data``; the bytes consumed. Raises ``SSL.Error``."""
        return self._conn.send(data)

    def drain(self) -> bytes:
        """Everything OpenSSL has queued for the network."""
        conn = self._conn
        parts: list[bytes] = []
        while True:
            try:
                parts.append(conn.bio_read(_RECORD * 4))
            except SSL.WantReadError:  # noqa: PERF203
                return b"".join(parts)


class DirectIO:
    """The operations as direct OpenSSL calls (see the module docstring)."""

    __slots__ = ("_conn", "_from", "_into", "_memData", "_ssl")

    def __init__(self, connection: Any) -> None:
        self._conn = connection
        self._ssl = connection._ssl
        self._into = connection._into_ssl
        self._from = connection._from_ssl
        self._memData = _ffi.new("char **")

    def feed(self, data: bytes) -> None:
        """Give OpenSSL ciphertext that came from the network."""
        if _lib.BIO_write(self._into, data, len(data)) != len(data):
            self._conn.bio_write(data)  # let pyOpenSSL raise its error

    def readInto(self, chunks: list[bytes]) -> bool:
        """Append every plaintext record now readable to ``chunks``; True
        when the peer's close_notify was read. Raises ``SSL.Error``."""
        ssl = self._ssl
        read = _lib.SSL_read
        buf = _alloc("char[]", _RECORD)
        while True:
            n = read(ssl, buf, _RECORD)
            if n > 0:
                chunks.append(_ffi.unpack(buf, n))
                continue
            error = _lib.SSL_get_error(ssl, n)
            if error == _WANT_READ:
                return False
            if error == _ZERO_RETURN:
                return True
            self._conn._raise_ssl_error(ssl, n)
            return False  # pragma: no cover - the line above raises

    def write(self, data: bytes | memoryview) -> int:
        """Encrypt from ``data``; the bytes consumed. Raises ``SSL.Error``."""
        ssl = self._ssl
        if isinstance(data, bytes):
            # cffi hands a bytes object's own storage to C: no pinning needed.
            n = _lib.SSL_write(ssl, data, len(data))
        else:
            with _ffi.from_buffer(data) as pinned:
                n = _lib.SSL_write(ssl, pinned, data.nbytes)
        if n <= 0:
            self._conn._raise_ssl_error(ssl, n)
        return int(n)

    def drain(self) -> bytes:
        """Everything OpenSSL has queued for the network."""
        # On a memory BIO this is the number of bytes waiting in it.
        size = _lib.BIO_get_mem_data(self._from, self._memData)
        if not size:
            return b""
        buf = _alloc("char[]", size)
        n = _lib.BIO_read(self._from, buf, size)
        return _ffi.unpack(buf, n) if n > 0 else b""


if _lib is not None:
    _alloc = _ffi.new_allocator(should_clear_after_alloc=False)
    _WANT_READ = _lib.SSL_ERROR_WANT_READ
    _ZERO_RETURN = _lib.SSL_ERROR_ZERO_RETURN

_HANDLES = ("_ssl", "_into_ssl", "_from_ssl", "_raise_ssl_error")


def ioFor(connection: SSL.Connection) -> DirectIO | PublicIO:
    """The fastest way to drive ``connection`` that this pyOpenSSL allows."""
    usable = _lib is not None and all(hasattr(connection, h) for h in _HANDLES)
    if usable and connection._into_ssl is not None:  # over memory BIOs
        return DirectIO(connection)
    return PublicIO(connection)
