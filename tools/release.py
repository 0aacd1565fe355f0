"""Cut a release: ``python tools/release.py ROOT X.Y.Z [--publish]``.

The steps, in order; the first that fails stops the release:

1. the working tree is clean and every distribution carries one version,
   with its siblings pinned to it; X.Y.Z is newer and not yet tagged;
2. every ``pyproject.toml`` is bumped to X.Y.Z (pins included);
3. the changelog fragments are folded into ``CHANGELOG.md`` by towncrier;
4. every sdist and wheel is built twice; the two builds must be identical
   byte for byte;
5. ``twine check --strict`` passes on every artifact, and the wheels ship
   no ``plait/__init__.py`` and a ``py.typed`` in every sub-package;
6. each distribution's wheel is installed alone in a fresh environment
   (its siblings from the same build, its third-party dependencies from
   the index) and its tests run there;
7. the release is committed and tagged ``vX.Y.Z``.

Without ``--publish`` (a dry run) all of this happens in a throw-away
clone of the last commit: nothing in ROOT changes, and the artifacts are
left in ``ROOT/dist-dry-run/`` for inspection.  With ``--publish`` it
happens in ROOT itself; the artifacts are in ``ROOT/dist/``, ready for
``twine upload dist/*`` and ``git push --follow-tags``, which stay manual
so that a person decides when a release goes out.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import workspace
from bump import VERSION

STEPS = 7


def _step(number: int, text: str) -> None:
    print(f"[{number}/{STEPS}] {text}", flush=True)


def _run(*argv: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        list(argv),
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(
            f"release stopped: {' '.join(argv)} failed:\n{done.stdout}{done.stderr}"
        )
    return done.stdout


def _runForBuild(*argv: str, env: dict[str, str] | None = None, **_: Any) -> None:
    _run(*argv, env=env)


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")[:3] if part.isdigit())


def checkStart(tree: Path, version: str) -> list[workspace.Distribution]:
    """Step 1: a clean tree, consistent versions, a new untagged version."""
    if _run("git", "-C", str(tree), "status", "--porcelain").strip():
        raise SystemExit("release stopped: the working tree has uncommitted changes")
    dists = workspace.distributions(tree)
    problems = workspace.version_problems(dists)
    if problems:
        raise SystemExit("release stopped:\n" + "\n".join(problems))
    current = dists[0].version
    if not VERSION.match(version) or _key(version) <= _key(current):
        raise SystemExit(
            f"release stopped: {version} is not a version newer than {current}"
        )
    if _run("git", "-C", str(tree), "tag", "--list", f"v{version}").strip():
        raise SystemExit(f"release stopped: the tag v{version} exists already")
    print(f"      {len(dists)} distributions at {current}, moving to {version}")
    return dists


def buildTwice(tree: Path, out: Path, constraints: str) -> list[Path]:
    """Step 4: build everything twice; the artifacts must be identical."""
    dists = workspace.distributions(tree)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    workspace.build_all(dists, out, constraints, wheel_only=False, run=_runForBuild)
    with tempfile.TemporaryDirectory() as again:
        workspace.build_all(
            dists, Path(again), constraints, wheel_only=False, run=_runForBuild
        )
        first = {p.name: _digest(p) for p in _artifacts(out)}
        second = {p.name: _digest(p) for p in _artifacts(Path(again))}
    if first != second:
        differ = sorted(
            n for n in first.keys() | second.keys() if first.get(n) != second.get(n)
        )
        raise SystemExit(f"release stopped: two builds differ: {differ}")
    print(f"      {len(first)} artifacts, identical across two builds")
    return _artifacts(out)


def _artifacts(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.endswith((".whl", ".tar.gz")))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def testEachAlone(tree: Path, wheels: Path, constraints: str) -> None:
    """Step 6: each wheel in an environment of its own, then its tests."""
    uv = workspace.uv_executable()
    for dist in workspace.distributions(tree):
        with tempfile.TemporaryDirectory(prefix=f"release-{dist.name}-") as scratch:
            venv = Path(scratch) / "venv"
            _run(uv, "venv", "--quiet", "--python", sys.executable, str(venv))
            python = str(venv / "bin" / "python")
            _run(
                uv,
                "pip",
                "install",
                "--quiet",
                "--python",
                python,
                "-c",
                constraints,
                "--find-links",
                str(wheels),
                "--no-cache",
                dist.requirement(extras=dist.test_extras),
                *dist.test_requires,
            )
            _run(
                python,
                "-m",
                "pytest",
                "-q",
                str(dist.path / "tests"),
                "-c",
                str(tree / "pyproject.toml"),
                "--rootdir",
                str(dist.path),
                cwd=Path(scratch),
            )
        print(f"      {dist.name}: installed alone, tests passed")


def release(tree: Path, version: str, out: Path, publish: bool) -> None:
    constraints = str(tree / "tools" / "constraints.txt")
    _step(1, "checking the tree and the versions")
    checkStart(tree, version)
    _step(2, f"bumping every distribution to {version}")
    _run(sys.executable, str(tree / "tools" / "bump.py"), str(tree), version)
    if workspace.version_problems(workspace.distributions(tree)):
        raise SystemExit("release stopped: the bump left versions inconsistent")
    _step(3, "building the changelog")
    _run("towncrier", "build", "--yes", "--version", version, cwd=tree)
    _step(4, "building every sdist and wheel, twice")
    artifacts = buildTwice(tree, out, constraints)
    _step(5, "checking the artifacts")
    _run("twine", "check", "--strict", *map(str, artifacts))
    problems = workspace.check_wheels(workspace.distributions(tree), out)
    if problems:
        raise SystemExit("release stopped:\n" + "\n".join(problems))
    _step(6, "installing each wheel alone and running its tests")
    testEachAlone(tree, out, constraints)
    _step(7, f"committing and tagging v{version}")
    _run("git", "-C", str(tree), "add", "-A", "--", ".", ":!dist", ":!dist-dry-run")
    _run("git", "-C", str(tree), "commit", "--quiet", "-m", f"Release {version}")
    _run("git", "-C", str(tree), "tag", "-a", f"v{version}", "-m", f"plait {version}")
    if publish:
        print(f"released {version}: tagged v{version}, artifacts in {out}")
        print(f"next: twine upload {out}/* && git push --follow-tags")
    else:
        print(f"dry run of {version} passed; nothing changed, artifacts in {out}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("version")
    parser.add_argument("--publish", action="store_true")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.publish:
        release(root, args.version, root / "dist", publish=True)
        return 0
    with tempfile.TemporaryDirectory(prefix="plait-release-") as scratch:
        clone = Path(scratch) / "plait"
        head = _run("git", "-C", str(root), "rev-parse", "HEAD").strip()
        _run("git", "clone", "--quiet", "--no-checkout", str(root), str(clone))
        _run("git", "-C", str(clone), "checkout", "--quiet", head)
        for name in ("user.name", "user.email"):
            value = subprocess.run(
                ["git", "-C", str(root), "config", name],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            _run("git", "-C", str(clone), "config", name, value or "plait release")
        release(clone, args.version, root / "dist-dry-run", publish=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
