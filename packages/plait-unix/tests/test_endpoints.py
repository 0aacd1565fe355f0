"""UNIX endpoints and ``unix:`` description strings."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from plait.core import (
    Factory,
    Protocol,
    clientFromString,
    connectProtocol,
    serverFromString,
)
from plait.errors import BadFileError, CannotListenError
from plait.interfaces import IStreamClientEndpoint, IStreamServerEndpoint
from plait.unix import UNIXClientEndpoint, UNIXServerEndpoint
from plait.unix._parsers import UNIXParser


def _result(reactor: Any, spin: Any, d: Any) -> Any:
    box: list[Any] = []
    d.addBoth(box.append)
    spin(reactor, lambda: box)
    return box[0]


def test_server_string_with_every_keyword(reactor: Any, sockdir: Path) -> None:
    """unix:path=...:mode=...:lockfile=1:backlog=N builds a matching endpoint."""
    path = str(sockdir / "s")
    endpoint = serverFromString(
        reactor, f"unix:path={path}:mode=600:lockfile=1:backlog=7"
    )
    assert IStreamServerEndpoint.providedBy(endpoint)
    assert isinstance(endpoint, UNIXServerEndpoint)
    assert (endpoint._address, endpoint._mode, endpoint._wantPID) == (path, 0o600, True)
    assert endpoint._backlog == 7


def test_server_string_listens(reactor: Any, spin: Any, sockdir: Path) -> None:
    """A listening server endpoint from a string gives the mode and lock asked."""
    path = str(sockdir / "s")
    endpoint = serverFromString(reactor, f"unix:{path}:mode=0o640:lockfile=1")
    port = _result(reactor, spin, endpoint.listen(Factory.forProtocol(Protocol)))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert os.path.exists(path + ".lock")
    port.stopListening()


def test_client_string_and_connect(reactor: Any, spin: Any, sockdir: Path) -> None:
    """unix:path=...:timeout=5:checkPID=1 connects to a listener with a lock."""
    path = str(sockdir / "s")
    port = reactor.listenUNIX(path, Factory.forProtocol(Protocol), wantPID=True)
    endpoint = clientFromString(reactor, f"unix:path={path}:timeout=5:checkPID=1")
    assert IStreamClientEndpoint.providedBy(endpoint)
    assert isinstance(endpoint, UNIXClientEndpoint)
    assert (endpoint._timeout, endpoint._checkPID) == (5.0, True)
    protocol = _result(reactor, spin, connectProtocol(endpoint, Protocol()))
    assert protocol.transport is not None
    protocol.transport.loseConnection()
    port.stopListening()


def test_at_sign_names_an_abstract_socket(reactor: Any, spin: Any) -> None:
    """unix:@name listens and connects in the abstract namespace."""
    name = f"plait-endpoint-{os.getpid()}"
    server = serverFromString(reactor, f"unix:@{name}")
    port = _result(reactor, spin, server.listen(Factory.forProtocol(Protocol)))
    assert port.getHost().name == "\0" + name
    client = clientFromString(reactor, f"unix:@{name}")
    protocol = _result(reactor, spin, connectProtocol(client, Protocol()))
    protocol.transport.loseConnection()
    port.stopListening()


@pytest.mark.parametrize(
    ("description", "error", "words"),
    [
        ("unix:path=/tmp/x:colour=blue", TypeError, "colour"),
        ("unix:path=/tmp/x:mode=rw", ValueError, "octal"),
        ("unix:path=/tmp/x:lockfile=maybe", ValueError, "lockfile"),
        ("unix:path=/tmp/x:backlog=many", ValueError, "backlog"),
        ("unix:", TypeError, "path"),
    ],
)
def test_bad_server_strings_say_what_is_wrong(
    reactor: Any, description: str, error: type[Exception], words: str
) -> None:
    """A bad keyword or value in a unix: server string raises, naming it."""
    with pytest.raises(error, match=words):
        serverFromString(reactor, description)


@pytest.mark.parametrize(
    ("description", "error", "words"),
    [
        ("unix:path=/tmp/x:mode=600", TypeError, "mode"),
        ("unix:path=/tmp/x:timeout=soon", ValueError, "timeout"),
        ("unix:path=/tmp/x:checkPID=2", ValueError, "checkPID"),
    ],
)
def test_bad_client_strings_say_what_is_wrong(
    reactor: Any, description: str, error: type[Exception], words: str
) -> None:
    """A bad keyword or value in a unix: client string raises, naming it."""
    with pytest.raises(error, match=words):
        clientFromString(reactor, description)


def test_endpoints_report_failures_through_their_deferreds(
    reactor: Any, spin: Any, sockdir: Path
) -> None:
    """A refused listen and a failed connect fail the endpoints' Deferreds."""
    blocker = sockdir / "f"
    blocker.write_text("not a socket")
    listening = UNIXServerEndpoint(reactor, str(blocker)).listen(
        Factory.forProtocol(Protocol)
    )
    assert _result(reactor, spin, listening).check(CannotListenError)
    connecting = UNIXClientEndpoint(reactor, str(sockdir / "none")).connect(
        Factory.forProtocol(Protocol)
    )
    assert _result(reactor, spin, connecting).check(BadFileError)


def test_parser_prefix() -> None:
    """The parser answers to the unix: prefix."""
    assert UNIXParser.prefix == "unix"


def test_public_names() -> None:
    """plait.unix exports what its __all__ lists, and the datagram protocol
    classes are plait-core's."""
    import plait.core
    import plait.unix

    for name in plait.unix.__all__:
        assert hasattr(plait.unix, name)
    assert plait.unix.DatagramProtocol is plait.core.DatagramProtocol
    assert plait.unix.ConnectedDatagramProtocol is plait.core.ConnectedDatagramProtocol
