"""The import-linter configuration must catch an import of an undeclared sibling."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOOLS))

import importlinter_config  # noqa: E402
from workspace import distributions  # noqa: E402


def _dist(root: Path, name: str, module: str, deps: list[str], code: str) -> None:
    folder = root / "packages" / name
    (folder / "src" / "plait" / module).mkdir(parents=True)
    (folder / "src" / "plait" / module / "__init__.py").write_text(code)
    quoted = ", ".join(f'"{d}"' for d in deps)
    (folder / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [project]
            name = "{name}"
            version = "1.0.0"
            dependencies = [{quoted}]
            """
        )
    )


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    config = root / "importlinter.ini"
    config.write_text(importlinter_config.render(root))
    srcs = os.pathsep.join(str(p) for p in sorted(root.glob("packages/*/src")))
    exe = shutil.which("lint-imports") or str(
        Path(sys.executable).with_name("lint-imports")
    )
    return subprocess.run(
        [exe, "--config", str(config), "--no-cache"],
        env={**os.environ, "PYTHONPATH": srcs},
        capture_output=True,
        text=True,
        cwd=root,
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    _dist(tmp_path, "plait-base", "base", [], "VALUE = 1\n")
    _dist(tmp_path, "plait-left", "left", ["plait-base==1.0.0"], "import plait.base\n")
    return tmp_path


def test_declared_sibling_import_is_kept(workspace: Path) -> None:
    """Importing a sibling that the distribution depends on passes."""
    result = _lint(workspace)
    assert result.returncode == 0, result.stdout + result.stderr


def test_undeclared_sibling_import_is_broken(workspace: Path) -> None:
    """Importing a sibling not declared as a dependency fails the check."""
    _dist(
        workspace, "plait-right", "right", ["plait-base==1.0.0"], "import plait.left\n"
    )
    result = _lint(workspace)
    assert result.returncode != 0
    assert "plait.right is not allowed to import plait.left" in result.stdout


def test_lower_layer_importing_upward_is_broken(workspace: Path) -> None:
    """A dependency importing its dependent breaks the layers contract."""
    init = (
        workspace / "packages" / "plait-base" / "src" / "plait" / "base" / "__init__.py"
    )
    init.write_text("import plait.left\n")
    result = _lint(workspace)
    assert result.returncode != 0
    assert "plait.base is not allowed to import plait.left" in result.stdout


def test_layers_follow_dependencies(workspace: Path) -> None:
    """Layers stack distributions by the depth of their sibling dependencies."""
    _dist(workspace, "plait-top", "top", ["plait-left==1.0.0"], "")
    found = {d.name: d for d in distributions(workspace)}
    assert importlinter_config.layers(found) == [
        ["plait-base"],
        ["plait-left"],
        ["plait-top"],
    ]


def _example(root: Path, deps: list[str], code: str) -> None:
    folder = root / "examples" / "plait-app"
    (folder / "src" / "plait_app").mkdir(parents=True)
    (folder / "src" / "plait_app" / "__init__.py").write_text(code)
    quoted = ", ".join(f'"{d}"' for d in deps)
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "plait-app"\nversion = "1.0.0"\ndependencies = [{quoted}]\n'
    )


def _lintWithExamples(root: Path) -> subprocess.CompletedProcess[str]:
    config = root / "importlinter.ini"
    config.write_text(importlinter_config.render(root))
    srcs = os.pathsep.join(
        str(p)
        for p in sorted([*root.glob("packages/*/src"), *root.glob("examples/*/src")])
    )
    exe = shutil.which("lint-imports") or str(
        Path(sys.executable).with_name("lint-imports")
    )
    return subprocess.run(
        [exe, "--config", str(config), "--no-cache"],
        env={**os.environ, "PYTHONPATH": srcs},
        capture_output=True,
        text=True,
        cwd=root,
    )


def test_example_may_import_what_it_declares(workspace: Path) -> None:
    """An example importing the distribution it depends on passes."""
    _example(workspace, ["plait-base==1.0.0"], "import plait.base\n")
    result = _lintWithExamples(workspace)
    assert result.returncode == 0, result.stdout + result.stderr


def test_example_importing_undeclared_sibling_is_broken(workspace: Path) -> None:
    """An example importing a sibling it does not declare fails the check,
    and no distribution may import the example."""
    _example(workspace, ["plait-base==1.0.0"], "import plait.left\n")
    result = _lintWithExamples(workspace)
    assert result.returncode != 0
    assert "plait_app is not allowed to import plait.left" in result.stdout
