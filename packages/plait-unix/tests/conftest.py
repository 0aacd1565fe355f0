"""Fixtures of plait-unix's tests.

- ``reactor``: a Reactor per available poller, with the installed
  extensions (so plait-unix's own); what a test leaves watched is closed.
- ``spin(reactor, condition)``: iterate until ``condition()`` holds, or
  fail after a bound instead of hanging.
- ``sockdir``: a fresh short directory for socket files (``sun_path`` is
  small, and pytest's own temporary paths can be long), removed afterwards.
- ``deadPid``: the pid of a process that has exited.
- around each test module, a check that it left no socket or pipe open:
  descriptors that travel between processes must all be closed again.
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from plait.core import Reactor, availablePollers
from plait.core.testing import closeReactor, iterateUntil


@pytest.fixture(params=availablePollers())
def reactor(request: pytest.FixtureRequest) -> Iterator[Reactor]:
    """A reactor over each poller, extensions found through entry points."""
    r = Reactor(poller=request.param)
    yield r
    closeReactor(r)


@pytest.fixture
def spin() -> Callable[[Reactor, Callable[[], object]], None]:
    """``spin(reactor, condition)``: iterate until the condition holds."""
    return iterateUntil


@pytest.fixture
def sockdir() -> Iterator[Path]:
    """A short private directory for socket files."""
    path = Path(tempfile.mkdtemp(prefix="pu-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def deadPid() -> int:
    """A pid whose process has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


_FD_DIR = "/proc/self/fd"


def _descriptors() -> dict[str, str]:
    found = {}
    for name in os.listdir(_FD_DIR):
        # The listing's own descriptor is closed by the time it is read.
        with contextlib.suppress(OSError):
            found[name] = os.readlink(os.path.join(_FD_DIR, name))
    return found


@pytest.fixture(scope="module", autouse=True)
def _noLeakedDescriptors() -> Iterator[None]:
    """Fail a test module that leaves sockets or pipes open."""
    if not os.path.isdir(_FD_DIR):
        yield
        return
    gc.collect()
    before = _descriptors()
    yield
    gc.collect()
    after = _descriptors()
    leaked = {
        fd: target
        for fd, target in after.items()
        if before.get(fd) != target and target.startswith(("socket:", "pipe:"))
    }
    assert not leaked, f"descriptors left open by this module: {leaked}"
