"""Geometry helpers of the model: polygonal parts of overlay results, the union of many
polygons, and the rule that drops features lying mostly outside a coverage."""

from __future__ import annotations

import numpy as np
import shapely

from .measure import area_km2

__all__ = ["mostly_outside", "polygonal", "polygonal_parts", "union_touching"]


def polygonal(geom):
    """Keep only the polygonal parts of ``geom`` (overlay results may carry lines/points)."""
    if geom is None or geom.is_empty:
        return shapely.Polygon()
    t = geom.geom_type
    if t in ("Polygon", "MultiPolygon"):
        return geom
    if t == "GeometryCollection":  # nested collections too: a polygon two levels down is kept
        parts = [q for q in (polygonal(p) for p in shapely.get_parts(geom)) if not q.is_empty]
        if not parts:
            return shapely.Polygon()
        return shapely.union_all(parts) if len(parts) > 1 else parts[0]
    return shapely.Polygon()


def polygonal_parts(geoms: np.ndarray) -> np.ndarray:
    """Vectorised :func:`polygonal` over an array; non-polygonal results become empty polygons."""
    geoms = np.asarray(geoms, dtype=object)
    types = shapely.get_type_id(geoms)
    out = geoms.copy()
    bad = (types != 3) & (types != 6)  # not a Polygon or MultiPolygon (np.isin: 20x slower here)
    for i in np.flatnonzero(bad):
        out[i] = polygonal(geoms[i])
    return out


def union_touching(geoms: np.ndarray):
    """The union of valid polygonal ``geoms``, in time and memory near-linear in their
    number: an STRtree finds the geometries that touch or overlap another, in chunks, and
    stops counting pairs past 32 a geometry (then everything is unioned); only those that
    meet another are unioned, the others are kept as they are (valid geometries that touch
    nothing make a valid MultiPolygon)."""
    geoms = np.asarray(geoms, dtype=object)
    geoms = geoms[~shapely.is_empty(geoms)]
    if len(geoms) == 0:
        return shapely.Polygon()
    if len(geoms) == 1:
        return geoms[0]
    tree = shapely.STRtree(geoms)
    touching = np.zeros(len(geoms), dtype=bool)
    pairs = 0
    for start in range(0, len(geoms), 4096):
        a, b = tree.query(geoms[start : start + 4096], predicate="intersects")
        pairs += len(a)
        if pairs > 32 * len(geoms):  # crowded: pairs would grow quadratically
            touching[:] = True
            break
        touching[a[a + start != b] + start] = True
    kept = list(shapely.get_parts(geoms[~touching]))
    if touching.any():
        kept += list(shapely.get_parts(polygonal(shapely.union_all(geoms[touching]))))
    return kept[0] if len(kept) == 1 else shapely.multipolygons(kept)


def mostly_outside(geoms: np.ndarray, coverage) -> np.ndarray:
    """Which of ``geoms`` lie mostly outside ``coverage`` (the rule :func:`normalise` drops by).

    Representative point outside and under half the area inside: a political polygon
    over a neighbouring country that grazes the border. Only those whose point lies
    outside are measured; an invalid one is repaired first (reading clipped to an area
    decides on whole features before cutting them).
    """
    geoms = np.asarray(geoms, dtype=object)
    result = np.zeros(len(geoms), dtype=bool)
    if not len(geoms):
        return result
    shapely.prepare(coverage)
    suspects = np.flatnonzero(~shapely.contains(coverage, shapely.point_on_surface(geoms)))
    if suspects.size:
        g = geoms[suspects]
        bad = ~shapely.is_valid(g)
        if bad.any():
            g = g.copy()
            g[bad] = polygonal_parts(shapely.make_valid(g[bad], method="structure", keep_collapsed=False))
        share = area_km2(shapely.intersection(g, coverage)) / np.maximum(area_km2(g), 1e-12)
        result[suspects[share < 0.5]] = True
    return result
