"""TLS settings that are safe without tuning: ``optionsForClientTLS`` and
``optionsForServerTLS``.

Defaults and why:

- TLS 1.2 is the oldest version offered; older ones have known breaks.
- Clients check the whole chain against a trust store (the system's store
  unless a root is given; a given root replaces it rather than adding to
  it, so a private CA cannot be bypassed by a public one), then check that
  the leaf certificate names the host (or IP address) dialled, with
  service_identity. SNI carries the host name; IP literals are never put in
  SNI (RFC 6066 forbids it).
- Servers disable TLS compression (CRIME) and renegotiation, prefer their
  own cipher order, and keep OpenSSL's cipher defaults.
- A server that checks client certificates sets a session id context, since
  OpenSSL refuses to resume sessions without one once peers are verified.

Certificates and keys are accepted as PEM bytes, PEM text, a path to a PEM
file, or already loaded ``cryptography`` / pyOpenSSL objects.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Sequence
from pathlib import Path

import idna
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import (
    dsa,
    ec,
    ed448,
    ed25519,
    rsa,
)
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from OpenSSL import SSL, crypto

from ._tls_verify import VerifyRecord

__all__ = [
    "CertificateSource",
    "ClientTLSOptions",
    "KeySource",
    "ServerTLSOptions",
    "TrustRoot",
    "loadCertificates",
    "loadPrivateKey",
    "optionsForClientTLS",
    "optionsForServerTLS",
]

_Single = bytes | str | os.PathLike[str] | x509.Certificate | crypto.X509
CertificateSource = _Single | Sequence[_Single]
TrustRoot = CertificateSource | None
KeySource = bytes | str | os.PathLike[str] | crypto.PKey | PrivateKeyTypes


_PRIVATE_KEY_TYPES = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    dsa.DSAPrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
)


def _pemBytes(source: bytes | str | os.PathLike[str]) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, str) and source.lstrip().startswith("-----BEGIN"):
        return source.encode("ascii")
    return Path(source).read_bytes()


def loadCertificates(source: CertificateSource) -> list[x509.Certificate]:
    """Every certificate in ``source``, in order (leaf first for a chain)."""
    if isinstance(source, x509.Certificate):
        return [source]
    if isinstance(source, crypto.X509):
        return [source.to_cryptography()]
    if isinstance(source, (bytes, str, os.PathLike)):
        certificates = x509.load_pem_x509_certificates(_pemBytes(source))
        if not certificates:
            raise ValueError("no PEM certificate found")
        return certificates
    loaded: list[x509.Certificate] = []
    for item in source:
        loaded.extend(loadCertificates(item))
    return loaded


def loadPrivateKey(source: KeySource) -> PrivateKeyTypes:
    """The private key in ``source`` (an unencrypted PEM block), as a
    ``cryptography`` key object."""
    if isinstance(source, crypto.PKey):
        key = source.to_cryptography_key()
        if not isinstance(key, _PRIVATE_KEY_TYPES):
            raise ValueError("the PKey holds no private key")
        return key
    if isinstance(source, (bytes, str, os.PathLike)):
        return serialization.load_pem_private_key(_pemBytes(source), password=None)
    return source


def _isIPAddress(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _trust(context: SSL.Context, trustRoot: TrustRoot) -> list[x509.Certificate]:
    if trustRoot is None:
        context.set_default_verify_paths()
        return []
    roots = loadCertificates(trustRoot)
    store = context.get_cert_store()
    assert store is not None
    for root in roots:
        store.add_cert(crypto.X509.from_cryptography(root))
    return roots


def _useIdentity(
    context: SSL.Context, chain: CertificateSource, privateKey: KeySource
) -> None:
    certificates = loadCertificates(chain)
    context.use_certificate(certificates[0])
    for extra in certificates[1:]:
        context.add_extra_chain_cert(extra)
    key = loadPrivateKey(privateKey)
    if not isinstance(key, _PRIVATE_KEY_TYPES):
        raise ValueError(f"TLS cannot use a {type(key).__name__} as its key")
    context.use_privatekey(key)
    context.check_privatekey()


class ClientTLSOptions:
    """How a client sets up TLS for one server identity.

    ``getContext()`` gives the shared ``OpenSSL.SSL.Context``;
    ``connectionForTLS()`` builds one connection with SNI and with the
    verify callback that checks the chain and the host name.
    """

    isClient = True

    def __init__(self, hostname: str, context: SSL.Context) -> None:
        self.hostname = hostname
        self._context = context
        self._isIP = _isIPAddress(hostname)
        self._sni = None if self._isIP else idna.encode(hostname, uts46=True)

    def getContext(self) -> SSL.Context:
        """The OpenSSL context every connection made with these options shares."""
        return self._context

    def connectionForTLS(self) -> tuple[SSL.Connection, VerifyRecord]:
        """A new client connection object and the record of its verification."""
        connection = SSL.Connection(self._context, None)
        record = VerifyRecord(expected=self.hostname)
        connection.set_verify(SSL.VERIFY_PEER, record.callback)
        if self._sni is not None:
            connection.set_tlsext_host_name(self._sni)
        return connection, record

    def __repr__(self) -> str:
        return f"<ClientTLSOptions for {self.hostname!r}>"


class ServerTLSOptions:
    """How a server sets up TLS: its identity and whether it checks clients."""

    isClient = False

    def __init__(self, context: SSL.Context, verifyClients: bool) -> None:
        self._context = context
        self._verifyClients = verifyClients

    def getContext(self) -> SSL.Context:
        """The OpenSSL context every accepted connection shares."""
        return self._context

    def connectionForTLS(self) -> tuple[SSL.Connection, VerifyRecord | None]:
        """A new server connection, with a verify record if clients are checked."""
        connection = SSL.Connection(self._context, None)
        if not self._verifyClients:
            return connection, None
        record = VerifyRecord()
        connection.set_verify(self._context.get_verify_mode(), record.callback)
        return connection, record

    def __repr__(self) -> str:
        return "<ServerTLSOptions>"


def optionsForClientTLS(
    hostname: str,
    trustRoot: TrustRoot = None,
    clientCertificate: tuple[CertificateSource, KeySource] | None = None,
    acceptableProtocols: Sequence[bytes] | None = None,
) -> ClientTLSOptions:
    """Client TLS settings that verify ``hostname`` (a name or an IP address).

    :param trustRoot: the CA certificate(s) to trust instead of the system
        store; ``None`` uses the system store.
    :param clientCertificate: ``(certificateChain, privateKey)`` to present
        when the server asks for a certificate.
    :param acceptableProtocols: ALPN protocol names to offer, best first.
    """
    context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    context.set_min_proto_version(SSL.TLS1_2_VERSION)
    context.set_options(SSL.OP_NO_COMPRESSION | SSL.OP_NO_RENEGOTIATION)
    context.set_verify(SSL.VERIFY_PEER)
    _trust(context, trustRoot)
    if clientCertificate is not None:
        _useIdentity(context, clientCertificate[0], clientCertificate[1])
    if acceptableProtocols:
        context.set_alpn_protos(list(acceptableProtocols))
    return ClientTLSOptions(hostname, context)


def _alpnChooser(
    ours: Sequence[bytes],
) -> SSL._ALPNSelectCallback:
    preferred = list(ours)

    def choose(
        connection: SSL.Connection, offered: list[bytes]
    ) -> bytes | SSL._NoOverlappingProtocols:
        for protocol in preferred:
            if protocol in offered:
                return protocol
        return SSL.NO_OVERLAPPING_PROTOCOLS

    return choose


def optionsForServerTLS(
    certificateChain: CertificateSource,
    privateKey: KeySource,
    trustRoot: TrustRoot = None,
    requireClientCertificate: bool = False,
    acceptableProtocols: Sequence[bytes] | None = None,
    *,
    resumption: bool = True,
) -> ServerTLSOptions:
    """Server TLS settings presenting ``certificateChain`` (leaf first).

    :param trustRoot: CA certificate(s) client certificates must chain to;
        with it a client certificate is requested and checked if presented.
    :param requireClientCertificate: refuse clients without a valid
        certificate (the system store is used when ``trustRoot`` is None).
    :param acceptableProtocols: ALPN protocol names this server speaks, best
        first; the first one the client also offers is chosen.
    :param resumption: issue session tickets so that clients can resume
        (the default); False saves that work on every full handshake.
    """
    context = SSL.Context(SSL.TLS_SERVER_METHOD)
    context.set_min_proto_version(SSL.TLS1_2_VERSION)
    context.set_options(
        SSL.OP_NO_COMPRESSION
        | SSL.OP_CIPHER_SERVER_PREFERENCE
        | SSL.OP_NO_RENEGOTIATION
    )
    context.set_session_id(b"plait-tcp")
    if not resumption:
        context.set_options(SSL.OP_NO_TICKET)
        context.set_session_cache_mode(SSL.SESS_CACHE_OFF)
    _useIdentity(context, certificateChain, privateKey)
    verifyClients = requireClientCertificate or trustRoot is not None
    if verifyClients:
        roots = _trust(context, trustRoot)
        mode = SSL.VERIFY_PEER
        if requireClientCertificate:
            mode |= SSL.VERIFY_FAIL_IF_NO_PEER_CERT
        context.set_verify(mode)
        for root in roots:
            context.add_client_ca(root)
    if acceptableProtocols:
        context.set_alpn_select_callback(_alpnChooser(acceptableProtocols))
    return ServerTLSOptions(context, verifyClients)
