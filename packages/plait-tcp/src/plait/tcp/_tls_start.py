"""``startTLS``: turning a live TCP transport into a TLS one in place.

The application keeps the transport object it has. From the call on, that
object's writing and closing methods are the TLS layer's (set as instance
attributes, so plain TCP connections pay nothing for the possibility), and
the TLS layer writes ciphertext through the transport's original methods.
Plaintext written before the call is already in the transport's buffer,
ahead of any ciphertext, so it reaches the peer first.
"""

from __future__ import annotations

from typing import Any

from zope.interface import alsoProvides

from plait.interfaces import ISSLTransport

from ._tls_protocol import TLSTransport, _Gate

__all__ = ["startTLS"]

_TAKEN_OVER = (
    "write",
    "writeSequence",
    "loseConnection",
    "loseWriteConnection",
    "abortConnection",
    "registerProducer",
    "unregisterProducer",
)


class _Below:
    """The transport's own methods, bypassing the TLS layer set over them."""

    def __init__(self, transport: Any) -> None:
        cls = type(transport)
        self._transport = transport
        for name in _TAKEN_OVER:
            setattr(self, name, getattr(cls, name).__get__(transport, cls))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def startTLS(transport: Any, contextFactory: Any) -> None:
    """Layer TLS over ``transport`` mid-stream (see the module comment)."""
    if transport._tls is not None:
        raise RuntimeError("TLS has already been started on this transport")
    isClient = bool(getattr(contextFactory, "isClient", transport.isClientSide))
    tls = TLSTransport(transport.protocol, contextFactory, isClient)
    below = _Below(transport)
    registered = transport.registeredProducer
    transport._tls = tls
    transport.protocol = tls
    for name in _TAKEN_OVER:
        setattr(transport, name, getattr(tls, name))
    if registered is not None:
        # The transport keeps driving that producer directly; the gate lets
        # the TLS layer pause it while the handshake holds plaintext back.
        tls._producer = _Gate(*registered)
    alsoProvides(transport, ISSLTransport)
    tls.attachMidStream(below)
