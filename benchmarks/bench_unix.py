"""UNIX stream echo: plait beside Twisted, asyncio and uvloop.

Every server runs in its own process and writes back what it reads, over a
UNIX stream socket in a private temporary directory (asyncio and uvloop
through ``create_unix_server``). One load generator (a separate process,
on uvloop when installed) drives all of them alike with 1 KiB messages
over 10 connections:

- ``unix-echo``: pipelined, each connection keeping 4 messages in flight,
  400,000 round trips in all;
- ``unix-echo-1``: not pipelined, each connection waiting for every answer
  before it sends the next message, 100,000 round trips in all.

The implementations run interleaved, round by round, each server warmed
up by an uncounted load first. The table gives the best wall time of the
rounds and the server's CPU time in that run, in all and in user space,
with ratios other / plait (above 1: plait was faster); the progress
lines also give round trips per second and the server's CPU time per
round trip.

Run: ``python benchmarks/bench_unix.py [--repeat N] [--quick] [--only NAME]``.
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

from bench_tcp import _announce, _available, _loop, interleaved, table

IMPLEMENTATIONS = ("plait", "twisted", "asyncio", "uvloop")
MESSAGE = 1024
CONNECTIONS = 10
WINDOWS = {"unix-echo": 4, "unix-echo-1": 1}
SIZES = {"unix-echo": 400_000, "unix-echo-1": 100_000}
QUICK = {"unix-echo": 20_000, "unix-echo-1": 5_000}
BENCHMARKS = tuple(SIZES)
SOCKET_NAME = "echo.sock"


def _path(directory: Path) -> str:
    return str(directory / SOCKET_NAME)


def servePlait(path: str) -> None:
    from plait.core import Factory, Protocol, Reactor

    class Echo(Protocol):
        def dataReceived(self, data: bytes) -> None:
            self.transport.write(data)

    reactor = Reactor()
    reactor.listenUNIX(path, Factory.forProtocol(Echo))
    reactor.callWhenRunning(_announce, 0)
    reactor.run()


def serveTwisted(path: str) -> None:
    from twisted.internet import epollreactor

    epollreactor.install()  # type: ignore[no-untyped-call]  # Twisted's API
    from twisted.internet import reactor as installed
    from twisted.internet.protocol import Factory, Protocol

    reactor: Any = installed

    class Echo(Protocol):
        transport: Any

        def dataReceived(self, data: bytes) -> None:
            self.transport.write(data)

    factory: Any = Factory.forProtocol(Echo)
    reactor.listenUNIX(path, factory)
    reactor.callWhenRunning(_announce, 0)
    reactor.run()


def serveAsyncio(path: str, useUvloop: bool) -> None:
    class Echo(asyncio.Protocol):
        def connection_made(self, transport: Any) -> None:
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            self.transport.write(data)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        await loop.create_unix_server(Echo, path)
        _announce(0)
        await asyncio.Event().wait()

    if useUvloop:
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())


def serve(impl: str, directory: Path) -> None:
    """Run one echo server until killed."""
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    path = _path(directory)
    if os.path.exists(path):
        os.unlink(path)  # the previous implementation's, in our own directory
    if impl == "plait":
        servePlait(path)
    elif impl == "twisted":
        serveTwisted(path)
    else:
        serveAsyncio(path, impl == "uvloop")


class _Client(asyncio.Protocol):
    def __init__(self, trips: int, window: int, done: asyncio.Future[None]) -> None:
        self.trips = trips
        self.window = window
        self.sent = 0
        self.received = 0
        self.done = done
        self.message = b"m" * MESSAGE

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        for _ in range(min(self.window, self.trips)):
            transport.write(self.message)
            self.sent += 1

    def data_received(self, data: bytes) -> None:
        before = self.received // MESSAGE
        self.received += len(data)
        answered = min(self.received // MESSAGE - before, self.trips - self.sent)
        if answered > 0:
            self.transport.write(self.message * answered)
            self.sent += answered
        if self.received >= self.trips * MESSAGE:
            self.transport.close()
            if not self.done.done():
                self.done.set_result(None)


async def _echoLoad(path: str, trips: int, window: int) -> float:
    loop = asyncio.get_running_loop()
    per = trips // CONNECTIONS
    futures = [loop.create_future() for _ in range(CONNECTIONS)]
    started = time.perf_counter()
    for future in futures:
        await loop.create_unix_connection(
            functools.partial(_Client, per, window, future), path
        )
    await asyncio.gather(*futures)
    return time.perf_counter() - started


def load(kind: str, directory: Path, trips: int) -> float:
    """Drive the echo server listening in ``directory``; return seconds."""
    loop = _loop()
    try:
        return loop.run_until_complete(
            _echoLoad(_path(directory), trips, WINDOWS[kind])
        )
    finally:
        loop.close()


def results(
    repeat: int = 3,
    quick: bool = False,
    only: tuple[str, ...] = BENCHMARKS,
    progress: Callable[[str], None] | None = None,
) -> list[tuple[str, str, float]]:
    """(benchmark, implementation, seconds) rows, as bench_tcp gives them,
    with the server's CPU rows; ``repeat`` interleaved rounds, the best of
    each implementation kept."""
    sizes = QUICK if quick else SIZES
    me = str(Path(__file__).resolve())
    out: list[tuple[str, str, float]] = []
    present = [impl for impl in IMPLEMENTATIONS if _available(impl)]
    with tempfile.TemporaryDirectory(prefix="plait-bench-") as tmp:
        for kind in only:
            trips = sizes[kind]
            rows = interleaved(kind, present, trips, repeat, Path(tmp), me, progress)
            out += rows
            if progress is not None:
                progress(summary(kind, trips, rows))
    return out


def summary(kind: str, trips: int, rows: list[tuple[str, str, float]]) -> str:
    """Round trips per second and server CPU per round trip, per implementation."""
    wall = {impl: s for k, impl, s in rows if k == kind}
    cpu = {impl: s for k, impl, s in rows if k == f"{kind} (server CPU)"}
    lines = [f"{kind}: {trips:,} round trips"]
    for impl, seconds in wall.items():
        line = f"  {impl:8} {trips / seconds:10,.0f} round trips/s"
        if impl in cpu:
            line += f", server CPU {cpu[impl] / trips * 1e6:.2f} us per round trip"
        lines.append(line)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table (or run a sub-process role)."""
    args = sys.argv[1:] if argv is None else argv
    # The sub-commands take the arguments bench_tcp.runOne passes:
    # serve IMPL KIND SIZE DIR, load KIND PORT SIZE DIR.
    if args and args[0] == "serve":
        serve(args[1], Path(args[4]))
        return
    if args and args[0] == "load":
        seconds = load(args[1], Path(args[4]), int(args[3]))
        print(f"ELAPSED {seconds:.6f}")
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smaller loads")
    parser.add_argument("--only", action="append", choices=BENCHMARKS)
    opts = parser.parse_args(args)
    rows = results(
        opts.repeat,
        opts.quick,
        tuple(opts.only) if opts.only else BENCHMARKS,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    print(table(rows))


if __name__ == "__main__":
    main()
