"""TLS as a pure byte-in, byte-out engine over OpenSSL memory BIOs.

Nothing here touches a socket or a reactor: ciphertext from the network is
fed in with ``receive`` (which returns the plaintext it decrypts), plaintext
to protect goes in with ``send``, and whatever OpenSSL wants on the wire is
collected with ``dataToSend``. Two engines wired to each other make a
complete TLS connection, which is how the tests drive it.

Facts that shaped it:

- Plaintext sent before the handshake finishes cannot be encrypted yet; it
  is held and written, in order, the moment the handshake completes.
- OpenSSL refuses ``SSL_shutdown`` during the handshake; the owner must
  wait for ``OPEN`` before ``close``.
- A fatal error can leave an alert in the outgoing BIO; the owner should
  still send ``dataToSend()`` before dropping the connection, so the peer
  learns why.
- The per-record work on the memory BIOs goes through ``_tls_io``, which
  calls OpenSSL directly where pyOpenSSL's wrappers cost more than the
  cryptography.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from OpenSSL import SSL, crypto

from plait.errors import PeerVerifyError, SSLError

from ._tls_io import ioFor
from ._tls_verify import VerifyRecord, sslErrorText

__all__ = ["TLSEngine", "TLSState"]

_Data = bytes | bytearray | memoryview


class TLSState(enum.Enum):
    """Where a TLS session stands."""

    HANDSHAKING = "handshaking"
    OPEN = "open: application data flows both ways"
    SHUTTING_DOWN = "our close_notify sent, waiting for the peer's"
    PEER_CLOSED = "the peer's close_notify received, ours not sent yet"
    CLOSED = "closed"


_TRANSITIONS: dict[TLSState, frozenset[TLSState]] = {
    TLSState.HANDSHAKING: frozenset({TLSState.OPEN, TLSState.CLOSED}),
    TLSState.OPEN: frozenset(
        {TLSState.SHUTTING_DOWN, TLSState.PEER_CLOSED, TLSState.CLOSED}
    ),
    TLSState.SHUTTING_DOWN: frozenset({TLSState.CLOSED}),
    TLSState.PEER_CLOSED: frozenset({TLSState.CLOSED}),
    TLSState.CLOSED: frozenset(),
}

_HANDSHAKING = TLSState.HANDSHAKING
_OPEN = TLSState.OPEN
_PEER_CLOSED = TLSState.PEER_CLOSED


class TLSEngine:
    """One side of a TLS session, driven by the bytes its owner moves.

    :param connection: a pyOpenSSL ``Connection`` built with no socket.
    :param serverSide: True to answer a handshake, False to start one.
    :param verify: the record the connection's verify callback fills in,
        used to explain a rejected certificate.

    ``halfClose`` decides what a peer's close_notify does: when False (the
    default) the engine answers with its own at once and is ``CLOSED``;
    when True it moves to ``PEER_CLOSED`` and may still send until the owner
    calls ``close``.
    """

    __slots__ = (
        "_conn",
        "_io",
        "_opened",
        "_pending",
        "_verify",
        "halfClose",
        "serverSide",
        "state",
    )

    def __init__(
        self,
        connection: SSL.Connection,
        serverSide: bool,
        verify: VerifyRecord | None = None,
    ) -> None:
        self._conn = connection
        self._io = ioFor(connection)
        self._pending: list[bytes] = []
        self._verify = verify
        self.serverSide = serverSide
        self.halfClose = False
        self.state: TLSState = _HANDSHAKING
        self._opened = False
        if serverSide:
            connection.set_accept_state()
        else:
            connection.set_connect_state()

    def _move(self, new: TLSState) -> None:
        if new not in _TRANSITIONS[self.state]:
            raise RuntimeError(f"TLS cannot go from {self.state.name} to {new.name}")
        self.state = new

    # -- driving --------------------------------------------------------

    def begin(self) -> None:
        """Start the handshake (a client's hello is then in ``dataToSend``)."""
        if self.state is _HANDSHAKING:
            self._handshake()

    def receive(self, data: _Data) -> bytes:
        """Feed ciphertext; return the plaintext it completes (maybe empty).

        Raises ``SSLError`` (``PeerVerifyError`` for a rejected certificate)
        when the session fails; the engine is then ``CLOSED``. A peer's
        close_notify moves the engine to ``CLOSED`` (or ``PEER_CLOSED``, see
        ``halfClose``) without raising; nothing is read after it.
        """
        state = self.state
        if state is TLSState.CLOSED or state is _PEER_CLOSED:
            return b""
        io = self._io
        io.feed(bytes(data) if type(data) is not bytes else data)
        if state is _HANDSHAKING and not self._handshake():
            return b""
        chunks: list[bytes] = []
        try:
            closed = io.readInto(chunks)
        except SSL.Error as e:
            raise self._failed(e) from e
        if closed:
            self._peerClosed()
        if self._pending and self.state is _OPEN:
            self._flushPending()
        if len(chunks) == 1:
            return chunks[0]
        return b"".join(chunks)

    def send(self, data: _Data) -> None:
        """Encrypt ``data``, or hold it until the handshake is done."""
        state = self.state
        if (state is _OPEN or state is _PEER_CLOSED) and not self._pending:
            self._write(data)
        elif state is _HANDSHAKING or state is _OPEN or state is _PEER_CLOSED:
            self._pending.append(bytes(data))
        # Once shutting down or closed there is nowhere for data to go.

    def sendMany(self, chunks: Iterable[_Data]) -> None:
        """``send`` each chunk in order."""
        for chunk in chunks:
            self.send(chunk)

    def close(self) -> None:
        """Queue our close_notify; only legal once the handshake is done."""
        if self.state is _OPEN:
            self._flushPending()
            self._move(TLSState.SHUTTING_DOWN)
            self._shutdown()
        elif self.state is _PEER_CLOSED:
            self._flushPending()
            self._move(TLSState.CLOSED)
            self._shutdown()
        elif self.state is _HANDSHAKING:
            raise RuntimeError("TLS close_notify cannot be sent during the handshake")

    def abort(self) -> None:
        """Forget the session without a close_notify."""
        if self.state is not TLSState.CLOSED:
            self._move(TLSState.CLOSED)
        self._pending.clear()

    def dataToSend(self) -> bytes:
        """Everything OpenSSL has queued for the wire, as one bytes object."""
        return self._io.drain()

    # -- facts about the session ----------------------------------------

    @property
    def handshakeDone(self) -> bool:
        """True once the handshake has completed."""
        return self._opened

    @property
    def pendingSize(self) -> int:
        """Plaintext bytes held until the handshake (or a renegotiation) ends."""
        return sum(len(chunk) for chunk in self._pending)

    @property
    def peerCertificate(self) -> crypto.X509 | None:
        """The certificate the peer presented, if any."""
        return self._conn.get_peer_certificate()

    @property
    def negotiatedProtocol(self) -> bytes | None:
        """The ALPN protocol both sides agreed on, or None."""
        if self.state is _HANDSHAKING:
            return None
        return self._conn.get_alpn_proto_negotiated() or None

    @property
    def tlsVersion(self) -> str | None:
        """The protocol version in use, such as ``"TLSv1.3"``, or None."""
        if self.state is _HANDSHAKING:
            return None
        return self._conn.get_protocol_version_name()

    @property
    def connection(self) -> SSL.Connection:
        """The pyOpenSSL connection, for what this class does not expose."""
        return self._conn

    # -- inside -----------------------------------------------------------

    def _handshake(self) -> bool:
        try:
            self._conn.do_handshake()
        except SSL.WantReadError:
            return False
        except SSL.Error as e:
            raise self._failed(e) from e
        self._move(_OPEN)
        self._opened = True
        self._flushPending()
        return True

    def _write(self, data: _Data) -> None:
        write = self._io.write
        if type(data) is bytes and data:
            # The usual case: OpenSSL takes a whole bytes object at once.
            try:
                sent = write(data)
            except SSL.WantReadError:
                self._pending.insert(0, data)
                return
            except SSL.Error as e:
                raise self._failed(e) from e
            if sent == len(data):
                return
            view = memoryview(data)[sent:]
        else:
            view = memoryview(data)
        while view.nbytes:
            try:
                sent = write(view)
            except SSL.WantReadError:
                # A renegotiation is under way; retry after the next read.
                self._pending.insert(0, view.tobytes())
                return
            except SSL.Error as e:
                raise self._failed(e) from e
            view = view[sent:]

    def _flushPending(self) -> None:
        pending, self._pending = self._pending, []
        for i, chunk in enumerate(pending):
            self._write(chunk)
            if self._pending:  # blocked again: keep the rest in order
                self._pending.extend(pending[i + 1 :])
                return

    def _shutdown(self) -> None:
        try:
            self._conn.shutdown()
        except SSL.Error as e:
            raise self._failed(e) from e

    def _peerClosed(self) -> None:
        if self.state is _OPEN and self.halfClose:
            self._move(_PEER_CLOSED)
            return
        if self.state is _OPEN:
            # Answer the peer's close_notify with ours.
            try:
                self._conn.shutdown()
            except SSL.Error:
                pass
        self._move(TLSState.CLOSED)
        self._pending.clear()

    def _failed(self, error: SSL.Error) -> SSLError:
        if self.state is not TLSState.CLOSED:
            self._move(TLSState.CLOSED)
        self._pending.clear()
        text = sslErrorText(error)
        verify = self._verify
        if verify is not None and verify.reason is not None:
            return PeerVerifyError(string=text, reason=verify.reason)
        return SSLError(string=text)
