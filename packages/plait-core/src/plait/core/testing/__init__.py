"""Fakes for testing code built on plait, and a transport conformance check.

- :class:`MemoryReactor` / :class:`MemoryReactorClock`: a reactor that
  records listen and connect calls instead of opening sockets.
- :class:`StringTransport` / :class:`StringTransportWithDisconnection`:
  a transport that keeps what a protocol writes.
- :class:`Clock`: the hand-driven time of :mod:`plait.core` (the same
  class as ``plait.core.Clock``).
- :func:`loopbackPair`: two protocols talking through memory, moved on by
  ``pump()``.
- :class:`StreamTransportConformance`: test methods that a transport
  distribution inherits to prove its transport behaves.
- :func:`iterateUntil`: run a real reactor until a condition holds, within
  a time bound; :func:`closeReactor`: close it after a test.
"""

from .._task import Clock as Clock
from ._conformance import ConnectedPair as ConnectedPair
from ._conformance import RecordingProtocol as RecordingProtocol
from ._conformance import StreamTransportConformance as StreamTransportConformance
from ._loopback import LoopbackPair as LoopbackPair
from ._loopback import LoopbackTransport as LoopbackTransport
from ._loopback import loopbackPair as loopbackPair
from ._memory import MemoryConnector as MemoryConnector
from ._memory import MemoryPort as MemoryPort
from ._memory import MemoryReactor as MemoryReactor
from ._memory import MemoryReactorClock as MemoryReactorClock
from ._records import SSLClient as SSLClient
from ._records import SSLServer as SSLServer
from ._records import TCPClient as TCPClient
from ._records import TCPServer as TCPServer
from ._records import UDPPort as UDPPort
from ._records import UNIXClient as UNIXClient
from ._records import UNIXServer as UNIXServer
from ._spin import closeReactor as closeReactor
from ._spin import iterateUntil as iterateUntil
from ._transport import ProductionState as ProductionState
from ._transport import StringTransport as StringTransport
from ._transport import (
    StringTransportWithDisconnection as StringTransportWithDisconnection,
)

__all__ = [
    "Clock",
    "ConnectedPair",
    "LoopbackPair",
    "LoopbackTransport",
    "MemoryConnector",
    "MemoryPort",
    "MemoryReactor",
    "MemoryReactorClock",
    "ProductionState",
    "RecordingProtocol",
    "SSLClient",
    "SSLServer",
    "StreamTransportConformance",
    "StringTransport",
    "StringTransportWithDisconnection",
    "TCPClient",
    "TCPServer",
    "UDPPort",
    "UNIXClient",
    "UNIXServer",
    "closeReactor",
    "iterateUntil",
    "loopbackPair",
]
