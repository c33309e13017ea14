"""Areas a source declares it never draws, and how mapdiff infers them.

Profiles name these areas with ``not_drawn`` keys (NZZ/Liveuamap: ``"crimea"``,
``"pre2022"``). Where a map is silent there it reads as its background, so a comparison
with a map that does draw them shows a large disagreement that is a difference of
*scope*, not of assessment. This module decides which of that disagreement is scope,
in a documented way:

``crimea``
    :func:`crimea`: the part of Ukraine's national boundary
    (``data/geo/ukraine_boundary.geojson``) south of the Perekop and Chonhar isthmuses:
    the boundary clipped by three boxes (west of 33.5° E south of 45.9° N, so the
    mainland shore of Karkinit Bay stays out; 33.5–34.1° E south of 46.17° N, the
    Perekop isthmus with Armiansk; east of 34.1° E south of 45.97° N, the Syvash, the
    Chonhar strait and the Arabat Spit).
``pre2022``
    The DeepState archive merges the areas held before 24 Feb 2022 into one polygon, so
    they cannot be read from it. They are inferred from the disagreement itself: a
    connected component of "the other map draws held ground, this map is silent (shows
    its background)" that adjoins Ukraine's land border with Russia
    (:func:`russian_land_border`: the national boundary north of 46.9° N and east of
    33.3° E, within ~500 m) and is at least ``min_km2`` (default 1,000 km²). The
    2014–2022 areas of Donetsk and Luhansk oblasts form one such block behind the
    front; small border strips (Sumy, Kharkiv) stay real. A documented approximation:
    a real disagreement connected to that block would be counted as scope too.

For ``crimea`` the same component logic is used: a component of that disagreement that
overlaps the Crimea polygon is scope as a whole, so the line the two maps draw across
the isthmus, not the box edges above, decides where scope ends.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely

from ..model.measure import _segments, area_km2
from .regions import region

__all__ = ["NOT_DRAWN_KEYS", "crimea", "not_drawn_keys", "russian_land_border", "select_not_drawn"]

NOT_DRAWN_KEYS = ("crimea", "pre2022")
PRE2022_MIN_KM2 = 1000.0
_BORDER_TOL_DEG = 0.005  # ~500 m


@lru_cache(maxsize=1)
def crimea():
    """Crimea as part of Ukraine's national boundary (lon/lat), south of the isthmuses.

    Examples
    --------
    >>> import shapely
    >>> bool(crimea().contains(shapely.Point(34.10, 44.95)))   # Simferopol
    True
    >>> bool(crimea().contains(shapely.Point(34.82, 46.17)))   # Henichesk (Kherson oblast)
    False
    """
    cut = shapely.union_all(
        [
            shapely.box(31.5, 44.0, 33.5, 45.9),
            shapely.box(33.5, 44.0, 34.1, 46.17),
            shapely.box(34.1, 44.0, 37.5, 45.97),
        ]
    )
    geom = shapely.intersection(region("ukraine"), cut)
    shapely.prepare(geom)
    return geom


@lru_cache(maxsize=1)
def russian_land_border():
    """Ukraine's land border with Russia, approximated as its boundary north of 46.9° N, east of 33.3° E."""
    line = shapely.intersection(shapely.boundary(region("ukraine")), shapely.box(33.3, 46.9, 41.0, 52.5))
    shapely.prepare(line)
    return line


@lru_cache(maxsize=1)
def _border_tree():
    """The border's segments in a tree: components far from it are never measured."""
    return shapely.STRtree(_segments(russian_land_border()))


def not_drawn_keys(m) -> tuple[str, ...]:
    """The ``not_drawn`` keys of a map: its own ``not_drawn`` attribute if any, else its profile's."""
    own = getattr(m, "not_drawn", None)
    if own is not None:
        return tuple(own)
    from ..errors import MapdiffError
    from ..profiles import get_profile

    try:
        return tuple(get_profile(m.provenance.profile).not_drawn)
    except MapdiffError:  # a map built in code with no registered profile: nothing declared
        return ()


def select_not_drawn(components, keys, min_km2: float = PRE2022_MIN_KM2) -> np.ndarray:
    """Which connected components of a silent-vs-drawn disagreement are scope.

    Parameters
    ----------
    components : array of Polygons (lon/lat)
        Connected components of the area where the silent map shows its background and
        the other map draws held ground.
    keys : iterable of str
        ``not_drawn`` keys of the silent map.
    min_km2 : float
        Smallest component taken as a pre-2022 area.

    Returns
    -------
    ndarray of bool, one per component.

    Examples
    --------
    >>> import shapely, numpy as np
    >>> select_not_drawn(np.array([shapely.box(34.0, 45.0, 34.2, 45.2)]), ["crimea"]).tolist()
    [True]
    """
    comps = np.asarray(components, dtype=object)
    out = np.zeros(len(comps), dtype=bool)
    if len(comps) == 0:
        return out
    keys = set(keys)
    if "crimea" in keys:
        cr = crimea()
        hit = shapely.intersects(comps, cr)
        inside = hit & shapely.covers(cr, comps)  # no overlay needed for these
        out[inside] = shapely.area(comps[inside]) > 0
        edge = hit & ~inside
        if edge.any():  # the interiors meet: an overlap with area, without making it
            out[edge] = shapely.relate_pattern(comps[edge], cr, "T********")
    if "pre2022" in keys:
        near = np.zeros(len(comps), dtype=bool)
        near[_border_tree().query(comps, predicate="dwithin", distance=_BORDER_TOL_DEG)[0]] = True
        near &= ~out
        if near.any():
            out[near] = area_km2(comps[near]) >= min_km2
    return out
