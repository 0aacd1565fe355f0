"""The marker interface shared by every kind of network address."""

from __future__ import annotations

from zope.interface import Interface


class IAddress(Interface):
    """Marker for a value that names one end of a connection or a socket.

    It declares no methods: providers are plain immutable values.  The
    concrete kinds plait ships (IPv4, IPv6, UNIX socket paths and host
    names) live in :mod:`plait.address`.
    """

    __module__ = "plait.interfaces"
