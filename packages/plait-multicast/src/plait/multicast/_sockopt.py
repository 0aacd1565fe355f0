"""Kernel switches that make a multicast socket hear only its own groups.

Linux delivers a datagram sent to any group that *some* socket on the host
joined to every socket bound to the matching port with a wildcard address,
unless ``IP_MULTICAST_ALL`` (and ``IPV6_MULTICAST_ALL`` since Linux 4.20)
is turned off. Two ports sharing a number with ``listenMultiple`` would
otherwise hear each other's groups. Python's ``socket`` module does not
name these options, so their values from ``<linux/in.h>`` and
``<linux/in6.h>`` are here; the BSDs and macOS already filter by membership
and need nothing.
"""

from __future__ import annotations

import socket
import sys

__all__ = ["hearOnlyJoinedGroups"]

if sys.platform == "linux":
    _IP_MULTICAST_ALL = getattr(socket, "IP_MULTICAST_ALL", 49)
    _IPV6_MULTICAST_ALL = getattr(socket, "IPV6_MULTICAST_ALL", 29)

    def hearOnlyJoinedGroups(sock: socket.socket) -> None:
        """Turn off delivery of groups this socket did not join."""
        options = [(socket.IPPROTO_IP, _IP_MULTICAST_ALL)]
        if sock.family == socket.AF_INET6:
            # A dual-stack socket can hear IPv4 groups too: both switches.
            options.append((socket.IPPROTO_IPV6, _IPV6_MULTICAST_ALL))
        for level, option in options:
            try:
                sock.setsockopt(level, option, 0)
            except OSError:  # noqa: PERF203
                pass  # a kernel too old for the switch: nothing to turn off

else:

    def hearOnlyJoinedGroups(sock: socket.socket) -> None:
        """Membership already filters delivery here: nothing to do."""
