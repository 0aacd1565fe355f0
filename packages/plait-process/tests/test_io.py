"""Data through a child's pipes: volume, flow control, no loss."""

from __future__ import annotations

import hashlib
import sys

import pytest
from zope.interface import implementer

from plait.errors import ProcessDone
from plait.interfaces import IPullProducer, IPushProducer

PY = sys.executable
MiB = 1024 * 1024


@pytest.mark.slow
def test_50mib_on_stdout_and_stderr_at_once(fastReactor, newRecorder, finish):
    """A child writing 50 MiB on stdout and stderr together never deadlocks
    and every byte arrives."""

    class Counting(newRecorder):
        def __init__(self):
            super().__init__()
            self.counts = {1: 0, 2: 0}
            self.hashes = {1: hashlib.sha256(), 2: hashlib.sha256()}

        def childDataReceived(self, childFD, data):
            self.counts[childFD] += len(data)
            self.hashes[childFD].update(data)

    size = 50 * MiB
    script = (
        "import os, threading\n"
        f"size = {size}\n"
        "block = bytes(range(256)) * 256\n"
        "def pump(fd):\n"
        "    left = size\n"
        "    while left:\n"
        "        left -= os.write(fd, block[: min(left, len(block))])\n"
        "t = threading.Thread(target=pump, args=(2,)); t.start()\n"
        "pump(1); t.join()\n"
    )
    rec = Counting()
    fastReactor.spawnProcess(rec, PY, [PY, "-c", script])
    finish(fastReactor, rec, timeout=60)
    assert rec.counts == {1: size, 2: size}
    block = bytes(range(256)) * 256
    expected = hashlib.sha256(block * (size // len(block))).hexdigest()
    assert rec.hashes[1].hexdigest() == expected == rec.hashes[2].hexdigest()
    assert isinstance(rec.ended.value, ProcessDone)


def test_write_and_write_sequence_lose_nothing(reactor, recorder, finish):
    """Large writes and writeSequence reach cat intact and in order."""
    process = reactor.spawnProcess(recorder, "/bin/cat", ["cat"])
    chunks = [bytes([i]) * (100_000 + i) for i in range(8)]
    process.write(chunks[0])
    process.writeSequence(chunks[1:4])
    process.write(bytearray(chunks[4]))
    process.write(memoryview(chunks[5]))
    process.writeSequence(chunks[6:])
    process.closeStdin()
    finish(reactor, recorder)
    assert recorder.out() == b"".join(chunks)


def test_write_after_close_is_dropped(reactor, recorder, finish):
    """Writing after closeStdin is ignored, not an error."""
    process = reactor.spawnProcess(recorder, "/bin/cat", ["cat"])
    process.write(b"kept")
    process.closeStdin()
    process.write(b"dropped")
    finish(reactor, recorder)
    assert recorder.out() == b"kept"


def test_write_text_refused(reactor, recorder, finish):
    """Writing str raises TypeError: a pipe carries bytes."""
    process = reactor.spawnProcess(recorder, "/bin/cat", ["cat"])
    with pytest.raises(TypeError):
        process.write("text")
    process.closeStdin()
    finish(reactor, recorder)


def test_child_closing_stdin_drops_queue(reactor, recorder, finish):
    """A child that exits without reading ends stdin; the process still ends."""
    process = reactor.spawnProcess(recorder, "/bin/true", ["true"])
    process.write(b"x" * (4 * MiB))
    finish(reactor, recorder)
    assert ("lost", 0) in recorder.events


@implementer(IPushProducer)
class PushSource:
    """Writes chunks into a consumer until told to pause; counts pauses."""

    def __init__(self, reactor, consumer, total, chunk=256 * 1024):
        self.reactor = reactor
        self.consumer = consumer
        self.left = total
        self.chunk = b"p" * chunk
        self.paused = False
        self.pauses = 0
        self.stopped = False

    def start(self):
        self.consumer.registerProducer(self, True)
        self.reactor.callLater(0, self.produce)

    def produce(self):
        while not self.paused and self.left > 0:
            n = min(self.left, len(self.chunk))
            self.left -= n
            self.consumer.write(self.chunk[:n])
        if self.left == 0 and not self.paused:
            self.consumer.unregisterProducer()
            self.consumer.closeStdin()
            self.left = -1

    def pauseProducing(self):
        self.paused = True
        self.pauses += 1

    def resumeProducing(self):
        self.paused = False
        self.reactor.callLater(0, self.produce)

    def stopProducing(self):
        self.stopped = True


def test_stdin_fed_by_push_producer(reactor, newRecorder, finish):
    """A push producer on stdin is paused while the pipe is full and resumed
    after; cat hands back every byte."""

    class Count(newRecorder):
        received = 0

        def childDataReceived(self, childFD, data):
            self.received += len(data)

    rec = Count()
    process = reactor.spawnProcess(rec, "/bin/cat", ["cat"])
    source = PushSource(reactor, process, 8 * MiB)
    source.start()
    finish(reactor, rec)
    assert rec.received == 8 * MiB
    assert source.pauses >= 1
    assert not source.stopped


@implementer(IPullProducer)
class PullSource:
    """Hands over one chunk each time it is asked."""

    def __init__(self, consumer, chunks):
        self.consumer = consumer
        self.chunks = list(chunks)

    def resumeProducing(self):
        if self.chunks:
            self.consumer.write(self.chunks.pop(0))
        else:
            self.consumer.unregisterProducer()
            self.consumer.closeStdin()

    def stopProducing(self):
        self.chunks = []


def test_stdin_fed_by_pull_producer(reactor, recorder, finish):
    """A pull producer is asked for each chunk once the pipe has room."""
    process = reactor.spawnProcess(recorder, "/bin/cat", ["cat"])
    chunks = [bytes([65 + i]) * 200_000 for i in range(10)]
    process.registerProducer(PullSource(process, chunks), False)
    finish(reactor, recorder)
    assert recorder.out() == b"".join(chunks)


def test_pause_reading(reactor, recorder, finish):
    """pauseProducing stops delivering output until resumeProducing."""
    process = reactor.spawnProcess(recorder, "/bin/echo", ["echo", "later"])
    process.pauseProducing()
    for _ in range(20):
        reactor.iterate(0.01)
    assert recorder.out() == b""
    process.resumeProducing()
    finish(reactor, recorder)
    assert recorder.out() == b"later\n"


def test_close_stdout_early(reactor, recorder, finish):
    """closeStdout stops reading; the child then fails on its writes."""
    process = reactor.spawnProcess(recorder, "/usr/bin/yes", ["yes"])
    process.closeStdout()
    finish(reactor, recorder)
    assert recorder.ended.value.signal == 13  # SIGPIPE, back at its default
