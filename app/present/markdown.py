"""Update bodies are Markdown from the team; render them without letting any HTML through."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token
from markupsafe import Markup

# CommonMark with raw HTML off: "<script>" in a body is shown as text, never run. markdown-it
# also refuses javascript:, vbscript: and data: links by default.
_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def _image_as_link(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """An image becomes a link to it: Herald hosts no images, so every one would load from
    elsewhere when the page or a feed is opened, telling that host who reads it and when."""
    token = tokens[idx]
    src = escapeHtml(str(token.attrGet("src") or ""))
    alt = escapeHtml(self.renderInlineAsText(token.children or [], options, env)) or src
    opened = sum(
        1 if t.type == "link_open" else -1 if t.type == "link_close" else 0 for t in tokens[:idx]
    )
    # Inside a link already: HTML cannot nest links, so the image is just its text.
    return alt if opened > 0 else f'<a href="{src}">{alt}</a>'


_renderer.add_render_rule("image", _image_as_link)


def render_markdown(text: str) -> Markup:
    return Markup(_renderer.render(text))
