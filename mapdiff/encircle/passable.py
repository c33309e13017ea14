"""The land a way out can use: each map's layers per side and grey policy, and their connected pieces.

Passable land is the defender's (and, with ``grey="passable"``, the grey zone); the
encircler's and any third side's land blocks. The layers and pieces are built once per map
and reused by every place and policy asked of it (:func:`map_layers`, :func:`passable_pieces`,
:func:`largest_area`); :func:`component_index` tells which pieces a geometry shares area with.
"""

from __future__ import annotations

import math
import weakref

import numpy as np
import shapely

from .. import config
from ..model.measure import area_km2, bounds_centre
from ._geometry import polygons, union

__all__ = ["component_index", "largest_area", "map_layers", "passable_pieces"]

#: Whole-map layers per map (a ControlMap is immutable and hashed by identity): the
#: unions of the defender's, the encircler's and the grey land, and the passable land per
#: grey policy, built once per map and reused by every place and policy asked of it.
_LAYERS: weakref.WeakKeyDictionary = config.register_cache(weakref.WeakKeyDictionary())


def map_layers(cmap, by: str, defender: str, grey: str):
    """Defender's land, encircler's land, grey zone and passable land (lon/lat, whole map)."""
    per_map = _LAYERS.setdefault(cmap, {})
    key = (by, defender, grey)
    if key not in per_map:
        if (by, defender) not in per_map:
            per_map[(by, defender)] = _side_layers(cmap, by, defender)
        own, enemy, grey_geom, other_pass = per_map[(by, defender)]
        passable = union([own, *other_pass, grey_geom] if grey == "passable" else [own, *other_pass])
        per_map[key] = own, enemy, grey_geom, passable
    return per_map[key]


def passable_pieces(cmap, passable):
    """Pieces of passable land and their STRtree (cached with the map's layers)."""
    per_map = _LAYERS.setdefault(cmap, {})
    key = ("pieces", id(passable))
    if key not in per_map:
        parts = polygons(passable)
        per_map[key] = parts, shapely.STRtree(parts), passable  # keeps the id's object alive
    return per_map[key][:2]


def largest_area(cmap, own):
    """The defender's largest connected area (cached with the map's layers)."""
    per_map = _LAYERS.setdefault(cmap, {})
    key = ("largest", id(own))
    if key not in per_map:
        same = per_map.get(("pieces", id(own)))  # own is the passable land: its pieces are known
        parts = same[0] if same is not None and same[2] is own else polygons(own)
        per_map[key] = _largest_part(parts), own
    return per_map[key][0]


def _largest_part(parts):
    """The part of largest area in km², measured only for the parts that can be largest.

    A part's km² lies between its area in square degrees times the cosine of its highest
    and of its lowest latitude (1% either way for the ellipsoid): a part whose upper bound
    is below another's lower bound is not measured. The parts measured are projected
    around the centre of them all, as measuring every part would.
    """
    bounds = shapely.bounds(parts)
    deg2 = shapely.area(parts)
    lat = np.radians(np.abs(bounds[:, [1, 3]]))
    crosses = (bounds[:, 1] < 0) & (bounds[:, 3] > 0)
    upper = deg2 * np.where(crosses, 1.0, np.cos(lat.min(axis=1))) * 1.01
    lower = deg2 * np.cos(np.minimum(lat.max(axis=1), math.pi / 2)) * 0.99
    cand = np.flatnonzero(upper >= lower.max())
    km2 = area_km2(parts[cand], centre=bounds_centre(parts))
    return parts[cand[int(np.argmax(km2))]]


def _side_layers(cmap, by: str, defender: str):
    """(defender's land, encircler's land, grey zone, the defender's other passable land)."""
    own, enemy, greys, other_pass = [], [], [], []
    for lab in cmap.all_labels:
        g = cmap.geometry(lab)
        if g is None or g.is_empty:
            continue
        if lab.side == defender and lab.holds:
            own.append(g)
        elif lab.side == defender:  # the defender's own statuses (e.g. advanced): passable
            other_pass.append(g)
        elif lab.side is None:  # grey zone and side-less statuses follow the grey policy
            greys.append(g)
        elif lab.side == by:
            enemy.append(g)
        # a third side blocks: it is simply not passable
    # the encircler's land is only ever looked at near the place: its labels are clipped
    # there and then joined (:func:`clip`), not joined over the whole map
    return union(own), tuple(enemy), union(greys), tuple(other_pass)


def component_index(tree, geom):
    """Indices of the parts in ``tree`` (an STRtree) that share area with ``geom``."""
    parts = tree.geometries
    if parts.size == 0 or geom.is_empty:
        return set()
    hits = tree.query(geom, predicate="intersects")
    if geom.geom_type == "Point":
        return {int(i) for i in hits}
    # Sharing area is the interiors meeting (no overlay built to measure it). Cheap
    # certainties first: the same polygon, or a point inside both interiors.
    cand = parts[hits]
    shared = shapely.equals_exact(cand, geom, 0.0) & (shapely.area(cand) > 0)
    pt = shapely.point_on_surface(geom)
    if shapely.contains_properly(geom, pt):
        shared |= shapely.contains_properly(cand, pt)
    if not shared.all():
        shared[~shared] = shapely.relate_pattern(cand[~shared], geom, "T********")
    return {int(i) for i in hits[shared]}
