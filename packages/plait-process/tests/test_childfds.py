"""childFDs: pipes on any descriptor, handed-over descriptors, swaps, and
every other descriptor closed in the child."""

from __future__ import annotations

import ast
import os
import sys

import pytest

PY = sys.executable
LIST_FDS = (
    "import os,sys\n"
    "fds = sorted(int(n) for n in os.listdir('/proc/self/fd'))\n"
    "os.write(1, repr(fds).encode())\n"
)


def test_default_mapping(reactor, run, cwd):
    """Without childFDs the child has stdin, stdout and stderr pipes."""
    rec = run(reactor, "/bin/sh", ["sh", "-c", "echo out; echo err >&2"], path=cwd)
    assert rec.out(1) == b"out\n"
    assert rec.out(2) == b"err\n"


def test_read_pipe_on_fd3(reactor, run, cwd):
    """An "r" pipe on descriptor 3 delivers what the child writes there."""
    rec = run(
        reactor,
        "/bin/sh",
        ["sh", "-c", "echo three >&3; echo one"],
        childFDs={1: "r", 3: "r"},
        path=cwd,
    )
    assert rec.out(3) == b"three\n"
    assert rec.out(1) == b"one\n"
    assert sorted(e[1] for e in rec.events if e[0] == "lost") == [1, 3]


def test_write_pipe_on_fd3(reactor, recorder, finish, cwd):
    """A "w" pipe on descriptor 3 carries writeToChild(3, ...) to the child."""
    process = reactor.spawnProcess(
        recorder,
        "/bin/sh",
        ["sh", "-c", "cat <&3"],
        childFDs={1: "r", 3: "w"},
        path=cwd,
    )
    process.writeToChild(3, b"via three")
    process.closeChildFD(3)
    finish(reactor, recorder)
    assert recorder.out(1) == b"via three"


def test_write_to_unknown_fd_raises(reactor, recorder, finish):
    """writeToChild on a descriptor we do not write to raises KeyError."""
    process = reactor.spawnProcess(recorder, "/bin/true", ["true"])
    with pytest.raises(KeyError):
        process.writeToChild(1, b"x")
    with pytest.raises(KeyError):
        process.writeToChild(7, b"x")
    finish(reactor, recorder)


def test_handed_over_descriptor(reactor, run, cwd):
    """An int value hands our descriptor to the child under the given number."""
    r, w = os.pipe()
    try:
        run(
            reactor,
            "/bin/sh",
            ["sh", "-c", "echo given >&5"],
            childFDs={5: w},
            path=cwd,
        )
        os.close(w)
        w = -1
        assert os.read(r, 100) == b"given\n"
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)


def test_swapped_stdout_and_stderr(reactor, run, cwd):
    """child 1 <- our 2 and child 2 <- our 1 cross over, as asked."""
    outR, outW = os.pipe()
    errR, errW = os.pipe()
    saved = os.dup(1), os.dup(2)
    try:
        os.dup2(outW, 1)
        os.dup2(errW, 2)
        run(
            reactor,
            "/bin/sh",
            ["sh", "-c", "echo to-one; echo to-two >&2"],
            childFDs={1: 2, 2: 1},
            path=cwd,
        )
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, outW, errW):
            os.close(fd)
    try:
        assert os.read(errR, 100) == b"to-one\n"
        assert os.read(outR, 100) == b"to-two\n"
    finally:
        os.close(outR)
        os.close(errR)


def test_pipes_swapped_onto_low_numbers(reactor, run, cwd):
    """Pipes can land on any numbers, even crossing the ones they came on."""
    rec = run(
        reactor,
        "/bin/sh",
        ["sh", "-c", "echo a >&4; echo b >&3; echo c"],
        childFDs={4: "r", 3: "r", 1: "r"},
        path=cwd,
    )
    assert (rec.out(4), rec.out(3), rec.out(1)) == (b"a\n", b"b\n", b"c\n")


def test_other_descriptors_closed(reactor, run, cwd):
    """Every descriptor not in childFDs is closed in the child, even an
    inheritable one of ours."""
    leak = os.open(os.devnull, os.O_RDONLY)
    os.set_inheritable(leak, True)
    low = os.open(os.devnull, os.O_RDONLY)
    os.set_inheritable(low, True)
    try:
        rec = run(reactor, PY, [PY, "-c", LIST_FDS], childFDs={1: "r"}, path=cwd)
    finally:
        os.close(leak)
        os.close(low)
    # the listing itself opens one descriptor: the lowest free one, 0
    assert ast.literal_eval(rec.out().decode()) in ([0, 1], [1])


def test_unlisted_std_descriptors_closed(reactor, run, cwd):
    """Standard descriptors left out of childFDs are closed in the child."""
    script = (
        "import os\nfor fd in (0, 2):\n    try:\n        os.fstat(fd)\n"
        "    except OSError:\n        os.write(1, b'closed %d ' % fd)\n"
    )
    rec = run(reactor, PY, [PY, "-c", script], childFDs={1: "r"}, path=cwd)
    assert rec.out() == b"closed 0 closed 2 "


@pytest.mark.parametrize(
    "childFDs",
    [{"1": "r"}, {1: "x"}, {-1: "r"}, {1: -3}, {1: 1.5}],
    ids=["str-key", "bad-mode", "negative-key", "negative-fd", "float"],
)
def test_bad_childfds_refused(reactor, recorder, childFDs, openFds):
    """A malformed childFDs raises before anything is made."""
    before = openFds()
    with pytest.raises((TypeError, ValueError)):
        reactor.spawnProcess(recorder, "/bin/true", ["true"], childFDs=childFDs)
    assert openFds() == before
    assert recorder.events == []
