"""Every Python sample of the documentation and the READMEs, run for real.

Each fenced ``python`` block is a program.  A line ``<!-- sample: MODE -->``
just before a block says how to run it:

- no marker: run it to its end; it must exit 0;
- ``server``: a program that serves until stopped; it must print a line
  once ready, and SIGINT must then stop it with status 0;
- ``client``: run to its end while the page's last ``server`` sample runs;
- ``continue``: not a program of its own; it is appended to the block
  before it, and the two run as one.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 30.0
_BLOCK = re.compile(
    r"(?:<!-- sample: (?P<mode>\w+) -->\n)?```python\n(?P<code>.*?)```", re.S
)


@dataclass
class Sample:
    """One program of a page: its source, how to run it, where it is."""

    page: str
    line: int
    mode: str
    code: str
    server: Sample | None = None

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def samplesOf(path: Path) -> list[Sample]:
    """The programs of one page, in order, with continuations joined."""
    text = path.read_text()
    page = str(path.relative_to(ROOT))
    found: list[Sample] = []
    server: Sample | None = None
    for match in _BLOCK.finditer(text):
        mode = match.group("mode") or "run"
        line = text.count("\n", 0, match.start("code")) + 1
        if mode == "continue":
            if not found:
                raise AssertionError(f"{page}:{line}: 'continue' with nothing before")
            found[-1].code += match.group("code")
            continue
        sample = Sample(page, line, mode, match.group("code"))
        if mode == "server":
            server = sample
        elif mode == "client":
            if server is None:
                raise AssertionError(f"{page}:{line}: 'client' with no server before")
            sample.server = server
        elif mode != "run":
            raise AssertionError(f"{page}:{line}: unknown sample mode {mode!r}")
        found.append(sample)
    return found


def allSamples() -> list[Sample]:
    pages = [
        ROOT / "README.md",
        *sorted((ROOT / "packages").glob("*/README.md")),
        *sorted((ROOT / "docs").rglob("*.md")),
    ]
    return [s for p in pages if "_build" not in p.parts for s in samplesOf(p)]


SAMPLES = allSamples()


def start(code: str, directory: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=directory,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


def stopServer(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, err
    return out, err


def test_every_page_has_its_samples_found() -> None:
    """The collector sees the samples of the pages that are known to have some."""
    pages = {s.page for s in SAMPLES}
    assert {
        "README.md",
        "packages/plait-core/README.md",
        "docs/getting-started.md",
        "docs/tls.md",
    } <= pages


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.id for s in SAMPLES])
def test_sample_runs(sample: Sample, tmp_path: Path) -> None:
    """The sample runs as written and ends with status 0."""
    if sample.mode == "server":
        process = start(sample.code, tmp_path)
        assert process.stdout is not None
        ready = process.stdout.readline()
        assert ready, process.communicate(timeout=TIMEOUT)[1]
        stopServer(process)
        return
    server = None
    if sample.server is not None:
        server = start(sample.server.code, tmp_path)
        assert server.stdout is not None
        assert server.stdout.readline(), server.communicate(timeout=TIMEOUT)[1]
    try:
        done = subprocess.run(
            [sys.executable, "-c", sample.code],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    finally:
        if server is not None:
            stopServer(server)
