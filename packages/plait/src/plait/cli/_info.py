"""``plait info``: the version, what is installed, what the reactor offers,
and how to add what it lacks."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from typing import Any

from plait import interfaces
from plait.core import availablePollers, describeReactor

__all__ = [
    "DISTRIBUTIONS",
    "REACTOR_CAPABILITIES",
    "describe",
    "installLine",
    "installedDistributions",
    "version",
]

#: Every plait distribution, with its import name, in dependency order.
DISTRIBUTIONS: dict[str, str] = {
    "plait-interfaces": "plait.interfaces",
    "plait-core": "plait.core",
    "plait-tcp": "plait.tcp",
    "plait-unix": "plait.unix",
    "plait-udp": "plait.udp",
    "plait-multicast": "plait.multicast",
    "plait-process": "plait.process",
    "plait-dns": "plait.dns",
    "plait": "plait.cli",
}

#: The distribution that adds each reactor interface a bare reactor lacks.
REACTOR_CAPABILITIES: dict[str, str] = {
    "IReactorTCP": "plait-tcp",
    "IReactorSSL": "plait-tcp[tls]",
    "IReactorUNIX": "plait-unix",
    "IReactorUNIXDatagram": "plait-unix",
    "IReactorUDP": "plait-udp",
    "IReactorMulticast": "plait-multicast",
    "IReactorProcess": "plait-process",
}

#: Interfaces the contract itself marks deprecated.
DEPRECATED = frozenset({"IReactorArbitrary"})


def installLine(requirement: str) -> str:
    """The pip command that installs *requirement*."""
    quoted = f"'{requirement}'" if "[" in requirement else requirement
    return f"pip install {quoted}"


def installedDistributions() -> list[tuple[str, str]]:
    """(name, version) of every installed plait distribution, sorted."""
    found = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name and (name == "plait" or name.startswith("plait-")):
            found[name] = dist.version
    return sorted(found.items())


def version() -> str:
    """The version of the installed plait (the command's distribution)."""
    installed = dict(installedDistributions())
    return installed.get("plait") or installed.get("plait-core") or "unknown"


def _reactorInterfaces() -> list[str]:
    return sorted(n for n in interfaces.__all__ if n.startswith("IReactor"))


def describe(reactor: Any, say: Callable[[str], None]) -> None:
    """Print the report of ``plait info``."""
    say(f"plait {version()}")
    installed = dict(installedDistributions())
    say("distributions:")
    for name in DISTRIBUTIONS:
        if name in installed:
            say(f"  {name} {installed[name]}")
        else:
            say(f"  {name}: not installed ({installLine(name)})")
    others = sorted(set(installed) - set(DISTRIBUTIONS))
    for name in others:
        say(f"  {name} {installed[name]}")
    say(f"poller: {reactor.pollerName} (available: {', '.join(availablePollers())})")
    provided = set(describeReactor(reactor))
    say("the reactor provides:")
    for name in sorted(provided):
        say(f"  {name} (deprecated)" if name in DEPRECATED else f"  {name}")
    missing = [n for n in _reactorInterfaces() if n not in provided]
    if missing:
        say("the reactor lacks:")
        for name in missing:
            dist = REACTOR_CAPABILITIES.get(name)
            how = installLine(dist) if dist else "not offered on this platform"
            say(f"  {name}: {how}")
