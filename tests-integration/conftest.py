"""Fixtures for tests against real peers (here: the ``openssl`` command).

Everything binds to 127.0.0.1 on a free port; every process started is
killed at teardown. Tests skip, saying why, when ``openssl`` is missing.
"""

from __future__ import annotations

import datetime
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

TIMEOUT = 20.0


@pytest.fixture(scope="session")
def opensslBinary() -> str:
    """Path of the openssl command; the test is skipped without it."""
    path = shutil.which("openssl")
    if path is None:
        pytest.skip("the openssl command is not installed")
    return path


def freePort() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture
def reactor() -> Iterator[Any]:
    """A plait reactor with the installed extensions."""
    pytest.importorskip("plait.tcp")
    from plait.core import Reactor

    r = Reactor()
    yield r
    from plait.core import Failure
    from plait.errors import ConnectionDone

    for descriptor in r.removeAll():
        leftover: Any = descriptor
        stop = getattr(leftover, "stopListening", None)
        if stop is not None:
            stop()
        else:
            leftover.connectionLost(Failure(ConnectionDone("test over")))
    r.close()


@pytest.fixture
def until() -> Callable[..., None]:
    """``until(reactor, condition)``: iterate until true, bounded."""

    def run(
        reactor: Any, condition: Callable[[], object], timeout: float = TIMEOUT
    ) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            reactor.iterate(0.01)

    return run


@dataclass
class PKI:
    """Certificate files for the tests, all under one directory."""

    directory: Path
    ca: Path
    server: Path  # chain for localhost and 127.0.0.1
    serverKey: Path
    client: Path
    clientKey: Path
    expired: Path
    expiredKey: Path
    otherHost: Path
    otherHostKey: Path
    selfSigned: Path
    selfSignedKey: Path


def _write(directory: Path, name: str, cert: Any, key: Any) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives import serialization

    certPath = directory / f"{name}.pem"
    keyPath = directory / f"{name}.key"
    certPath.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyPath.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certPath, keyPath


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    """A CA; server, client, expired, wrong-host and self-signed identities."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory = tmp_path_factory.mktemp("pki")
    now = datetime.datetime.now(datetime.timezone.utc)
    day = datetime.timedelta(days=1)

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    caKey = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("plait integration CA"))
        .issuer_name(name("plait integration CA"))
        .public_key(caKey.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - day)
        .not_valid_after(now + 30 * day)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(caKey, hashes.SHA256())
    )
    caPath = directory / "ca.pem"
    from cryptography.hazmat.primitives import serialization

    caPath.write_bytes(ca.public_bytes(serialization.Encoding.PEM))

    def leaf(
        subject: str,
        names: list[x509.GeneralName],
        start: datetime.datetime,
        end: datetime.datetime,
        usage: Any,
        selfSigned: bool = False,
    ) -> tuple[Any, Any]:
        key = ec.generate_private_key(ec.SECP256R1())
        issuer, signer = (name(subject), key) if selfSigned else (ca.subject, caKey)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .sign(signer, hashes.SHA256())
        )
        return cert, key

    local = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    serverAuth = ExtendedKeyUsageOID.SERVER_AUTH
    server = _write(
        directory, "server", *leaf("localhost", local, now - day, now + day, serverAuth)
    )
    client = _write(
        directory,
        "client",
        *leaf(
            "client",
            [x509.DNSName("client.test")],
            now - day,
            now + day,
            ExtendedKeyUsageOID.CLIENT_AUTH,
        ),
    )
    expired = _write(
        directory,
        "expired",
        *leaf("localhost", local, now - 10 * day, now - 5 * day, serverAuth),
    )
    other = _write(
        directory,
        "other",
        *leaf(
            "other", [x509.DNSName("other.example")], now - day, now + day, serverAuth
        ),
    )
    selfSigned = _write(
        directory,
        "selfsigned",
        *leaf("localhost", local, now - day, now + day, serverAuth, selfSigned=True),
    )
    return PKI(
        directory,
        caPath,
        server[0],
        server[1],
        client[0],
        client[1],
        expired[0],
        expired[1],
        other[0],
        other[1],
        selfSigned[0],
        selfSigned[1],
    )


def waitForPort(
    port: int, process: subprocess.Popen[bytes], timeout: float = TIMEOUT
) -> None:
    """Poll 127.0.0.1:port until something accepts, bounded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the server exited early with status {process.returncode}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)  # a real external process, no fake clock applies
    raise RuntimeError(f"nothing listened on port {port} within {timeout} s")


@pytest.fixture
def sServer(opensslBinary: str) -> Iterator[Callable[..., int]]:
    """``sServer(cert, key, *options) -> port``: an ``openssl s_server -rev``."""
    started: list[subprocess.Popen[bytes]] = []

    def start(cert: Path, key: Path, *options: str) -> int:
        port = freePort()
        process = subprocess.Popen(
            [
                opensslBinary,
                "s_server",
                "-accept",
                f"127.0.0.1:{port}",
                "-cert",
                str(cert),
                "-key",
                str(key),
                "-rev",
                *options,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        waitForPort(port, process)
        return port

    yield start
    for process in started:
        process.kill()
        process.wait()
