"""callFromThread throughput: plait's Reactor against Twisted, asyncio, uvloop.

THREADS worker threads each hand CALLS calls to the loop thread
(``callFromThread`` / ``call_soon_threadsafe``); the time runs from starting
the threads until the loop has run every call.  The best of several runs
counts.

Run:  .venv/bin/python benchmarks/bench_threads.py [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import threading
import time
from collections.abc import Callable

from bench_timers import _closeTwisted

from plait.core import Reactor

THREADS = 4
CALLS = 50_000


def _race(
    send: Callable[[Callable[[], None]], object],
    soon: Callable[..., object],
    stop: Callable[[], object],
    run: Callable[[], object],
) -> float:
    """Flood one loop from THREADS threads through *send*; return the time.

    *soon* schedules a call on the loop once it runs (to start the threads).
    """
    left = THREADS * CALLS

    def tick() -> None:
        nonlocal left
        left -= 1
        if not left:
            stop()

    def produce() -> None:
        for _ in range(CALLS):
            send(tick)

    threads = [threading.Thread(target=produce) for _ in range(THREADS)]
    start = time.perf_counter()
    soon(_startAll, threads)
    run()
    elapsed = time.perf_counter() - start
    for t in threads:
        t.join()
    return elapsed


def _startAll(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.start()


def plait_run() -> float:
    reactor = Reactor(extensions=[], installSignalHandlers=False)
    try:
        return _race(
            reactor.callFromThread, reactor.callWhenRunning, reactor.stop, reactor.run
        )
    finally:
        reactor.close()


def twisted_run() -> float:
    from twisted.internet.epollreactor import EPollReactor

    reactor = EPollReactor()
    try:
        return _race(
            reactor.callFromThread,
            reactor.callWhenRunning,
            reactor.stop,
            lambda: reactor.run(installSignalHandlers=False),
        )
    finally:
        _closeTwisted(reactor)


def _asyncio_like(
    new_loop: Callable[[], asyncio.AbstractEventLoop],
) -> Callable[[], float]:
    def run() -> float:
        loop = new_loop()
        try:
            return _race(
                loop.call_soon_threadsafe, loop.call_soon, loop.stop, loop.run_forever
            )
        finally:
            loop.close()

    return run


def implementations() -> dict[str, Callable[[], float]]:
    impls: dict[str, Callable[[], float]] = {
        "plait": plait_run,
        "twisted": twisted_run,
        "asyncio": _asyncio_like(asyncio.new_event_loop),
    }
    try:
        import uvloop
    except ImportError:
        pass
    else:
        impls["uvloop"] = _asyncio_like(uvloop.new_event_loop)
    return impls


def results(repeat: int = 5) -> list[tuple[str, str, float]]:
    """Best time of *repeat* runs per implementation: (benchmark, impl, s)."""
    impls = implementations()
    best = dict.fromkeys(impls, float("inf"))
    for _ in range(repeat):
        for name, run in impls.items():
            gc.collect()
            best[name] = min(best[name], run())
    bench = f"callFromThread {THREADS}x{CALLS}"
    return [(bench, name, seconds) for name, seconds in best.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    from run import table  # benchmarks/run.py, beside this file

    print(table(results(parser.parse_args().repeat)))


if __name__ == "__main__":
    main()
