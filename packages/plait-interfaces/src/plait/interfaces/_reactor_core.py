"""Interfaces every plait reactor provides: the loop, time, threads, I/O sets.

``plait.core.Reactor`` implements all of them itself; the network and
process interfaces are added by extensions (see ``plait.core``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from zope.interface import Attribute, Interface

from ._descriptors import IReadDescriptor, IWriteDescriptor
from ._resolver import IResolverSimple


class IDelayedCall(Interface):
    """One call scheduled with :meth:`IReactorTime.callLater`.

    The operations that change the schedule raise
    :class:`plait.errors.AlreadyCalled` once the call has run and
    :class:`plait.errors.AlreadyCancelled` once it has been cancelled.
    """

    __module__ = "plait.interfaces"

    def getTime() -> float:
        """Give the moment the call is due, on the reactor's clock.

        :returns: a time comparable with :meth:`IReactorTime.seconds`
            (plait's clock is monotonic, not the epoch).
        """

    def cancel() -> None:
        """Unschedule the call so that it never runs.

        :raises plait.errors.AlreadyCalled: if it has run already.
        :raises plait.errors.AlreadyCancelled: if it was cancelled before.
        """

    def delay(secondsLater: float) -> None:
        """Push the due time back by *secondsLater* seconds.

        :param secondsLater: how much later than currently planned to run.
        :raises plait.errors.AlreadyCalled: if it has run already.
        :raises plait.errors.AlreadyCancelled: if it was cancelled.
        """

    def reset(secondsFromNow: float) -> None:
        """Make the call due *secondsFromNow* seconds from the present moment.

        The effect is that of cancelling it and scheduling the same call
        anew, but the same object stays valid.

        :param secondsFromNow: the new delay, counted from now.
        :raises plait.errors.AlreadyCalled: if it has run already.
        :raises plait.errors.AlreadyCancelled: if it was cancelled.
        """

    def active() -> bool:
        """Tell whether the call is still pending (neither run nor cancelled)."""


class IReactorTime(Interface):
    """The reactor's clock and its timed calls."""

    __module__ = "plait.interfaces"

    def seconds() -> float:
        """Read the reactor's clock.

        :returns: seconds as a ``float``; plait reactors use a monotonic
            clock, so only differences between readings are meaningful.
        """

    def callLater(
        delay: float, callable: Callable[..., Any], *args: Any, **kw: Any
    ) -> IDelayedCall:
        """Schedule ``callable(*args, **kw)`` to run after *delay* seconds.

        :param delay: seconds to wait; 0 means on the next loop iteration.
        :param callable: what to call.
        :param args: positional arguments for it.
        :param kw: keyword arguments for it.
        :returns: a handle to cancel, delay or reset the call.
        """

    def getDelayedCalls() -> Sequence[IDelayedCall]:
        """List the calls that are scheduled and have neither run nor been
        cancelled."""


class IReactorThreads(Interface):
    """Moving work between the reactor thread and a pool of worker threads."""

    __module__ = "plait.interfaces"

    def getThreadPool() -> Any:
        """Give the pool :meth:`callInThread` uses, creating it on first use."""

    def callInThread(callable: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``callable(*args, **kwargs)`` on a worker thread of the pool.

        Its result is discarded; use ``plait.core.deferToThread`` to get it.
        """

    def callFromThread(callable: Callable[..., Any], *args: Any, **kw: Any) -> None:
        """Arrange for ``callable(*args, **kw)`` to run on the reactor thread.

        Safe to call from any thread: it wakes the loop, which then makes
        the call.  The only safe way for other threads to use plait
        objects.  From the reactor thread itself, ``callLater(0, ...)``
        does the same without the wake-up.
        """

    def suggestThreadPoolSize(size: int) -> None:
        """Suggest how many worker threads the pool may use at most.

        :param size: the new maximum.
        """


class IReactorCore(Interface):
    """The event loop itself: running, stopping and system events.

    System events (``"startup"``, ``"shutdown"``) run their triggers in
    three phases, ``"before"``, ``"during"`` and ``"after"``.  A
    ``"before"`` trigger may return a Deferred; the ``"during"`` phase waits
    until all of those have fired.  From ``"during"`` on every trigger runs
    and its result is ignored.
    """

    __module__ = "plait.interfaces"

    running = Attribute(
        "A bool: True from the 'during' phase of startup until the 'during' "
        "phase of shutdown, False before and after."
    )

    def resolve(name: str, timeout: float = 10) -> Any:
        """Look up one IP address for the host *name*.

        Uses the resolver installed with
        :meth:`IReactorPluggableResolver.installResolver`.

        :param name: the host name.
        :param timeout: seconds to wait for an answer.
        :returns: a :class:`plait.core.Deferred` firing with the address as
            a ``str``.
        :raises plait.errors.DNSLookupError: through the errback when the
            name cannot be resolved.
        :raises plait.errors.TimeoutError: through the errback when no
            answer comes in time.
        """

    def run() -> None:
        """Fire the ``"startup"`` event, then loop until :meth:`stop` or
        :meth:`crash` is called.

        :raises plait.errors.ReactorAlreadyRunning: if it is running.
        :raises plait.errors.ReactorNotRestartable: if it ran before.
        """

    def stop() -> None:
        """Fire the ``"shutdown"`` event, after which the loop ends and
        :meth:`run` returns.

        :raises plait.errors.ReactorNotRunning: if it is not running.
        """

    def crash() -> None:
        """End the loop at once, firing no system events.

        Shutdown triggers do not run, so buffered output may be lost and
        resources left half-released.  Only for getting out of a shutdown
        that is stuck.
        """

    def iterate(delay: float = 0) -> None:
        """Run a single pass of the loop: wait for I/O, then dispatch.

        Due timed calls run as part of the pass.  For programs that drive
        the loop themselves; not re-entrant, so never call it from inside a
        running loop.

        :param delay: the longest time, in seconds, to wait for I/O.
        """

    def fireSystemEvent(eventType: str) -> None:
        """Run the triggers of the system event *eventType*, phase by phase.

        :param eventType: the event name, such as ``"startup"``.
        """

    def addSystemEventTrigger(
        phase: str, eventType: str, callable: Callable[..., Any], *args: Any, **kw: Any
    ) -> Any:
        """Register ``callable(*args, **kw)`` to run when *eventType* fires.

        :param phase: ``"before"``, ``"during"`` or ``"after"``.
        :param eventType: the event name, such as ``"shutdown"``.
        :param callable: what to call.
        :param args: positional arguments for it.
        :param kw: keyword arguments for it.
        :returns: an opaque id for :meth:`removeSystemEventTrigger`.
        :raises ValueError: when *phase* is not one of the three.
        """

    def removeSystemEventTrigger(triggerID: Any) -> None:
        """Cancel a trigger registered with :meth:`addSystemEventTrigger`.

        :param triggerID: the id that call returned.
        :raises ValueError: when *triggerID* names no registered trigger.
            Portable callers also catch ``KeyError`` and ``TypeError``,
            which an implementation may raise for an id of the wrong shape.
        """

    def callWhenRunning(callable: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """Run ``callable(*args, **kw)`` once the reactor is running.

        If it already runs the call happens immediately; otherwise it is
        registered as a startup trigger.

        :returns: ``None`` if the call was made immediately, else the
            trigger id, usable with :meth:`removeSystemEventTrigger`.
        """


class IReactorPluggableResolver(Interface):
    """A reactor whose host name resolver can be replaced."""

    __module__ = "plait.interfaces"

    def installResolver(resolver: IResolverSimple) -> IResolverSimple:
        """Make *resolver* the one :meth:`IReactorCore.resolve` uses.

        :param resolver: the new resolver.
        :returns: the resolver it replaces.
        """


class IReactorFDSet(Interface):
    """Watching arbitrary file descriptors for readiness.

    Works with anything that has a ``fileno()`` the poller accepts.  A
    descriptor is watched until removed; removal is idempotent.
    """

    __module__ = "plait.interfaces"

    def addReader(reader: IReadDescriptor) -> None:
        """Start calling ``reader.doRead()`` whenever its descriptor is
        readable, until :meth:`removeReader`."""

    def addWriter(writer: IWriteDescriptor) -> None:
        """Start calling ``writer.doWrite()`` whenever its descriptor is
        writable, until :meth:`removeWriter`."""

    def removeReader(reader: IReadDescriptor) -> None:
        """Stop watching *reader* for readability; no error if it was not."""

    def removeWriter(writer: IWriteDescriptor) -> None:
        """Stop watching *writer* for writability; no error if it was not."""

    def removeAll() -> list[IReadDescriptor | IWriteDescriptor]:
        """Stop watching every user descriptor, readers and writers alike.

        The reactor's own internal descriptors (such as its waker) stay.

        :returns: the descriptors that were removed, each once.
        """

    def getReaders() -> list[IReadDescriptor]:
        """List the descriptors currently watched for readability."""

    def getWriters() -> list[IWriteDescriptor]:
        """List the descriptors currently watched for writability."""
