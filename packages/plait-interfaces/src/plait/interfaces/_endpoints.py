"""Interfaces of endpoints and of the parsers of endpoint description strings.

An endpoint bundles where and how to listen or connect (``tcp:80``,
``unix:/run/app.sock``) so that application code only hands it a factory.
Parsers turn such strings into endpoints; distributions register theirs
under the entry-point group ``plait.endpoints``.
"""

from __future__ import annotations

from typing import Any

from zope.interface import Attribute, Interface

from ._protocols import IProtocolFactory


class IStreamClientEndpoint(Interface):
    """A place a client protocol factory can connect to, e.g. a TCP host and port."""

    __module__ = "plait.interfaces"

    def connect(protocolFactory: IProtocolFactory) -> Any:
        """Open one connection and attach a protocol built by *protocolFactory*.

        :param protocolFactory: builds the protocol for the connection.
        :returns: a :class:`plait.core.Deferred` firing with the connected
            :class:`IProtocol`.  Cancelling it abandons the attempt.
        :raises plait.errors.ConnectError: (or a subclass) through the
            errback when the connection cannot be made.
        """


class IStreamServerEndpoint(Interface):
    """A place a server protocol factory can listen for connections."""

    __module__ = "plait.interfaces"

    def listen(protocolFactory: IProtocolFactory) -> Any:
        """Start listening, building protocols with *protocolFactory*.

        :param protocolFactory: builds one protocol per accepted connection.
        :returns: a :class:`plait.core.Deferred` firing with the
            :class:`IListeningPort`.
        :raises plait.errors.CannotListenError: through the errback when
            listening is impossible.
        """


class IStreamClientEndpointStringParser(Interface):
    """Makes client endpoints from description strings of one kind.

    ``plait.core.clientFromString`` splits a description such as
    ``"tcp:example.com:80:timeout=5"`` at its first colon, finds the parser
    whose :attr:`prefix` is the part before it (here ``"tcp"``) and calls
    :meth:`parseStreamClient` with the rest, split and unquoted.
    """

    __module__ = "plait.interfaces"

    prefix = Attribute(
        "The str naming the kind of endpoint this parser handles, the part "
        "of a description before its first colon, such as 'tcp'."
    )

    def parseStreamClient(
        reactor: Any, *args: Any, **kwargs: Any
    ) -> IStreamClientEndpoint:
        """Build a client endpoint from the fields of a description.

        For ``"kind:a:b:key=v"`` the call is
        ``parseStreamClient(reactor, "a", "b", key="v")``; every value is a
        ``str`` (see ``plait.core.quoteStringArgument`` for escaping).

        :param reactor: the reactor the endpoint will use.
        :param args: the positional fields, in order.
        :param kwargs: the ``key=value`` fields.
        :returns: the endpoint.
        :raises ValueError: when the fields do not describe a valid
            endpoint of this kind.
        """


class IStreamServerEndpointStringParser(Interface):
    """Makes server endpoints from description strings of one kind.

    The server counterpart of :class:`IStreamClientEndpointStringParser`,
    used by ``plait.core.serverFromString``.
    """

    __module__ = "plait.interfaces"

    prefix = Attribute(
        "The str naming the kind of endpoint this parser handles, as for "
        "client parsers."
    )

    def parseStreamServer(
        reactor: Any, *args: Any, **kwargs: Any
    ) -> IStreamServerEndpoint:
        """Build a server endpoint from the fields of a description.

        Fields are passed as for
        :meth:`IStreamClientEndpointStringParser.parseStreamClient`.

        :param reactor: the reactor the endpoint will use.
        :param args: the positional fields, in order.
        :param kwargs: the ``key=value`` fields.
        :returns: the endpoint.
        :raises ValueError: when the fields do not describe a valid
            endpoint of this kind.
        """
