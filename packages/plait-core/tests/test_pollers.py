"""The pollers, each on its own, over real socket pairs."""

from __future__ import annotations

import importlib
import select
import socket
import sys
from collections.abc import Iterator

import pytest

from plait.core import Poller, availablePollers, createPoller
from plait.core._poller import ERROR, READ, WRITE


@pytest.fixture
def poller(poller_name: str) -> Iterator[Poller]:
    """Each available poller, closed after the test."""
    p = createPoller(poller_name)
    yield p
    p.close()


def _events(poller: Poller, fd: int, timeout: float = 0.0) -> int:
    return sum(mask for got, mask in poller.poll(timeout) if got == fd)


def test_available_pollers_best_first() -> None:
    """availablePollers lists only known mechanisms, in preference order."""
    names = availablePollers()
    order = ["epoll", "kqueue", "poll", "select"]
    assert names == [n for n in order if n in names]
    assert "select" in names
    if sys.platform == "linux":
        assert names[0] == "epoll"
        assert "kqueue" not in names


def test_create_poller_default_is_best() -> None:
    """createPoller(None) builds the first available mechanism."""
    p = createPoller(None)
    try:
        assert p.name == availablePollers()[0]
    finally:
        p.close()


def test_create_poller_unknown_name_lists_valid_ones() -> None:
    """An unknown poller name is a ValueError naming the valid choices."""
    with pytest.raises(ValueError, match="unknown poller 'nope'") as info:
        createPoller("nope")
    for name in availablePollers():
        assert name in str(info.value)


@pytest.mark.skipif(hasattr(select, "kqueue"), reason="kqueue exists here")
def test_kqueue_module_imports_without_kqueue() -> None:
    """The kqueue backend imports where kqueue is missing and says so."""
    module = importlib.import_module("plait.core._poller_kqueue")
    assert module.AVAILABLE is False
    with pytest.raises(OSError, match="kqueue"):
        module.openPoller()
    with pytest.raises(ValueError):
        createPoller("kqueue")


def test_poller_name_matches(poller: Poller, poller_name: str) -> None:
    """Each poller reports the name it was created by."""
    assert poller.name == poller_name


def test_nothing_ready_returns_empty(poller: Poller, socket_pair) -> None:
    """A zero-timeout poll with nothing readable returns no events."""
    a, _ = socket_pair
    poller.register(a.fileno(), READ)
    assert poller.poll(0) == []


def test_readable_reported(poller: Poller, socket_pair) -> None:
    """Data waiting on a socket makes its fd readable."""
    a, b = socket_pair
    poller.register(a.fileno(), READ)
    b.send(b"x")
    assert _events(poller, a.fileno(), 1.0) & READ


def test_writable_reported(poller: Poller, socket_pair) -> None:
    """A fresh socket with buffer space is writable."""
    a, _ = socket_pair
    poller.register(a.fileno(), WRITE)
    mask = _events(poller, a.fileno(), 1.0)
    assert mask & WRITE
    assert not mask & READ


def test_modify_changes_interest(poller: Poller, socket_pair) -> None:
    """modify() replaces the watched events of a registered fd."""
    a, b = socket_pair
    poller.register(a.fileno(), READ | WRITE)
    poller.modify(a.fileno(), READ)
    assert _events(poller, a.fileno()) == 0
    b.send(b"x")
    poller.modify(a.fileno(), WRITE)
    assert _events(poller, a.fileno(), 1.0) & (READ | WRITE) == WRITE


def test_unregister_stops_reports(poller: Poller, socket_pair) -> None:
    """An unregistered fd is no longer reported, even when ready."""
    a, b = socket_pair
    poller.register(a.fileno(), READ)
    b.send(b"x")
    poller.unregister(a.fileno())
    assert _events(poller, a.fileno()) == 0


def test_unregister_unknown_fd_is_ignored(poller: Poller, socket_pair) -> None:
    """Unregistering an fd that was never registered raises nothing."""
    a, _ = socket_pair
    poller.unregister(a.fileno())
    assert poller.poll(0) == []


def test_hangup_reported_as_readable_or_error(poller: Poller, socket_pair) -> None:
    """A peer that closes makes the fd readable (EOF) or flagged as hung up."""
    a, b = socket_pair
    poller.register(a.fileno(), READ)
    b.close()
    assert _events(poller, a.fileno(), 1.0) & (READ | ERROR)


def test_unregister_after_close_is_ignored(poller: Poller) -> None:
    """Unregistering an fd that was closed first raises nothing."""
    a, b = socket.socketpair()
    fd = a.fileno()
    poller.register(fd, READ)
    a.close()
    b.close()
    poller.unregister(fd)
    assert all(got != fd for got, _ in poller.poll(0))


def test_register_twice_replaces(poller: Poller, socket_pair) -> None:
    """Registering a registered fd again takes the new mask."""
    a, _ = socket_pair
    poller.register(a.fileno(), READ)
    poller.register(a.fileno(), WRITE)
    assert _events(poller, a.fileno(), 1.0) & WRITE


def test_close_is_idempotent(poller_name: str) -> None:
    """close() may be called twice."""
    p = createPoller(poller_name)
    p.close()
    p.close()


def test_select_refuses_fd_beyond_fd_setsize() -> None:
    """The select poller rejects fds >= FD_SETSIZE at register, clearly."""
    from plait.core._poller_select import FD_SETSIZE

    p = createPoller("select")
    with pytest.raises(ValueError, match="FD_SETSIZE") as info:
        p.register(FD_SETSIZE, READ)
    assert "epoll" in str(info.value)
    p.close()


def test_select_reports_closed_fd_instead_of_failing() -> None:
    """A closed fd in select's sets is reported with POLLNVAL, not raised."""
    p = createPoller("select")
    a, b = socket.socketpair()
    keep_a, keep_b = socket.socketpair()
    fd = a.fileno()
    p.register(fd, READ)
    p.register(keep_a.fileno(), READ)
    a.close()
    try:
        events = p.poll(0)
        assert (fd, select.POLLNVAL) in events
        assert all(got != keep_a.fileno() for got, _ in events)
    finally:
        for s in (b, keep_a, keep_b):
            s.close()
        p.close()
