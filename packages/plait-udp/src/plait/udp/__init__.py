"""UDP for the plait reactor: ports, their transport, and DatagramProtocol.

Installing plait-udp gives every ``plait.core.Reactor`` ``listenUDP``
(IReactorUDP) through the reactor extension ``UDPExtension``.
"""

from ._extension import UDPExtension as UDPExtension
from ._port import Port as Port
from ._port import PortState as PortState
from ._protocol import DatagramProtocol as DatagramProtocol

__all__ = ["DatagramProtocol", "Port", "PortState", "UDPExtension"]
