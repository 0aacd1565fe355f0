"""Multicast UDP for the plait reactor.

Installing plait-multicast gives every ``plait.core.Reactor``
``listenMulticast`` (IReactorMulticast) through the reactor extension
``MulticastExtension``; its ports are plait-udp ports that can also join
groups (IMulticastTransport).
"""

from ._extension import MulticastExtension as MulticastExtension
from ._port import MulticastPort as MulticastPort

__all__ = ["MulticastExtension", "MulticastPort"]
