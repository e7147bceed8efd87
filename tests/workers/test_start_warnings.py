"""Where links in messages point when PUBLIC_URL is not set, and what the worker says of it."""

from __future__ import annotations

import logging

import pytest

from app.config import Settings, load_settings
from workers.runner import warn_about


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("0.0.0.0", "http://localhost:8000"),
        ("::", "http://localhost:8000"),
        ("status.internal", "http://status.internal:8000"),
        ("::1", "http://[::1]:8000"),
    ],
)
def test_links_in_messages_never_point_at_a_wildcard_address(host: str, expected: str) -> None:
    assert load_settings({"HERALD_HOST": host}).base_url == expected


def test_public_url_decides_every_link(caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings({"HERALD_HOST": "0.0.0.0", "PUBLIC_URL": "https://status.example/"})
    assert settings.base_url == "https://status.example"
    assert settings.public_base == "https://status.example"
    with caplog.at_level(logging.WARNING, logger="herald.worker"):
        warn_about(settings)
    assert "PUBLIC_URL" not in caplog.text


def test_the_worker_warns_where_links_point_without_public_url(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(host="0.0.0.0", port=8080)
    assert settings.public_base == ""  # pages: relative links
    with caplog.at_level(logging.WARNING, logger="herald.worker"):
        warn_about(settings)
    [message] = [r.getMessage() for r in caplog.records if "PUBLIC_URL" in r.getMessage()]
    assert "http://localhost:8080" in message
    assert "0.0.0.0" not in caplog.text
