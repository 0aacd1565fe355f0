"""The public TLS option builders, importable without the ``tls`` extra.

``plait.tcp`` must import on a machine without pyOpenSSL; these wrappers
load the TLS modules on first use and raise MissingCapability (naming
``plait-tcp[tls]``) when the extra is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from plait.errors import MissingCapability

from ._tlssupport import TLS_EXTRA, tlsAvailable

if TYPE_CHECKING:
    from ._tls_options import ClientTLSOptions, ServerTLSOptions

__all__ = ["optionsForClientTLS", "optionsForServerTLS"]


def optionsForClientTLS(
    hostname: str,
    trustRoot: Any = None,
    clientCertificate: Any = None,
    acceptableProtocols: Sequence[bytes] | None = None,
) -> ClientTLSOptions:
    """TLS client settings verifying ``hostname`` (a name or an IP address).

    ``trustRoot``: CA certificate(s) to trust instead of the system store
    (PEM bytes or text, a path, or certificate objects). ``clientCertificate``:
    the identity to present when asked, as one PEM holding certificate and
    key (bytes, text or a path) or a ``(certificateChain, privateKey)`` pair.
    ``acceptableProtocols``: ALPN names to offer, best first. TLS 1.2 is the
    minimum; the server's certificate chain and name are always checked.
    """
    if not tlsAvailable():
        raise MissingCapability("optionsForClientTLS", TLS_EXTRA)
    from ._tls_options import optionsForClientTLS as build

    return build(hostname, trustRoot, clientCertificate, acceptableProtocols)


def optionsForServerTLS(
    certificateChain: Any,
    privateKey: Any = None,
    trustRoot: Any = None,
    requireClientCertificate: bool = False,
    acceptableProtocols: Sequence[bytes] | None = None,
    *,
    resumption: bool = True,
) -> ServerTLSOptions:
    """TLS server settings presenting ``certificateChain`` (leaf first).

    ``privateKey`` may be left out when ``certificateChain`` is one PEM
    (bytes, text or a path) holding the certificates and the key.

    ``trustRoot`` makes the server ask for client certificates and check
    them against it; ``requireClientCertificate`` refuses clients without
    one. ``acceptableProtocols``: ALPN names served, best first.
    ``resumption=False`` turns stateless tickets and the session cache
    off, so no client can resume a session and each full handshake costs a
    little less (OpenSSL still sends TLS 1.3 tickets, which can then never
    be redeemed).
    """
    if not tlsAvailable():
        raise MissingCapability("optionsForServerTLS", TLS_EXTRA)
    from ._tls_options import optionsForServerTLS as build

    return build(
        certificateChain,
        privateKey,
        trustRoot,
        requireClientCertificate,
        acceptableProtocols,
        resumption=resumption,
    )
