"""Water-mark flow control between a buffer and its producer."""

from __future__ import annotations

import pytest

from plait.core._flowcontrol import DEFAULT_HIGH_WATER, ProducerState, _FlowControl


class Producer:
    """Records the calls a consumer makes."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def pauseProducing(self) -> None:
        self.calls.append("pause")

    def resumeProducing(self) -> None:
        self.calls.append("resume")

    def stopProducing(self) -> None:
        self.calls.append("stop")


def test_default_marks() -> None:
    """The defaults are 64 KiB high and 0 low: resume once the buffer is empty."""
    flow = _FlowControl()
    assert flow.high == DEFAULT_HIGH_WATER == 65536
    assert flow.low == 0


def test_pause_on_crossing_above_high_only_once() -> None:
    """A push producer is paused when the buffer passes high, and not again."""
    flow = _FlowControl(high=100)
    p = Producer()
    flow.register(p, True, 0)
    flow.grew(100)
    assert p.calls == []
    flow.grew(101)
    flow.grew(500)
    assert p.calls == ["pause"]
    assert flow.paused


def test_resume_on_crossing_below_low_only_once() -> None:
    """A paused producer resumes once the buffer drains to the low mark."""
    flow = _FlowControl(high=100, low=20)
    p = Producer()
    flow.register(p, True, 0)
    flow.grew(200)
    flow.shrank(50)
    assert p.calls == ["pause"]
    flow.shrank(20)
    flow.shrank(0)
    assert p.calls == ["pause", "resume"]
    assert flow.state is ProducerState.STREAMING


def test_registering_over_high_pauses_at_once() -> None:
    """A push producer registered while the buffer is already full is paused."""
    flow = _FlowControl(high=10)
    p = Producer()
    flow.register(p, True, 11)
    assert p.calls == ["pause"]


def test_second_registration_raises() -> None:
    """Only one producer at a time: registering another raises RuntimeError."""
    flow = _FlowControl()
    flow.register(Producer(), True, 0)
    with pytest.raises(RuntimeError, match="already registered"):
        flow.register(Producer(), False, 0)


def test_pull_producer_is_asked_for_more_and_never_paused() -> None:
    """wantsMore() resumes a pull producer; water marks do not apply to it."""
    flow = _FlowControl(high=10)
    p = Producer()
    flow.register(p, False, 0)
    flow.grew(1000)
    assert flow.wantsMore() is True
    assert p.calls == ["resume"]


def test_wants_more_without_pull_producer() -> None:
    """wantsMore() is False when no pull producer is attached."""
    flow = _FlowControl()
    assert flow.wantsMore() is False
    flow.register(Producer(), True, 0)
    assert flow.wantsMore() is False


def test_stop_tells_the_producer_and_detaches_it() -> None:
    """stop() calls stopProducing and leaves the slot empty."""
    flow = _FlowControl()
    p = Producer()
    flow.register(p, True, 0)
    flow.stop()
    assert p.calls == ["stop"]
    assert flow.producer is None and flow.state is ProducerState.NONE
    flow.stop()
    assert p.calls == ["stop"]


def test_unregister_is_silent() -> None:
    """unregister() detaches without calling the producer."""
    flow = _FlowControl()
    p = Producer()
    flow.register(p, True, 0)
    flow.unregister()
    assert p.calls == [] and flow.producer is None


def test_bad_marks_raise() -> None:
    """A low mark above the high mark is refused."""
    with pytest.raises(ValueError, match="low"):
        _FlowControl(high=10, low=11)
    flow = _FlowControl()
    flow.setWaterMarks(high=1000)
    assert (flow.high, flow.low) == (1000, 0)
