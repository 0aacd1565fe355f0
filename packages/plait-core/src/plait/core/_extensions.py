"""How capability distributions add methods and interfaces to a reactor.

plait-core knows nothing of TCP, UNIX sockets or processes.  A distribution
that offers such a capability registers an entry point in the group
``plait.reactor`` naming a factory; the reactor calls ``factory(reactor)``
when it is built and receives an extension object with

- ``interfaces``: the interfaces it makes the reactor provide; the reactor
  gets one instance attribute per method of those interfaces (the
  extension's bound method, so calls cost nothing extra) and declares the
  interfaces with ``alsoProvides``;
- ``missing`` (optional): method name -> requirement, for methods it
  cannot offer in this environment (e.g. TLS without its extra).

A method of a known capability that no extension supplies raises
:class:`plait.errors.MissingCapability` naming what to install.

Entry points are read once per process.  A factory that fails to import or
to build its extension is logged and skipped.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import entry_points
from typing import Any

from zope.interface import Interface, alsoProvides, providedBy
from zope.interface.interface import InterfaceClass, Method

from plait.interfaces import (
    IReactorMulticast,
    IReactorProcess,
    IReactorSSL,
    IReactorTCP,
    IReactorUDP,
    IReactorUNIX,
    IReactorUNIXDatagram,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "KNOWN_CAPABILITIES",
    "ExtensionFactory",
    "applyExtensions",
    "describeReactor",
    "discoverExtensions",
    "distributionFor",
]

log = logging.getLogger("plait.core")

ENTRY_POINT_GROUP = "plait.reactor"

#: A callable building an extension for the reactor it is given.
ExtensionFactory = Callable[[Any], object]

#: Which distribution brings which reactor interface.
KNOWN_CAPABILITIES: Mapping[InterfaceClass, str] = {
    IReactorTCP: "plait-tcp",
    IReactorSSL: "plait-tcp[tls]",
    IReactorUNIX: "plait-unix",
    IReactorUNIXDatagram: "plait-unix",
    IReactorUDP: "plait-udp",
    IReactorMulticast: "plait-multicast",
    IReactorProcess: "plait-process",
}


def methodNames(iface: InterfaceClass) -> list[str]:
    """The method names of *iface*, inherited ones included."""
    return [n for n in iface.names(all=True) if isinstance(iface[n], Method)]


_METHOD_DISTRIBUTION: dict[str, str] = {
    name: dist
    for iface, dist in KNOWN_CAPABILITIES.items()
    for name in methodNames(iface)
}


def distributionFor(method: str) -> str | None:
    """The distribution a known capability method comes from, if any."""
    return _METHOD_DISTRIBUTION.get(method)


@functools.cache
def discoverExtensions() -> tuple[ExtensionFactory, ...]:
    """Load the factories registered under ``plait.reactor``, once per process."""
    factories: list[ExtensionFactory] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            factory = ep.load()
        except Exception:
            log.exception(
                "Reactor extension %r (%s) failed to load; skipped", ep.name, ep.value
            )
            continue
        factories.append(factory)
    return tuple(factories)


def _build(
    reactor: object, factory: ExtensionFactory
) -> tuple[dict[str, Any], list[InterfaceClass], dict[str, str]]:
    extension = factory(reactor)
    interfaces = list(getattr(extension, "interfaces"))  # noqa: B009
    missing = {str(k): str(v) for k, v in getattr(extension, "missing", {}).items()}
    methods: dict[str, Any] = {}
    provided: list[InterfaceClass] = []
    for iface in interfaces:
        if not isinstance(iface, InterfaceClass):
            raise TypeError(f"{iface!r} is not an interface")
        names = methodNames(iface)
        for name in names:
            if name in missing:
                continue
            if hasattr(type(reactor), name):
                raise ValueError(f"method {name!r} would hide the reactor's own")
            methods[name] = getattr(extension, name)
        if not any(name in missing for name in names):
            provided.append(iface)
    return methods, provided, missing


def applyExtensions(
    reactor: object, factories: Iterable[ExtensionFactory]
) -> dict[str, str]:
    """Build each extension and graft it onto *reactor*.

    :returns: the ``missing`` maps of all extensions, merged: methods that
        must raise MissingCapability with the given requirement.
    """
    missing: dict[str, str] = {}
    for factory in factories:
        try:
            methods, provided, extMissing = _build(reactor, factory)
        except Exception:
            log.exception("Reactor extension %r could not be built; skipped", factory)
            continue
        for name, method in methods.items():
            setattr(reactor, name, method)
        for iface in provided:
            alsoProvides(reactor, iface)
        missing.update(extMissing)
    return missing


def describeReactor(reactor: object) -> list[str]:
    """The names of the interfaces *reactor* provides, sorted."""
    names = {i.__name__ for i in providedBy(reactor).flattened() if i is not Interface}
    return sorted(names)
