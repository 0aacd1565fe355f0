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
file, or already loaded ``cryptography`` / pyOpenSSL objects; an identity
(certificate and key) also as one combined PEM (see ``_tls_identity``).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Sequence

import idna
from cryptography import x509
from OpenSSL import SSL, crypto

from ._tls_identity import (
    CertificateSource,
    IdentitySource,
    KeySource,
    loadCertificates,
    loadIdentity,
    loadPrivateKey,
    useIdentity,
)
from ._tls_verify import VerifyRecord

__all__ = [
    "CertificateSource",
    "ClientTLSOptions",
    "IdentitySource",
    "KeySource",
    "ServerTLSOptions",
    "TrustRoot",
    "loadCertificates",
    "loadPrivateKey",
    "optionsForClientTLS",
    "optionsForServerTLS",
]

TrustRoot = CertificateSource | None


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
    roots = loadCertificates(trustRoot, "trustRoot")
    store = context.get_cert_store()
    assert store is not None
    for root in roots:
        store.add_cert(crypto.X509.from_cryptography(root))
    return roots


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
    clientCertificate: IdentitySource | None = None,
    acceptableProtocols: Sequence[bytes] | None = None,
) -> ClientTLSOptions:
    """Client TLS settings that verify ``hostname`` (a name or an IP address).

    :param trustRoot: the CA certificate(s) to trust instead of the system
        store; ``None`` uses the system store.
    :param clientCertificate: the identity to present when the server asks
        for a certificate: one PEM holding the certificate (and its chain)
        and the key, as bytes, text or a path, or a
        ``(certificateChain, privateKey)`` pair.
    :param acceptableProtocols: ALPN protocol names to offer, best first.
    """
    context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    context.set_min_proto_version(SSL.TLS1_2_VERSION)
    context.set_options(SSL.OP_NO_COMPRESSION | SSL.OP_NO_RENEGOTIATION)
    context.set_verify(SSL.VERIFY_PEER)
    _trust(context, trustRoot)
    if clientCertificate is not None:
        chain, key = loadIdentity(clientCertificate, "clientCertificate")
        useIdentity(context, chain, key, "clientCertificate")
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
    privateKey: KeySource | None = None,
    trustRoot: TrustRoot = None,
    requireClientCertificate: bool = False,
    acceptableProtocols: Sequence[bytes] | None = None,
    *,
    resumption: bool = True,
) -> ServerTLSOptions:
    """Server TLS settings presenting ``certificateChain`` (leaf first).

    :param privateKey: the leaf certificate's key; left out, it is read
        from ``certificateChain``, which must then be one PEM holding both.

    :param trustRoot: CA certificate(s) client certificates must chain to;
        with it a client certificate is requested and checked if presented.
    :param requireClientCertificate: refuse clients without a valid
        certificate (the system store is used when ``trustRoot`` is None).
    :param acceptableProtocols: ALPN protocol names this server speaks, best
        first; the first one the client also offers is chosen.
    :param resumption: let clients resume sessions, with stateless tickets
        and a session cache (the default). False turns both off; OpenSSL
        still sends its TLS 1.3 tickets, which can then never be redeemed.
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
    if privateKey is None:
        if not isinstance(certificateChain, (bytes, str, os.PathLike)):
            raise TypeError(
                "privateKey is needed unless certificateChain is one PEM "
                "(bytes, text or a path) holding the certificate and its key"
            )
        chain, key = loadIdentity(certificateChain, "certificateChain")
    else:
        chain = loadCertificates(certificateChain, "certificateChain")
        key = loadPrivateKey(privateKey, "privateKey")
    useIdentity(context, chain, key, "certificateChain")
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
