"""What the nox sessions know about the workspace: its distributions, their
metadata and wheels, and the interpreters on this machine.

Everything is read from the files under ``packages/`` (the distributions
of plait) and ``examples/`` (downstream code that depends on a few of them,
versioned, checked and built with them but not part of the
meta-distribution); nothing here names a distribution, so a new one is
picked up without an edit.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomllib

SIBLING_PREFIX = "plait"
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


def normalize(name: str) -> str:
    """The PEP 503 form of a project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def split_requirement(req: str) -> tuple[str, str, str]:
    """(name, extras with brackets, the rest) of a PEP 508 requirement string."""
    match = _REQ_NAME.match(req)
    if match is None:
        raise ValueError(f"cannot read requirement {req!r}")
    return match.group(1), match.group(2) or "", match.group(3).strip()


def is_sibling(req: str) -> bool:
    name = normalize(split_requirement(req)[0])
    return name == SIBLING_PREFIX or name.startswith(SIBLING_PREFIX + "-")


@dataclass(frozen=True, slots=True)
class Distribution:
    """One directory under packages/ (or examples/) and what its pyproject.toml
    declares."""

    name: str
    path: Path
    version: str
    dependencies: tuple[str, ...]
    extras: dict[str, tuple[str, ...]]
    test_requires: tuple[str, ...]
    test_extras: tuple[str, ...]

    @property
    def modules(self) -> list[str]:
        """Import names this distribution ships: the sub-packages and
        modules below ``plait``, or, for a distribution outside the
        namespace (an example), its own top-level packages."""
        src = self.path / "src" / "plait"
        if not src.is_dir():
            top = self.path / "src"
            return [
                entry.name
                for entry in sorted(top.iterdir() if top.is_dir() else [])
                if entry.is_dir() and (entry / "__init__.py").exists()
            ]
        names = []
        for entry in sorted(src.iterdir()) if src.is_dir() else []:
            if entry.is_dir() and (entry / "__init__.py").exists():
                names.append(f"plait.{entry.name}")
            elif entry.suffix == ".py" and entry.name != "__init__.py":
                names.append(f"plait.{entry.stem}")
        return names

    def mypy_targets(self) -> list[str]:
        targets: list[str] = []
        src = self.path / "src" / "plait"
        for module in self.modules:
            if "." not in module:
                targets += ["-p", module]
                continue
            leaf = module.split(".", 1)[1]
            flag = "-p" if (src / leaf).is_dir() else "-m"
            targets += [flag, module]
        return targets

    def requirement(self, extras: Iterable[str] = ()) -> str:
        chosen = ",".join(extras)
        return (
            f"{self.name}[{chosen}]=={self.version}"
            if chosen
            else (f"{self.name}=={self.version}")
        )

    def sibling_names(self, *, with_extras: bool = True) -> set[str]:
        reqs = list(self.dependencies)
        if with_extras:
            for group in self.extras.values():
                reqs += group
        return {normalize(split_requirement(r)[0]) for r in reqs if is_sibling(r)}

    def third_party(self, *, with_extras: bool = True) -> list[str]:
        reqs = list(self.dependencies)
        if with_extras:
            for group in self.extras.values():
                reqs += group
        return [r for r in reqs if not is_sibling(r)]


def _read_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        return tomllib.load(f)


def distributions(root: Path, folder: str = "packages") -> list[Distribution]:
    """Every distribution under ``root/<folder>``, in a stable order."""
    found = []
    for pyproject in sorted((root / folder).glob("*/pyproject.toml")):
        data = _read_toml(pyproject)
        project = data["project"]
        groups = data.get("dependency-groups", {})
        tool = data.get("tool", {}).get("plait", {})
        found.append(
            Distribution(
                name=project["name"],
                path=pyproject.parent,
                version=project["version"],
                dependencies=tuple(project.get("dependencies", ())),
                extras={
                    k: tuple(v)
                    for k, v in project.get("optional-dependencies", {}).items()
                },
                test_requires=tuple(groups.get("test", ())),
                test_extras=tuple(tool.get("test-extras", ())),
            )
        )
    return found


def examples(root: Path) -> list[Distribution]:
    """The distributions under ``root/examples``: downstream code released
    with plait's version, depending on a few plait distributions only."""
    return distributions(root, "examples")


def every_distribution(root: Path) -> list[Distribution]:
    """The distributions under packages/ and then those under examples/."""
    return distributions(root) + examples(root)


def project_files(root: Path) -> list[Path]:
    """Every distribution's pyproject.toml: packages/ first, then examples/."""
    return [d.path / "pyproject.toml" for d in every_distribution(root)]


def by_name(dists: Iterable[Distribution], name: str) -> Distribution:
    for dist in dists:
        if dist.name == name:
            return dist
    raise KeyError(f"no distribution named {name!r} under packages/")


def third_party_requirements(dists: Iterable[Distribution]) -> list[str]:
    """Every non-sibling requirement of every distribution, extras included."""
    seen: dict[str, str] = {}
    for dist in dists:
        for req in dist.third_party():
            seen.setdefault(normalize(split_requirement(req)[0]), req)
    return sorted(seen.values())


def integration_requires(root: Path) -> list[str]:
    groups = _read_toml(root / "pyproject.toml").get("dependency-groups", {})
    return list(groups.get("integration", ()))


def contract_path(root: Path) -> Path | None:
    """The contract text, when the workspace sits beside a copy of it."""
    for base in (root, *root.parents):
        candidate = base / "shared" / "contract" / "interfaces-contract.txt"
        if candidate.exists():
            return candidate
    return None


# -- versions


def version_problems(dists: list[Distribution]) -> list[str]:
    """What breaks the rule: one version, and siblings pinned exactly to it."""
    problems = []
    versions = {d.version for d in dists}
    if len(versions) != 1:
        listing = ", ".join(f"{d.name}={d.version}" for d in dists)
        problems.append(f"distributions disagree on the version: {listing}")
    names = {normalize(d.name) for d in dists}
    for dist in dists:
        reqs = list(dist.dependencies)
        for group in dist.extras.values():
            reqs += group
        for req in reqs:
            if not is_sibling(req):
                continue
            name, _, rest = split_requirement(req)
            if normalize(name) not in names:
                problems.append(f"{dist.name}: depends on unknown sibling {name!r}")
            if rest != f"=={dist.version}":
                problems.append(
                    f"{dist.name}: sibling {req!r} must be pinned =={dist.version}"
                )
    return problems


# -- building and checking wheels


def uv_executable() -> str:
    beside = Path(sys.executable).with_name("uv")
    found = shutil.which("uv") or (str(beside) if beside.exists() else None)
    if found is None:
        raise RuntimeError("uv is needed to build: pip install uv")
    return found


def source_date_epoch(root: Path) -> str:
    """The last commit's time, so that a build of one commit is reproducible."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "log", "-1", "--format=%ct"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        out = ""
    return out or "315532800"


def build_all(
    dists: Iterable[Distribution],
    out: Path,
    constraints: str,
    *,
    wheel_only: bool,
    run: Callable[..., Any],
) -> None:
    """Build each distribution into ``out`` with uv (isolated, constrained)."""
    dists = list(dists)
    if not dists:
        return
    env = {"SOURCE_DATE_EPOCH": source_date_epoch(dists[0].path)}
    for dist in dists:
        kinds = ["--wheel"] if wheel_only else ["--wheel", "--sdist"]
        run(
            uv_executable(),
            "build",
            "--quiet",
            *kinds,
            "--build-constraint",
            constraints,
            "--out-dir",
            str(out),
            str(dist.path),
            env=env,
            external=True,
        )


def check_wheels(dists: Iterable[Distribution], folder: Path) -> list[str]:
    """Problems with the built wheels: a plait/__init__.py, a missing py.typed."""
    problems = []
    for dist in dists:
        stem = normalize(dist.name).replace("-", "_")
        wheels = sorted(folder.glob(f"{stem}-{dist.version}-*.whl"))
        if len(wheels) != 1:
            problems.append(f"{dist.name}: expected one wheel, found {len(wheels)}")
            continue
        names = set(zipfile.ZipFile(wheels[0]).namelist())
        if "plait/__init__.py" in names:
            problems.append(f"{wheels[0].name}: ships plait/__init__.py")
        packages = {n.rsplit("/", 1)[0] for n in names if n.endswith("/__init__.py")}
        problems.extend(
            f"{wheels[0].name}: {package} has no py.typed"
            for package in sorted(packages)
            if f"{package}/py.typed" not in names
        )
        top_modules = [
            n
            for n in names
            if n.count("/") == 1 and n.startswith("plait/") and n.endswith(".py")
        ]
        if top_modules and "plait/py.typed" not in names:
            problems.append(f"{wheels[0].name}: plait/*.py modules but no py.typed")
    return problems


# -- what the test environments run

SHOW_INSTALLED = (
    "import importlib.metadata as m; "
    "print(' '.join(sorted(f'{d.metadata[\"Name\"]}=={d.version}' "
    "for d in m.distributions())))"
)


def sibling_closure(dists: Iterable[Distribution], name: str) -> list[str]:
    """*name* and every plait distribution it needs, transitively (extras of
    its dependencies not included: it does not ask for them)."""
    known = {normalize(d.name): d for d in dists}
    seen: set[str] = set()
    todo = [normalize(name)]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        if current in known:
            todo.extend(known[current].sibling_names(with_extras=False))
    return sorted(seen)


def assert_only_siblings_code(allowed: Iterable[str]) -> str:
    """Python code that fails unless the installed plait distributions are
    exactly *allowed* (normalised names)."""
    names = sorted(allowed)
    return (
        "import importlib.metadata as m, re\n"
        "found = sorted({re.sub(r'[-_.]+', '-', d.metadata['Name']).lower()\n"
        "    for d in m.distributions()})\n"
        "plait = [n for n in found if n == 'plait' or n.startswith('plait-')]\n"
        f"wanted = {names!r}\n"
        "assert plait == wanted, f'plait distributions installed: {plait}, "
        "expected exactly {wanted}'\n"
        "print('plait distributions installed, as declared:', ', '.join(plait))\n"
    )


def assert_installed_code(modules: Iterable[str]) -> str:
    """Python code that fails unless each module comes from site-packages."""
    names = list(modules)
    return (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    module = importlib.import_module(name)\n"
        "    where = getattr(module, '__file__', None) or str(module.__path__)\n"
        "    assert 'site-packages' in where, (name, where)\n"
        "print('imported from the installed wheels:', ', '.join(" + repr(names) + "))\n"
    )


# -- interpreters


def _version_of(executable: str) -> str | None:
    try:
        out = subprocess.run(
            [executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _pyenv_candidates(version: str) -> list[Path]:
    roots = [os.environ.get("PYENV_ROOT"), str(Path.home() / ".pyenv")]
    found: list[Path] = []
    for root in filter(None, roots):
        versions = Path(root) / "versions"
        found.extend(
            folder / "bin" / f"python{version}"
            for folder in versions.glob(f"{version}.*")
            if re.fullmatch(rf"{re.escape(version)}\.\d+", folder.name)
        )
    return sorted(
        found, key=lambda p: int(p.parent.parent.name.rsplit(".", 1)[1]), reverse=True
    )


def expose_interpreters(
    versions: Iterable[str], linkdir: Path
) -> dict[str, str | None]:
    """Find each CPython ``X.Y``; make the ones found as ``pythonX.Y`` on PATH.

    A ``pythonX.Y`` on PATH that works is used as it is. Otherwise a pyenv
    installation is linked into ``linkdir``, which goes first on PATH, so
    that nox and uv find it by its plain name. The result maps each version
    to the interpreter used, or None when there is none on this machine.
    """
    result: dict[str, str | None] = {}
    links: list[tuple[str, Path]] = []
    for version in versions:
        chosen: str | None = None
        on_path = shutil.which(f"python{version}")
        if on_path and _version_of(on_path) == version:
            chosen = on_path
        else:
            for candidate in _pyenv_candidates(version):
                if candidate.exists() and _version_of(str(candidate)) == version:
                    chosen = str(candidate)
                    links.append((version, candidate))
                    break
        result[version] = chosen
    if links:
        linkdir.mkdir(parents=True, exist_ok=True)
        for version, target in links:
            link = linkdir / f"python{version}"
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(target)
        os.environ["PATH"] = str(linkdir) + os.pathsep + os.environ.get("PATH", "")
    return result
