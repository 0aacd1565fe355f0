"""Interfaces of the objects a reactor watches: file descriptors and handles.

A reactor's poller only ever sees integers; these interfaces describe the
Python objects standing behind those integers and the calls the reactor
makes on them when the kernel reports readiness.
"""

from __future__ import annotations

from typing import Any

from zope.interface import Interface


class ILoggingContext(Interface):
    """Something that can say which component a log line came from."""

    __module__ = "plait.interfaces"

    def logPrefix() -> str:
        """Name this object for log messages.

        :returns: a short human-readable label, such as the protocol class
            name, that plait puts in front of messages about this object.
        """


class IFileDescriptor(ILoggingContext):
    """An object backed by one operating-system file descriptor."""

    __module__ = "plait.interfaces"

    def fileno() -> int:
        """Give the descriptor number the reactor should poll.

        :returns: the descriptor as an ``int``; ``-1`` once it is closed,
            which tells the reactor to stop watching it.
        """

    def connectionLost(reason: Any) -> None:
        """Learn that the descriptor is finished with, for whatever cause.

        The reactor calls this exactly once, after it stopped watching the
        descriptor: on an orderly close requested locally, when the peer
        hung up, or when ``doRead``/``doWrite`` raised or reported an error.
        Descriptors interested in the two directions closing separately
        also provide :class:`IHalfCloseableDescriptor`.

        :param reason: a :class:`plait.core.Failure`, usually wrapping
            :class:`plait.errors.ConnectionDone` (clean close) or
            :class:`plait.errors.ConnectionLost` (anything else); other
            exception types are possible.
        """


class IReadDescriptor(IFileDescriptor):
    """A descriptor the reactor watches for readability (``addReader``)."""

    __module__ = "plait.interfaces"

    def doRead() -> object:
        """Consume input now that the kernel reports the descriptor readable.

        :returns: ``None`` normally.  Returning an exception instance or a
            :class:`plait.core.Failure` (or raising) makes the reactor drop
            the descriptor and call :meth:`IFileDescriptor.connectionLost`
            with that reason.
        """


class IWriteDescriptor(IFileDescriptor):
    """A descriptor the reactor watches for writability (``addWriter``)."""

    __module__ = "plait.interfaces"

    def doWrite() -> object:
        """Push buffered output now that the kernel will accept more.

        :returns: ``None`` normally; an exception instance or a Failure
            (or raising) ends the descriptor as for
            :meth:`IReadDescriptor.doRead`.
        """


class IReadWriteDescriptor(IReadDescriptor, IWriteDescriptor):
    """A descriptor watched for both directions, such as a connected socket."""

    __module__ = "plait.interfaces"


class IHalfCloseableDescriptor(Interface):
    """A descriptor that wants to hear about each direction closing on its own."""

    __module__ = "plait.interfaces"

    def writeConnectionLost(reason: Any) -> None:
        """Learn that the outgoing direction has been shut down.

        :param reason: a :class:`plait.core.Failure` describing why.
        """

    def readConnectionLost(reason: Any) -> None:
        """Learn that no more input will arrive (the peer sent EOF).

        :param reason: a :class:`plait.core.Failure` describing why.
        """


class ISystemHandle(Interface):
    """Gives access to the raw operating-system object under a transport."""

    __module__ = "plait.interfaces"

    def getHandle() -> Any:
        """Expose the underlying OS object, typically a ``socket.socket``.

        Meant for tuning options plait has no method for.  Reading from,
        writing to or closing the handle directly bypasses the transport's
        buffering and state tracking, so the caller takes responsibility
        for anything that breaks.

        :returns: the handle; its type depends on the transport.
        """
