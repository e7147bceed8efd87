"""The benchmarks share the tests' helpers through testkit/, never by importing the tests."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parent.parent


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_neither_the_benchmarks_nor_testkit_import_the_tests() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in imported_modules(path) if m == "tests" or m.startswith("tests.")
        )
        for folder in ("bench", "testkit")
        for path in sorted((ROOT / folder).glob("*.py"))
    }
    assert {path: found for path, found in offenders.items() if found} == {}
