"""The layers of the house, kept by parsing every import (docs/architecture.md).

    warehouse/      foundation: settings, the DuckDB resource, partitions, the table contract
    models/, expectations/, demo/   libraries on the foundation (models and expectations
                    only its plain modules: the shared defaults and the table contract,
                    so they stay free of Dagster)
    assets/         the assets and checks, on the libraries
    orchestration/  the root: definitions, jobs, schedules, sensors, the CLI

An arrow may only point down. Imports inside functions count as much as those at the
top: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = (
    "warehouse",
    "demo",
    "models",
    "expectations",
    "assets",
    "orchestration",
    "dashboard",
    "bench",
    "tests",
)

# Per package: the packages (or single modules) of ours it may import, besides itself.
ALLOWED: dict[str, set[str]] = {
    "warehouse": set(),
    "models": {"warehouse.defaults"},
    "expectations": {"warehouse.defaults", "warehouse.contract"},
    "demo": {"warehouse"},
    "assets": {"warehouse", "models", "expectations"},
    "orchestration": {"warehouse", "models", "expectations", "demo", "assets"},
    # A reader of the published snapshot (assets.serving.snapshot), beside the root.
    "dashboard": {"warehouse", "assets"},
}


def imported_modules(path: Path) -> dict[str, int]:
    """Our modules that `path` imports, with the first line that does."""
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        if isinstance(node, ast.ImportFrom):
            # `from warehouse import contract` imports warehouse.contract.
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if name.split(".")[0] in OURS:
                found.setdefault(name, node.lineno)
    return found


def is_allowed(module: str, allowed: set[str]) -> bool:
    """Whether `module` is one of `allowed` or inside one (a package or a module)."""
    return any(module == item or module.startswith(f"{item}.") for item in allowed)


def violations(package: str) -> list[str]:
    """Every import in `package` that points up or sideways against ALLOWED."""
    allowed = ALLOWED[package] | {package}
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for imported, line in imported_modules(path).items():
            if not is_allowed(imported, allowed):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_only_point_down(package: str) -> None:
    assert violations(package) == []


def test_the_rule_sees_a_violation(tmp_path: Path) -> None:
    """The parser catches top-level, from- and function-local imports alike."""
    module = tmp_path / "module.py"
    module.write_text(
        "import os\nfrom warehouse.settings import Settings\n"
        "def f():\n    import orchestration.commands\n    from assets import raw\n"
    )
    assert imported_modules(module) == {
        "warehouse.settings.Settings": 2,
        "orchestration.commands": 4,
        "assets.raw": 5,
    }
    assert violations_of(module, ALLOWED["models"]) == [
        "warehouse.settings.Settings",
        "orchestration.commands",
        "assets.raw",
    ]


def violations_of(path: Path, allowed: set[str]) -> list[str]:
    return [name for name in imported_modules(path) if not is_allowed(name, allowed)]


def test_every_package_of_ours_has_a_rule() -> None:
    packages = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in ("tests", "bench")
    }
    assert packages == set(ALLOWED)
