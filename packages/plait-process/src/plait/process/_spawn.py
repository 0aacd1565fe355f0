"""Starting a child: ``posix_spawn`` when it can express the request, a
C-level fork/exec otherwise.

Facts that shaped this module:

- ``os.posix_spawn`` (glibc runs it with ``clone(CLONE_VM|CLONE_VFORK)``)
  reports a failed ``exec`` as its own return value and reaps the failed
  child itself, it holds no Python lock in the child, and it is safe with
  threads.  It cannot change directory or user, so a ``path``, ``uid`` or
  ``gid`` sends the request to ``_posixsubprocess.fork_exec`` (a vfork
  too, where it can), the C
  routine under ``subprocess.Popen``, whose argument list changed in 3.11
  (``pgid_to_set``) and again in 3.11.5 (``allow_vfork``).
- fork_exec can only place descriptors 0, 1 and 2 (it handles any overlap
  among them, swaps included) and cannot make a terminal the controlling
  one.  For a mapping beyond 0-2 or a terminal with ``path``/``uid``/``gid``
  a short ``preexec_fn`` does the ``dup2`` calls, the closing and the
  ``TIOCSCTTY``; it runs Python in the forked child, so it is kept to those
  few C calls and chosen only when nothing else can do the job.
- Descriptors are moved in two steps so that any mapping works, swaps
  included: every source that could be overwritten (its number is at or
  below the highest target) is first duplicated above the highest target,
  close-on-exec; then each is ``dup2``'d onto its target, which clears
  close-on-exec there.
- Every other descriptor is closed in the child whatever its
  close-on-exec flag: with ``POSIX_SPAWN_CLOSEFROM`` (Python 3.13 on glibc
  2.34+) above the highest target, otherwise by listing our open
  descriptors and closing those the child would inherit.
- On Linux, a session leader that opens a terminal without ``O_NOCTTY``
  acquires it as its controlling terminal, so ``setsid`` plus an open
  action gives a child its terminal without running code in it.
"""

from __future__ import annotations

import _posixsubprocess
import errno
import fcntl
import os
import signal
import sys
import termios
from collections.abc import Callable
from typing import Any

from ._arguments import SpawnRequest

__all__ = ["spawnChild"]

_FD_DIR = "/proc/self/fd" if sys.platform == "linux" else "/dev/fd"
_CLOSEFROM: int | None = getattr(os, "POSIX_SPAWN_CLOSEFROM", None)
#: Signals the interpreter ignores at start-up; a child gets them back.
_RESET_SIGNALS = tuple(
    s for s in (getattr(signal, "SIGPIPE", None), getattr(signal, "SIGXFSZ", None)) if s
)

#: Typed loosely: its signature depends on the interpreter's version.
_forkExecCall: Callable[..., Any] = _posixsubprocess.fork_exec


def _forkExecArity() -> int:
    # Called with no arguments, fork_exec refuses before forking and says
    # how many it takes: 21 on 3.10, 22 on early 3.11 (pgid_to_set), 23
    # from 3.11.5 on (allow_vfork).
    try:
        _forkExecCall()
    except TypeError as e:
        numbers = [int(word) for word in str(e).split() if word.isdigit()]
        if numbers and numbers[0] in (21, 22, 23):
            return numbers[0]
    raise RuntimeError("unknown _posixsubprocess.fork_exec signature")


_FORK_EXEC_ARITY = _forkExecArity()
_MAXFD = os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 65536
_OPENS_CONTROLLING_TTY = sys.platform == "linux"
_STD = {0, 1, 2}


def _startError(code: int, request: SpawnRequest, detail: str = "") -> OSError:
    """An OSError (of the subclass errno selects) naming the program."""
    reason = os.strerror(code) if code else "the child could not be set up"
    message = f"cannot run {request.program!r}{detail}: {reason}"
    return OSError(code, message) if code else OSError(message)


def _stage(fds: dict[int, int]) -> tuple[dict[int, int], list[int]]:
    """Move every source a ``dup2`` could overwrite above the highest target.

    :returns: the mapping to apply and the temporary descriptors to close
        in the parent once the child exists.
    """
    ceiling = max(fds, default=-1)
    staged: dict[int, int] = {}
    temporaries: list[int] = []
    copies: dict[int, int] = {}
    try:
        for target, source in fds.items():
            if source > ceiling:
                staged[target] = source
                continue
            copy = copies.get(source)
            if copy is None:
                copy = fcntl.fcntl(source, fcntl.F_DUPFD_CLOEXEC, ceiling + 1)
                copies[source] = copy
                temporaries.append(copy)
            staged[target] = copy
    except BaseException:
        for fd in temporaries:
            os.close(fd)
        raise
    return staged, temporaries


def _openFds(keep: set[int]) -> list[int]:
    """Our open descriptors, *keep* excepted.

    Those marked close-on-exec would close anyway; closing them in the
    child as well costs the parent nothing, while asking which they are
    would cost a system call each.
    """
    return [fd for fd in map(int, os.listdir(_FD_DIR)) if fd not in keep]


def _useSpawn(request: SpawnRequest) -> bool:
    if request.cwd is not None or request.uid is not None or request.gid is not None:
        return False
    if request.tty is not None:
        return _OPENS_CONTROLLING_TTY
    if _CLOSEFROM is not None:
        return True
    # Without CLOSEFROM, posix_spawn must be told each descriptor to close,
    # which means listing ours on every spawn (about 1 us per open
    # descriptor); fork_exec closes them in C with close_range.  The
    # usual 0/1/2 mapping therefore goes to fork_exec.
    return set(request.fds) != _STD


def spawnChild(request: SpawnRequest) -> int:
    """Start the child described by *request* and return its pid.

    The descriptors named in ``request.fds`` stay open in the parent; the
    caller closes those it no longer needs.

    :raises OSError: the child could not be started (a missing or
        non-executable program, a missing directory, no resources); no
        process is left behind.
    """
    if _useSpawn(request):
        staged, temporaries = _stage(request.fds)
        try:
            return _posixSpawn(request, staged)
        finally:
            for fd in temporaries:
                os.close(fd)
    if request.tty is None and set(request.fds) == _STD:
        # fork_exec sorts out any overlap among 0, 1 and 2 itself.
        return _forkExec(request, request.fds)
    staged, temporaries = _stage(request.fds)
    try:
        return _forkExec(request, staged)
    finally:
        for fd in temporaries:
            os.close(fd)


# -- posix_spawn ---------------------------------------------------------------


def _posixSpawn(request: SpawnRequest, staged: dict[int, int]) -> int:
    actions: list[tuple[object, ...]] = []
    targets = set(staged)
    if request.tty is not None:
        # Opened after setsid: the terminal becomes the controlling one.
        actions.append((os.POSIX_SPAWN_OPEN, 0, request.tty, os.O_RDWR, 0))
        actions.append((os.POSIX_SPAWN_DUP2, 0, 1))
        actions.append((os.POSIX_SPAWN_DUP2, 0, 2))
        targets = {0, 1, 2}
    else:
        actions.extend((os.POSIX_SPAWN_DUP2, src, dst) for dst, src in staged.items())
    ceiling = max(targets, default=-1)
    if _CLOSEFROM is not None:
        actions.extend(
            (os.POSIX_SPAWN_CLOSE, fd) for fd in range(ceiling + 1) if fd not in targets
        )
        actions.append((_CLOSEFROM, ceiling + 1))
    else:
        actions.extend((os.POSIX_SPAWN_CLOSE, fd) for fd in _openFds(targets))
    try:
        return os.posix_spawn(
            request.executable,
            request.argv,
            request.env,
            file_actions=actions,
            setsid=request.tty is not None,
            setsigmask=(),
            setsigdef=_RESET_SIGNALS,
        )
    except OSError as e:
        raise _startError(e.errno or 0, request) from None


# -- fork_exec -----------------------------------------------------------------


def _groupsFor(request: SpawnRequest) -> tuple[int | None, list[int] | None]:
    """The group and supplementary groups the child switches to."""
    gid = request.gid
    if request.uid is None:
        return gid, None  # a gid alone changes only the group
    import pwd  # only needed when switching users

    try:
        entry = pwd.getpwuid(request.uid)
    except KeyError:
        return gid, [gid] if gid is not None else []
    if gid is None:
        gid = entry.pw_gid
    return gid, os.getgrouplist(entry.pw_name, gid)


def _closingRanges(keep: set[int]) -> list[tuple[int, int]]:
    """Ranges ``[low, high)`` covering every descriptor but those in *keep*."""
    ranges = []
    low = 0
    for fd in sorted(keep):
        if fd > low:
            ranges.append((low, fd))
        low = fd + 1
    ranges.append((low, _MAXFD))
    return ranges


def _childSetup(
    moves: list[tuple[int, int]], closing: list[tuple[int, int]], tty: bool
) -> Callable[[], None]:
    """The few calls run in the forked child before exec, when needed."""
    dup2 = os.dup2
    closerange = os.closerange
    ioctl = fcntl.ioctl
    sctty = termios.TIOCSCTTY

    def setup() -> None:
        for src, dst in moves:
            dup2(src, dst)
        for low, high in closing:
            closerange(low, high)
        if tty:
            ioctl(0, sctty, 0)

    return setup


def _forkExec(request: SpawnRequest, staged: dict[int, int]) -> int:
    errRead, errWrite = os.pipe()
    lowFds = []
    try:
        while errWrite < 3:  # never let the error pipe sit on 0-2
            lowFds.append(errWrite)
            errWrite = fcntl.fcntl(errWrite, fcntl.F_DUPFD_CLOEXEC, 3)
        try:
            pid = _runForkExec(request, staged, errRead, errWrite)
        finally:
            os.close(errWrite)
        # The child closes its end at exec, or writes why it failed first.
        report = _readAll(errRead)
    finally:
        os.close(errRead)
        for fd in lowFds:
            os.close(fd)
    if not report:
        return pid
    os.waitpid(pid, 0)  # it wrote its error and exited: reap it at once
    raise _errorFromChild(report, request)


def _runForkExec(
    request: SpawnRequest, staged: dict[int, int], errRead: int, errWrite: int
) -> int:
    gid, groups = _groupsFor(request)
    plain = request.tty is None and set(staged) == _STD
    if plain:
        std = (staged[0], -1, -1, staged[1], -1, staged[2])
        preexec = None
    else:
        if request.tty is not None:
            staged = dict.fromkeys((0, 1, 2), staged[0])
        moves = [(src, dst) for dst, src in staged.items()]
        keep = set(staged) | {errWrite}
        preexec = _childSetup(moves, _closingRanges(keep), request.tty is not None)
        std = (-1, -1, -1, -1, -1, -1)
    args: list[object] = [
        request.argv,
        [request.executable],
        plain,  # close_fds: the setup function closes them otherwise
        (errWrite,) if plain else (),  # kept open until exec, to report errors
        request.cwd,
        [name + b"=" + value for name, value in request.env.items()],
        *std,
        errRead,
        errWrite,
        True,  # restore the signals the interpreter ignores
        request.tty is not None,  # setsid
    ]
    if _FORK_EXEC_ARITY >= 22:
        args.append(-1)
    args += [gid, groups, request.uid, -1, preexec]
    if _FORK_EXEC_ARITY >= 23:
        args.append(True)
    pid: int = _forkExecCall(*args)
    return pid


def _readAll(fd: int) -> bytes:
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(fd, 50_000)
        except InterruptedError:
            continue
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _errorFromChild(report: bytes, request: SpawnRequest) -> OSError:
    """Turn the child's ``Name:hex-errno:detail`` report into an OSError."""
    kind, _, rest = report.partition(b":")
    code_text, _, detail = rest.partition(b":")
    try:
        code = int(code_text, 16)
    except ValueError:
        code = 0
    if kind != b"OSError":
        code = 0
    if detail == b"noexec:chdir":  # 3.13 and later say where it failed
        where = os.fsdecode(request.cwd or b"")
        return _startError(code, request, f" in directory {where!r}")
    if detail == b"noexec":
        # It failed before exec: in chdir (up to 3.12) or in switching ids.
        if code in (errno.EPERM, errno.EINVAL) or request.cwd is None:
            return _startError(code, request, " as the requested user or group")
        where = os.fsdecode(request.cwd or b"")
        return _startError(code, request, f" in directory {where!r}")
    return _startError(code, request)
