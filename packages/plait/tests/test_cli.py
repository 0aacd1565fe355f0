"""The plait command's conventions: help, version, usage and runtime errors."""

from __future__ import annotations

from typing import Any

import pytest

from plait.cli import buildParser, main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    code = exited.value.code
    captured = capsys.readouterr()
    return (code if isinstance(code, int) else 1), captured.out, captured.err


@pytest.mark.parametrize("sub", ["demo", "dig", "echo", "forward", "info"])
def test_every_subcommand_has_help(
    capsys: pytest.CaptureFixture[str], sub: str
) -> None:
    """--help of each subcommand exits 0 and prints its usage line."""
    code, out, _ = _run(capsys, sub, "--help")
    assert code == 0
    assert out.startswith(f"usage: plait {sub}")


def test_help_shows_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    """The demo's options are listed with their default values."""
    _, out, _ = _run(capsys, "demo", "--help")
    assert "(default: 10)" in out
    assert "(default: 100)" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """plait --version prints the installed version."""
    from importlib.metadata import version

    code, out, _ = _run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"plait {version('plait')}"


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["demo", "--messages", "0"], "--messages: must be 1 or more, not 0"),
        (["demo", "--messages", "-5"], "--messages: must be 1 or more, not -5"),
        (["demo", "--connections", "x"], "--connections: not an integer: 'x'"),
        (["echo", "--listen", "tcp:70000"], "port 70000 is outside 0-65535"),
        (["echo", "--listen", "tcp:port=-1"], "port -1 is outside 0-65535"),
        (["echo", "--listen", "8000"], "'8000' is not an endpoint"),
        (["forward", "--listen", "tcp:0"], "the following arguments are required"),
        (["forward", "--listen", "tcp:1", "--to", "tcp:h:99999"], "99999 is outside"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_usage_mistakes_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], problem: str
) -> None:
    """A usage mistake exits 2 with the usage line and one line naming it."""
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert lines[0].startswith("usage: plait")
    assert problem in lines[-1]
    assert "Traceback" not in err


def test_unknown_poller_is_one_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown poller is a runtime error: one 'plait: error:' line, exit 1."""
    code, _, err = _run(capsys, "--poller", "bogus", "info")
    assert code == 1
    assert err.splitlines() == [
        err.splitlines()[0],
    ]
    assert err.startswith("plait: error: unknown poller 'bogus'")


def test_debug_shows_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    """With --debug the same error comes with its traceback."""
    code, _, err = _run(capsys, "--debug", "--poller", "bogus", "info")
    assert code == 1
    assert "Traceback" in err
    assert err.splitlines()[-1].startswith("plait: error: unknown poller")


def test_select_poller_can_be_chosen(capsys: pytest.CaptureFixture[str]) -> None:
    """--poller picks the poller the reactor uses."""
    code, out, _ = _run(capsys, "--poller", "select", "info")
    assert code == 0
    assert "poller: select" in out


def test_info_reports_what_is_installed_and_what_is_not(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """plait info names the version, distributions, interfaces (the deprecated
    one marked) and an install line for every missing capability."""
    code, out, _ = _run(capsys, "info")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("plait ")
    assert "  plait-core" in out
    assert "  IReactorTCP" in lines
    assert "  IReactorSSL" in lines
    assert "  IReactorArbitrary (deprecated)" in lines
    for line in lines[lines.index("the reactor lacks:") + 1 :]:
        assert "pip install" in line or "not offered on this platform" in line


def test_unknown_endpoint_prefix_is_a_runtime_error(runPlait: Any) -> None:
    """An endpoint kind nobody installed: one error line naming it, exit 1."""
    code, _out, err = runPlait("echo", "--listen", "bogus:1")
    assert code == 1
    assert err.startswith("plait: error: bogus:1: no server endpoint parser")
    assert len(err.splitlines()) == 1


def test_parser_is_importable() -> None:
    """buildParser gives the parser, for documentation and completion tools."""
    assert buildParser().prog == "plait"
