"""Named regions shipped in ``data/geo/``: the coverage of maps that draw one side only.

Two outlines of Ukraine, Crimea included (sources and licences in ``data/geo/README.md``):

- ``region("ukraine")``: the internationally recognised **land** boundary, simplified from
  "National Boundary, Ukraine, 2015" (Hijmans and UC Berkeley MVZ; free use with credit);
- ``region("ukraine_maritime")``: the boundary **with internal waters, lagoons (Syvash),
  estuaries and the 12-nautical-mile territorial sea**, simplified from OpenStreetMap's
  admin_level 2 maritime boundary of November 2017 (ODbL 1.0, © OpenStreetMap contributors).

Sources draw their polygons on their own base maps, over lagoons, estuaries and coastal
water. So a map whose profile names the coverage ``"ukraine"`` speaks as follows
(:func:`speaking_coverage`, used by the one reading pipeline in :mod:`mapdiff.io.read`):

- what it **draws** is kept wherever it lies inside Ukraine in the wider sense
  (:func:`drawn_extent`: the land outline plus the maritime outline's water within about
  2 km of it — lagoons, estuaries, coastal water, and the slivers where the two outlines'
  land borders disagree) and dropped only outside it (polygons over Russia; open sea,
  which no source's base map makes land, even when a map paints it);
- what it **implies** where it draws nothing (its background) covers the **land** outline
  only: undrawn sea is never held by anyone.

Percentages "of Ukraine" use the official area, :data:`OFFICIAL_AREA_KM2` (603,628 km²),
not the area of either outline.
"""

from __future__ import annotations

import json

import numpy as np
import shapely

from .. import config
from .._resources import data_dir
from ..errors import UnknownPlaceError

__all__ = [
    "OFFICIAL_AREA_KM2",
    "available_regions",
    "drawn_beyond",
    "drawn_extent",
    "region",
    "share_of_region",
    "speaking_coverage",
]

_FILES = {"ukraine": "ukraine_boundary.geojson", "ukraine_maritime": "ukraine_maritime.geojson"}
#: the outline a region's drawn land may reach beyond its land outline
_WATERS = {"ukraine": "ukraine_maritime"}
#: how far (degrees, about 2 km) beyond the land outline drawn polygons count: enough for
#: every lagoon, estuary and coastline a source's base map draws as land (DeepState
#: 2025-11-27 keeps the same km² as with the whole maritime outline), not the open sea
_COASTAL_BAND_DEG = 0.02
#: official areas (km²) for percentages "of <region>": Ukraine's 603,628 km², Crimea included
OFFICIAL_AREA_KM2 = {"ukraine": 603_628.0}
#: changes whenever the shipped outlines or the rule above change (part of cache keys)
GEOGRAPHY_VERSION = "land-2015+maritime-osm2017-band0.02-2"


@config.cached(maxsize=8)
def region(name: str):
    """The shipped polygon of a named region (lon/lat, prepared for fast predicates).

    Examples
    --------
    >>> region("ukraine").geom_type, region("ukraine_maritime").geom_type
    ('MultiPolygon', 'Polygon')
    """
    key = name.lower()
    if key not in _FILES:
        raise UnknownPlaceError(f"no shipped region {name!r}; known: {', '.join(sorted(_FILES))}")
    geom, _ = _first_feature(data_dir() / "geo" / _FILES[key])
    shapely.prepare(geom)
    return geom


def _first_feature(path):
    """(geometry, properties) of the first feature of a shipped GeoJSON file."""
    feature = json.loads(path.read_text(encoding="utf-8"))["features"][0]
    return shapely.from_geojson(json.dumps(feature["geometry"])), feature.get("properties") or {}


@config.cached(maxsize=8)
def drawn_extent(name: str):
    """Where a map's drawn polygons count for a region: its land plus its coastal waters.

    The land outline ∪ (the maritime outline within about 2 km of the land outline):
    lagoons (Syvash), estuaries, coastal water and border slivers, not the open sea.
    For a region without a maritime outline this is the region itself.

    Examples
    --------
    >>> from mapdiff.model.measure import area_km2
    >>> round(area_km2(drawn_extent("ukraine")) - area_km2(region("ukraine")), -1)
    6660.0
    """
    key = name.lower()
    land = region(key)
    if key not in _WATERS:
        return land
    geom = _shipped_extent(key)
    if geom is None:
        geom = _make_extent(key)
    shapely.prepare(geom)
    return geom


#: the drawn extent as shipped (tools/make_drawn_extent.py): made once, read in 5 ms instead
#: of buffering the whole land outline (~0.1 s) in every process that reads a map
_EXTENT_FILES = {"ukraine": "ukraine_drawn_extent.geojson"}


def _make_extent(key: str):
    """The land outline ∪ (the maritime outline ∩ the land outline grown by the band)."""
    land = region(key)
    band = shapely.buffer(land, _COASTAL_BAND_DEG, quad_segs=4)
    return shapely.union(land, shapely.intersection(region(_WATERS[key]), band))


def _shipped_extent(key: str):
    """The shipped drawn extent of ``key`` when it was made from today's outlines and rule
    (its ``geography_version`` property), else None (then it is made here)."""
    path = data_dir() / "geo" / _EXTENT_FILES.get(key, "-")
    if not path.is_file():
        return None
    geom, props = _first_feature(path)
    return geom if props.get("geography_version") == GEOGRAPHY_VERSION else None


def speaking_coverage(land, drawn):
    """The coverage of a map: its land outline plus everything it draws (already clipped).

    ``land`` is where the map's background speaks; ``drawn`` is an array (or one geometry)
    of its drawn polygons, clipped to the drawn extent. The map's background is then
    ``land − drawn`` and no drawn land is lost.

    Examples
    --------
    >>> import shapely
    >>> cov = speaking_coverage(shapely.box(0, 0, 1, 1), [shapely.box(0.5, 0.5, 1.5, 1)])
    >>> round(cov.area, 2)
    1.25
    """
    beyond = drawn_beyond(land, drawn)
    if beyond is None:
        return land
    cov = shapely.union(land, beyond)
    shapely.prepare(cov)
    return cov


def drawn_beyond(land, drawn):
    """What is drawn beyond ``land`` (a MultiPolygon), or None when everything drawn lies
    on ``land``: a map's coverage is ``land`` ∪ that (:func:`speaking_coverage`).

    Only the drawn parts ``land`` does not cover are cut; the polygons left beyond it are
    parts of one valid geometry, so they make a valid MultiPolygon without a union.
    """
    parts = np.asarray(drawn, dtype=object).ravel()
    parts = parts[~shapely.is_empty(parts)] if parts.size else parts
    if not parts.size:
        return None
    drawn_all = parts[0] if len(parts) == 1 else shapely.union_all(parts)
    pieces = shapely.get_parts(drawn_all)
    pieces = pieces[shapely.get_type_id(pieces) == 3]
    out = pieces[~shapely.covers(land, pieces)]
    if not out.size:
        return None
    # only what is drawn beyond the land is added: a map drawn on land keeps the land
    # outline itself (the same object, so maps of one region still share their coverage)
    beyond = _beyond_as_before(land, out)
    if beyond is None:
        beyond = shapely.difference(shapely.multipolygons(out), land)
        polys = [p for p in shapely.get_parts(beyond) if p.geom_type == "Polygon" and p.area > 0]
        beyond = shapely.multipolygons(polys) if polys else False
    _LAST_BEYOND[:] = [land, list(out), beyond]
    return None if beyond is False else beyond


#: [land, the pieces not on it, their part beyond it (False: none)]
_LAST_BEYOND: list = config.register_cache([])


def _beyond_as_before(land, out):
    """The drawing beyond ``land`` of the last call on this very ``land``, when the pieces
    ``out`` differ from that call's only inside the land: None when that is not certain.

    Consecutive releases of a source redraw the front, far inland, and keep the coast:
    ``out − land`` is then the same point set, and the overlay with the coast (the cost of
    reading a whole-front release: the two boundaries cross thousands of times) is not
    made again. Certain when each piece has the same holes and an outer ring that differs
    only in one run of vertices (the rest, before and after it, the same) whose old and new
    coordinates lie in a box the land's interior contains: the two rings then enclose
    between them a region inside that box, so the pieces differ only there.
    """
    last = list(_LAST_BEYOND)
    if len(last) != 3 or last[0] is not land or len(last[1]) != len(out):
        return None
    shapely.prepare(land)
    for old, new in zip(last[1], out, strict=True):
        if old.equals_exact(new, 0.0):
            continue
        if not _differ_inside(old, new, land):
            return None
    return last[2]


def _differ_inside(old, new, land) -> bool:
    """True when polygons ``old`` and ``new`` differ only within a box inside ``land``."""
    if old.geom_type != "Polygon" or new.geom_type != "Polygon":
        return False
    if len(old.interiors) != len(new.interiors) or not all(
        a.equals_exact(b, 0.0) for a, b in zip(old.interiors, new.interiors, strict=True)
    ):
        return False
    a = shapely.get_coordinates(old.exterior)
    b = shapely.get_coordinates(new.exterior)
    n = min(len(a), len(b))
    same = (a[:n] == b[:n]).all(axis=1)
    head = n if same.all() else int(np.argmin(same))  # leading vertices in common
    same = (a[::-1][:n] == b[::-1][:n]).all(axis=1)
    tail = n if same.all() else int(np.argmin(same))  # trailing vertices in common
    if head == 0 or tail == 0 or head + tail > n:
        return False
    arcs = np.vstack([a[head - 1 : len(a) - tail + 1], b[head - 1 : len(b) - tail + 1]])
    pad = 1e-9  # a box of a straight run is not flat
    box = shapely.box(*(arcs.min(axis=0) - pad), *(arcs.max(axis=0) + pad))
    return bool(shapely.contains_properly(land, box))


def share_of_region(km2: float, name: str = "ukraine") -> float:
    """``km2`` as a share of a region's official area (Ukraine: 603,628 km²).

    Examples
    --------
    >>> round(share_of_region(120_725.6), 4)
    0.2
    """
    key = name.lower()
    if key not in OFFICIAL_AREA_KM2:
        raise UnknownPlaceError(
            f"no official area for {name!r}; known: {', '.join(sorted(OFFICIAL_AREA_KM2))}"
        )
    return float(km2) / OFFICIAL_AREA_KM2[key]


def available_regions() -> list[str]:
    """Names accepted by :func:`region`."""
    return sorted(_FILES)
