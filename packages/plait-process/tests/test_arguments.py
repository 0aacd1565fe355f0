"""spawnProcess's arguments: environment, argument vector, directory, errors."""

from __future__ import annotations

import ast
import os
import stat
import sys

import pytest

PY = sys.executable
SHOW_ENV = "import os,sys; sys.stdout.write(repr(sorted(os.environb.items())))"


def child_env(rec):
    return dict(
        ast.literal_eval(rec.out().decode())
    )  # the child printed a repr of its environment


def test_env_left_out_is_empty(reactor, run):
    """Leaving env out gives the child an empty environment."""
    rec = run(reactor, PY, [PY, "-c", SHOW_ENV])
    env = child_env(rec)
    # The interpreter may add LC_CTYPE when coercing the C locale.
    env.pop(b"LC_CTYPE", None)
    assert env == {}


def test_env_none_is_ours(reactor, run, monkeypatch):
    """env=None hands the child our own environment."""
    monkeypatch.setenv("PLAIT_TEST_MARK", "inherited")
    rec = run(reactor, "/usr/bin/env", ["env"], env=None)
    assert b"PLAIT_TEST_MARK=inherited\n" in rec.out()


def test_env_mapping_is_exact(reactor, run):
    """A mapping is the child's whole environment; str and bytes both work."""
    env = {"A": "1", b"B": b"two words", "C": "", "UNICODE": "\u00e9"}
    rec = run(reactor, "/usr/bin/env", ["env"], env=env)
    lines = sorted(rec.out().splitlines())
    assert lines == [b"A=1", b"B=two words", b"C=", "UNICODE=\u00e9".encode()]


@pytest.mark.parametrize(
    "env",
    [{"A\0B": "1"}, {"A": "x\0y"}, {"A=B": "1"}, {b"": b"1"}, {b"K\0": b"v"}],
    ids=["nul-name", "nul-value", "equals-name", "empty-name", "nul-bytes"],
)
def test_env_bad_names_refused(reactor, recorder, env, openFds):
    """A NUL byte, an '=' in a name or an empty name raises ValueError."""
    before = openFds()
    with pytest.raises(ValueError):
        reactor.spawnProcess(recorder, "/bin/true", ["true"], env=env)
    assert recorder.events == []
    assert openFds() == before


def test_env_bad_types_refused(reactor, recorder):
    """A name or value that is not text or bytes raises TypeError."""
    with pytest.raises(TypeError):
        reactor.spawnProcess(recorder, "/bin/true", ["true"], env={"A": 1})


def test_args_are_verbatim(reactor, run, cwd):
    """Arguments reach the child exactly, with no shell in between."""
    args = ["prog", "two words", "$HOME", "*", "", "a'b\"c", "\u00e9", b"\xff"]
    script = "import sys; sys.stdout.buffer.write(repr(sys.argv[1:]).encode())"
    rec = run(reactor, PY, [PY, "-c", script, *args[1:]], path=cwd)
    expected = [a if isinstance(a, str) else os.fsdecode(a) for a in args[1:]]
    assert ast.literal_eval(rec.out().decode()) == expected


def test_argv0_is_ours(reactor, run):
    """The first argument is argv[0], whatever the executable's name."""
    rec = run(reactor, "/bin/sh", ["not-sh", "-c", 'echo "$0"'])
    assert rec.out() == b"not-sh\n"


def test_args_string_refused(reactor, recorder):
    """A single string for args raises TypeError rather than being split."""
    with pytest.raises(TypeError, match="no shell"):
        reactor.spawnProcess(recorder, "/bin/echo", "echo hello")


def test_nul_in_argument_refused(reactor, recorder):
    """An argument with a NUL byte raises ValueError."""
    with pytest.raises(ValueError, match="NUL"):
        reactor.spawnProcess(recorder, "/bin/echo", ["echo", "a\0b"])


def test_path_is_working_directory(reactor, run, tmp_path):
    """path sets the child's working directory."""
    rec = run(reactor, "/bin/pwd", ["pwd"], path=str(tmp_path))
    assert rec.out().strip() == os.fsencode(os.path.realpath(tmp_path))


def test_path_bytes(reactor, run, tmp_path):
    """path may be bytes."""
    rec = run(reactor, "/bin/pwd", ["pwd"], path=os.fsencode(tmp_path))
    assert rec.out().strip() == os.fsencode(os.path.realpath(tmp_path))


def _nothing_left(reactor, recorder, before, openFds):
    assert recorder.events == []
    assert openFds() == before
    assert reactor.getReaders() == []
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_missing_executable(reactor, recorder, openFds, cwd):
    """A missing program raises FileNotFoundError naming it; nothing is left."""
    before = openFds()
    with pytest.raises(FileNotFoundError, match="/no/such/program") as info:
        reactor.spawnProcess(recorder, "/no/such/program", ["x"], path=cwd)
    assert "No such file" in str(info.value)
    _nothing_left(reactor, recorder, before, openFds)


def test_not_executable(reactor, recorder, openFds, tmp_path, cwd):
    """A file without execute permission raises PermissionError naming it."""
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(stat.S_IRUSR | stat.S_IWUSR)
    before = openFds()
    with pytest.raises(PermissionError, match=r"script\.sh"):
        reactor.spawnProcess(recorder, str(script), ["script"], path=cwd)
    _nothing_left(reactor, recorder, before, openFds)


def test_directory_as_executable(reactor, recorder, openFds, tmp_path):
    """A directory given as the program raises an OSError naming it."""
    before = openFds()
    with pytest.raises(PermissionError, match=str(tmp_path)):
        reactor.spawnProcess(recorder, str(tmp_path), ["x"])
    _nothing_left(reactor, recorder, before, openFds)


def test_missing_path(reactor, recorder, openFds, tmp_path):
    """A missing working directory raises FileNotFoundError naming the
    program and the directory; nothing is left."""
    before = openFds()
    missing = str(tmp_path / "gone")
    with pytest.raises(FileNotFoundError) as info:
        reactor.spawnProcess(recorder, "/bin/true", ["true"], path=missing)
    assert "/bin/true" in str(info.value)
    assert missing in str(info.value)
    _nothing_left(reactor, recorder, before, openFds)


def test_bad_protocol_refused(reactor):
    """Something that is not a process protocol raises TypeError."""
    with pytest.raises(TypeError):
        reactor.spawnProcess(object(), "/bin/true", ["true"])


@pytest.mark.parametrize("value", [-1, "0", 1.5])
def test_bad_uid_refused(reactor, recorder, value):
    """A uid that is not a non-negative int raises ValueError."""
    with pytest.raises(ValueError, match="uid"):
        reactor.spawnProcess(recorder, "/bin/true", ["true"], uid=value)


def test_empty_args_use_executable(reactor, recorder, finish):
    """Empty args pass the executable as argv[0]."""
    process = reactor.spawnProcess(recorder, "/bin/sh", [])
    process.write(b'echo "$0"\n')
    process.closeStdin()
    finish(reactor, recorder)
    assert recorder.out() == b"/bin/sh\n"
