"""TLS over loopback TCP: listenSSL/connectSSL, verification, startTLS."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from zope.interface import implementer

pytest.importorskip("OpenSSL")

from cryptography import x509
from OpenSSL import SSL, crypto

from plait.core import ClientFactory, Factory, Protocol, Reactor
from plait.core.testing import ConnectedPair, StreamTransportConformance
from plait.errors import (
    ConnectionDone,
    ConnectionLost,
    MissingCapability,
    PeerVerifyError,
    SSLError,
)
from plait.interfaces import (
    IHalfCloseableProtocol,
    IPushProducer,
    IReactorSSL,
    ISSLTransport,
)
from plait.tcp import TCPExtension, optionsForClientTLS, optionsForServerTLS


class Recorder(Protocol):
    """Keeps what it receives and why it was closed."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.lost: list[Any] = []

    def dataReceived(self, data: bytes) -> None:
        self.data += data

    def connectionLost(self, reason: Any) -> None:
        self.lost.append(reason)


class Echo(Recorder):
    """Writes back what it receives."""

    def dataReceived(self, data: bytes) -> None:
        super().dataReceived(data)
        self.transport.write(data)


def single(protocol: Any) -> Factory:
    """A factory that hands out ``protocol`` once."""
    f = ClientFactory()
    f.buildProtocol = lambda addr: protocol  # type: ignore[method-assign]
    return f


def serve(reactor: Any, protocol: Any, options: Any) -> Any:
    return reactor.listenSSL(0, single(protocol), options, interface="127.0.0.1")


def test_reactor_provides_ssl(reactor: Any) -> None:
    """With the tls extra installed a reactor provides IReactorSSL."""
    assert IReactorSSL.providedBy(reactor)


def test_echo_with_alpn_and_session_facts(reactor: Any, until: Any, certs: Any) -> None:
    """A verified TLS echo; ALPN, version and the peer certificate are visible."""
    server = Echo()
    port = serve(
        reactor,
        server,
        optionsForServerTLS(
            certs.serverChain, certs.serverKey, acceptableProtocols=[b"h2", b"x/1"]
        ),
    )

    class Greeter(Recorder):
        def connectionMade(self) -> None:
            # Written before the handshake: held, then sent encrypted.
            self.transport.write(b"early bird")

    client = Greeter()
    options = optionsForClientTLS(
        "localhost", trustRoot=certs.ca, acceptableProtocols=[b"x/1"]
    )
    reactor.connectSSL("127.0.0.1", port.getHost().port, single(client), options)
    until(reactor, lambda: bytes(client.data) == b"early bird")
    t: Any = client.transport
    verified = ISSLTransport.providedBy(t)
    assert verified
    assert t.negotiatedProtocol == b"x/1"
    assert t.tlsVersion == "TLSv1.3"
    cert = t.getPeerCertificate()
    assert isinstance(cert, crypto.X509)
    assert server.transport.getPeerCertificate() is None
    assert t.getPeer().port == port.getHost().port
    t.loseConnection()
    until(reactor, lambda: client.lost and server.lost)
    assert client.lost[0].check(ConnectionDone)
    assert server.lost[0].check(ConnectionDone)
    port.stopListening()


def test_lose_connection_delivers_everything(
    reactor: Any, until: Any, certs: Any
) -> None:
    """Eight MiB written then loseConnection all arrive before close_notify."""
    server = Recorder()
    port = serve(
        reactor, server, optionsForServerTLS(certs.serverChain, certs.serverKey)
    )
    payload = hashlib.sha256(b"tls").digest() * (8 * 1024 * 1024 // 32)

    class Sender(Recorder):
        def connectionMade(self) -> None:
            for i in range(0, len(payload), 65536):
                self.transport.write(payload[i : i + 65536])
            self.transport.loseConnection()

    client = Sender()
    options = optionsForClientTLS("localhost", trustRoot=certs.ca)
    reactor.connectSSL("127.0.0.1", port.getHost().port, single(client), options)
    until(reactor, lambda: bool(server.lost), timeout=60)
    assert hashlib.sha256(server.data).digest() == hashlib.sha256(payload).digest()
    assert server.lost[0].check(ConnectionDone)
    port.stopListening()


def test_push_producer_over_tls(reactor: Any, until: Any, certs: Any) -> None:
    """A push producer on a TLS transport is paused and resumed; nothing is lost."""
    server = Recorder()
    port = serve(
        reactor, server, optionsForServerTLS(certs.serverChain, certs.serverKey)
    )
    total = 4 * 1024 * 1024

    @implementer(IPushProducer)
    class Producer(Recorder):
        sent = 0
        paused = False
        pauses = 0

        def connectionMade(self) -> None:
            self.transport.registerProducer(self, True)
            self.resumeProducing()

        def pauseProducing(self) -> None:
            self.paused = True
            self.pauses += 1

        def resumeProducing(self) -> None:
            self.paused = False
            while not self.paused and self.sent < total:
                self.transport.write(b"p" * 65536)
                self.sent += 65536
            if self.sent >= total and not self.paused:
                self.transport.unregisterProducer()
                self.transport.loseConnection()
                self.paused = True

        def stopProducing(self) -> None:
            self.paused = True

    client = Producer()
    options = optionsForClientTLS("localhost", trustRoot=certs.ca)
    reactor.connectSSL("127.0.0.1", port.getHost().port, single(client), options)
    until(reactor, lambda: bool(server.lost), timeout=60)
    assert len(server.data) == total
    assert client.pauses >= 1
    port.stopListening()


def test_close_asked_for_as_the_handshake_ends_still_waits_for_the_peer(
    reactor: Any, until: Any, certs: Any
) -> None:
    """A producer that finishes and closes while the handshake completes
    leaves the socket open until the peer answered: a server that reads
    late still gets every byte, and nobody sees a reset."""

    class SlowReader(Recorder):
        def connectionMade(self) -> None:
            self.transport.whenHandshakeDone().addCallback(self._handshaken)

        def _handshaken(self, _: object) -> None:
            self.transport.pauseProducing()
            reactor.callLater(0.3, self.transport.resumeProducing)

    server = SlowReader()
    port = serve(
        reactor, server, optionsForServerTLS(certs.serverChain, certs.serverKey)
    )
    payload = b"q" * (1024 * 1024)

    @implementer(IPushProducer)
    class OneShot(Recorder):
        def connectionMade(self) -> None:
            self.transport.registerProducer(self, True)
            self.transport.whenHandshakeDone().addCallback(self._send)

        def _send(self, _: object) -> None:
            self.transport.write(payload)
            self.transport.unregisterProducer()
            self.transport.loseConnection()

        def pauseProducing(self) -> None:
            pass

        def resumeProducing(self) -> None:
            pass

        def stopProducing(self) -> None:
            pass

    client = OneShot()
    options = optionsForClientTLS("localhost", trustRoot=certs.ca)
    reactor.connectSSL("127.0.0.1", port.getHost().port, single(client), options)
    until(reactor, lambda: bool(server.lost) and bool(client.lost), timeout=30)
    assert len(server.data) == len(payload)
    assert server.lost[0].check(ConnectionDone)
    assert client.lost[0].check(ConnectionDone)
    port.stopListening()


def test_wrong_hostname_fails_with_the_reason(
    reactor: Any, until: Any, certs: Any
) -> None:
    """A client expecting another name loses the connection: 'hostname mismatch'."""
    server = Recorder()
    port = serve(
        reactor, server, optionsForServerTLS(certs.serverChain, certs.serverKey)
    )
    client = Recorder()
    options = optionsForClientTLS("wrong.example", trustRoot=certs.ca)
    reactor.connectSSL("127.0.0.1", port.getHost().port, single(client), options)
    until(reactor, lambda: client.lost and server.lost)
    reason = client.lost[0]
    assert reason.check(PeerVerifyError)
    assert "hostname mismatch" in str(reason.value)
    assert server.lost[0].check(SSLError)
    port.stopListening()


def test_untrusted_ca_fails_with_the_reason(
    reactor: Any, until: Any, certs: Any
) -> None:
    """A server certificate from an unknown CA fails: 'untrusted issuer'."""
    trustme = pytest.importorskip("trustme")
    port = serve(
        reactor, Recorder(), optionsForServerTLS(certs.serverChain, certs.serverKey)
    )
    client = Recorder()
    options = optionsForClientTLS("localhost", trustRoot=trustme.CA().cert_pem.bytes())
    reactor.connectSSL("127.0.0.1", port.getHost().port, single(client), options)
    until(reactor, lambda: bool(client.lost))
    assert client.lost[0].check(PeerVerifyError)
    assert "untrusted issuer" in str(client.lost[0].value)
    port.stopListening()


def test_client_certificate_required(reactor: Any, until: Any, certs: Any) -> None:
    """A server requiring client certificates refuses a client without one and
    accepts one with a certificate from its CA."""
    options = optionsForServerTLS(
        certs.serverChain,
        certs.serverKey,
        trustRoot=certs.ca,
        requireClientCertificate=True,
    )
    refused = Recorder()
    port = serve(reactor, refused, options)
    anonymous = Echo()
    reactor.connectSSL(
        "127.0.0.1",
        port.getHost().port,
        single(anonymous),
        optionsForClientTLS("localhost", trustRoot=certs.ca),
    )
    until(reactor, lambda: refused.lost and anonymous.lost)
    assert refused.lost[0].check(SSLError)
    assert anonymous.lost[0].check(SSLError, ConnectionLost)
    port.stopListening()

    accepted = Echo()
    port = serve(reactor, accepted, options)
    client = Recorder()
    identity = (certs.clientChain, certs.clientKey)
    reactor.connectSSL(
        "127.0.0.1",
        port.getHost().port,
        single(client),
        optionsForClientTLS(
            "localhost", trustRoot=certs.ca, clientCertificate=identity
        ),
    )
    until(reactor, lambda: client.transport is not None)
    client.transport.write(b"it is me")
    until(reactor, lambda: bytes(client.data) == b"it is me")
    peer = accepted.transport.getPeerCertificate()
    assert peer is not None
    san = peer.to_cryptography().extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert san.value.get_values_for_type(x509.RFC822Name) == ["client@example.test"]
    client.transport.loseConnection()
    until(reactor, lambda: bool(accepted.lost))
    port.stopListening()


def test_truncation_without_close_notify_is_connection_lost(
    reactor: Any, until: Any, certs: Any
) -> None:
    """A peer closing TCP without close_notify gives ConnectionLost, not Done."""
    server = Recorder()
    port = serve(
        reactor, server, optionsForServerTLS(certs.serverChain, certs.serverKey)
    )
    client = Recorder()
    reactor.connectSSL(
        "127.0.0.1",
        port.getHost().port,
        single(client),
        optionsForClientTLS("localhost", trustRoot=certs.ca),
    )
    until(reactor, lambda: client.transport is not None and client.transport.tlsVersion)
    client.transport.write(b"x")
    until(reactor, lambda: bytes(server.data) == b"x")
    # A bare FIN from the TCP transport below TLS, with no close_notify.
    client.transport.transport.loseWriteConnection()
    until(reactor, lambda: bool(server.lost))
    assert server.lost[0].check(ConnectionLost)
    assert "close_notify" in str(server.lost[0].value)
    port.stopListening()


def test_plain_context_factory_is_accepted(
    reactor: Any, until: Any, certs: Any
) -> None:
    """Any object with getContext() returning an OpenSSL Context serves TLS."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    class ContextFactory:
        def getContext(self) -> SSL.Context:
            ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
            ctx.use_certificate(x509.load_pem_x509_certificate(certs.serverChain))
            key = serialization.load_pem_private_key(certs.serverKey, None)
            assert isinstance(key, ec.EllipticCurvePrivateKey)
            ctx.use_privatekey(key)
            return ctx

    server = Echo()
    port = serve(reactor, server, ContextFactory())
    client = Recorder()
    reactor.connectSSL(
        "127.0.0.1",
        port.getHost().port,
        single(client),
        optionsForClientTLS("localhost", trustRoot=certs.ca),
    )
    until(reactor, lambda: client.transport is not None)
    client.transport.write(b"plain factory")
    until(reactor, lambda: bytes(client.data) == b"plain factory")
    client.transport.loseConnection()
    until(reactor, lambda: bool(server.lost))
    port.stopListening()


def test_start_tls_mid_stream(reactor: Any, pair: Any, until: Any, certs: Any) -> None:
    """After a plaintext exchange both sides startTLS; plaintext written before
    goes out first, later writes are encrypted."""
    serverOptions = optionsForServerTLS(certs.serverChain, certs.serverKey)
    clientOptions = optionsForClientTLS("localhost", trustRoot=certs.ca)

    class Server(Recorder):
        upgraded = False

        def dataReceived(self, data: bytes) -> None:
            super().dataReceived(data)
            if not self.upgraded and self.data.endswith(b"STARTTLS\r\n"):
                self.upgraded = True
                self.transport.write(b"220 go ahead\r\n")
                self.transport.startTLS(serverOptions)
            elif self.upgraded:
                self.transport.write(b"secure:" + data)

    class Client(Recorder):
        upgraded = False

        def dataReceived(self, data: bytes) -> None:
            super().dataReceived(data)
            if not self.upgraded and self.data.endswith(b"220 go ahead\r\n"):
                self.upgraded = True
                self.transport.startTLS(clientOptions)
                self.transport.write(b"hello")

    server, client = pair(reactor, Server(), Client())
    assert not ISSLTransport.providedBy(client.transport)
    client.transport.write(b"STARTTLS\r\n")
    until(reactor, lambda: bytes(client.data).endswith(b"secure:hello"))
    assert bytes(client.data) == b"220 go ahead\r\nsecure:hello"
    assert bytes(server.data) == b"STARTTLS\r\nhello"
    upgraded = ISSLTransport.providedBy(client.transport)
    assert upgraded
    assert client.transport.tlsVersion == "TLSv1.3"
    assert client.transport.getPeerCertificate() is not None
    client.transport.loseConnection()
    until(reactor, lambda: client.lost and server.lost)
    assert client.lost[0].check(ConnectionDone)
    assert server.lost[0].check(ConnectionDone)


def test_start_tls_twice_is_refused(reactor: Any, pair: Any, certs: Any) -> None:
    """startTLS on a transport that already runs TLS raises RuntimeError."""
    _, client = pair(reactor, Recorder(), Recorder())
    options = optionsForClientTLS("localhost", trustRoot=certs.ca)
    client.transport.startTLS(options)
    with pytest.raises(RuntimeError):
        client.transport.startTLS(options)
    client.transport.abortConnection()


def test_start_tls_without_the_extra(
    reactor: Any, pair: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the tls extra, startTLS raises MissingCapability naming it."""
    import plait.tcp._tcp as tcp

    _, client = pair(reactor, Recorder(), Recorder())
    monkeypatch.setattr(tcp, "tlsAvailable", lambda: False)
    with pytest.raises(MissingCapability) as info:
        client.transport.startTLS(object())
    assert "plait-tcp[tls]" in str(info.value)
    client.transport.abortConnection()


class TestTLSConformance(StreamTransportConformance):
    """plait-core's transport conformance checks, over TLS on loopback TCP."""

    def connectPair(self, server: Any, client: Any) -> ConnectedPair:
        import trustme

        authority = trustme.CA()
        identity = authority.issue_cert("localhost")
        serverOptions = optionsForServerTLS(
            b"".join(p.bytes() for p in identity.cert_chain_pems),
            identity.private_key_pem.bytes(),
        )
        clientOptions = optionsForClientTLS(
            "localhost", trustRoot=authority.cert_pem.bytes()
        )
        reactor = Reactor(extensions=[TCPExtension])
        port = reactor.listenSSL(
            0, Factory.forProtocol(lambda: server), serverOptions, interface="127.0.0.1"
        )
        reactor.connectSSL(
            "127.0.0.1", port.getHost().port, single(client), clientOptions
        )

        def close() -> None:
            port.stopListening()
            reactor.close()

        return ConnectedPair(turn=lambda: reactor.iterate(0.01), close=close)


@implementer(IHalfCloseableProtocol)
class HalfCloser(Recorder):
    """Records half-close events; answers the peer's close with a last word."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []

    def readConnectionLost(self) -> None:
        self.events.append("readLost")
        self.transport.write(b"reply after your close")
        self.transport.loseConnection()

    def writeConnectionLost(self) -> None:
        self.events.append("writeLost")


def test_half_close_over_tls(reactor: Any, until: Any, certs: Any) -> None:
    """loseWriteConnection sends close_notify; a half-closeable peer hears
    readConnectionLost, can still answer, and both end with ConnectionDone."""
    server = HalfCloser()
    port = serve(
        reactor, server, optionsForServerTLS(certs.serverChain, certs.serverKey)
    )

    class Asker(HalfCloser):
        def connectionMade(self) -> None:
            self.transport.write(b"question")
            self.transport.loseWriteConnection()

        def readConnectionLost(self) -> None:
            self.events.append("readLost")

    client = Asker()
    options = optionsForClientTLS("localhost", trustRoot=certs.ca)
    reactor.connectSSL("127.0.0.1", port.getHost().port, single(client), options)
    until(reactor, lambda: bool(server.lost) and bool(client.lost))
    assert bytes(server.data) == b"question"
    assert bytes(client.data) == b"reply after your close"
    assert server.events == ["readLost"]
    assert client.events == ["writeLost", "readLost"]
    assert server.lost[0].check(ConnectionDone)
    assert client.lost[0].check(ConnectionDone)
    port.stopListening()


def test_bare_fin_is_not_a_tls_half_close(reactor: Any, until: Any, certs: Any) -> None:
    """A FIN without close_notify ends a half-closeable protocol with
    ConnectionLost, never readConnectionLost: it could be forged."""
    server = HalfCloser()
    port = serve(
        reactor, server, optionsForServerTLS(certs.serverChain, certs.serverKey)
    )

    class Truncator(Recorder):
        def dataReceived(self, data: bytes) -> None:
            pass

        def connectionMade(self) -> None:
            self.transport.write(b"partial")
            # Below TLS: FIN on the TCP connection, no close_notify.
            tls = self.transport
            tls.whenHandshakeDone().addCallback(
                lambda _: reactor.callLater(0.05, tls.transport.loseWriteConnection)
            )

    client = Truncator()
    options = optionsForClientTLS("localhost", trustRoot=certs.ca)
    reactor.connectSSL("127.0.0.1", port.getHost().port, single(client), options)
    until(reactor, lambda: bool(server.lost))
    assert bytes(server.data) == b"partial"
    assert server.events == []
    assert server.lost[0].check(ConnectionLost)
    port.stopListening()


class _BrokenContextFactory:
    """A context factory that cannot make a context."""

    def getContext(self) -> Any:
        raise ValueError("no context for you")


def test_bad_context_factory_fails_the_call(reactor: Any) -> None:
    """listenSSL and connectSSL ask for a context at once: its error is theirs."""
    with pytest.raises(ValueError, match="no context"):
        reactor.listenSSL(
            0,
            Factory.forProtocol(Protocol),
            _BrokenContextFactory(),
            interface="127.0.0.1",
        )
    with pytest.raises(ValueError, match="no context"):
        reactor.connectSSL(
            "127.0.0.1", 1, ClientFactory.forProtocol(Protocol), _BrokenContextFactory()
        )
    assert reactor.getReaders() == [] and reactor.getWriters() == []


@pytest.mark.parametrize("resumption", [True, False])
def test_session_resumption_follows_the_option(
    reactor: Any, until: Any, certs: Any, resumption: bool
) -> None:
    """A returning client resumes its session only when the server issues
    tickets (the default); resumption=False makes every handshake a full one."""
    import socket
    import ssl
    import threading

    options = optionsForServerTLS(
        certs.serverChain, certs.serverKey, resumption=resumption
    )
    port = reactor.listenSSL(
        0, Factory.forProtocol(Echo), options, interface="127.0.0.1"
    )
    number = port.getHost().port
    context = ssl.create_default_context(cadata=certs.ca.decode())
    reused: list[bool] = []
    errors: list[BaseException] = []

    def visit(session: Any) -> Any:
        with (
            socket.create_connection(("127.0.0.1", number), timeout=10) as raw,
            context.wrap_socket(
                raw, server_hostname="localhost", session=session
            ) as tls,
        ):
            tls.sendall(b"ping")
            assert tls.recv(4) == b"ping"  # tickets arrive before the echo
            reused.append(tls.session_reused)
            return tls.session

    def client() -> None:
        try:
            visit(visit(None))
        except BaseException as e:  # reported by the test below
            errors.append(e)

    thread = threading.Thread(target=client)
    thread.start()
    until(reactor, lambda: len(reused) == 2 or errors or not thread.is_alive())
    thread.join(10)
    port.stopListening()
    assert errors == []
    assert reused == [False, resumption]
