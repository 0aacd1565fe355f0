"""ProducerSlot: registration, pause/resume on crossings, pull requests, stop."""

from __future__ import annotations

import logging

import pytest

from plait.core import ProducerSlot
from plait.core._producers import ProducerState


class Producer:
    """Records the calls a consumer makes on it."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def pauseProducing(self) -> None:
        self.calls.append("pause")

    def resumeProducing(self) -> None:
        self.calls.append("resume")

    def stopProducing(self) -> None:
        self.calls.append("stop")


def test_empty_slot() -> None:
    """A new slot holds nothing and signals nothing."""
    slot = ProducerSlot()
    assert slot.state is ProducerState.NONE
    assert slot.producer is None and slot.streaming is None
    assert not slot.pause() and not slot.resume() and not slot.drained()
    slot.stop()
    slot.unregister()


def test_register_push_and_pull() -> None:
    """register records the producer and whether it is a push producer."""
    push, pull = ProducerSlot(), ProducerSlot()
    producer = Producer()
    push.register(producer, True)
    pull.register(Producer(), False)
    assert push.producer is producer
    assert (push.state, push.streaming) == (ProducerState.STREAMING, True)
    assert (pull.state, pull.streaming) == (ProducerState.PULL, False)
    assert producer.calls == []


def test_second_registration_is_runtime_error() -> None:
    """A slot holds one producer; registering another raises RuntimeError."""
    slot = ProducerSlot()
    first = Producer()
    slot.register(first, True)
    with pytest.raises(RuntimeError, match="already registered"):
        slot.register(Producer(), False)
    assert slot.producer is first
    slot.unregister()
    slot.register(Producer(), False)
    assert slot.state is ProducerState.PULL


def test_pause_and_resume_only_on_crossings() -> None:
    """Repeated full/room signals reach the producer once per crossing."""
    slot = ProducerSlot()
    producer = Producer()
    slot.register(producer, True)
    assert slot.pause() and not slot.pause()
    assert slot.paused
    assert slot.resume() and not slot.resume()
    assert slot.pause() and slot.drained() and not slot.drained()
    assert producer.calls == ["pause", "resume", "pause", "resume"]


def test_pull_producer_asked_each_time_drained() -> None:
    """A pull producer gets resumeProducing on every drain, never a pause."""
    slot = ProducerSlot()
    producer = Producer()
    slot.register(producer, False)
    assert not slot.pause()
    assert slot.drained() and slot.drained()
    assert producer.calls == ["resume", "resume"]


def test_unregister_tells_the_producer_nothing() -> None:
    """unregister forgets the producer silently."""
    slot = ProducerSlot()
    producer = Producer()
    slot.register(producer, True)
    slot.unregister()
    assert slot.state is ProducerState.NONE and slot.producer is None
    assert producer.calls == []


def test_stop_detaches_and_stops() -> None:
    """stop tells the producer to stop for good and empties the slot."""
    slot = ProducerSlot()
    producer = Producer()
    slot.register(producer, True)
    slot.pause()
    slot.stop()
    assert producer.calls == ["pause", "stop"]
    assert slot.state is ProducerState.NONE


def test_stop_logs_a_failing_producer(caplog: pytest.LogCaptureFixture) -> None:
    """An exception from stopProducing is logged and the slot still empties."""

    class Broken(Producer):
        def stopProducing(self) -> None:
            raise OSError("gone")

    slot = ProducerSlot()
    slot.register(Broken(), True)
    with caplog.at_level(logging.ERROR, logger="plait.core"):
        slot.stop()
    assert slot.producer is None
    assert "failed to stop" in caplog.text
