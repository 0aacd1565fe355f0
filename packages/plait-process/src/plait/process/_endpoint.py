"""A client endpoint that "connects" by starting a child process.

The protocol the factory builds is an ordinary stream protocol: what it
writes goes to the child's standard input, ``dataReceived`` gets the
child's standard output, and ``connectionLost`` comes with the child's
``processEnded`` reason (ProcessDone or ProcessTerminated).  The child's
standard error is logged, or dropped on request.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from zope.interface import implementer

from plait.core import Deferred, Failure, fail, succeed
from plait.errors import NoProtocol
from plait.interfaces import (
    IConsumer,
    IPushProducer,
    IStreamClientEndpoint,
    ITransport,
)

from ._process import Process, ProcessAddress
from ._protocol import ProcessProtocol

__all__ = ["ProcessEndpoint", "StandardErrorBehavior"]

log = logging.getLogger("plait.process")


class StandardErrorBehavior(enum.Enum):
    """What a :class:`ProcessEndpoint` does with the child's standard error."""

    LOG = "log"
    DROP = "drop"


@implementer(ITransport, IConsumer, IPushProducer)
class _EndpointTransport:
    """The transport the endpoint's protocol sees: the child's stdin/stdout."""

    def __init__(self, process: Process) -> None:
        self.process = process

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def write(self, data: bytes) -> None:
        self.process.write(data)

    def writeSequence(self, data: Iterable[bytes]) -> None:
        self.process.writeSequence(data)

    def loseConnection(self) -> None:
        """Close stdin, stdout and stderr (what is queued for stdin first)."""
        self.process.loseConnection()

    def loseWriteConnection(self) -> None:
        """Close only the child's stdin, once what is queued is written; its
        output keeps coming until it exits."""
        self.process.closeStdin()

    closeStdin = loseWriteConnection

    def getHost(self) -> ProcessAddress:
        return self.process.getHost()

    def getPeer(self) -> ProcessAddress:
        return self.process.getPeer()

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        self.process.registerProducer(producer, streaming)

    def unregisterProducer(self) -> None:
        self.process.unregisterProducer()

    def pauseProducing(self) -> None:
        self.process.pauseProducing()

    def resumeProducing(self) -> None:
        self.process.resumeProducing()

    def stopProducing(self) -> None:
        self.process.stopProducing()

    def signalProcess(self, signalID: str | int) -> None:
        self.process.signalProcess(signalID)


class _StreamAdapter(ProcessProtocol):
    """Turns process events into a stream protocol's events."""

    def __init__(self, protocol: Any, errFlag: StandardErrorBehavior) -> None:
        self.protocol = protocol
        self.errFlag = errFlag

    def makeConnection(self, transport: Any) -> None:
        self.transport = transport
        self.protocol.makeConnection(_EndpointTransport(transport))

    def childDataReceived(self, childFD: int, data: bytes) -> None:
        if childFD == 1:
            self.protocol.dataReceived(data)
        elif childFD == 2 and self.errFlag is StandardErrorBehavior.LOG:
            log.info("%s stderr: %r", self.transport.logPrefix(), data)

    def processEnded(self, reason: Any) -> None:
        self.protocol.connectionLost(reason)


@implementer(IStreamClientEndpoint)
class ProcessEndpoint:
    """Connects a protocol to a new child process; the arguments are those
    of ``spawnProcess``, plus *errFlag* for the child's standard error."""

    def __init__(
        self,
        reactor: Any,
        executable: str | bytes,
        args: Sequence[str | bytes] = (),
        env: Mapping[Any, Any] | None = {},  # the contract's default
        path: str | bytes | None = None,
        uid: int | None = None,
        gid: int | None = None,
        usePTY: bool | int | tuple[int, int, str] = False,
        childFDs: Mapping[int, int | str] | None = None,
        errFlag: StandardErrorBehavior = StandardErrorBehavior.LOG,
    ) -> None:
        self._reactor = reactor
        self._executable = executable
        self._args = args
        self._env = env
        self._path = path
        self._uid = uid
        self._gid = gid
        self._usePTY = usePTY
        self._childFDs = childFDs
        self._errFlag = errFlag

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        """Start the child; fire with the protocol once it is connected, or
        fail with the reason the child could not be started."""
        try:
            protocol = protocolFactory.buildProtocol(ProcessAddress())
            if protocol is None:
                raise NoProtocol()
            self._reactor.spawnProcess(
                _StreamAdapter(protocol, self._errFlag),
                self._executable,
                self._args,
                self._env,
                self._path,
                self._uid,
                self._gid,
                self._usePTY,
                self._childFDs,
            )
        except Exception as e:
            return fail(Failure(e))
        return succeed(protocol)
