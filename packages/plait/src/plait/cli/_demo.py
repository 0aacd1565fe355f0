"""``plait demo``: every installed distribution at work on loopback.

Each step prints one line: its name, what it did, how long it took.  On a
terminal a progress line shows the step that is running and its time so
far, redrawn in place; anywhere else (a pipe, a file, CI) only the final
lines are written.  A step whose distribution is missing prints a
"skipped" line with the install command instead.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from plait.core import LoopingCall

from ._info import installLine, version
from ._steps import STEPS, DemoSettings, DemoStep

__all__ = ["Progress", "runDemo", "stepAvailable"]

#: Width of the step-name column.
NAME_WIDTH = 10


def stepAvailable(step: DemoStep) -> bool:
    """Whether the distribution *step* needs is installed."""
    try:
        return importlib.util.find_spec(step.importName) is not None
    except ModuleNotFoundError:
        return False


class Progress:
    """Writes the result lines; on a terminal, also a live status line."""

    def __init__(self, reactor: Any, out: TextIO, live: bool) -> None:
        self.reactor = reactor
        self.out = out
        self.live = live
        self._status = ""
        self._started = 0.0
        self._ticker: LoopingCall | None = None

    def _draw(self) -> None:
        elapsed = time.perf_counter() - self._started
        self.out.write(f"\r\x1b[2K{self._status} … {elapsed:.1f} s")
        self.out.flush()

    def start(self, index: int, total: int, name: str) -> None:
        """A step begins."""
        if not self.live:
            return
        self._status = f"[{index}/{total}] {name}"
        self._started = time.perf_counter()
        self._ticker = LoopingCall(self._draw)
        self._ticker.clock = self.reactor
        self._ticker.start(0.1)

    def line(self, text: str) -> None:
        """A result line, replacing the status line on a terminal."""
        if self._ticker is not None:
            if self._ticker.running:
                self._ticker.stop()
            self._ticker = None
        if self.live:
            self.out.write("\r\x1b[2K")
        self.out.write(text + "\n")
        self.out.flush()


def _format(name: str, text: str, seconds: float | None = None) -> str:
    timing = "" if seconds is None else f" ({seconds * 1000:.1f} ms)"
    return f"{name:<{NAME_WIDTH}} {text}{timing}"


async def runDemo(
    reactor: Any,
    settings: DemoSettings,
    out: TextIO | None = None,
    live: bool | None = None,
    steps: Iterable[DemoStep] = STEPS,
    available: Callable[[DemoStep], bool] = stepAvailable,
) -> int:
    """Run every step in order; the number of steps that ran.

    A failing step stops the demo with its error: the demo exists to show
    that everything works, so a failure must not pass unnoticed.
    """
    stream = sys.stdout if out is None else out
    progress = Progress(reactor, stream, stream.isatty() if live is None else live)
    chosen = list(steps)
    progress.line(f"plait {version()} demo: {len(chosen)} steps on loopback")
    ran = 0
    began = time.perf_counter()
    for index, step in enumerate(chosen, 1):
        if not available(step):
            progress.line(
                _format(
                    step.name,
                    f"skipped: {step.distribution} is not installed"
                    f" ({installLine(step.distribution)})",
                )
            )
            continue
        if importlib.util.find_spec(step.module) is None:
            progress.line(
                _format(step.name, f"skipped: this plait has no {step.name} step yet")
            )
            continue
        module = importlib.import_module(step.module)
        progress.start(index, len(chosen), step.name)
        started = time.perf_counter()
        try:
            text = await module.run(reactor, settings)
        except BaseException:
            progress.line(_format(step.name, "failed"))
            raise
        progress.line(_format(step.name, text, time.perf_counter() - started))
        ran += 1
    total = time.perf_counter() - began
    progress.line(f"demo complete: {ran} of {len(chosen)} steps ran in {total:.2f} s")
    return ran
