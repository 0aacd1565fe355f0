"""Water marks between a transport's write buffer and the producer feeding it.

A push (streaming) producer writes until told to stop. The transport tells
it to pause when the buffer grows past the high-water mark and to resume once
the buffer has drained to the low-water mark, by default 0: the buffer has
emptied, as the consumer contract words it. Signals are sent on crossings
only: a producer that is already paused is not paused again, and a buffer
hovering above the low mark does not make the producer flap.

A pull producer writes one chunk per ``resumeProducing`` call; the transport
asks for the next chunk whenever its buffer runs dry (see ``wantsMore``).

The high mark, 64 KiB, is large enough that a fast producer keeps the
kernel's send buffer busy, small enough that a slow peer cannot make a
process hold much memory per connection. Resuming only once the buffer is
empty costs no throughput: the kernel's send buffer, far larger, still holds
data when the producer is resumed.
"""

from __future__ import annotations

import enum
from typing import Any

__all__ = ["DEFAULT_HIGH_WATER", "ProducerState", "_FlowControl"]

DEFAULT_HIGH_WATER = 64 * 1024


class ProducerState(enum.Enum):
    """Where the producer attached to a consumer stands."""

    NONE = "no producer registered"
    STREAMING = "push producer, producing"
    PAUSED = "push producer, paused by the consumer"
    PULL = "pull producer"


_TRANSITIONS: dict[ProducerState, frozenset[ProducerState]] = {
    ProducerState.NONE: frozenset({ProducerState.STREAMING, ProducerState.PULL}),
    ProducerState.STREAMING: frozenset({ProducerState.PAUSED, ProducerState.NONE}),
    ProducerState.PAUSED: frozenset({ProducerState.STREAMING, ProducerState.NONE}),
    ProducerState.PULL: frozenset({ProducerState.NONE}),
}


class _FlowControl:
    """The producer slot of one consumer, with its water marks.

    The owner reports the size of its buffer after it grows (``grew``) and
    after it shrinks (``shrank``); this object decides when the producer
    hears ``pauseProducing`` and ``resumeProducing``.
    """

    __slots__ = ("high", "low", "producer", "state")

    def __init__(self, high: int = DEFAULT_HIGH_WATER, low: int | None = None) -> None:
        self.producer: Any = None
        self.state = ProducerState.NONE
        self.high = high
        self.low = 0 if low is None else low
        self._checkMarks()

    def _checkMarks(self) -> None:
        if not 0 <= self.low <= self.high:
            raise ValueError(
                f"water marks need 0 <= low <= high, got low={self.low} "
                f"high={self.high}"
            )

    def _move(self, new: ProducerState) -> None:
        if new not in _TRANSITIONS[self.state]:
            raise RuntimeError(f"producer cannot go from {self.state} to {new}")
        self.state = new

    def setWaterMarks(self, high: int | None = None, low: int | None = None) -> None:
        """Change the marks; without a low mark, resume once the buffer is empty."""
        if high is not None:
            self.high = high
            if low is None:
                low = 0
        if low is not None:
            self.low = low
        self._checkMarks()

    @property
    def paused(self) -> bool:
        """True while a push producer is paused by this consumer."""
        return self.state is ProducerState.PAUSED

    def register(self, producer: Any, streaming: bool, size: int) -> None:
        """Attach ``producer``; ``size`` is what the buffer holds right now.

        Raises ``RuntimeError`` if a producer is already attached. A pull
        producer is asked for its first chunk by the owner, not here.
        """
        if self.state is not ProducerState.NONE:
            raise RuntimeError(
                f"a producer is already registered: {self.producer!r}; "
                "unregister it first"
            )
        self.producer = producer
        self._move(ProducerState.STREAMING if streaming else ProducerState.PULL)
        if streaming:
            self.grew(size)

    def unregister(self) -> None:
        """Detach the producer, without telling it anything."""
        if self.state is not ProducerState.NONE:
            self._move(ProducerState.NONE)
        self.producer = None

    def stop(self) -> None:
        """Detach the producer and tell it to stop for good."""
        producer = self.producer
        self.unregister()
        if producer is not None:
            producer.stopProducing()

    def grew(self, size: int) -> None:
        """The buffer now holds ``size`` bytes after a write."""
        if size > self.high and self.state is ProducerState.STREAMING:
            self._move(ProducerState.PAUSED)
            self.producer.pauseProducing()

    def shrank(self, size: int) -> None:
        """The buffer now holds ``size`` bytes after a flush."""
        if size <= self.low and self.state is ProducerState.PAUSED:
            self._move(ProducerState.STREAMING)
            self.producer.resumeProducing()

    def wantsMore(self) -> bool:
        """Ask a pull producer for its next chunk; False if there is none."""
        if self.state is ProducerState.PULL:
            self.producer.resumeProducing()
            return True
        return False
