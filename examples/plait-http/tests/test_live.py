"""plait-http on loopback against real clients: http.client, curl, raw sockets."""

from __future__ import annotations

import http.client
import random
import select
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from plait.core import Deferred
from plait_http import BODY_HIGH_WATER

CURL = shutil.which("curl")
needsCurl = pytest.mark.skipif(
    CURL is None, reason="curl is not installed (Debian package curl)"
)


def readAll(sock: socket.socket) -> bytes:
    parts = []
    while True:
        data = sock.recv(65536)
        if not data:
            return b"".join(parts)
        parts.append(data)


def test_http_client_keep_alive(live: Any) -> None:
    """http.client sends several requests over one kept-alive connection."""
    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
    bodies = []
    sockets = set()
    for _ in range(3):
        conn.request("GET", "/hello")
        response = conn.getresponse()
        bodies.append((response.status, response.read()))
        sockets.add(id(conn.sock))
    conn.close()
    assert bodies == [(200, b"Hello, world!")] * 3
    assert len(sockets) == 1


def test_http_client_chunked_upload(live: Any) -> None:
    """A chunked upload from http.client is read whole by the handler."""
    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
    parts = [b"a" * 1000, b"b" * 70000, b"c"]
    conn.request("POST", "/echo", body=iter(parts), encode_chunked=True)
    response = conn.getresponse()
    assert response.status == 200
    assert response.read() == b"".join(parts)
    conn.close()


def test_http_client_reads_streamed_body(live: Any) -> None:
    """http.client reads a chunked streamed body to its end."""
    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
    conn.request("GET", "/stream?300000")
    response = conn.getresponse()
    assert response.getheader("transfer-encoding") == "chunked"
    assert response.read() == b"x" * 300000
    conn.close()


@needsCurl
def test_curl_get_head_and_keep_alive(live: Any) -> None:
    """curl reuses one connection for GET and HEAD and gets what it asked."""
    url = f"http://127.0.0.1:{live.port}/hello"
    assert CURL is not None
    out = subprocess.run(
        [CURL, "-sS", "-v", url, "--next", "-sS", "-I", url],
        capture_output=True,
        timeout=30,
        check=True,
    )
    assert out.stdout.startswith(b"Hello, world!HTTP/1.1 200 OK")
    assert b"content-length: 13" in out.stdout
    assert b"Re-using existing connection" in out.stderr


@needsCurl
def test_curl_upload_with_expect_continue(live: Any, tmp_path: Path) -> None:
    """curl's large upload waits for 100 Continue and is counted whole."""
    data = tmp_path / "upload"
    data.write_bytes(b"u" * 3_000_000)
    url = f"http://127.0.0.1:{live.port}/count"
    assert CURL is not None
    out = subprocess.run(
        [CURL, "-sS", "-v", "--data-binary", f"@{data}", url],
        capture_output=True,
        timeout=30,
        check=True,
    )
    assert out.stdout == b"3000000"
    assert b"HTTP/1.1 100 Continue" in out.stderr


@needsCurl
def test_curl_chunked_upload(live: Any, tmp_path: Path) -> None:
    """curl's chunked upload is echoed back whole."""
    data = tmp_path / "upload"
    payload = bytes(range(256)) * 1000
    data.write_bytes(payload)
    url = f"http://127.0.0.1:{live.port}/echo"
    assert CURL is not None
    out = subprocess.run(
        [
            CURL,
            "-sS",
            "-H",
            "Transfer-Encoding: chunked",
            "--data-binary",
            f"@{data}",
            url,
        ],
        capture_output=True,
        timeout=30,
        check=True,
    )
    assert out.stdout == payload


def test_raw_pipelining_in_order(live: Any) -> None:
    """Forty requests sent in one write are answered in their order."""
    requests = b"".join(
        b"GET /target?%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(39)
    )
    requests += b"GET /target?39 HTTP/1.1\r\nConnection: close\r\n\r\n"
    with live.connect() as sock:
        sock.sendall(requests)
        out = readAll(sock)
    positions = [out.index(b"\r\n\r\n/target?%d" % i) for i in range(40)]
    assert positions == sorted(positions)
    assert out.count(b"HTTP/1.1 200 OK") == 40


def test_raw_malformed_gets_400_and_close(live: Any) -> None:
    """A malformed request on a raw socket gets 400 and the connection closes."""
    with live.connect() as sock:
        sock.sendall(b"GET /hello HTTP/1.1\r\nHost x\r\n\r\n")
        out = readAll(sock)
    assert out.startswith(b"HTTP/1.1 400 Bad Request\r\n")


def _malformed(rng: random.Random) -> bytes:
    good = [
        b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
        b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n0\r\n\r\n",
    ]
    base = bytearray(rng.choice(good))
    kind = rng.randrange(5)
    if kind == 0:  # flip bytes
        for _ in range(rng.randint(1, 6)):
            base[rng.randrange(len(base))] = rng.randrange(256)
    elif kind == 1:  # control characters inside
        pos = rng.randrange(len(base))
        base[pos:pos] = bytes([rng.choice([0, 1, 8, 11, 127])])
    elif kind == 2:  # garbage
        base = bytearray(rng.randbytes(rng.randint(1, 200)))
    elif kind == 3:  # a cut and a splice
        a, b = sorted(rng.randrange(len(base)) for _ in range(2))
        base = base[:a] + base[b:] + base[a:b]
    else:  # bad framing
        base = bytearray(
            rng.choice(
                [
                    b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                    b"POST / HTTP/1.1\r\nContent-Length: 1\r\n"
                    b"Content-Length: 2\r\n\r\nab",
                    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                    b"GET / HTTP/9.9\r\n\r\n",
                    b"GET /\x00 HTTP/1.1\r\n\r\n",
                ]
            )
        )
    return bytes(base)


def test_random_malformed_requests_leave_server_serving(live: Any) -> None:
    """A thousand seeded malformed requests: each gets an answer or a close,
    none a 500, and a good client is served afterwards."""
    rng = random.Random(20261206)
    statuses: dict[bytes, int] = {}
    for _ in range(1000):
        with live.connect() as sock:
            sock.settimeout(10)
            try:
                sock.sendall(_malformed(rng))
                sock.shutdown(socket.SHUT_WR)
                out = readAll(sock)
            except (ConnectionResetError, BrokenPipeError):
                out = b""
        status = out[9:12] if out.startswith(b"HTTP/1.1 ") else b"---"
        statuses[status] = statuses.get(status, 0) + 1
    assert b"500" not in statuses
    assert statuses.get(b"400", 0) > 500
    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
    conn.request("GET", "/hello")
    assert conn.getresponse().read() == b"Hello, world!"
    conn.close()


def test_streamed_gigabyte_keeps_memory_bounded(live: Any, recorder: Any) -> None:
    """A 1 GiB generated body to a client that reads slowly: the generator
    never runs far ahead of what the client took, and stops when it leaves."""
    total = 1 << 30
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", live.port))
    sock.sendall(b"GET /stream?%d HTTP/1.1\r\n\r\n" % total)
    received = 0
    ahead = []
    while received < 32 * 1024 * 1024:
        data = sock.recv(16384)
        assert data
        received += len(data)
        ahead.append(recorder.produced - received)
    sock.close()
    live.call(lambda: None)
    assert max(ahead) < 16 * 1024 * 1024
    assert recorder.produced < total

    def closed() -> bool:
        return bool(recorder.streamClosed)

    for _ in range(200):
        if live.call(closed):
            break
        live.call(lambda: None)
    assert recorder.streamClosed


def test_stop_gracefully_finishes_in_flight(live: Any, recorder: Any) -> None:
    """stop() refuses new connections, lets the request in flight finish
    with connection: close, then fires."""
    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
    conn.request("GET", "/wait")
    for _ in range(500):
        if live.call(lambda: len(recorder.released)):
            break
    stopped: list[Any] = []
    live.call(lambda: live.server.stop(5.0).addBoth(stopped.append))
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", live.port), timeout=5).close()
    gate: Deferred[None] = recorder.released[0]
    live.call(gate.callback, None)
    response = conn.getresponse()
    assert response.read() == b"released"
    assert response.getheader("connection") == "close"
    conn.close()
    for _ in range(500):
        if live.call(lambda: bool(stopped)):
            break
    assert stopped == [None]


def test_unread_upload_pauses_the_socket(live: Any, recorder: Any) -> None:
    """A handler that does not read yet: the server stops reading the socket,
    the client's send stalls with the server holding under a bound, and the
    whole body arrives once the handler reads."""
    total = 64 * 1024 * 1024
    sock = live.connect()
    sock.sendall(b"POST /hold HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % total)
    sock.setblocking(False)
    block = b"b" * 65536
    sent = 0
    while sent < total:
        _, writable, _ = select.select([], [sock], [], 0.5)
        if not writable:
            break  # the kernel buffers are full and the server is not reading
        try:
            sent += sock.send(block[: total - sent])
        except BlockingIOError:
            continue
    assert sent < total
    held = live.call(lambda: recorder.requests[0].exchange._buffered)
    assert held <= BODY_HIGH_WATER + 65536
    live.call(recorder.released[0].callback, None)
    sock.setblocking(True)
    sock.settimeout(10)
    while sent < total:
        sent += sock.send(block[: total - sent])
    out = b""
    while not out.endswith(b"%d" % total):
        data = sock.recv(65536)
        assert data
        out += data
    sock.close()
    assert out.startswith(b"HTTP/1.1 200 OK")


def test_stalled_clients_do_not_hold_up_others(live: Any) -> None:
    """Clients stalled mid-head, mid-body and not reading do not keep a good
    client from being served at once."""
    stalled = [live.connect() for _ in range(30)]
    try:
        for i, sock in enumerate(stalled):
            if i % 3 == 0:
                sock.sendall(b"GET /hello HTTP/1.1\r\nHost: sl")
            elif i % 3 == 1:
                sock.sendall(b"POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\nab")
            else:
                sock.sendall(b"GET /stream?100000000 HTTP/1.1\r\n\r\n")
        conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
        conn.request("GET", "/hello")
        assert conn.getresponse().read() == b"Hello, world!"
        conn.close()
    finally:
        for sock in stalled:
            sock.close()
