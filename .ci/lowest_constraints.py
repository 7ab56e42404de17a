"""Print a pip constraints file pinning every dependency of pyproject.toml to its lower bound.

The lowest run (see ``.ci/run``) installs the project with these constraints, so the
tests run on the versions ``pyproject.toml`` claims to support. Covers the project's
dependencies and the ``test`` extra; every one of them must have a ``>=`` bound.

Usage: python .ci/lowest_constraints.py [pyproject.toml] > constraints.txt
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^]]*\])?\s*(.*)$")
LOWER = re.compile(r">=\s*([A-Za-z0-9.]+)")


def lowest(pyproject: Path) -> list[str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    pins = []
    for requirement in requirements:
        match = REQUIREMENT.match(requirement.split(";")[0])
        if match is None:
            raise SystemExit(f"cannot read the requirement {requirement!r}")
        name, spec = match.groups()
        if name == project["name"]:
            continue  # the project itself, through an extra
        bound = LOWER.search(spec)
        if bound is None:
            raise SystemExit(f"{name} has no lower bound (>=) in {pyproject}")
        pins.append(f"{name}=={bound.group(1)}")
    return pins


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "pyproject.toml")
    print("\n".join(lowest(path)))
