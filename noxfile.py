"""Every developer and CI task of plait is a nox session: ``nox -l`` lists them.

The distributions are found, not listed: each directory under ``packages/``
with a ``pyproject.toml`` is one, so adding a distribution needs no change
here. Tool versions are pinned once, in ``tools/constraints.txt``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import nox

sys.path.insert(0, str(Path(__file__).parent / "tools"))

import workspace  # tools/workspace.py, beside this file

ROOT = Path(__file__).parent.resolve()
CONSTRAINTS = str(ROOT / "tools" / "constraints.txt")
BENCH_PACKAGES = ROOT / "tools" / "bench-packages.txt"
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
DEFAULT_PYTHON = "3.11"

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
# A missing interpreter is reported as a skipped session, never as a pass and
# never as a failure of the run: the summary names each one.
nox.options.error_on_missing_interpreters = False
nox.options.sessions = [
    "lint",
    "typecheck",
    "check_versions",
    "build",
    "tests",
    "tests_without_extras",
]

INTERPRETERS = workspace.expose_interpreters(PYTHONS, ROOT / ".nox" / "_interpreters")
DISTS = workspace.distributions(ROOT)
# Downstream examples: versioned, type-checked and built with the
# distributions, tested by the `downstream` session, never in the meta one.
EXAMPLES = workspace.examples(ROOT)
_WHEELHOUSE: list[Path] = []


def _install(session: nox.Session, *args: str) -> None:
    fresh: list[str] = []
    if "--find-links" in args and session.venv_backend == "uv":
        # uv caches a wheel by name and version: without these flags a second
        # run would install the previous build of our own distributions.
        for dist in DISTS + EXAMPLES:
            fresh += ["--refresh-package", dist.name, "--reinstall-package", dist.name]
    session.install("-c", CONSTRAINTS, *fresh, *args)


def _wheelhouse(session: nox.Session) -> Path:
    """Build every distribution's wheel once per nox run, into one folder."""
    if not _WHEELHOUSE:
        out = ROOT / ".nox" / "_wheelhouse"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        workspace.build_all(DISTS, out, CONSTRAINTS, wheel_only=True, run=session.run)
        _WHEELHOUSE.append(out)
    return _WHEELHOUSE[0]


def _report_interpreters(session: nox.Session) -> None:
    found = ", ".join(f"{v} ({p})" for v, p in INTERPRETERS.items() if p)
    missing = ", ".join(v for v, p in INTERPRETERS.items() if not p)
    session.log(f"interpreters found: {found or 'none'}")
    if missing:
        session.warn(f"interpreters NOT found (their sessions are skipped): {missing}")


@nox.session(python=PYTHONS)
@nox.parametrize("dist", [d.name for d in DISTS], ids=[d.name for d in DISTS])
def tests(session: nox.Session, dist: str) -> None:
    """Test one distribution installed alone from its wheel, on one Python."""
    info = workspace.by_name(DISTS, dist)
    _test_installed(session, info, info.test_extras)


_WITH_EXTRAS = [d.name for d in DISTS if d.test_extras]


@nox.session(python=DEFAULT_PYTHON)
@nox.parametrize("dist", _WITH_EXTRAS, ids=_WITH_EXTRAS)
def tests_without_extras(session: nox.Session, dist: str) -> None:
    """Test a distribution installed without its optional extras: what needs
    them must be reported as missing, and everything else must still work."""
    _test_installed(session, workspace.by_name(DISTS, dist), ())


def _test_installed(
    session: nox.Session, info: workspace.Distribution, extras: tuple[str, ...]
) -> None:
    _report_interpreters(session)
    wheels = _wheelhouse(session)
    requirement = info.requirement(extras=extras)
    _install(session, "--find-links", str(wheels), requirement, *info.test_requires)
    installed = session.run(
        "python", "-c", workspace.SHOW_INSTALLED, silent=True, external=False
    )
    session.log(f"installed in this environment: {str(installed).strip()}")
    _runInstalledTests(
        session,
        info,
        env={"PLAIT_CONTRACT": str(workspace.contract_path(ROOT) or "")},
    )


def _runInstalledTests(
    session: nox.Session,
    info: workspace.Distribution,
    env: dict[str, str] | None = None,
) -> None:
    """Run ``info``'s tests from outside the tree, against its installed
    wheel (checked first), so that the sources cannot stand in for it."""
    with tempfile.TemporaryDirectory(prefix=f"{info.name}-tests-") as cwd:
        session.chdir(cwd)
        session.run("python", "-c", workspace.assert_installed_code(info.modules))
        session.run(
            "python",
            "-m",
            "pytest",
            str(info.path / "tests"),
            "-c",
            str(ROOT / "pyproject.toml"),
            "--rootdir",
            str(info.path),
            *session.posargs,
            env=env,
        )


_EXAMPLE_NAMES = [d.name for d in EXAMPLES]


@nox.session(python=PYTHONS)
@nox.parametrize("example", _EXAMPLE_NAMES, ids=_EXAMPLE_NAMES)
def downstream(session: nox.Session, example: str) -> None:
    """A downstream example installed from wheels with only the plait
    distributions it declares: no other one may come along; then its tests."""
    _report_interpreters(session)
    info = workspace.by_name(EXAMPLES, example)
    wheels = _wheelhouse(session)
    workspace.build_all([info], wheels, CONSTRAINTS, wheel_only=True, run=session.run)
    _install(
        session, "--find-links", str(wheels), info.requirement(), *info.test_requires
    )
    allowed = workspace.sibling_closure(DISTS + EXAMPLES, info.name)
    if session.venv_backend == "uv":
        python = str(Path(session.bin) / "python")
        session.run("uv", "pip", "list", "--python", python, external=True)
        session.run("uv", "pip", "check", "--python", python, external=True)
    else:
        session.run("python", "-m", "pip", "list")
        session.run("python", "-m", "pip", "check")
    session.run("python", "-c", workspace.assert_only_siblings_code(allowed))
    _runInstalledTests(session, info)


@nox.session(python=DEFAULT_PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole tree."""
    _install(session, "ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=DEFAULT_PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy strict (with mypy-zope) over every distribution, then import-linter."""
    _install(
        session,
        "mypy",
        "mypy-zope",
        "import-linter",
        "pytest",
        "pytest-timeout",
        "tomlkit",
        "nox",
        *workspace.third_party_requirements(DISTS + EXAMPLES),
    )
    targets: list[str] = []
    for info in DISTS + EXAMPLES:
        targets += info.mypy_targets()
    mypypath = os.pathsep.join(str(d.path / "src") for d in DISTS + EXAMPLES)
    session.run("mypy", *targets, env={"MYPYPATH": mypypath})
    session.run(
        "mypy",
        "--python-version",
        "3.11",
        "noxfile.py",
        "tools",
        env={"MYPYPATH": str(ROOT / "tools")},
    )
    # import-linter sees the sources through PYTHONPATH, not an install.
    config = ROOT / ".nox" / "importlinter.ini"
    session.run(
        "python", "tools/importlinter_config.py", str(ROOT), str(config), silent=True
    )
    session.run(
        "lint-imports",
        "--config",
        str(config),
        "--no-cache",
        env={"PYTHONPATH": mypypath},
    )
    # The generator itself is tested: an undeclared sibling import must fail.
    session.run("python", "-m", "pytest", "tools/tests", "-q", "-p", "no:cacheprovider")


@nox.session(python=DEFAULT_PYTHON)
def build(session: nox.Session) -> None:
    """sdists and wheels into dist/, checked, built twice to prove them reproducible."""
    _install(session, "twine", "uv")
    out = ROOT / "dist"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    built = DISTS + EXAMPLES
    workspace.build_all(built, out, CONSTRAINTS, wheel_only=False, run=session.run)
    with tempfile.TemporaryDirectory() as again:
        workspace.build_all(
            built, Path(again), CONSTRAINTS, wheel_only=False, run=session.run
        )
        first = {p.name: _digest(p) for p in _artifacts(out)}
        second = {p.name: _digest(p) for p in _artifacts(Path(again))}
    if first != second:
        differ = sorted(
            n for n in first.keys() | second.keys() if first.get(n) != second.get(n)
        )
        session.error(f"two builds differ: {differ}")
    session.log(f"{len(first)} artifacts, identical across two builds")
    session.run("twine", "check", "--strict", *map(str, _artifacts(out)))
    problems = workspace.check_wheels(built, out)
    if problems:
        session.error("\n".join(problems))
    session.log("wheels: no plait/__init__.py, py.typed in every sub-package")


def _artifacts(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.endswith((".whl", ".tar.gz")))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@nox.session(python=False)
def check_versions(session: nox.Session) -> None:
    """One version for every distribution; siblings pinned with == to it."""
    every = DISTS + EXAMPLES
    problems = workspace.version_problems(every)
    if problems:
        session.error("\n".join(problems))
    session.log(f"all {len(every)} distributions at {every[0].version}, pins exact")


@nox.session(python=DEFAULT_PYTHON)
def bump(session: nox.Session) -> None:
    """Set a new version everywhere: ``nox -s bump -- X.Y.Z``."""
    if len(session.posargs) != 1:
        session.error("usage: nox -s bump -- X.Y.Z")
    _install(session, "tomlkit")
    session.run("python", "tools/bump.py", str(ROOT), session.posargs[0])


@nox.session(python=DEFAULT_PYTHON)
def integration(session: nox.Session) -> None:
    """tests-integration/: plait against real peers (openssl, named, real
    processes), and every code sample of the docs, the examples' included."""
    wheels = _wheelhouse(session)
    workspace.build_all(EXAMPLES, wheels, CONSTRAINTS, wheel_only=True, run=session.run)
    meta = workspace.by_name(DISTS, "plait")
    _install(
        session,
        "--find-links",
        str(wheels),
        meta.requirement(),
        *(example.requirement() for example in EXAMPLES),
        *workspace.integration_requires(ROOT),
    )
    with tempfile.TemporaryDirectory(prefix="plait-integration-") as cwd:
        session.chdir(cwd)
        session.run("python", "-c", workspace.assert_installed_code(["plait.core"]))
        session.run(
            "python",
            "-m",
            "pytest",
            str(ROOT / "tests-integration"),
            "-c",
            str(ROOT / "pyproject.toml"),
            "--rootdir",
            str(ROOT / "tests-integration"),
            "-rs",
            *session.posargs,
        )


@nox.session(python=DEFAULT_PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation site, warnings as errors, into docs/_build."""
    wheels = _wheelhouse(session)
    _install(
        session,
        "--find-links",
        str(wheels),
        workspace.by_name(DISTS, "plait").requirement(),
        "sphinx",
        "myst-parser",
        "furo",
        "towncrier",
    )
    # The changelog page shows the unreleased fragments too; the first line
    # of the draft is its release title, which the page replaces.
    session.run(
        "sh",
        "-c",
        f"towncrier build --draft --version {DISTS[0].version} 2>/dev/null"
        " | tail -n +2 > docs/_draft.md",
        external=True,
    )
    session.run(
        "sphinx-build", "-W", "--keep-going", "-n", "-b", "html", "docs", "docs/_build"
    )
    # Every internal link and image of the built site leads somewhere.
    session.run("python", "tools/check_site.py", "docs/_build")


@nox.session(python=DEFAULT_PYTHON)
def docs_browser(session: nox.Session) -> None:
    """The built site opened in headless Chromium: every page loads, its code
    blocks are laid out and highlighted, its images load. Needs the Debian
    package chromium (apt-get install chromium); run after ``docs``. Not part
    of ``./run tests``: installing a browser would cost CI minutes."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        session.error("chromium is not installed: apt-get install chromium")
    if not (ROOT / "docs" / "_build" / "index.html").exists():
        session.error("no built site: run ./run -s docs first")
    session.run("python", "tools/check_site.py", "docs/_build", "--browser", chromium)


@nox.session(python=DEFAULT_PYTHON)
def demo(session: nox.Session) -> None:
    """Install the distributions from their wheels and run ``plait demo``."""
    wheels = _wheelhouse(session)
    _install(
        session,
        "--find-links",
        str(wheels),
        workspace.by_name(DISTS, "plait").requirement(),
    )
    with tempfile.TemporaryDirectory(prefix="plait-demo-") as cwd:
        session.chdir(cwd)
        session.run("plait", "demo", *session.posargs)


@nox.session(python=DEFAULT_PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks beside Twisted, asyncio and uvloop (and, for HTTP,
    twisted.web, aiohttp and uvicorn), in one run, with ratios."""
    # The load generators that are Debian packages (wrk for HTTP).
    session.run(
        str(ROOT / "tools" / "system-packages.sh"), str(BENCH_PACKAGES), external=True
    )
    wheels = _wheelhouse(session)
    workspace.build_all(EXAMPLES, wheels, CONSTRAINTS, wheel_only=True, run=session.run)
    _install(
        session,
        "--find-links",
        str(wheels),
        workspace.by_name(DISTS, "plait").requirement(),
        *(example.requirement() for example in EXAMPLES),
        "twisted",
        "uvloop",
        "pyinstrument",
        "matplotlib",
        "aiohttp",
        "uvicorn",
        "httptools",
    )
    # The results, charts and table of the performance page come from this
    # run; commit them when they come from a quiet machine.
    results = ROOT / "docs" / "performance" / "results.json"
    session.run(
        "python",
        str(ROOT / "benchmarks" / "run.py"),
        "--json",
        str(results),
        *session.posargs,
    )
    session.run(
        "python",
        str(ROOT / "benchmarks" / "charts.py"),
        str(results),
        str(results.parent),
    )


@nox.session(python=DEFAULT_PYTHON)
def release(session: nox.Session) -> None:
    """Release X.Y.Z: ``nox -s release -- X.Y.Z [--publish]`` (a dry run in a
    throw-away clone unless --publish); docs/release.md has the steps."""
    if not session.posargs or session.posargs[0].startswith("-"):
        session.error("usage: nox -s release -- X.Y.Z [--publish]")
    _install(session, "tomlkit", "towncrier", "twine", "uv", "pytest", "pytest-timeout")
    session.run("python", "tools/release.py", str(ROOT), *session.posargs)
