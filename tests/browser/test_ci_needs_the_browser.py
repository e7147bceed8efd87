"""Without chromium the browser tests skip on a developer's machine, and fail under CI=true:
a green CI run always means they ran."""

from __future__ import annotations

import pytest

from tests.browser.conftest import require_browser

NOWHERE = "/nonexistent/chromium"


@pytest.mark.parametrize("value", ["true", "TRUE", "1"])
def test_under_ci_a_missing_browser_fails_the_test(value: str) -> None:
    with pytest.raises(pytest.fail.Exception, match=f"chromium is not installed at {NOWHERE}"):
        require_browser({"CI": value}, NOWHERE)


@pytest.mark.parametrize("environ", [{}, {"CI": ""}, {"CI": "false"}, {"CI": "0"}])
def test_elsewhere_a_missing_browser_skips_the_test(environ: dict[str, str]) -> None:
    with pytest.raises(pytest.skip.Exception, match="chromium is not installed"):
        require_browser(environ, NOWHERE)
