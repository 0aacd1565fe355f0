"""The order of a process protocol's events, exit reasons and signals."""

from __future__ import annotations

import signal
import sys

import pytest

from plait.errors import ProcessDone, ProcessExitedAlready, ProcessTerminated
from plait.interfaces import IProcessTransport, IReactorProcess
from plait.process import ProcessState

PY = sys.executable


def test_reactor_provides_process(reactor):
    """A reactor with the extension provides IReactorProcess."""
    assert IReactorProcess.providedBy(reactor)


def test_connection_made_before_return_with_pid(reactor, recorder, finish):
    """connectionMade has run, with the pid set, when spawnProcess returns."""
    process = reactor.spawnProcess(recorder, "/bin/true", ["true"])
    assert recorder.events == [("made",)]
    assert isinstance(process.pid, int)
    assert recorder.pidAtMade == process.pid
    assert IProcessTransport.providedBy(process)
    finish(reactor, recorder)


def test_exited_then_ended_each_once(reactor, run):
    """processExited comes before processEnded, each once, after every pipe."""
    rec = run(reactor, "/bin/sh", ["sh", "-c", "echo hi; echo err >&2"])
    names = [e[0] for e in rec.events]
    assert names.count("exited") == 1
    assert names.count("ended") == 1
    assert names[-1] == "ended"
    assert sorted(e[1] for e in rec.events if e[0] == "lost") == [0, 1, 2]
    assert names.index("exited") < names.index("ended")


def test_pid_none_after_ended(reactor, run):
    """The transport's pid is None by the time processEnded runs."""
    rec = run(reactor, "/bin/true", ["true"])
    assert rec.events[-1] == ("ended", None)
    assert rec.transport.pid is None
    assert rec.transport.state is ProcessState.ENDED


def test_exit_zero_is_process_done(reactor, run):
    """Exit status 0 ends with ProcessDone."""
    rec = run(reactor, "/bin/true", ["true"])
    assert isinstance(rec.exited.value, ProcessDone)
    assert isinstance(rec.ended.value, ProcessDone)
    assert rec.ended.value.exitCode == 0


@pytest.mark.parametrize("code", [1, 3, 255])
def test_exit_code_is_process_terminated(reactor, run, code):
    """A non-zero exit code ends with ProcessTerminated carrying it."""
    rec = run(reactor, "/bin/sh", ["sh", "-c", f"exit {code}"])
    reason = rec.ended.value
    assert isinstance(reason, ProcessTerminated)
    assert reason.exitCode == code
    assert reason.signal is None
    assert reason.status == code << 8


@pytest.mark.parametrize(
    ("name", "number"),
    [
        ("KILL", signal.SIGKILL),
        ("TERM", signal.SIGTERM),
        ("INT", signal.SIGINT),
        ("HUP", signal.SIGHUP),
        (int(signal.SIGUSR1), signal.SIGUSR1),
    ],
)
def test_signal_process(reactor, recorder, finish, name, number):
    """signalProcess with a name or a number kills with that signal."""
    process = reactor.spawnProcess(recorder, "/bin/sleep", ["sleep", "30"])
    process.signalProcess(name)
    finish(reactor, recorder)
    reason = recorder.ended.value
    assert isinstance(reason, ProcessTerminated)
    assert reason.signal == number
    assert reason.exitCode is None


def test_signal_after_exit_raises(reactor, recorder, finish):
    """Signalling a child that has exited raises ProcessExitedAlready."""
    process = reactor.spawnProcess(recorder, "/bin/true", ["true"])
    finish(reactor, recorder)
    with pytest.raises(ProcessExitedAlready):
        process.signalProcess("TERM")


def test_signal_unknown_name(reactor, recorder, finish):
    """An unknown signal name raises ValueError and leaves the child alone."""
    process = reactor.spawnProcess(recorder, "/bin/sleep", ["sleep", "30"])
    with pytest.raises(ValueError, match="NOPE"):
        process.signalProcess("NOPE")
    process.signalProcess("KILL")
    finish(reactor, recorder)


def test_lose_connection_closes_pipes(reactor, recorder, finish):
    """loseConnection closes every pipe; the child then sees EOF and exits."""
    process = reactor.spawnProcess(
        recorder, "/bin/sh", ["sh", "-c", "cat > /dev/null; exit 0"]
    )
    process.write(b"last words")
    process.loseConnection()
    finish(reactor, recorder)
    assert isinstance(recorder.ended.value, ProcessDone)
    assert sorted(e[1] for e in recorder.events if e[0] == "lost") == [0, 1, 2]


def test_ended_waits_for_pipes_held_by_grandchild(reactor, recorder, finish):
    """processEnded waits until a grandchild holding stdout lets it go."""
    script = "import os,time\nif os.fork() == 0:\n    time.sleep(0.3); print('late')\n"
    reactor.spawnProcess(recorder, PY, [PY, "-c", script], None)
    from plait.core.testing import iterateUntil

    iterateUntil(reactor, lambda: recorder.exited is not None)
    assert recorder.ended is None
    finish(reactor, recorder)
    assert recorder.out() == b"late\n"


def test_protocol_hook_errors_are_logged(reactor, finish, newRecorder, caplog):
    """An exception in a protocol hook is logged and the process still ends."""

    class Broken(newRecorder):
        def childDataReceived(self, childFD, data):
            raise RuntimeError("boom")

    rec = Broken()
    reactor.spawnProcess(rec, "/bin/echo", ["echo", "x"])
    finish(reactor, rec)
    assert "childDataReceived failed" in caplog.text
