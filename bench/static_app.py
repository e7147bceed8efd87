"""The status page reads' baseline: the same bytes Herald answered, served from memory.

BENCH_PAGES names a JSON file of {path: [content type, body as text]} that the benchmark
fetched from Herald beforehand; each GET of one of those paths answers its bytes unchanged.
Served by bench/harness.py as `bench.static_app:create_static_app`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from litestar import Litestar, Request, Response, get


def create_static_app() -> Litestar:
    pages = {
        path: (media_type, body.encode())
        for path, (media_type, body) in json.loads(
            Path(os.environ["BENCH_PAGES"]).read_text()
        ).items()
    }

    @get("/{path:path}")
    async def page(request: Request) -> Response:
        media_type, body = pages.get(request.url.path, ("text/plain", b"ok"))
        return Response(body, media_type=media_type)

    return Litestar([page], logging_config=None)
