"""Children on a pseudo-terminal: a controlling terminal in a new session."""

from __future__ import annotations

import os
import sys

import pytest

from plait.errors import ProcessDone

PY = sys.executable
SHOW_TTY = (
    "import os\n"
    "print(os.isatty(0), os.isatty(1), os.isatty(2))\n"
    "print(os.getsid(0) == os.getpid())\n"
    "print(os.tcgetpgrp(0) == os.getpgrp())\n"
    "fd = os.open('/dev/tty', os.O_RDWR); os.write(fd, b'via-dev-tty\\n')\n"
)


def test_child_sees_terminal_and_session(reactor, run, cwd):
    """The child's 0/1/2 are a tty, it leads a new session, and the tty is
    its controlling terminal (it can open /dev/tty)."""
    rec = run(reactor, PY, [PY, "-c", SHOW_TTY], usePTY=True, path=cwd)
    lines = rec.out().replace(b"\r\n", b"\n").splitlines()
    assert lines == [b"True True True", b"True", b"True", b"via-dev-tty"]
    assert isinstance(rec.ended.value, ProcessDone)


def test_end_of_output_is_not_an_error(reactor, run):
    """The terminal's EIO at the child's exit ends output cleanly."""
    rec = run(reactor, "/bin/echo", ["echo", "bye"], usePTY=True)
    assert rec.out() == b"bye\r\n"
    assert isinstance(rec.ended.value, ProcessDone)
    assert [e for e in rec.events if e[0] == "lost"] == [
        ("lost", 0),
        ("lost", 1),
        ("lost", 2),
    ]


def test_input_through_terminal(reactor, recorder, finish, cwd):
    """Writes reach the child as typed input; closeStdin sends end-of-input."""
    process = reactor.spawnProcess(
        recorder,
        "/bin/sh",
        ["sh", "-c", "read line; echo got $line"],
        usePTY=True,
        path=cwd,
    )
    process.write(b"hello\n")
    finish(reactor, recorder)
    assert b"got hello" in recorder.out()


def test_close_stdin_sends_eof(reactor, recorder, finish):
    """closeStdin on a terminal makes a reading child see end of input."""
    process = reactor.spawnProcess(recorder, "/bin/cat", ["cat"], usePTY=True)
    process.write(b"typed\n")
    process.closeStdin()
    finish(reactor, recorder)
    assert isinstance(recorder.ended.value, ProcessDone)
    assert recorder.out().count(b"typed") == 2  # the echo and cat's copy


def test_given_terminal(reactor, run):
    """usePTY may be an existing (controller, terminal, name) triple."""
    controller, terminal = os.openpty()
    name = os.ttyname(terminal)
    rec = run(reactor, "/usr/bin/tty", ["tty"], usePTY=(controller, terminal, name))
    assert rec.out().strip() == name.encode()
    with pytest.raises(OSError):
        os.fstat(terminal)  # the terminal side was closed in the parent


def test_pty_with_childfds_refused(reactor, recorder):
    """usePTY and childFDs together raise ValueError."""
    with pytest.raises(ValueError, match="childFDs"):
        reactor.spawnProcess(recorder, "/bin/true", ["true"], usePTY=True, childFDs={})


def test_signal_through_terminal_session(reactor, recorder, finish):
    """Killing a terminal child ends it with the signal."""
    process = reactor.spawnProcess(recorder, "/bin/sleep", ["sleep", "30"], usePTY=True)
    process.signalProcess("HUP")
    finish(reactor, recorder)
    assert recorder.ended.value.signal == 1
