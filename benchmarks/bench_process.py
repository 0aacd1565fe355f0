"""Child process benchmarks: plait beside Twisted, asyncio and Popen threads.

What is measured
----------------
- ``spawn``: start ``/bin/true`` and wait for its end, SPAWNS times, with
  IN_FLIGHT children running at once; each child gets the usual three
  pipes (stdin, stdout, stderr), as a program capturing output has.
  plait and Twisted use ``spawnProcess``, asyncio
  ``create_subprocess_exec`` with three pipes and ``communicate()``, and
  ``popen-threads`` runs ``subprocess.Popen(...).communicate()`` in a pool
  of IN_FLIGHT threads.
- ``cat``: push CAT_BYTES through ``cat``: written to its stdin in 64 KiB
  chunks as fast as flow control allows (a push producer for plait and
  Twisted, ``drain()`` for asyncio, a writer thread for Popen) while its
  stdout is read and counted.

Each implementation runs in a fresh process, the "parent", kept on one CPU
(its children inherit that CPU); implementations take turns within each
round, and the best of ``repeat`` rounds counts.  Besides the wall time the
parent's own CPU time (user + system, all its threads, not its children's)
is recorded: per spawn it is what the library costs to start and collect a
child; each ``/bin/true`` costs the kernel and the child about 0.7 ms
whoever starts it.

Run: ``python benchmarks/bench_process.py [--repeat N] [--quick]``; the
sub-command ``worker IMPL KIND`` is what each parent process runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

IMPLEMENTATIONS = ("plait", "twisted", "asyncio", "popen-threads")
SPAWNS = 2000
IN_FLIGHT = 20
CAT_BYTES = 100 * 1024 * 1024
CHUNK = 64 * 1024
QUICK = {"spawn": 300, "cat": 16 * 1024 * 1024}
TRUE = "/bin/true"
CAT = "/bin/cat"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- plait ---------------------------------------------------------------------


def plait_spawn(count: int) -> None:
    from plait.core import Reactor
    from plait.process import ProcessProtocol

    reactor = Reactor(installSignalHandlers=False)
    state = {"started": 0, "ended": 0}

    class Child(ProcessProtocol):
        def processEnded(self, reason: Any) -> None:
            state["ended"] += 1
            if state["ended"] == count:
                reactor.stop()
            else:
                more()

    def more() -> None:
        while (
            state["started"] < count and state["started"] - state["ended"] < IN_FLIGHT
        ):
            state["started"] += 1
            reactor.spawnProcess(Child(), TRUE, [TRUE])

    reactor.callWhenRunning(more)
    reactor.run()
    reactor.close()


def plait_cat(total: int) -> None:
    from plait.core import Reactor
    from plait.process import ProcessProtocol

    reactor = Reactor(installSignalHandlers=False)
    chunk = b"x" * CHUNK

    class Feed(ProcessProtocol):
        received = 0
        left = total
        paused = False

        def connectionMade(self) -> None:
            self.transport.registerProducer(self, True)
            self.produce()

        def produce(self) -> None:
            write = self.transport.write
            while not self.paused and self.left > 0:
                self.left -= CHUNK
                write(chunk)
            if self.left <= 0 and self.transport.pid is not None:
                self.transport.unregisterProducer()
                self.transport.closeStdin()
                self.left = 0
                self.paused = True

        def pauseProducing(self) -> None:
            self.paused = True

        def resumeProducing(self) -> None:
            self.paused = False
            self.produce()

        def stopProducing(self) -> None:
            self.paused = True

        def childDataReceived(self, childFD: int, data: bytes) -> None:
            self.received += len(data)

        def processEnded(self, reason: Any) -> None:
            assert self.received == total, (self.received, total)
            reactor.stop()

    reactor.callWhenRunning(reactor.spawnProcess, Feed(), CAT, [CAT])
    reactor.run()
    reactor.close()


# -- Twisted -------------------------------------------------------------------


def _twistedReactor() -> Any:
    from twisted.internet import epollreactor

    epollreactor.install()
    from twisted.internet import reactor

    return reactor


def twisted_spawn(count: int) -> None:
    reactor = _twistedReactor()
    from twisted.internet.protocol import ProcessProtocol

    state = {"started": 0, "ended": 0}

    class Child(ProcessProtocol):
        def processEnded(self, reason: Any) -> None:
            state["ended"] += 1
            if state["ended"] == count:
                reactor.stop()
            else:
                more()

    def more() -> None:
        while (
            state["started"] < count and state["started"] - state["ended"] < IN_FLIGHT
        ):
            state["started"] += 1
            reactor.spawnProcess(Child(), TRUE, [TRUE])

    reactor.callWhenRunning(more)
    reactor.run(installSignalHandlers=True)


def twisted_cat(total: int) -> None:
    reactor = _twistedReactor()
    from twisted.internet.protocol import ProcessProtocol

    chunk = b"x" * CHUNK

    class Feed(ProcessProtocol):
        received = 0
        left = total
        paused = False

        def connectionMade(self) -> None:
            self.transport.registerProducer(self, True)
            self.produce()

        def produce(self) -> None:
            while not self.paused and self.left > 0:
                self.left -= CHUNK
                self.transport.write(chunk)
            if self.left <= 0 and not self.paused:
                self.transport.unregisterProducer()
                self.transport.closeStdin()
                self.paused = True

        def pauseProducing(self) -> None:
            self.paused = True

        def resumeProducing(self) -> None:
            self.paused = False
            self.produce()

        def stopProducing(self) -> None:
            self.paused = True

        def childDataReceived(self, childFD: int, data: bytes) -> None:
            self.received += len(data)

        def processEnded(self, reason: Any) -> None:
            assert self.received == total, (self.received, total)
            reactor.stop()

    reactor.callWhenRunning(reactor.spawnProcess, Feed(), CAT, [CAT])
    reactor.run(installSignalHandlers=True)


# -- asyncio -------------------------------------------------------------------


def asyncio_spawn(count: int) -> None:
    import asyncio

    PIPE = asyncio.subprocess.PIPE

    async def one(gate: asyncio.Semaphore) -> None:
        async with gate:
            proc = await asyncio.create_subprocess_exec(
                TRUE, stdin=PIPE, stdout=PIPE, stderr=PIPE
            )
            await proc.communicate()

    async def main() -> None:
        gate = asyncio.Semaphore(IN_FLIGHT)
        await asyncio.gather(*(one(gate) for _ in range(count)))

    asyncio.run(main())


def asyncio_cat(total: int) -> None:
    import asyncio

    PIPE = asyncio.subprocess.PIPE
    chunk = b"x" * CHUNK

    async def main() -> None:
        proc = await asyncio.create_subprocess_exec(CAT, stdin=PIPE, stdout=PIPE)
        assert proc.stdin is not None and proc.stdout is not None

        async def feed() -> None:
            assert proc.stdin is not None
            left = total
            while left > 0:
                proc.stdin.write(chunk)
                left -= CHUNK
                await proc.stdin.drain()
            proc.stdin.close()

        async def drain() -> int:
            assert proc.stdout is not None
            received = 0
            while data := await proc.stdout.read(CHUNK):
                received += len(data)
            return received

        _, received = await asyncio.gather(feed(), drain())
        await proc.wait()
        assert received == total

    asyncio.run(main())


# -- subprocess.Popen in threads -----------------------------------------------


def popen_spawn(count: int) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def one(_: int) -> None:
        proc = subprocess.Popen(
            [TRUE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        proc.communicate()

    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        list(pool.map(one, range(count)))


def popen_cat(total: int) -> None:
    import threading

    proc = subprocess.Popen([CAT], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    chunk = b"x" * CHUNK

    def feed() -> None:
        assert proc.stdin is not None
        left = total
        while left > 0:
            proc.stdin.write(chunk)
            left -= CHUNK
        proc.stdin.close()

    writer = threading.Thread(target=feed)
    writer.start()
    received = 0
    buffer = bytearray(CHUNK)
    out = proc.stdout.raw  # type: ignore[attr-defined]
    while n := out.readinto(buffer):
        received += n
    writer.join()
    proc.wait()
    assert received == total


RUNNERS = {
    ("plait", "spawn"): plait_spawn,
    ("plait", "cat"): plait_cat,
    ("twisted", "spawn"): twisted_spawn,
    ("twisted", "cat"): twisted_cat,
    ("asyncio", "spawn"): asyncio_spawn,
    ("asyncio", "cat"): asyncio_cat,
    ("popen-threads", "spawn"): popen_spawn,
    ("popen-threads", "cat"): popen_cat,
}


#: Imported before the clock starts, so that no run pays for its imports.
PRELOAD = {
    "plait": ("plait.core", "plait.process"),
    "twisted": ("twisted.internet.epollreactor", "twisted.internet.protocol"),
    "asyncio": ("asyncio", "asyncio.subprocess"),
    "popen-threads": ("concurrent.futures", "threading"),
}


def worker(impl: str, kind: str, size: int) -> None:
    """Run one measurement in this process and print it as JSON."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    for module in PRELOAD[impl]:
        __import__(module)
    cpu0 = _cpu()
    t0 = time.perf_counter()
    RUNNERS[(impl, kind)](size)
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "cpu": _cpu() - cpu0}))


def _available(impl: str) -> bool:
    module = {"plait": "plait.process", "twisted": "twisted"}.get(impl)
    if module is None:
        return True
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def measure(repeat: int, quick: bool) -> dict[tuple[str, str], dict[str, float]]:
    """Best (seconds, cpu) per (kind, impl); implementations interleaved."""
    sizes = QUICK if quick else {"spawn": SPAWNS, "cat": CAT_BYTES}
    impls = [i for i in IMPLEMENTATIONS if _available(i)]
    best: dict[tuple[str, str], dict[str, float]] = {}
    for kind in ("spawn", "cat"):
        for _ in range(repeat):
            for impl in impls:
                done = subprocess.run(
                    [sys.executable, __file__, "worker", impl, kind, str(sizes[kind])],
                    capture_output=True,
                    check=True,
                    text=True,
                )
                result = json.loads(done.stdout.strip().splitlines()[-1])
                result["size"] = sizes[kind]
                key = (kind, impl)
                if key not in best or result["seconds"] < best[key]["seconds"]:
                    best[key] = result
    return best


def results(repeat: int = 3, quick: bool = False) -> list[tuple[str, str, float]]:
    """(benchmark, implementation, seconds) rows for ``benchmarks/run.py``,
    with the parent's CPU seconds as rows of their own."""
    best = measure(repeat, quick)
    print(report(best), flush=True)
    rows = []
    for (kind, impl), r in best.items():
        label = f"process {kind}"
        rows.append((label, impl, r["seconds"]))
        rows.append((f"{label} (parent CPU)", impl, r["cpu"]))
    return rows


def report(best: dict[tuple[str, str], dict[str, float]]) -> str:
    """Spawns/s, parent CPU per spawn, MB/s, with ratios to plait."""
    lines = []
    spawn = {impl: r for (kind, impl), r in best.items() if kind == "spawn"}
    if spawn:
        mine = spawn.get("plait")
        lines.append(
            f"spawn-and-wait {TRUE}, {IN_FLIGHT} in flight, parent on one CPU\n"
            f"{'implementation':<16}{'spawns/s':>10}{'vs plait':>10}"
            f"{'parent CPU/spawn':>18}{'vs plait':>10}"
        )
        for impl, r in spawn.items():
            rate = r["size"] / r["seconds"]
            cpu = r["cpu"] / r["size"] * 1e6
            rr = f"{(mine['size'] / mine['seconds']) / rate:9.2f}x" if mine else ""
            cr = f"{cpu / (mine['cpu'] / mine['size'] * 1e6):9.2f}x" if mine else ""
            lines.append(f"{impl:<16}{rate:>10.0f}{rr:>10}{cpu:>15.0f} us{cr:>10}")
        lines.append("(vs plait: plait's spawns/s over theirs; their CPU over plait's)")
        lines.append("")
    cat = {impl: r for (kind, impl), r in best.items() if kind == "cat"}
    if cat:
        mine = cat.get("plait")
        size = next(iter(cat.values()))["size"]
        lines.append(
            f"{size // (1024 * 1024)} MiB through cat\n"
            f"{'implementation':<16}{'MB/s':>10}{'vs plait':>10}"
            f"{'parent CPU/MB':>18}{'vs plait':>10}"
        )
        for impl, r in cat.items():
            rate = r["size"] / 1e6 / r["seconds"]
            cpu = r["cpu"] / (r["size"] / 1e6) * 1e6
            mrate = mine["size"] / 1e6 / mine["seconds"] if mine else 0
            mcpu = mine["cpu"] / (mine["size"] / 1e6) * 1e6 if mine else 0
            rr = f"{mrate / rate:9.2f}x" if mine else ""
            cr = f"{cpu / mcpu:9.2f}x" if mine else ""
            lines.append(f"{impl:<16}{rate:>10.0f}{rr:>10}{cpu:>15.0f} us{cr:>10}")
        lines.append("(vs plait: plait's MB/s over theirs; their CPU over plait's)")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    w = sub.add_parser("worker")
    w.add_argument("impl", choices=IMPLEMENTATIONS)
    w.add_argument("kind", choices=("spawn", "cat"))
    w.add_argument("size", type=int)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.command == "worker":
        worker(args.impl, args.kind, args.size)
        return 0
    print(report(measure(args.repeat, args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
