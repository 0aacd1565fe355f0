"""Failure: an exception together with the traceback it was raised with.

A Failure is what travels down the errback side of a Deferred.  It is built
on every error that crosses a callback boundary, so construction only takes
references; formatting a traceback happens when somebody asks for one.
"""

from __future__ import annotations

import builtins
import sys
import traceback
from types import TracebackType
from typing import IO, NoReturn

__all__ = ["Failure", "NoCurrentExceptionError"]


class NoCurrentExceptionError(RuntimeError):
    """``Failure()`` was called with no exception given and none being handled."""

    def __init__(self) -> None:
        super().__init__(
            "Failure() with no arguments needs an exception being handled "
            "(call it inside an 'except' block) or an exception instance"
        )


class _ChainSignal:
    """Base of the objects that change a Deferred chain's course when a
    callback returns them (a Failure, a Deferred, a hand-off entry).

    Sharing one base lets the chain loop spot all of them with a single
    ``isinstance`` test on every callback's result.
    """

    __slots__ = ()


class Failure(_ChainSignal):
    """An exception, its class and its traceback, kept together.

    ``Failure()`` with no argument captures the exception currently being
    handled and raises :class:`NoCurrentExceptionError` when there is none.
    ``Failure(exc)`` wraps an exception instance; its traceback is taken from
    *exc_tb* or else from ``exc.__traceback__``.  The exception object itself
    is kept untouched, so re-raising it (:meth:`trap`, :meth:`raiseException`)
    lets ordinary ``except`` clauses see the original error.

    :ivar value: the exception instance.
    :ivar type: its class.
    :ivar tb: the traceback, or ``None`` once :meth:`cleanFailure` dropped it
        (or when the exception was never raised).
    """

    __slots__ = ("_text", "tb", "type", "value")

    value: BaseException
    type: builtins.type[BaseException]
    tb: TracebackType | None

    def __init__(
        self,
        exc_value: BaseException | None = None,
        exc_type: builtins.type[BaseException] | None = None,
        exc_tb: TracebackType | None = None,
    ) -> None:
        if exc_value is None:
            exc_value = sys.exc_info()[1]
            if exc_value is None:
                raise NoCurrentExceptionError()
            exc_tb = exc_value.__traceback__
        elif not _isException(exc_value):
            raise TypeError(f"Failure() wraps an exception instance, not {exc_value!r}")
        elif exc_tb is None:
            exc_tb = exc_value.__traceback__
        elif exc_value.__traceback__ is None:
            # Keep the exception re-raisable with the traceback we were given.
            exc_value.__traceback__ = exc_tb
        self.value = exc_value
        self.type = exc_value.__class__ if exc_type is None else exc_type
        self.tb = exc_tb
        self._text: str | None = None

    def check(
        self, *errorTypes: builtins.type[BaseException] | str
    ) -> builtins.type[BaseException] | str | None:
        """Give the first of *errorTypes* that the wrapped error is an instance
        of, or ``None`` when it matches none of them.

        A type may also be named by its qualified name, such as
        ``"builtins.ValueError"`` or ``"plait.errors.ConnectionDone"``.
        """
        mine = self.type
        for errorType in errorTypes:
            if isinstance(errorType, str):
                if errorType in self.parents:
                    return errorType
            elif issubclass(mine, errorType):
                return errorType
        return None

    @property
    def parents(self) -> list[str]:
        """The qualified names of the error's class and of its bases."""
        return [f"{c.__module__}.{c.__qualname__}" for c in self.type.__mro__]

    def trap(
        self, *errorTypes: builtins.type[BaseException] | str
    ) -> builtins.type[BaseException] | str:
        """Return the matching type as :meth:`check` does; when nothing
        matches, raise the wrapped exception itself.

        In an errback this lets the expected errors through to the handling
        code and passes every other error on down the chain unchanged.
        """
        found = self.check(*errorTypes)
        if found is None:
            raise self.value
        return found

    def raiseException(self) -> NoReturn:
        """Raise the wrapped exception with its original traceback."""
        raise self.value.with_traceback(self.tb)

    def getErrorMessage(self) -> str:
        """The ``str()`` of the wrapped exception (its repr if that fails)."""
        try:
            return str(self.value)
        except Exception:
            return _safeRepr(self.value)

    def getTraceback(self, elideFrameworkCode: int = 0, detail: str = "default") -> str:
        """The traceback and error text, formatted as the interpreter prints
        an uncaught exception (``detail="brief"``: see
        :meth:`getBriefTraceback`).

        :raises ValueError: *detail* is none of "default", "verbose", "brief".
        """
        if detail == "brief":
            return self.getBriefTraceback()
        if detail not in ("default", "verbose"):
            raise ValueError(
                f"detail must be 'default', 'verbose' or 'brief', not {detail!r}"
            )
        text = self._text
        if text is None:
            text = "".join(traceback.format_exception(self.type, self.value, self.tb))
            if self.tb is None:
                # Nothing formatted from live frames: the text is final.
                self._text = text
        return text

    def getBriefTraceback(self) -> str:
        """One line per frame (``file:line:function``), then the error."""
        lines = [
            f"{frame.filename}:{frame.lineno}:{frame.name}"
            for frame in traceback.extract_tb(self.tb)
        ]
        lines.append(
            f"{self.type.__module__}.{self.type.__qualname__}: {self.getErrorMessage()}"
        )
        return "\n".join(lines) + "\n"

    @property
    def frames(self) -> list[tuple[str, str, int]]:
        """``(function, file, line)`` of each frame of the traceback, the
        outermost first; empty once :meth:`cleanFailure` ran."""
        return [
            (frame.name, frame.filename, frame.lineno or 0)
            for frame in traceback.extract_tb(self.tb)
        ]

    def printTraceback(
        self,
        file: IO[str] | None = None,
        elideFrameworkCode: int = 0,
        detail: str = "default",
    ) -> None:
        """Write :meth:`getTraceback` to *file* (standard error by default)."""
        text = self.getTraceback(detail=detail)
        (sys.stderr if file is None else file).write(text)

    def printBriefTraceback(self, file: IO[str] | None = None) -> None:
        """Write :meth:`getBriefTraceback` to *file* (standard error by default)."""
        (sys.stderr if file is None else file).write(self.getBriefTraceback())

    def cleanFailure(self) -> None:
        """Release the stack frames the traceback keeps alive.

        The traceback text is formatted first and kept, so
        :meth:`getTraceback` still tells where the error came from; only the
        live frames (and every local variable they hold) are let go.
        """
        if self.tb is None and self.value.__traceback__ is None:
            return
        self._text = "".join(traceback.format_exception(self.type, self.value, self.tb))
        self.tb = None
        self.value.__traceback__ = None

    def __repr__(self) -> str:
        cls = self.type
        return (
            f"<Failure {cls.__module__}.{cls.__qualname__}: {self.getErrorMessage()}>"
        )

    def __str__(self) -> str:
        return f"[Failure {self.type.__qualname__}: {self.getErrorMessage()}]"


def _safeRepr(obj: object) -> str:
    try:
        return repr(obj)
    except Exception:
        return f"<unprintable {obj.__class__.__qualname__} object>"


def _isException(obj: object) -> bool:
    # A function of its own so that the check stays for untyped callers.
    return isinstance(obj, BaseException)
