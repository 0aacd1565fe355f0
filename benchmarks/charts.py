"""Charts and a table for the documentation, from ``run.py --json`` output.

Usage: ``python benchmarks/charts.py RESULTS.json OUTDIR``

Writes into OUTDIR:

- ``wall.svg``: each benchmark's wall time relative to plait's (1.0);
- ``cpu.svg``: the server's CPU time relative to plait's, for the network
  benchmarks, where the load comes from another process;
- ``results.md``: every measured number, in a Markdown table.

The SVGs carry no date and a fixed hash salt, so the same results give the
same files.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

IMPLEMENTATIONS = ["plait", "twisted", "asyncio", "uvloop"]
COLOURS = {
    "plait": "#2f6fb0",
    "twisted": "#9a9a9a",
    "asyncio": "#e0a030",
    "uvloop": "#50a050",
}

Rows = dict[str, dict[str, float]]


def load(path: Path) -> Rows:
    """``{benchmark: {implementation: seconds}}`` from run.py's JSON rows."""
    rows: Rows = defaultdict(dict)
    for bench, impl, seconds in json.loads(path.read_text()):
        rows[bench][impl] = float(seconds)
    return dict(rows)


def relativeChart(rows: Rows, benches: list[str], title: str, out: Path) -> None:
    """Grouped horizontal bars: each implementation's time over plait's."""
    plt.rcParams["svg.hashsalt"] = "plait-benchmarks"
    height = 0.8 / len(IMPLEMENTATIONS)
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(benches) + 1.2))
    for i, impl in enumerate(IMPLEMENTATIONS):
        ys, xs = [], []
        for j, bench in enumerate(benches):
            times = rows[bench]
            if impl in times and times.get("plait"):
                ys.append(j + i * height)
                xs.append(times[impl] / times["plait"])
        ax.barh(ys, xs, height=height, label=impl, color=COLOURS[impl])
    ax.set_yticks([j + 0.4 - height / 2 for j in range(len(benches))])
    ax.set_yticklabels(benches)
    ax.invert_yaxis()
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xlabel("time relative to plait (lower is faster)")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    fig.savefig(out, format="svg", metadata={"Date": None})
    plt.close(fig)


def table(rows: Rows) -> str:
    """Every number: seconds, and the ratio to plait's."""
    lines = [
        "| benchmark | " + " | ".join(IMPLEMENTATIONS) + " |",
        "|---|" + "---:|" * len(IMPLEMENTATIONS),
    ]
    for bench, times in rows.items():
        mine = times.get("plait")
        # A benchmark whose name gives a unit (KiB...) is not in seconds.
        unit = "" if "KiB" in bench else " s"
        cells = []
        for impl in IMPLEMENTATIONS:
            if impl not in times:
                cells.append("n/a")
            elif impl == "plait" or not mine:
                cells.append(f"{times[impl]:.3f}{unit}")
            else:
                cells.append(f"{times[impl]:.3f}{unit} ({times[impl] / mine:.2f}x)")
        lines.append(f"| {bench} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    rows = load(Path(argv[0]))
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    wall = [b for b in rows if "CPU" not in b]
    cpu = [b for b in rows if b.endswith("(server CPU)")]
    relativeChart(rows, wall, "Wall time of each benchmark", out / "wall.svg")
    if cpu:
        relativeChart(rows, cpu, "Server CPU time for the same load", out / "cpu.svg")
    (out / "results.md").write_text(table(rows))
    print(f"charts and table written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
