"""The forms a TLS identity (certificate chain and key) is accepted in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("OpenSSL")

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from OpenSSL import crypto

from plait.core import ClientFactory, Factory, Protocol
from plait.tcp import optionsForClientTLS, optionsForServerTLS


class Echo(Protocol):
    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)


class Recorder(Protocol):
    def __init__(self) -> None:
        self.data = bytearray()

    def dataReceived(self, data: bytes) -> None:
        self.data += data


def _peerSAN(server: Any) -> list[str]:
    peer = server.transport.getPeerCertificate()
    san = peer.to_cryptography().extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    return list(san.value.get_values_for_type(x509.RFC822Name))


def _roundTrip(reactor: Any, until: Any, certs: Any, clientOptions: Any) -> Any:
    """Serve with client certificates required; return the server protocol
    once the client's bytes came back."""
    serverOptions = optionsForServerTLS(
        certs.serverChain + certs.serverKey,
        trustRoot=certs.ca,
        requireClientCertificate=True,
    )
    server = Echo()
    f = Factory()
    f.buildProtocol = lambda addr: server  # type: ignore[method-assign]
    port = reactor.listenSSL(0, f, serverOptions, interface="127.0.0.1")
    client = Recorder()
    cf = ClientFactory()
    cf.buildProtocol = lambda addr: client  # type: ignore[method-assign]
    reactor.connectSSL("127.0.0.1", port.getHost().port, cf, clientOptions)
    until(reactor, lambda: client.transport is not None)
    client.transport.write(b"it is me")
    until(reactor, lambda: bytes(client.data) == b"it is me")
    client.transport.loseConnection()
    port.stopListening()
    return server


@pytest.mark.parametrize("form", ["bytes", "text", "path"])
def test_combined_pem_as_client_certificate(
    reactor: Any, until: Any, certs: Any, tmp_path: Path, form: str
) -> None:
    """A PEM holding the client's certificate and key, as bytes, text or a
    path, is presented to a server that requires client certificates."""
    combined = certs.clientChain + certs.clientKey
    source: Any = combined
    if form == "text":
        source = combined.decode("ascii")
    elif form == "path":
        source = tmp_path / "client.pem"
        source.write_bytes(combined)
    options = optionsForClientTLS(
        "localhost", trustRoot=certs.ca, clientCertificate=source
    )
    server = _roundTrip(reactor, until, certs, options)
    assert _peerSAN(server) == ["client@example.test"]


def test_loaded_objects_as_client_certificate(
    reactor: Any, until: Any, certs: Any
) -> None:
    """A (chain, key) pair of pyOpenSSL and cryptography objects still works."""
    chain = [
        crypto.X509.from_cryptography(c)
        for c in x509.load_pem_x509_certificates(certs.clientChain)
    ]
    key = serialization.load_pem_private_key(certs.clientKey, password=None)
    options = optionsForClientTLS(
        "localhost", trustRoot=certs.ca, clientCertificate=(chain, key)
    )
    server = _roundTrip(reactor, until, certs, options)
    assert _peerSAN(server) == ["client@example.test"]


def test_server_key_read_from_combined_pem_path(certs: Any, tmp_path: Path) -> None:
    """optionsForServerTLS without privateKey reads the key from the chain's PEM."""
    path = tmp_path / "server.pem"
    path.write_bytes(certs.serverKey + certs.serverChain)
    options = optionsForServerTLS(path)
    assert options.getContext() is not None


def test_server_without_key_anywhere_is_refused(certs: Any) -> None:
    """A chain PEM with no key and no privateKey fails, naming the parameter."""
    with pytest.raises(
        ValueError, match="certificateChain: no unencrypted PEM private key"
    ):
        optionsForServerTLS(certs.serverChain)


def test_server_without_key_and_loaded_chain_is_a_type_error(certs: Any) -> None:
    """A loaded certificate object cannot carry its key: privateKey is required."""
    leaf = x509.load_pem_x509_certificates(certs.serverChain)[0]
    with pytest.raises(TypeError, match="privateKey is needed"):
        optionsForServerTLS(leaf)


@pytest.mark.parametrize("bad", [42, 4.5, {"cert": "x"}, (b"a", b"b", b"c")])
def test_client_certificate_of_unknown_form_is_a_type_error(
    certs: Any, bad: Any
) -> None:
    """An identity that is no PEM and no pair raises TypeError naming the
    parameter and the forms it takes."""
    with pytest.raises(TypeError, match=r"clientCertificate must be a PEM .* pair"):
        optionsForClientTLS("localhost", trustRoot=certs.ca, clientCertificate=bad)


def test_client_certificate_pair_with_wrong_types_names_the_part(certs: Any) -> None:
    """A pair whose key is not a key says which part is wrong."""
    with pytest.raises(TypeError, match=r"clientCertificate\[1\] \(the private key\)"):
        optionsForClientTLS(
            "localhost", trustRoot=certs.ca, clientCertificate=(certs.clientChain, 7)
        )


def test_certificate_only_pem_as_client_certificate_is_refused(certs: Any) -> None:
    """A PEM with the certificate but no key fails at construction, saying so."""
    with pytest.raises(
        ValueError, match="clientCertificate: no unencrypted PEM private key"
    ):
        optionsForClientTLS(
            "localhost", trustRoot=certs.ca, clientCertificate=certs.clientChain
        )


def test_key_only_pem_as_client_certificate_is_refused(certs: Any) -> None:
    """A PEM with a key but no certificate fails, saying no certificate was found."""
    with pytest.raises(ValueError, match="clientCertificate: no PEM certificate found"):
        optionsForClientTLS(
            "localhost", trustRoot=certs.ca, clientCertificate=certs.clientKey
        )


def test_missing_pem_file_names_the_parameter(certs: Any, tmp_path: Path) -> None:
    """A path that does not exist is reported with the parameter and the path."""
    missing = tmp_path / "nowhere.pem"
    with pytest.raises(ValueError, match="clientCertificate: cannot read the PEM file"):
        optionsForClientTLS("localhost", trustRoot=certs.ca, clientCertificate=missing)


def test_mismatched_client_key_is_refused(certs: Any) -> None:
    """A key that is not the certificate's is refused when the options are built."""
    with pytest.raises(ValueError, match="private key does not match the certificate"):
        optionsForClientTLS(
            "localhost",
            trustRoot=certs.ca,
            clientCertificate=(certs.clientChain, certs.serverKey),
        )


def test_mismatched_server_key_is_refused(certs: Any) -> None:
    """A server key that is not its certificate's is refused at construction."""
    with pytest.raises(ValueError, match="private key does not match the certificate"):
        optionsForServerTLS(certs.serverChain, certs.clientKey)
