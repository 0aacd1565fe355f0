"""Run every benchmark in one process tree and print plait beside the others.

Each ``bench_*.py`` module beside this file offers ``results(repeat)``, a list
of ``(benchmark, implementation, value)``, the best of ``repeat`` runs; a value
is seconds unless the benchmark's name gives another unit (``bench_memory``
gives KiB per connection), and lower is always better. The
table gives, for each benchmark, every implementation's time and its ratio to
plait's: a ratio above 1 means plait is that many times faster.

Usage: ``python benchmarks/run.py [--repeat N] [--only NAME ...] [--json FILE]``
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULES = [
    "bench_timers",
    "bench_deferred",
    "bench_threads",
    "bench_tcp",
    "bench_udp",
    "bench_memory",
    "bench_unix",
    "bench_http",
    "bench_dns",
    "bench_process",
]


def collect(names: list[str], repeat: int) -> list[tuple[str, str, float]]:
    sys.path.insert(0, str(HERE))
    rows: list[tuple[str, str, float]] = []
    for name in names:
        if not (HERE / f"{name}.py").exists():
            print(f"({name}: not present, skipped)", flush=True)
            continue
        module = importlib.import_module(name)
        print(f"running {name} ...", flush=True)
        rows.extend(module.results(repeat))
    return rows


def table(rows: list[tuple[str, str, float]]) -> str:
    by_bench: dict[str, dict[str, float]] = defaultdict(dict)
    for bench, impl, seconds in rows:
        by_bench[bench][impl] = seconds
    lines = [f"{'benchmark':<34}{'implementation':<16}{'value':>10}{'ratio':>9}"]
    for bench, impls in by_bench.items():
        mine = impls.get("plait")
        for impl, seconds in sorted(impls.items(), key=lambda kv: kv[0] != "plait"):
            ratio = f"{seconds / mine:8.2f}x" if mine else "      n/a"
            lines.append(f"{bench:<34}{impl:<16}{seconds:>10.4f}{ratio}")
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    names = [m for m in MODULES if not args.only or any(o in m for o in args.only)]
    rows = collect(names, args.repeat)
    print()
    print(f"Python {platform.python_version()} on {platform.machine()}")
    print("ratio = implementation's time / plait's time (above 1: plait is faster)")
    print()
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
