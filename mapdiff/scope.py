"""Areas a map never draws (its *scope*), built as geometry so comparisons can set them apart.

Profiles declare in words what a source leaves out (``not_drawn = ["crimea",
"pre2022"]`` for NZZ/Liveuamap, which draws only what changed since 24 February 2022).
This module turns those keys into polygons:

``crimea``
    :func:`crimea`: the part of the shipped national boundary south of the Perekop
    isthmus and the Syvash, without the mainland's Arabat spit. The shipped boundary
    counts the Syvash lagoon as land, so the area (about 26,700 km²) is close to
    Crimea's official 26,945 km² (Republic + Sevastopol) but the line through the lagoon
    is an approximation.
``pre2022``
    Inferred, an approximation: the archive of the other map merges the areas held
    before 2022 into Russian-held land, and the not-drawing map leaves them as its
    background. :func:`infer_pre2022` takes the connected components of the
    disagreement where the other map says a side holds the land and the not-drawing map
    says its background, and keeps those that touch the Russian state border (the
    national boundary's edge east of 37.5° E and north of 47° N, in Donetsk and
    Luhansk oblasts). A front-line disagreement that happens to reach the border would
    be counted as scope too; the sources' own API forms (DeepState's
    ``territories.ordlo``) would be exact where available.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely

from .measure import area_km2
from .regions import region

__all__ = ["crimea", "infer_pre2022", "not_drawn_area", "russian_border"]

# Perekop isthmus, across the Syvash to the Arabat spit at ~45.95° N (lon, lat)
_CRIMEA_CUT = [(32.4, 44.0), (36.7, 44.0), (36.7, 45.95), (35.0, 45.95), (34.5, 45.98),
               (34.0, 46.05), (33.75, 46.15), (32.4, 46.15)]
_BORDER_BOX = (37.5, 47.0, 40.5, 50.5)
_TOUCH_DEG = 0.002  # ~200 m: a component this close to the border touches it


@lru_cache(maxsize=1)
def crimea():
    """Crimea as a lon/lat polygon, cut from the shipped national boundary.

    Returns
    -------
    shapely Polygon

    Examples
    --------
    >>> from mapdiff.measure import area_km2
    >>> 26000 < area_km2(crimea()) < 27500
    True
    """
    parts = shapely.get_parts(shapely.intersection(region("ukraine"), shapely.Polygon(_CRIMEA_CUT)))
    parts = parts[shapely.get_type_id(parts) == 3]
    geom = parts[int(np.argmax(area_km2(parts)))]
    shapely.prepare(geom)
    return geom


@lru_cache(maxsize=1)
def russian_border():
    """The national boundary's edge against Russia in Donetsk and Luhansk (lon/lat lines).

    Approximation: the boundary east of 37.5° E and north of 47° N (it includes a short
    stretch of the Azov coast east of Mariupol).
    """
    edge = shapely.intersection(shapely.boundary(region("ukraine")), shapely.box(*_BORDER_BOX))
    shapely.prepare(edge)
    return edge


def infer_pre2022(geoms) -> np.ndarray:
    """Which connected components of ``geoms`` (lon/lat polygons) touch the Russian border.

    Parameters
    ----------
    geoms : array of shapely Polygons
        Disagreement pieces where the other map says a side holds the land and the
        not-drawing map says its background.

    Returns
    -------
    ndarray of Polygons
        The connected components (unions of touching pieces) that reach the border.
    """
    geoms = np.asarray(geoms, dtype=object)
    if geoms.size == 0:
        return geoms
    comps = shapely.get_parts(shapely.union_all(geoms))
    comps = comps[shapely.get_type_id(comps) == 3]
    border = russian_border()
    if border.is_empty:
        return comps[:0]
    touch = shapely.dwithin(comps, border, _TOUCH_DEG)
    return comps[touch]


def _not_drawn_keys(m) -> tuple[str, ...]:
    from .errors import MapdiffError
    from .profiles import get_profile

    try:
        return tuple(get_profile(m.source).not_drawn)
    except MapdiffError:
        return ()


def not_drawn_area(m, other, aoi, parts, own, other_labels, cause):
    """The area ``m`` never draws inside ``aoi``, and notes saying how it was built.

    Parameters
    ----------
    m, other : ControlMap
        The map whose profile declares ``not_drawn``, and the map it is compared with.
    aoi : shapely geometry
    parts, own, other_labels, cause : arrays
        The comparison's pieces, m's label and the other map's label per piece, and the
        cause so far.

    Returns
    -------
    (geometry or None, list of str)
    """
    keys = _not_drawn_keys(m)
    if not keys:
        return None, []
    regs, notes = [], []
    cr = crimea()
    if "crimea" in keys and shapely.intersects(aoi, cr):
        regs.append(shapely.intersection(cr, aoi))
        notes.append(f"{m.source} does not draw Crimea: disagreement there is scope "
                     "(Crimea cut from the national boundary at Perekop and the Syvash)")
    if "pre2022" in keys and m.background is not None:
        bg = np.fromiter((lab == m.background for lab in own), bool, len(own))
        held = np.fromiter((lab.holds and lab.side != m.background.side for lab in other_labels),
                           bool, len(other_labels))
        sel = bg & held & (cause == "real")
        cand = parts[sel]
        if "crimea" in keys and len(cand):
            cand = cand[~shapely.within(cand, cr)]
        found = infer_pre2022(cand)
        if len(found):
            regs.append(shapely.union_all(found))
            notes.append(
                f"{m.source} does not draw areas held before 2022: inferred (approximation) as the "
                f"{len(found)} component(s) where {other.source} says held and {m.source} says "
                f"{m.background} that touch the Russian border; {float(area_km2(found).sum()):,.1f} km²")
    if not regs:
        return None, notes
    return shapely.union_all(regs), notes
