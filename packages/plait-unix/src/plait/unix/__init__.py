"""UNIX sockets for the plait reactor: stream and datagram sockets, their
transports (descriptor passing, peer credentials), lock files, endpoints.

Installing plait-unix gives every ``plait.core.Reactor`` ``listenUNIX``,
``connectUNIX`` (IReactorUNIX), ``listenUNIXDatagram`` and
``connectUNIXDatagram`` (IReactorUNIXDatagram) through the reactor
extension ``UNIXExtension``, and the endpoint string ``unix:``. The
datagram protocol classes are plait-core's, re-exported here.
"""

from plait.core import ConnectedDatagramProtocol as ConnectedDatagramProtocol
from plait.core import DatagramProtocol as DatagramProtocol

from ._connector import Connector as Connector
from ._credentials import PeerCredentials as PeerCredentials
from ._datagram import ConnectedPort as ConnectedDatagramPort
from ._datagram import Port as DatagramPort
from ._endpoints import UNIXClientEndpoint as UNIXClientEndpoint
from ._endpoints import UNIXServerEndpoint as UNIXServerEndpoint
from ._extension import UNIXExtension as UNIXExtension
from ._interfaces import IFileDescriptorReceiver as IFileDescriptorReceiver
from ._interfaces import IUNIXTransport as IUNIXTransport
from ._paths import SUN_PATH_MAX as SUN_PATH_MAX
from ._port import Port as Port
from ._transport import Client as Client
from ._transport import Server as Server
from ._transport import UNIXTransport as UNIXTransport

__all__ = [
    "SUN_PATH_MAX",
    "Client",
    "ConnectedDatagramPort",
    "ConnectedDatagramProtocol",
    "Connector",
    "DatagramPort",
    "DatagramProtocol",
    "IFileDescriptorReceiver",
    "IUNIXTransport",
    "PeerCredentials",
    "Port",
    "Server",
    "UNIXClientEndpoint",
    "UNIXExtension",
    "UNIXServerEndpoint",
    "UNIXTransport",
]
