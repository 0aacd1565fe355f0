"""DNS over a stream: each message preceded by its length in two octets."""

from __future__ import annotations

import struct

__all__ = ["StreamFramer", "frame"]

_LENGTH = struct.Struct("!H")


def frame(message: bytes) -> bytes:
    """*message* with its length prefix, for a stream.

    :raises ValueError: the message is longer than 65535 octets.
    """
    if len(message) > 0xFFFF:
        raise ValueError(f"a DNS message is at most 65535 octets, not {len(message)}")
    return _LENGTH.pack(len(message)) + message


class StreamFramer:
    """Cuts a byte stream into the messages it carries."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Add *data*; return the messages now complete, in order."""
        self._buffer += data
        out: list[bytes] = []
        buf = self._buffer
        while len(buf) >= 2:
            (length,) = _LENGTH.unpack_from(buf)
            if len(buf) < 2 + length:
                break
            out.append(bytes(buf[2 : 2 + length]))
            del buf[: 2 + length]
        return out

    @property
    def pending(self) -> int:
        """Octets received that do not make a whole message yet."""
        return len(self._buffer)
