"""The producer slot of a consumer that has no byte-counting buffer.

A consumer holds at most one producer.  Socket transports size their write
buffer and use water marks (:mod:`plait.core._flowcontrol`); other
consumers only know "I am full" and "I have room" (a TLS layer paused by
the transport below it, an in-memory test transport, a consumer that
forwards to another).  :class:`ProducerSlot` serves those: it remembers the
producer and turns the consumer's full/room edges into
``pauseProducing``/``resumeProducing`` calls, once per crossing.

Socket transports use it too, through :class:`~plait.core._flowcontrol._FlowControl`,
which adds the water marks: both speak of a consumer's producer with the same
:class:`ProducerState`.
"""

from __future__ import annotations

import enum
import logging
from typing import Any

__all__ = ["ProducerSlot", "ProducerState"]

log = logging.getLogger("plait.core")


class ProducerState(enum.Enum):
    """Where the producer attached to a consumer stands."""

    NONE = "no producer registered"
    STREAMING = "push producer, producing"
    PAUSED = "push producer, paused by the consumer"
    PULL = "pull producer"


_NONE = ProducerState.NONE
_STREAMING = ProducerState.STREAMING
_PAUSED = ProducerState.PAUSED
_PULL = ProducerState.PULL

_TRANSITIONS: dict[ProducerState, frozenset[ProducerState]] = {
    _NONE: frozenset({_STREAMING, _PULL}),
    _STREAMING: frozenset({_PAUSED, _NONE}),
    _PAUSED: frozenset({_STREAMING, _NONE}),
    _PULL: frozenset({_NONE}),
}


class ProducerSlot:
    """Holds the producer registered with one consumer.

    The owning consumer forwards ``registerProducer`` and
    ``unregisterProducer`` here, calls :meth:`pause` when it becomes full,
    :meth:`drained` when it has room again, and :meth:`stop` when its
    connection is gone.
    """

    __slots__ = ("_state", "producer")

    def __init__(self) -> None:
        self.producer: Any = None
        self._state = _NONE

    def __repr__(self) -> str:
        return f"<ProducerSlot {self._state.name} {self.producer!r}>"

    @property
    def state(self) -> ProducerState:
        """Whether a producer is held, and of which kind, and if it is paused."""
        return self._state

    @property
    def streaming(self) -> bool | None:
        """True for a push producer, False for a pull one, None when empty."""
        if self._state is _NONE:
            return None
        return self._state is not _PULL

    @property
    def paused(self) -> bool:
        """True while a push producer is paused by this slot."""
        return self._state is _PAUSED

    def _move(self, new: ProducerState) -> None:
        if new not in _TRANSITIONS[self._state]:
            raise RuntimeError(
                f"a producer slot cannot go from {self._state.name} to {new.name}"
            )
        self._state = new

    def register(self, producer: Any, streaming: bool) -> None:
        """Hold *producer*: a push producer if *streaming*, else a pull one.

        A pull producer is not asked for data here; the consumer calls
        :meth:`drained` when it wants the first chunk.

        :raises RuntimeError: a producer is held already.
        """
        if self._state is not _NONE:
            raise RuntimeError(
                f"a producer is already registered ({self.producer!r}); "
                "call unregisterProducer() first"
            )
        self._move(_STREAMING if streaming else _PULL)
        self.producer = producer

    def unregister(self) -> None:
        """Let go of the producer without telling it; no-op when empty."""
        if self._state is not _NONE:
            self._move(_NONE)
        self.producer = None

    def pause(self) -> bool:
        """The consumer is full: pause a producing push producer.

        :returns: whether ``pauseProducing`` was called.
        """
        if self._state is not _STREAMING:
            return False
        self._move(_PAUSED)
        self.producer.pauseProducing()
        return True

    def resume(self) -> bool:
        """The consumer has room: resume a paused push producer.

        :returns: whether ``resumeProducing`` was called.
        """
        if self._state is not _PAUSED:
            return False
        self._move(_STREAMING)
        self.producer.resumeProducing()
        return True

    def drained(self) -> bool:
        """The consumer's buffer is empty: resume a push producer, or ask a
        pull producer for its next chunk.

        :returns: whether the producer was called.
        """
        if self._state is _PULL:
            self.producer.resumeProducing()
            return True
        return self.resume()

    def stop(self) -> None:
        """The connection is gone: let go of the producer and tell it to stop.

        An exception from ``stopProducing`` is logged, not raised: this runs
        while a connection is being torn down, which must go on.
        """
        producer = self.producer
        self.unregister()
        if producer is None:
            return
        try:
            producer.stopProducing()
        except Exception:
            log.exception("producer %r failed to stop", producer)
