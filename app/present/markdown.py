"""Update bodies are Markdown from the team; render them without letting any HTML through."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token
from markupsafe import Markup

# CommonMark with raw HTML off: "<script>" in a body is shown as text, never run. markdown-it
# also refuses javascript:, vbscript: and data: links by default, bare ones included.
_renderer = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
_renderer.enable("linkify")
# Only what names its scheme (https://…, mailto:…) or is an address: with fuzzy links on,
# "app.py" or "v1.2" in a body would point at a domain of that name.
_renderer.linkify.set({"fuzzy_link": False})
# Links are the team's or another site's, not endorsed by the page, and never get a handle on it.
REL = "nofollow noopener"


def _link_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    tokens[idx].attrSet("rel", REL)
    return self.renderToken(tokens, idx, options, env)


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
    return alt if opened > 0 else f'<a href="{src}" rel="{REL}">{alt}</a>'


_renderer.add_render_rule("link_open", _link_open)
_renderer.add_render_rule("image", _image_as_link)


def render_markdown(text: str) -> Markup:
    return Markup(_renderer.render(text))
