"""What ``mapdiff update`` has processed (``SITE/state.json``) and the lock of one run at a time.

The state is a plain JSON document, written atomically and last in a run: a run killed
before it leaves the old state, and the rerun redoes the same releases and writes the
same files. It holds nothing from the wall clock, so it is part of the deterministic site.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import time
from pathlib import Path

from .._json import SCHEMA_VERSION
from ..errors import ArgumentError, MapdiffError
from ..io.atomic import write_text

__all__ = ["empty_state", "load_state", "lock", "save_state"]

STATE_TYPE = "update_state"


def empty_state() -> dict:
    return {"schema_version": SCHEMA_VERSION, "type": STATE_TYPE, "sources": {}}


def load_state(site: Path) -> dict:
    """``SITE/state.json``, or an empty state when there is none."""
    path = Path(site) / "state.json"
    if not path.exists():
        return empty_state()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArgumentError(
            f"{path} is unreadable ({exc}); delete it (and the site) to rebuild from scratch"
        ) from None
    if (
        not isinstance(data, dict)
        or data.get("type") != STATE_TYPE
        or not isinstance(data.get("sources"), dict)
    ):
        raise ArgumentError(f"{path} is not a mapdiff update state; delete it to rebuild from scratch")
    return data


def dumps(obj) -> str:
    """The one JSON form of the site: sorted keys, two-space indent, UTF-8, a final newline."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def save_state(site: Path, state: dict) -> Path:
    path = Path(site) / "state.json"
    write_text(path, dumps(state))
    return path


class BusyError(MapdiffError):
    """Another ``mapdiff update`` holds the site's lock."""


@contextlib.contextmanager
def lock(site: Path, wait_s: float = 0.0):
    """Hold ``SITE/.update.lock`` (fcntl) for the run; wait up to ``wait_s`` seconds for it.

    The lock is released by the kernel when the process ends, however it ends (``kill -9``
    included): a crashed run never leaves the site locked.
    """
    site = Path(site)
    site.mkdir(parents=True, exist_ok=True)
    path = site / ".update.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + max(0.0, wait_s)
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise BusyError(
                        f"another mapdiff update is running on {site} (lock {path}); "
                        "let it finish, or pass --wait SECONDS to wait for it"
                    ) from None
                if not told:
                    print(f"mapdiff update: waiting for another run on {site} ...", file=sys.stderr)
                    told = True
                time.sleep(0.2)
        yield path
    finally:
        os.close(fd)
