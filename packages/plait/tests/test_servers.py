"""plait echo and plait forward, run as real processes and used over real
sockets."""

from __future__ import annotations

import errno
import re
import select
import signal
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

TIMEOUT = 30.0


def exchange(port: int, payload: bytes) -> bytes:
    """Send *payload*, half-close, read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def settle(forward: Any, wanted: str) -> list[str]:
    """Ask for the counts with SIGUSR1 until they read *wanted*: the
    forwarder notices a closed connection on its own time."""
    seen: list[str] = []
    deadline = time.monotonic() + TIMEOUT
    while wanted + "\n" not in seen and time.monotonic() < deadline:
        forward.sendSignal(signal.SIGUSR1)
        seen.append(forward.readline())
    assert seen[-1] == wanted + "\n"
    return seen


def closedWithoutAnswer(port: int, payload: bytes) -> bool:
    """Whether the server closed without a byte back. A reset counts, and so
    does a half-close refused because the reset came first: the connection
    was closed with the payload unread."""
    try:
        return exchange(port, payload) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except OSError as e:
        return e.errno == errno.ENOTCONN


class ReversingServer:
    """A plain-socket server on a thread: reads until end of input, answers
    with the bytes reversed, then closes (so it needs half-close to work)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    @staticmethod
    def _answer(conn: socket.socket) -> None:
        with conn:
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
            conn.sendall(data[::-1])

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def reversing() -> Iterator[ReversingServer]:
    """A reversing server on loopback, closed at teardown."""
    server = ReversingServer()
    yield server
    server.close()


def test_echo_on_several_endpoints_answers_half_close(command: Any) -> None:
    """plait echo serves every --listen endpoint and answers a client's end
    of input by closing once all is echoed; SIGINT then exits 0 quietly."""
    echo = command(
        "echo",
        "--listen",
        "tcp:0:interface=127.0.0.1",
        "--listen",
        "tcp:port=0:interface=127.0.0.1",
    )
    ports = [echo.port(), echo.port()]
    payload = bytes(range(256)) * 4096
    for port in ports:
        assert exchange(port, payload) == payload
    code, _, err = echo.finish(signal.SIGINT)
    assert code == 0
    assert err == ""


def test_echo_on_a_port_in_use_is_one_error_line(command: Any, runPlait: Any) -> None:
    """A second echo on a taken port prints one error line and exits 1."""
    echo = command("echo", "--listen", "tcp:0:interface=127.0.0.1")
    port = echo.port()
    code, out, err = runPlait("echo", "--listen", f"tcp:{port}:interface=127.0.0.1")
    assert code == 1
    assert out == ""
    assert err.startswith(f"plait: error: tcp:{port}:interface=127.0.0.1: ")
    assert "in use" in err
    assert len(err.splitlines()) == 1


def test_forward_relays_and_passes_half_close(
    command: Any, reversing: ReversingServer
) -> None:
    """Bytes reach the target, the client's end of input reaches it too, and
    the answer comes back; SIGTERM prints the counts and exits 0."""
    forward = command(
        "forward",
        "--listen",
        "tcp:0:interface=127.0.0.1",
        "--to",
        f"tcp:127.0.0.1:{reversing.port}",
    )
    port = forward.port()
    payload = b"".join(b"%d," % n for n in range(100_000))
    assert exchange(port, payload) == payload[::-1]
    assert exchange(port, b"abc") == b"cba"
    settle(forward, "connections: 0 open, 2 total")
    code, out, err = forward.finish(signal.SIGTERM)
    assert code == 0
    assert err == ""
    assert out.splitlines()[-1] == "connections: 0 open, 2 total"


def test_forward_counts_on_sigusr1(command: Any, reversing: ReversingServer) -> None:
    """SIGUSR1 prints the open and total connection counts."""
    forward = command(
        "forward",
        "--listen",
        "tcp:0:interface=127.0.0.1",
        "--to",
        f"tcp:127.0.0.1:{reversing.port}",
    )
    port = forward.port()
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as held:
        held.sendall(b"x")
        assert exchange(port, b"12") == b"21"
        seen = settle(forward, "connections: 1 open, 2 total")
        assert all(re.fullmatch(r"connections: \d open, \d total\n", s) for s in seen)
    code, _, _ = forward.finish()
    assert code == 0


def test_unreachable_target_closes_only_that_client(
    command: Any, reversing: ReversingServer
) -> None:
    """When --to refuses, the client is closed, one line is logged, and the
    forwarder keeps serving."""
    closed = socket.create_server(("127.0.0.1", 0))
    deadPort = closed.getsockname()[1]
    closed.close()
    forward = command(
        "forward",
        "--listen",
        "tcp:0:interface=127.0.0.1",
        "--to",
        f"tcp:127.0.0.1:{deadPort}",
    )
    port = forward.port()
    assert closedWithoutAnswer(port, b"lost")
    assert closedWithoutAnswer(port, b"lost again")
    settle(forward, "connections: 0 open, 2 total")
    code, out, err = forward.finish()
    assert code == 0
    assert out.splitlines()[-1] == "connections: 0 open, 2 total"
    lines = err.splitlines()
    assert len(lines) == 2
    assert all(f"cannot reach tcp:127.0.0.1:{deadPort}" in line for line in lines)
    assert "Traceback" not in err


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS line")


def _pushUntilStalled(sock: socket.socket) -> int:
    """Send until the socket takes nothing more for half a second (a real
    peer's buffers filling up, which no fake clock can stand for)."""
    chunk = b"x" * 65536
    pushed = 0
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and pushed < 512 * 2**20:
        if not select.select([], [sock], [], 0.5)[1]:
            break
        pushed += sock.send(chunk, socket.MSG_DONTWAIT)
    return pushed


@pytest.mark.slow
@pytest.mark.parametrize("writer", ["client", "target"])
def test_forward_memory_stays_bounded_when_a_side_does_not_read(
    command: Any, writer: str
) -> None:
    """A side that never reads pauses the other side's reading, whichever way
    the bytes flow: the writer can push only about the socket buffers' worth
    and the forwarder's memory stays flat."""
    silent = socket.create_server(("127.0.0.1", 0))
    forward = command(
        "forward",
        "--listen",
        "tcp:0:interface=127.0.0.1",
        "--to",
        f"tcp:127.0.0.1:{silent.getsockname()[1]}",
    )
    port = forward.port()
    before = _rss(forward.process.pid)
    with socket.create_connection(("127.0.0.1", port)) as client:
        target, _ = silent.accept()
        with target:
            pushed = _pushUntilStalled(client if writer == "client" else target)
            grown = _rss(forward.process.pid) - before
    silent.close()
    forward.finish()
    assert pushed < 48 * 2**20
    assert grown < 16 * 2**20
