"""The import rules of docs/architecture.md, checked over the source: a package imports only
the rooms its row allows (a test, not a reading, keeps the table true)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "contract",
    "platform_common",
    "registry",
    "producer_api",
    "consumer",
    "console",
    "stack",
    "bench",
)
SERVICES_ALLOWED = ("platform_common", "contract")
# What each package may import of the others: a package name, or a module and what is in it.
ALLOWED: dict[str, tuple[str, ...]] = {
    "contract": (),
    "platform_common": ("contract",),
    "registry": SERVICES_ALLOWED,
    "producer_api": SERVICES_ALLOWED,
    "consumer": SERVICES_ALLOWED,
    # The lake's reading side is the writer's knowledge: where the lake is, how its files
    # are named and listed, the `events` view. The console reads it through those modules.
    "console": (
        *SERVICES_ALLOWED,
        "consumer.settings",
        "consumer.lake",
        "consumer.query",
        "consumer.sink.files",
        "consumer.sink.layout",
    ),
    "stack": ("contract",),
    "bench": (*PACKAGES, "tests"),
}


def _imports(package: str) -> dict[str, set[str]]:
    """Module imported → the files importing it, for every import of another package."""
    found: dict[str, set[str]] = {}
    for path in (REPO_ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != package and top in (*PACKAGES, "tests"):
                    found.setdefault(name, set()).add(str(path.relative_to(REPO_ROOT)))
    return found


def _allowed(name: str, rules: tuple[str, ...]) -> bool:
    return any(name == rule or name.startswith(rule + ".") for rule in rules)


@pytest.mark.parametrize("package", PACKAGES)
def test_a_package_imports_only_what_the_architecture_allows(package: str) -> None:
    refused = {
        name: sorted(files)
        for name, files in _imports(package).items()
        if not _allowed(name, ALLOWED[package])
    }
    assert refused == {}
