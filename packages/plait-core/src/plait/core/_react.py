"""Run a program's main function on a reactor, then exit the process.

``main`` is called from inside the running reactor, after it has taken
over SIGINT and SIGTERM: a program that prints "ready" in ``main`` can be
stopped by a signal from that moment on.

How the exit status is chosen:

- ``main`` succeeds: 0.
- ``main`` fails with ``SystemExit``: that exception's code, handed to
  ``sys.exit`` unchanged (so ``None`` means 0 and a string is printed).
- ``main`` fails otherwise: 1, and the error with its traceback is logged
  on the ``plait.core`` logger (with no logging set up, Python's fallback
  handler prints it on stderr).
- the reactor is told to stop before ``main`` has finished (Ctrl-C,
  SIGTERM, or code calling ``reactor.stop()``): ``main``'s Deferred is
  cancelled, so a coroutine receives ``CancelledError`` at the ``await``
  where it waits and its ``except``/``finally`` blocks run.  A coroutine
  that handles the cancellation and returns without awaiting again ends
  with its own outcome (0 when it returns normally).  Otherwise the status
  is :data:`STOPPED_EARLY` (0) and nothing is printed: an operator who
  stops a server with Ctrl-C or SIGTERM asked for exactly that, so it is
  not an error.  Work the coroutine awaits after the cancellation is not
  waited for, since a cancelled Deferred fails at once.  A crashed reactor
  (``crash()``) leaves ``main`` unfinished and gives the same status.

The reactor cannot tell which signal stopped it, so no attempt is made to
mimic the shell's 128 + signal number.  A program that wants another
status for an early stop catches ``CancelledError`` in ``main`` and raises
``SystemExit`` with it.
"""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from plait.errors import CancelledError, ReactorNotRunning

from ._coroutine import ensureDeferred
from ._defer import Deferred, fail, succeed
from ._failure import Failure
from ._reactor import Reactor

__all__ = ["STOPPED_EARLY", "react"]

log = logging.getLogger("plait.core")

#: Exit status when the reactor stopped before ``main`` finished: a stop
#: asked for (a signal, ``reactor.stop()``) is a normal end of the program.
STOPPED_EARLY = 0


class _Run:
    """What happened to one ``react`` call: the exit status, once known."""

    __slots__ = ("cancelling", "finished", "status")

    def __init__(self) -> None:
        self.finished = False
        self.cancelling = False
        self.status: str | int | None = STOPPED_EARLY


def _startMain(
    main: Callable[..., object], reactor: Any, argv: Sequence[object]
) -> Deferred[Any]:
    try:
        result = main(reactor, *argv)
    except BaseException as e:
        if not isinstance(e, (Exception, SystemExit)):
            raise
        return fail(Failure(e))
    if isinstance(result, Deferred) or inspect.iscoroutine(result):
        return ensureDeferred(result)
    return succeed(result)


def _statusFor(run: _Run, result: object) -> str | int | None:
    if not isinstance(result, Failure):
        return 0
    error = result.value
    if isinstance(error, SystemExit):
        return error.code
    if run.cancelling and isinstance(error, CancelledError):
        log.debug("The reactor stopped before main() finished")
        return STOPPED_EARLY
    log.error("main() failed", exc_info=error)
    return 1


def react(
    main: Callable[..., object],
    argv: Sequence[object] = (),
    *,
    reactor: Reactor | None = None,
) -> NoReturn:
    """Run the reactor, call ``main(reactor, *argv)`` in it, exit when done.

    *main* is called once the reactor runs (so a signal that arrives while
    it starts is already handled as a clean stop).  It may return a
    Deferred, a coroutine (run with ``ensureDeferred``) or a plain value.
    Once that result is in, the reactor is stopped and the process exits
    through ``sys.exit`` with the status described in this module's
    documentation.

    :param reactor: the reactor to use; by default a new ``Reactor()`` is
        built (with the installed extensions) and closed before exiting.
        A reactor passed in is left open.
    :raises SystemExit: always, carrying the exit status.
    """
    owned = reactor is None
    if reactor is None:
        reactor = Reactor()
    run = _Run()
    started: list[Deferred[Any]] = []
    try:

        def begin() -> None:
            # main runs once the reactor runs, so that SIGINT and SIGTERM
            # already stop it cleanly while main does its first steps.
            outcome = _startMain(main, reactor, argv)
            started.append(outcome)
            outcome.addBoth(finished)

        def finished(result: object) -> None:
            run.finished = True
            run.status = _statusFor(run, result)
            reactor.callWhenRunning(stopReactor)

        def stopReactor() -> None:
            try:
                reactor.stop()
            except ReactorNotRunning:
                pass  # stopping already: that is what brought us here

        def beforeShutdown() -> Deferred[Any] | None:
            if run.finished or not started:
                return None
            # Someone else stopped the reactor: tell main.  Returning the
            # Deferred makes shutdown wait in the one case where cancelling
            # does not settle it at once (it is chained to another
            # Deferred, which is cancelled in turn).
            run.cancelling = True
            started[0].cancel()
            return started[0]

        reactor.addSystemEventTrigger("before", "shutdown", beforeShutdown)
        reactor.callWhenRunning(begin)
        reactor.run()
        if not run.finished:
            log.debug("The reactor stopped before main() finished")
    finally:
        if owned:
            reactor.close()
    sys.exit(run.status)
