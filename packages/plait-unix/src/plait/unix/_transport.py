"""The UNIX stream transport: plait-core's stream transport with UNIX
addresses, peer credentials, and descriptors passed beside the bytes.

Facts that shaped this module:

- A descriptor travels as ``SCM_RIGHTS`` ancillary data attached to at
  least one byte of the stream. ``sendFileDescriptor`` ties it to the next
  byte written after the call: the bytes queued before go out first, then
  one ``sendmsg`` carries the descriptor with exactly that one byte, then
  the rest follows. The transport keeps a duplicate, so the caller may
  close its own at once; the duplicate is closed once sent, or when the
  connection ends first.
- While descriptors wait, ``write``/``doWrite`` of this instance are
  replaced by ones that respect those ties; without them the shared stream
  transport's write path runs unchanged.
- A receiving kernel may join the bytes before a message that carries
  descriptors into the same read, but it stops the read right after that
  message. With one-byte messages (plait's, and other engines' that pass
  one descriptor per byte) the descriptors' byte is the last of the read:
  the protocol hears the bytes before it, then the descriptors, then that
  byte. From a peer that attaches descriptors to longer messages they
  still arrive in order, just before the read's last byte.
- A protocol that does not provide :class:`IFileDescriptorReceiver` reads
  with plain ``recv``; the kernel then closes any descriptor that was
  sent, so none lands in this process.
"""

from __future__ import annotations

import array
import logging
import os
import socket
from collections import deque
from typing import Any

from zope.interface import implementer

from plait.address import UNIXAddress
from plait.core import Failure, StreamTransport, connectionErrorFor

from ._credentials import PeerCredentials, peerCredentials
from ._interfaces import IFileDescriptorReceiver, IUNIXTransport
from ._paths import addressFor

__all__ = ["Client", "Server", "UNIXTransport"]

log = logging.getLogger("plait.unix")

#: The most descriptors Linux takes in one message (SCM_MAX_FD).
MAX_FDS = 253
_INT = array.array("i").itemsize
_ANCILLARY = socket.CMSG_SPACE(MAX_FDS * _INT)


def _descriptorsIn(ancillary: list[tuple[int, int, bytes]]) -> list[int]:
    fds: list[int] = []
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            received = array.array("i")
            received.frombytes(payload[: len(payload) - len(payload) % _INT])
            fds.extend(received)
    return fds


@implementer(IUNIXTransport)
class UNIXTransport(StreamTransport):
    """A connected UNIX stream socket as a transport.

    :param peer: the remote address, known from ``accept``/``connect``.
    """

    def __init__(
        self, sock: socket.socket, protocol: Any, reactor: Any, peer: UNIXAddress
    ) -> None:
        super().__init__(sock, protocol, reactor)
        self._peer = peer
        self._host: UNIXAddress | None = None
        #: Descriptors not sent yet: (stream offset of the byte they go
        #: with, our duplicate), and the count of bytes sent since the
        #: first of them was queued. Made on the first descriptor: most
        #: connections never pass one.
        self._fds: deque[tuple[int, int]] | None = None
        self._sentSince = 0
        if IFileDescriptorReceiver.providedBy(protocol):
            self._recv = self._recvWithDescriptors

    def getPeer(self) -> UNIXAddress:
        """The remote end's address (``UNIXAddress(None)`` when unnamed)."""
        return self._peer

    def getHost(self) -> UNIXAddress:
        """The local end's address (``UNIXAddress(None)`` when unnamed)."""
        host = self._host
        if host is None:
            host = self._host = addressFor(self.socket.getsockname())
        return host

    def getPeerCredentials(self) -> PeerCredentials:
        """The peer process's pid, uid and gid, as the kernel saw them when
        the connection was made."""
        return peerCredentials(self.socket)

    # -- sending descriptors ----------------------------------------------

    def sendFileDescriptor(self, fd: int) -> None:
        """Send ``fd`` with the next byte written after this call.

        The transport sends a duplicate, so ``fd`` may be closed at once.

        :raises OSError: ``fd`` is not an open descriptor.
        :raises TypeError: ``fd`` is not an int.
        """
        if isinstance(fd, bool) or not isinstance(fd, int):
            raise TypeError(f"a descriptor is an int, not {type(fd).__name__}")
        if not self._state.writing:
            return  # closing: nothing more leaves
        duplicate = os.dup(fd)
        if self._fds is None:
            self._fds = deque()
        if not self._fds:
            self._sentSince = 0
            self.write = self._writeHeld  # type: ignore[method-assign]
            self.doWrite = self._doWriteHeld  # type: ignore[method-assign]
        self._fds.append((self._sentSince + self._buffer.size, duplicate))

    def writeSequence(self, data: Any) -> None:
        """Queue several chunks in order (see ``write``)."""
        if self._fds:
            for chunk in data:
                self._writeHeld(chunk)
        else:
            super().writeSequence(data)

    def _writeHeld(self, data: bytes) -> None:
        # Descriptors wait: every byte goes through the queue, so that each
        # descriptor leaves with the byte it is tied to.
        state = self._state
        if not state.writing:
            return
        buffer = self._buffer
        buffer.append(data)
        if buffer.size:
            self._startWriting()
            if self._flow.producer is not None:
                self._flow.grew(buffer.size)

    def _doWriteHeld(self) -> None:
        try:
            self._sendHeld()
        except OSError as e:
            self._teardown(Failure(connectionErrorFor(e)))
            return
        if self._fds:
            if not self._buffer.size:
                self._stopWriting()  # the next write brings the byte
            return
        del self.write
        del self.doWrite
        self.doWrite()

    def _sendHeld(self) -> None:
        buffer = self._buffer
        sock = self.socket
        fds = self._fds
        assert fds is not None
        while fds:
            offset = fds[0][0]
            before = offset - self._sentSince
            if before > 0:
                chunks = buffer.peek(before)
                sent = self._send1(sock, chunks, [])
                if sent < sum(c.nbytes for c in chunks):
                    return
                continue
            if not buffer.size:
                return
            group = [fd for at, fd in fds if at == offset][:MAX_FDS]
            chunks = buffer.peek(1)
            ancillary = [
                (socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", group))
            ]
            if self._send1(sock, chunks, ancillary) == 0:
                return
            for fd in group:
                fds.popleft()
                os.close(fd)

    def _send1(self, sock: socket.socket, chunks: list[memoryview], anc: Any) -> int:
        try:
            sent = sock.sendmsg(chunks, anc) if anc else sock.sendmsg(chunks)
        except (BlockingIOError, InterruptedError):
            return 0
        self._buffer.consume(sent)
        self._sentSince += sent
        return sent

    def _closed(self, reason: Failure) -> None:
        # Descriptors that never left are ours to close.
        fds, self._fds = self._fds, None
        while fds:
            os.close(fds.popleft()[1])

    # -- receiving descriptors --------------------------------------------

    def _recvWithDescriptors(self, size: int, flags: int = 0) -> bytes:
        data, ancillary, got, _ = self.socket.recvmsg(size, _ANCILLARY, flags)
        fds = _descriptorsIn(ancillary)
        if got & socket.MSG_CTRUNC:
            log.warning(
                "%s: more descriptors arrived than fit; the kernel closed the rest",
                self.logPrefix(),
            )
        if not fds:
            return data
        protocol = self.protocol
        waiting = deque(fds)
        try:
            if len(data) > 1:
                protocol.dataReceived(data[:-1])
            while waiting:
                protocol.fileDescriptorReceived(waiting.popleft())
        except Exception as e:
            # Those not handed over yet are ours to close.
            for left in waiting:
                os.close(left)
            self._protocolFailed(e)
            # The transport is closed now; the read ends quietly.
            raise BlockingIOError from e
        return data[-1:]


class Server(UNIXTransport):
    """The transport of a connection accepted by a listening UNIX port."""


class Client(UNIXTransport):
    """The transport of a connection made by a UNIX connector."""

    def __init__(
        self,
        sock: socket.socket,
        protocol: Any,
        reactor: Any,
        peer: UNIXAddress,
        connector: Any,
    ) -> None:
        super().__init__(sock, protocol, reactor, peer)
        self.connector = connector

    def _closed(self, reason: Failure) -> None:
        super()._closed(reason)
        self.connector.connectionLost(reason)
