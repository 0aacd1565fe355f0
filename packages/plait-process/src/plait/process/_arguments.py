"""Checking and converting the arguments of ``spawnProcess``.

Everything the kernel receives is bytes: the program, each argument, each
``NAME=value`` pair of the environment.  Text is encoded the way the
interpreter encodes file names (``os.fsencode``), so a name that came from
the file system goes back to it unchanged.  Bad input is refused here, in
the caller's thread, before any descriptor or process exists.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT_CHILD_FDS",
    "ChildFD",
    "SpawnRequest",
    "checkChildFDs",
    "encodeArgs",
    "encodeEnvironment",
    "encodePath",
]

#: The usual three pipes: the parent writes to the child's standard input
#: and reads its standard output and standard error.
DEFAULT_CHILD_FDS: Mapping[int, int | str] = {0: "w", 1: "r", 2: "r"}

_DEFAULT: dict[int, int | str] = dict(DEFAULT_CHILD_FDS)

#: What one child descriptor is joined to: "r" (we read), "w" (we write),
#: or one of our descriptors handed over as it is.
ChildFD = int | str


_FS_ENCODING = sys.getfilesystemencoding()
_FS_ERRORS = sys.getfilesystemencodeerrors()


def _asBytes(value: object, what: str) -> bytes:
    # Exact types first: this runs for every argument of every spawn.
    if type(value) is str:
        data = value.encode(_FS_ENCODING, _FS_ERRORS)
    elif isinstance(value, bytes):
        data = value
    elif isinstance(value, (str, os.PathLike)):
        data = os.fsencode(value)
    else:
        raise TypeError(f"{what} must be str or bytes, not {type(value).__name__}")
    if b"\0" in data:
        raise ValueError(f"{what} must not contain a NUL byte: {value!r}")
    return data


def encodePath(value: object, what: str) -> bytes:
    """One program or directory name as bytes; refuses NUL bytes."""
    return _asBytes(value, what)


def encodeArgs(executable: bytes, args: Sequence[object]) -> list[bytes]:
    """The argument vector, verbatim; an empty one becomes ``[executable]``.

    :raises TypeError: *args* is a single string or holds a non-string.
    :raises ValueError: an argument holds a NUL byte.
    """
    if isinstance(args, (str, bytes)):
        raise TypeError(
            "args must be a sequence of arguments, not a single string; "
            "no shell splits it"
        )
    argv = [_asBytes(arg, "each argument") for arg in args]
    return argv or [executable]


def encodeEnvironment(env: Mapping[Any, Any] | None) -> Mapping[bytes, bytes]:
    """The environment the child starts with, names and values as bytes.

    ``None`` stands for our own environment; a mapping is the whole of the
    child's environment.

    :raises ValueError: a name is empty or holds ``=`` or NUL, or a value
        holds NUL.
    :raises TypeError: a name or value is not str or bytes.
    """
    if env is None:
        return os.environb
    if not isinstance(env, Mapping):
        raise TypeError(f"env must be a mapping or None, not {type(env).__name__}")
    pairs: dict[bytes, bytes] = {}
    for key, value in env.items():
        name = _asBytes(key, "an environment variable name")
        if not name or b"=" in name:
            raise ValueError(
                f"invalid environment variable name {key!r}: it must be "
                "non-empty and must not contain '='"
            )
        pairs[name] = _asBytes(value, f"the value of {key!r}")
    return pairs


def checkChildFDs(childFDs: Mapping[int, ChildFD] | None) -> Mapping[int, ChildFD]:
    """Validate a ``childFDs`` mapping; ``None`` gives the usual three pipes.

    The result is only read, never changed.

    :raises TypeError: a key is not an int, or a value neither an int nor
        ``"r"``/``"w"``.
    :raises ValueError: a descriptor number is negative.
    """
    if childFDs is None:
        return _DEFAULT
    if not isinstance(childFDs, Mapping):
        raise TypeError(f"childFDs must be a mapping, not {type(childFDs).__name__}")
    checked: dict[int, ChildFD] = {}
    for target, source in childFDs.items():
        if not isinstance(target, int) or isinstance(target, bool):
            raise TypeError(f"childFDs keys are descriptor numbers, not {target!r}")
        if target < 0:
            raise ValueError(f"childFDs key {target} is negative")
        if isinstance(source, str):
            if source not in ("r", "w"):
                raise TypeError(
                    f"childFDs[{target}] must be 'r', 'w' or a descriptor, "
                    f"not {source!r}"
                )
        elif not isinstance(source, int) or isinstance(source, bool):
            raise TypeError(
                f"childFDs[{target}] must be 'r', 'w' or a descriptor, not {source!r}"
            )
        elif source < 0:
            raise ValueError(f"childFDs[{target}] names negative descriptor {source}")
        checked[target] = source
    return checked


@dataclass(slots=True)
class SpawnRequest:
    """Everything a spawner needs, already checked and encoded.

    ``fds`` maps each child descriptor to the parent descriptor it must
    become; every other descriptor is closed in the child.  ``tty`` is the
    terminal's device name when the child gets a controlling terminal.
    """

    executable: bytes
    argv: list[bytes]
    env: Mapping[bytes, bytes]
    cwd: bytes | None
    uid: int | None
    gid: int | None
    fds: dict[int, int]
    tty: bytes | None = None

    @property
    def program(self) -> str:
        """The program's name as text, for messages."""
        return os.fsdecode(self.executable)
