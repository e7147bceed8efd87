"""Reproducible installs: what `uv sync` installed is exactly what pyproject.toml pins."""

from __future__ import annotations

import tomllib
from importlib.metadata import distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PYPROJECT = Path(__file__).parents[1] / "pyproject.toml"


def test_every_installed_package_is_pinned_at_the_installed_version() -> None:
    pins = [
        Requirement(line)
        for line in tomllib.loads(PYPROJECT.read_text())["tool"]["uv"]["constraint-dependencies"]
    ]
    assert pins and all(not pin.url for pin in pins)  # names and versions, no addresses
    pinned: dict[str, set[str]] = {}
    for pin in pins:
        if pin.marker is None or pin.marker.evaluate():
            [spec] = pin.specifier
            assert spec.operator == "==", pin
            pinned.setdefault(canonicalize_name(pin.name), set()).add(spec.version)
    installed = {
        canonicalize_name(dist.metadata["Name"]): dist.version
        for dist in distributions()
        if canonicalize_name(dist.metadata["Name"]) != "herald"
    }
    unpinned = {name: v for name, v in installed.items() if v not in pinned.get(name, set())}
    assert unpinned == {}
