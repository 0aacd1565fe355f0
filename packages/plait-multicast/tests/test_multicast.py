"""Multicast ports over the loopback interface: groups, options, errors."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from zope.interface.verify import verifyObject

from plait.core import Deferred, Failure
from plait.core.testing import iterateUntil
from plait.errors import CannotListenError, MulticastJoinError
from plait.interfaces import IListeningPort, IMulticastTransport, IReactorMulticast
from plait.multicast import MulticastExtension, MulticastPort
from plait.udp import DatagramProtocol

GROUP = "225.0.0.250"
LOOPBACK = "127.0.0.1"


class Recorder(DatagramProtocol):
    """Keeps every datagram with its sender."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, Any]] = []

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        self.received.append((datagram, addr))


def result(d: Deferred[Any]) -> Any:
    """The result of a Deferred that has fired already (raise its error)."""
    box: list[Any] = []
    d.addBoth(box.append)
    assert box, "the Deferred has not fired"
    if isinstance(box[0], Failure):
        box[0].raiseException()
    return box[0]


def member(reactor: Any, protocol: Any, **kw: Any) -> Any:
    """A port that joined GROUP on the loopback interface."""
    port = reactor.listenMulticast(0, protocol, **kw)
    assert result(port.joinGroup(GROUP, LOOPBACK)) == 1
    return port


def sender(reactor: Any) -> Any:
    """A port whose datagrams to groups leave through the loopback interface."""
    port = reactor.listenMulticast(0, Recorder())
    assert result(port.setOutgoingInterface(LOOPBACK)) == 1
    return port


def test_reactor_provides_multicast(reactor: Any) -> None:
    """With plait-multicast installed a reactor provides IReactorMulticast."""
    assert IReactorMulticast.providedBy(reactor)
    assert MulticastExtension.interfaces == (IReactorMulticast,)


def test_port_provides_its_interfaces(reactor: Any) -> None:
    """listenMulticast returns a port that is a multicast UDP transport."""
    port = reactor.listenMulticast(0, Recorder())
    assert isinstance(port, MulticastPort)
    assert verifyObject(IMulticastTransport, port)
    assert verifyObject(IListeningPort, port)


def test_a_member_receives_what_is_sent_to_the_group(reactor: Any) -> None:
    """A datagram sent to a group reaches a port that joined it."""
    protocol = Recorder()
    port = member(reactor, protocol)
    out = sender(reactor)
    out.write(b"to all", (GROUP, port.getHost().port))
    iterateUntil(reactor, lambda: protocol.received)
    assert protocol.received[0] == (b"to all", (LOOPBACK, out.getHost().port))


def test_after_leaving_nothing_more_arrives(reactor: Any) -> None:
    """Once a port left the group, datagrams to it no longer arrive there."""
    protocol = Recorder()
    port = member(reactor, protocol)
    assert result(port.leaveGroup(GROUP, LOOPBACK)) == 1
    out = sender(reactor)
    out.write(b"gone", (GROUP, port.getHost().port))
    # A datagram to the port itself proves the path works, and comes after.
    out.write(b"direct", (LOOPBACK, port.getHost().port))
    iterateUntil(reactor, lambda: protocol.received)
    assert [d for d, _ in protocol.received] == [b"direct"]


def test_listen_multiple_gives_each_socket_a_copy(reactor: Any) -> None:
    """With listenMultiple two ports share one number; both get the datagram."""
    first, second = Recorder(), Recorder()
    a = member(reactor, first, listenMultiple=True)
    b = reactor.listenMulticast(a.getHost().port, second, listenMultiple=True)
    assert result(b.joinGroup(GROUP, LOOPBACK)) == 1
    sender(reactor).write(b"both", (GROUP, a.getHost().port))
    iterateUntil(reactor, lambda: first.received and second.received)
    assert first.received[0][0] == second.received[0][0] == b"both"


def test_a_port_hears_only_the_groups_it_joined(reactor: Any) -> None:
    """Two ports share a number; each joined its own group and hears only it."""
    other_group = "225.0.0.251"
    first, second = Recorder(), Recorder()
    a = member(reactor, first, listenMultiple=True)
    b = reactor.listenMulticast(a.getHost().port, second, listenMultiple=True)
    assert result(b.joinGroup(other_group, LOOPBACK)) == 1
    out = sender(reactor)
    # Sent first, so that a leak would have arrived before A's own datagram.
    out.write(b"for B", (other_group, a.getHost().port))
    out.write(b"for A", (GROUP, a.getHost().port))
    iterateUntil(reactor, lambda: first.received and second.received)
    out.write(b"for A again", (GROUP, a.getHost().port))
    iterateUntil(reactor, lambda: len(first.received) == 2)
    assert [d for d, _ in first.received] == [b"for A", b"for A again"]
    assert [d for d, _ in second.received] == [b"for B"]


def test_without_listen_multiple_the_port_is_taken(reactor: Any) -> None:
    """A second port on the same number without listenMultiple cannot listen."""
    a = reactor.listenMulticast(0, Recorder(), listenMultiple=True)
    with pytest.raises(CannotListenError):
        reactor.listenMulticast(a.getHost().port, Recorder())


def test_loopback_mode(reactor: Any) -> None:
    """Loopback mode is on at first and follows setLoopbackMode.

    (Whether it stops delivery cannot be seen here: a datagram sent out
    through the loopback interface comes back in through it either way.)
    """
    port = reactor.listenMulticast(0, Recorder())
    assert port.getLoopbackMode() is True
    port.setLoopbackMode(False)
    assert port.getLoopbackMode() is False
    assert port.getHandle().getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP) == 0
    port.setLoopbackMode(True)
    assert port.getLoopbackMode() is True


def test_ttl(reactor: Any) -> None:
    """The TTL is 1 at first and can be set between 0 and 255."""
    port = reactor.listenMulticast(0, Recorder())
    assert port.getTTL() == 1
    port.setTTL(8)
    assert port.getTTL() == 8
    with pytest.raises(ValueError, match="between 0 and 255"):
        port.setTTL(256)
    with pytest.raises(TypeError):
        port.setTTL("8")


def test_outgoing_interface(reactor: Any) -> None:
    """The outgoing interface is the kernel's choice until one is set."""
    port = reactor.listenMulticast(0, Recorder())
    assert port.getOutgoingInterface() == "0.0.0.0"
    assert result(port.setOutgoingInterface(LOOPBACK)) == 1
    assert port.getOutgoingInterface() == LOOPBACK


def test_outgoing_interface_by_name_resolves(reactor: Any) -> None:
    """setOutgoingInterface accepts a host name and resolves it first."""
    port = reactor.listenMulticast(0, Recorder())
    done: list[Any] = []
    port.setOutgoingInterface("localhost").addBoth(done.append)
    iterateUntil(reactor, lambda: done)
    assert done == [1]
    assert port.getOutgoingInterface() == LOOPBACK


@pytest.mark.parametrize("group", ["127.0.0.1", "10.0.0.1"])
def test_joining_what_is_not_a_group_fails(reactor: Any, group: str) -> None:
    """joinGroup of a unicast address fails its Deferred with MulticastJoinError."""
    port = reactor.listenMulticast(0, Recorder())
    done: list[Any] = []
    port.joinGroup(group, LOOPBACK).addBoth(done.append)
    iterateUntil(reactor, lambda: done)
    assert isinstance(done[0], Failure)
    assert done[0].check(MulticastJoinError)


def test_join_error_names_the_group(reactor: Any) -> None:
    """MulticastJoinError carries the group and the system's reason."""
    port = reactor.listenMulticast(0, Recorder())
    with pytest.raises(MulticastJoinError) as info:
        result(port.joinGroup("127.0.0.1", LOOPBACK))
    assert "127.0.0.1" in str(info.value)


def test_leaving_a_group_never_joined_fails(reactor: Any) -> None:
    """leaveGroup of a group this port is not in fails with MulticastJoinError."""
    port = reactor.listenMulticast(0, Recorder())
    with pytest.raises(MulticastJoinError):
        result(port.leaveGroup(GROUP, LOOPBACK))


def test_ipv6_port_options_and_membership(reactor: Any) -> None:
    """An IPv6 port joins a group on an interface given by name, and has
    its own hop limit and loopback switches."""
    try:
        port = reactor.listenMulticast(0, Recorder(), interface="::")
    except CannotListenError as e:
        pytest.skip(f"IPv6 cannot be bound here: {e}")
    assert result(port.joinGroup("ff02::1:3", "lo")) == 1
    assert result(port.leaveGroup("ff02::1:3", "lo")) == 1
    port.setTTL(5)
    assert port.getTTL() == 5
    port.setLoopbackMode(False)
    assert port.getLoopbackMode() is False
    assert result(port.setOutgoingInterface("lo")) == 1
    assert port.getOutgoingInterface() == socket.if_nametoindex("lo")
    with pytest.raises(MulticastJoinError, match="no network interface"):
        result(port.joinGroup("ff02::1:3", "no-such-interface0"))


_IPV6_ROUND_TRIP = """
from plait.core import Reactor
from plait.core.testing import iterateUntil
from plait.udp import DatagramProtocol

class Recorder(DatagramProtocol):
    def __init__(self):
        self.received = []
    def datagramReceived(self, datagram, addr):
        self.received.append(datagram)

reactor = Reactor()
listener = Recorder()
port = reactor.listenMulticast(0, listener, interface="::")
port.joinGroup("ff02::1:3", "v0")
out = reactor.listenMulticast(0, Recorder(), interface="::")
out.setOutgoingInterface("v0")
out.write(b"to the group", ("ff02::1:3", port.getHost().port))
iterateUntil(reactor, lambda: listener.received)
print(listener.received[0].decode())
"""


def test_ipv6_group_round_trip_in_a_private_network() -> None:
    """In a network namespace of its own, with a pair of virtual links, a
    datagram sent to an IPv6 group reaches a member; no traffic leaves it."""
    import os
    import shutil
    import subprocess
    import sys

    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        pytest.skip("needs root, unshare and ip for a private network namespace")
    setUp = (
        "ip link add v0 type veth peer name v1 && ip link set v0 up && "
        "ip link set v1 up && ip -6 addr add fe80::1/64 dev v0 nodad && "
        'exec "$0" -c "$1"'
    )
    done = subprocess.run(
        ["unshare", "--net", "sh", "-c", setUp, sys.executable, _IPV6_ROUND_TRIP],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0 and "Traceback" not in done.stderr:
        pytest.skip(
            f"no private network with virtual links here: {done.stderr.strip()}"
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "to the group"


def test_interface_given_by_name_is_resolved(reactor: Any) -> None:
    """joinGroup resolves a host name given as the interface (localhost here)."""
    protocol = Recorder()
    port = reactor.listenMulticast(0, protocol)
    done: list[Any] = []
    port.joinGroup(GROUP, "localhost").addBoth(done.append)
    iterateUntil(reactor, lambda: done)
    assert done == [1]
    sender(reactor).write(b"by name", (GROUP, port.getHost().port))
    iterateUntil(reactor, lambda: protocol.received)
    assert protocol.received[0][0] == b"by name"


def test_empty_outgoing_interface_lets_the_kernel_choose(reactor: Any) -> None:
    """setOutgoingInterface("") goes back to the kernel's choice, 0.0.0.0."""
    port = sender(reactor)
    assert result(port.setOutgoingInterface("")) == 1
    assert port.getOutgoingInterface() == "0.0.0.0"


def test_bytes_groups_and_interfaces(reactor: Any) -> None:
    """A group and an interface given as ASCII bytes work like text."""
    port = reactor.listenMulticast(0, Recorder())
    assert result(port.joinGroup(GROUP.encode(), LOOPBACK.encode())) == 1
    assert result(port.leaveGroup(GROUP.encode(), LOOPBACK.encode())) == 1


def test_a_group_that_is_not_text_fails_the_deferred(reactor: Any) -> None:
    """joinGroup with a number for the group fails with MulticastJoinError."""
    port = reactor.listenMulticast(0, Recorder())
    with pytest.raises(MulticastJoinError, match="address or a name"):
        result(port.joinGroup(225, LOOPBACK))


def test_failed_leave_says_leaving(reactor: Any) -> None:
    """The error of a failed leaveGroup names the leave and the group."""
    port = reactor.listenMulticast(0, Recorder())
    with pytest.raises(MulticastJoinError, match=f"leaving {GROUP}"):
        result(port.leaveGroup(GROUP, LOOPBACK))


def test_group_name_that_does_not_resolve_is_a_join_error(reactor: Any) -> None:
    """A group name that cannot be resolved fails joinGroup with
    MulticastJoinError, the lookup error kept as its cause."""
    port = reactor.listenMulticast(0, Recorder())
    done: list[Any] = []
    port.joinGroup("no-such-group.invalid", LOOPBACK).addBoth(done.append)
    iterateUntil(reactor, lambda: done)
    assert isinstance(done[0], Failure) and done[0].check(MulticastJoinError)
    assert done[0].value.__cause__ is not None


def test_joining_on_a_stopped_port_is_a_join_error(reactor: Any) -> None:
    """joinGroup on a port that stopped listening fails with MulticastJoinError."""
    port = reactor.listenMulticast(0, Recorder())
    port.stopListening()
    done: list[Any] = []
    port.joinGroup(GROUP, LOOPBACK).addBoth(done.append)
    iterateUntil(reactor, lambda: done)
    assert isinstance(done[0], Failure) and done[0].check(MulticastJoinError)
