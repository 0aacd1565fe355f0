"""Fixtures of the plait command's tests: the command run as a real process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

#: How long a started command may take to say it is ready.
TIMEOUT = 30.0


class Command:
    """A running ``plait`` command; its first lines are read as they come."""

    def __init__(self, *argv: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "plait.cli", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )

    def readline(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().decode()

    def waitForLine(self, pattern: str) -> re.Match[str]:
        """Read lines until one matches *pattern*; fail at end of output."""
        while True:
            line = self.readline()
            if not line:
                raise AssertionError(f"no line matched {pattern!r}: {self.finish()}")
            found = re.search(pattern, line)
            if found:
                return found

    def port(self) -> int:
        """The port of the next 'on ... (host:port)' line."""
        return int(self.waitForLine(r"\(.*:(\d+)\)").group(1))

    def sendSignal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def finish(self, signum: int | None = signal.SIGINT) -> tuple[int, str, str]:
        """Stop it with *signum*; its status and the rest of its output."""
        if signum is not None and self.process.poll() is None:
            self.process.send_signal(signum)
        out, err = self.process.communicate(timeout=TIMEOUT)
        return self.process.returncode, out.decode(), err.decode()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()


@pytest.fixture
def command() -> Iterator[Any]:
    """``command(*argv)``: start ``plait`` in a subprocess, killed at teardown."""
    started: list[Command] = []

    def start(*argv: str) -> Command:
        started.append(Command(*argv))
        return started[-1]

    yield start
    for c in started:
        c.kill()


def _runToEnd(
    *argv: str, cwd: Any = None, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "plait.cli", *argv],
        capture_output=True,
        timeout=TIMEOUT,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **(env or {})},
        check=False,
    )
    return done.returncode, done.stdout.decode(), done.stderr.decode()


@pytest.fixture
def runPlait() -> Any:
    """``runPlait(*argv)``: run ``plait`` to its end; status, stdout, stderr."""
    return _runToEnd
