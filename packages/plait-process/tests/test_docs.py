"""The examples of the documentation's process page run and print what
they promise."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[3] / "docs" / "process.md"

# The tests run from the repository (nox passes their path), where the page
# lives; an unpacked sdist of this distribution alone has no docs.
pytestmark = pytest.mark.skipif(
    not PAGE.exists(), reason=f"the documentation page is not at {PAGE}"
)


def examples():
    return re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.S)


def run_example(code):
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def test_page_has_the_examples():
    """The page holds the capture, terminal and pipeline examples."""
    assert len(examples()) == 3


def test_capture_example():
    """The first example prints the child's output and its clean exit."""
    out = run_example(examples()[0])
    assert out.startswith("hello / ")
    assert "exited normally" in out


def test_terminal_example():
    """The terminal example answers the prompt of a child on a terminal."""
    out = run_example(examples()[1])
    assert out.splitlines() == ["on a terminal", "name? plait", "hello, plait"]


def test_pipeline_example():
    """The pipeline example sorts the first program's output."""
    assert run_example(examples()[2]) == "apple\nfig\npear\n"
