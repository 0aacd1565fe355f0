"""ReconnectingClientFactory: backoff, jitter, limits, stopping, on a fake clock."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from plait.address import IPv4Address
from plait.core import Clock, Protocol, ReconnectingClientFactory
from plait.core.testing import MemoryReactorClock
from plait.errors import NotConnectingError

ADDR = IPv4Address("TCP", "127.0.0.1", 1234)


class FakeConnector:
    """Counts connect() and stopConnecting() calls; has no reactor."""

    def __init__(self, refuseStop: bool = False) -> None:
        self.connects = 0
        self.stops = 0
        self.refuseStop = refuseStop

    def connect(self) -> None:
        self.connects += 1

    def stopConnecting(self) -> None:
        self.stops += 1
        if self.refuseStop:
            raise NotConnectingError("not connecting")


def steady(**knobs: Any) -> ReconnectingClientFactory:
    """A factory without jitter on a fresh Clock, with the given knobs."""
    factory = ReconnectingClientFactory()
    factory.protocol = Protocol
    factory.jitter = 0
    factory.clock = Clock()
    for name, value in knobs.items():
        setattr(factory, name, value)
    return factory


def clockOf(factory: ReconnectingClientFactory) -> Clock:
    clock = factory.clock
    assert isinstance(clock, Clock)
    return clock


def test_failure_schedules_a_retry_after_the_grown_delay() -> None:
    """A failed attempt reconnects after initialDelay * factor seconds."""
    factory = steady()
    connector = FakeConnector()
    factory.clientConnectionFailed(connector, None)
    assert factory.delay == pytest.approx(math.e)
    clock = clockOf(factory)
    clock.advance(math.e - 0.01)
    assert connector.connects == 0
    clock.advance(0.01)
    assert connector.connects == 1
    assert factory.connector is connector


def test_lost_connection_also_retries() -> None:
    """clientConnectionLost schedules a new attempt like a failure does."""
    factory = steady(factor=2.0)
    connector = FakeConnector()
    factory.clientConnectionLost(connector, None)
    clockOf(factory).advance(2.0)
    assert connector.connects == 1


def test_delay_grows_exponentially_up_to_max_delay() -> None:
    """Each retry multiplies the delay by factor until maxDelay caps it."""
    factory = steady(factor=2.0, maxDelay=10.0)
    connector = FakeConnector()
    delays = []
    for _ in range(6):
        factory.clientConnectionFailed(connector, None)
        delays.append(factory.delay)
        clockOf(factory).advance(factory.delay)
    assert delays == [2.0, 4.0, 8.0, 10.0, 10.0, 10.0]
    assert connector.connects == 6
    assert factory.retries == 6


def test_jitter_spreads_delays_around_the_backoff() -> None:
    """With jitter, delays vary from retry to retry but stay near the backoff."""
    delays = []
    for seed in range(40):
        factory = steady(jitter=0.1, factor=2.0, randomSource=random.Random(seed))
        factory.clientConnectionFailed(FakeConnector(), None)
        delays.append(factory.delay)
    assert len(set(delays)) > 30
    assert all(1.0 < d < 3.0 for d in delays)
    assert 1.8 < sum(delays) / len(delays) < 2.2


def test_seeded_random_source_gives_reproducible_delays() -> None:
    """Two factories with equally seeded sources draw the same delays."""
    first = steady(jitter=0.2, randomSource=random.Random(7))
    second = steady(jitter=0.2, randomSource=random.Random(7))
    for factory in (first, second):
        factory.clientConnectionFailed(FakeConnector(), None)
    assert first.delay == second.delay


def test_huge_jitter_never_makes_a_negative_delay() -> None:
    """A jitter wide enough to draw below zero is clamped to zero."""
    for seed in range(50):
        factory = steady(jitter=5.0, randomSource=random.Random(seed))
        factory.clientConnectionFailed(FakeConnector(), None)
        assert factory.delay >= 0


def test_max_retries_gives_up() -> None:
    """After maxRetries retries in a row no further attempt is scheduled."""
    factory = steady(maxRetries=2)
    connector = FakeConnector()
    for _ in range(4):
        factory.clientConnectionFailed(connector, None)
        clockOf(factory).advance(100)
    assert connector.connects == 2
    assert clockOf(factory).getDelayedCalls() == ()


def test_build_protocol_resets_the_backoff() -> None:
    """A successful connection (buildProtocol) starts the backoff over."""
    factory = steady(factor=2.0)
    connector = FakeConnector()
    for _ in range(3):
        factory.clientConnectionFailed(connector, None)
    assert factory.retries == 3
    protocol = factory.buildProtocol(ADDR)
    assert isinstance(protocol, Protocol) and protocol.factory is factory
    assert (factory.delay, factory.retries) == (factory.initialDelay, 0)


def test_stop_trying_cancels_the_pending_retry() -> None:
    """stopTrying cancels the scheduled attempt and stops the connector."""
    factory = steady()
    connector = FakeConnector()
    factory.clientConnectionFailed(connector, None)
    factory.stopTrying()
    clockOf(factory).advance(100)
    assert connector.connects == 0
    assert connector.stops == 1
    assert factory.continueTrying is False
    factory.clientConnectionLost(connector, None)
    assert clockOf(factory).getDelayedCalls() == ()


def test_stop_trying_tolerates_a_connector_not_connecting() -> None:
    """stopTrying swallows the error of a connector with no attempt running."""
    factory = steady()
    connector = FakeConnector(refuseStop=True)
    factory.clientConnectionLost(connector, None)
    factory.stopTrying()
    assert connector.stops == 1


def test_stop_trying_before_any_connection_is_fine() -> None:
    """stopTrying on a fresh factory just stops future retries."""
    factory = steady()
    factory.stopTrying()
    assert factory.continueTrying is False


def test_reset_delay_allows_retries_again() -> None:
    """resetDelay restores the initial delay and re-enables retrying."""
    factory = steady()
    connector = FakeConnector()
    factory.clientConnectionFailed(connector, None)
    factory.stopTrying()
    factory.resetDelay()
    assert factory.continueTrying is True
    assert (factory.delay, factory.retries) == (factory.initialDelay, 0)
    factory.retry(connector)
    clockOf(factory).advance(100)
    assert connector.connects == 1


def test_retry_without_connector_is_value_error() -> None:
    """retry() with no connector seen yet raises ValueError."""
    with pytest.raises(ValueError, match="connector"):
        steady().retry()


def test_without_a_clock_the_connector_reactor_is_used() -> None:
    """With clock unset, retries are scheduled on connector.reactor."""
    reactor = MemoryReactorClock()
    factory = ReconnectingClientFactory()
    factory.jitter = 0
    connector = reactor.connectTCP("127.0.0.1", 1234, factory)
    factory.clientConnectionFailed(connector, None)
    assert len(reactor.getDelayedCalls()) == 1
    reactor.advance(factory.delay)
    assert connector.connectAttempts == 1


def test_without_any_clock_retry_is_runtime_error() -> None:
    """No clock and a connector without a reactor: a clear RuntimeError."""
    factory = ReconnectingClientFactory()
    with pytest.raises(RuntimeError, match="clock"):
        factory.clientConnectionFailed(FakeConnector(), None)
