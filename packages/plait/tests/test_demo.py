"""plait demo: one line per step, skipped steps named, progress on a terminal."""

from __future__ import annotations

import io
import os
import signal
from typing import Any

import pytest

from plait.cli import main
from plait.cli._demo import Progress, stepAvailable
from plait.cli._steps import STEPS
from plait.core import Clock


def test_demo_runs_every_installed_step(capsys: pytest.CaptureFixture[str]) -> None:
    """Each installed step prints its name, what it checked and its time;
    the others print how to install them."""
    with pytest.raises(SystemExit) as exited:
        main(["demo", "--connections", "3", "--messages", "8"])
    assert exited.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(f"demo: {len(STEPS)} steps on loopback")
    assert [line.split()[0] for line in lines[1:-1]] == [s.name for s in STEPS]
    byName = {line.split()[0]: line for line in lines}
    assert "3 connections, 24,576 bytes echoed and verified" in byName["TCP"]
    assert "8,192 bytes echoed over TLSv1.3" in byName["TLS"]
    assert "'plait.invalid' was refused" in byName["TLS"]
    assert "8 datagrams sent back and checked" in byName["UDP"]
    assert "heard by 2 members" in byName["multicast"]
    if "skipped" not in byName["DNS"]:
        assert "www is 127.0.0.1 and ::1, mail via 10 www.demo.test." in byName["DNS"]
        assert "2,664-byte TXT" in byName["DNS"]
    if "skipped" not in byName["process"]:
        assert "leading its own session: asked for a name" in byName["process"]
        assert "exited with status 0" in byName["process"]
    if "skipped" not in byName["UNIX"]:
        assert "socket file of mode 600: 3 connections" in byName["UNIX"]
        assert f"the server is pid {os.getpid()}" in byName["UNIX"]
    for step in STEPS:
        line = byName[step.name]
        if stepAvailable(step):
            assert line.endswith(" ms)")
        else:
            assert f"skipped: {step.distribution} is not installed" in line
            assert "pip install" in line
    ran = sum(stepAvailable(s) for s in STEPS)
    assert lines[-1].startswith(f"demo complete: {ran} of {len(STEPS)} steps ran")


def test_output_to_a_pipe_has_no_control_characters(runPlait: Any) -> None:
    """Written to a pipe, the demo prints plain lines only."""
    code, out, err = runPlait("demo", "--connections", "1", "--messages", "1")
    assert code == 0, err
    assert "\r" not in out
    assert "\x1b" not in out
    assert err == ""


def test_progress_redraws_in_place_on_a_terminal() -> None:
    """On a terminal the running step is shown and redrawn, then replaced
    by its result line."""
    clock = Clock()
    out = io.StringIO()
    progress = Progress(clock, out, live=True)
    progress.start(2, 7, "TLS")
    clock.advance(0.1)
    clock.advance(0.1)
    progress.line("TLS        done")
    text = out.getvalue()
    assert text.count("\r\x1b[2K[2/7] TLS") == 3
    assert text.endswith("\r\x1b[2KTLS        done\n")
    assert not clock.getDelayedCalls()


def test_progress_is_silent_off_a_terminal() -> None:
    """Off a terminal only the result lines are written."""
    clock = Clock()
    out = io.StringIO()
    progress = Progress(clock, out, live=False)
    progress.start(1, 7, "TCP")
    clock.advance(1)
    progress.line("TCP        done")
    assert out.getvalue() == "TCP        done\n"


def test_sigterm_stops_the_demo_with_status_zero(command: Any) -> None:
    """A demo interrupted by SIGTERM exits 0 and prints no error."""
    running = command("demo", "--messages", "100000")
    running.waitForLine("steps on loopback")
    code, _, err = running.finish(signal.SIGTERM)
    assert code == 0
    assert "Traceback" not in err
    assert "error" not in err


def test_demo_leaves_no_file_behind(runPlait: Any, tmp_path: Any) -> None:
    """The demo writes nothing in its working directory or temp folder."""
    code, _, err = runPlait(
        "demo",
        "--connections",
        "1",
        "--messages",
        "1",
        cwd=tmp_path,
        env={"TMPDIR": str(tmp_path)},
    )
    assert code == 0, err
    assert os.listdir(tmp_path) == []


def test_missing_distribution_and_missing_step_are_skipped_with_a_reason() -> None:
    """A step whose distribution is absent names the install line; a step
    whose module this plait lacks says so; neither stops the demo."""
    from plait.cli._demo import runDemo
    from plait.cli._steps import DemoSettings, DemoStep
    from plait.core import ensureDeferred

    steps = [
        DemoStep("UNIX", "plait-unix", "plait.nonexistent", "plait.cli._steps._x"),
        DemoStep("later", "plait-core", "plait.core", "plait.cli._steps._later"),
    ]
    out = io.StringIO()
    done = ensureDeferred(
        runDemo(Clock(), DemoSettings(), out=out, live=False, steps=steps)
    )
    ran: list[object] = []
    done.addCallback(ran.append)
    assert ran == [0]
    lines = out.getvalue().splitlines()
    assert lines[1] == (
        "UNIX       skipped: plait-unix is not installed (pip install plait-unix)"
    )
    assert lines[2] == "later      skipped: this plait has no later step yet"
    assert lines[3].startswith("demo complete: 0 of 2 steps ran")
