"""The reactor extension: what it provides and how missing TLS is reported."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from plait.core import Reactor
from plait.errors import MissingCapability
from plait.interfaces import IReactorSSL, IReactorTCP
from plait.tcp import TCPExtension, optionsForClientTLS, optionsForServerTLS
from plait.tcp._tlssupport import tlsAvailable


def test_extension_shape() -> None:
    """The extension lists its interfaces and has one method per interface method."""
    ext = TCPExtension(object(), tls=True)
    assert ext.interfaces == (IReactorTCP, IReactorSSL)
    assert ext.missing == {}
    for name in ("listenTCP", "connectTCP", "listenSSL", "connectSSL"):
        assert callable(getattr(ext, name))


def test_explicit_extension(explicitReactor: Any) -> None:
    """extensions=[TCPExtension] gives a reactor TCP (and TLS with the extra)."""
    assert IReactorTCP.providedBy(explicitReactor)
    assert IReactorSSL.providedBy(explicitReactor) == tlsAvailable()


def test_discovered_extension(reactor: Any) -> None:
    """The installed entry point adds TCP to a reactor built without a list."""
    assert IReactorTCP.providedBy(reactor)
    assert callable(reactor.listenTCP)


def test_listen_ssl_without_tls_is_a_missing_capability() -> None:
    """Without the tls extra, listenSSL/connectSSL raise MissingCapability."""
    r = Reactor(extensions=[functools.partial(TCPExtension, tls=False)])
    try:
        provided = (IReactorTCP.providedBy(r), IReactorSSL.providedBy(r))
        assert provided == (True, False)
        assert not hasattr(r, "listenSSL")
        with pytest.raises(MissingCapability) as info:
            r.listenSSL(0, None, None)
        assert "plait-tcp[tls]" in str(info.value)
        assert "listenSSL()" in str(info.value)
        with pytest.raises(MissingCapability):
            r.connectSSL("127.0.0.1", 1, None, None)
    finally:
        r.close()


def test_no_tcp_without_the_extension() -> None:
    """A reactor without the extension names plait-tcp for listenTCP."""
    r = Reactor(extensions=[])
    try:
        with pytest.raises(MissingCapability, match="plait-tcp"):
            r.listenTCP(0, None)
    finally:
        r.close()


def test_options_without_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    """The TLS option builders raise MissingCapability when the extra is missing."""
    import plait.tcp._tlsapi as api

    monkeypatch.setattr(api, "tlsAvailable", lambda: False)
    with pytest.raises(MissingCapability, match=r"plait-tcp\[tls\]"):
        optionsForClientTLS("example.test")
    with pytest.raises(MissingCapability, match=r"plait-tcp\[tls\]"):
        optionsForServerTLS(b"", b"")


def test_detection_follows_the_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """With tls=None the extension asks whether the TLS stack imports."""
    import plait.tcp._extension as extension

    monkeypatch.setattr(extension, "tlsAvailable", lambda: False)
    ext = TCPExtension(object())
    assert ext.tls is False
    assert set(ext.missing) == {"listenSSL", "connectSSL"}


def test_tls_endpoint_strings_without_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    """tls:/ssl: descriptions raise MissingCapability naming the extra."""
    import plait.tcp._parsers as parsers
    from plait.core import clientFromString, serverFromString

    monkeypatch.setattr(parsers, "tlsAvailable", lambda: False)
    with pytest.raises(MissingCapability, match=r"plait-tcp\[tls\]"):
        serverFromString(object(), "tls:8443:certKey=server.pem")
    with pytest.raises(MissingCapability, match=r"plait-tcp\[tls\]"):
        clientFromString(object(), "ssl:example.test:443")


def test_tcp_transports_offer_start_tls_with_the_extra(reactor: Any) -> None:
    """TCP transports provide ITLSTransport exactly when the tls extra is installed."""
    from plait.interfaces import ITLSTransport
    from plait.tcp._tcp import TCPTransport

    assert ITLSTransport.implementedBy(TCPTransport) == tlsAvailable()
