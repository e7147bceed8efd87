"""Where `herald up` left its services: a file in its data directory that other commands read.

`herald up` writes `.herald/state.json` (mode 0600: it holds SECRET_KEY) once its servers
answer, and removes it when it stops. A `herald` command run with neither DATABASE_URL nor
REDIS_URL set looks for that file in the current directory and its parents and takes from it
every variable the environment does not set. A file left behind by a `herald up` that was
killed is refused with one line, never used silently: its servers are gone.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from pathlib import Path

import msgspec

from app.embedded import answers

STATE_FILE = "state.json"
DATA_DIR = ".herald"  # `herald up`'s default --data-dir, where the other commands look
# What `herald up` hands its API and worker, and so what another command needs to reach them.
VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "SMTP_URL",
    "WEBHOOK_ALLOW_PRIVATE",
)


class LocalState(msgspec.Struct, frozen=True, kw_only=True):
    pid: int  # `herald up`'s own
    api_url: str
    environ: dict[str, str]


class StaleState(Exception):
    """A state file whose `herald up` or servers are gone; the message says what to do."""


def write_state(data_dir: Path, state: LocalState) -> Path:
    """Write the file whole (through a rename), readable by its owner only."""
    path = data_dir / STATE_FILE
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(msgspec.json.encode(state))
    partial.replace(path)
    return path


def remove_state(data_dir: Path, pid: int) -> None:
    """Remove the file if it is still this process's (a later `herald up` may have replaced it)."""
    path = data_dir / STATE_FILE
    if (state := read_state(path)) is not None and state.pid == pid:
        path.unlink(missing_ok=True)


def read_state(path: Path) -> LocalState | None:
    """The file's content; None when there is none, or it is not one `herald up` wrote."""
    try:
        return msgspec.json.decode(path.read_bytes(), type=LocalState)
    except (OSError, msgspec.DecodeError):
        return None


def find_state(start: Path) -> Path | None:
    """`.herald/state.json` in `start` or the nearest directory above it that has one."""
    for directory in (start, *start.parents):
        if (path := directory / DATA_DIR / STATE_FILE).is_file():
            return path
    return None


def running(pid: int) -> bool:
    """Whether a process of this id runs (a `herald up` that was killed leaves its file)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, though another user's
    return True


def is_live(state: LocalState) -> bool:
    """Whether its `herald up` runs and its PostgreSQL and Redis accept connections."""
    return (
        running(state.pid)
        and answers(state.environ.get("DATABASE_URL", ""))
        and answers(state.environ.get("REDIS_URL", ""))
    )


def live_state(path: Path) -> LocalState:
    state = read_state(path)
    if state is None or not is_live(state):
        raise StaleState(
            f"{path} names services that no longer answer (was `herald up` stopped?): "
            "start `herald up` again, or set DATABASE_URL and REDIS_URL"
        )
    return state


def with_local_state(environ: Mapping[str, str], cwd: Path) -> dict[str, str]:
    """`environ`, completed from a running `herald up` when it names neither service."""
    if environ.get("DATABASE_URL") or environ.get("REDIS_URL"):
        return dict(environ)
    path = find_state(cwd)
    if path is None:
        return dict(environ)
    return live_state(path).environ | {k: v for k, v in environ.items() if v}


def export_lines(state: LocalState) -> list[str]:
    """Shell lines that give another program what the `herald` commands take from the file."""
    return [f"export {name}={shlex.quote(value)}" for name, value in state.environ.items()]
