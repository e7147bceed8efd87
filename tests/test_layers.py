"""What each process loads: the worker runs without the web framework, the API without the
worker's code, and shared rendering without either side's libraries.

Each check imports in a fresh interpreter, since this one already holds every module the suite
has imported.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


def loaded_by(*modules: str) -> set[str]:
    """Every module a fresh interpreter holds after importing `modules`."""
    code = f"import sys, {', '.join(modules)}; print(*sys.modules, sep='\\n')"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(run.stdout.split())


def packages(loaded: set[str], *names: str) -> set[str]:
    """Those of `loaded` that are `names` or lie within them."""
    return {m for m in loaded if any(m == n or m.startswith(n + ".") for n in names)}


def test_the_worker_loads_no_web_framework_and_no_api_code() -> None:
    loaded = loaded_by("workers.settings", "workers.runner")
    assert packages(loaded, "litestar", "jinja2", "app.api") == set()


@pytest.mark.parametrize("module", ["app.api.app", "app.status"])
def test_the_api_and_herald_status_load_no_worker_code(module: str) -> None:
    assert packages(loaded_by(module), "workers") == set()


def test_shared_rendering_loads_no_web_framework_database_driver_or_store() -> None:
    loaded = loaded_by(
        "app.present.labels",
        "app.present.markdown",
        "app.present.statuspage",
        "app.present.times",
    )
    assert packages(loaded, "litestar", "jinja2", "asyncpg", "app.store", "app.api") == set()


def test_the_store_does_not_load_the_shell() -> None:
    assert packages(loaded_by("app.store.rebuild"), "app.handle") == set()
