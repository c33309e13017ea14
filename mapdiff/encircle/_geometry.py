"""Robust set operations on real fronts, and the local equal-area frame, for the encirclement.

Public names here are for :mod:`mapdiff.encircle`'s own modules.
"""

from __future__ import annotations

import numpy as np
import shapely

from ..model.measure import bounds_centre, from_equal_area, to_equal_area


# Real fronts hold rings that touch or nearly overlap; cut by rectangles (clip_by_rect
# does not promise valid output) and projected to metres they can make GEOS's overlay
# fail with a TopologyException ("side location conflict"). Every set operation here
# goes through _overlay: the plain operation first (exact, fast), then on valid inputs,
# then snap-rounded on a grid a billionth of the extent (about a millimetre on a
# front), which GEOS's overlay computes robustly. A GEOS error never reaches the user.
def _overlay(op, a, b):
    try:
        return op(a, b)
    except shapely.errors.GEOSException:
        pass
    a, b = _valid(a), _valid(b)
    try:
        return op(a, b)
    except shapely.errors.GEOSException:
        return _valid(op(a, b, grid_size=_grid(a, b)))


def _valid(g):
    """``g`` made valid where it is not (arrays and single geometries alike)."""
    bad = ~shapely.is_valid(g)
    if np.ndim(bad) == 0:
        return shapely.make_valid(g) if bad else g
    g = np.array(g, dtype=object)
    g[bad] = shapely.make_valid(g[bad])
    return g


def _grid(*geoms) -> float:
    b = shapely.total_bounds(np.asarray([x for g in geoms for x in np.atleast_1d(g)], dtype=object))
    extent = float(np.nanmax(np.abs(b[2:] - b[:2]))) if np.isfinite(b).all() else 1.0
    return max(extent, 1e-6) * 1e-9


def intersection(a, b):
    return _overlay(shapely.intersection, a, b)


def difference(a, b):
    return _overlay(shapely.difference, a, b)


def union(geoms, b=None):
    """Union of two geometries (``union(a, b)``) or of a sequence of them (``union([..])``)."""
    if b is not None:
        return _overlay(shapely.union, geoms, b)
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if not geoms:
        return shapely.Polygon()
    if len(geoms) == 1:
        return geoms[0]
    arr = np.asarray(geoms, dtype=object)
    try:
        return shapely.union_all(arr)
    except shapely.errors.GEOSException:
        pass
    arr = _valid(arr)
    try:
        return shapely.union_all(arr)
    except shapely.errors.GEOSException:
        return _valid(shapely.union_all(arr, grid_size=_grid(arr)))


def clip(layer, area):
    """``layer`` (a geometry, or a tuple of them to join) inside ``area``."""
    if isinstance(layer, tuple):
        return union([intersection(g, area) for g in layer])
    return intersection(layer, area)


def polygons(geom):
    """Polygonal parts of ``geom`` as an array (lines and points dropped)."""
    parts = shapely.get_parts(geom)
    return parts[np.isin(shapely.get_type_id(parts), (3, 6))] if parts.size else parts


class Frame:
    """The local equal-area frame (metres) mapdiff measures an area in, both ways."""

    def __init__(self, geom):
        self.centre = bounds_centre(geom)

    def to_m(self, g):
        return to_equal_area(g, self.centre)

    def to_lonlat(self, g):
        return from_equal_area(g, self.centre)
