"""Collecting children: only our own, never a zombie, from any thread."""

from __future__ import annotations

import os
import subprocess
import threading

import pytest

from plait.core import Reactor
from plait.core.testing import iterateUntil
from plait.errors import ProcessDone, ProcessTerminated
from plait.process import ProcessExtension


def zombies_of_ours():
    """Pids of our children that are zombies (Linux's /proc)."""
    me = str(os.getpid())
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and fields[1] == me:
            found.append(int(name))
    return found


def test_popen_child_keeps_its_status(reactor, run):
    """A subprocess.Popen child exiting alongside ours keeps its exit status."""
    popen = subprocess.Popen(["/bin/sh", "-c", "exit 7"])
    rec = run(reactor, "/bin/sh", ["sh", "-c", "exit 5"])
    assert rec.ended.value.exitCode == 5
    assert popen.wait(timeout=10) == 7


def test_other_reactors_children_are_theirs(reactor, newRecorder, finish):
    """Two reactors each collect only their own children."""
    other = Reactor(extensions=[ProcessExtension.using("sigchld")])
    try:
        mine, theirs = newRecorder(), newRecorder()
        reactor.spawnProcess(mine, "/bin/sh", ["sh", "-c", "exit 1"])
        other.spawnProcess(theirs, "/bin/sh", ["sh", "-c", "exit 2"])
        finish(reactor, mine)
        finish(other, theirs)
        assert mine.ended.value.exitCode == 1
        assert theirs.ended.value.exitCode == 2
    finally:
        other.close()


@pytest.mark.slow
def test_thousand_spawns_no_zombie_no_leak(fastReactor, newRecorder, openFds):
    """1,000 children, 50 at a time, leave no zombie and no descriptor."""
    before = openFds()
    done = []
    started = 0

    class Counted(newRecorder):
        def processEnded(self, reason):
            super().processEnded(reason)
            done.append(isinstance(reason.value, ProcessDone))
            startMore()

    def startMore():
        nonlocal started
        while started < 1000 and started - len(done) < 50:
            started += 1
            fastReactor.spawnProcess(Counted(), "/bin/true", ["true"])

    startMore()
    iterateUntil(fastReactor, lambda: len(done) == 1000, timeout=60)
    assert all(done)
    assert zombies_of_ours() == []
    assert openFds() == before


def test_spawn_from_thread_while_running(reactor, recorder):
    """spawnProcess from callInThread works; connectionMade runs in the
    reactor thread before the call returns."""
    seen = {}
    reactorThread = threading.get_ident()

    class InLoop(type(recorder)):
        def connectionMade(self):
            seen["thread"] = threading.get_ident()
            super().connectionMade()

        def processEnded(self, reason):
            super().processEnded(reason)
            reactor.stop()

    rec = InLoop()

    def inThread():
        process = reactor.spawnProcess(rec, "/bin/echo", ["echo", "threaded"])
        seen["madeBeforeReturn"] = rec.events[:1] == [("made",)]
        seen["pid"] = process.pid

    reactor.callWhenRunning(reactor.callInThread, inThread)
    reactor.callLater(20, reactor.stop)
    reactor.run()
    assert seen["thread"] == reactorThread
    assert seen["madeBeforeReturn"]
    assert rec.out() == b"threaded\n"
    assert isinstance(rec.ended.value, ProcessDone)


def test_spawn_before_run(reactor, recorder):
    """A child spawned before run() is served once the reactor runs."""

    class Stopping(type(recorder)):
        def processEnded(self, reason):
            super().processEnded(reason)
            reactor.stop()

    rec = Stopping()
    reactor.spawnProcess(rec, "/bin/sh", ["sh", "-c", "echo early; exit 4"])
    reactor.callLater(20, reactor.stop)
    reactor.run()
    assert rec.out() == b"early\n"
    assert isinstance(rec.ended.value, ProcessTerminated)
    assert rec.ended.value.exitCode == 4


def test_children_left_at_shutdown_are_collected(reactor, recorder):
    """A child still running when the reactor stops is still collected."""
    process = reactor.spawnProcess(recorder, "/bin/sleep", ["sleep", "0.2"])
    pid = process.pid
    reactor.callWhenRunning(reactor.stop)
    reactor.run()
    # Nothing of ours will hear of it now; once it exits it must vanish
    # instead of staying a zombie.
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        threading.Event().wait(0.05)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_spawn_from_many_threads(fastReactor, newRecorder):
    """Children spawned from several pool threads at once all end properly."""
    ended = []

    class Counted(newRecorder):
        def processEnded(self, reason):
            super().processEnded(reason)
            ended.append(self.out())
            if len(ended) == 40:
                fastReactor.stop()

    def spawnSome(n):
        for i in range(10):
            fastReactor.spawnProcess(Counted(), "/bin/echo", ["echo", f"{n}-{i}"])

    def start():
        for n in range(4):
            fastReactor.callInThread(spawnSome, n)

    fastReactor.callWhenRunning(start)
    fastReactor.callLater(30, fastReactor.stop)
    fastReactor.run()
    assert sorted(ended) == sorted(
        f"{n}-{i}\n".encode() for n in range(4) for i in range(10)
    )
