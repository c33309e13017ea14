"""The pieces of a comparison: each map tiles the area of interest, the two tilings overlaid
(the tiled path), or only what the maps draw overlaid (the whole-front path)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import shapely

from .. import config
from ..labels import NOT_COVERED
from ..model.control_map import ControlMap
from ..model.measure import area_km2
from ..model.shapes import polygonal, polygonal_parts
from ._common import run_all

if TYPE_CHECKING:
    import pandas as pd


def tiles(m: ControlMap, aoi):
    """``m.partition(aoi)``, completed with NOT_COVERED where the map says nothing."""
    labels, geoms = m.partition(aoi)
    labels, geoms = list(labels), list(geoms)
    if m.coverage is None or m.background is None:
        said = shapely.union_all(np.asarray(geoms, dtype=object)) if geoms else shapely.Polygon()
        rest = polygonal_parts(np.array([shapely.difference(aoi, said)], dtype=object))[0]
        if not rest.is_empty and area_km2(rest) > 0:
            if NOT_COVERED in labels:
                i = labels.index(NOT_COVERED)
                geoms[i] = shapely.union(geoms[i], rest)
            else:
                labels.append(NOT_COVERED)
                geoms.append(rest)
    return labels, np.asarray(geoms, dtype=object)


def overlay(ga, gb):
    """Pairwise intersections of two label partitions: (ia, ib, geoms), empty ones dropped."""
    tree = shapely.STRtree(gb)
    ia, ib = tree.query(ga, predicate="intersects")
    inter = polygonal_parts(shapely.intersection(ga[ia], gb[ib]))
    keep = ~shapely.is_empty(inter)
    return ia[keep], ib[keep], inter[keep]


def robust_intersection(a, b):
    """``shapely.intersection(a, b)``; when GEOS cannot node the inputs (a mitred buffer's
    self-touching corner), again on their valid forms, and at last snapped to 1 mm."""
    try:
        return shapely.intersection(a, b)
    except shapely.errors.GEOSException:
        a, b = shapely.make_valid(a), shapely.make_valid(b)
    try:
        return shapely.intersection(a, b)
    except shapely.errors.GEOSException:
        return shapely.intersection(a, b, grid_size=1e-3)


def explode(idx, geoms):
    parts, src = shapely.get_parts(geoms, return_index=True)
    return idx[src], parts


def dissolve(parts):
    """Union of non-overlapping pieces (a coverage), fast; falls back to a full union.

    Overlay pieces tile the AOI, so GEOS's coverage union (which only merges shared
    edges) applies and is an order of magnitude faster than ``union_all``. When the
    pieces are not exactly noded it refuses (or gives an invalid or short result), and
    the full union is used instead.
    """
    parts = np.asarray(parts, dtype=object)
    if len(parts) < 2:
        return parts[0] if len(parts) else shapely.Polygon()
    try:
        out = shapely.coverage_union_all(parts)
    except shapely.errors.GEOSException:
        out = None
    if out is not None and shapely.is_valid(out):
        total = float(shapely.area(parts).sum())
        if abs(out.area - total) <= 1e-9 * max(total, 1e-12):
            return out
    return shapely.union_all(parts)


def tile_pieces(a: ControlMap, b: ControlMap, geom):
    """Each map tiles ``geom`` (drawn labels, background, not covered); the two tilings
    overlaid: (a's label, b's label, geometry) per piece."""
    la, ga = tiles(a, geom)
    lb, gb = tiles(b, geom)
    ia, ib, inter = overlay(ga, gb)
    la_arr, lb_arr = np.asarray(la, dtype=object), np.asarray(lb, dtype=object)
    return la_arr[ia], lb_arr[ib], inter


def drawn(m: ControlMap):
    labels, geoms = [], []
    for lab, g in zip(m.labels, m.clipped, strict=True):
        if not g.is_empty:
            labels.append(lab)
            geoms.append(polygonal(g))
    return np.asarray(labels, dtype=object), np.asarray(geoms, dtype=object)


def drawn_only(a: ControlMap, b: ControlMap):
    """The pieces of a whole-front comparison from what the two maps draw, or None.

    Applies when both maps speak on one land outline with one background (every map the
    reading pipeline reads with ``coverage = "ukraine"``): each coverage is that land plus
    what the map draws beyond it, so outside both drawings the two maps agree (both imply
    their background) and only the drawings need overlaying. Returns (a's labels, b's
    labels, geometries, rest) where ``rest(centre)`` gives the label, the AOI's km² and a
    function that builds the background cell, the rest of the AOI.
    """
    if a.domain.parts is None or b.domain.parts is None or a.domain.land is not b.domain.land:
        return None
    if a.background is None or a.background != b.background:
        return None
    land = a.domain.land
    la, ga = drawn(a)
    lb, gb = drawn(b)
    pa, pb, out = [], [], []

    def both():
        return overlay(ga, gb) if len(ga) and len(gb) else None

    def alone(mine, geoms, other, flip):
        if not len(geoms):
            return []
        return list(split_beyond(less(geoms, other), mine.domain.beyond, (b if flip else a).background))

    # the three overlays are independent: side by side on threads (GEOS releases the GIL)
    done = run_all([both, partial(alone, a, ga, gb, False), partial(alone, b, gb, ga, True)])
    if done[0] is not None:
        ia, ib, inter = done[0]
        pa.append(la[ia]), pb.append(lb[ib]), out.append(inter)
    # drawn by one map only: where the other speaks (its background) or does not (beyond
    # the land, where only the drawing map speaks)
    for labels, flip, split in ((la, False, done[1]), (lb, True, done[2])):
        for lab_idx, g, other_lab in split:
            mine_lab = labels[lab_idx]
            theirs = np.full(len(g), other_lab, dtype=object)
            pa.append(theirs if flip else mine_lab), pb.append(mine_lab if flip else theirs)
            out.append(g)
    empty = np.array([], dtype=object)
    pa = np.concatenate(pa) if pa else empty
    pb = np.concatenate(pb) if pb else empty
    out = np.concatenate(out) if out else empty
    pa, pb, out = one_piece_per_pair(pa, pb, out)

    def rest(centre):
        """(label, km² of the land and of what a draws past it, the cell's maker). The AOI is
        the land, a's drawing past it and b's past a's coverage (pieces a does not cover)."""
        past_a = a.domain.beyond
        km2 = land_km2(land, centre) + (float(area_km2(past_a, centre=centre)) if past_a is not None else 0.0)

        def cell():
            return polygonal(shapely.difference(land, shapely.union(dissolve(ga), dissolve(gb))))

        return a.background, km2, cell

    return pa, pb, out, rest


#: (id(land), centre to 0.1°) -> (land, km²): one land, many comparisons
_LAND_KM2: dict = config.register_cache({})


def land_km2(land, centre) -> float:
    key = (id(land), round(centre[0], 1), round(centre[1], 1))
    hit = _LAND_KM2.get(key)
    if hit is None or hit[0] is not land:
        if len(_LAND_KM2) > 32:
            _LAND_KM2.clear()
        hit = _LAND_KM2[key] = (land, float(area_km2(land, centre=centre)))
    return hit[1]


def less(geoms, others):
    """``geoms`` (an array) each less the union of ``others`` (a few disjoint labels): one
    label after the other, largest first, which costs less than making their union."""
    if len(others) > 3:
        return polygonal_parts(shapely.difference(geoms, dissolve(others)))
    out = geoms
    for g in sorted(others, key=shapely.get_num_coordinates, reverse=True):
        out = shapely.difference(out, g)
    return polygonal_parts(out)


def owner(parts, comps) -> np.ndarray:
    """Index of the component (a part of the union of ``parts``) each part lies in: the
    one it meets, or of those it meets (a component touching it at a corner) the one it
    shares most area with."""
    pi, ci = shapely.STRtree(comps).query(parts, predicate="intersects")
    out = np.full(len(parts), -1)
    many = np.bincount(pi, minlength=len(parts)) > 1
    one = ~many[pi]
    out[pi[one]] = ci[one]
    if many.any():
        sel = np.flatnonzero(many[pi])
        shared = shapely.area(shapely.intersection(parts[pi[sel]], comps[ci[sel]]))
        order = np.lexsort((-shared, pi[sel]))  # by part, largest shared area first
        first = order[np.r_[True, pi[sel][order][1:] != pi[sel][order][:-1]]]
        out[pi[sel][first]] = ci[sel][first]
    return out


def one_piece_per_pair(pa, pb, geoms):
    """Pieces with the same (a label, b label) joined into one, as one map's tiling gives
    them (a map that draws its background label too has it drawn and implied)."""
    keys = [(x, y) for x, y in zip(pa, pb, strict=True)]
    if len(set(keys)) == len(keys):
        return pa, pb, geoms
    first = {}
    for i, k in enumerate(keys):
        first.setdefault(k, []).append(i)
    rows = list(first.values())
    merged = [geoms[r[0]] if len(r) == 1 else polygonal(shapely.union_all(geoms[r])) for r in rows]
    head = [r[0] for r in rows]
    return pa[head], pb[head], np.asarray(merged, dtype=object)


def split_beyond(geoms, beyond, background):
    """``geoms`` (one map's drawing, undrawn by the other) split where the other map
    speaks (on the land: its ``background``) and where it does not (``beyond``, drawn past
    the land by this map only: ``not_covered``). Yields (index into ``geoms``, one
    (Multi)Polygon per index, the other map's label). Only the polygons that meet
    ``beyond`` are cut."""
    keep = ~shapely.is_empty(geoms)
    idx = np.flatnonzero(keep)
    if beyond is None or not len(idx):
        yield idx, geoms[idx], background
        return
    parts, src = shapely.get_parts(geoms[idx], return_index=True)
    src = idx[src]
    sea = shapely.get_parts(beyond)
    hit_p, hit_s = shapely.STRtree(sea).query(parts, predicate="intersects")
    touched = np.unique(hit_p)
    whole = np.setdiff1d(np.arange(len(parts)), touched)
    if not len(touched):
        yield idx, geoms[idx], background
        return
    # per drawn label, its touched polygons less the parts of ``beyond`` they meet, and the
    # intersections: one overlay per label. Parts of one valid MultiPolygon: any subset of
    # them is one too, no union needed.
    owners = np.unique(src[touched])
    mine = [shapely.multipolygons(parts[touched[src[touched] == i]]) for i in owners]
    near = [shapely.multipolygons(sea[np.unique(hit_s[src[hit_p] == i])]) for i in owners]
    mine, near = np.asarray(mine, dtype=object), np.asarray(near, dtype=object)
    on_land = shapely.difference(mine, near)
    past = shapely.intersection(mine, near)
    yield (*regroup(np.r_[src[whole], owners], np.r_[parts[whole], on_land]), background)
    yield (*regroup(owners, past), NOT_COVERED)


def regroup(owner, geoms):
    """One (Multi)Polygon per owner from pieces of one valid geometry per owner (their
    polygons meet at most in points: a MultiPolygon of them is valid, no union needed)."""
    parts, k = shapely.get_parts(geoms, return_index=True)
    keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    parts, who = parts[keep], owner[k][keep]
    ids = np.unique(who)
    out = np.array([shapely.multipolygons(parts[who == i]) for i in ids], dtype=object)
    return ids, out


class Pieces:
    """The pieces of a comparison: a table (labels, km², cause, class) and one geometry per
    row, some made only when first asked (the background cell of a whole-front
    comparison, the largest and costliest, whose km² is known without it). The table is
    kept as columns (name -> numpy array); its DataFrame is made when first asked, so the
    JSON path never imports pandas."""

    __slots__ = ("_frame", "_geoms", "_lazy", "_projected", "cols")

    def __init__(self, cols: dict, geoms: np.ndarray, lazy: dict, projected: np.ndarray | None = None):
        self.cols, self._geoms, self._lazy, self._frame = cols, geoms, dict(lazy), None
        self._projected = projected  # the geometries in the equal-area projection (None: lazy)

    @property
    def table(self) -> pd.DataFrame:
        """The table as a DataFrame (made once)."""
        if self._frame is None:
            import pandas as pd

            self._frame = pd.DataFrame(self.cols)
        return self._frame

    def geoms(self, rows=None) -> np.ndarray:
        """Geometries of ``rows`` (a boolean mask or indices; all by default)."""
        idx = np.arange(len(self._geoms)) if rows is None else np.arange(len(self._geoms))[rows]
        for i in [i for i in idx if int(i) in self._lazy]:
            self._geoms[i] = self._lazy.pop(int(i))()
        return self._geoms[idx]

    def projected(self, rows, project) -> np.ndarray:
        """Geometries of ``rows`` in the equal-area projection, as the comparison projected
        them to measure their km² (``project(geoms)`` for any it did not keep)."""
        idx = np.arange(len(self._geoms))[rows]
        if self._projected is None:
            return project(self.geoms(idx))
        out = self._projected[idx]
        lazy = shapely.is_missing(out)
        if lazy.any():
            out[lazy] = project(self.geoms(idx[lazy]))
        return out

    def frame(self, rows=None):
        """A GeoDataFrame (EPSG:4326) of ``rows`` (all by default), geometry last."""
        import geopandas as gpd

        t = self.table if rows is None else self.table[rows]
        return gpd.GeoDataFrame(t, geometry=list(self.geoms(rows)), crs="EPSG:4326")
