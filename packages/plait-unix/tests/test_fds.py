"""Descriptor passing over UNIX stream sockets: order, the bytes each
travels with, another process, and no descriptor leaked."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from zope.interface import implementer

from plait.core import Factory, Protocol, connectProtocol
from plait.unix import IFileDescriptorReceiver, UNIXClientEndpoint


def openDescriptors() -> int:
    """How many descriptors this process has open."""
    return len(os.listdir("/proc/self/fd"))


@implementer(IFileDescriptorReceiver)
class Receiver(Protocol):
    """Records descriptors and bytes in the order they arrive."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.data = bytearray()

    def fileDescriptorReceived(self, descriptor: int) -> None:
        self.events.append(("fd", descriptor))

    def dataReceived(self, data: bytes) -> None:
        self.events.append(("data", data))
        self.data += data


class Plain(Protocol):
    """Takes bytes only."""

    def __init__(self) -> None:
        self.data = bytearray()

    def dataReceived(self, data: bytes) -> None:
        self.data += data


def _connect(reactor: Any, spin: Any, path: str, server: Any) -> Protocol:
    port = reactor.listenUNIX(path, Factory.forProtocol(lambda: server))
    client = Protocol()
    connectProtocol(UNIXClientEndpoint(reactor, path), client)
    spin(reactor, lambda: client.transport is not None and server.transport)
    client.port = port  # type: ignore[attr-defined]
    return client


def test_descriptors_arrive_in_order_before_their_bytes(
    reactor: Any, spin: Any, sockdir: Path
) -> None:
    """Each descriptor reaches the receiver before the bytes written after
    it, in sending order, and names the same file."""
    server = Receiver()
    client = _connect(reactor, spin, str(sockdir / "s"), server)
    files = []
    for index in range(3):
        target = sockdir / f"file{index}"
        target.write_bytes(f"content {index}".encode())
        fd = os.open(target, os.O_RDONLY)
        client.transport.sendFileDescriptor(fd)
        os.close(fd)  # the transport holds its own duplicate
        client.transport.write(f"<{index}>".encode())
        files.append(target)
    spin(reactor, lambda: bytes(server.data) == b"<0><1><2>")
    fds = [fd for kind, fd in server.events if kind == "fd"]
    assert len(fds) == 3
    for index, fd in enumerate(fds):
        assert os.pread(fd, 100, 0) == f"content {index}".encode()
        os.close(fd)
    # Every descriptor comes before the bytes that followed it.
    seen = b""
    count = 0
    for kind, value in server.events:
        if kind == "fd":
            assert seen.count(b"<") == count
            count += 1
        else:
            seen += value
    client.transport.loseConnection()
    client.port.stopListening()  # type: ignore[attr-defined]


def test_a_descriptor_waits_for_bytes_queued_before_it(
    reactor: Any, spin: Any, sockdir: Path
) -> None:
    """Bytes written before sendFileDescriptor leave first, even when they
    had to be buffered."""
    server = Receiver()
    client = _connect(reactor, spin, str(sockdir / "s"), server)
    big = b"a" * (4 * 1024 * 1024)
    client.transport.write(big)
    r, w = os.pipe()
    client.transport.sendFileDescriptor(r)
    os.close(r)
    client.transport.write(b"after")
    spin(reactor, lambda: len(server.data) == len(big) + 5)
    assert bytes(server.data).endswith(b"after")
    before = b""
    for kind, value in server.events:
        if kind == "fd":
            assert len(before) == len(big)
            os.write(w, b"x")
            assert os.read(value, 1) == b"x"
            os.close(value)
        else:
            before += value
    os.close(w)
    client.transport.loseConnection()
    client.port.stopListening()  # type: ignore[attr-defined]


def test_a_protocol_without_the_interface_leaks_nothing(
    reactor: Any, spin: Any, sockdir: Path
) -> None:
    """Descriptors sent to a protocol that does not take them are closed by
    the kernel: the count of open descriptors does not grow."""
    server = Plain()
    client = _connect(reactor, spin, str(sockdir / "s"), server)
    start = openDescriptors()
    for _ in range(200):
        client.transport.sendFileDescriptor(0)
        client.transport.write(b".")
    spin(reactor, lambda: len(server.data) == 200)
    assert openDescriptors() == start
    client.transport.loseConnection()
    client.port.stopListening()  # type: ignore[attr-defined]


def test_unsent_descriptors_are_closed_with_the_connection(
    reactor: Any, spin: Any, sockdir: Path
) -> None:
    """A descriptor no byte carried is closed when the connection ends."""
    server = Receiver()
    client = _connect(reactor, spin, str(sockdir / "s"), server)
    start = openDescriptors()
    client.transport.sendFileDescriptor(0)
    assert openDescriptors() == start + 1
    client.transport.abortConnection()
    spin(reactor, lambda: openDescriptors() <= start - 1)
    client.port.stopListening()  # type: ignore[attr-defined]


CHILD = textwrap.dedent(
    """
    import array, os, socket, sys
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(sys.argv[1])
    count = int(sys.argv[2])
    for index in range(count):
        r, w = os.pipe()
        os.write(w, b"%d" % index)
        os.close(w)
        sock.sendmsg([b"."], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                               array.array("i", [r]))])
        os.close(r)
    got = b""
    while len(got) < count:
        got += sock.recv(65536)
    sock.close()
    print(len(os.listdir("/proc/self/fd")))
    """
)


def test_descriptors_from_another_process_without_a_leak(
    reactor: Any, spin: Any, sockdir: Path
) -> None:
    """A child process passes 1,000 pipes; each is read and closed here, and
    afterwards this process holds no more descriptors than before."""
    count = 1000
    received: list[bytes] = []

    @implementer(IFileDescriptorReceiver)
    class Reader(Protocol):
        def fileDescriptorReceived(self, descriptor: int) -> None:
            received.append(os.read(descriptor, 16))
            os.close(descriptor)

        def dataReceived(self, data: bytes) -> None:
            self.transport.write(data)  # acknowledge each pass

    path = str(sockdir / "s")
    port = reactor.listenUNIX(path, Factory.forProtocol(Reader))
    start = openDescriptors()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, path, str(count)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        spin(reactor, lambda: len(received) == count and child.poll() is not None)
        out = child.communicate()[0]
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0
    assert int(out) > 0
    assert received == [b"%d" % i for i in range(count)]
    spin(reactor, lambda: openDescriptors() == start)
    port.stopListening()


def test_send_descriptors_to_another_process(
    reactor: Any, spin: Any, sockdir: Path
) -> None:
    """Descriptors this process sends arrive in a child, in order."""
    script = textwrap.dedent(
        """
        import array, os, socket, sys
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(sys.argv[1])
        texts = []
        while len(texts) < 3:
            data, anc, flags, _ = sock.recvmsg(16, socket.CMSG_SPACE(4 * 8))
            for level, kind, payload in anc:
                fds = array.array("i")
                fds.frombytes(payload)
                for fd in fds:
                    texts.append(os.pread(fd, 32, 0).decode())
                    os.close(fd)
        print(",".join(texts))
        """
    )
    names = []
    for index in range(3):
        target = sockdir / f"f{index}"
        target.write_text(f"file{index}")
        names.append(target)

    class Sender(Protocol):
        def connectionMade(self) -> None:
            for target in names:
                fd = os.open(target, os.O_RDONLY)
                self.transport.sendFileDescriptor(fd)
                os.close(fd)
                self.transport.write(b"!")

    path = str(sockdir / "s")
    port = reactor.listenUNIX(path, Factory.forProtocol(Sender))
    child = subprocess.Popen(
        [sys.executable, "-c", script, path], stdout=subprocess.PIPE, text=True
    )
    try:
        spin(reactor, lambda: child.poll() is not None)
        out = child.communicate()[0]
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert out.strip() == "file0,file1,file2"
    port.stopListening()


COUNTER = textwrap.dedent(
    """
    import array, os, socket, sys
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(sys.argv[1])
    count = int(sys.argv[2])
    seen = 0
    data = b""
    while len(data) < count:
        chunk, anc, flags, _ = sock.recvmsg(4096, socket.CMSG_SPACE(4 * 16))
        if not chunk:
            break
        data += chunk
        for level, kind, payload in anc:
            fds = array.array("i")
            fds.frombytes(payload)
            for fd in fds:
                assert os.read(fd, 8) == b"ok"
                os.close(fd)
                seen += 1
    print(seen)
    """
)


def test_a_thousand_descriptors_to_a_child_leave_none_behind(
    reactor: Any, spin: Any, sockdir: Path
) -> None:
    """Sending 1,000 descriptors to another process closes every duplicate
    the transport made: the count of open descriptors comes back."""
    count = 1000

    class Sender(Protocol):
        def connectionMade(self) -> None:
            for _ in range(count):
                r, w = os.pipe()
                os.write(w, b"ok")
                os.close(w)
                self.transport.sendFileDescriptor(r)
                os.close(r)
                self.transport.write(b"!")

    path = str(sockdir / "s")
    port = reactor.listenUNIX(path, Factory.forProtocol(Sender))
    start = openDescriptors()
    child = subprocess.Popen(
        [sys.executable, "-c", COUNTER, path, str(count)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        spin(reactor, lambda: child.poll() is not None)
        out = child.communicate()[0]
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert int(out) == count
    spin(reactor, lambda: openDescriptors() == start)
    port.stopListening()
