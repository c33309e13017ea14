"""The embedded sample: clips of DeepState archive days around Pokrovsk (GPL-3.0).

Files live in ``data/samples/`` with their provenance and licence (``data/samples/README.md``).
They let ``make demo``, the notebooks and the tests run with no network and no
``../shared/data``.
"""

from __future__ import annotations

from pathlib import Path

from .._resources import data_dir
from ..errors import ArgumentError

__all__ = ["sample_path", "sample_paths"]


def sample_paths() -> list[Path]:
    """All shipped sample releases, oldest first.

    Examples
    --------
    >>> [p.name for p in sample_paths()][:1]
    ['deepstatemap_data_20251001_pokrovsk.geojson']
    """
    return sorted((data_dir() / "samples").glob("deepstatemap_data_*.geojson"))


def sample_path(date: str | None = None) -> Path:
    """The shipped sample for ``date`` (YYYY-MM-DD or YYYYMMDD), or the newest one.

    Examples
    --------
    >>> sample_path("2025-11-27").name
    'deepstatemap_data_20251127_pokrovsk.geojson'
    """
    paths = sample_paths()
    if not paths:
        raise FileNotFoundError(f"no samples shipped in {data_dir() / 'samples'}")
    if date is None:
        return paths[-1]
    key = str(date).replace("-", "")
    for p in paths:
        if key in p.name:
            return p

    raise ArgumentError(f"no shipped sample for {date}; there are: {', '.join(p.name for p in paths)}")
