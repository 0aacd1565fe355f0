"""plait.interfaces declares exactly what the contract lists.

The expected names and signatures come from ``contract_signatures.txt``,
generated from the contract, so these tests run wherever the tests
directory is copied.  When the contract itself can be found (through
``$PLAIT_CONTRACT`` or a ``shared/contract`` directory above this file) the
data file is also checked against it.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import pytest
from zope.interface import Interface
from zope.interface.interface import Attribute, InterfaceClass, Method

import plait.interfaces

HERE = Path(__file__).resolve().parent
DATA_FILE = HERE / "contract_signatures.txt"


@dataclass
class MethodSpec:
    """The parameters of one contract method, as zope reports them."""

    positional: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    optional: dict[str, Any] = field(default_factory=dict)
    varargs: str | None = None
    kwargs: str | None = None


@dataclass
class InterfaceSpec:
    """One interface of the data file."""

    name: str
    bases: tuple[str, ...]
    attributes: list[str] = field(default_factory=list)
    methods: dict[str, MethodSpec] = field(default_factory=dict)


def _method_spec(params: list[str]) -> MethodSpec:
    """Turn the data file's parameter lines into a :class:`MethodSpec`."""
    tree = ast.parse(f"def f({', '.join(params)}): pass")
    func = tree.body[0]
    assert isinstance(func, ast.FunctionDef)
    args = func.args
    names = tuple(a.arg for a in args.args)
    defaults = [ast.literal_eval(d) for d in args.defaults]
    n_required = len(names) - len(defaults)
    return MethodSpec(
        positional=names,
        required=names[:n_required],
        optional=dict(zip(names[n_required:], defaults, strict=True)),
        varargs=args.vararg.arg if args.vararg else None,
        kwargs=args.kwarg.arg if args.kwarg else None,
    )


def load_data_file(path: Path = DATA_FILE) -> list[InterfaceSpec]:
    """Read the generated data file into interface specs, in contract order."""
    specs: list[InterfaceSpec] = []
    pending: tuple[str, list[str]] | None = None

    def flush() -> None:
        if pending is not None:
            specs[-1].methods[pending[0]] = _method_spec(pending[1])

    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        kind, _, rest = raw.strip().partition(" ")
        if kind == "interface":
            flush()
            pending = None
            match = re.fullmatch(r"(\w+)\((.*)\)", rest)
            assert match is not None, raw
            bases = tuple(b.strip() for b in match.group(2).split(","))
            specs.append(InterfaceSpec(match.group(1), bases))
        elif kind == "attribute":
            specs[-1].attributes.append(rest)
        elif kind == "method":
            flush()
            pending = (rest, [])
        elif kind == "param":
            assert pending is not None, raw
            pending[1].append(rest)
        else:
            raise AssertionError(f"unknown line in data file: {raw!r}")
    flush()
    return specs


def _declared(name: str) -> InterfaceClass:
    """Fetch the interface *name* from plait.interfaces, without warnings."""
    if name == "IReactorArbitrary":
        return plait.interfaces._IReactorArbitrary
    iface = getattr(plait.interfaces, name)
    assert isinstance(iface, InterfaceClass)
    return iface


@functools.cache
def _load_generator() -> ModuleType:
    """Import the generator script that sits next to this file (once)."""
    name = "_plait_contract_generator"
    spec = importlib.util.spec_from_file_location(
        name, HERE / "generate_contract_signatures.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses resolves string annotations through sys.modules.
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


SPECS = load_data_file()
SPEC_IDS = [s.name for s in SPECS]
METHODS = [(s.name, m, ms) for s in SPECS for m, ms in s.methods.items()]
METHOD_IDS = [f"{i}.{m}" for i, m, _ in METHODS]


def test_data_file_lists_fifty_interfaces() -> None:
    """The data file holds the contract's 50 interfaces, 150 methods, 4 attributes."""
    assert len(SPECS) == 50
    assert len({s.name for s in SPECS}) == 50
    assert len(METHODS) == 150
    assert sum(len(s.attributes) for s in SPECS) == 4


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_interface_is_declared_with_contract_bases(spec: InterfaceSpec) -> None:
    """Each contract interface exists and extends exactly the contract's bases."""
    iface = _declared(spec.name)
    assert iface.__name__ == spec.name
    expected = tuple(
        Interface if b == "Interface" else _declared(b) for b in spec.bases
    )
    assert iface.__bases__ == expected


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_interface_declares_exactly_contract_names(spec: InterfaceSpec) -> None:
    """Each interface's own names are precisely its contract methods and attributes."""
    iface = _declared(spec.name)
    assert set(iface.names()) == set(spec.methods) | set(spec.attributes)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_contract_attributes_are_zope_attributes(spec: InterfaceSpec) -> None:
    """Every contract Attribute is declared as a plain zope Attribute, not a method."""
    iface = _declared(spec.name)
    for name in spec.attributes:
        description = iface.getDescriptionFor(name)
        assert isinstance(description, Attribute)
        assert not isinstance(description, Method)
        assert cast(Any, description).getDoc()


@pytest.mark.parametrize(("iface_name", "method", "expected"), METHODS, ids=METHOD_IDS)
def test_method_signature_matches_contract(
    iface_name: str, method: str, expected: MethodSpec
) -> None:
    """Each method has the contract's parameter names, defaults, *args and **kw."""
    description: Any = _declared(iface_name).getDescriptionFor(method)
    assert isinstance(description, Method)
    info = cast(Any, description).getSignatureInfo()
    assert tuple(info["positional"]) == expected.positional
    assert tuple(info["required"]) == expected.required
    assert info["optional"] == expected.optional
    assert info["varargs"] == expected.varargs
    assert info["kwargs"] == expected.kwargs


def test_default_values_have_contract_types() -> None:
    """Defaults are equal and of the same type (so 0o666 stays an int, '' a str)."""
    for iface_name, method, expected in METHODS:
        description: Any = _declared(iface_name).getDescriptionFor(method)
        info = description.getSignatureInfo()
        for name, default in expected.optional.items():
            assert type(info["optional"][name]) is type(default), (method, name)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_interface_and_methods_are_documented(spec: InterfaceSpec) -> None:
    """Every interface and every method declaration carries a docstring."""
    iface = _declared(spec.name)
    assert (iface.__doc__ or "").strip()
    for name in spec.methods:
        description: Any = iface.getDescriptionFor(name)
        assert description.getDoc().strip(), name


def test_data_file_is_current_with_contract() -> None:
    """The data file equals what the generator makes from the contract, if found."""
    generator = _load_generator()
    contract = generator.find_contract(HERE)
    if contract is None:
        pytest.skip("contract not found; set PLAIT_CONTRACT to check the data file")
    specs = generator.parse_contract(contract.read_text(encoding="utf-8"))
    assert generator.render(specs) == DATA_FILE.read_text(encoding="utf-8")


def test_contract_locator_honours_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PLAIT_CONTRACT wins over the directory walk, and a missing file gives None."""
    generator = _load_generator()
    target = tmp_path / "contract.txt"
    target.write_text("class IAddress(Interface):\n", encoding="utf-8")
    monkeypatch.setenv("PLAIT_CONTRACT", str(target))
    assert generator.find_contract(HERE) == target
    monkeypatch.setenv("PLAIT_CONTRACT", str(tmp_path / "absent.txt"))
    assert generator.find_contract(HERE) is None


def test_contract_locator_walks_up_to_shared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without PLAIT_CONTRACT the contract is found in a shared/ beside an ancestor."""
    generator = _load_generator()
    monkeypatch.delenv("PLAIT_CONTRACT", raising=False)
    contract = tmp_path / "shared" / "contract" / "interfaces-contract.txt"
    contract.parent.mkdir(parents=True)
    contract.write_text("class IAddress(Interface):\n", encoding="utf-8")
    start = tmp_path / "main" / "packages" / "plait-interfaces" / "tests"
    start.mkdir(parents=True)
    assert generator.find_contract(start) == contract
