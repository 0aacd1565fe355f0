"""Endpoint description strings: ``tcp:``, ``tcp6:``, ``tls:`` and ``ssl:``.

Registered under the ``plait.endpoints`` entry point group. Each name there
is a class whose methods also work on the class itself, so the registry may
use the class or an instance of it.

Server strings::

    tcp:8080                        tcp:port=8080:interface=127.0.0.1:backlog=50
    tcp6:port=8080:interface=\\:\\:1
    tls:443:certKey=server.pem      (certKey holds the chain, leaf first)
    tls:port=443:certKey=chain.pem:privateKey=key.pem:extraCertChain=ca.pem

Client strings::

    tcp:host=example.com:port=80:timeout=10:bindAddress=127.0.0.1
    tcp:example.com:80
    tls:example.com:443:trustRoots=/etc/my-ca/:certificate=me.pem:privateKey=me.key

A ``tls:`` client connects with HostnameEndpoint, verifies the server for
the host name given, and trusts the system store unless ``trustRoots``
names a PEM file or a directory of ``.pem``/``.crt`` files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zope.interface import implementer, provider

from plait.errors import MissingCapability
from plait.interfaces import (
    IStreamClientEndpointStringParser,
    IStreamServerEndpointStringParser,
)

from ._endpoints import (
    TCP4ClientEndpoint,
    TCP4ServerEndpoint,
    TCP6ClientEndpoint,
    TCP6ServerEndpoint,
    TLSClientEndpoint,
    TLSServerEndpoint,
)
from ._hostname import HostnameEndpoint
from ._tlssupport import TLS_EXTRA, tlsAvailable

__all__ = ["SSLParser", "TCP4Parser", "TCP6Parser", "TLSParser"]

_Both = (IStreamServerEndpointStringParser, IStreamClientEndpointStringParser)


def _needTLS(method: str) -> None:
    if not tlsAvailable():
        raise MissingCapability(method, TLS_EXTRA)


def _int(name: str, value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise ValueError(f"{name} must be an integer, not {value!r}") from None


def _timeout(value: object) -> float | None:
    text = str(value)
    if text.lower() in ("", "none", "0"):
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"timeout must be a number, not {value!r}") from None


def _bindAddress(value: object) -> tuple[str, int] | None:
    """``host``, ``host:port`` or ``[v6]:port`` (a bare IPv6 literal too)."""
    text = str(value)
    if not text:
        return None
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, _int("bindAddress port", rest.lstrip(":") or 0)
    if text.count(":") == 1:
        host, port = text.split(":")
        return host, _int("bindAddress port", port)
    return text, 0


def _server(
    args: tuple[Any, ...], kwargs: dict[str, Any], defaultInterface: str
) -> tuple[int, int, str, dict[str, Any]]:
    kwargs = dict(kwargs)
    if args:
        if len(args) > 1:
            raise TypeError(f"unexpected positional arguments: {args[1:]!r}")
        kwargs.setdefault("port", args[0])
    if "port" not in kwargs:
        raise TypeError("a server endpoint needs a port")
    port = _int("port", kwargs.pop("port"))
    backlog = _int("backlog", kwargs.pop("backlog", 50))
    interface = str(kwargs.pop("interface", defaultInterface))
    return port, backlog, interface, kwargs


def _client(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    kwargs = dict(kwargs)
    names = ["host", "port"]
    if len(args) == 1 and "host" in kwargs:
        names = ["port"]
    if len(args) > len(names):
        raise TypeError(f"unexpected positional arguments: {args!r}")
    for name, value in zip(names[: len(args)], args, strict=True):
        if name in kwargs:
            raise TypeError(f"{name} given twice")
        kwargs[name] = value
    for name in ("host", "port"):
        if name not in kwargs:
            raise TypeError(f"a client endpoint needs a {name}")
    kwargs["port"] = _int("port", kwargs["port"])
    kwargs["timeout"] = _timeout(kwargs.get("timeout", 30))
    kwargs["bindAddress"] = _bindAddress(kwargs.get("bindAddress", ""))
    return kwargs


def _refuseExtra(kwargs: dict[str, Any]) -> None:
    if kwargs:
        raise TypeError(f"unknown endpoint arguments: {', '.join(sorted(kwargs))}")


@implementer(*_Both)
@provider(*_Both)
class TCP4Parser:
    """``tcp:`` descriptions: IPv4 servers, clients by host name or address."""

    prefix = "tcp"
    defaultInterface = ""

    @classmethod
    def parseStreamServer(cls, reactor: Any, *args: Any, **kwargs: Any) -> Any:
        """A TCP server endpoint from ``port``, ``interface`` and ``backlog``."""
        port, backlog, interface, rest = _server(args, kwargs, cls.defaultInterface)
        _refuseExtra(rest)
        server = TCP6ServerEndpoint if cls.prefix == "tcp6" else TCP4ServerEndpoint
        return server(reactor, port, backlog, interface)

    @classmethod
    def parseStreamClient(cls, reactor: Any, *args: Any, **kwargs: Any) -> Any:
        """A TCP client endpoint: ``host``, ``port``, ``timeout``, ``bindAddress``."""
        opts = _client(args, kwargs)
        client = TCP6ClientEndpoint if cls.prefix == "tcp6" else TCP4ClientEndpoint
        host, port = opts.pop("host"), opts.pop("port")
        timeout, bind = opts.pop("timeout"), opts.pop("bindAddress")
        _refuseExtra(opts)
        return client(reactor, host, port, timeout, bind)


@provider(*_Both)
class TCP6Parser(TCP4Parser):
    """``tcp6:`` descriptions: like ``tcp:`` over IPv6 (servers on ``::``)."""

    prefix = "tcp6"
    defaultInterface = "::"


def _pemFiles(path: str) -> list[Path]:
    p = Path(path)
    if p.is_dir():
        return sorted(
            f for f in p.iterdir() if f.suffix in (".pem", ".crt") and f.is_file()
        )
    return [p]


@implementer(*_Both)
@provider(*_Both)
class TLSParser:
    """``tls:`` descriptions: TLS servers over TCP, verified TLS clients."""

    prefix = "tls"

    @classmethod
    def parseStreamServer(cls, reactor: Any, *args: Any, **kwargs: Any) -> Any:
        """A TLS server endpoint; ``certKey`` is required."""
        _needTLS("parseStreamServer")
        from ._tls_options import loadCertificates, optionsForServerTLS

        port, backlog, interface, rest = _server(args, kwargs, "")
        certKey = rest.pop("certKey", None)
        if certKey is None:
            raise TypeError("a TLS server endpoint needs certKey=<PEM file>")
        privateKey = rest.pop("privateKey", certKey)
        chain = loadCertificates(Path(certKey))
        extra = rest.pop("extraCertChain", None)
        if extra is not None:
            chain += loadCertificates(Path(extra))
        _refuseExtra(rest)
        options = optionsForServerTLS(chain, Path(privateKey))
        tcp = TCP4ServerEndpoint(reactor, port, backlog, interface)
        return TLSServerEndpoint(tcp, options)

    @classmethod
    def parseStreamClient(cls, reactor: Any, *args: Any, **kwargs: Any) -> Any:
        """A TLS client endpoint verifying ``host``."""
        _needTLS("parseStreamClient")
        from ._tls_options import loadCertificates, optionsForClientTLS

        opts = _client(args, kwargs)
        host, port = str(opts.pop("host")), opts.pop("port")
        timeout, bind = opts.pop("timeout"), opts.pop("bindAddress")
        roots = opts.pop("trustRoots", None) or opts.pop("caCertsDir", None)
        trust = None
        if roots is not None:
            trust = [c for f in _pemFiles(roots) for c in loadCertificates(f)]
        certificate = opts.pop("certificate", None) or opts.pop("certKey", None)
        privateKey = opts.pop("privateKey", certificate)
        _refuseExtra(opts)
        identity = None
        if certificate is not None:
            identity = (Path(certificate), Path(privateKey))
        options = optionsForClientTLS(host, trustRoot=trust, clientCertificate=identity)
        tcp = HostnameEndpoint(reactor, host, port, timeout, bind)
        return TLSClientEndpoint(tcp, options)


@provider(*_Both)
class SSLParser(TLSParser):
    """``ssl:`` descriptions: the same as ``tls:``."""

    prefix = "ssl"
