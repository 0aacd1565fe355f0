"""The reactor extension of plait-process: IReactorProcess.

``spawnProcess`` checks its arguments, makes the pipes (or the terminal),
starts the child in the calling thread, closes the child's ends in the
parent, and then, in the reactor's thread, connects the protocol and starts
watching the child.  Called from another thread while the reactor runs, it
hands that last step to the reactor thread and waits for it, so that
``connectionMade`` has run when the call returns there too.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from zope.interface.interface import InterfaceClass

from plait.interfaces import IReactorProcess

from ._arguments import (
    SpawnRequest,
    checkChildFDs,
    encodeArgs,
    encodeEnvironment,
    encodePath,
)
from ._channel import Channel
from ._process import Process
from ._reap import WATCHERS, ChildWatcher, createWatcher, reapInBackground
from ._spawn import spawnChild

__all__ = ["ProcessExtension"]

#: The default of ``env``: the child gets an empty environment.
_EMPTY_ENV: Mapping[str, str] = {}


def _checkId(value: object, what: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{what} must be a non-negative int or None, not {value!r}")
    return value


class _Ends:
    """The descriptors made for one spawn, closed on every path."""

    def __init__(self) -> None:
        self.child: list[int] = []
        self.parent: list[tuple[int, int | None, int | None, tuple[int, ...]]] = []

    def closeChildEnds(self) -> None:
        for fd in self.child:
            os.close(fd)
        self.child = []

    def closeAll(self) -> None:
        self.closeChildEnds()
        for fd, *_ in self.parent:
            os.close(fd)
        self.parent = []


class ProcessExtension:
    """Gives a reactor ``spawnProcess``.

    :param reactor: the reactor to extend.
    :param watcher: ``"pidfd"`` or ``"sigchld"`` to choose how exits are
        learnt; ``None`` picks pidfd where the kernel has it.
    """

    interfaces: tuple[InterfaceClass, ...] = (IReactorProcess,)

    def __init__(self, reactor: Any, watcher: str | None = None) -> None:
        self.reactor = reactor
        self._watcher: ChildWatcher = createWatcher(reactor, watcher)

    @classmethod
    def using(cls, watcher: str) -> Any:
        """A factory for ``Reactor(extensions=[...])`` with the watcher chosen.

        :raises ValueError: *watcher* is not ``"pidfd"`` or ``"sigchld"``.
        """
        if watcher not in WATCHERS:
            raise ValueError(f"unknown child watcher {watcher!r}; use {WATCHERS}")

        def factory(reactor: Any) -> ProcessExtension:
            return cls(reactor, watcher)

        return factory

    def spawnProcess(
        self,
        processProtocol: Any,
        executable: str | bytes,
        args: Sequence[str | bytes] = (),
        env: Mapping[Any, Any] | None = _EMPTY_ENV,
        path: str | bytes | None = None,
        uid: int | None = None,
        gid: int | None = None,
        usePTY: bool | int | tuple[int, int, str] = False,
        childFDs: Mapping[int, int | str] | None = None,
    ) -> Process:
        """Start *executable* with *args* as a child driven by *processProtocol*.

        - ``env`` left out gives an empty environment, ``None`` our own,
          a mapping exactly that one (str or bytes names and values);
        - ``args`` are passed as they are, never through a shell; an empty
          sequence passes the executable as ``argv[0]``;
        - ``path`` is the working directory; ``uid``/``gid`` switch user
          (with that user's supplementary groups) and group, ``gid`` alone
          only the group;
        - ``childFDs`` maps each child descriptor to ``"r"``, ``"w"`` or one
          of our descriptors; every other descriptor is closed in the child;
        - ``usePTY`` gives the child a new pseudo-terminal (or the given
          ``(controller, terminal, name)``) as its controlling terminal in
          a new session; it cannot be combined with ``childFDs``.

        :returns: the process transport, already connected to the protocol.
        :raises ValueError: a NUL byte in an argument, a bad environment
            name, or a bad id.
        :raises TypeError: arguments of the wrong type.
        :raises OSError: the child could not be started (a missing or
            non-executable program, a missing directory, no resources);
            nothing is left behind.
        """
        if not callable(getattr(processProtocol, "makeConnection", None)):
            raise TypeError(f"{processProtocol!r} is not a process protocol")
        program = encodePath(executable, "the executable")
        argv = encodeArgs(program, args)
        environment = encodeEnvironment(env)
        cwd = None if path is None else encodePath(path, "the path")
        request = SpawnRequest(
            program,
            argv,
            environment,
            cwd,
            None if uid is None else _checkId(uid, "uid"),
            None if gid is None else _checkId(gid, "gid"),
            {},
        )
        if usePTY:
            if childFDs is not None:
                raise ValueError("childFDs cannot be combined with usePTY")
            ends = self._terminalEnds(request, usePTY)
        else:
            ends = self._pipeEnds(request, checkChildFDs(childFDs))
        try:
            pid = spawnChild(request)
        except BaseException:
            ends.closeAll()
            raise
        ends.closeChildEnds()
        process = Process(self.reactor, processProtocol, pid, program)
        for fd, readFD, writeFD, serves in ends.parent:
            process.addChannel(
                Channel(process, fd, readFD, writeFD, serves, terminal=bool(usePTY))
            )
        self._attach(process)
        return process

    def _pipeEnds(
        self, request: SpawnRequest, childFDs: Mapping[int, int | str]
    ) -> _Ends:
        ends = _Ends()
        try:
            for target, source in childFDs.items():
                if isinstance(source, int):
                    request.fds[target] = source
                    continue
                readEnd, writeEnd = os.pipe()
                if source == "r":
                    ends.parent.append((readEnd, target, None, (target,)))
                    ends.child.append(writeEnd)
                    request.fds[target] = writeEnd
                else:
                    ends.parent.append((writeEnd, None, target, (target,)))
                    ends.child.append(readEnd)
                    request.fds[target] = readEnd
        except BaseException:
            ends.closeAll()
            raise
        return ends

    def _terminalEnds(self, request: SpawnRequest, usePTY: object) -> _Ends:
        ends = _Ends()
        if isinstance(usePTY, tuple):
            controller, terminal, name = usePTY
            tty = encodePath(name, "the terminal name")
        else:
            controller, terminal = os.openpty()
            try:
                tty = os.fsencode(os.ttyname(terminal))
            except BaseException:
                os.close(controller)
                os.close(terminal)
                raise
        # The controller carries the child's 0, 1 and 2: we write to 0 and
        # read what the child writes on 1 and 2 together, as descriptor 1.
        ends.parent.append((controller, 1, 0, (0, 1, 2)))
        ends.child.append(terminal)
        request.fds = {0: terminal, 1: terminal, 2: terminal}
        request.tty = tty
        return ends

    def _attach(self, process: Process) -> None:
        reactor = self.reactor
        # The reactor records the thread of its running loop; FD-set calls
        # are only allowed from there.
        loopThread = getattr(reactor, "_loopThread", 0)
        if not loopThread or loopThread == threading.get_ident():
            self._connect(process)
            return
        done = threading.Event()
        failure: list[BaseException] = []

        def connectInLoop() -> None:
            try:
                self._connect(process)
            except BaseException as e:
                failure.append(e)
            finally:
                done.set()

        reactor.callFromThread(connectInLoop)
        while not done.wait(0.05):
            if not reactor.running:
                # Shutting down: the loop may never get to it; the queued
                # call still connects the protocol if it does.
                return
        if failure:
            raise failure[0]

    def _connect(self, process: Process) -> None:
        pid = process.pid
        assert pid is not None
        try:
            process.proto.makeConnection(process)
        finally:
            # Whatever connectionMade did, the child must be collected.
            try:
                self._watcher.watch(pid, process._exited)
            except BaseException:
                reapInBackground(pid)
                raise
            process.start()
