"""A client factory that reconnects after failures, with exponential backoff.

Each failed or lost connection multiplies the wait by ``factor`` (e, so the
wait grows fast but smoothly) up to ``maxDelay``, then spreads it with a
normal jitter of relative width ``jitter``.  The jitter matters: after a
server restart, every client that lost its connection at the same moment
would otherwise come back at the same moment too, and again at every
retry.  The backoff starts over whenever a connection succeeds (when the
factory builds a protocol).
"""

from __future__ import annotations

import logging
import random
from typing import Any

from plait.interfaces import IAddress, IDelayedCall, IReactorTime

from ._protocol import ClientFactory, Protocol

__all__ = ["ReconnectingClientFactory"]

log = logging.getLogger("plait.core")


class ReconnectingClientFactory(ClientFactory):
    """Reconnects each time the connection fails or is lost, until told to stop.

    The knobs are class attributes (override them in a subclass or set them
    on an instance):

    - ``initialDelay``: the wait before the first retry grows from here;
    - ``factor``: how much the wait grows per retry;
    - ``maxDelay``: the cap on the wait, before jitter;
    - ``jitter``: standard deviation of the wait, relative to it (0 turns
      jitter off);
    - ``maxRetries``: give up after that many retries in a row (``None``:
      never give up).

    State: ``delay`` (the current wait), ``retries`` (retries since the last
    success), ``continueTrying``, ``connector`` (the last connector seen).

    Time: retries are scheduled on ``clock`` when it is set (a reactor or a
    :class:`plait.core.Clock`); otherwise on ``connector.reactor``, which
    plait's connectors have.  With neither, :meth:`retry` raises
    ``RuntimeError``: plait has no global reactor to fall back on.

    ``randomSource`` draws the jitter; give it a seeded ``random.Random``
    for reproducible delays.
    """

    maxDelay: float = 3600
    initialDelay: float = 1.0
    factor: float = 2.7182818284590451
    jitter: float = 0.11962656472
    maxRetries: int | None = None

    delay: float = initialDelay
    retries: int = 0
    continueTrying: bool = True
    connector: Any = None
    clock: IReactorTime | None = None
    randomSource: random.Random = random.SystemRandom()

    _callID: IDelayedCall | None = None

    def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
        """An attempt failed: schedule the next one (unless stopped)."""
        if self.continueTrying:
            self.connector = connector
            self.retry()

    def clientConnectionLost(self, connector: Any, reason: Any) -> None:
        """The connection ended: schedule a new one (unless stopped)."""
        if self.continueTrying:
            self.connector = connector
            self.retry()

    def buildProtocol(self, addr: IAddress) -> Protocol | None:
        """Build the protocol; a connection succeeded, so the backoff starts over.

        ``continueTrying`` is left alone: a factory told to stop stays
        stopped.
        """
        self.delay = self.initialDelay
        self.retries = 0
        return super().buildProtocol(addr)

    def _nextDelay(self) -> float:
        grown = min(self.delay * self.factor, self.maxDelay)
        if self.jitter:
            grown = self.randomSource.normalvariate(grown, grown * self.jitter)
        # A wide jitter could draw a negative wait; treat it as "now".
        return max(0.0, grown)

    def _clockFor(self, connector: Any) -> IReactorTime:
        clock = self.clock
        if clock is None:
            clock = getattr(connector, "reactor", None)
        if clock is None:
            raise RuntimeError(
                f"{type(self).__name__} cannot schedule a retry: set its "
                "'clock' attribute to a reactor (the connector has no "
                "'reactor' attribute)"
            )
        return clock

    def retry(self, connector: Any = None) -> None:
        """Schedule a new attempt of *connector* (default: the last one seen).

        Does nothing once :meth:`stopTrying` was called or ``maxRetries``
        has been used up.

        :raises ValueError: there is no connector to retry.
        :raises RuntimeError: there is no clock to schedule on.
        """
        if not self.continueTrying:
            log.debug("%s: not retrying, stopTrying() was called", self.logPrefix())
            return
        if connector is None:
            connector = self.connector
            if connector is None:
                raise ValueError("retry() needs a connector; none has been seen")
        clock = self._clockFor(connector)
        self.retries += 1
        if self.maxRetries is not None and self.retries > self.maxRetries:
            log.info(
                "%s: giving up after %d retries", self.logPrefix(), self.maxRetries
            )
            return
        self.delay = self._nextDelay()
        log.debug("%s: retrying in %.3f seconds", self.logPrefix(), self.delay)

        def attempt() -> None:
            self._callID = None
            connector.connect()

        self._callID = clock.callLater(self.delay, attempt)

    def stopTrying(self) -> None:
        """Stop reconnecting: cancel the scheduled retry, abandon an attempt."""
        call, self._callID = self._callID, None
        if call is not None and call.active():
            call.cancel()
        self.continueTrying = False
        connector = self.connector
        if connector is not None:
            try:
                connector.stopConnecting()
            except Exception:
                # Usually NotConnectingError: it is connected or idle, and
                # there is no attempt to abandon.
                log.debug("%s: no attempt to stop", self.logPrefix(), exc_info=True)

    def resetDelay(self) -> None:
        """Start the backoff over and allow retries again."""
        self.delay = self.initialDelay
        self.retries = 0
        self._callID = None
        self.continueTrying = True
