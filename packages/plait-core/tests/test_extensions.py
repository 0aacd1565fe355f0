"""The capability mechanism: extensions graft methods and interfaces."""

from __future__ import annotations

import logging

import pytest
from zope.interface import Interface
from zope.interface.verify import verifyObject

from plait.core import Reactor, describeReactor
from plait.core._extensions import discoverExtensions
from plait.errors import MissingCapability
from plait.interfaces import IReactorSSL, IReactorTCP, IReactorWin32Events


class IDummy(Interface):
    """A capability made up for these tests."""

    def dummyMethod(x: int) -> int:
        """Return twice x."""


class DummyExtension:
    interfaces = (IDummy,)

    def __init__(self, reactor: Reactor) -> None:
        self.reactor = reactor

    def dummyMethod(self, x: int) -> int:
        return 2 * x


class PartialTLS:
    """Offers nothing, but says TLS needs an extra."""

    interfaces = ()
    missing = {"listenSSL": "plait-tcp[tls]", "connectSSL": "plait-tcp[tls]"}

    def __init__(self, reactor: Reactor) -> None:
        pass


def test_extension_adds_method_and_interface(poller_name: str) -> None:
    """An extension's interface is provided and its methods are callable."""
    r = Reactor(poller=poller_name, extensions=[DummyExtension])
    try:
        assert IDummy.providedBy(r)
        assert verifyObject(IDummy, r)
        assert r.dummyMethod(21) == 42
    finally:
        r.close()


def test_extension_factory_gets_the_reactor(poller_name: str) -> None:
    """The factory is called with the reactor being built."""
    built = []

    def factory(reactor: Reactor) -> DummyExtension:
        ext = DummyExtension(reactor)
        built.append(ext)
        return ext

    r = Reactor(poller=poller_name, extensions=[factory])
    try:
        assert built[0].reactor is r
    finally:
        r.close()


def test_missing_capability_names_the_distribution(reactor: Reactor) -> None:
    """A known capability without extension raises MissingCapability, clearly."""
    with pytest.raises(MissingCapability) as info:
        reactor.listenTCP(0, None)
    assert str(info.value) == (
        "listenTCP() needs the plait-tcp distribution: pip install plait-tcp"
    )
    assert not hasattr(reactor, "connectUNIX")
    assert not IReactorTCP.providedBy(reactor)


def test_missing_capability_is_an_attribute_error(reactor: Reactor) -> None:
    """MissingCapability is an AttributeError, so getattr defaults work."""
    assert getattr(reactor, "spawnProcess", None) is None
    with pytest.raises(AttributeError):
        reactor.listenMulticast  # noqa: B018


def test_extension_missing_map_overrides(poller_name: str) -> None:
    """An extension's 'missing' map names a more precise requirement."""
    r = Reactor(poller=poller_name, extensions=[PartialTLS])
    try:
        with pytest.raises(MissingCapability, match=r"plait-tcp\[tls\]"):
            r.listenSSL  # noqa: B018
        assert not IReactorSSL.providedBy(r)
    finally:
        r.close()


def test_unknown_attribute_is_plain_attribute_error(reactor: Reactor) -> None:
    """A name that is no capability raises a plain AttributeError."""
    with pytest.raises(AttributeError) as info:
        reactor.noSuchThing  # noqa: B018
    assert not isinstance(info.value, MissingCapability)


def test_failing_factory_is_logged_and_skipped(
    poller_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A factory that raises is logged; the other extensions still apply."""

    def broken(reactor: Reactor) -> object:
        raise ImportError("no such module")

    with caplog.at_level(logging.ERROR, logger="plait.core"):
        r = Reactor(poller=poller_name, extensions=[broken, DummyExtension])
    try:
        assert IDummy.providedBy(r)
        assert "could not be built" in caplog.text
    finally:
        r.close()


def test_extension_lacking_a_method_is_skipped(
    poller_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An extension that does not implement its interface is not applied."""

    class Hollow:
        interfaces = (IDummy,)

        def __init__(self, reactor: Reactor) -> None:
            pass

    with caplog.at_level(logging.ERROR, logger="plait.core"):
        r = Reactor(poller=poller_name, extensions=[Hollow])
    try:
        assert not IDummy.providedBy(r)
        assert not hasattr(r, "dummyMethod")
    finally:
        r.close()


def test_extension_may_not_hide_core_methods(poller_name: str) -> None:
    """An extension defining a reactor method (callLater) is refused."""

    class ICore(Interface):
        def callLater(delay: float, f: object) -> None:
            """Clash with the reactor's own."""

    class Clash:
        interfaces = (ICore,)

        def __init__(self, reactor: Reactor) -> None:
            pass

        def callLater(self, delay: float, f: object) -> None:
            raise AssertionError("must not be installed")

    r = Reactor(poller=poller_name, extensions=[Clash])
    try:
        assert not ICore.providedBy(r)
        r.callLater(0, print).cancel()
    finally:
        r.close()


def test_describe_reactor(poller_name: str) -> None:
    """describeReactor lists provided interface names, sorted."""
    r = Reactor(poller=poller_name, extensions=[DummyExtension])
    try:
        names = describeReactor(r)
        assert names == sorted(names)
        for expected in ("IDummy", "IReactorCore", "IReactorFDSet", "IReactorTime"):
            assert expected in names
        assert "IReactorWin32Events" not in names
        assert not IReactorWin32Events.providedBy(r)
    finally:
        r.close()


def test_discovery_happens_once() -> None:
    """Entry points are read once per process and the result is cached."""
    assert discoverExtensions() is discoverExtensions()
