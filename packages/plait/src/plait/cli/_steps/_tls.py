"""TLS: a verified echo with a throw-away CA, and a client that must refuse
a certificate issued for another name."""

from __future__ import annotations

from typing import Any

from plait.core import connectProtocol
from plait.errors import SSLError
from plait.tcp import (
    TCP4ClientEndpoint,
    TCP4ServerEndpoint,
    TLSClientEndpoint,
    TLSServerEndpoint,
    optionsForClientTLS,
    optionsForServerTLS,
)

from .._certs import makeDemoCertificates
from .._checker import EchoChecker
from .._echo import echoFactory
from . import DemoSettings


async def run(reactor: Any, settings: DemoSettings) -> str:
    """Echo over TLS verified for 'localhost'; a wrong name must fail."""
    certs = makeDemoCertificates("localhost")
    server = optionsForServerTLS(
        certs.serverCertificate, certs.serverKey, acceptableProtocols=[b"demo/1"]
    )
    port = await TLSServerEndpoint(
        TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1"), server
    ).listen(echoFactory())
    checker = EchoChecker(settings.messages, 1024)
    refused = EchoChecker(1, 16)
    try:
        tcp = TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port)
        client = optionsForClientTLS(
            "localhost", trustRoot=certs.caCertificate, acceptableProtocols=[b"demo/1"]
        )
        await connectProtocol(TLSClientEndpoint(tcp, client), checker)
        transport: Any = checker.transport
        version, alpn = transport.tlsVersion, transport.negotiatedProtocol
        received = await checker.done
        wrong = optionsForClientTLS("plait.invalid", trustRoot=certs.caCertificate)
        try:
            await connectProtocol(TLSClientEndpoint(tcp, wrong), refused)
            await refused.done
        except SSLError:
            pass
        else:
            raise RuntimeError("a client expecting another hostname was not refused")
    finally:
        checker.abandon()
        refused.abandon()
        await port.stopListening()
    return (
        f"{received:,} bytes echoed over {version}, ALPN"
        f" {alpn.decode() if alpn else 'none'}, certificate verified for"
        " 'localhost'; a client expecting 'plait.invalid' was refused"
    )
