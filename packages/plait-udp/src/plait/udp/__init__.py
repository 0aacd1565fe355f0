"""UDP for the plait reactor: ports, their transport, and DatagramProtocol.

Installing plait-udp gives every ``plait.core.Reactor`` ``listenUDP``
(IReactorUDP) through the reactor extension ``UDPExtension``. The protocol
classes are plait-core's, re-exported here.
"""

from plait.core import ConnectedDatagramProtocol as ConnectedDatagramProtocol
from plait.core import DatagramProtocol as DatagramProtocol

from ._extension import UDPExtension as UDPExtension
from ._port import Port as Port
from ._port import PortState as PortState

__all__ = [
    "ConnectedDatagramProtocol",
    "DatagramProtocol",
    "Port",
    "PortState",
    "UDPExtension",
]
