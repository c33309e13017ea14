"""Named regions shipped in ``data/geo/``: the coverage of maps that draw one side only.

``region("ukraine")`` is Ukraine's internationally recognised boundary (Crimea
included), simplified from "National Boundary, Ukraine, 2015" (Hijmans and UC Berkeley
MVZ; free use with credit; see ``data/geo/README.md``).
"""

from __future__ import annotations

import json
from functools import lru_cache

import shapely

from .._resources import data_dir
from ..errors import UnknownPlaceError

__all__ = ["available_regions", "region"]

_FILES = {"ukraine": "ukraine_boundary.geojson"}


@lru_cache(maxsize=8)
def region(name: str):
    """The shipped polygon of a named region (lon/lat, prepared for fast predicates).

    Examples
    --------
    >>> region("ukraine").geom_type
    'MultiPolygon'
    """
    key = name.lower()
    if key not in _FILES:
        raise UnknownPlaceError(f"no shipped region {name!r}; known: {', '.join(sorted(_FILES))}")
    data = json.loads((data_dir() / "geo" / _FILES[key]).read_text(encoding="utf-8"))
    geom = shapely.from_geojson(json.dumps(data["features"][0]["geometry"]))
    shapely.prepare(geom)
    return geom


def available_regions() -> list[str]:
    """Names accepted by :func:`region`."""
    return sorted(_FILES)
