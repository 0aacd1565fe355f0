"""DNS lookups: plait-dns beside Twisted's names client and dnspython.

The benchmark starts BIND's ``named`` on loopback itself (from the zones of
``tests-integration/named.py``) and pins it to one CPU; each resolver runs
in a process of its own on the other CPU. Every resolver asks for A records
of fresh names under a wildcard (``q<N>.wild.example.test``), so no cache
can answer and plait's cache is off besides; 100 lookups are in flight at
any time, and each is timed from its start to its answer.

Resolvers, measured in one run and interleaved (round after round, each
resolver once per round):

- ``plait``: ``plait.dns.createResolver`` (cache size 0);
- ``twisted-create``: ``twisted.names.client.createResolver`` (its chain of
  hosts file, cache and client);
- ``twisted-bare``: a bare ``twisted.names.client.Resolver``;
- ``dnspython-asyncio`` and ``dnspython-uvloop``: dnspython's
  ``dns.asyncresolver.Resolver`` on asyncio and on uvloop.

The table gives queries per second, the 99th percentile of latency and the
client's CPU time per 1,000 lookups, each from the resolver's best round,
with ratios (above 1: plait is better).

Run: ``python benchmarks/bench_dns.py [--repeat N] [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
IMPLEMENTATIONS = (
    "plait",
    "twisted-create",
    "twisted-bare",
    "dnspython-asyncio",
    "dnspython-uvloop",
)
IN_FLIGHT = 100
LOOKUPS = 20_000
QUICK_LOOKUPS = 3_000
CLIENT_CPU = 0
SERVER_CPU = 1


def _names(count: int, salt: str) -> list[str]:
    return [f"q{salt}{i}.wild.example.test" for i in range(count)]


class _Driver:
    """Keeps IN_FLIGHT lookups going; records each one's latency."""

    def __init__(
        self, count: int, start: Callable[[str], Any], done: Callable[[], None]
    ):
        self.names = _names(count, str(os.getpid()))
        self.next = 0
        self.finished = 0
        self.failed = 0
        self.latencies: list[float] = []
        self.start = start
        self.done = done

    def launch(self) -> tuple[str, float]:
        name = self.names[self.next]
        self.next += 1
        return name, time.perf_counter()

    def answered(self, began: float, ok: bool) -> None:
        self.latencies.append(time.perf_counter() - began)
        self.finished += 1
        if not ok:
            self.failed += 1
        if self.next < len(self.names):
            self.start(*self.launch())
        elif self.finished == len(self.names):
            self.done()


def _plait(port: int, count: int) -> _Driver:
    from plait.core import Reactor
    from plait.dns import createResolver

    reactor = Reactor()
    resolver = createResolver(
        reactor, servers=[("127.0.0.1", port)], resolvconf=None, hosts=None, cacheSize=0
    )

    def start(name: str, began: float) -> None:
        resolver.lookupAddress(name).addCallbacks(
            lambda _: driver.answered(began, True),
            lambda _: driver.answered(began, False),
        )

    driver = _Driver(count, start, reactor.stop)
    for _ in range(IN_FLIGHT):
        reactor.callWhenRunning(start, *driver.launch())
    reactor.run()
    return driver


def _twisted(port: int, count: int, bare: bool, tmp: Path) -> _Driver:
    from twisted.internet import epollreactor

    epollreactor.install()  # type: ignore[no-untyped-call]  # Twisted's API
    from twisted.internet import reactor as installed
    from twisted.names import client

    reactor: Any = installed
    if bare:
        resolver: Any = client.Resolver(servers=[("127.0.0.1", port)], reactor=reactor)
    else:
        empty = tmp / "empty"
        empty.write_text("")
        resolver = client.createResolver(
            servers=[("127.0.0.1", port)], resolvconf=str(empty), hosts=str(empty)
        )

    def start(name: str, began: float) -> None:
        resolver.lookupAddress(name).addCallbacks(
            lambda _: driver.answered(began, True),
            lambda _: driver.answered(began, False),
        )

    driver = _Driver(count, start, reactor.stop)
    for _ in range(IN_FLIGHT):
        reactor.callWhenRunning(start, *driver.launch())
    reactor.run()
    return driver


def _dnspython(port: int, count: int, useUvloop: bool) -> _Driver:
    import dns.asyncresolver

    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = port
    resolver.cache = None

    async def main() -> _Driver:
        finished = asyncio.get_running_loop().create_future()

        async def one(name: str, began: float) -> None:
            try:
                await resolver.resolve(name, "A")
            except Exception:
                driver.answered(began, False)
            else:
                driver.answered(began, True)

        tasks: set[asyncio.Task[None]] = set()

        def start(name: str, began: float) -> None:
            task = asyncio.ensure_future(one(name, began))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        driver = _Driver(count, start, lambda: finished.set_result(None))
        for _ in range(IN_FLIGHT):
            start(*driver.launch())
        await finished
        return driver

    if useUvloop:
        import uvloop

        return uvloop.run(main())
    return asyncio.run(main())


def client(impl: str, port: int, count: int, tmp: Path) -> None:
    """Run one resolver's load and print its result line."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {CLIENT_CPU})
    before = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    if impl == "plait":
        driver = _plait(port, count)
    elif impl.startswith("twisted"):
        driver = _twisted(port, count, impl == "twisted-bare", tmp)
    else:
        driver = _dnspython(port, count, impl == "dnspython-uvloop")
    elapsed = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    latencies = sorted(driver.latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(f"RESULT {elapsed:.6f} {p99:.6f} {cpu:.6f} {driver.failed}")


def _available(impl: str) -> bool:
    module = {
        "plait": "plait.dns",
        "twisted-create": "twisted.names",
        "twisted-bare": "twisted.names",
        "dnspython-asyncio": "dns.asyncresolver",
        "dnspython-uvloop": "uvloop",
    }[impl]
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def _runClient(
    impl: str, port: int, count: int, tmp: Path
) -> tuple[float, float, float]:
    out = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "client",
            impl,
            str(port),
            str(count),
            str(tmp),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    elapsed, p99, cpu, failed = line.split()[1:]
    if int(failed):
        raise RuntimeError(f"{impl}: {failed} of {count} lookups failed")
    return float(elapsed), float(p99), float(cpu)


def measure(
    repeat: int = 3,
    quick: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, tuple[float, float, float, int]]:
    """impl -> (seconds, p99 seconds, client CPU seconds, lookups), best round."""
    sys.path.insert(0, str(HERE.parent / "tests-integration"))
    from named import namedBinary, startNamed

    binary = namedBinary()
    if binary is None:
        raise RuntimeError("BIND's named is not installed (Debian package bind9)")
    count = QUICK_LOOKUPS if quick else LOOKUPS
    impls = [i for i in IMPLEMENTATIONS if _available(i)]
    server = startNamed(binary, cpu=SERVER_CPU if (os.cpu_count() or 1) > 1 else None)
    best: dict[str, tuple[float, float, float, int]] = {}
    try:
        tmp = server.directory
        for _ in range(repeat):
            for impl in impls:
                elapsed, p99, cpu = _runClient(impl, server.port, count, tmp)
                if impl not in best or elapsed < best[impl][0]:
                    best[impl] = (elapsed, p99, cpu, count)
                if progress is not None:
                    qps = count / elapsed
                    progress(f"dns {impl:18} {qps:9.0f} q/s  p99 {p99 * 1000:6.2f} ms")
    finally:
        server.stop()
    return best


def results(repeat: int = 3, quick: bool = False) -> list[tuple[str, str, float]]:
    """(benchmark, implementation, seconds) rows for benchmarks/run.py."""
    rows: list[tuple[str, str, float]] = []
    sys.path.insert(0, str(HERE.parent / "tests-integration"))
    from named import namedBinary

    if namedBinary() is None:
        print("(bench_dns: BIND's named is not installed, skipped)", flush=True)
        return rows
    best = measure(repeat, quick, lambda line: print(line, flush=True))
    for impl, (elapsed, p99, cpu, count) in best.items():
        rows.append((f"dns {count} lookups", impl, elapsed))
        rows.append(("dns p99 latency", impl, p99))
        rows.append(("dns client CPU per 1000", impl, cpu / count * 1000))
    return rows


def table(best: dict[str, tuple[float, float, float, int]]) -> str:
    """q/s, p99 and CPU per 1,000 lookups, with ratios to plait."""
    mine = best.get("plait")
    lines = [
        f"{'resolver':20}{'q/s':>9}{'ratio':>8}{'p99 ms':>9}{'ratio':>8}"
        f"{'CPU ms/1000':>13}{'ratio':>8}"
    ]
    for impl, (elapsed, p99, cpu, count) in best.items():
        qps = count / elapsed
        per = cpu / count * 1e6
        if mine is None:
            ratios = ("-", "-", "-")
        else:
            ratios = (
                f"{(mine[3] / mine[0]) / qps:.2f}",
                f"{p99 / mine[1]:.2f}",
                f"{per / (mine[2] / mine[3] * 1e6):.2f}",
            )
        lines.append(
            f"{impl:20}{qps:9.0f}{ratios[0]:>8}{p99 * 1000:9.2f}{ratios[1]:>8}"
            f"{per:13.1f}{ratios[2]:>8}"
        )
    lines.append("ratios: plait / other for q/s, other / plait for p99 and CPU;")
    lines.append("above 1 means plait is better")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table (or run a client)."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "client":
        client(args[1], int(args[2]), int(args[3]), Path(args[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="fewer lookups")
    opts = parser.parse_args(args)
    best = measure(
        opts.repeat, opts.quick, lambda line: print(line, file=sys.stderr, flush=True)
    )
    print(table(best))


if __name__ == "__main__":
    main()
