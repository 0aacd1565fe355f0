"""Endpoint description strings: parsing, quoting and parser lookup."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Any

import pytest
from zope.interface import implementer

from plait.core import (
    _endpoints,
    clientFromString,
    quoteStringArgument,
    serverFromString,
)
from plait.core._endpoints import _parse
from plait.interfaces import (
    IStreamClientEndpointStringParser,
    IStreamServerEndpointStringParser,
)

REACTOR = object()


@implementer(IStreamServerEndpointStringParser, IStreamClientEndpointStringParser)
class EchoParser:
    """Returns what it was called with, so tests can look at it."""

    def __init__(self, prefix: str = "echo") -> None:
        self.prefix = prefix

    def parseStreamServer(self, reactor: Any, *args: Any, **kwargs: Any) -> Any:
        return ("server", reactor, args, kwargs)

    def parseStreamClient(self, reactor: Any, *args: Any, **kwargs: Any) -> Any:
        return ("client", reactor, args, kwargs)


@implementer(IStreamServerEndpointStringParser)
class ServerOnlyParser:
    """Parses server descriptions only."""

    prefix = "srv"

    def parseStreamServer(self, reactor: Any, *args: Any, **kwargs: Any) -> Any:
        return ("server-only", args, kwargs)


def test_server_parser_gets_reactor_args_and_kwargs() -> None:
    """serverFromString calls parseStreamServer(reactor, *args, **kwargs)."""
    endpoint = serverFromString(
        REACTOR, "echo:80:interface=127.0.0.1:backlog=5", parsers=[EchoParser()]
    )
    assert endpoint == (
        "server",
        REACTOR,
        ("80",),
        {"interface": "127.0.0.1", "backlog": "5"},
    )


def test_client_parser_gets_reactor_args_and_kwargs() -> None:
    """clientFromString calls parseStreamClient the same way."""
    endpoint = clientFromString(
        REACTOR, "echo:example.com:443:timeout=5", parsers=[EchoParser()]
    )
    assert endpoint == ("client", REACTOR, ("example.com", "443"), {"timeout": "5"})


@pytest.mark.parametrize(
    ("description", "args", "kwargs"),
    [
        ("x:", (), {}),
        ("x:a", ("a",), {}),
        ("x:a::b", ("a", "", "b"), {}),
        ("x:k=v", (), {"k": "v"}),
        ("x:k=", (), {"k": ""}),
        ("x:k=a=b", (), {"k": "a=b"}),
        ("x:a:k=v:b", ("a", "b"), {"k": "v"}),
        (r"x:C\:\\path", ("C:\\path",), {}),
        (r"x:a\=b", ("a=b",), {}),
        (r"x:k\=ey=v\:al", (), {"k=ey": "v:al"}),
        (r"x:\x", ("x",), {}),
    ],
)
def test_parse_rules(
    description: str, args: tuple[str, ...], kwargs: dict[str, str]
) -> None:
    """Colons split fields, the first = makes a keyword, backslash escapes."""
    parsed = _parse(description)
    assert parsed.prefix == "x"
    assert parsed.args == args
    assert parsed.kwargs == kwargs


@pytest.mark.parametrize("description", ["", "tcp", "80", ":80", "k=v:80"])
def test_description_without_prefix_is_value_error(description: str) -> None:
    """A description with no 'prefix:' part is refused."""
    with pytest.raises(ValueError, match="no prefix"):
        serverFromString(REACTOR, description, parsers=[EchoParser()])


def test_trailing_backslash_is_value_error() -> None:
    """A lone backslash at the end is refused, not silently dropped."""
    with pytest.raises(ValueError, match="backslash"):
        _parse("x:abc\\")


def test_repeated_or_empty_key_is_value_error() -> None:
    """Setting a key twice, or an empty key, is refused."""
    with pytest.raises(ValueError, match="twice"):
        _parse("x:k=1:k=2")
    with pytest.raises(ValueError, match="empty name"):
        _parse("x:=1")


@pytest.mark.parametrize("text", ["plain", "a:b", "k=v", "back\\slash", ":=\\", ""])
def test_quote_string_argument_round_trips(text: str) -> None:
    """A quoted argument reads back as one positional field with the same text."""
    parsed = _parse("x:" + quoteStringArgument(text) + ":end")
    assert parsed.args == (text, "end")
    assert parsed.kwargs == {}


def test_quote_string_argument_escapes() -> None:
    """Backslash, colon and equals sign each get a backslash."""
    assert quoteStringArgument("a\\b:c=d") == "a\\\\b\\:c\\=d"


def test_unknown_prefix_lists_known_prefixes_and_distributions() -> None:
    """An unknown prefix names the known ones and where the others come from."""
    with pytest.raises(ValueError) as raised:
        serverFromString(REACTOR, "unix:/tmp/sock", parsers=[EchoParser("tcp")])
    message = str(raised.value)
    assert "'unix'" in message
    assert "known prefixes: tcp" in message
    assert "unix (plait-unix)" in message
    assert "tls (plait-tcp)" in message
    assert "tcp (plait-tcp)" not in message
    assert "pip install plait-unix" in message


def test_client_only_lookup_ignores_server_only_parsers() -> None:
    """A parser without parseStreamClient is not used for client strings."""
    parsers = [ServerOnlyParser()]
    assert serverFromString(REACTOR, "srv:1", parsers=parsers) == (
        "server-only",
        ("1",),
        {},
    )
    with pytest.raises(ValueError, match="no client endpoint parser"):
        clientFromString(REACTOR, "srv:1", parsers=parsers)


def test_parser_value_error_propagates() -> None:
    """A parser's own ValueError for bad arguments reaches the caller."""

    class Picky(EchoParser):
        def parseStreamServer(self, reactor: Any, *args: Any, **kwargs: Any) -> Any:
            raise ValueError("port must be a number")

    with pytest.raises(ValueError, match="must be a number"):
        serverFromString(REACTOR, "echo:http", parsers=[Picky()])


def fake_entry_points(*eps: EntryPoint) -> Any:
    def select(group: str) -> tuple[EntryPoint, ...]:
        assert group == "plait.endpoints"
        return eps

    return select


def test_entry_points_are_loaded_once_and_classes_instantiated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Installed parsers come from entry points; a class is instantiated once."""
    loads: list[int] = []

    class Counted(EchoParser):
        def __init__(self) -> None:
            loads.append(1)
            super().__init__("counted")

    monkeypatch.setattr(
        EntryPoint, "load", lambda self: Counted if self.name == "counted" else 1 / 0
    )
    monkeypatch.setattr(
        _endpoints,
        "entry_points",
        fake_entry_points(
            EntryPoint("counted", "somewhere:Counted", "plait.endpoints"),
            EntryPoint("broken", "nowhere:Nothing", "plait.endpoints"),
        ),
    )
    _endpoints._installedParsers.cache_clear()
    try:
        first = serverFromString(REACTOR, "counted:1")
        second = clientFromString(REACTOR, "counted:2")
        assert first[2] == ("1",) and second[2] == ("2",)
        assert loads == [1]
        with pytest.raises(ValueError, match="'broken' failed to load"):
            serverFromString(REACTOR, "broken:1")
    finally:
        _endpoints._installedParsers.cache_clear()


def test_explicit_parsers_do_not_touch_installed_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """parsers= bypasses entry-point discovery entirely."""

    def no_discovery(group: str) -> Any:
        raise AssertionError("entry points were read")

    monkeypatch.setattr(_endpoints, "entry_points", no_discovery)
    _endpoints._installedParsers.cache_clear()
    try:
        assert serverFromString(REACTOR, "echo:", parsers=[EchoParser()])[2] == ()
    finally:
        _endpoints._installedParsers.cache_clear()
