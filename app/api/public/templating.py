"""The template engine of the public pages and the filters its templates use."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import partial
from pathlib import Path

from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from app.api.public.assets import asset_url
from app.api.public.markdown import render_markdown
from app.domain.page_status import COMPONENT_ORDER

TEMPLATES = Path(__file__).parent / "templates"

STATUS_LABELS = {
    "operational": "Operational",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "full_outage": "Full outage",
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
}

# What every public surface shows in place of a redacted update's body.
REDACTED_NOTICE = "This update was redacted."


def utc(moment: datetime) -> str:
    return moment.strftime("%b %d, %Y %H:%M UTC")


def worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=COMPONENT_ORDER.index, default="operational")


def template_config(public_base: str) -> TemplateConfig:
    """`public_base` is Settings.public_base: what every address in a page starts with."""

    def register(engine: JinjaTemplateEngine) -> None:
        engine.engine.filters.update(markdown=render_markdown, utc=utc, worst=worst)
        engine.engine.globals.update(
            labels=STATUS_LABELS,
            redacted_notice=REDACTED_NOTICE,
            asset=partial(asset_url, public_base),
        )

    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=register)
