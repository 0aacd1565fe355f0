"""The public face of plait.interfaces, plait.errors and plait.address."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import pytest
from zope.interface.interface import InterfaceClass

import plait.address
import plait.errors
import plait.interfaces

PUBLIC_MODULES = [plait.interfaces, plait.errors, plait.address]


def _defined_interfaces() -> dict[str, InterfaceClass]:
    """Collect every interface defined in the private modules of the package."""
    found: dict[str, InterfaceClass] = {}
    for info in pkgutil.iter_modules(plait.interfaces.__path__):
        module = importlib.import_module(f"plait.interfaces.{info.name}")
        found.update(
            (name, obj)
            for name, obj in vars(module).items()
            if isinstance(obj, InterfaceClass) and not name.startswith("_")
        )
    found.pop("Interface", None)
    return found


def test_all_matches_defined_interfaces() -> None:
    """__all__ lists every defined interface except the deprecated one."""
    defined = _defined_interfaces()
    assert len(defined) == 50
    assert set(plait.interfaces.__all__) == set(defined) - {"IReactorArbitrary"}
    assert len(plait.interfaces.__all__) == len(set(plait.interfaces.__all__))


def test_all_names_resolve_to_the_defined_objects() -> None:
    """Each exported name is importable and is the very object its module defines."""
    defined = _defined_interfaces()
    for name in plait.interfaces.__all__:
        assert getattr(plait.interfaces, name) is defined[name]


@pytest.mark.parametrize("module", PUBLIC_MODULES, ids=lambda m: m.__name__)
def test_every_name_in_all_is_importable(module: object) -> None:
    """``from <module> import <name>`` works for every name in __all__."""
    name_of_module = getattr(module, "__name__", "")
    for name in getattr(module, "__all__", ()):
        imported = importlib.import_module(name_of_module)
        assert hasattr(imported, name), name


def test_interfaces_report_the_public_module() -> None:
    """Interfaces identify themselves as plait.interfaces.X, not a private module."""
    for name, iface in _defined_interfaces().items():
        assert iface.__module__ == "plait.interfaces"
        assert iface.__identifier__ == f"plait.interfaces.{name}"


def test_address_exports() -> None:
    """plait.address exports exactly its four address classes."""
    assert sorted(plait.address.__all__) == [
        "HostnameAddress",
        "IPv4Address",
        "IPv6Address",
        "UNIXAddress",
    ]


def test_layer_imports_nothing_else_from_plait() -> None:
    """Importing the three public modules loads no other plait package."""
    code = (
        "import sys, plait.interfaces, plait.errors, plait.address; "
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('plait'))))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    loaded = set(completed.stdout.split())
    allowed = {"plait", "plait.interfaces", "plait.errors", "plait.address"}
    assert {m for m in loaded if not m.startswith("plait.interfaces.")} == allowed


def test_no_plait_package_init() -> None:
    """plait stays a namespace package: no plait/__init__.py is shipped."""
    import plait

    assert getattr(plait, "__file__", None) is None
