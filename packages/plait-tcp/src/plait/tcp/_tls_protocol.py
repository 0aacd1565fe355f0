"""TLS as a layer between any stream transport and an application protocol.

``TLSTransport`` is two things at once: the protocol of the transport below
(it receives ciphertext) and the transport of the application protocol
above (it takes plaintext). Because it only needs ``write`` and
``loseConnection`` from below, it runs over TCP, UNIX sockets or anything
else that carries bytes.

Facts that shaped it:

- By default the application is connected at once, as over plain TCP (and
  as ``listenSSL``/``connectSSL`` users expect); what it writes before the
  handshake completes is held by the engine and sent encrypted afterwards.
  With ``connectAfterHandshake`` (the TLS endpoints) it is connected only
  once the handshake and the certificate checks succeeded, so a rejected
  peer never reaches it. ``whenHandshakeDone()`` gives a Deferred either way.
- Writes made while incoming data is being handled are encrypted as they
  come but flushed to the transport once at the end, so a request and its
  reply leave in one send.
- ``loseConnection`` waits for the handshake and for a registered producer,
  then sends close_notify after all pending data, shuts down writing below
  and closes once the peer has answered (or after ``CLOSE_LINGER``).
- A peer that closes the TCP connection without close_notify may have had
  its data truncated by an attacker; the application hears ConnectionLost,
  never ConnectionDone.
- Half-close is TLS's own: ``loseWriteConnection`` sends close_notify and
  then FIN, and an application that provides ``IHalfCloseableProtocol``
  hears ``readConnectionLost`` when the peer's close_notify arrives, and
  may go on writing until it closes. A bare FIN is never taken for a
  half-close, since an attacker can forge one.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

from zope.interface import implementer

from plait.core import Deferred, Failure, fail, succeed
from plait.errors import ConnectionDone, ConnectionLost, SSLError
from plait.interfaces import (
    IConsumer,
    IHalfCloseableProtocol,
    IProtocol,
    IPushProducer,
    ISSLTransport,
    ISystemHandle,
    ITCPTransport,
)

from ._tls_engine import TLSState
from ._tls_factory import engineFor

__all__ = ["TLSTransport"]

_HANDSHAKING = TLSState.HANDSHAKING
_OPEN = TLSState.OPEN
_PEER_CLOSED = TLSState.PEER_CLOSED
_SHUTTING_DOWN = TLSState.SHUTTING_DOWN


def _asBytes(data: object) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError(
        f"a transport carries bytes, not {type(data).__name__}; "
        "encode text before writing it"
    )


#: Seconds to wait, after our close_notify, for the peer to close its side.
CLOSE_LINGER = 15.0

#: Plaintext held during the handshake beyond which a push producer pauses.
HANDSHAKE_HIGH_WATER = 64 * 1024


class _Gate:
    """Stands between the transport below and the application's producer.

    The transport below pauses the producer when its buffer fills; the TLS
    layer must also pause it while the handshake holds plaintext back. The
    producer runs only while neither holds it.
    """

    def __init__(self, producer: Any, streaming: bool) -> None:
        self.producer = producer
        self.streaming = streaming
        self._holds: set[str] = set()

    def hold(self, why: str) -> None:
        if not self._holds:
            self.producer.pauseProducing()
        self._holds.add(why)

    def release(self, why: str) -> None:
        if why in self._holds:
            self._holds.discard(why)
            if not self._holds:
                self.producer.resumeProducing()

    def pauseProducing(self) -> None:
        self.hold("buffer")

    def resumeProducing(self) -> None:
        if self.streaming:
            self.release("buffer")
        else:
            self.producer.resumeProducing()

    def stopProducing(self) -> None:
        self.producer.stopProducing()


class _Close(enum.Enum):
    """What the application asked for when it closed."""

    ALL = "loseConnection"
    WRITE = "loseWriteConnection"


@implementer(
    ISSLTransport,
    ITCPTransport,
    IConsumer,
    IPushProducer,
    ISystemHandle,
    IProtocol,
    IHalfCloseableProtocol,
)
class TLSTransport:
    """Encrypts for ``protocol`` over the transport this is connected to."""

    transport: Any

    def __init__(
        self,
        protocol: Any,
        contextFactory: Any,
        isClient: bool,
        connectAfterHandshake: bool = False,
    ) -> None:
        self.protocol = protocol
        self._connectAfterHandshake = connectAfterHandshake
        self.transport = None
        self.engine = engineFor(contextFactory, isClient)
        self.engine.halfClose = IHalfCloseableProtocol.providedBy(protocol)
        self.wrappedReason: Failure | None = None
        self._failure: Failure | None = None
        self._close: _Close | None = None
        self._producer: _Gate | None = None
        self._receiving = False
        self._appConnected = False
        self._waiters: list[Deferred[TLSTransport]] = []
        self._lingerTimer: Any = None

    # -- as the protocol of the transport below ------------------------------

    def makeConnection(self, transport: Any) -> None:
        """Attach below, start the handshake and connect the application."""
        self.transport = transport
        self.connectionMade()

    def connectionMade(self) -> None:
        """Send our first handshake bytes, then connect the application
        (or wait for the handshake, when built to connect after it)."""
        self._begin()
        if not self._connectAfterHandshake and self.wrappedReason is None:
            self._appConnected = True
            self.protocol.makeConnection(self)

    def attachMidStream(self, transport: Any) -> None:
        """Start TLS under an application that is already connected."""
        self.transport = transport
        self._appConnected = True
        self._begin()

    def _begin(self) -> None:
        try:
            self.engine.begin()
        except SSLError as e:
            self._failed(e)
            return
        self._flush()

    def dataReceived(self, data: bytes) -> None:
        """Decrypt ``data`` and pass the plaintext up."""
        engine = self.engine
        before = engine.state
        self._receiving = True
        try:
            try:
                plain = engine.receive(data)
            except SSLError as e:
                self._failed(e)
                return
            if before is _HANDSHAKING and engine.state is not _HANDSHAKING:
                self._handshakeDone()
            if plain:
                self.protocol.dataReceived(plain)
            after = engine.state
            # Compared first: the state changes on few reads, and this is
            # the path of every record.
            if after is not before and self._peerJustClosed(before, after):
                self.protocol.readConnectionLost()
        finally:
            self._receiving = False
        self._flush()
        if engine.state is TLSState.CLOSED and self._failure is None:
            # The peer's close_notify arrived; ours went out in the flush.
            self.transport.loseConnection()

    def _peerJustClosed(self, before: TLSState, after: TLSState) -> bool:
        """Whether this read brought the peer's close_notify to a protocol
        that hears half-closes: while we still send (``PEER_CLOSED``), or
        answering a close_notify of ours (``SHUTTING_DOWN`` to ``CLOSED``)."""
        if not self.engine.halfClose or not self._appConnected:
            return False
        if after is _PEER_CLOSED:
            return before is not _PEER_CLOSED
        return before is _SHUTTING_DOWN and after is TLSState.CLOSED

    def readConnectionLost(self) -> None:
        """The transport below saw FIN: unless close_notify came first, the
        stream may have been cut short, so the whole connection closes."""
        if self.engine.state is not _PEER_CLOSED:
            self.transport.loseConnection()

    def writeConnectionLost(self) -> None:
        """Our FIN is out after close_notify: tell a half-closing application."""
        if self._close is _Close.WRITE and self.engine.halfClose:
            self.protocol.writeConnectionLost()

    def connectionLost(self, reason: Failure) -> None:
        """The transport below is gone: tell the application why, once."""
        engine = self.engine
        state = engine.state
        if self._failure is not None:
            final = self._failure
        elif state is _HANDSHAKING and isinstance(reason.value, ConnectionDone):
            final = Failure(
                ConnectionLost("the connection closed during the TLS handshake")
            )
        elif state is _OPEN and isinstance(reason.value, ConnectionDone):
            final = Failure(
                ConnectionLost(
                    "the peer closed the TLS connection without close_notify"
                )
            )
        else:
            final = reason
        timer, self._lingerTimer = self._lingerTimer, None
        if timer is not None and timer.active():
            timer.cancel()
        engine.abort()
        self.wrappedReason = final
        self._fireWaiters(final)
        if self._appConnected:
            self._appConnected = False
            self.protocol.connectionLost(final)

    # -- handshake -------------------------------------------------------

    def whenHandshakeDone(self) -> Deferred[TLSTransport]:
        """A Deferred that fires with this transport once the handshake is done."""
        if self.engine.handshakeDone:
            return succeed(self)
        if self.wrappedReason is not None:
            return fail(self.wrappedReason)
        d: Deferred[TLSTransport] = Deferred()
        self._waiters.append(d)
        return d

    def _handshakeDone(self) -> None:
        if self._connectAfterHandshake and not self._appConnected:
            self._appConnected = True
            self.protocol.makeConnection(self)
        gate = self._producer
        if gate is not None:
            # The held plaintext goes below now (the caller flushes first
            # when the handshake completes while reading).
            self._flush()
            gate.release("handshake")
        self._fireWaiters(None)
        if self._close is not None:
            self._maybeClose()

    def _fireWaiters(self, failure: Failure | None) -> None:
        waiters, self._waiters = self._waiters, []
        for d in waiters:
            if failure is None:
                d.callback(self)
            else:
                d.errback(failure)

    def _failed(self, error: SSLError) -> None:
        self._failure = Failure(error)
        self._flush()  # the alert telling the peer why
        gate, self._producer = self._producer, None
        if gate is not None:
            self.transport.unregisterProducer()
            gate.stopProducing()
        self.transport.loseConnection()

    def _flush(self) -> None:
        data = self.engine.dataToSend()
        if data:
            self.transport.write(data)

    # -- as the transport of the application ---------------------------------

    def write(self, data: bytes) -> None:
        """Encrypt and send ``data`` (held until the handshake is done).

        After a close was asked for, only a producer still registered may
        write: the close waits for it to unregister."""
        if self._close is not None and self._producer is None:
            return
        if type(data) is not bytes:
            data = _asBytes(data)
        engine = self.engine
        engine.send(data)
        if engine.state is _HANDSHAKING:
            self._heldBack()
        elif not self._receiving:
            self._flush()

    def writeSequence(self, data: Iterable[bytes]) -> None:
        """Encrypt and send each chunk, flushing once."""
        if self._close is not None and self._producer is None:
            return
        chunks = [c if type(c) is bytes else _asBytes(c) for c in data]
        engine = self.engine
        engine.sendMany(chunks)
        if engine.state is _HANDSHAKING:
            self._heldBack()
        elif not self._receiving:
            self._flush()

    def _heldBack(self) -> None:
        # Plaintext waits for the handshake: pause a push producer once too
        # much of it piles up.
        gate = self._producer
        if (
            gate is not None
            and gate.streaming
            and self.engine.pendingSize > HANDSHAKE_HIGH_WATER
        ):
            gate.hold("handshake")

    def loseConnection(self) -> None:
        """Send close_notify after everything written, then close below."""
        if self._close is None or self._close is _Close.WRITE:
            self._close = _Close.ALL
            self._maybeClose()

    def loseWriteConnection(self) -> None:
        """Send close_notify and shut down writing below; keep reading."""
        if self._close is None:
            self._close = _Close.WRITE
            self._maybeClose()

    def _maybeClose(self) -> None:
        engine = self.engine
        state = engine.state
        if self._producer is not None or state is _HANDSHAKING:
            return
        if state is _SHUTTING_DOWN:
            # Our close_notify is out already; what is left is waiting for
            # the peer's. Closing the socket now, with its answer (or its
            # session tickets) unread, would reset the connection and could
            # destroy what the peer has not read of ours yet.
            if self._close is _Close.ALL and self._lingerTimer is None:
                self._linger()
            return
        if state is _OPEN or state is _PEER_CLOSED:
            try:
                engine.close()
            except SSLError as e:
                self._failed(e)
                return
            self._flush()
            if state is _OPEN and self._close is _Close.ALL:
                self._linger()
                return
        if self._close is _Close.WRITE and state is not _PEER_CLOSED:
            self.transport.loseWriteConnection()
        else:
            self.transport.loseConnection()

    def _linger(self) -> None:
        # Closing the socket outright could reset the connection: bytes the
        # peer sent that we have not read yet (TLS 1.3 session tickets, for
        # one) make the kernel answer with RST, which destroys whatever of
        # ours is still in flight. So send FIN and wait for the peer's
        # close_notify or FIN, for a bounded time.
        halfClose = getattr(self.transport, "loseWriteConnection", None)
        reactor = getattr(self.transport, "reactor", None)
        if halfClose is None or reactor is None:
            self.transport.loseConnection()
            return
        halfClose()
        self._lingerTimer = reactor.callLater(CLOSE_LINGER, self._lingerOver)

    def _lingerOver(self) -> None:
        self._lingerTimer = None
        if self._failure is None:
            self._failure = Failure(
                ConnectionDone("closed; the peer never answered close_notify")
            )
        self.transport.abortConnection()

    def abortConnection(self) -> None:
        """Drop the connection now, without close_notify."""
        self.engine.abort()
        self.transport.abortConnection()

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """Attach a producer: paused while the buffer below is full, and
        while the handshake holds too much plaintext back."""
        gate = _Gate(producer, streaming)
        self.transport.registerProducer(gate, streaming)
        self._producer = gate

    def unregisterProducer(self) -> None:
        """Detach the producer; a pending close may now go ahead."""
        self._producer = None
        self.transport.unregisterProducer()
        if self._close is not None:
            self._maybeClose()

    def pauseProducing(self) -> None:
        """Stop reading from the transport below."""
        self.transport.pauseProducing()

    def resumeProducing(self) -> None:
        """Read from the transport below again."""
        self.transport.resumeProducing()

    def stopProducing(self) -> None:
        """Close the connection."""
        self.loseConnection()

    # -- what TLS knows --------------------------------------------------

    def getPeerCertificate(self) -> Any:
        """The peer's certificate (an OpenSSL ``X509``), or None."""
        return self.engine.peerCertificate

    @property
    def negotiatedProtocol(self) -> bytes | None:
        """The ALPN protocol agreed on, or None."""
        return self.engine.negotiatedProtocol

    @property
    def tlsVersion(self) -> str | None:
        """The TLS version in use (``"TLSv1.3"``...), None before the handshake."""
        return self.engine.tlsVersion

    # -- passed through to the transport below ---------------------------------

    def getPeer(self) -> Any:
        """The remote address of the transport below."""
        return self.transport.getPeer()

    def getHost(self) -> Any:
        """The local address of the transport below."""
        return self.transport.getHost()

    def getHandle(self) -> Any:
        """The socket of the transport below."""
        return self.transport.getHandle()

    def getTcpNoDelay(self) -> bool:
        """``TCP_NODELAY`` of the TCP connection below."""
        return bool(self.transport.getTcpNoDelay())

    def setTcpNoDelay(self, enabled: bool) -> None:
        """Set ``TCP_NODELAY`` on the TCP connection below."""
        self.transport.setTcpNoDelay(enabled)

    def getTcpKeepAlive(self) -> bool:
        """``SO_KEEPALIVE`` of the TCP connection below."""
        return bool(self.transport.getTcpKeepAlive())

    def setTcpKeepAlive(self, enabled: bool) -> None:
        """Set ``SO_KEEPALIVE`` on the TCP connection below."""
        self.transport.setTcpKeepAlive(enabled)

    @property
    def connected(self) -> bool:
        """True until the connection has closed."""
        return self.wrappedReason is None

    def logPrefix(self) -> str:
        """The application protocol's class name, for log messages."""
        return type(self.protocol).__name__

    def __repr__(self) -> str:
        return f"<TLSTransport {self.logPrefix()} {self.engine.state.name}>"
