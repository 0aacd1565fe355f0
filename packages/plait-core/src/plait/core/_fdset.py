"""The reactor's file descriptor sets: registration and event dispatch.

Descriptors are keyed by the ``fileno()`` they had when added.  One poller
registration per fd carries the union of what its reader and writer want.
Removal looks the descriptor up by its current ``fileno()`` first and, if it
has changed (typically to -1 after a close), by identity.

When ``doRead``/``doWrite`` raises or returns a reason (an exception
instance or a Failure), the descriptor is removed from both sets and its
``connectionLost`` gets that reason as a Failure; an exception is logged
too, since it is a bug.  The loop goes on either way.
"""

from __future__ import annotations

import logging
from threading import get_ident
from typing import Any

from plait.errors import ConnectionFdescWentAway
from plait.interfaces import IReadDescriptor, IWriteDescriptor

from ._failure import Failure
from ._poller import ERROR, READ, WRITE, Poller
from ._waker import Waker

__all__ = ["FDSetMixin"]

log = logging.getLogger("plait.core")

_READABLE = READ | ERROR
_WRITABLE = WRITE | ERROR

_Descriptor = IReadDescriptor | IWriteDescriptor


def _wrongThread(method: str) -> RuntimeError:
    return RuntimeError(
        f"{method}() is not thread-safe; use callFromThread() to run it in the "
        "reactor thread"
    )


def _filenoOf(descriptor: Any) -> int:
    try:
        return int(descriptor.fileno())
    except Exception:
        return -1


def _prefix(descriptor: Any) -> str:
    try:
        return str(descriptor.logPrefix())
    except Exception:
        return repr(descriptor)


def _find(table: dict[int, Any], descriptor: object) -> int:
    for fd, known in table.items():
        if known is descriptor:
            return fd
    return -1


class FDSetMixin:
    """IReactorFDSet for the reactor; it supplies the attributes below."""

    _readers: dict[int, IReadDescriptor]
    _writers: dict[int, IWriteDescriptor]
    _poller: Poller
    _waker: Waker
    #: Thread id of the running loop, 0 when no loop runs.
    _loopThread: int

    def _setMask(self, fd: int) -> None:
        # Used on removal paths: the fd may already be closed, which the
        # poller reports as OSError; it is then no longer watched anyway.
        mask = (READ if fd in self._readers else 0) | (
            WRITE if fd in self._writers else 0
        )
        try:
            if mask:
                self._poller.modify(fd, mask)
            else:
                self._poller.unregister(fd)
        except OSError:
            pass

    def _watch(
        self,
        descriptor: _Descriptor,
        table: dict[int, Any],
        other: dict[int, Any],
        event: int,
        method: str,
    ) -> None:
        thread = self._loopThread
        if thread and thread != get_ident():
            raise _wrongThread(method)
        fd = descriptor.fileno()
        old = table.get(fd)
        if old is descriptor:
            return
        if fd < 0:
            raise ValueError(f"{descriptor!r} has no file descriptor (fileno() {fd})")
        if old is None:
            # Register first: if the poller refuses the fd, nothing changed.
            if fd in other:
                self._poller.modify(fd, READ | WRITE)
            else:
                self._poller.register(fd, event)
        table[fd] = descriptor

    def _unwatch(
        self, descriptor: _Descriptor, table: dict[int, Any], method: str
    ) -> None:
        thread = self._loopThread
        if thread and thread != get_ident():
            raise _wrongThread(method)
        fd = _filenoOf(descriptor)
        if table.get(fd) is not descriptor:
            fd = _find(table, descriptor)
            if fd < 0:
                return
        del table[fd]
        self._setMask(fd)

    def addReader(self, reader: IReadDescriptor) -> None:
        """Call ``reader.doRead()`` whenever its fd is readable."""
        self._watch(reader, self._readers, self._writers, READ, "addReader")

    def addWriter(self, writer: IWriteDescriptor) -> None:
        """Call ``writer.doWrite()`` whenever its fd is writable."""
        self._watch(writer, self._writers, self._readers, WRITE, "addWriter")

    def removeReader(self, reader: IReadDescriptor) -> None:
        """Stop watching *reader*; nothing happens if it was not watched."""
        self._unwatch(reader, self._readers, "removeReader")

    def removeWriter(self, writer: IWriteDescriptor) -> None:
        """Stop watching *writer*; nothing happens if it was not watched."""
        self._unwatch(writer, self._writers, "removeWriter")

    def removeAll(self) -> list[IReadDescriptor | IWriteDescriptor]:
        """Stop watching every descriptor but the reactor's own waker.

        :returns: each removed descriptor once.
        """
        own = self._waker.fileno()
        removed: dict[int, _Descriptor] = {}
        touched = set()
        for table in (self._readers, self._writers):
            for fd in [fd for fd in table if fd != own]:
                descriptor = table.pop(fd)
                removed[id(descriptor)] = descriptor
                touched.add(fd)
        for fd in touched:
            self._setMask(fd)
        return list(removed.values())

    def getReaders(self) -> list[IReadDescriptor]:
        """The descriptors watched for reading (the waker excluded)."""
        own = self._waker.fileno()
        return [r for fd, r in self._readers.items() if fd != own]

    def getWriters(self) -> list[IWriteDescriptor]:
        """The descriptors watched for writing."""
        return list(self._writers.values())

    def _dispatch(self, events: list[tuple[int, int]]) -> None:
        readers = self._readers
        writers = self._writers
        for fd, mask in events:
            if mask & _READABLE:
                reader = readers.get(fd)
                if reader is not None:
                    try:
                        if reader.fileno() == -1:
                            why: object = ConnectionFdescWentAway()
                        else:
                            why = reader.doRead()
                    except Exception as e:
                        log.exception("Unhandled error in %s.doRead", _prefix(reader))
                        why = e
                    if why is not None:
                        self._lose(reader, fd, why)
            if mask & _WRITABLE:
                writer = writers.get(fd)
                if writer is not None:
                    try:
                        if writer.fileno() == -1:
                            why = ConnectionFdescWentAway()
                        else:
                            why = writer.doWrite()
                    except Exception as e:
                        log.exception("Unhandled error in %s.doWrite", _prefix(writer))
                        why = e
                    if why is not None:
                        self._lose(writer, fd, why)

    def _lose(self, descriptor: _Descriptor, fd: int, why: object) -> None:
        """Drop *descriptor* (watched on *fd*) and tell it why."""
        if self._readers.get(fd) is descriptor:
            del self._readers[fd]
        if self._writers.get(fd) is descriptor:
            del self._writers[fd]
        self._setMask(fd)
        if isinstance(why, Failure):
            reason = why
        elif isinstance(why, BaseException):
            reason = Failure(why)
        else:
            reason = Failure(
                TypeError(f"doRead/doWrite returned {why!r}, not None or a reason")
            )
        try:
            descriptor.connectionLost(reason)
        except Exception:
            log.exception("Unhandled error in %s.connectionLost", _prefix(descriptor))
