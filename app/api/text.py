"""Text from a path, a form or a URL: control characters have no place in any of it.

PostgreSQL text cannot hold NUL at all, and no slug, address or URL of Herald's holds any other
control character, so such text is refused here rather than sent to the database.
"""

from __future__ import annotations

import re

from litestar import Request

from app.api.errors import NotFound

# Unicode's Cc category: C0, DEL and C1.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_OR_SPACE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def has_control_or_space(text: str) -> bool:
    """Whether `text` holds a control character or any whitespace, Unicode's included."""
    return _CONTROL_OR_SPACE.search(text) is not None


async def refuse_control_in_path(request: Request) -> None:
    """The application's hook before every request, and the first check of the routers' own
    hook (app.api.auth.authorize): a path with a control character in a parameter names
    nothing, and is answered like a path no route matches."""
    for value in request.path_params.values():
        if isinstance(value, str) and has_control(value):
            raise NotFound("Nothing exists at this address.")
