"""The reactor extension of plait-tcp: IReactorTCP, and IReactorSSL with TLS.

The reactor finds ``TCPExtension`` through the ``plait.reactor`` entry
point and calls it with itself. IReactorSSL needs the ``tls`` extra
(pyOpenSSL, service-identity, idna); without it the SSL methods are listed
in ``missing`` so the reactor raises MissingCapability naming the extra.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zope.interface.interface import InterfaceClass

from plait.interfaces import IReactorSSL, IReactorTCP

from ._connector import Connector
from ._port import Port
from ._tcp import declareTLS
from ._tlssupport import TLS_EXTRA, tlsAvailable

__all__ = ["TCPExtension"]


class TCPExtension:
    """Gives a reactor ``listenTCP``/``connectTCP`` and, with TLS, the SSL pair.

    :param tls: force TLS on or off (tests); ``None`` detects the extra.
    """

    interfaces: tuple[InterfaceClass, ...] = (IReactorTCP, IReactorSSL)
    missing: Mapping[str, str]

    def __init__(self, reactor: Any, tls: bool | None = None) -> None:
        self.reactor = reactor
        self.tls = tlsAvailable() if tls is None else tls
        if self.tls:
            self.missing = {}
            if tls is None:  # found installed, not forced by a test
                declareTLS()
        else:
            self.missing = {"listenSSL": TLS_EXTRA, "connectSSL": TLS_EXTRA}

    # -- IReactorTCP ------------------------------------------------------

    def listenTCP(
        self, port: int, factory: Any, backlog: int = 50, interface: str | bytes = ""
    ) -> Port:
        """Listen on ``interface:port`` (all IPv4 interfaces by default)."""
        p = Port(port, factory, backlog, interface, self.reactor)
        p.startListening()
        return p

    def connectTCP(
        self,
        host: str,
        port: int | str,
        factory: Any,
        timeout: float | None = 30,
        bindAddress: tuple[str, int] | None = None,
    ) -> Connector:
        """Connect ``factory`` to ``host:port``; returns the connector.

        ``port`` may also name a service (``"https"``); an unknown name
        raises ServiceNameUnknownError.
        """
        c = Connector(host, port, factory, timeout, bindAddress, self.reactor)
        c.connect()
        return c

    # -- IReactorSSL ------------------------------------------------------

    def listenSSL(
        self,
        port: int,
        factory: Any,
        contextFactory: Any,
        backlog: int = 50,
        interface: str = "",
    ) -> Port:
        """Listen for TLS connections, with ``contextFactory``'s settings.

        ``contextFactory.getContext()`` is called once here, so that a
        factory that cannot make a context fails this call.
        """
        from ._tls_factory import TLSWrappingFactory

        contextFactory.getContext()
        wrapped = TLSWrappingFactory(factory, contextFactory, isClient=False)
        return self.listenTCP(port, wrapped, backlog, interface)

    def connectSSL(
        self,
        host: str,
        port: int | str,
        factory: Any,
        contextFactory: Any,
        timeout: float | None = 30,
        bindAddress: tuple[str, int] | None = None,
    ) -> Connector:
        """Connect over TLS, with ``contextFactory``'s settings.

        ``contextFactory.getContext()`` is called once here, so that a
        factory that cannot make a context fails this call.
        """
        from ._tls_factory import TLSWrappingFactory

        contextFactory.getContext()
        wrapped = TLSWrappingFactory(factory, contextFactory, isClient=True)
        return self.connectTCP(host, port, wrapped, timeout, bindAddress)
