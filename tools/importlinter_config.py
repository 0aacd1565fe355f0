"""Write the import-linter configuration that the distributions' metadata implies.

Two kinds of contract come out of ``packages/*/pyproject.toml`` and
``examples/*/pyproject.toml`` (an example is one more distribution here,
with its own top-level package):

* layers: a distribution sits one layer above the highest sibling it depends
  on, and distributions on one layer are independent of each other;
* one ``forbidden`` contract per distribution: its modules may import no
  sibling it does not depend on (directly or through its dependencies), and
  no third-party package that only other distributions declare.

Usage: ``python tools/importlinter_config.py ROOT OUTPUT``. It must run in an
environment where the third-party requirements are installed, since their
import names are read from the installed metadata.
"""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

from workspace import Distribution, every_distribution, normalize, split_requirement


def import_names(requirement: str) -> list[str]:
    """The top-level import names an installed requirement provides."""
    wanted = normalize(split_requirement(requirement)[0])
    names = [
        module
        for module, dists in importlib.metadata.packages_distributions().items()
        if any(normalize(d) == wanted for d in dists) and not module.startswith("_")
    ]
    return sorted(names)


def closure(dists: dict[str, Distribution], name: str) -> set[str]:
    """``name`` and every sibling it depends on, transitively."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen or current not in dists:
            continue
        seen.add(current)
        todo.extend(dists[current].sibling_names())
    return seen


def layers(dists: dict[str, Distribution]) -> list[list[str]]:
    """Distribution names grouped by layer, lowest first."""
    level: dict[str, int] = {}

    def depth(name: str, trail: tuple[str, ...] = ()) -> int:
        if name in trail:
            raise ValueError(f"dependency cycle: {' -> '.join((*trail, name))}")
        if name not in level:
            deps = [d for d in dists[name].sibling_names() if d in dists]
            level[name] = 1 + max((depth(d, (*trail, name)) for d in deps), default=-1)
        return level[name]

    for name in dists:
        depth(name)
    grouped: list[list[str]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for name in sorted(dists):
        grouped[level[name]].append(name)
    return [g for g in grouped if g]


def render(root: Path) -> str:
    found = {normalize(d.name): d for d in every_distribution(root)}
    modules = {name: d.modules for name, d in found.items()}
    externals = {
        name: {m for req in d.third_party() for m in import_names(req)}
        for name, d in found.items()
    }
    # What a distribution may import without its extras: an example gets
    # only these from the siblings it depends on, since it declares no extra.
    plain = {
        name: {m for req in d.third_party(with_extras=False) for m in import_names(req)}
        for name, d in found.items()
    }
    # An example ships its own top-level package (no dot in its name).
    tops = {m for mods in modules.values() for m in mods if "." not in m}
    roots = ["plait", *sorted(tops)]
    lines = [
        "[importlinter]",
        "root_packages =",
        *(f"    {r}" for r in roots),
        "include_external_packages = True",
        "",
        "[importlinter:contract:layers]",
        "name = distributions are layered by their declared dependencies",
        "type = layers",
        "layers =",
    ]
    for group in reversed(layers(found)):
        mods = [m for name in group for m in modules[name]]
        if not mods:
            continue
        several_in_one = any(len(modules[name]) > 1 for name in group)
        lines.append("    " + (" : " if several_in_one else " | ").join(mods))
    for name, dist in sorted(found.items()):
        if not modules[name]:
            continue
        allowed = closure(found, name)
        if dist.path.parent.name == "examples":
            allowed_external = externals[name].union(*(plain[d] for d in allowed))
        else:
            allowed_external = set().union(*(externals[d] for d in allowed))
        forbidden = sorted(
            {m for other in found if other not in allowed for m in modules[other]}
            | (set().union(*externals.values()) - allowed_external)
        )
        if not forbidden:
            continue
        lines += [
            "",
            f"[importlinter:contract:{name}]",
            f"name = {dist.name} imports only what it declares",
            "type = forbidden",
            "allow_indirect_imports = True",
            "source_modules =",
            *(f"    {m}" for m in modules[name]),
            "forbidden_modules =",
            *(f"    {m}" for m in forbidden),
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: importlinter_config.py ROOT OUTPUT", file=sys.stderr)
        return 2
    root, output = Path(argv[1]), Path(argv[2])
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(root), encoding="utf-8")
    print(output.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
