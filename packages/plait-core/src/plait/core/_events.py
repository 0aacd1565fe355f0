"""System events: named events whose triggers run in three phases.

An event such as ``"startup"`` or ``"shutdown"`` runs its ``"before"``
triggers, then its ``"during"`` triggers, then its ``"after"`` triggers.
A ``"before"`` trigger may return a Deferred; the ``"during"`` phase starts
only once every such Deferred has fired (a failure is logged and counts as
fired).  Results of the other phases are ignored.  An exception raised by
a trigger is logged and the remaining triggers still run.

A trigger runs once: when its phase runs it is taken off the event, so
firing the event again runs only the triggers added since, and removing a
trigger that has run is an error (``ValueError``), like removing it twice.
The reactor's own work for startup and shutdown is not a trigger: it runs
first in the "during" phase each time the reactor fires those events.

Errors of :meth:`SystemEvents.remove`:

- ``TypeError``: the argument is not a trigger id at all;
- ``KeyError``: the id names an event this object never had triggers for
  (typically an id from another reactor);
- ``ValueError``: the trigger was removed already, or has run.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ParamSpec

from ._defer import Deferred
from ._failure import Failure

__all__ = ["PHASES", "EventsMixin", "InvalidPhase", "SystemEvents", "TriggerID"]

log = logging.getLogger("plait.core")

PHASES = ("before", "during", "after")

_P = ParamSpec("_P")


class InvalidPhase(KeyError, ValueError):
    """A phase other than ``"before"``, ``"during"`` or ``"after"``.

    Both a ``KeyError`` (what callers of the classic API catch) and a
    ``ValueError`` (what plait's interface documentation names).
    """


@dataclass(slots=True, eq=False)
class _Trigger:
    func: Callable[..., object]
    args: tuple[Any, ...]
    kw: Mapping[str, Any]
    removed: bool = False


@dataclass(frozen=True, slots=True, eq=False)
class TriggerID:
    """The opaque handle ``addSystemEventTrigger`` returns."""

    eventType: str
    phase: str
    _trigger: _Trigger = field(repr=False)


class _EventState(enum.Enum):
    IDLE = "idle"
    BEFORE = "before"  # running 'before' triggers or waiting for their Deferreds
    FIRING = "firing"  # running 'during' and 'after'


_IDLE, _BEFORE, _FIRING = _EventState.IDLE, _EventState.BEFORE, _EventState.FIRING
_TRANSITIONS = {_IDLE: {_BEFORE}, _BEFORE: {_FIRING}, _FIRING: {_IDLE}}


class _Event:
    """The triggers of one event type and where its firing stands."""

    __slots__ = ("name", "phases", "state", "waiting")

    def __init__(self, name: str) -> None:
        self.name = name
        self.phases: dict[str, list[_Trigger]] = {p: [] for p in PHASES}
        self.state = _IDLE
        self.waiting = 0

    def moveTo(self, new: _EventState) -> None:
        if new not in _TRANSITIONS[self.state]:
            raise RuntimeError(
                f"system event {self.name!r} cannot go from {self.state.value} "
                f"to {new.value} (is it already firing?)"
            )
        self.state = new

    def run(self, phase: str) -> list[Deferred[Any]]:
        """Run one phase, consuming its triggers; return the Deferreds they
        returned."""
        returned: list[Deferred[Any]] = []
        triggers = self.phases[phase]
        # Taken from the front one by one: a trigger added to this phase
        # while it runs runs too.
        while triggers:
            trigger = triggers.pop(0)
            if trigger.removed:
                continue
            trigger.removed = True
            try:
                result = trigger.func(*trigger.args, **trigger.kw)
            except Exception:
                log.exception(
                    "Error in %r trigger %r of system event %r",
                    phase,
                    trigger.func,
                    self.name,
                )
                continue
            if isinstance(result, Deferred):
                returned.append(result)
        return returned

    def purge(self) -> None:
        for phase, triggers in self.phases.items():
            if any(t.removed for t in triggers):
                self.phases[phase] = [t for t in triggers if not t.removed]


class SystemEvents:
    """The system event triggers of one reactor."""

    __slots__ = ("_events",)

    def __init__(self) -> None:
        self._events: dict[str, _Event] = {}

    def add(
        self,
        phase: str,
        eventType: str,
        func: Callable[..., object],
        args: tuple[Any, ...],
        kw: Mapping[str, Any],
    ) -> TriggerID:
        """Register ``func(*args, **kw)`` for *phase* of *eventType*."""
        if phase not in PHASES:
            raise InvalidPhase(
                f"invalid phase {phase!r}: expected one of {', '.join(PHASES)}"
            )
        if not callable(func):
            raise TypeError(f"trigger {func!r} is not callable")
        event = self._events.get(eventType)
        if event is None:
            event = self._events[eventType] = _Event(eventType)
        trigger = _Trigger(func, args, kw)
        event.phases[phase].append(trigger)
        return TriggerID(eventType, phase, trigger)

    def remove(self, triggerID: object) -> None:
        """Unregister a trigger (see the module docstring for the errors)."""
        if not isinstance(triggerID, TriggerID):
            raise TypeError(f"{triggerID!r} is not a system event trigger id")
        event = self._events.get(triggerID.eventType)
        if event is None:
            raise KeyError(f"no triggers for system event {triggerID.eventType!r}")
        trigger = triggerID._trigger
        if trigger.removed or trigger not in event.phases[triggerID.phase]:
            raise ValueError(f"{triggerID!r} was removed already, or has run")
        trigger.removed = True
        if event.state is _IDLE:
            event.purge()

    def fire(self, eventType: str, first: Callable[[], object] | None = None) -> None:
        """Fire *eventType*: before, (wait for Deferreds), during, after.

        :param first: called at the start of the "during" phase, before its
            triggers (the reactor's own startup and shutdown work).
        :raises RuntimeError: the event is still firing from an earlier call.
        """
        event = self._events.get(eventType)
        if event is None:
            event = self._events[eventType] = _Event(eventType)
        event.moveTo(_BEFORE)
        pending = event.run("before")
        if not pending:
            self._finish(event, first)
            return
        event.waiting = len(pending)

        def oneDone(result: object) -> None:
            if isinstance(result, Failure):
                log.error(
                    "A 'before' trigger of system event %r failed: %s",
                    eventType,
                    result.getTraceback(),
                )
            event.waiting -= 1
            if event.waiting == 0:
                self._finish(event, first)

        for d in pending:
            d.addBoth(oneDone)

    def _finish(self, event: _Event, first: Callable[[], object] | None) -> None:
        event.moveTo(_FIRING)
        try:
            if first is not None:
                try:
                    first()
                except Exception:
                    log.exception("Error in the reactor's own %r work", event.name)
            event.run("during")
            event.run("after")
        finally:
            event.moveTo(_IDLE)
            event.purge()


class EventsMixin:
    """The system event methods of IReactorCore, for the reactor."""

    _events: SystemEvents
    running: bool

    def fireSystemEvent(self, eventType: str) -> None:
        """Run the triggers of *eventType* (see :mod:`plait.core._events`)."""
        self._events.fire(eventType)

    def addSystemEventTrigger(
        self,
        phase: str,
        eventType: str,
        callable: Callable[_P, object],
        *args: _P.args,
        **kw: _P.kwargs,
    ) -> TriggerID:
        """Call ``callable(*args, **kw)`` in *phase* of *eventType*.

        :raises KeyError: *phase* is not before/during/after (the exception
            is also a ValueError).
        """
        return self._events.add(phase, eventType, callable, args, kw)

    def removeSystemEventTrigger(self, triggerID: Any) -> None:
        """Unregister a trigger.

        :raises TypeError: *triggerID* is not a trigger id.
        :raises KeyError: it belongs to no event of this reactor.
        :raises ValueError: it was removed already, or has run.
        """
        self._events.remove(triggerID)

    def callWhenRunning(
        self, callable: Callable[_P, object], *args: _P.args, **kw: _P.kwargs
    ) -> TriggerID | None:
        """Call now if running (returns None), else at startup (returns an id)."""
        if self.running:
            callable(*args, **kw)
            return None
        return self._events.add("after", "startup", callable, args, kw)
