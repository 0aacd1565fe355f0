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

The producer itself is held by :class:`~plait.core._producers.ProducerSlot`;
this module only adds the counting of bytes.
"""

from __future__ import annotations

from typing import Any

from ._producers import ProducerSlot, ProducerState

__all__ = ["DEFAULT_HIGH_WATER", "ProducerState", "_FlowControl"]

DEFAULT_HIGH_WATER = 64 * 1024


class _FlowControl(ProducerSlot):
    """The producer slot of one consumer, with its water marks.

    The owner reports the size of its buffer after it grows (``grew``) and
    after it shrinks (``shrank``); this object decides when the producer
    hears ``pauseProducing`` and ``resumeProducing``.
    """

    __slots__ = ("high", "low")

    def __init__(self, high: int = DEFAULT_HIGH_WATER, low: int | None = None) -> None:
        super().__init__()
        self.high = high
        self.low = 0 if low is None else low
        self._checkMarks()

    def _checkMarks(self) -> None:
        if not 0 <= self.low <= self.high:
            raise ValueError(
                f"water marks need 0 <= low <= high, got low={self.low} "
                f"high={self.high}"
            )

    def setWaterMarks(self, high: int | None = None, low: int | None = None) -> None:
        """Change the marks; without a low mark, resume once the buffer is empty."""
        if high is not None:
            self.high = high
            if low is None:
                low = 0
        if low is not None:
            self.low = low
        self._checkMarks()

    def register(self, producer: Any, streaming: bool, size: int = 0) -> None:
        """Attach ``producer``; ``size`` is what the buffer holds right now.

        Raises ``RuntimeError`` if a producer is already attached. A pull
        producer is asked for its first chunk by the owner, not here.
        """
        super().register(producer, streaming)
        if streaming:
            self.grew(size)

    def grew(self, size: int) -> None:
        """The buffer now holds ``size`` bytes after a write."""
        if size > self.high:
            self.pause()

    def shrank(self, size: int) -> None:
        """The buffer now holds ``size`` bytes after a flush."""
        if size <= self.low:
            self.resume()

    def wantsMore(self) -> bool:
        """Ask a pull producer for its next chunk; False if there is none."""
        if self.state is ProducerState.PULL:
            self.producer.resumeProducing()
            return True
        return False
