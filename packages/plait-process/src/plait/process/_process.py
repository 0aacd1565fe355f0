"""The transport standing for one child process.

Life cycle (``ProcessState``), driven by two kinds of event, the child's
exit (``EXIT``) and the closing of the last of our ends (``PIPES_CLOSED``)::

    RUNNING --EXIT--> EXITED --PIPES_CLOSED--> ENDED
    RUNNING --PIPES_CLOSED--> RUNNING           (output over, child alive)

``processExited`` is called on the move to EXITED and ``processEnded`` on
the move to ENDED; the table admits each move once, so each hook runs
exactly once and in that order.  ``pid`` is set from before
``makeConnection`` until just before ``processEnded``.
"""

from __future__ import annotations

import enum
import logging
import os
import signal
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from zope.interface import implementer

from plait.core import Failure
from plait.core._writebuffer import Buffer
from plait.errors import (
    ProcessDone,
    ProcessExitedAlready,
    ProcessTerminated,
)
from plait.interfaces import IAddress, IConsumer, IProcessTransport, IPushProducer

from ._channel import Channel

__all__ = ["Process", "ProcessAddress", "ProcessState", "exitReason"]

log = logging.getLogger("plait.process")


class ProcessState(enum.Enum):
    """Where a child process stands, as its transport sees it."""

    # Members are singletons: hash them by identity, in C, not by name.
    __hash__ = object.__hash__

    RUNNING = "running"
    EXITED = "exited, some pipes still open"
    ENDED = "ended"


class _Event(enum.Enum):
    __hash__ = object.__hash__

    EXIT = "the child exited"
    PIPES_CLOSED = "the last of our ends closed"


_S = ProcessState
_TRANSITIONS: dict[tuple[ProcessState, _Event], ProcessState] = {
    (_S.RUNNING, _Event.EXIT): _S.EXITED,
    (_S.RUNNING, _Event.PIPES_CLOSED): _S.RUNNING,
    (_S.EXITED, _Event.PIPES_CLOSED): _S.ENDED,
}


@implementer(IAddress)
@dataclass(frozen=True, slots=True)
class ProcessAddress:
    """The address of either end of a process transport: there is none."""


def exitReason(status: int | None) -> Exception:
    """ProcessDone for a clean exit, ProcessTerminated with the details otherwise."""
    if status == 0:
        return ProcessDone(0)
    if status is None:
        return ProcessTerminated(status=None)
    if os.WIFEXITED(status):
        code = os.WEXITSTATUS(status)
        if code == 0:
            return ProcessDone(status)
        return ProcessTerminated(exitCode=code, status=status)
    if os.WIFSIGNALED(status):
        return ProcessTerminated(signal=os.WTERMSIG(status), status=status)
    return ProcessTerminated(status=status)


def signalNumber(signalID: str | int) -> int:
    """``"KILL"``, ``"SIGKILL"`` or ``9`` -> 9.

    :raises ValueError: an unknown signal name.
    :raises TypeError: neither a name nor an int.
    """
    if isinstance(signalID, bool):
        raise TypeError(f"a signal is a name or a number, not {signalID!r}")
    if isinstance(signalID, int):
        return signalID
    if isinstance(signalID, str):
        name = signalID.upper()
        name = name if name.startswith("SIG") else "SIG" + name
        number = getattr(signal, name, None)
        if isinstance(number, signal.Signals):
            return int(number)
        raise ValueError(f"unknown signal {signalID!r}")
    raise TypeError(f"a signal is a name or a number, not {signalID!r}")


@implementer(IProcessTransport, IConsumer, IPushProducer)
class Process:
    """A running child and our ends of its pipes or terminal.

    Built by ``spawnProcess``; ``write`` and ``writeSequence`` go to the
    child's standard input (descriptor 0), other descriptors through
    ``writeToChild``.
    """

    __slots__ = (
        "_channels",
        "_open",
        "_quiet",
        "_reason",
        "_state",
        "executable",
        "pid",
        "proto",
        "reactor",
        "status",
    )

    def __init__(
        self, reactor: Any, protocol: Any, pid: int, executable: bytes
    ) -> None:
        self.reactor = reactor
        self.proto = protocol
        self.pid: int | None = pid
        self.executable = executable
        self.status: int | None = None
        self._state = _S.RUNNING
        self._reason: Failure | None = None
        self._channels: dict[int, Channel] = {}
        self._open: list[Channel] = []
        self._quiet: list[Channel] = []

    def __repr__(self) -> str:
        program = os.fsdecode(self.executable)
        return f"<Process pid={self.pid} {program!r} {self._state.name}>"

    @property
    def state(self) -> ProcessState:
        """Where the child stands."""
        return self._state

    @property
    def pipes(self) -> dict[int, Channel]:
        """Our open ends, by the child descriptor each serves."""
        return {fd: ch for fd, ch in self._channels.items() if not ch.closed}

    def logPrefix(self) -> str:
        return f"Process {self.pid} ({os.fsdecode(os.path.basename(self.executable))})"

    def getHost(self) -> ProcessAddress:
        return ProcessAddress()

    def getPeer(self) -> ProcessAddress:
        return ProcessAddress()

    # -- assembly (by spawnProcess) ------------------------------------------

    def addChannel(self, channel: Channel) -> None:
        """Take ownership of one of our ends."""
        for fd in channel.serves:
            self._channels[fd] = channel
        self._open.append(channel)

    def start(self) -> None:
        """Start reading from the child (after ``makeConnection``)."""
        for channel in self._open:
            channel.startReading()

    # -- events ---------------------------------------------------------------

    def _apply(self, event: _Event) -> ProcessState:
        try:
            new = _TRANSITIONS[(self._state, event)]
        except KeyError:
            raise RuntimeError(
                f"a process cannot take {event.value!r} while {self._state.name}"
            ) from None
        self._state = new
        return new

    def _childData(self, childFD: int, data: bytes) -> None:
        try:
            self.proto.childDataReceived(childFD, data)
        except Exception:
            log.exception("%s: childDataReceived failed", self.logPrefix())

    def _channelClosed(self, channel: Channel) -> None:
        if channel in self._open:
            self._open.remove(channel)
        for fd in channel.serves:
            try:
                self.proto.childConnectionLost(fd)
            except Exception:  # noqa: PERF203  # each descriptor is reported
                log.exception("%s: childConnectionLost failed", self.logPrefix())
        if not self._open:
            self._maybeEnd()

    def _terminalQuiet(self, channel: Channel) -> None:
        """The terminal has no more output; close it once the child exited."""
        self._quiet.append(channel)
        if self._state is not _S.RUNNING:
            self._closeQuiet()

    def _closeQuiet(self) -> None:
        quiet, self._quiet = self._quiet, []
        for channel in quiet:
            channel.close()

    def _exited(self, status: int | None) -> None:
        """The watcher collected the child's status."""
        self.status = status
        self._reason = Failure(exitReason(status))
        self._apply(_Event.EXIT)
        try:
            self.proto.processExited(self._reason)
        except Exception:
            log.exception("%s: processExited failed", self.logPrefix())
        self._closeQuiet()  # may end the process itself, when it was the last
        if not self._open and self._state is _S.EXITED:
            self._maybeEnd()

    def _maybeEnd(self) -> None:
        if self._apply(_Event.PIPES_CLOSED) is not _S.ENDED:
            return
        self.pid = None
        assert self._reason is not None
        try:
            self.proto.processEnded(self._reason)
        except Exception:
            log.exception("%s: processEnded failed", self.logPrefix())

    # -- writing --------------------------------------------------------------

    def _writable(self, childFD: int) -> Channel | None:
        channel = self._channels.get(childFD)
        if channel is None or channel.writeFD is None:
            raise KeyError(f"child descriptor {childFD} is not a pipe we write to")
        return None if channel.closed else channel

    def writeToChild(self, childFD: int, data: bytes) -> None:
        """Send *data* to the child's descriptor *childFD* (a ``"w"`` pipe).

        Data written after that end was closed is dropped, as on a closed
        connection.

        :raises KeyError: *childFD* is not a descriptor we write to.
        """
        channel = self._writable(childFD)
        if channel is not None:
            channel.write(data)

    def write(self, data: Buffer) -> None:
        """Send *data* to the child's standard input."""
        channel = self._writable(0)
        if channel is not None:
            channel.write(data)

    def writeSequence(self, data: Iterable[Buffer]) -> None:
        """Send each chunk of *data*, in order, to the child's standard input."""
        channel = self._writable(0)
        if channel is not None:
            channel.writeSequence(data)

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """Feed the child's standard input from *producer*, with flow control."""
        channel = self._writable(0)
        if channel is None:
            producer.stopProducing()
            return
        channel.registerProducer(producer, streaming)

    def unregisterProducer(self) -> None:
        """Detach the producer feeding the child's standard input."""
        channel = self._channels.get(0)
        if channel is not None:
            channel.unregisterProducer()

    # -- reading control (IPushProducer) -------------------------------------

    def pauseProducing(self) -> None:
        """Stop reading the child's output for now."""
        for channel in self._open:
            channel.stopReading()

    def resumeProducing(self) -> None:
        """Read the child's output again."""
        for channel in self._open:
            channel.startReading()

    def stopProducing(self) -> None:
        """Close every end of ours (as ``loseConnection``)."""
        self.loseConnection()

    # -- closing --------------------------------------------------------------

    def closeChildFD(self, descriptor: int) -> None:
        """Close our end of the child's *descriptor*; a pipe we write to is
        closed once its queued data is written.  Unknown descriptors are
        ignored."""
        channel = self._channels.get(descriptor)
        if channel is None or channel.closed:
            return
        if channel.writeFD == descriptor:
            channel.closeWhenFlushed()
        else:
            channel.close()

    def closeStdin(self) -> None:
        """Close the child's standard input once queued data is written (on
        a terminal: send the end-of-input character)."""
        self.closeChildFD(0)

    def closeStdout(self) -> None:
        """Stop reading the child's standard output and close our end."""
        self.closeChildFD(1)

    def closeStderr(self) -> None:
        """Stop reading the child's standard error and close our end."""
        self.closeChildFD(2)

    def loseConnection(self) -> None:
        """Close every end of ours: writing ones once their data is written."""
        for channel in list(self._open):
            if channel.writeFD is not None and not channel.terminal:
                channel.closeWhenFlushed()
            else:
                channel.close()

    def signalProcess(self, signalID: str | int) -> None:
        """Send a signal (``"KILL"``, ``"TERM"``, ``"INT"``, ``"HUP"``, any
        other name, or a number) to the child.

        :raises plait.errors.ProcessExitedAlready: the child has exited.
        :raises ValueError: an unknown signal name.
        """
        number = signalNumber(signalID)
        if self._state is not _S.RUNNING or self.pid is None:
            raise ProcessExitedAlready()
        try:
            # Until we collect its status, the pid cannot be reused.
            os.kill(self.pid, number)
        except ProcessLookupError:
            raise ProcessExitedAlready() from None
