"""The `herald` executable: loads the command line, and turns a Ctrl-C during that into exit 130.

Loading app.cli takes a moment (asyncpg, click, the store); a Ctrl-C then would otherwise end
in a KeyboardInterrupt traceback. Once click runs, it and `herald up` handle Ctrl-C themselves.
"""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from app.cli import main as herald
    except KeyboardInterrupt:
        sys.exit(130)  # 128 + SIGINT, as a shell reports an interrupted program
    herald()
