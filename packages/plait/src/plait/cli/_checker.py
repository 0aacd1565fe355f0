"""A client that sends known bytes and checks that the same come back."""

from __future__ import annotations

import hashlib
from typing import Any

from plait.core import Deferred, Protocol

__all__ = ["EchoChecker"]


class EchoChecker(Protocol):
    """Sends ``messages`` payloads of ``size`` bytes, then checks the echo.

    ``done`` fires with the number of bytes echoed once all of them came
    back, or fails if the echo differs or the connection drops early.
    """

    def __init__(self, messages: int, size: int, seed: int = 0) -> None:
        self.payload = bytes((seed + i) % 251 for i in range(size))
        self.messages = messages
        self.expected = messages * size
        self.received = 0
        self._digest = hashlib.sha256()
        self.done: Deferred[int] = Deferred()

    def connectionMade(self) -> None:
        assert self.transport is not None
        self.transport.writeSequence([self.payload] * self.messages)

    def dataReceived(self, data: bytes) -> None:
        self.received += len(data)
        self._digest.update(data)
        if self.received >= self.expected and not self.done.called:
            wanted = hashlib.sha256(self.payload * self.messages).digest()
            if self.received == self.expected and self._digest.digest() == wanted:
                self.done.callback(self.received)
            else:
                self.done.errback(ValueError("the echo differs from what was sent"))
            assert self.transport is not None
            self.transport.loseConnection()

    def connectionLost(self, reason: Any) -> None:
        if not self.done.called:
            self.done.errback(reason)

    def abandon(self) -> None:
        """Nobody will wait for ``done`` any more (the run was stopped): a
        failure it gets later is expected and not worth reporting."""
        self.done.addErrback(lambda failure: None)
