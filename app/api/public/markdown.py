"""Update bodies are Markdown from the team; render them without letting any HTML through."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

# CommonMark with raw HTML off: "<script>" in a body is shown as text, never run. markdown-it
# also refuses javascript:, vbscript: and data: links by default.
_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render_markdown(text: str) -> Markup:
    return Markup(_renderer.render(text))
