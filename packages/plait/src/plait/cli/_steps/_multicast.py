"""Multicast: two members of a group on the loopback interface each hear a
datagram sent to the group once."""

from __future__ import annotations

from typing import Any

from plait.core import Deferred, gatherResults
from plait.errors import CancelledError
from plait.udp import DatagramProtocol

from . import DemoSettings

#: An administratively scoped group: it never leaves the site, and here
#: not even the machine, since every socket uses the loopback interface.
GROUP = "239.255.42.99"
LOOPBACK = "127.0.0.1"
TIMEOUT = 5.0


class _Member(DatagramProtocol):
    def __init__(self) -> None:
        self.heard: Deferred[bytes] = Deferred()

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        if not self.heard.called:
            self.heard.callback(datagram)


async def run(reactor: Any, settings: DemoSettings) -> str:
    """Join a group with two ports sharing one port number, send once."""
    members = [_Member(), _Member()]
    first = reactor.listenMulticast(0, members[0], listenMultiple=True)
    number = first.getHost().port
    ports = [first, reactor.listenMulticast(number, members[1], listenMultiple=True)]
    sender = reactor.listenMulticast(0, DatagramProtocol())
    ports.append(sender)
    heard = gatherResults([m.heard for m in members], consumeErrors=True)
    timeout = reactor.callLater(TIMEOUT, heard.cancel)
    try:
        for port in ports[:2]:
            await port.joinGroup(GROUP, LOOPBACK)
        await sender.setOutgoingInterface(LOOPBACK)
        sender.write(b"hello, group", (GROUP, number))
        try:
            datagrams = await heard
        except CancelledError:
            if timeout.active():
                raise  # stopped from outside, not by the timeout
            raise RuntimeError(
                f"multicast: the group's members heard nothing within {TIMEOUT} s"
            ) from None
    finally:
        if timeout.active():
            timeout.cancel()
        for port in ports:
            await port.stopListening()
    if any(d != b"hello, group" for d in datagrams):
        raise RuntimeError(f"a member heard something else: {datagrams!r}")
    return (
        f"one datagram to {GROUP}:{number} on {LOOPBACK}, heard by"
        f" {len(datagrams)} members sharing the port"
    )
