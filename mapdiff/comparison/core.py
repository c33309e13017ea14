"""Compare two (or more) control maps: overlap, disagreement, scope and noise, class by class.

Design
------
1. The area of interest (AOI) is resolved to one lon/lat geometry (a Footprint, a
   geometry, a place name, or by default the union of both maps' extents).
2. Each map tiles the AOI with :meth:`ControlMap.partition` (drawn labels, background,
   ``not_covered``), so every overlay below is already clipped to the AOI.
3. The two label partitions are overlaid with vectorised shapely: an STRtree query gives
   the intersecting (a-label, b-label) pairs, one ``shapely.intersection`` call over the
   pair arrays gives the pieces.
4. Every disagreeing piece is split into its parts and given a cause:
   ``scope`` (one map does not cover it, or it lies in an area the map's profile
   declares it never draws — see :mod:`mapdiff.places.scope`), ``noise`` (a part thinner than
   ``noise_m``: it vanishes under a negative buffer of ``noise_m / 2`` in the local
   equal-area projection) or ``real``.
5. ALL pieces are measured in ONE :func:`~mapdiff.model.measure.area_km2` call (one
   projection), so the cross-tabulation adds up to the AOI.

Whole front: two maps read on one land outline (every profile with ``coverage =
"ukraine"``) with one background, compared over their extent, skip steps 2–3: each
coverage is the land plus what the map draws past it, so outside both drawings both maps
imply their background and agree. Only the drawings are overlaid (drawn ∩ drawn, each
drawing less the other's, cut where it lies past the land: there the other map says
nothing); the rest of the AOI is one agreeing piece whose km² is the AOI's less the
drawn pieces and whose geometry (land less both drawings), like the AOI itself, is made
only when asked (a plot, the GeoPackage, :attr:`Comparison.pieces`). The two paths cut
the same areas in another order: their crosstabs differ by rounding (under 1e-3 km² per
cell on the whole front; tests and ``make bench`` check it).

Metrics are derived lazily from the pieces: IoU per label; Pontius' quantity,
exchange and shift (diffeR's ``categoryComponentsPlot``/``overallComponentsPlot``
definitions, on km² instead of pixels); front-line displacement per side (points
sampled along one map's boundary of a side's control, distance to the other map's
boundary, both directions, in metres in the equal-area projection; boundary parts on
the AOI's edge or on scope pieces are left out); a tolerance curve (the vector
analogue of fuzzy kappa: the non-scope disagreement that survives a morphological
opening of radius d/2, i.e. what is left when boundaries within d of each other count as
agreeing); and the real disagreement as connected components with the nearest
gazetteer place.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import TYPE_CHECKING

import numpy as np
import shapely

from .._geo import GeoResult
from .._json import SCHEMA_VERSION, iso, jsonable
from ..errors import ArgumentError, EmptyMapError
from ..labels import NOT_COVERED, Label
from ..model.classes import classify_pieces, comparison_sides, source_lean, source_name
from ..model.control_map import ControlMap
from ..model.measure import area_km2, inverse_transformer, segments, to_equal_area
from ..model.shapes import polygonal, polygonal_parts
from ..places.gazetteer import towns
from ..places.scope import not_drawn_keys, select_not_drawn

if TYPE_CHECKING:  # pandas is imported where a DataFrame is made: not on the compare --json path
    import pandas as pd

__all__ = [
    "CLASSES",
    "Comparison",
    "ManyComparison",
    "classify_pieces",
    "compare",
    "compare_many",
    "line_displacement",
]

TOLERANCES_M = (0.0, 100.0, 250.0, 500.0, 1000.0, 2000.0)
_COMPONENT_COLS = ["rank", "area_km2", "a_label", "b_label", "lon", "lat", "place", "place_km", "geometry"]
_DISPLACEMENT_COLS = ["side", "median_km", "p90_km", "max_km", "max_lon", "max_lat", "n_points"]
#: Disagreement classes of a piece (column ``class`` of :attr:`Comparison.pieces`), in legend order.
CLASSES = (
    *("both_a", "both_b", "only_1_a", "only_2_a"),
    *("grey_1_a", "grey_2_a", "grey_1_b", "grey_2_b", "grey_both", "grey"),
    *("other", "out_of_scope"),
)


# --------------------------------------------------------------------------- classes
def _label_str(status, side) -> str:
    return f"{status}:{side}" if isinstance(side, str) else status


def _lab(status, side) -> Label:
    return Label(status, side if isinstance(side, str) else None)  # pandas turns None into NaN


#: Threads for the independent GEOS steps of a comparison's JSON (shapely releases the GIL
#: inside GEOS, so they run side by side on a machine's cores); 1 runs them in turn.
THREADS = min(4, os.cpu_count() or 1)


def _run_all(fns) -> list:
    """Call each function (no arguments) and return their results in order: on up to
    :data:`THREADS` threads, or in turn. The results are those of the calls in turn (each
    call computes what it would alone; none writes what another reads)."""
    fns = list(fns)
    n = min(THREADS, len(fns))
    if n <= 1:
        return [f() for f in fns]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(n, thread_name_prefix="mapdiff-compare") as ex:
        return [f.result() for f in [ex.submit(f) for f in fns]]


def _group_sum(keys, values) -> dict:
    """{key: sum of its values}, keys in order of first appearance, summed as pandas'
    ``groupby(...).sum()`` sums (row order, Kahan-compensated): the JSON path gets the
    DataFrame methods' numbers to the last bit without importing pandas."""
    sums: dict = {}
    comp: dict = {}
    for k, v in zip(keys, values, strict=True):
        s, c = sums.get(k, 0.0), comp.get(k, 0.0)
        y = float(v) - c
        t = s + y
        comp[k] = (t - s) - y
        sums[k] = t
    return sums


def _json_records(cols: dict, n: int | None = None) -> list[dict]:
    """Rows of a table given as columns (name -> array) as JSON records: floats (NaN as
    None), numpy integers as ints, as ``DataFrame.to_dict(orient="records")`` gives them."""

    def conv(v):
        if isinstance(v, (float, np.floating)):
            return float(v) if np.isfinite(v) else None
        if isinstance(v, (np.integer, np.bool_)):
            return v.item()
        return v

    names = list(cols)
    rows = len(next(iter(cols.values()))) if cols else 0
    rows = rows if n is None else min(rows, n)
    return [{k: conv(cols[k][i]) for k in names} for i in range(rows)]


def _aoi_dict(fp) -> dict | None:
    """What a JSON result says of a place AOI (None for a bare geometry or the maps' extent)."""
    if fp is None:
        return None
    return {
        "name": fp.name,
        "footprint_kind": fp.kind,
        "approximate": fp.approximate,
        "upper_bound": fp.upper_bound,
        "area_km2": float(fp.area_km2),
        "provenance": fp.provenance,
    }


def _aoi_html(fp) -> str:
    if fp is None:
        return ""
    flag = " <b style='color:#b00'>(approximate footprint)</b>" if fp.approximate else ""
    return f" ({html.escape(fp.name)}, {html.escape(fp.kind)}){flag}"


def _names_place(aoi) -> bool:
    """True when an AOI argument names a place (place name, polygon file, Footprint), which
    outputs then name (and flag when approximate); a bare geometry names none."""
    from pathlib import Path

    from ..places.footprints import Footprint

    return isinstance(aoi, (str, Path, Footprint))


def _aoi_place(aoi):
    """The Footprint an AOI argument names (place name, polygon file, Footprint), else None."""
    from ..places.footprints import as_footprint

    return as_footprint(aoi) if _names_place(aoi) else None


def _resolve_aoi(aoi, maps):
    """AOI as a lon/lat geometry: Footprint / geometry / place name / None (union of extents)."""
    if aoi is None:
        feet = [m.footprint for m in maps]
        first = feet[0]
        # maps of one region share its (cached) boundary: skip a costly union of equals
        same = all(f is first or shapely.equals(f, first) for f in feet[1:])
        geom = first if same else shapely.union_all(np.asarray(feet, dtype=object))
    elif (place := _aoi_place(aoi)) is not None:
        geom = place.geometry
    else:
        geom = getattr(aoi, "geometry", aoi)
    if not isinstance(geom, shapely.Geometry):
        raise ArgumentError(
            f"aoi must be a Footprint, a shapely geometry (lon/lat) or a place name, got {type(aoi).__name__}"
        )
    if shapely.get_type_id(geom) not in (3, 6, 7):
        raise ArgumentError(f"aoi must be polygonal, got a {geom.geom_type}")
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    geom = polygonal_parts(np.array([geom], dtype=object))[0]
    if geom.is_empty or area_km2(geom) <= 0:
        raise EmptyMapError(
            "the area of interest is empty: give a polygon with area, or maps that cover something"
        )
    return geom


def _tiles(m: ControlMap, aoi):
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


def _overlay(la, ga, lb, gb):
    """Pairwise intersections of two label partitions: (ia, ib, geoms), empty ones dropped."""
    tree = shapely.STRtree(gb)
    ia, ib = tree.query(ga, predicate="intersects")
    inter = polygonal_parts(shapely.intersection(ga[ia], gb[ib]))
    keep = ~shapely.is_empty(inter)
    return ia[keep], ib[keep], inter[keep]


def _robust_intersection(a, b):
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


def _explode(idx, geoms):
    parts, src = shapely.get_parts(geoms, return_index=True)
    return idx[src], parts


def _dissolve(parts):
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


def _sample_lines(lines, step: float) -> np.ndarray:
    """Points along every part of (multi)line geometries: each part cut into
    ``ceil(length / step)`` equal pieces (at least one), both ends included.

    The same points as ``shapely.line_interpolate_point(part, np.linspace(0, 1, n + 1),
    normalized=True)`` part by part, found at once with numpy (cumulative vertex
    distances and ``searchsorted``) instead of walking each line once per point.
    """
    parts = shapely.get_parts(lines)
    parts = parts[~shapely.is_empty(parts)]  # an empty part has no point to give
    if len(parts) == 0:
        return np.array([], dtype=object)
    xy, part = shapely.get_coordinates(parts, return_index=True)
    seg = np.hypot(*np.diff(xy, axis=0).T)
    seg[part[1:] != part[:-1]] = 0.0  # no length between two parts
    cum = np.concatenate([[0.0], np.cumsum(seg)])  # distance of each vertex from the first
    first = np.searchsorted(part, np.arange(len(parts)))  # first vertex of each part
    last = np.append(first[1:], len(xy)) - 1
    length = cum[last] - cum[first]
    n = np.maximum(np.ceil(shapely.length(parts) / step).astype(int), 1)
    rep = np.repeat(np.arange(len(parts)), n + 1)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(n + 1) - (n + 1), n + 1)  # 0..n in each part
    target = cum[first][rep] + length[rep] * (k / n[rep])
    i = np.searchsorted(cum, target, side="right") - 1
    i = np.clip(i, first[rep], np.maximum(last[rep] - 1, first[rep]))  # a segment of the part
    j = np.minimum(i + 1, last[rep])
    seg_len = cum[j] - cum[i]
    t = np.where(seg_len > 0, (target - cum[i]) / np.where(seg_len > 0, seg_len, 1.0), 0.0)
    t = np.clip(t, 0.0, 1.0)
    out = xy[i] + t[:, None] * (xy[j] - xy[i])
    return shapely.points(out)


def _displacement_stats(line_a, line_b, unproj) -> dict:
    """Two lines in the equal-area projection: points every ``step`` metres along each,
    distance to the other (both directions pooled); median, p90, max (km) and where."""
    total = line_a.length + line_b.length
    step = max(50.0, total / 20000.0)
    pts_all, d_all = [], []
    for src, dst in ((line_a, line_b), (line_b, line_a)):
        pts = _sample_lines(src, step)
        tree = shapely.STRtree(segments(dst))
        _, dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
        pts_all.append(pts)
        d_all.append(dist)
    return _stats(np.concatenate(pts_all), np.concatenate(d_all), unproj)


def _displacement_stats_reference(line_a, line_b, unproj) -> dict:
    """:func:`_displacement_stats` the plain way, point by point: each part sampled with
    ``line_interpolate_point``, each point's distance to the whole other line with
    ``shapely.distance`` (no index). The reference the tests hold the fast path to."""
    total = line_a.length + line_b.length
    step = max(50.0, total / 20000.0)
    pts_all, d_all = [], []
    for src, dst in ((line_a, line_b), (line_b, line_a)):
        pts = []
        for part in shapely.get_parts(src):
            if part.is_empty:
                continue
            n = max(int(np.ceil(part.length / step)), 1)
            pts.append(shapely.line_interpolate_point(part, np.linspace(0, 1, n + 1), normalized=True))
        pts = np.concatenate(pts) if pts else np.array([], dtype=object)
        pts_all.append(pts)
        d_all.append(np.array([shapely.distance(p, dst) for p in pts], dtype=float))
    return _stats(np.concatenate(pts_all), np.concatenate(d_all), unproj)


def _stats(pts, dist_m, unproj) -> dict:
    """Median, p90, max (km) of distances measured from points (projected), and where the max is."""
    dist = dist_m / 1000.0
    i = int(np.argmax(dist))
    lon, lat = unproj((np.array([shapely.get_x(pts[i])]), np.array([shapely.get_y(pts[i])])))
    return {
        "median_km": float(np.median(dist)),
        "p90_km": float(np.percentile(dist, 90)),
        "max_km": float(dist[i]),
        "max_lon": float(lon[0]),
        "max_lat": float(lat[0]),
        "n_points": len(dist),
    }


def line_displacement(a, b, *, aoi=None) -> pd.DataFrame:
    """Displacement (km) between two front lines drawn as lines, as :attr:`Comparison.displacement`.

    Parameters
    ----------
    a, b : FrontLine or lon/lat (Multi)LineString
        E.g. :func:`mapdiff.io.lines.read_front_line` of Creamy Caprice's ``FrontLine/``
        file and of the UA Control Map's ``frontline``.
    aoi : place, Footprint or lon/lat geometry, optional
        Compare only the parts of the lines inside it.

    Returns
    -------
    DataFrame
        One row: ``a``, ``b``, ``median_km``, ``p90_km``, ``max_km``, ``max_lon``,
        ``max_lat``, ``n_points``.

    Examples
    --------
    >>> import shapely
    >>> a = shapely.LineString([(37.0, 48.0), (37.0, 48.2)])
    >>> b = shapely.LineString([(37.01, 48.0), (37.01, 48.2)])
    >>> round(float(line_displacement(a, b).median_km.iloc[0]), 2)   # 0.01° of longitude at 48° N
    0.74
    """
    names, lines = [], []
    for x in (a, b):
        geom = getattr(x, "geometry", x)
        if not isinstance(geom, shapely.Geometry) or geom.geom_type not in ("LineString", "MultiLineString"):
            raise ArgumentError(
                f"line_displacement needs front lines (a FrontLine or a LineString), got {type(x).__name__}"
            )
        names.append(getattr(x, "source", "line"))
        lines.append(geom)
    if aoi is not None:
        from ..places.footprints import as_footprint

        region = as_footprint(aoi).geometry
        lines = [shapely.intersection(ln, region) for ln in lines]
    cols = ["a", "b", "median_km", "p90_km", "max_km", "max_lon", "max_lat", "n_points"]
    row = {"a": names[0], "b": names[1], "n_points": 0}
    if not any(ln.is_empty for ln in lines):
        x0, y0, x1, y1 = shapely.bounds(shapely.union_all(lines))
        centre = ((x0 + x1) / 2.0, (y0 + y1) / 2.0)

        def unproj(xy):
            return inverse_transformer(round(centre[0], 1), round(centre[1], 1)).transform(*xy)

        proj = to_equal_area(np.asarray(lines, dtype=object), centre)
        row.update(_displacement_stats(proj[0], proj[1], unproj))
    import pandas as pd

    return pd.DataFrame([row], columns=cols)


# --------------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class Comparison(GeoResult):
    """Two maps compared over an area of interest (immutable).

    Attributes
    ----------
    a, b : ControlMap
    aoi : shapely geometry (lon/lat)
    aoi_km2 : float
        Area of the AOI, km² (same projection as the pieces).
    pieces : GeoDataFrame (EPSG:4326)
        The overlay of the two partitions over the AOI: ``a_status, a_side, b_status,
        b_side, area_km2, cause, geometry``; cause ∈ {agree, scope, noise, real}. The
        pieces tile the AOI.
    noise_m : float
        Sliver width below which a disagreement counts as noise (metres).
    scope_notes : tuple of str
        How scope was decided (declared not-drawn areas, coverage).
    place : Footprint or None
        The footprint when the AOI is a place or polygon file: its kind (rung) and
        ``approximate`` flag are stated in the text and JSON.
    class_sides : (str or None, str or None)
        Side A and side B the ``class`` column speaks of (the first side drawn, the other).

    The ``class`` column of ``pieces`` is the disagreement class of each piece (see
    :func:`classify_pieces`); :meth:`classes` gives it for other sides.

    Examples
    --------
    >>> import mapdiff
    >>> old, new = (mapdiff.read_map(mapdiff.sample_path(d)) for d in ("2025-11-20", "2025-11-27"))
    >>> c = mapdiff.compare(old, new, aoi="Pokrovsk")
    >>> type(c).__name__, round(c.aoi_km2, 1), round(c.disagreement_km2["real"], 1)
    ('Comparison', 31.2, 1.5)
    """

    a: ControlMap
    b: ControlMap
    _aoi: object = field(repr=False)
    aoi_km2: float
    _pieces: object = field(repr=False)
    noise_m: float = 30.0
    scope_notes: tuple[str, ...] = ()
    _centre: tuple = field(default=(0.0, 0.0), repr=False)
    place: object = field(default=None, repr=False)
    class_sides: tuple = (None, None)
    _whole: bool = field(default=False, repr=False)  # the AOI is the maps' extent

    @cached_property
    def aoi(self):
        """The area of interest (lon/lat geometry)."""
        return self._aoi() if callable(self._aoi) else self._aoi

    @cached_property
    def pieces(self):
        """The overlay of the two partitions over the AOI (GeoDataFrame, EPSG:4326)."""
        return self._pieces.frame()

    @property
    def _table(self) -> pd.DataFrame:
        """The pieces without their geometries (labels, km², cause, class): no geometry made."""
        return self._pieces.table

    @property
    def _cols(self) -> dict:
        """:attr:`_table` as columns (name -> numpy array), no pandas: what the JSON path reads."""
        return self._pieces.cols

    @property
    def approximate(self) -> bool:
        """True when the AOI is an approximate footprint."""
        return bool(self.place is not None and self.place.approximate)

    def classes(self, *, side_a: str | None = None, side_b: str | None = None) -> np.ndarray:
        """The disagreement class of each piece, speaking of ``side_a``/``side_b``.

        With no sides (or the comparison's own), this is the ``class`` column.
        """
        sides = comparison_sides(self.a, self.b, side_a, side_b)
        if sides == tuple(self.class_sides) and "class" in self._cols:
            return np.array(self._cols["class"], dtype=object)
        return classify_pieces(self._cols, *sides)

    @property
    def grey_notes(self) -> tuple[str, ...]:
        """One sentence per compared map whose source has no grey-zone class (so its
        ``grey`` pieces come from the other map only); empty when both have one."""
        return tuple(dict.fromkeys(n for n in (self.a._no_grey, self.b._no_grey) if n))

    @cached_property
    def class_km2(self) -> dict:
        """km² per disagreement class present (``class`` column), in :data:`CLASSES` order."""
        by = _group_sum(self._cols["class"], self._cols["area_km2"])
        return {c: float(by[c]) for c in CLASSES if c in by}

    # ------------------------------------------------------------- tables
    @cached_property
    def labels(self) -> tuple[Label, ...]:
        """Every label found in either map over the AOI: a's labels in its order (drawn,
        background), then b's, then ``not_covered``."""
        p = self._cols
        pairs = dict.fromkeys(
            [*zip(p["a_status"], p["a_side"], strict=True), *zip(p["b_status"], p["b_side"], strict=True)]
        )
        found = dict.fromkeys(_lab(s, d) for s, d in pairs)
        # in the maps' own order (a's labels, then b's, not_covered last), not the pieces'
        order = [*self.a.all_labels, *self.b.all_labels, NOT_COVERED, *found]
        return tuple(lab for lab in dict.fromkeys(order) if lab in found)

    @cached_property
    def crosstab(self) -> pd.DataFrame:
        """km² of a's labels (rows) by b's labels (columns); sums to ``aoi_km2``."""
        import pandas as pd

        names, ct = self._crosstab
        return pd.DataFrame(
            ct,
            index=pd.Index(names, name=f"a: {self.a.source}", dtype=object),
            columns=pd.Index(names, name=f"b: {self.b.source}", dtype=object),
        )

    @cached_property
    def _crosstab(self) -> tuple[list, np.ndarray]:
        """(label names, km² matrix) of :attr:`crosstab`, each cell summed as pandas'
        ``pivot_table(aggfunc="sum")`` sums it."""
        p = self._cols
        names = [str(lab) for lab in self.labels]
        ra = [_label_str(s, d) for s, d in zip(p["a_status"], p["a_side"], strict=True)]
        rb = [_label_str(s, d) for s, d in zip(p["b_status"], p["b_side"], strict=True)]
        at = {n: i for i, n in enumerate(names)}
        ct = np.zeros((len(names), len(names)))
        for (x, y), km2 in _group_sum(zip(ra, rb, strict=True), p["area_km2"]).items():
            ct[at[x], at[y]] = km2
        return names, ct

    @cached_property
    def disagreement(self):
        """Disagreeing pieces: ``a_label, b_label, area_km2, cause, geometry`` (EPSG:4326)."""
        import geopandas as gpd

        keep = (self._table.cause != "agree").to_numpy()
        p = self._table[keep]
        return gpd.GeoDataFrame(
            {
                "a_label": [_label_str(s, d) for s, d in zip(p.a_status, p.a_side, strict=True)],
                "b_label": [_label_str(s, d) for s, d in zip(p.b_status, p.b_side, strict=True)],
                "area_km2": p.area_km2.to_numpy(),
                "cause": p.cause.to_numpy(),
            },
            geometry=self._pieces.geoms(keep),
            crs="EPSG:4326",
        )

    @cached_property
    def disagreement_km2(self) -> dict:
        """{scope, noise, real, total} km²."""
        by = _group_sum(self._cols["cause"], self._cols["area_km2"])
        out = {c: float(by.get(c, 0.0)) for c in ("scope", "noise", "real")}
        out["total"] = out["scope"] + out["noise"] + out["real"]
        return out

    # ------------------------------------------------------------- metrics
    @cached_property
    def metrics(self) -> pd.DataFrame:
        """Per label: a_km2, b_km2, both_km2, IoU, quantity, exchange, shift, allocation (km²).

        Pontius' components follow diffeR: for category j, quantity = |a_j − b_j|,
        exchange = 2 Σ_i≠j min(x_ij, x_ji), shift = (a_j + b_j − 2 x_jj) − quantity −
        exchange, allocation = exchange + shift. The row ``overall`` holds diffeR's
        overall components (sums over categories halved).
        """
        import pandas as pd

        return pd.DataFrame(self._metrics)

    @cached_property
    def _metrics(self) -> dict:
        """:attr:`metrics` as columns (name -> array), the ``overall`` row last; no pandas."""
        names, ct = self._crosstab
        ra, cb, diag = ct.sum(axis=1), ct.sum(axis=0), np.diag(ct)
        union = ra + cb - diag
        with np.errstate(invalid="ignore", divide="ignore"):
            iou = np.where(union > 0, diag / np.where(union > 0, union, 1.0), np.nan)
        mins = np.minimum(ct, ct.T)
        np.fill_diagonal(mins, 0.0)
        quantity = np.abs(ra - cb)
        exchange = 2.0 * mins.sum(axis=1)
        total = ra + cb - 2.0 * diag
        shift = np.maximum(total - quantity - exchange, 0.0)
        per_label = {
            "label": names,
            "a_km2": ra,
            "b_km2": cb,
            "both_km2": diag,
            "iou": iou,
            "quantity_km2": quantity,
            "exchange_km2": exchange,
            "shift_km2": shift,
            "allocation_km2": exchange + shift,
        }
        overall = {
            "label": "overall",
            "a_km2": ra.sum(),
            "b_km2": cb.sum(),
            "both_km2": diag.sum(),
            "iou": np.nan,
            "quantity_km2": quantity.sum() / 2,
            "exchange_km2": exchange.sum() / 2,
            "shift_km2": shift.sum() / 2,
            "allocation_km2": (exchange.sum() + shift.sum()) / 2,
        }
        return {
            k: np.append(np.asarray(v, dtype=object if k == "label" else float), overall[k])
            for k, v in per_label.items()
        }

    def iou(self, label) -> float:
        """Intersection over union of ``label`` in the two maps (0 for a label in one map only)."""
        m = self.metrics.set_index("label")
        return float(m.loc[str(label), "iou"])

    # ------------------------------------------------------------- projection helpers
    def _proj(self, geoms):
        return to_equal_area(geoms, self._centre)

    def _unproj(self, xy):
        lon, lat = self._centre
        return inverse_transformer(round(lon, 1), round(lat, 1)).transform(*xy)

    # ------------------------------------------------------------- displacement
    def _side_region(self, which: str, side: str):
        """Where map ``which`` says ``side`` holds the land, within the AOI: from the map's
        own labels (one union), not from the pieces, whose seams need not match exactly."""
        m = self.a if which == "a" else self.b
        held = [m.geometry(lab) for lab in m.all_labels if lab.holds and lab.side == side]
        held = [g for g in held if not g.is_empty]
        if not held:
            return shapely.Polygon()
        region = held[0] if len(held) == 1 else shapely.union_all(held)
        # a union can come back as a GeometryCollection (lines where drawings touch): only
        # its polygons hold land, and only they have a boundary to measure
        return polygonal(region if self._whole else shapely.intersection(region, self.aoi))

    @cached_property
    def sides(self) -> tuple[str, ...]:
        """Sides holding ground in either map over the AOI."""
        p = self._cols
        out = []
        for w in ("a", "b"):
            held = np.isin(p[f"{w}_status"], ["controlled", "encircled"])
            out += [s for s in dict.fromkeys(p[f"{w}_side"][held]) if isinstance(s, str) and s not in out]
        return tuple(out)

    @cached_property
    def displacement(self) -> pd.DataFrame:
        """Front-line displacement per side (km): median, p90, max and where the max is.

        Points every ``step`` metres along each map's boundary of the side's control
        (leaving out the AOI's edge and scope pieces), distance to the other map's
        boundary; both directions pooled. A side one map does not hold (or whose boundary
        lies wholly on the AOI's edge or scope pieces) gets NaN and ``n_points`` 0.
        """
        import pandas as pd

        return pd.DataFrame(self._displacement, columns=_DISPLACEMENT_COLS)

    @cached_property
    def _displacement(self) -> list[dict]:
        """:attr:`displacement` as rows (dicts), no pandas. The independent GEOS steps (the
        AOI's edge, the scope pieces, each map's boundary of each side; then each line's
        cut; then each side's distances) run side by side on threads (:func:`_run_all`)."""
        _run_all([lambda m=m: m.coverage for m in (self.a, self.b)])  # made once, before any reads it

        def edge():
            return shapely.buffer(shapely.boundary(self._proj(polygonal(self.aoi))), 1.0)

        def scope_cut():
            scope = self._pieces.geoms(self._cols["cause"] == "scope")
            return shapely.buffer(self._proj(shapely.union_all(scope)), 1.0) if len(scope) else None

        def boundary(w, side):
            # _side_region is polygonal (never a collection: those have no boundary)
            return shapely.boundary(self._proj(self._side_region(w, side)))

        keys = [(side, w) for side in self.sides for w in ("a", "b")]
        edge, scope_p, *bounds = _run_all([edge, scope_cut, *(partial(boundary, w, s) for s, w in keys)])

        def cut(line):
            line = shapely.difference(line, edge)
            return shapely.difference(line, scope_p) if scope_p is not None else line

        cuts = dict(zip(keys, _run_all([partial(cut, b) for b in bounds]), strict=True))

        def measured(side):
            lines = [cuts[(side, "a")], cuts[(side, "b")]]
            if any(ln is None or ln.is_empty for ln in lines):
                return {}
            return _displacement_stats(lines[0], lines[1], self._unproj)

        rows = []
        for side, stats in zip(self.sides, _run_all([partial(measured, s) for s in self.sides]), strict=True):
            row = {
                "side": side,
                "median_km": np.nan,
                "p90_km": np.nan,
                "max_km": np.nan,
                "max_lon": np.nan,
                "max_lat": np.nan,
                "n_points": 0,
            }
            row.update(stats)
            rows.append(row)
        return rows

    # ------------------------------------------------------------- tolerance
    @cached_property
    def tolerance(self) -> pd.DataFrame:
        """Non-scope disagreement (km²) left when boundaries within d metres count as agreeing.

        For each d, the disagreement (noise and real) is opened (eroded by d/2, dilated by
        d/2 with mitred joins so square corners survive, intersected with itself): strips
        narrower than d vanish. Shares are of the AOI. A piece an erosion by a smaller d
        empties is not eroded again (an erosion by more leaves nothing either).
        """
        import pandas as pd

        return pd.DataFrame(self._tolerance)

    @cached_property
    def _tolerance(self) -> list[dict]:
        """:attr:`tolerance` as rows (dicts), no pandas."""
        sel = np.isin(self._cols["cause"], ["noise", "real"])
        geoms = self._proj(self._pieces.geoms(sel)) if sel.any() else np.array([], dtype=object)
        rows = []
        alive = geoms  # the pieces an erosion by a smaller d left something of (erosion only shrinks)
        for d in TOLERANCES_M:
            if len(geoms) == 0:
                km2 = 0.0
            elif d == 0:
                km2 = float(shapely.area(geoms).sum() / 1e6)
            else:
                er = shapely.buffer(alive, -d / 2.0, join_style="mitre", mitre_limit=10.0)
                ok = ~shapely.is_empty(er)
                alive = alive[ok]
                grown = shapely.buffer(er[ok], d / 2.0, join_style="mitre", mitre_limit=10.0)
                opened = _robust_intersection(grown, alive)
                km2 = float(shapely.area(opened).sum() / 1e6)
            rows.append({"d_m": d, "disagreement_km2": km2, "share_of_aoi": km2 / self.aoi_km2})
        return rows

    # ------------------------------------------------------------- components
    @cached_property
    def components(self):
        """Real disagreement as connected components, largest first, with the nearest place.

        A GeoDataFrame (EPSG:4326). Columns: rank, area_km2, a_label, b_label (of the
        largest part), lon, lat (a point inside), place, place_km (distance from the
        component to the place's footprint centre), geometry.
        """
        import geopandas as gpd
        import pandas as pd

        cols = self._components
        if cols is None:
            return gpd.GeoDataFrame(
                pd.DataFrame(columns=_COMPONENT_COLS), geometry="geometry", crs="EPSG:4326"
            )
        return gpd.GeoDataFrame(cols, geometry="geometry", crs="EPSG:4326")

    @cached_property
    def _components(self) -> dict | None:
        """:attr:`components` as columns (name -> array, largest first), None when there
        is no real disagreement; no pandas."""
        sel = self._cols["cause"] == "real"
        if not sel.any():
            return None
        real = {k: v[sel] for k, v in self._cols.items()}
        parts = self._pieces.geoms(sel)
        comps = shapely.get_parts(_dissolve(parts))
        comp_of = _owner(parts, comps)
        part_km2 = np.asarray(real["area_km2"], dtype=float)
        comp_km2 = np.bincount(comp_of[comp_of >= 0], weights=part_km2[comp_of >= 0], minlength=len(comps))
        # label pair of each component's largest part
        order = np.lexsort((-part_km2, comp_of))
        first = order[np.r_[True, comp_of[order][1:] != comp_of[order][:-1]]]
        first = first[comp_of[first] >= 0]
        a_lab = np.empty(len(comps), dtype=object)
        b_lab = np.empty(len(comps), dtype=object)
        for w, out in (("a", a_lab), ("b", b_lab)):
            st, sd = real[f"{w}_status"][first], real[f"{w}_side"][first]
            out[comp_of[first]] = [_label_str(s, d) for s, d in zip(st, sd, strict=True)]
        inside = shapely.point_on_surface(comps)
        near = towns().nearest_to(comps)
        place, place_km = near.name, near.km
        order = np.argsort(-comp_km2, kind="stable")  # largest first, ties in order (as pandas sorts)
        return {
            "rank": np.arange(1, len(comps) + 1),
            "area_km2": comp_km2[order],
            "a_label": a_lab[order],
            "b_label": b_lab[order],
            "lon": shapely.get_x(inside)[order],
            "lat": shapely.get_y(inside)[order],
            "place": place[order],
            "place_km": place_km[order],
            "geometry": comps[order],
        }

    # ------------------------------------------------------------- outputs
    def to_frame(self) -> pd.DataFrame:
        """The crosstab in long form: a_status, a_side, b_status, b_side, area_km2 (non-zero cells)."""
        import pandas as pd

        p = self._table
        g = (
            pd.DataFrame(
                {
                    "a_status": p.a_status,
                    "a_side": p.a_side.fillna(""),
                    "b_status": p.b_status,
                    "b_side": p.b_side.fillna(""),
                    "area_km2": p.area_km2,
                }
            )
            .groupby(["a_status", "a_side", "b_status", "b_side"], sort=False, as_index=False)["area_km2"]
            .sum()
        )
        g["a_side"] = g["a_side"].replace("", None)
        g["b_side"] = g["b_side"].replace("", None)
        return g

    @cached_property
    def _long(self) -> dict:
        """:meth:`to_frame` as columns (name -> array), label pairs in order of first
        appearance; no pandas. Each cell is the compensated sum of its pieces' km² (as
        pandas' sorted groupby gives it; :meth:`to_frame`'s unsorted groupby adds them in
        another order: the two differ by at most a few units in the last place)."""
        p = self._cols
        keys = zip(p["a_status"], p["a_side"], p["b_status"], p["b_side"], strict=True)
        sums = _group_sum(keys, p["area_km2"])
        names = ("a_status", "a_side", "b_status", "b_side")
        out = {n: np.array([k[i] for k in sums], dtype=object) for i, n in enumerate(names)}
        out["area_km2"] = np.fromiter(sums.values(), dtype=float, count=len(sums))
        return out

    def to_dict(self, *, top: int = 20) -> dict:
        """JSON-ready summary (schema_version 1); ``top`` real components are listed."""
        # the three costly parts, side by side (GEOS releases the GIL); each cached
        _run_all([lambda: self._displacement, lambda: self._tolerance, lambda: self._components])
        comps = self._components or {c: [] for c in _COMPONENT_COLS}
        comps = {k: v for k, v in comps.items() if k != "geometry"}
        out = {
            "schema_version": SCHEMA_VERSION,
            "type": "comparison",
            "aoi_km2": float(self.aoi_km2),
            "aoi": _aoi_dict(self.place),
            "approximate": self.approximate,
            "noise_m": float(self.noise_m),
            "sources": [
                {
                    "role": r,
                    "source": m.source,
                    "source_name": source_name(m),
                    "lean": source_lean(m),
                    "as_of": iso(m.as_of),
                    "path": m.provenance.path,
                    "sha256": m.provenance.sha256,
                }
                for r, m in (("a", self.a), ("b", self.b))
            ],
            "crosstab": _json_records(self._long),
            "disagreement_km2": {k: float(v) for k, v in self.disagreement_km2.items()},
            "class_sides": list(self.class_sides),
            "class_km2": self.class_km2,
            "metrics": _json_records(self._metrics),
            "displacement": [_json_records({k: [r[k]] for k in r})[0] for r in self._displacement],
            "tolerance": [_json_records({k: [r[k]] for k in r})[0] for r in self._tolerance],
            "components": _json_records(comps, top),
            "n_components": len(comps["rank"]),
            "scope_notes": list(self.scope_notes),
            "grey_notes": list(self.grey_notes),
        }
        return jsonable(out)

    def to_gdf(self, *, what: str = "pieces"):
        """The pieces as a GeoDataFrame (EPSG:4326), with their disagreement ``class``.

        Columns: ``class`` (``both_a``, ``only_1_a``, ... as in the figures, the ``class``
        column of :attr:`pieces`, speaking of :attr:`class_sides`), ``a_label``,
        ``b_label``, ``a_status``, ``a_side``, ``b_status``, ``b_side``, ``cause`` (agree,
        scope, noise, real), ``area_km2``, ``geometry``.

        Parameters
        ----------
        what : {"pieces", "disagreement"}
            Every piece (they tile the AOI), or only those where the maps disagree.
        """
        import geopandas as gpd

        if what not in ("disagreement", "pieces"):
            raise ArgumentError(f"what= takes 'disagreement' or 'pieces', got {what!r}")
        keep = (
            np.ones(len(self._table), bool) if what == "pieces" else (self._table.cause != "agree").to_numpy()
        )
        import pandas as pd

        p = self._table[keep]
        df = pd.DataFrame(
            {
                "class": self.classes()[keep],
                "a_label": [_label_str(s, d) for s, d in zip(p.a_status, p.a_side, strict=True)],
                "b_label": [_label_str(s, d) for s, d in zip(p.b_status, p.b_side, strict=True)],
                "a_status": p.a_status.to_numpy(),
                "a_side": p.a_side.to_numpy(),
                "b_status": p.b_status.to_numpy(),
                "b_side": p.b_side.to_numpy(),
                "cause": p.cause.to_numpy(),
                "area_km2": p.area_km2.to_numpy(),
            }
        )
        return gpd.GeoDataFrame(df, geometry=self._pieces.geoms(keep), crs="EPSG:4326")

    def _export_provenance(self) -> dict:
        from ..io.write import export_provenance

        return export_provenance("comparison", maps=[("a", self.a), ("b", self.b)], footprint=self.place)

    def _class_style(self) -> dict:
        from ..model.classes import CLASS_COLOURS, class_text

        sa, sb = self.class_sides
        return {c: (colour, class_text(c, self.a, self.b, sa, sb)) for c, colour in CLASS_COLOURS.items()}

    def plot(self, ax=None, **kwargs):
        """The disagreement map by class, true to scale (:func:`mapdiff.draw.plot.plot_comparison`)."""
        from ..draw.plot import plot_comparison

        return plot_comparison(self, ax=ax, **kwargs)

    def explore(self, **kwargs):
        """A folium map, one layer per class (:func:`mapdiff.draw.interactive.explore_comparison`)."""
        from ..draw.interactive import explore_comparison

        return explore_comparison(self, **kwargs)

    def __repr__(self) -> str:
        d = self.disagreement_km2
        return (
            f"<Comparison {self.a.source} vs {self.b.source}: AOI {self.aoi_km2:,.1f} km², "
            f"disagree {d['total']:,.1f} (real {d['real']:,.1f}, scope {d['scope']:,.1f}, "
            f"noise {d['noise']:,.1f})>"
        )

    def _repr_html_(self) -> str:
        d = self.disagreement_km2
        ct = self.crosstab.round(2).to_html()
        return (
            f"<b>Comparison</b> {html.escape(self.a.source)} vs {html.escape(self.b.source)}: "
            f"AOI {self.aoi_km2:,.1f} km²{_aoi_html(self.place)}; disagreement {d['total']:,.1f} km² "
            f"(real {d['real']:,.1f}, scope {d['scope']:,.1f}, noise {d['noise']:,.1f}){ct}"
        )


# --------------------------------------------------------------------------- compare
def compare(
    a: ControlMap, b: ControlMap, *, aoi=None, noise_m: float = 30.0, scope: bool = True
) -> Comparison:
    """Compare two maps over an area of interest.

    Parameters
    ----------
    a, b : ControlMap
    aoi : Footprint, shapely geometry (lon/lat) or place name, optional
        Defaults to the union of both maps' extents (coverage, or what they draw).
    noise_m : float, default 30
        Disagreement parts thinner than this (metres) are ``noise``.
    scope : bool, default True
        Set apart areas a map's profile declares it never draws (``not_drawn``, see
        :mod:`mapdiff.places.scope`). Area one map does not cover is scope either way.

    Returns
    -------
    Comparison

    Raises
    ------
    ArgumentError
        A non-polygonal AOI.
    EmptyMapError
        An empty AOI.

    Examples
    --------
    >>> import shapely
    >>> from mapdiff import compare, normalise
    >>> from mapdiff.labels import Label
    >>> cov = shapely.box(37.0, 48.0, 37.2, 48.2)
    >>> ua = Label("controlled", "UA")
    >>> a = normalise([(Label("controlled", "RU"), shapely.box(37.0, 48.0, 37.1, 48.2))],
    ...               coverage=cov, background=ua, source="a")
    >>> b = normalise([(Label("controlled", "RU"), shapely.box(37.0, 48.0, 37.12, 48.2))],
    ...               coverage=cov, background=ua, source="b")
    >>> c = compare(a, b)
    >>> round(c.disagreement_km2["real"], 1)
    33.1
    """
    if not (isinstance(a, ControlMap) and isinstance(b, ControlMap)):
        raise ArgumentError("compare() takes two ControlMaps (read them with mapdiff.read_map)")
    if not (noise_m >= 0):
        raise ArgumentError(f"noise_m must be >= 0 metres, got {noise_m!r}")
    place = _aoi_place(aoi)  # once: a polygon file is read once
    fast = _drawn_only(a, b) if aoi is None else None
    if fast is None:
        geom = _resolve_aoi(aoi if place is None else place, (a, b))
        x0, y0, x1, y1 = shapely.bounds(geom)
        pa, pb, inter = _tile_pieces(a, b, geom)
        rest = None
    else:  # the AOI (the union of the two coverages) is built only when asked
        # the bounds of the two coverages, from their parts (land, beyond) without making them
        box = shapely.bounds([g for m in (a, b) for g in m.domain.parts if g is not None])
        (x0, y0), (x1, y1) = box[:, :2].min(axis=0), box[:, 2:].max(axis=0)
        pa, pb, inter, rest = fast
        geom = None
    centre = ((x0 + x1) / 2.0, (y0 + y1) / 2.0)
    agree = pa == pb

    # disagreement, one row per part
    dis_idx, parts = _explode(np.flatnonzero(~agree), inter[~agree])
    cause = np.full(len(parts), "real", dtype=object)
    pa_d, pb_d = pa[dis_idx], pb[dis_idx]
    cause[(pa_d == NOT_COVERED) | (pb_d == NOT_COVERED)] = "scope"
    notes = []
    for silent, other_lab, silent_lab in ((b, pa_d, pb_d), (a, pb_d, pa_d)):
        keys = not_drawn_keys(silent) if scope else ()
        if not keys or silent.background is None:
            continue
        cand = (silent_lab == silent.background) & np.array([lab.holds for lab in other_lab], dtype=bool)
        cand &= cause == "real"
        if not cand.any():
            continue
        comps = shapely.get_parts(_dissolve(parts[cand]))
        sel = select_not_drawn(comps, keys)
        if sel.any():
            tree = shapely.STRtree(comps[sel])
            ci = np.flatnonzero(cand)
            hit, _ = tree.query(shapely.point_on_surface(parts[ci]), predicate="within")
            cause[ci[np.unique(hit)]] = "scope"
        notes.append(
            f"{silent.source} declares it never draws {', '.join(keys)}; "
            f"{int(sel.sum())} of {len(comps)} components where it is silent and "
            f"{(b if silent is a else a).source} draws held ground were taken as scope "
            "(see mapdiff.places.scope)"
        )
    rest_idx = np.flatnonzero(cause == "real")
    if noise_m > 0 and len(rest_idx):
        eroded = shapely.buffer(to_equal_area(parts[rest_idx], centre), -noise_m / 2.0)
        cause[rest_idx[shapely.is_empty(eroded)]] = "noise"
    for m in (a, b):
        notes += [f"{m.source}: {s}" for s in m.scope]
    notes = list(dict.fromkeys(notes))  # one note per statement when both maps share a source

    agree_idx = np.flatnonzero(agree)
    geoms = np.concatenate([inter[agree_idx], parts])
    a_lab = np.concatenate([pa[agree_idx], pa_d])
    b_lab = np.concatenate([pb[agree_idx], pb_d])
    causes = np.concatenate([np.full(len(agree_idx), "agree", dtype=object), cause])
    lazy = {}
    if rest is None:
        sizes = area_km2(np.concatenate([geoms, [geom]]), centre=centre)  # one projection for all
        aoi_km2, sizes = float(sizes[-1]), sizes[:-1]
    else:
        # the rest of the AOI, where both maps imply their background: its km² is the AOI's
        # less what is drawn (the pieces tile the AOI), its geometry made when asked
        label, base_km2, cell = rest(centre)
        sizes = area_km2(geoms, centre=centre)
        aoi_km2 = base_km2 + float(sizes[a_lab == NOT_COVERED].sum())  # b's drawing past a's
        # a drawing of the background label where the other map implies it: part of that
        # cell (one piece per label pair, as the tiled path gives)
        same = (a_lab == label) & (b_lab == label)
        if same.any():
            joined, cell0 = geoms[same], cell

            def cell():
                return polygonal(shapely.union_all(np.append(joined, cell0())))

            geoms, a_lab, b_lab = geoms[~same], a_lab[~same], b_lab[~same]
            causes, sizes = causes[~same], sizes[~same]
        lazy[len(geoms)] = cell
        geoms = np.append(geoms, None)
        a_lab, b_lab = np.append(a_lab, label), np.append(b_lab, label)
        causes = np.append(causes, "agree")
        sizes = np.append(sizes, aoi_km2 - float(sizes.sum()))
    table = {
        "a_status": np.array([lab.status for lab in a_lab], dtype=object),
        "a_side": np.array([lab.side for lab in a_lab], dtype=object),
        "b_status": np.array([lab.status for lab in b_lab], dtype=object),
        "b_side": np.array([lab.side for lab in b_lab], dtype=object),
        "area_km2": np.asarray(sizes, dtype=float),
        "cause": np.asarray(causes, dtype=object),
    }
    sides = comparison_sides(a, b)
    table["class"] = np.asarray(classify_pieces(table, *sides), dtype=object)
    return Comparison(
        a,
        b,
        geom if geom is not None else (lambda: _resolve_aoi(None, (a, b))),
        aoi_km2,
        _Pieces(table, geoms, lazy),
        float(noise_m),
        tuple(notes),
        centre,
        place,
        class_sides=sides,
        _whole=aoi is None,
    )


def _tile_pieces(a: ControlMap, b: ControlMap, geom):
    """Each map tiles ``geom`` (drawn labels, background, not covered); the two tilings
    overlaid: (a's label, b's label, geometry) per piece."""
    la, ga = _tiles(a, geom)
    lb, gb = _tiles(b, geom)
    ia, ib, inter = _overlay(la, ga, lb, gb)
    la_arr, lb_arr = np.asarray(la, dtype=object), np.asarray(lb, dtype=object)
    return la_arr[ia], lb_arr[ib], inter


def _drawn(m: ControlMap):
    labels, geoms = [], []
    for lab, g in zip(m.labels, m.clipped, strict=True):
        if not g.is_empty:
            labels.append(lab)
            geoms.append(polygonal(g))
    return np.asarray(labels, dtype=object), np.asarray(geoms, dtype=object)


def _drawn_only(a: ControlMap, b: ControlMap):
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
    la, ga = _drawn(a)
    lb, gb = _drawn(b)
    pa, pb, out = [], [], []

    def both():
        return _overlay(la, ga, lb, gb) if len(ga) and len(gb) else None

    def alone(mine, geoms, other, flip):
        if not len(geoms):
            return []
        return list(_split_beyond(_less(geoms, other), mine.domain.beyond, (b if flip else a).background))

    # the three overlays are independent: side by side on threads (GEOS releases the GIL)
    done = _run_all([both, partial(alone, a, ga, gb, False), partial(alone, b, gb, ga, True)])
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
    pa, pb, out = _one_piece_per_pair(pa, pb, out)

    def rest(centre):
        """(label, km² of the land and of what a draws past it, the cell's maker). The AOI is
        the land, a's drawing past it and b's past a's coverage (pieces a does not cover)."""
        past_a = a.domain.beyond
        km2 = _land_km2(land, centre) + (
            float(area_km2(past_a, centre=centre)) if past_a is not None else 0.0
        )

        def cell():
            return polygonal(shapely.difference(land, shapely.union(_dissolve(ga), _dissolve(gb))))

        return a.background, km2, cell

    return pa, pb, out, rest


_LAND_KM2: dict = {}  # (id(land), centre to 0.1°) -> (land, km²): one land, many comparisons


def _land_km2(land, centre) -> float:
    key = (id(land), round(centre[0], 1), round(centre[1], 1))
    hit = _LAND_KM2.get(key)
    if hit is None or hit[0] is not land:
        if len(_LAND_KM2) > 32:
            _LAND_KM2.clear()
        hit = _LAND_KM2[key] = (land, float(area_km2(land, centre=centre)))
    return hit[1]


def _less(geoms, others):
    """``geoms`` (an array) each less the union of ``others`` (a few disjoint labels): one
    label after the other, largest first, which costs less than making their union."""
    if len(others) > 3:
        return polygonal_parts(shapely.difference(geoms, _dissolve(others)))
    out = geoms
    for g in sorted(others, key=shapely.get_num_coordinates, reverse=True):
        out = shapely.difference(out, g)
    return polygonal_parts(out)


def _owner(parts, comps) -> np.ndarray:
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


def _one_piece_per_pair(pa, pb, geoms):
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


def _split_beyond(geoms, beyond, background):
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
    yield (*_regroup(np.r_[src[whole], owners], np.r_[parts[whole], on_land]), background)
    yield (*_regroup(owners, past), NOT_COVERED)


def _regroup(owner, geoms):
    """One (Multi)Polygon per owner from pieces of one valid geometry per owner (their
    polygons meet at most in points: a MultiPolygon of them is valid, no union needed)."""
    parts, k = shapely.get_parts(geoms, return_index=True)
    keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    parts, who = parts[keep], owner[k][keep]
    ids = np.unique(who)
    out = np.array([shapely.multipolygons(parts[who == i]) for i in ids], dtype=object)
    return ids, out


class _Pieces:
    """The pieces of a comparison: a table (labels, km², cause, class) and one geometry per
    row, some made only when first asked (the background cell of a whole-front
    comparison, the largest and costliest, whose km² is known without it). The table is
    kept as columns (name -> numpy array); its DataFrame is made when first asked, so the
    JSON path never imports pandas."""

    __slots__ = ("_frame", "_geoms", "_lazy", "cols")

    def __init__(self, cols: dict, geoms: np.ndarray, lazy: dict):
        self.cols, self._geoms, self._lazy, self._frame = cols, geoms, dict(lazy), None

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

    def frame(self, rows=None):
        """A GeoDataFrame (EPSG:4326) of ``rows`` (all by default), geometry last."""
        import geopandas as gpd

        t = self.table if rows is None else self.table[rows]
        return gpd.GeoDataFrame(t, geometry=list(self.geoms(rows)), crs="EPSG:4326")


# --------------------------------------------------------------------------- many maps
@dataclass(frozen=True, eq=False)
class ManyComparison(GeoResult):
    """Several maps over one AOI: a consensus map and the pairwise table.

    Attributes
    ----------
    maps : tuple of ControlMap
    aoi : shapely geometry (lon/lat)
    aoi_km2 : float
    consensus : GeoDataFrame (EPSG:4326)
        Pieces of the overlay of all maps: one column per map (``map_0``, …) with its
        label string, one ``n:<label>`` column per label counting the maps that say it,
        ``top_label``, ``n_top``, ``area_km2``.
    pairwise : DataFrame
        One row per pair: a, b, disagreement (total, scope, noise, real) km².

    Examples
    --------
    >>> import mapdiff
    >>> old, new = (mapdiff.read_map(mapdiff.sample_path(d)) for d in ("2025-11-20", "2025-11-27"))
    >>> mc = mapdiff.compare_many([old, new], aoi="Pokrovsk")
    >>> type(mc).__name__, round(float(mc.pairwise.real_km2.iloc[0]), 1)
    ('ManyComparison', 1.5)
    """

    maps: tuple
    aoi: object
    aoi_km2: float
    consensus: object
    pairwise: pd.DataFrame
    place: object = field(default=None, repr=False)

    @property
    def approximate(self) -> bool:
        """True when the AOI is an approximate footprint."""
        return bool(self.place is not None and self.place.approximate)

    def to_frame(self) -> pd.DataFrame:
        """km² by number of maps agreeing on the top label."""
        return self.consensus.groupby("n_top", as_index=False)["area_km2"].sum()

    def to_gdf(self):
        """The consensus pieces (EPSG:4326), with ``class``: the label most maps give
        (``top_label``), then the columns of :attr:`consensus`."""
        gdf = self.consensus.copy()
        gdf.insert(0, "class", gdf["top_label"].astype(object))
        return gdf

    def _export_provenance(self) -> dict:
        from ..io.write import export_provenance

        return export_provenance("many_comparison", maps=[(f"map_{i}", m) for i, m in enumerate(self.maps)])

    def _class_style(self) -> dict:
        from ..model.classes import label_colours, map_sides

        labels = list(dict.fromkeys([lab for m in self.maps for lab in m.all_labels] + [NOT_COVERED]))
        sides = list(dict.fromkeys(s for m in self.maps for s in map_sides(m)))
        return {k: (c, f"most maps say {k}") for k, c in label_colours(labels, sides=sides).items()}

    def to_dict(self) -> dict:
        """JSON-ready summary."""
        return {
            "schema_version": SCHEMA_VERSION,
            "type": "many_comparison",
            "aoi_km2": float(self.aoi_km2),
            "aoi": _aoi_dict(self.place),
            "approximate": self.approximate,
            "sources": [{"source": m.source, "as_of": iso(m.as_of)} for m in self.maps],
            "agreement_km2": {
                int(k): float(v) for k, v in zip(self.to_frame().n_top, self.to_frame().area_km2, strict=True)
            },
            "pairwise": self.pairwise.to_dict(orient="records"),
        }

    def plot(self, ax=None, **kwargs):
        """Map of how many sources agree on each area (:func:`mapdiff.draw.plot.plot_consensus`)."""
        from ..draw.plot import plot_consensus

        return plot_consensus(self, ax=ax, **kwargs)

    def _repr_html_(self) -> str:
        return (
            f"<b>ManyComparison</b> of {len(self.maps)} maps, AOI {self.aoi_km2:,.1f} km²"
            + _aoi_html(self.place)
            + self.pairwise.to_html()
        )


def compare_many(maps, *, aoi=None, noise_m: float = 30.0) -> ManyComparison:
    """Compare several maps: per area, how many sources say each label; and every pair.

    Examples
    --------
    >>> import shapely
    >>> from mapdiff import compare_many, normalise
    >>> from mapdiff.labels import Label
    >>> cov = shapely.box(37.0, 48.0, 37.2, 48.2)
    >>> ms = [normalise([(Label("controlled", "RU"), shapely.box(37.0, 48.0, x, 48.2))], coverage=cov,
    ...                 background=Label("controlled", "UA"), source=f"s{i}")
    ...       for i, x in enumerate((37.1, 37.11, 37.12))]
    >>> sorted(compare_many(ms).to_frame().n_top.tolist())
    [2, 3]
    """
    maps = tuple(maps)
    if len(maps) < 2 or not all(isinstance(m, ControlMap) for m in maps):
        raise ArgumentError("compare_many() takes two or more ControlMaps")
    place = _aoi_place(aoi)  # once: a polygon file is read once
    geom = _resolve_aoi(aoi if place is None else place, maps)
    x0, y0, x1, y1 = shapely.bounds(geom)
    centre = ((x0 + x1) / 2.0, (y0 + y1) / 2.0)
    labs0, g0 = _tiles(maps[0], geom)
    cur_labels = [[lab] for lab in labs0]
    cur = g0
    for m in maps[1:]:
        lm, gm = _tiles(m, geom)
        i, j, inter = _overlay(None, cur, None, gm)
        cur_labels = [cur_labels[k] + [lm[q]] for k, q in zip(i, j, strict=True)]
        cur = inter
    import geopandas as gpd

    all_labels = list(dict.fromkeys(lab for row in cur_labels for lab in row))
    data = {f"map_{k}": [str(row[k]) for row in cur_labels] for k in range(len(maps))}
    counts = {str(lab): np.array([row.count(lab) for row in cur_labels]) for lab in all_labels}
    cmat = np.column_stack(list(counts.values()))
    for name, v in counts.items():
        data[f"n:{name}"] = v
    data["top_label"] = np.asarray(list(counts), dtype=object)[cmat.argmax(axis=1)]
    data["n_top"] = cmat.max(axis=1)
    sizes = area_km2(np.concatenate([cur, [geom]]), centre=centre)
    data["area_km2"] = sizes[:-1]
    consensus = gpd.GeoDataFrame(data, geometry=list(cur), crs="EPSG:4326")
    rows = []
    for i in range(len(maps)):
        for j in range(i + 1, len(maps)):
            d = compare(maps[i], maps[j], aoi=geom, noise_m=noise_m).disagreement_km2
            rows.append({"a": maps[i].source, "b": maps[j].source, **{f"{k}_km2": v for k, v in d.items()}})
    import pandas as pd

    return ManyComparison(maps, geom, float(sizes[-1]), consensus, pd.DataFrame(rows), place)
