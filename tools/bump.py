"""Set one new version on every distribution and on every sibling pin
(the distributions under packages/ and the examples under examples/).

Usage: ``python tools/bump.py ROOT X.Y.Z``. The files are edited with
tomlkit, so comments and layout survive.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import tomlkit
from tomlkit.items import Array

from workspace import is_sibling, project_files, split_requirement

VERSION = re.compile(r"^\d+\.\d+\.\d+([ab]|rc)?\d*$")


def _repin(array: Array, version: str) -> None:
    for index, req in enumerate(list(array)):
        text = str(req)
        if is_sibling(text):
            name, extras, _ = split_requirement(text)
            array[index] = f"{name}{extras}=={version}"


def bump_file(path: Path, version: str) -> None:
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    project = document["project"]
    project["version"] = version
    _repin(project.get("dependencies", tomlkit.array()), version)
    for group in project.get("optional-dependencies", {}).values():
        _repin(group, version)
    path.write_text(tomlkit.dumps(document), encoding="utf-8")


def main(argv: list[str]) -> int:
    if len(argv) != 3 or not VERSION.match(argv[2]):
        print("usage: bump.py ROOT X.Y.Z", file=sys.stderr)
        return 2
    root, version = Path(argv[1]), argv[2]
    files = project_files(root)
    for path in files:
        bump_file(path, version)
        print(f"{path.relative_to(root)}: {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
