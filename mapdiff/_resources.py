"""Where the shipped data lives (``data/`` in a checkout, ``mapdiff/data`` when installed)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_dir() -> Path:
    """The folder holding ``geo/``, ``samples/`` and ``claims/``."""
    checkout = Path(__file__).resolve().parent.parent / "data"
    if (checkout / "geo").is_dir():
        return checkout
    return Path(str(resources.files("mapdiff.data")))
