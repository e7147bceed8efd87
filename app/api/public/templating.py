"""The template engine of the public pages and the filters its templates use."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from app.api.public.assets import asset_url
from app.domain.page_status import worst_component_state
from app.present.labels import REDACTED_NOTICE, STATUS_LABELS, uptime_percent
from app.present.markdown import render_markdown
from app.present.times import utc

TEMPLATES = Path(__file__).parent / "templates"


def template_config(public_base: str) -> TemplateConfig:
    """`public_base` is Settings.public_base: what every address in a page starts with."""

    def register(engine: JinjaTemplateEngine) -> None:
        engine.engine.filters.update(
            markdown=render_markdown, utc=utc, worst=worst_component_state, percent=uptime_percent
        )
        engine.engine.globals.update(
            labels=STATUS_LABELS,
            redacted_notice=REDACTED_NOTICE,
            asset=partial(asset_url, public_base),
        )

    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=register)
