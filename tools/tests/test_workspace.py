"""The workspace reader that the nox sessions rely on."""

from __future__ import annotations

import sys
import textwrap
import zipfile
from pathlib import Path

TOOLS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOOLS))

import bump  # noqa: E402
import workspace  # noqa: E402


def _pyproject(root: Path, name: str, version: str, deps: list[str]) -> None:
    folder = root / "packages" / name
    folder.mkdir(parents=True)
    quoted = ", ".join(f'"{d}"' for d in deps)
    (folder / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [project]
            name = "{name}"
            version = "{version}"  # the release
            dependencies = [{quoted}]

            [project.optional-dependencies]
            extra = ["plait-base[x]=={version}", "thirdparty>=1"]
            """
        )
    )


def test_consistent_versions_have_no_problems(tmp_path: Path) -> None:
    """One version and exact sibling pins pass the version check."""
    _pyproject(tmp_path, "plait-base", "1.0.0", ["zope.interface>=6"])
    _pyproject(tmp_path, "plait-top", "1.0.0", ["plait-base==1.0.0"])
    assert workspace.version_problems(workspace.distributions(tmp_path)) == []


def test_version_mismatch_and_loose_pin_are_reported(tmp_path: Path) -> None:
    """Different versions and a sibling pinned with >= are both named."""
    _pyproject(tmp_path, "plait-base", "1.0.0", [])
    _pyproject(tmp_path, "plait-top", "1.1.0", ["plait-base>=1.0.0"])
    problems = workspace.version_problems(workspace.distributions(tmp_path))
    assert any("disagree" in p for p in problems)
    assert any("plait-base>=1.0.0" in p for p in problems)


def test_bump_rewrites_versions_and_pins_keeping_comments(tmp_path: Path) -> None:
    """bump sets the version and every sibling pin, extras included."""
    _pyproject(tmp_path, "plait-base", "1.0.0", [])
    _pyproject(tmp_path, "plait-top", "1.0.0", ["plait-base==1.0.0", "other>=2"])
    for path in sorted((tmp_path / "packages").glob("*/pyproject.toml")):
        bump.bump_file(path, "2.0.0")
    dists = workspace.distributions(tmp_path)
    assert {d.version for d in dists} == {"2.0.0"}
    top = workspace.by_name(dists, "plait-top")
    assert top.dependencies == ("plait-base==2.0.0", "other>=2")
    assert top.extras["extra"] == ("plait-base[x]==2.0.0", "thirdparty>=1")
    assert "# the release" in (top.path / "pyproject.toml").read_text()
    assert workspace.version_problems(dists) == []


def test_check_wheels_flags_namespace_init_and_missing_marker(tmp_path: Path) -> None:
    """A wheel with plait/__init__.py or a sub-package without py.typed is flagged."""
    _pyproject(tmp_path, "plait-base", "1.0.0", [])
    wheel = tmp_path / "plait_base-1.0.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("plait/__init__.py", "")
        zf.writestr("plait/base/__init__.py", "")
    problems = workspace.check_wheels(workspace.distributions(tmp_path), tmp_path)
    assert any("ships plait/__init__.py" in p for p in problems)
    assert any("plait/base has no py.typed" in p for p in problems)


def test_sibling_detection() -> None:
    """Only plait and plait-* requirements count as siblings."""
    assert workspace.is_sibling("plait-core==1.0")
    assert workspace.is_sibling("plait_tcp[tls]==1.0")
    assert not workspace.is_sibling("plaitpy>=1")
    assert not workspace.is_sibling("zope.interface>=6")


def _example(root: Path, name: str, version: str, deps: list[str]) -> Path:
    folder = root / "examples" / name
    (folder / "src" / name.replace("-", "_")).mkdir(parents=True)
    (folder / "src" / name.replace("-", "_") / "__init__.py").write_text("")
    quoted = ", ".join(f'"{d}"' for d in deps)
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "{version}"\n'
        f"dependencies = [{quoted}]\n"
    )
    return folder


def test_examples_are_found_apart_from_packages(tmp_path: Path) -> None:
    """An example under examples/ is listed by examples(), not distributions(),
    and ships its own top-level package."""
    _pyproject(tmp_path, "plait-base", "1.0.0", [])
    _example(tmp_path, "plait-demo-app", "1.0.0", ["plait-base==1.0.0"])
    assert [d.name for d in workspace.distributions(tmp_path)] == ["plait-base"]
    (example,) = workspace.examples(tmp_path)
    assert example.modules == ["plait_demo_app"]
    assert example.mypy_targets() == ["-p", "plait_demo_app"]
    every = workspace.every_distribution(tmp_path)
    assert workspace.version_problems(every) == []


def test_bump_and_version_check_cover_examples(tmp_path: Path) -> None:
    """bump rewrites an example's version and pins; a stale one is reported."""
    _pyproject(tmp_path, "plait-base", "1.0.0", [])
    _example(tmp_path, "plait-demo-app", "0.9.0", ["plait-base==1.0.0"])
    problems = workspace.version_problems(workspace.every_distribution(tmp_path))
    assert any("disagree" in p for p in problems)
    assert bump.main(["bump.py", str(tmp_path), "2.0.0"]) == 0
    every = workspace.every_distribution(tmp_path)
    assert {d.version for d in every} == {"2.0.0"}
    assert workspace.examples(tmp_path)[0].dependencies == ("plait-base==2.0.0",)


def test_sibling_closure_leaves_out_extras(tmp_path: Path) -> None:
    """The closure follows dependencies, not the extras of dependencies."""
    _pyproject(tmp_path, "plait-base", "1.0.0", [])
    _pyproject(tmp_path, "plait-top", "1.0.0", ["plait-base==1.0.0"])
    _example(tmp_path, "plait-demo-app", "1.0.0", ["plait-top==1.0.0"])
    every = workspace.every_distribution(tmp_path)
    assert workspace.sibling_closure(every, "plait-demo-app") == [
        "plait-base",
        "plait-demo-app",
        "plait-top",
    ]
