"""Waiting for several Deferreds at once: DeferredList and gatherResults."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any, TypeVar

from ._defer import Deferred
from ._failure import Failure

__all__ = ["DeferredList", "FirstError", "gatherResults"]

_T = TypeVar("_T")


class FirstError(Exception):
    """The first failure among a group of Deferreds.

    :ivar subFailure: the :class:`Failure` of the member that failed.
    :ivar index: that member's position in the input list.
    """

    def __init__(self, failure: Failure, index: int) -> None:
        super().__init__(failure, index)
        self.subFailure = failure
        self.index = index

    def __str__(self) -> str:
        return f"FirstError[#{self.index}, {self.subFailure}]"

    def __repr__(self) -> str:
        return f"FirstError[#{self.index}, {self.subFailure!r}]"


class DeferredList(Deferred[Any]):
    """A Deferred that fires once a list of Deferreds has fired.

    By default it fires, after every member has, with a list of
    ``(success, result)`` pairs in input order: ``(True, value)`` or
    ``(False, failure)``.

    :param fireOnOneCallback: fire as soon as a member succeeds, with
        ``(result, index)``.
    :param fireOnOneErrback: fail as soon as a member fails, with a
        :class:`FirstError`.
    :param consumeErrors: take members' failures out of their chains (they
        go on with ``None``), so they are not also reported as unhandled.

    Cancelling it cancels the members that have not reported yet.
    """

    __slots__ = (
        "_deferredList",
        "_pending",
        "consumeErrors",
        "fireOnOneCallback",
        "fireOnOneErrback",
        "resultList",
    )

    def __init__(
        self,
        deferredList: Iterable[Deferred[Any]],
        fireOnOneCallback: bool = False,
        fireOnOneErrback: bool = False,
        consumeErrors: bool = False,
    ) -> None:
        super().__init__(_cancelMembers)
        members = list(deferredList)
        self._deferredList = members
        self._pending = len(members)
        self.resultList: list[tuple[bool, Any] | None] = [None] * len(members)
        self.fireOnOneCallback = fireOnOneCallback
        self.fireOnOneErrback = fireOnOneErrback
        self.consumeErrors = consumeErrors
        if not members and not fireOnOneCallback:
            self.callback([])
            return
        report = self._memberFired
        for index, member in enumerate(members):
            # One small C object per member, run on both sides: lists of
            # many thousands of members are common (and so is gc pressure).
            both = partial(report, index)
            member._add(both, both)

    def _memberFired(self, index: int, result: Any) -> Any:
        succeeded = not isinstance(result, Failure)
        self.resultList[index] = (succeeded, result)
        self._pending -= 1
        if not self.called:
            if succeeded:
                if self.fireOnOneCallback:
                    self.callback((result, index))
            elif self.fireOnOneErrback:
                self.errback(Failure(FirstError(result, index)))
            if not self._pending and not self.called:
                self.callback(self.resultList)
        if not succeeded and self.consumeErrors:
            return None
        return result


def _cancelMembers(d: DeferredList) -> None:
    for member, slot in zip(d._deferredList, d.resultList, strict=True):
        if slot is None:
            member.cancel()


def _values(results: list[tuple[bool, _T]]) -> list[_T]:
    return [value for _, value in results]


def gatherResults(
    deferredList: Iterable[Deferred[_T]], consumeErrors: bool = False
) -> Deferred[list[_T]]:
    """A Deferred for the list of the members' results, in input order.

    It fails with a :class:`FirstError` as soon as one member fails.

    :param consumeErrors: as for :class:`DeferredList`.
    """
    d = DeferredList(deferredList, fireOnOneErrback=True, consumeErrors=consumeErrors)
    return d.addCallback(_values)
