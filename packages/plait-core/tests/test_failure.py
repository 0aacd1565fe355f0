"""Failure: wrapping an exception, matching it, re-raising and formatting it."""

from __future__ import annotations

import gc
import io
import traceback
import weakref

import pytest

from plait.core import Failure, NoCurrentExceptionError


class _Marker:
    """Something to hold in a frame's locals and watch being freed."""


def _raiseValueError(message: str = "boom") -> None:
    raise ValueError(message)


def _caught(exc_factory: type[BaseException] = ValueError) -> Failure:
    try:
        raise exc_factory("boom")
    except BaseException:
        return Failure()


def test_captures_the_exception_being_handled() -> None:
    """Failure() in an except block records that exception, class and traceback."""
    try:
        _raiseValueError()
    except ValueError as e:
        f = Failure()
        caught = e
    assert f.value is caught
    assert f.type is ValueError
    assert f.tb is caught.__traceback__
    assert f.tb is not None


def test_no_current_exception_raises_a_clear_error() -> None:
    """Failure() outside an except block raises NoCurrentExceptionError."""
    with pytest.raises(NoCurrentExceptionError, match="exception"):
        Failure()


def test_wraps_an_exception_instance() -> None:
    """Failure(exc) keeps the instance and takes the traceback it carries."""
    try:
        _raiseValueError()
    except ValueError as e:
        caught = e
    f = Failure(caught)
    assert f.value is caught
    assert f.type is ValueError
    assert f.tb is caught.__traceback__


def test_wraps_a_never_raised_exception() -> None:
    """A Failure of an exception that was never raised has no traceback."""
    f = Failure(KeyError("k"))
    assert f.tb is None
    assert f.type is KeyError
    assert "KeyError" in f.getTraceback()


def test_given_traceback_is_attached_to_a_fresh_exception() -> None:
    """exc_tb becomes the traceback of an exception that had none."""
    tb = _caught().tb
    exc = RuntimeError("late")
    f = Failure(exc, exc_tb=tb)
    assert f.tb is tb
    assert exc.__traceback__ is tb


def test_explicit_type_is_kept() -> None:
    """exc_type overrides the class recorded for the exception."""
    f = Failure(KeyError("k"), exc_type=LookupError)
    assert f.type is LookupError


def test_rejects_what_is_not_an_exception() -> None:
    """Wrapping anything but an exception instance raises TypeError."""
    with pytest.raises(TypeError, match="exception instance"):
        Failure("not an exception")  # type: ignore[arg-type]  # deliberate misuse


def test_check_gives_the_first_matching_type() -> None:
    """check() returns the first listed type the error is an instance of."""
    f = Failure(KeyError("k"))
    assert f.check(ValueError, LookupError, KeyError) is LookupError
    assert f.check(KeyError) is KeyError


def test_check_gives_none_when_nothing_matches() -> None:
    """check() returns None when no listed type matches."""
    assert Failure(KeyError("k")).check(ValueError, OSError) is None
    assert Failure(KeyError("k")).check() is None


def test_trap_returns_the_match() -> None:
    """trap() returns the matching type and raises nothing."""
    assert Failure(KeyError("k")).trap(OSError, KeyError) is KeyError


def test_trap_reraises_the_original_exception() -> None:
    """trap() with no match raises the wrapped exception object itself."""
    f = _caught(ValueError)
    with pytest.raises(ValueError) as info:
        f.trap(KeyError)
    assert info.value is f.value


def test_raise_exception_keeps_the_original_traceback() -> None:
    """raiseException() re-raises the same object with the original frames."""
    try:
        _raiseValueError()
    except ValueError:
        f = Failure()
    with pytest.raises(ValueError) as info:
        f.raiseException()
    assert info.value is f.value
    names = [entry.name for entry in info.traceback]
    assert "_raiseValueError" in names


def test_value_traceback_is_preserved() -> None:
    """The wrapped exception still carries its own __traceback__."""
    f = _caught()
    assert f.value.__traceback__ is f.tb


def test_error_message_is_the_exception_text() -> None:
    """getErrorMessage() gives str() of the exception."""
    assert Failure(ValueError("bad thing")).getErrorMessage() == "bad thing"


def test_error_message_survives_a_broken_str() -> None:
    """getErrorMessage() falls back to repr() when str() raises."""

    class Weird(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no str")

    assert "Weird" in Failure(Weird()).getErrorMessage()


def test_traceback_is_formatted_like_the_stdlib() -> None:
    """getTraceback() matches traceback.format_exception for the same error."""
    try:
        _raiseValueError("formatted")
    except ValueError as e:
        f = Failure()
        expected = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    text = f.getTraceback()
    assert text == expected
    assert text.startswith("Traceback (most recent call last):")
    assert "_raiseValueError" in text
    assert text.rstrip().endswith("ValueError: formatted")


def test_print_traceback_writes_the_traceback() -> None:
    """printTraceback() writes getTraceback() to the given file."""
    f = _caught()
    out = io.StringIO()
    f.printTraceback(out)
    assert out.getvalue() == f.getTraceback()


def test_clean_failure_frees_frames_and_keeps_the_text() -> None:
    """cleanFailure() drops the traceback's frames but not its formatted text."""

    def holder() -> None:
        marker = _Marker()
        watched.append(weakref.ref(marker))
        raise OSError("with frames")

    watched: list[weakref.ref[_Marker]] = []
    try:
        holder()
    except OSError:
        f = Failure()
    before = f.getTraceback()
    f.cleanFailure()
    gc.collect()
    assert f.tb is None
    assert f.value.__traceback__ is None
    assert watched[0]() is None
    assert f.getTraceback() == before
    assert "holder" in f.getTraceback()
    f.cleanFailure()  # a second time does nothing
    assert f.getTraceback() == before


def test_repr_and_str_name_the_error() -> None:
    """repr() and str() name the exception class and give its message."""
    f = Failure(ValueError("oops"))
    assert repr(f) == "<Failure builtins.ValueError: oops>"
    assert str(f) == "[Failure ValueError: oops]"


def test_construction_does_not_format() -> None:
    """Building a Failure formats nothing: a broken __str__ is never called."""

    class Loud(Exception):
        def __str__(self) -> str:
            raise AssertionError("formatted too early")

    f = Failure(Loud())
    assert f.type is Loud


def _failure() -> Failure:
    try:
        _raiseValueError()
    except ValueError:
        return Failure()
    raise AssertionError("unreachable")


def test_check_and_trap_accept_qualified_names() -> None:
    """check() and trap() take a qualified class name for any class of the
    error's hierarchy, and give that name back."""
    f = _failure()
    assert f.check("builtins.ValueError") == "builtins.ValueError"
    assert f.check("builtins.KeyError", "builtins.Exception") == "builtins.Exception"
    assert f.check("ValueError") is None
    assert f.trap("builtins.ValueError") == "builtins.ValueError"
    assert "builtins.BaseException" in f.parents


def test_brief_traceback_has_a_line_per_frame_and_the_error() -> None:
    """getBriefTraceback names each frame as file:line:function, then the error."""
    f = _failure()
    lines = f.getBriefTraceback().splitlines()
    assert any(line.endswith(":_raiseValueError") for line in lines)
    assert lines[-1] == "builtins.ValueError: boom"
    assert f.getTraceback(detail="brief") == f.getBriefTraceback()
    with pytest.raises(ValueError):
        f.getTraceback(detail="loud")


def test_frames_list_the_traceback() -> None:
    """frames gives (function, file, line) per frame; cleanFailure empties it."""
    f = _failure()
    names = [name for name, _, _ in f.frames]
    assert names[-1] == "_raiseValueError"
    f.cleanFailure()
    assert f.frames == []
