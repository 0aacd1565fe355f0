"""Memory per idle connection: plait beside Twisted, asyncio and uvloop.

What is measured
----------------
Each server (an echo server, in a process of its own) accepts ``COUNT``
TCP connections from one load generator. Every connection sends one byte
and waits for its echo, so that the server has built the protocol and its
transport and has been through its read and write paths once; then every
connection stays open and idle. The server's resident set size (VmRSS, read
from ``/proc``) is taken after a warm-up connection and again once all the
connections are idle; the difference divided by ``COUNT`` is the memory one
idle connection costs, in KiB (lower is better). The kernel's socket buffers
are not in a process's RSS, so this is the implementation's own cost:
transport, protocol, registration with the poller.

Run: ``python benchmarks/bench_memory.py [--repeat N] [--count N]``.
The internal sub-command ``serve`` is what the server processes run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench_tcp import _available, stopServer

IMPLEMENTATIONS = ("plait", "twisted", "asyncio", "uvloop")
COUNT = 10_000
BENCHMARK = "idle connection (KiB of RSS each)"


def _raiseFileLimit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


def _announce(port: int) -> None:
    gc.collect()
    sys.stdout.write(f"PORT {port}\n")
    sys.stdout.flush()


def servePlait() -> None:
    from plait.core import Factory, Protocol, Reactor

    class Echo(Protocol):
        def dataReceived(self, data: bytes) -> None:
            self.transport.write(data)

    reactor = Reactor()
    port = reactor.listenTCP(
        0, Factory.forProtocol(Echo), backlog=1024, interface="127.0.0.1"
    )
    reactor.callWhenRunning(_announce, port.getHost().port)
    reactor.run()


def serveTwisted() -> None:
    from twisted.internet import epollreactor

    epollreactor.install()
    from twisted.internet import protocol, reactor

    class Echo(protocol.Protocol):
        def dataReceived(self, data: bytes) -> None:
            self.transport.write(data)  # type: ignore[union-attr]

    factory = protocol.Factory.forProtocol(Echo)
    port = reactor.listenTCP(0, factory, backlog=1024, interface="127.0.0.1")  # type: ignore[attr-defined]
    reactor.callWhenRunning(_announce, port.getHost().port)  # type: ignore[attr-defined]
    reactor.run()  # type: ignore[attr-defined]


def serveAsyncio(useUvloop: bool) -> None:
    class Echo(asyncio.Protocol):
        def connection_made(self, transport: Any) -> None:
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            self.transport.write(data)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Echo, "127.0.0.1", 0, backlog=1024)
        _announce(server.sockets[0].getsockname()[1])
        await asyncio.Future()

    if useUvloop:
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())


def serve(impl: str) -> None:
    _raiseFileLimit(COUNT * 2 + 100)
    if impl == "plait":
        servePlait()
    elif impl == "twisted":
        serveTwisted()
    else:
        serveAsyncio(impl == "uvloop")


def _rssKiB(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS line")


def _pingEach(port: int, sockets: list[socket.socket]) -> None:
    """Open ``len(sockets)`` connections' worth: connect, send a byte, read
    it back; raise if the server does not answer within a minute."""

    async def one(sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        await loop.sock_connect(sock, ("127.0.0.1", port))
        await loop.sock_sendall(sock, b"x")
        if await loop.sock_recv(sock, 1) != b"x":
            raise RuntimeError("the echo server did not echo")

    async def main() -> None:
        gate = asyncio.Semaphore(200)

        async def gated(sock: socket.socket) -> None:
            async with gate:
                await one(sock)

        await asyncio.wait_for(asyncio.gather(*(gated(s) for s in sockets)), 60)

    asyncio.run(main())


def runOne(impl: str, count: int) -> float:
    """KiB of server RSS per idle connection, for one server process."""
    _raiseFileLimit(count + 100)
    me = str(Path(__file__).resolve())
    server = subprocess.Popen(
        [sys.executable, me, "serve", impl], stdout=subprocess.PIPE, text=True
    )
    sockets: list[socket.socket] = []
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"{impl} server did not start (code {server.poll()})")
        port = int(line.split()[1])
        warm = [socket.socket() for _ in range(10)]
        for s in warm:
            s.setblocking(False)
        _pingEach(port, warm)
        time.sleep(0.3)
        before = _rssKiB(server.pid)
        sockets = [socket.socket() for _ in range(count)]
        for s in sockets:
            s.setblocking(False)
        _pingEach(port, sockets)
        time.sleep(0.3)
        after = _rssKiB(server.pid)
        for s in warm:
            s.close()
        return (after - before) / count
    finally:
        for s in sockets:
            s.close()
        stopServer(server)


def results(repeat: int = 3, count: int = COUNT) -> list[tuple[str, str, float]]:
    """The lowest KiB per idle connection of ``repeat`` rounds, the
    implementations interleaved within each round."""
    impls = [i for i in IMPLEMENTATIONS if _available(i)]
    best: dict[str, float] = {}
    for _ in range(repeat):
        for impl in impls:
            kib = runOne(impl, count)
            best[impl] = min(kib, best.get(impl, kib))
    return [(BENCHMARK, impl, best[impl]) for impl in impls]


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "serve":
        serve(args[1])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--count", type=int, default=COUNT)
    ns = parser.parse_args(args)
    rows = results(ns.repeat, ns.count)
    mine = next(kib for _, impl, kib in rows if impl == "plait")
    print(f"{'implementation':<16}{'KiB/conn':>10}{'ratio':>9}")
    for _, impl, kib in rows:
        print(f"{impl:<16}{kib:>10.3f}{kib / mine:>8.2f}x")


if __name__ == "__main__":
    main()
