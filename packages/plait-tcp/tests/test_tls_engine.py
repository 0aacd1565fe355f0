"""The sans-IO TLS engine, driven by wiring a client engine to a server engine."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("OpenSSL")

from plait.errors import PeerVerifyError, SSLError
from plait.tcp._tls_engine import TLSEngine, TLSState
from plait.tcp._tls_options import optionsForClientTLS, optionsForServerTLS


class Wire:
    """A client and a server engine and the plaintext each has received."""

    def __init__(self, client: TLSEngine, server: TLSEngine) -> None:
        self.client = client
        self.server = server
        self.atClient = bytearray()
        self.atServer = bytearray()

    def handshake(self) -> None:
        """Let the client start the handshake and move bytes until it settles."""
        self.client.begin()
        self.pump()

    def pump(self, rounds: int = 10) -> None:
        for _ in range(rounds):
            moved = False
            data = self.client.dataToSend()
            if data:
                moved = True
                self.atServer += self.server.receive(data)
            data = self.server.dataToSend()
            if data:
                moved = True
                self.atClient += self.client.receive(data)
            if not moved:
                return


def makeWire(
    certs: Any,
    hostname: str = "localhost",
    trust: bytes | None = None,
    clientALPN: list[bytes] | None = None,
    serverALPN: list[bytes] | None = None,
    **serverOptions: Any,
) -> Wire:
    server = optionsForServerTLS(
        certs.serverChain,
        certs.serverKey,
        acceptableProtocols=serverALPN,
        **serverOptions,
    )
    client = optionsForClientTLS(
        hostname,
        trustRoot=certs.ca if trust is None else trust,
        acceptableProtocols=clientALPN,
    )
    cconn, crec = client.connectionForTLS()
    sconn, srec = server.connectionForTLS()
    return Wire(TLSEngine(cconn, False, crec), TLSEngine(sconn, True, srec))


def test_handshake_then_data_both_ways(certs: Any) -> None:
    """After the handshake both engines are OPEN and plaintext crosses intact."""
    wire = makeWire(certs)
    wire.handshake()
    assert wire.client.state is TLSState.OPEN and wire.server.state is TLSState.OPEN
    assert wire.client.handshakeDone and wire.server.handshakeDone
    wire.client.send(b"hello")
    wire.server.send(b"world")
    wire.pump()
    assert bytes(wire.atServer) == b"hello"
    assert bytes(wire.atClient) == b"world"
    assert wire.client.tlsVersion in ("TLSv1.2", "TLSv1.3")
    assert wire.client.peerCertificate is not None


def test_plaintext_before_handshake_is_held_then_sent(certs: Any) -> None:
    """Data sent during the handshake is encrypted once it completes, in order."""
    wire = makeWire(certs)
    wire.client.send(b"early ")
    wire.client.sendMany([b"and ", b"ordered"])
    wire.handshake()
    assert bytes(wire.atServer) == b"early and ordered"


def test_close_notify_closes_both(certs: Any) -> None:
    """close() sends close_notify after pending data; the peer answers and closes."""
    wire = makeWire(certs)
    wire.handshake()
    wire.client.send(b"last")
    wire.client.close()
    assert wire.client.state is TLSState.SHUTTING_DOWN
    wire.pump()
    assert bytes(wire.atServer) == b"last"
    assert wire.server.state is TLSState.CLOSED
    assert wire.client.state.name == "CLOSED"


def test_half_close_keeps_the_other_direction(certs: Any) -> None:
    """With halfClose, a peer's close_notify leaves the engine PEER_CLOSED:
    it still sends, and its own close() completes the shutdown."""
    wire = makeWire(certs)
    wire.server.halfClose = True
    wire.handshake()
    wire.client.close()
    wire.pump()
    assert wire.server.state is TLSState.PEER_CLOSED
    assert wire.client.state is TLSState.SHUTTING_DOWN
    wire.server.send(b"answer after your close")
    wire.server.close()
    assert wire.server.state is TLSState.CLOSED
    wire.pump()
    assert bytes(wire.atClient) == b"answer after your close"
    assert wire.client.state is TLSState.CLOSED


def test_close_during_handshake_is_refused(certs: Any) -> None:
    """OpenSSL cannot shut down mid-handshake, so close() raises there."""
    wire = makeWire(certs)
    with pytest.raises(RuntimeError):
        wire.client.close()


def test_alpn_agreement(certs: Any) -> None:
    """The server picks its first protocol the client also offers."""
    wire = makeWire(
        certs, clientALPN=[b"http/1.1", b"h2"], serverALPN=[b"h2", b"http/1.1"]
    )
    wire.handshake()
    assert wire.client.negotiatedProtocol == b"h2"
    assert wire.server.negotiatedProtocol == b"h2"


def test_no_alpn_overlap_continues_without(certs: Any) -> None:
    """Disjoint ALPN lists still connect, with no protocol agreed."""
    wire = makeWire(certs, clientALPN=[b"a"], serverALPN=[b"b"])
    wire.handshake()
    assert wire.client.state is TLSState.OPEN
    assert wire.client.negotiatedProtocol is None


def test_wrong_hostname_is_rejected_with_the_reason(certs: Any) -> None:
    """A certificate for another name fails with PeerVerifyError 'hostname mismatch'."""
    wire = makeWire(certs, hostname="other.example")
    wire.client.begin()
    with pytest.raises(PeerVerifyError) as info:
        wire.pump()
    assert "hostname mismatch" in (info.value.reason or "")
    assert "other.example" in str(info.value)
    assert wire.client.state is TLSState.CLOSED


def test_ip_address_is_checked(certs: Any) -> None:
    """An IP address target is verified against the IP entries of the certificate."""
    good = makeWire(certs, hostname="127.0.0.1")
    good.client.begin()
    good.pump()
    assert good.client.state is TLSState.OPEN
    bad = makeWire(certs, hostname="10.9.8.7")
    bad.client.begin()
    with pytest.raises(PeerVerifyError, match="IP address mismatch"):
        bad.pump()


def test_untrusted_issuer_is_rejected(certs: Any) -> None:
    """A server whose CA is not trusted fails with 'untrusted issuer'."""
    trustme = pytest.importorskip("trustme")
    stranger = trustme.CA().cert_pem.bytes()
    wire = makeWire(certs, trust=stranger)
    wire.client.begin()
    with pytest.raises(PeerVerifyError) as info:
        wire.pump()
    assert "untrusted issuer" in (info.value.reason or "")


def test_server_learns_of_the_rejection(certs: Any) -> None:
    """The server's engine fails with an SSLError from the client's alert."""
    wire = makeWire(certs, hostname="other.example")
    wire.client.begin()
    with pytest.raises(PeerVerifyError):
        wire.pump()
    alert = wire.client.dataToSend()
    assert alert
    with pytest.raises(SSLError):
        wire.server.receive(alert)
    assert wire.server.state is TLSState.CLOSED


def test_garbage_is_an_ssl_error(certs: Any) -> None:
    """Bytes that are not TLS make the server engine fail with SSLError."""
    wire = makeWire(certs)
    with pytest.raises(SSLError):
        wire.server.receive(b"GET / HTTP/1.1\r\n\r\n")


def test_transitions_are_checked(certs: Any) -> None:
    """An illegal state change raises RuntimeError."""
    wire = makeWire(certs)
    wire.client.abort()
    with pytest.raises(RuntimeError):
        wire.client._move(TLSState.OPEN)


@pytest.mark.parametrize("kind", ["DirectIO", "PublicIO"])
def test_both_bio_drivers_carry_a_session(certs: Any, kind: str) -> None:
    """The direct OpenSSL driver and the public-API fallback each carry a
    handshake, large and small data both ways, and close_notify."""
    from plait.tcp import _tls_io

    wire = makeWire(certs)
    for engine in (wire.client, wire.server):
        engine._io = getattr(_tls_io, kind)(engine.connection)
    wire.handshake()
    big = bytes(range(256)) * 1024  # spans many records
    wire.client.send(big)
    wire.server.send(b"small")
    wire.pump(50)
    assert bytes(wire.atServer) == big
    assert bytes(wire.atClient) == b"small"
    wire.client.close()
    wire.pump()
    assert wire.server.state is TLSState.CLOSED
    assert wire.client.state is TLSState.CLOSED


def test_direct_driver_is_chosen_for_memory_bios(certs: Any) -> None:
    """Engines over memory BIOs use the direct driver when pyOpenSSL allows."""
    from plait.tcp._tls_io import DirectIO

    wire = makeWire(certs)
    assert isinstance(wire.client._io, DirectIO)
