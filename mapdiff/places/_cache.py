"""The on-disk cache of fetched place boundaries (read by the gazetteer, written by
:func:`mapdiff.places.boundaries.fetch_footprint`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import shapely

from .. import _dirs, config

OSM_BOUNDARY = "osm_boundary"


def cache_dir() -> Path:
    """The folder fetched footprints are cached in: ``footprints/`` in the cache root (:mod:`mapdiff._dirs`).

    Examples
    --------
    >>> cache_dir().name
    'footprints'
    """
    return _dirs.cache_dir("footprints")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_") or "place"


def cache_file(canon: str) -> Path:
    """The cache file of a canonical place name's fetched boundary (it may not exist)."""
    return cache_dir() / f"{_slug(canon)}.geojson"


def cached_boundary(canon: str) -> tuple[object, dict] | None:
    """(geometry, properties) of a cached fetched boundary of a canonical place name, or None."""
    path = cache_file(canon)
    try:
        stat = path.stat()
    except OSError:
        return None
    got = _read_cached(str(path), stat.st_mtime_ns, stat.st_size)
    return None if got is None else (got[0], dict(got[1]))


@config.cached(maxsize=64)
def _read_cached(path: str, mtime_ns: int, size: int):
    """Parse one cache entry (memoised on path, mtime and size: a rewrite is re-read)."""
    try:
        feat = json.loads(Path(path).read_text(encoding="utf-8"))
        geom = shapely.from_geojson(json.dumps(feat["geometry"]))
        props = dict(feat.get("properties") or {})
    except (OSError, ValueError, KeyError, TypeError, shapely.errors.GEOSException):
        return None  # a damaged cache entry is ignored (fetch again to replace it)
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        return None
    props["cache_file"] = path
    return geom, props
