"""Deferred callback throughput: plait against Twisted (and asyncio Futures).

Two workloads, each running 1,000,000 callbacks in chains of 10:

- ``chain of 10, then fire``: make a Deferred, add 10 callbacks, fire it;
- ``10 on a fired Deferred``: take an already-fired Deferred (``succeed``)
  and add 10 callbacks, each running at once.

asyncio Futures are timed as a reference: ``add_done_callback`` then
``set_result`` (or callbacks added to a finished Future).  Their callbacks
are scheduled on the loop rather than run in line and do not pass results
along, so the numbers compare the machinery, not identical semantics.

Implementations are interleaved run by run and the best of ``repeat`` runs
counts, which keeps a busy machine from favouring whoever ran first.  The
workloads are pure computation, so they are timed in process CPU time: time
spent waiting for a core that another process holds is not counted.

Run:  .venv/bin/python benchmarks/bench_deferred.py [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from collections.abc import Callable
from typing import Any

CHAINS = 100_000
LENGTH = 10

CHAIN_THEN_FIRE = "deferred: chain of 10, then fire"
ON_FIRED = "deferred: 10 on a fired Deferred"


def _identity(result: Any) -> Any:
    return result


def _plaitChainThenFire() -> None:
    from plait.core import Deferred

    cb = _identity
    for i in range(CHAINS):
        d: Deferred[int] = Deferred()
        for _ in range(LENGTH):
            d.addCallback(cb)
        d.callback(i)


def _plaitOnFired() -> None:
    from plait.core import succeed

    cb = _identity
    for i in range(CHAINS):
        d = succeed(i)
        for _ in range(LENGTH):
            d.addCallback(cb)


def _twistedChainThenFire() -> None:
    from twisted.internet.defer import Deferred

    cb = _identity
    for i in range(CHAINS):
        d: Deferred[int] = Deferred()
        for _ in range(LENGTH):
            d.addCallback(cb)
        d.callback(i)


def _twistedOnFired() -> None:
    from twisted.internet.defer import succeed

    cb = _identity
    for i in range(CHAINS):
        d = succeed(i)
        for _ in range(LENGTH):
            d.addCallback(cb)


def _asyncioRun(fired: bool) -> None:
    # Futures' callbacks run from the loop: let it run them every batch.
    batch = 1000

    async def main() -> None:
        loop = asyncio.get_running_loop()
        cb = _identity
        for start in range(0, CHAINS, batch):
            for i in range(start, start + batch):
                fut = loop.create_future()
                if fired:
                    fut.set_result(i)
                    for _ in range(LENGTH):
                        fut.add_done_callback(cb)
                else:
                    for _ in range(LENGTH):
                        fut.add_done_callback(cb)
                    fut.set_result(i)
            await asyncio.sleep(0)

    asyncio.run(main())


def _asyncioChainThenFire() -> None:
    _asyncioRun(fired=False)


def _asyncioOnFired() -> None:
    _asyncioRun(fired=True)


def _available() -> list[tuple[str, str, Callable[[], None]]]:
    cases: list[tuple[str, str, Callable[[], None]]] = [
        (CHAIN_THEN_FIRE, "plait", _plaitChainThenFire),
        (ON_FIRED, "plait", _plaitOnFired),
    ]
    try:
        import twisted.internet.defer  # noqa: F401
    except ImportError:
        pass
    else:
        cases += [
            (CHAIN_THEN_FIRE, "twisted", _twistedChainThenFire),
            (ON_FIRED, "twisted", _twistedOnFired),
        ]
    cases += [
        (CHAIN_THEN_FIRE, "asyncio", _asyncioChainThenFire),
        (ON_FIRED, "asyncio", _asyncioOnFired),
    ]
    return cases


def _timeOnce(run: Callable[[], None]) -> float:
    gc.collect()
    start = time.process_time()
    run()
    return time.process_time() - start


def results(repeat: int = 5) -> list[tuple[str, str, float]]:
    """Best-of-*repeat* seconds as ``(benchmark, implementation, seconds)``."""
    cases = _available()
    for _, _, run in cases:
        run()  # warm up: imports, caches, specialised bytecode
    best = {(bench, impl): float("inf") for bench, impl, _ in cases}
    for _ in range(repeat):
        for bench, impl, run in cases:
            best[bench, impl] = min(best[bench, impl], _timeOnce(run))
    return [(bench, impl, best[bench, impl]) for bench, impl, _ in cases]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = results(args.repeat)
    mine = {bench: seconds for bench, impl, seconds in rows if impl == "plait"}
    print(f"{CHAINS * LENGTH:,} callbacks per run, best of {args.repeat}")
    print(f"{'benchmark':<36}{'implementation':<16}{'seconds':>9}{'ratio':>9}")
    for bench, impl, seconds in sorted(rows, key=lambda r: (r[0], r[1] != "plait")):
        ratio = seconds / mine[bench]
        print(f"{bench:<36}{impl:<16}{seconds:>9.4f}{ratio:>8.2f}x")
    print("ratio: that implementation's time over plait's (above 1: plait faster)")


if __name__ == "__main__":
    main()
