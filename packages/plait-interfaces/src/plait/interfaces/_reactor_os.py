"""Reactor interfaces that wrap operating-system facilities beyond sockets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from zope.interface import Interface

from ._protocols import IProcessProtocol
from ._transports import IProcessTransport


class IReactorProcess(Interface):
    """Starting child processes (provided when plait-process is installed)."""

    __module__ = "plait.interfaces"

    def spawnProcess(
        processProtocol: IProcessProtocol,
        executable: str | bytes,
        args: Sequence[str | bytes] = (),
        env: Mapping[str, str] | None = {},
        path: str | bytes | None = None,
        uid: int | None = None,
        gid: int | None = None,
        usePTY: int | tuple[int, int, str] = 0,
        childFDs: Mapping[int, int | str] | None = None,
    ) -> IProcessTransport:
        """Start *executable* as a child process driven by *processProtocol*.

        :param processProtocol: receives every event of the child.
        :param executable: the program to run; give a full path, since no
            ``PATH`` search is done.
        :param args: the argument vector, program name first (``argv[0]``).
        :param env: the child's complete environment.  Leaving it out gives
            the child an empty environment on POSIX; ``None`` hands it a
            copy of ours (``os.environ``).
        :param path: the directory the child starts in; ``None`` keeps ours.
        :param uid: the user id to switch to in the child (POSIX only).
        :param gid: the group id to switch to in the child (POSIX only).
        :param usePTY: true to run the child on a new pseudo-terminal, or an
            existing ``(controller_fd, terminal_fd, tty_name)`` triple to
            use; not available everywhere.
        :param childFDs: how to set up each descriptor of the child: an
            ``int`` value is one of our descriptors to hand over under that
            number; ``"r"`` makes a pipe we read from (its output arrives
            through ``childDataReceived``); ``"w"`` makes a pipe we write to
            (through ``IProcessTransport.writeToChild``).  ``None`` means
            the usual three pipes: ``{0: "w", 1: "r", 2: "r"}``.
        :returns: the transport standing for the child.
        :raises OSError: with ``EAGAIN`` or ``ENOMEM`` when the system lacks
            the resources for another process.
        """


class IReactorWin32Events(Interface):
    """Waiting on Win32 event objects (Windows reactors only).

    plait's reactors are POSIX ones and do not provide it; the declaration
    is here so the contract stays whole.
    """

    __module__ = "plait.interfaces"

    def addEvent(event: object, fd: object, action: str) -> None:
        """Watch the Win32 *event* and call ``getattr(fd, action)()`` when it fires.

        :param event: an event handle, as made by ``CreateEvent``.
        :param fd: the object whose method is called.
        :param action: the name of that method.
        """

    def removeEvent(event: object) -> None:
        """Stop watching an *event* given to :meth:`addEvent` earlier."""
