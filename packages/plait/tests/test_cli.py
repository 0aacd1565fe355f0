"""The plait command: info, the demo, and bad arguments."""

from __future__ import annotations

import pytest

from plait.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    code = exited.value.code
    return (code if isinstance(code, int) else 1), capsys.readouterr().out


def test_info_lists_distributions_and_interfaces(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """plait info names the installed distributions and the TCP capability."""
    code, out = _run(capsys, "info")
    assert code == 0
    assert "plait-core" in out
    assert "IReactorTCP" in out
    assert "IReactorSSL" in out
    assert "IReactorUDP" in out


def test_demo_echoes_over_tcp_and_tls(capsys: pytest.CaptureFixture[str]) -> None:
    """The demo verifies TCP, TLS and UDP echo and reports the refused hostname."""
    code, out = _run(capsys, "demo", "--connections", "3", "--messages", "8")
    assert code == 0, out
    assert "3 connections, 24,576 bytes echoed and verified" in out
    assert "tls echo: 65,536 bytes verified over TLSv1.3" in out
    assert "wrong hostname is refused" in out
    assert "8 datagrams sent back and checked" in out
    assert "demo complete" in out


def test_demo_rejects_non_positive_connection_count() -> None:
    """A connection count below one is refused before anything starts."""
    with pytest.raises(SystemExit) as exited:
        main(["demo", "--connections", "0"])
    assert "--connections must be positive" in str(exited.value.code)


def test_select_poller_can_be_chosen(capsys: pytest.CaptureFixture[str]) -> None:
    """--poller picks the poller the reactor uses."""
    code, out = _run(capsys, "--poller", "select", "info")
    assert code == 0
    assert "reactor poller: select" in out
