"""UDP echo: plait beside Twisted, asyncio and uvloop.

Every server runs in its own process and echoes each datagram back to its
sender. One load generator (a separate process, on uvloop when installed)
drives all of them alike: 4 client sockets, each keeping 16 datagrams of
256 bytes in flight, 200,000 round trips in all. A datagram lost on the way
(none should be, on loopback with such small windows) makes the run fail
rather than hang.

The table gives the best wall time of the repeats and the server's CPU time
in that run, in all and in user space, with ratios other / plait (above 1:
plait was faster).

Run: ``python benchmarks/bench_udp.py [--repeat N] [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_tcp import IMPLEMENTATIONS, _announce, _available, _loop, interleaved, table

CLIENTS = 4
WINDOW = 16
DATAGRAM = b"d" * 256
TRIPS = 200_000
QUICK_TRIPS = 20_000
STALL = 5.0


def servePlait() -> None:
    from plait.core import Reactor
    from plait.udp import DatagramProtocol

    class Echo(DatagramProtocol):
        def datagramReceived(self, datagram: bytes, addr: Any) -> None:
            self.transport.write(datagram, addr)

    reactor = Reactor()
    port = reactor.listenUDP(0, Echo(), interface="127.0.0.1")
    reactor.callWhenRunning(_announce, port.getHost().port)
    reactor.run()


def serveTwisted() -> None:
    from twisted.internet import epollreactor

    epollreactor.install()  # type: ignore[no-untyped-call]  # Twisted's API
    from twisted.internet import reactor as installed
    from twisted.internet.protocol import DatagramProtocol

    reactor: Any = installed

    class Echo(DatagramProtocol):
        transport: Any

        def datagramReceived(self, datagram: bytes, addr: Any) -> None:
            self.transport.write(datagram, addr)

    port = reactor.listenUDP(0, Echo(), interface="127.0.0.1")
    reactor.callWhenRunning(_announce, port.getHost().port)
    reactor.run()


def serveAsyncio(useUvloop: bool) -> None:
    class Echo(asyncio.DatagramProtocol):
        def connection_made(self, transport: Any) -> None:
            self.transport = transport

        def datagram_received(self, data: bytes, addr: Any) -> None:
            self.transport.sendto(data, addr)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            Echo, local_addr=("127.0.0.1", 0)
        )
        _announce(transport.get_extra_info("sockname")[1])
        await asyncio.Event().wait()

    if useUvloop:
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())


def serve(impl: str) -> None:
    """Run one echo server until killed."""
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    if impl == "plait":
        servePlait()
    elif impl == "twisted":
        serveTwisted()
    else:
        serveAsyncio(impl == "uvloop")


class _Client(asyncio.DatagramProtocol):
    def __init__(self, trips: int, done: asyncio.Future[None]) -> None:
        self.left = trips
        self.inFlight = 0
        self.done = done
        self.lastReply = time.monotonic()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        for _ in range(min(WINDOW, self.left)):
            self.transport.sendto(DATAGRAM)
            self.inFlight += 1

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.lastReply = time.monotonic()
        self.inFlight -= 1
        self.left -= 1
        if self.left - self.inFlight > 0:
            self.transport.sendto(DATAGRAM)
            self.inFlight += 1
        if self.left == 0 and not self.done.done():
            self.done.set_result(None)


async def _echoLoad(port: int, trips: int) -> float:
    loop = asyncio.get_running_loop()
    per = trips // CLIENTS
    clients: list[_Client] = []
    started = time.perf_counter()
    for _ in range(CLIENTS):
        future: asyncio.Future[None] = loop.create_future()
        _, client = await loop.create_datagram_endpoint(
            functools.partial(_Client, per, future), remote_addr=("127.0.0.1", port)
        )
        clients.append(client)
    waiting = asyncio.gather(*(c.done for c in clients))
    while not waiting.done():
        await asyncio.wait([waiting], timeout=1.0)
        now = time.monotonic()
        if any(not c.done.done() and now - c.lastReply > STALL for c in clients):
            raise RuntimeError("a datagram was lost: the echo stalled")
    elapsed = time.perf_counter() - started
    for c in clients:
        c.transport.close()
    return elapsed


def load(port: int, trips: int) -> float:
    """Drive the echo server on ``port``; return seconds."""
    loop = _loop()
    try:
        return loop.run_until_complete(_echoLoad(port, trips))
    finally:
        loop.close()


def results(
    repeat: int = 3,
    quick: bool = False,
    progress: Callable[[str], None] | None = None,
) -> list[tuple[str, str, float]]:
    """(benchmark, implementation, seconds) rows, as bench_tcp gives them."""
    trips = QUICK_TRIPS if quick else TRIPS
    me = str(Path(__file__).resolve())
    out: list[tuple[str, str, float]] = []
    with tempfile.TemporaryDirectory(prefix="plait-bench-") as tmp:
        present = [impl for impl in IMPLEMENTATIONS if _available(impl)]
        out += interleaved(
            "udp-echo", present, trips, repeat, Path(tmp), me, progress=progress
        )
    return out


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table (or run a sub-process role)."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "serve":
        serve(args[1])
        return
    if args and args[0] == "load":
        print(f"ELAPSED {load(int(args[2]), int(args[3])):.6f}")
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a smaller load")
    opts = parser.parse_args(args)
    rows = results(
        opts.repeat,
        opts.quick,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    print(table(rows))


if __name__ == "__main__":
    main()
