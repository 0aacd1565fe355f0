"""plait forward in front of a real ``openssl s_server``: the forwarder's
``tls:`` client endpoint verifies the server's certificate and host name."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytest.importorskip("OpenSSL")
pytest.importorskip("plait.cli")

TIMEOUT = 20.0


@pytest.fixture
def forward() -> Iterator[Callable[[str], tuple[subprocess.Popen[bytes], int]]]:
    """``forward(to)``: a ``plait forward`` from a loopback port to *to*."""
    started: list[subprocess.Popen[bytes]] = []

    def start(to: str) -> tuple[subprocess.Popen[bytes], int]:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "plait.cli",
                "forward",
                "--listen",
                "tcp:0:interface=127.0.0.1",
                "--to",
                to,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(os.environ),
        )
        started.append(process)
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        found = re.search(r"\(127\.0\.0\.1:(\d+)\)", line)
        assert found, line
        return process, int(found.group(1))

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


def ask(port: int, line: bytes) -> bytes:
    """Send one line through the forwarder, read the answer line."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
        s.sendall(line)
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer


def test_forward_to_a_verified_tls_server(sServer: Any, pki: Any, forward: Any) -> None:
    """Plain TCP in, verified TLS out: s_server's answer comes back."""
    port = sServer(pki.server, pki.serverKey)
    process, local = forward(f"tls:localhost:{port}:trustRoots={pki.ca}")
    assert ask(local, b"forwarded\n") == b"dedrawrof\n"
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0
    assert err == b""
    # s_server may still hold its side open after our end of input, so the
    # relayed connection can be open or closed by now; it was counted once.
    assert re.fullmatch(
        r"connections: [01] open, 1 total", out.decode().splitlines()[-1]
    )


def test_forward_refuses_a_server_with_another_name(
    sServer: Any, pki: Any, forward: Any
) -> None:
    """A certificate for another host fails verification: the client is
    closed, one line names the failure, and the forwarder keeps running."""
    port = sServer(pki.otherHost, pki.otherHostKey)
    process, local = forward(f"tls:localhost:{port}:trustRoots={pki.ca}")
    try:
        assert ask(local, b"secret\n") == b""
    except (ConnectionResetError, BrokenPipeError):
        pass  # closed with the line unread: a reset is a fair answer
    assert process.poll() is None
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0
    lines = err.decode().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("plait: cannot reach tls:localhost:")


def test_echo_over_tls_to_openssl_s_client(opensslBinary: str, pki: Any) -> None:
    """plait echo on a tls: endpoint serves a verifying ``openssl s_client``."""
    from conftest import freePort

    port = freePort()
    echo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "plait.cli",
            "echo",
            "--listen",
            f"tls:{port}:interface=127.0.0.1:certKey={pki.server}"
            f":privateKey={pki.serverKey}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    try:
        assert echo.stdout is not None
        assert echo.stdout.readline().startswith(b"echoing on tls:")
        client = subprocess.Popen(
            [
                opensslBinary,
                "s_client",
                "-connect",
                f"127.0.0.1:{port}",
                "-CAfile",
                str(pki.ca),
                "-verify_return_error",
                "-verify_hostname",
                "localhost",
                "-quiet",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert client.stdin is not None and client.stdout is not None
            client.stdin.write(b"through TLS and back\n")
            client.stdin.flush()
            # s_client prints only what the server sent: the echo.
            assert client.stdout.readline() == b"through TLS and back\n"
        finally:
            client.kill()
            client.communicate()
    finally:
        echo.send_signal(signal.SIGINT)
        _, err = echo.communicate(timeout=TIMEOUT)
    assert echo.returncode == 0
    assert err == b""
