"""plait's TLS against the real ``openssl s_server`` and ``openssl s_client``."""

from __future__ import annotations

import subprocess
import time
from typing import Any

import pytest

pytest.importorskip("OpenSSL")

from plait.core import ClientFactory, Factory, Protocol
from plait.errors import ConnectionLost, PeerVerifyError, SSLError
from plait.tcp import optionsForClientTLS, optionsForServerTLS


class LineClient(Protocol):
    """Sends one line once connected; keeps what comes back."""

    def __init__(self, line: bytes = b"plait says hello\n") -> None:
        self.line = line
        self.data = bytearray()
        self.lost: list[Any] = []

    def connectionMade(self) -> None:
        self.transport.write(self.line)

    def dataReceived(self, data: bytes) -> None:
        self.data += data

    def connectionLost(self, reason: Any) -> None:
        self.lost.append(reason)


def connect(reactor: Any, port: int, protocol: Any, options: Any) -> None:
    factory = ClientFactory()
    factory.buildProtocol = lambda addr: protocol  # type: ignore[method-assign]
    reactor.connectSSL("127.0.0.1", port, factory, options)


def reversedLine(line: bytes) -> bytes:
    return line.rstrip(b"\n")[::-1] + b"\n"


@pytest.mark.parametrize(
    ("flag", "version"), [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")]
)
def test_client_against_version_pinned_server(
    reactor: Any, until: Any, sServer: Any, pki: Any, flag: str, version: str
) -> None:
    """plait's client completes a verified handshake with a TLS 1.2-only and a
    TLS 1.3-only s_server, and exchanges data."""
    port = sServer(pki.server, pki.serverKey, flag)
    client = LineClient()
    connect(reactor, port, client, optionsForClientTLS("localhost", trustRoot=pki.ca))
    until(reactor, lambda: bytes(client.data).endswith(b"\n") or client.lost)
    assert bytes(client.data) == reversedLine(client.line)
    assert client.transport.tlsVersion == version
    client.transport.loseConnection()
    until(reactor, lambda: bool(client.lost))


def test_ip_address_verification(
    reactor: Any, until: Any, sServer: Any, pki: Any
) -> None:
    """Connecting by IP address verifies the certificate's IP entry."""
    port = sServer(pki.server, pki.serverKey)
    client = LineClient()
    connect(reactor, port, client, optionsForClientTLS("127.0.0.1", trustRoot=pki.ca))
    until(reactor, lambda: bytes(client.data).endswith(b"\n") or client.lost)
    assert bytes(client.data) == reversedLine(client.line)
    client.transport.loseConnection()
    until(reactor, lambda: bool(client.lost))


def test_server_requiring_client_certificate(
    reactor: Any, until: Any, sServer: Any, pki: Any
) -> None:
    """A server demanding a client certificate accepts ours and rejects none."""
    port = sServer(
        pki.server,
        pki.serverKey,
        "-Verify",
        "1",
        "-CAfile",
        str(pki.ca),
        "-verify_return_error",
    )
    withCert = LineClient()
    connect(
        reactor,
        port,
        withCert,
        optionsForClientTLS(
            "localhost", trustRoot=pki.ca, clientCertificate=(pki.client, pki.clientKey)
        ),
    )
    until(reactor, lambda: bytes(withCert.data).endswith(b"\n") or withCert.lost)
    assert bytes(withCert.data) == reversedLine(withCert.line)
    withCert.transport.loseConnection()
    until(reactor, lambda: bool(withCert.lost))

    anonymous = LineClient()
    connect(
        reactor, port, anonymous, optionsForClientTLS("localhost", trustRoot=pki.ca)
    )
    until(reactor, lambda: bool(anonymous.lost))
    assert anonymous.data == b""
    assert anonymous.lost[0].check(SSLError, ConnectionLost)


@pytest.mark.parametrize(
    ("identity", "why"),
    [
        ("expired", "expired"),
        ("otherHost", "hostname mismatch"),
        ("selfSigned", "self-signed"),
    ],
)
def test_bad_server_certificates_are_rejected_with_the_reason(
    reactor: Any, until: Any, sServer: Any, pki: Any, identity: str, why: str
) -> None:
    """Expired, wrong-host and self-signed certificates fail with a reason that
    says which."""
    port = sServer(getattr(pki, identity), getattr(pki, identity + "Key"))
    client = LineClient()
    connect(reactor, port, client, optionsForClientTLS("localhost", trustRoot=pki.ca))
    until(reactor, lambda: bool(client.lost))
    reason = client.lost[0]
    assert reason.check(PeerVerifyError), reason
    assert why in str(reason.value)
    assert client.data == b""


class EchoLine(Protocol):
    """Echoes data, closing after the first newline."""

    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)
        if b"\n" in data:
            self.transport.loseConnection()


def runSClient(
    reactor: Any, opensslBinary: str, port: int, *options: str
) -> subprocess.CompletedProcess[bytes]:
    """Run s_client against a plait server while the reactor runs."""
    process = subprocess.Popen(
        [
            opensslBinary,
            "s_client",
            "-connect",
            f"127.0.0.1:{port}",
            "-servername",
            "localhost",
            "-verify_return_error",
            "-brief",
            *options,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdin is not None
        process.stdin.write(b"ping from s_client\n")
        process.stdin.flush()
        deadline = time.monotonic() + 20
        while process.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError("s_client did not finish")
            reactor.iterate(0.01)
        out, err = process.communicate()
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_openssl_client_against_plait_server(
    reactor: Any, opensslBinary: str, pki: Any
) -> None:
    """openssl s_client verifies plait's server and gets its data echoed."""
    port = reactor.listenSSL(
        0,
        Factory.forProtocol(EchoLine),
        optionsForServerTLS(pki.server, pki.serverKey),
        interface="127.0.0.1",
    )
    try:
        result = runSClient(
            reactor, opensslBinary, port.getHost().port, "-CAfile", str(pki.ca)
        )
        assert b"ping from s_client" in result.stdout
        assert b"Verification: OK" in result.stderr
        assert b"TLSv1.3" in result.stderr
    finally:
        port.stopListening()


def test_openssl_client_with_certificate_against_demanding_server(
    reactor: Any, opensslBinary: str, pki: Any
) -> None:
    """A plait server requiring client certificates accepts s_client with one and
    refuses it without."""
    options = optionsForServerTLS(
        pki.server, pki.serverKey, trustRoot=pki.ca, requireClientCertificate=True
    )
    port = reactor.listenSSL(
        0, Factory.forProtocol(EchoLine), options, interface="127.0.0.1"
    )
    try:
        number = port.getHost().port
        ok = runSClient(
            reactor,
            opensslBinary,
            number,
            "-CAfile",
            str(pki.ca),
            "-cert",
            str(pki.client),
            "-key",
            str(pki.clientKey),
            "-tls1_2",
        )
        assert b"ping from s_client" in ok.stdout
        refused = runSClient(
            reactor, opensslBinary, number, "-CAfile", str(pki.ca), "-tls1_2"
        )
        assert b"ping from s_client" not in refused.stdout
        assert refused.returncode != 0 or b"alert" in refused.stderr
    finally:
        port.stopListening()
