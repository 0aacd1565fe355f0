"""ProcessEndpoint: a stream protocol talking to a child's stdin and stdout."""

from __future__ import annotations

import logging

import pytest

from plait.core import Factory, Protocol
from plait.core.testing import iterateUntil
from plait.errors import ProcessDone, ProcessTerminated
from plait.interfaces import IStreamClientEndpoint
from plait.process import ProcessEndpoint, StandardErrorBehavior


class Collect(Protocol):
    def __init__(self):
        self.received = b""
        self.lost = None

    def dataReceived(self, data):
        self.received += data

    def connectionLost(self, reason):
        self.lost = reason


def connect(reactor, endpoint):
    results = []
    endpoint.connect(Factory.forProtocol(Collect)).addBoth(results.append)
    assert results, "the Deferred fires before connect() returns"
    return results[0]


def test_endpoint_talks_to_cat(reactor):
    """The protocol's writes reach cat and cat's output comes back."""
    endpoint = ProcessEndpoint(reactor, "/bin/cat", ["cat"])
    assert IStreamClientEndpoint.providedBy(endpoint)
    proto = connect(reactor, endpoint)
    assert isinstance(proto, Collect)
    assert proto.transport.pid is not None
    proto.transport.write(b"ping")
    iterateUntil(reactor, lambda: proto.received == b"ping")
    proto.transport.loseConnection()
    iterateUntil(reactor, lambda: proto.lost is not None)


def test_endpoint_reports_exit(reactor):
    """connectionLost carries the child's ProcessDone or ProcessTerminated."""
    ok = connect(reactor, ProcessEndpoint(reactor, "/bin/echo", ["echo", "hi"]))
    bad = connect(reactor, ProcessEndpoint(reactor, "/bin/sh", ["sh", "-c", "exit 9"]))
    iterateUntil(reactor, lambda: ok.lost is not None and bad.lost is not None)
    assert ok.received == b"hi\n"
    assert isinstance(ok.lost.value, ProcessDone)
    assert isinstance(bad.lost.value, ProcessTerminated)
    assert bad.lost.value.exitCode == 9


def test_endpoint_stderr_logged_or_dropped(reactor, caplog):
    """Standard error is logged by default and dropped when asked."""
    caplog.set_level(logging.INFO, logger="plait.process")
    args = ["sh", "-c", "echo oops >&2"]
    logged = connect(reactor, ProcessEndpoint(reactor, "/bin/sh", args))
    iterateUntil(reactor, lambda: logged.lost is not None)
    assert "oops" in caplog.text
    caplog.clear()
    dropped = connect(
        reactor,
        ProcessEndpoint(reactor, "/bin/sh", args, errFlag=StandardErrorBehavior.DROP),
    )
    iterateUntil(reactor, lambda: dropped.lost is not None)
    assert "oops" not in caplog.text


def test_endpoint_missing_program_fails(reactor):
    """A program that cannot run fails the Deferred with its OSError."""
    failure = connect(reactor, ProcessEndpoint(reactor, "/no/such/thing"))
    assert failure.check(FileNotFoundError)
    failure.trap(FileNotFoundError)


def test_endpoint_pipeline(reactor):
    """Two endpoints chained: one child's output fed into another's input."""
    sorter = connect(reactor, ProcessEndpoint(reactor, "/usr/bin/sort", ["sort"]))

    class Forward(Collect):
        def dataReceived(self, data):
            sorter.transport.write(data)

        def connectionLost(self, reason):
            sorter.transport.loseWriteConnection()

    results = []
    ProcessEndpoint(reactor, "/usr/bin/printf", ["printf", "b\\na\\nc\\n"]).connect(
        Factory.forProtocol(Forward)
    ).addBoth(results.append)
    iterateUntil(reactor, lambda: sorter.lost is not None)
    assert sorter.received == b"a\nb\nc\n"
    assert isinstance(results[0], Forward)


@pytest.mark.parametrize("name", ["pauseProducing", "resumeProducing"])
def test_endpoint_transport_is_a_producer(reactor, name):
    """The endpoint's transport can pause and resume reading."""
    proto = connect(reactor, ProcessEndpoint(reactor, "/bin/echo", ["echo", "x"]))
    getattr(proto.transport, name)()
    proto.transport.resumeProducing()
    iterateUntil(reactor, lambda: proto.lost is not None)
    assert proto.received == b"x\n"
