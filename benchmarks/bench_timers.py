"""Timer throughput: plait's Reactor against Twisted, asyncio and uvloop.

Each run schedules 100,000 calls with random delays below 1 ms, cancels a
random 10% of them, and runs the loop until every remaining call has run.
Every implementation gets the same delays and the same cancellations (one
seeded generator) and the same callback; the best of several runs counts.

Run:  .venv/bin/python benchmarks/bench_timers.py [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import time
from collections.abc import Callable
from typing import Any

from plait.core import Reactor

COUNT = 100_000
CANCEL_FRACTION = 0.1
SEED = 20240601

Workload = tuple[list[float], list[int]]


def workload() -> Workload:
    """The delays and the indices of the calls to cancel."""
    rng = random.Random(SEED)
    delays = [rng.random() * 0.001 for _ in range(COUNT)]
    cancelled = rng.sample(range(COUNT), int(COUNT * CANCEL_FRACTION))
    return delays, cancelled


def _race(
    work: Workload,
    later: Callable[..., Any],
    stop: Callable[[], object],
    run: Callable[[], object],
) -> float:
    """Schedule, cancel and run the workload on one loop; return the time."""
    delays, cancelled = work
    left = COUNT - len(cancelled)

    def tick() -> None:
        nonlocal left
        left -= 1
        if not left:
            stop()

    start = time.perf_counter()
    calls = [later(d, tick) for d in delays]
    for i in cancelled:
        calls[i].cancel()
    run()
    return time.perf_counter() - start


def plait_run(work: Workload) -> float:
    reactor = Reactor(extensions=[], installSignalHandlers=False)
    try:
        return _race(work, reactor.callLater, reactor.stop, reactor.run)
    finally:
        reactor.close()


def _closeTwisted(reactor: Any) -> None:
    """Release the epoll fd and waker pipe of a Twisted reactor instance."""
    reactor._poller.close()
    reactor.waker.connectionLost(None)


def twisted_run(work: Workload) -> float:
    from twisted.internet.epollreactor import EPollReactor

    reactor = EPollReactor()
    try:
        return _race(
            work,
            reactor.callLater,
            reactor.stop,
            lambda: reactor.run(installSignalHandlers=False),
        )
    finally:
        _closeTwisted(reactor)


def _asyncio_like(
    new_loop: Callable[[], asyncio.AbstractEventLoop],
) -> Callable[[Workload], float]:
    def run(work: Workload) -> float:
        loop = new_loop()
        try:
            return _race(work, loop.call_later, loop.stop, loop.run_forever)
        finally:
            loop.close()

    return run


def implementations() -> dict[str, Callable[[Workload], float]]:
    impls: dict[str, Callable[[Workload], float]] = {
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
    work = workload()
    impls = implementations()
    best = dict.fromkeys(impls, float("inf"))
    for _ in range(repeat):
        # Interleaved, so that a noisy moment hurts every implementation.
        for name, run in impls.items():
            gc.collect()
            best[name] = min(best[name], run(work))
    return [("timers", name, seconds) for name, seconds in best.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    from run import table  # benchmarks/run.py, beside this file

    print(table(results(parser.parse_args().repeat)))


if __name__ == "__main__":
    main()
