"""Where links in messages point when PUBLIC_URL is not set, and what the worker says of it."""

from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner

from app.cli import main
from app.config import SettingInvalid, Settings, load_settings
from workers.runner import warn_about


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("0.0.0.0", "http://localhost:8000"),
        ("::", "http://localhost:8000"),
        ("status.internal", "http://status.internal:8000"),
        ("::1", "http://[::1]:8000"),
        ("[::1]", "http://[::1]:8000"),
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


@pytest.mark.parametrize(
    "value",
    [
        "status.example.com",  # no scheme: every "absolute" link would be a relative path
        "ftp://status.example.com",
        "https://",
        "https://status.example.com?x=1",
        "https://status.example.com/#top",
        "https://user:pass@status.example.com",
        "https://status.example.com:99999",
    ],
)
def test_a_public_url_that_cannot_prefix_links_stops_every_command(value: str) -> None:
    with pytest.raises(SettingInvalid, match="PUBLIC_URL must be"):
        load_settings({"PUBLIC_URL": value})
    result = CliRunner().invoke(main, ["migrate"], env={"PUBLIC_URL": value})
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith("Error: PUBLIC_URL must be the http:// or https:// address")


def test_a_public_url_may_carry_a_path_prefix() -> None:
    settings = load_settings({"PUBLIC_URL": "https://example.com/herald/"})
    assert settings.public_base == "https://example.com/herald"
