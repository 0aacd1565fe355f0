"""Delayed calls and the structures that order them.

Two places hold pending calls:

- ``_incoming``: a plain list of the calls scheduled since the last pass of
  the loop.  ``callLater`` only appends here, which is as cheap as
  scheduling can get.
- ``_heap``: ``(time, seq, call)`` tuples for the calls that were not due
  when their pass came.  Tuples compare in C, on the time and then on the
  sequence number, which is unique, so two calls are never compared.

Each pass takes the incoming batch, drops its cancelled calls, sorts it by
time (stably: equal times keep their scheduling order), files the calls not
yet due into the heap and runs the due ones merged with the due part of
the heap, in time order.  A burst of short timers therefore costs one sort
instead of a heap push and pop each, and calls scheduled while a pass runs
wait for the next pass, so a timer that keeps rescheduling itself with a
zero delay cannot starve I/O.

Removal from the heap is lazy.  Cancelling only marks the call; its entry
is dropped when it surfaces.  When dead entries outnumber live ones in a
large heap, it is rebuilt without them.  Postponing is lazy too: only
``call.time`` changes and the early entry is pushed again when it
surfaces.  Moving a filed call *earlier* sends it back to the incoming list
(``call._seq`` becomes -1, so its heap entry no longer matches).
"""

from __future__ import annotations

import enum
import logging
from bisect import bisect_right
from collections.abc import Callable, Mapping
from heapq import heapify, heappop, heappush, heapreplace
from operator import attrgetter
from types import MappingProxyType
from typing import Any

from zope.interface import implementer

from plait.errors import AlreadyCalled, AlreadyCancelled
from plait.interfaces import IDelayedCall

__all__ = ["DelayedCall", "TimerQueue"]

log = logging.getLogger("plait.core")

#: Below this many dead entries the heap is never rebuilt.
_COMPACT_MINIMUM = 256


class _CallState(enum.Enum):
    PENDING = "pending"
    CALLED = "called"
    CANCELLED = "cancelled"


_PENDING = _CallState.PENDING
_CALLED = _CallState.CALLED
_CANCELLED = _CallState.CANCELLED

# Rescheduling keeps a call PENDING; CALLED and CANCELLED are final.
_TRANSITIONS: dict[_CallState, frozenset[_CallState]] = {
    _PENDING: frozenset({_PENDING, _CALLED, _CANCELLED}),
    _CALLED: frozenset(),
    _CANCELLED: frozenset(),
}

_Entry = tuple[float, int, "DelayedCall"]

_timeOf = attrgetter("time")

_NO_KEYWORDS: Mapping[str, Any] = MappingProxyType({})


def _cancelledCall() -> None:
    """What a cancelled DelayedCall holds in place of its callable."""


@implementer(IDelayedCall)
class DelayedCall:
    """One call scheduled by ``callLater``: inspect, cancel or move it.

    ``func``, ``args`` and ``kw`` are what will be called; ``time`` is when,
    on the reactor's ``seconds()`` clock.
    """

    __slots__ = ("_queue", "_seq", "_state", "args", "func", "kw", "time")

    def __init__(
        self,
        queue: TimerQueue,
        time: float,
        func: Callable[..., object],
        args: tuple[Any, ...],
        kw: Mapping[str, Any],
    ) -> None:
        self.time = time
        self.func = func
        self.args = args
        self.kw = kw
        self._state = _PENDING
        self._queue = queue
        # -1: waiting in the incoming list; else the seq of its heap entry.
        # Scheduling is fused into construction: one Python frame, not two.
        self._seq = -1
        queue._incoming.append(self)

    @property
    def called(self) -> bool:
        """Whether the call has run (or is running now)."""
        return self._state is _CALLED

    @property
    def cancelled(self) -> bool:
        """Whether the call was cancelled before it ran."""
        return self._state is _CANCELLED

    def _move(self, new: _CallState) -> None:
        state = self._state
        if new not in _TRANSITIONS[state]:
            if state is _CALLED:
                raise AlreadyCalled(f"{self!r} has already run")
            raise AlreadyCancelled(f"{self!r} was already cancelled")
        self._state = new

    def getTime(self) -> float:
        """When the call is due, in the reactor's ``seconds()`` time."""
        return self.time

    def active(self) -> bool:
        """True until the call has run or been cancelled."""
        return self._state is _PENDING

    def cancel(self) -> None:
        """Make sure the call never runs.

        :raises plait.errors.AlreadyCalled: it has run already.
        :raises plait.errors.AlreadyCancelled: it was cancelled before.
        """
        self._move(_CANCELLED)
        # The heap may keep this entry until it is compacted: let go of what
        # the call would have used, so that it can be collected now.
        self.func = _cancelledCall
        self.args = ()
        self.kw = _NO_KEYWORDS
        if self._seq != -1:
            self._queue._entryDied()

    def delay(self, secondsLater: float) -> None:
        """Move the due time by *secondsLater* (negative moves it earlier).

        :raises plait.errors.AlreadyCalled: it has run already.
        :raises plait.errors.AlreadyCancelled: it was cancelled.
        """
        self._move(_PENDING)
        self._reschedule(self.time + secondsLater)

    def reset(self, secondsFromNow: float) -> None:
        """Make the call due *secondsFromNow* seconds from the present.

        :raises plait.errors.AlreadyCalled: it has run already.
        :raises plait.errors.AlreadyCancelled: it was cancelled.
        """
        self._move(_PENDING)
        self._reschedule(self._queue.clock() + secondsFromNow)

    def _reschedule(self, when: float) -> None:
        if when >= self.time or self._seq == -1:
            # Later: the heap entry is early and gets re-pushed when it
            # surfaces.  Not filed yet: the next pass sorts by the new time.
            self.time = when
            return
        self.time = when
        self._seq = -1
        queue = self._queue
        queue._incoming.append(self)
        queue._entryDied()

    def __repr__(self) -> str:
        func = getattr(self.func, "__qualname__", None) or repr(self.func)
        params = [repr(a) for a in self.args]
        params.extend(f"{k}={v!r}" for k, v in self.kw.items())
        left = self.time - self._queue.clock()
        return (
            f"<DelayedCall {id(self):#x} {self._state.value}, due at "
            f"{self.time:.6f} (in {left:.3f}s): {func}({', '.join(params)})>"
        )


class TimerQueue:
    """The reactor's pending delayed calls.

    *clock* is the time source (``time.monotonic`` in a real reactor).
    """

    __slots__ = ("_dead", "_heap", "_incoming", "_seq", "clock")

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._incoming: list[DelayedCall] = []
        self._heap: list[_Entry] = []
        self._seq = 0
        self._dead = 0

    def __len__(self) -> int:
        """How many entries are held, cancelled ones not yet dropped included."""
        return len(self._heap) + len(self._incoming)

    def _entryDied(self) -> None:
        self._dead = dead = self._dead + 1
        if dead > _COMPACT_MINIMUM and dead * 2 > len(self._heap):
            self.compact()

    def compact(self) -> None:
        """Rebuild the heap without cancelled or superseded entries."""
        heap = self._heap
        # In place: runDue may be iterating over this very list.
        heap[:] = [e for e in heap if e[2]._state is _PENDING and e[1] == e[2]._seq]
        heapify(heap)
        self._dead = 0

    def active(self) -> list[DelayedCall]:
        """The pending calls, earliest first."""
        calls = [
            e[2] for e in self._heap if e[2]._state is _PENDING and e[1] == e[2]._seq
        ]
        calls.extend(c for c in self._incoming if c._state is _PENDING)
        calls.sort(key=_timeOf)
        return calls

    def nextTime(self) -> float | None:
        """When the earliest pending call is due; ``None`` if there is none.

        Dead entries on top of the heap are dropped and postponed ones
        re-pushed on the way.  A cancelled call still in the incoming list
        may make the answer early, never late.
        """
        heap = self._heap
        pending = _PENDING
        best: float | None = None
        while heap:
            time, seq, call = heap[0]
            if call._state is not pending or seq != call._seq:
                heappop(heap)
                self._dead -= 1
            elif call.time > time:
                heapreplace(heap, (call.time, seq, call))
            else:
                best = time
                break
        incoming = self._incoming
        if incoming:
            first = min(map(_timeOf, incoming))
            if best is None or first < best:
                best = first
        return best

    def _file(self, calls: list[DelayedCall]) -> None:
        """Put *calls* (pending, sorted by time) into the heap."""
        heap = self._heap
        seq = self._seq
        if len(calls) > len(heap):
            for call in calls:
                seq += 1
                call._seq = seq
                heap.append((call.time, seq, call))
            heapify(heap)
        else:
            for call in calls:
                seq += 1
                call._seq = seq
                heappush(heap, (call.time, seq, call))
        self._seq = seq

    def runDue(self, now: float) -> None:
        """Run every call due at or before *now*, in time then schedule order.

        Calls scheduled while this runs wait for the next pass, even with a
        zero delay.  An exception from a call is logged and the rest still
        run.
        """
        heap = self._heap
        pending = _PENDING
        batch = self._incoming
        if batch:
            self._incoming = []
            batch = [c for c in batch if c._state is pending]
            if len(batch) > 1:
                batch.sort(key=_timeOf)
            count = bisect_right(batch, now, key=_timeOf)
            if count < len(batch):
                self._file(batch[count:])
        elif not heap or heap[0][0] > now:
            return
        else:
            count = 0
        called = _CALLED
        pop = heappop
        index = 0
        try:
            while True:
                if (
                    heap
                    and heap[0][0] <= now
                    and (index == count or heap[0][0] <= batch[index].time)
                ):
                    time, seq, call = pop(heap)
                    if call._state is not pending or seq != call._seq:
                        self._dead -= 1
                        continue
                    if call.time > time:
                        # Postponed lazily: same sequence number, new place.
                        heappush(heap, (call.time, seq, call))
                        continue
                elif index < count:
                    call = batch[index]
                    index += 1
                    if call._state is not pending:
                        continue
                    if call.time > now:
                        # Postponed by an earlier call of this pass.
                        self._file([call])
                        continue
                else:
                    return
                call._state = called
                try:
                    call.func(*call.args, **call.kw)
                except Exception:
                    log.exception("Unhandled error in delayed call %r", call)
        finally:
            if index < count:
                # Only when something like KeyboardInterrupt escaped a
                # call: keep the rest of the batch for the next pass.
                self._incoming.extend(batch[index:count])
