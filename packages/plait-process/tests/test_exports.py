"""plait.process's public face and its registration with the reactor."""

from __future__ import annotations

import importlib

import pytest

import plait.process
from plait.core import Reactor
from plait.errors import MissingCapability
from plait.interfaces import IReactorProcess


def test_all_names_exported():
    """Every name in __all__ exists, and no public name is left out."""
    for name in plait.process.__all__:
        assert hasattr(plait.process, name)
    public = {n for n in vars(plait.process) if not n.startswith("_")}
    modules = {n for n in public if importlib.util.find_spec(f"plait.process.{n}")}
    assert public - modules - {"annotations"} == set(plait.process.__all__)


def test_installed_extension_found():
    """An installed plait-process gives a default reactor spawnProcess."""
    reactor = Reactor()
    try:
        assert IReactorProcess.providedBy(reactor)
    finally:
        reactor.close()


def test_without_extension_names_distribution():
    """A reactor without the extension names plait-process in its error."""
    reactor = Reactor(extensions=[])
    try:
        with pytest.raises(MissingCapability, match="plait-process"):
            reactor.spawnProcess(None, "/bin/true")
    finally:
        reactor.close()


def test_unknown_watcher_refused():
    """Asking for an unknown child watcher raises ValueError at once."""
    with pytest.raises(ValueError, match="magic"):
        plait.process.ProcessExtension.using("magic")
