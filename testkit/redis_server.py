"""A redis-server process of one's own, on a free port, in a temporary directory."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from app.embedded import RedisProcess


class RedisServer(RedisProcess):
    """Stoppable and restartable without disturbing anyone else's Redis."""

    def __init__(self, binary: str = "redis-server") -> None:
        super().__init__(binary, Path(tempfile.mkdtemp(prefix="herald-redis-")))

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
