"""listenUNIX: mode bits, lock files, what is never deleted, address checks."""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from plait.address import UNIXAddress
from plait.core import ClientFactory, Factory, Protocol
from plait.errors import CannotListenError, InvalidAddressError
from plait.interfaces import IListeningPort, IReactorUNIX, IReactorUNIXDatagram


@contextmanager
def umask(mask: int) -> Iterator[None]:
    """Run the block under ``mask``."""
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def _factory() -> Factory:
    return Factory.forProtocol(Protocol)


def test_the_reactor_provides_the_unix_interfaces(reactor: Any) -> None:
    """With plait-unix installed the reactor provides both UNIX interfaces."""
    assert IReactorUNIX.providedBy(reactor)
    assert IReactorUNIXDatagram.providedBy(reactor)


@pytest.mark.parametrize("mask", [0o022, 0o077])
@pytest.mark.parametrize("mode", [0o666, 0o600, 0o660])
def test_the_socket_gets_exactly_mode(
    reactor: Any, sockdir: Path, mask: int, mode: int
) -> None:
    """The socket file's permissions are ``mode`` whatever the umask."""
    path = str(sockdir / "s")
    with umask(mask):
        port = reactor.listenUNIX(path, _factory(), mode=mode)
    assert stat.S_IMODE(os.stat(path).st_mode) == mode
    assert stat.S_ISSOCK(os.stat(path).st_mode)
    port.stopListening()


def test_stop_listening_removes_the_socket_file(reactor: Any, sockdir: Path) -> None:
    """stopListening removes the socket file; getHost names it."""
    path = str(sockdir / "s")
    port = reactor.listenUNIX(path, _factory())
    assert IListeningPort.providedBy(port)
    assert port.getHost() == UNIXAddress(path)
    port.stopListening()
    assert not os.path.exists(path)


def test_bytes_paths_work(reactor: Any, sockdir: Path) -> None:
    """A bytes path listens and is named in bytes."""
    path = os.fsencode(sockdir / "b")
    port = reactor.listenUNIX(path, _factory())
    assert os.path.exists(path)
    assert port.getHost() == UNIXAddress(path)
    port.stopListening()
    assert not os.path.exists(path)


def test_path_objects_work(reactor: Any, sockdir: Path) -> None:
    """A pathlib.Path listens, connects, and is named by its str."""
    path = sockdir / "p"
    port = reactor.listenUNIX(path, _factory())
    assert os.path.exists(path)
    assert port.getHost() == UNIXAddress(str(path))
    connector = reactor.connectUNIX(path, ClientFactory.forProtocol(Protocol))
    assert connector.getDestination() == UNIXAddress(str(path))
    connector.disconnect()
    port.stopListening()
    assert not os.path.exists(path)


def test_lock_file_holds_our_pid_and_goes_away(reactor: Any, sockdir: Path) -> None:
    """wantPID writes our pid beside the socket; stopListening removes both."""
    path = str(sockdir / "s")
    port = reactor.listenUNIX(path, _factory(), wantPID=True)
    assert Path(path + ".lock").read_text().strip() == str(os.getpid())
    port.stopListening()
    assert not os.path.exists(path + ".lock")
    assert not os.path.exists(path)


def test_a_live_lock_refuses_a_second_listener(reactor: Any, sockdir: Path) -> None:
    """While a live process holds the lock, another listen fails and
    touches neither the socket nor the lock."""
    path = str(sockdir / "s")
    port = reactor.listenUNIX(path, _factory(), wantPID=True)
    with pytest.raises(CannotListenError, match="held by pid"):
        reactor.listenUNIX(path, _factory(), wantPID=True)
    assert os.path.exists(path)
    assert Path(path + ".lock").read_text().strip() == str(os.getpid())
    port.stopListening()


def test_a_stale_lock_and_socket_are_cleaned_up(
    reactor: Any, sockdir: Path, deadPid: int
) -> None:
    """A lock naming a dead pid and the socket it left are replaced."""
    path = str(sockdir / "s")
    old = socket.socket(socket.AF_UNIX)
    old.bind(path)
    old.close()  # the file stays: a stale socket
    Path(path + ".lock").write_text(f"{deadPid}\n")
    port = reactor.listenUNIX(path, _factory(), wantPID=True)
    assert Path(path + ".lock").read_text().strip() == str(os.getpid())
    port.stopListening()
    assert not os.path.exists(path + ".lock")


def test_a_stale_socket_without_lock_is_replaced(reactor: Any, sockdir: Path) -> None:
    """A socket file nobody listens on is removed before binding."""
    path = str(sockdir / "s")
    old = socket.socket(socket.AF_UNIX)
    old.bind(path)
    old.close()
    port = reactor.listenUNIX(path, _factory())
    port.stopListening()
    assert not os.path.exists(path)


def test_wantpid_with_an_abstract_name_is_a_value_error(reactor: Any) -> None:
    """An abstract name has no file for a lock: ValueError, as the contract says."""
    with pytest.raises(ValueError, match="abstract"):
        reactor.listenUNIX("\0plait-test-lock", _factory(), wantPID=True)


def test_a_regular_file_survives_a_failed_listen(reactor: Any, sockdir: Path) -> None:
    """A regular file at the path is never removed; the listen says why."""
    path = sockdir / "f"
    path.write_bytes(b"precious")
    with pytest.raises(CannotListenError, match="not a socket"):
        reactor.listenUNIX(str(path), _factory())
    with pytest.raises(CannotListenError):
        reactor.listenUNIX(str(path), _factory(), wantPID=True)
    assert path.read_bytes() == b"precious"
    assert not os.path.exists(str(path) + ".lock")


def test_a_directory_is_never_removed(reactor: Any, sockdir: Path) -> None:
    """A directory at the path stays, and the listen fails saying so."""
    path = sockdir / "d"
    path.mkdir()
    with pytest.raises(CannotListenError, match="directory"):
        reactor.listenUNIX(str(path), _factory())
    assert path.is_dir()


def test_a_live_socket_is_never_removed(reactor: Any, sockdir: Path) -> None:
    """A socket another listener uses is left alone; the listen fails."""
    path = str(sockdir / "s")
    other = socket.socket(socket.AF_UNIX)
    other.bind(path)
    other.listen(1)
    try:
        with pytest.raises(CannotListenError, match="listening"):
            reactor.listenUNIX(path, _factory())
        client = socket.socket(socket.AF_UNIX)
        client.connect(path)  # still the other listener's
        client.close()
    finally:
        other.close()


def test_a_path_longer_than_sun_path_names_the_limit(reactor: Any) -> None:
    """A path over the kernel's limit fails with an error naming the limit."""
    path = "/tmp/" + "x" * 120
    with pytest.raises(InvalidAddressError, match="107"):
        reactor.listenUNIX(path, _factory())
    with pytest.raises(InvalidAddressError, match="107"):
        reactor.connectUNIX(path, Factory.forProtocol(Protocol))


def test_bad_mode_and_address_types_are_refused(reactor: Any, sockdir: Path) -> None:
    """A mode that is no mask, or an address that is no path, raises at once."""
    with pytest.raises(ValueError, match="permission"):
        reactor.listenUNIX(str(sockdir / "s"), _factory(), mode=0o17777)
    with pytest.raises(TypeError):
        reactor.listenUNIX(12, _factory())
    with pytest.raises(InvalidAddressError):
        reactor.listenUNIX("", _factory())


def test_abstract_names_listen_without_a_file(reactor: Any) -> None:
    """A leading NUL listens in the abstract namespace; nothing is created."""
    name = f"\0plait-test-{os.getpid()}"
    port = reactor.listenUNIX(name, _factory())
    assert port.getHost() == UNIXAddress(name)
    port.stopListening()
