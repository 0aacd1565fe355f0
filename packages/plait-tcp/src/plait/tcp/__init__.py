"""TCP and TLS for the plait reactor: ports, connectors, transports, endpoints.

Installing plait-tcp gives every ``plait.core.Reactor`` ``listenTCP`` and
``connectTCP`` (and ``listenSSL``/``connectSSL`` with the ``tls`` extra)
through the reactor extension ``TCPExtension``, and the endpoint strings
``tcp:``, ``tcp6:``, ``tls:`` and ``ssl:``.
"""

from ._connector import Connector as Connector
from ._endpoints import TCP4ClientEndpoint as TCP4ClientEndpoint
from ._endpoints import TCP4ServerEndpoint as TCP4ServerEndpoint
from ._endpoints import TCP6ClientEndpoint as TCP6ClientEndpoint
from ._endpoints import TCP6ServerEndpoint as TCP6ServerEndpoint
from ._endpoints import TLSClientEndpoint as TLSClientEndpoint
from ._endpoints import TLSServerEndpoint as TLSServerEndpoint
from ._extension import TCPExtension as TCPExtension
from ._hostname import HostnameEndpoint as HostnameEndpoint
from ._port import Port as Port
from ._tcp import Client as Client
from ._tcp import Server as Server
from ._tcp import TCPTransport as TCPTransport
from ._tlsapi import optionsForClientTLS as optionsForClientTLS
from ._tlsapi import optionsForServerTLS as optionsForServerTLS
from ._tlssupport import tlsAvailable as tlsAvailable

__all__ = [
    "Client",
    "Connector",
    "HostnameEndpoint",
    "Port",
    "Server",
    "TCP4ClientEndpoint",
    "TCP4ServerEndpoint",
    "TCP6ClientEndpoint",
    "TCP6ServerEndpoint",
    "TCPExtension",
    "TCPTransport",
    "TLSClientEndpoint",
    "TLSServerEndpoint",
    "optionsForClientTLS",
    "optionsForServerTLS",
    "tlsAvailable",
]
