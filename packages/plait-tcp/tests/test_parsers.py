"""Endpoint description strings for tcp:, tcp6:, tls: and ssl:."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from plait.core import Factory, Protocol, clientFromString, serverFromString
from plait.interfaces import (
    IStreamClientEndpointStringParser,
    IStreamServerEndpointStringParser,
)
from plait.tcp import (
    HostnameEndpoint,
    TCP4ClientEndpoint,
    TCP4ServerEndpoint,
    TCP6ServerEndpoint,
    TLSClientEndpoint,
    TLSServerEndpoint,
)
from plait.tcp._parsers import SSLParser, TCP4Parser, TCP6Parser, TLSParser


class Echo(Protocol):
    """Writes back what it receives."""

    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)


class Recorder(Protocol):
    """Keeps what it receives."""

    def __init__(self) -> None:
        self.data = bytearray()

    def dataReceived(self, data: bytes) -> None:
        self.data += data


def test_parsers_provide_both_interfaces() -> None:
    """Each parser, class or instance, provides both parser interfaces."""
    for parser in (TCP4Parser, TCP6Parser, TLSParser, SSLParser):
        for obj in (parser, parser()):
            provided = [
                IStreamServerEndpointStringParser.providedBy(obj),
                IStreamClientEndpointStringParser.providedBy(obj),
            ]
            assert provided == [True, True]
    assert [p.prefix for p in (TCP4Parser, TCP6Parser, TLSParser, SSLParser)] == [
        "tcp",
        "tcp6",
        "tls",
        "ssl",
    ]


def test_tcp_server_strings(reactor: Any) -> None:
    """tcp: server strings take a positional or keyword port, interface, backlog."""
    e = serverFromString(reactor, "tcp:8080:interface=127.0.0.1:backlog=7")
    assert isinstance(e, TCP4ServerEndpoint)
    assert (e._port, e._interface, e._backlog) == (8080, "127.0.0.1", 7)
    e = serverFromString(reactor, "tcp:port=0")
    assert isinstance(e, TCP4ServerEndpoint) and e._interface == ""
    e = serverFromString(reactor, r"tcp6:port=81:interface=\:\:1")
    assert isinstance(e, TCP6ServerEndpoint) and e._interface == "::1"
    assert serverFromString(reactor, "tcp6:82")._interface == "::"  # type: ignore[attr-defined]


def test_tcp_client_strings(reactor: Any) -> None:
    """tcp: client strings take host, port, timeout and bindAddress."""
    e = clientFromString(
        reactor, r"tcp:host=example.test:port=80:timeout=5:bindAddress=127.0.0.1\:4000"
    )
    assert isinstance(e, TCP4ClientEndpoint)
    assert (e._host, e._port, e._timeout, e._bindAddress) == (
        "example.test",
        80,
        5.0,
        ("127.0.0.1", 4000),
    )
    e = clientFromString(reactor, "tcp:example.test:81")
    assert isinstance(e, TCP4ClientEndpoint) and (e._host, e._port) == (
        "example.test",
        81,
    )
    e = clientFromString(reactor, "tcp:82:host=h.test:bindAddress=127.0.0.1")
    assert isinstance(e, TCP4ClientEndpoint) and e._bindAddress == ("127.0.0.1", 0)


def test_bad_arguments_are_refused(reactor: Any) -> None:
    """Missing, malformed or unknown arguments raise a clear error."""
    with pytest.raises(TypeError, match="port"):
        serverFromString(reactor, "tcp:interface=127.0.0.1")
    with pytest.raises(ValueError, match="port must be an integer"):
        serverFromString(reactor, "tcp:port=http")
    with pytest.raises(TypeError, match="unknown endpoint arguments: colour"):
        serverFromString(reactor, "tcp:80:colour=blue")
    with pytest.raises(TypeError, match="host"):
        clientFromString(reactor, "tcp:port=80")


def test_parsed_endpoints_work(reactor: Any, drive: Any, until: Any) -> None:
    """A port listened on from a string accepts a client built from a string."""
    port = drive(
        reactor,
        serverFromString(reactor, "tcp:0:interface=127.0.0.1").listen(
            Factory.forProtocol(Echo)
        ),
    )
    client = clientFromString(reactor, f"tcp:127.0.0.1:{port.getHost().port}")
    protocol = drive(reactor, client.connect(Factory.forProtocol(Recorder)))
    protocol.transport.write(b"parsed")
    until(reactor, lambda: bytes(protocol.data) == b"parsed")
    protocol.transport.loseConnection()
    drive(reactor, port.stopListening())


def test_tls_strings(
    reactor: Any, drive: Any, until: Any, certs: Any, tmp_path: Path
) -> None:
    """tls:/ssl: strings build working TLS endpoints from PEM files."""
    pytest.importorskip("OpenSSL")
    (tmp_path / "server.pem").write_bytes(certs.serverChain + certs.serverKey)
    (tmp_path / "cas").mkdir()
    (tmp_path / "cas" / "ca.pem").write_bytes(certs.ca)
    server = serverFromString(
        reactor, f"ssl:0:interface=127.0.0.1:certKey={tmp_path / 'server.pem'}"
    )
    assert isinstance(server, TLSServerEndpoint)
    port = drive(reactor, server.listen(Factory.forProtocol(Echo)))
    client = clientFromString(
        reactor, f"tls:localhost:{port.getHost().port}:trustRoots={tmp_path / 'cas'}"
    )
    assert isinstance(client, TLSClientEndpoint)
    assert isinstance(client._wrapped, HostnameEndpoint)
    protocol = drive(reactor, client.connect(Factory.forProtocol(Recorder)))
    protocol.transport.write(b"over tls")
    until(reactor, lambda: bytes(protocol.data) == b"over tls")
    protocol.transport.loseConnection()
    drive(reactor, port.stopListening())


def test_tls_server_needs_a_certificate(reactor: Any) -> None:
    """A tls: server string without certKey is refused."""
    pytest.importorskip("OpenSSL")
    with pytest.raises(TypeError, match="certKey"):
        serverFromString(reactor, "tls:443")
