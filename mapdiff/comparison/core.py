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
5. ALL pieces are projected once and measured as :func:`~mapdiff.model.measure.area_km2`
   measures (one projection), so the cross-tabulation adds up to the AOI; the projected
   pieces are kept for the noise test, the tolerance curve and the displacement.

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
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import TYPE_CHECKING

import numpy as np
import shapely

from .._geo import GeoResult
from .._json import SCHEMA_VERSION, iso, jsonable
from ..errors import ArgumentError
from ..io.write import export_provenance
from ..labels import NOT_COVERED, Label
from ..model.classes import (
    CLASS_COLOURS,
    class_text,
    classify_pieces,
    comparison_sides,
    source_lean,
    source_name,
)
from ..model.control_map import ControlMap
from ..model.measure import inverse_transformer, to_equal_area
from ..model.shapes import polygonal
from ..places.gazetteer import towns
from ..places.scope import not_drawn_keys, select_not_drawn
from ._common import (
    aoi_dict,
    aoi_html,
    aoi_place,
    group_sum,
    json_records,
    lab,
    label_str,
    resolve_aoi,
    run_all,
)
from .cut import NearZone
from .lines import displacement_stats
from .pieces import Pieces, dissolve, drawn_only, explode, owner, robust_intersection, tile_pieces

if TYPE_CHECKING:  # pandas is imported where a DataFrame is made: not on the compare --json path
    import pandas as pd

__all__ = [
    "CLASSES",
    "Comparison",
    "classify_pieces",
    "compare",
]

#: what cuts the AOI's edge and the scope pieces out of the boundaries (the reference:
#: :class:`~mapdiff.comparison.cut.NearZoneReference`, the GEOS buffers and differences)
near_zone = NearZone
TOLERANCES_M = (0.0, 100.0, 250.0, 500.0, 1000.0, 2000.0)
_COMPONENT_COLS = ["rank", "area_km2", "a_label", "b_label", "lon", "lat", "place", "place_km", "geometry"]
_DISPLACEMENT_COLS = ["side", "median_km", "p90_km", "max_km", "max_lon", "max_lat", "n_points"]
#: Disagreement classes of a piece (column ``class`` of :attr:`Comparison.pieces`), in legend order.
CLASSES = (
    *("both_a", "both_b", "only_1_a", "only_2_a"),
    *("grey_1_a", "grey_2_a", "grey_1_b", "grey_2_b", "grey_both", "grey"),
    *("other", "out_of_scope"),
)


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
        return tuple(dict.fromkeys(n for n in (self.a.grey_absence, self.b.grey_absence) if n))

    @cached_property
    def class_km2(self) -> dict:
        """km² per disagreement class present (``class`` column), in :data:`CLASSES` order."""
        by = group_sum(self._cols["class"], self._cols["area_km2"])
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
        found = dict.fromkeys(lab(s, d) for s, d in pairs)
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
        ra = [label_str(s, d) for s, d in zip(p["a_status"], p["a_side"], strict=True)]
        rb = [label_str(s, d) for s, d in zip(p["b_status"], p["b_side"], strict=True)]
        at = {n: i for i, n in enumerate(names)}
        ct = np.zeros((len(names), len(names)))
        for (x, y), km2 in group_sum(zip(ra, rb, strict=True), p["area_km2"]).items():
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
                "a_label": [label_str(s, d) for s, d in zip(p.a_status, p.a_side, strict=True)],
                "b_label": [label_str(s, d) for s, d in zip(p.b_status, p.b_side, strict=True)],
                "area_km2": p.area_km2.to_numpy(),
                "cause": p.cause.to_numpy(),
            },
            geometry=self._pieces.geoms(keep),
            crs="EPSG:4326",
        )

    @cached_property
    def disagreement_km2(self) -> dict:
        """{scope, noise, real, total} km²."""
        by = group_sum(self._cols["cause"], self._cols["area_km2"])
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
        """:attr:`displacement` as rows (dicts), no pandas. The independent steps (the zone
        of the AOI's edge and the scope pieces, each map's boundary of each side; then each
        line's cut, :class:`~mapdiff.comparison.cut.NearZone`, no buffer; then each side's
        distances) run side by side on threads (:func:`run_all`)."""
        run_all([lambda m=m: m.coverage for m in (self.a, self.b)])  # made once, before any reads it

        def zone():  # the AOI's edge and the scope pieces, cut out of every line
            scope = self._pieces.projected(self._cols["cause"] == "scope", self._proj)
            return near_zone([shapely.boundary(self._proj(polygonal(self.aoi)))], scope, 1.0)

        def boundary(w, side):
            # _side_region is polygonal (never a collection: those have no boundary)
            return shapely.boundary(self._proj(self._side_region(w, side)))

        keys = [(side, w) for side in self.sides for w in ("a", "b")]
        near, *bounds = run_all([zone, *(partial(boundary, w, s) for s, w in keys)])
        cuts = dict(zip(keys, run_all([partial(near.cut, b) for b in bounds]), strict=True))

        def measured(side):
            lines = [cuts[(side, "a")], cuts[(side, "b")]]
            if any(ln is None or ln.is_empty for ln in lines):
                return {}
            return displacement_stats(lines[0], lines[1], self._unproj)

        rows = []
        for side, stats in zip(self.sides, run_all([partial(measured, s) for s in self.sides]), strict=True):
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
        geoms = self._pieces.projected(sel, self._proj) if sel.any() else np.array([], dtype=object)
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
                opened = robust_intersection(grown, alive)
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
        comps = shapely.get_parts(dissolve(parts))
        comp_of = owner(parts, comps)
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
            out[comp_of[first]] = [label_str(s, d) for s, d in zip(st, sd, strict=True)]
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
        sums = group_sum(keys, p["area_km2"])
        names = ("a_status", "a_side", "b_status", "b_side")
        out = {n: np.array([k[i] for k in sums], dtype=object) for i, n in enumerate(names)}
        out["area_km2"] = np.fromiter(sums.values(), dtype=float, count=len(sums))
        return out

    def summary(self, *, top: int = 5) -> str:
        """The crosstab (km²), the disagreement split by cause and the ``top`` largest real parts."""
        ct = self.crosstab
        w = max([len(str(x)) for x in ct.columns] + [12]) + 2
        corner = f"{self.a.source} \\ {self.b.source}"
        date = {id(m): iso(m.as_of, "undated") for m in (self.a, self.b)}
        where = ""
        if self.place is not None:
            approx = ", APPROXIMATE" if self.approximate else ""
            where = f" ({self.place.name}, {self.place.kind} footprint{approx})"
        lines = [
            f"{self.a.source} {date[id(self.a)]} (rows) vs {self.b.source} {date[id(self.b)]} (columns): "
            f"AOI {self.aoi_km2:,.1f} km²{where}",
            "sources: "
            + " vs ".join(
                source_name(m.source) + (f" ({source_lean(m.source)})" if source_lean(m.source) else "")
                for m in (self.a, self.b)
            ),
            "crosstab (km²):",
            f"  {corner:<24}" + "".join(f"{x:>{w}}" for x in ct.columns),
        ]
        lines += [f"  {r:<24}" + "".join(f"{ct.loc[r, x]:>{w},.1f}" for x in ct.columns) for r in ct.index]
        d = self.disagreement_km2
        lines.append(
            f"disagreement: {d['total']:,.1f} km² = scope {d['scope']:,.1f} + noise {d['noise']:,.1f} "
            f"(< {self.noise_m:g} m) + real {d['real']:,.1f}"
        )
        comps = self.components.head(top)
        if len(comps):
            lines.append("largest real disagreements:")
            lines += [
                f"  {r['area_km2']:>10,.1f} km²  {r['a_label']} / {r['b_label']}  near {r['place']}"
                for _, r in comps.iterrows()
            ]
        return "\n".join(lines)

    def to_dict(self, *, top: int = 20) -> dict:
        """JSON-ready summary (schema_version 1); ``top`` real components are listed."""
        # the three costly parts, side by side (GEOS releases the GIL); each cached
        run_all([lambda: self._displacement, lambda: self._tolerance, lambda: self._components])
        comps = self._components or {c: [] for c in _COMPONENT_COLS}
        comps = {k: v for k, v in comps.items() if k != "geometry"}
        out = {
            "schema_version": SCHEMA_VERSION,
            "type": "comparison",
            "aoi_km2": float(self.aoi_km2),
            "aoi": aoi_dict(self.place),
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
            "crosstab": json_records(self._long),
            "disagreement_km2": {k: float(v) for k, v in self.disagreement_km2.items()},
            "class_sides": list(self.class_sides),
            "class_km2": self.class_km2,
            "metrics": json_records(self._metrics),
            "displacement": [json_records({k: [r[k]] for k in r})[0] for r in self._displacement],
            "tolerance": [json_records({k: [r[k]] for k in r})[0] for r in self._tolerance],
            "components": json_records(comps, top),
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
                "a_label": [label_str(s, d) for s, d in zip(p.a_status, p.a_side, strict=True)],
                "b_label": [label_str(s, d) for s, d in zip(p.b_status, p.b_side, strict=True)],
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
        return export_provenance("comparison", maps=[("a", self.a), ("b", self.b)], footprint=self.place)

    def _class_style(self) -> dict:
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
            f"AOI {self.aoi_km2:,.1f} km²{aoi_html(self.place)}; disagreement {d['total']:,.1f} km² "
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
    place = aoi_place(aoi)  # once: a polygon file is read once
    pa, pb, inter, rest, geom, centre = _overlaid(a, b, aoi, place)
    agree = pa == pb
    # disagreement, one row per part
    dis_idx, parts = explode(np.flatnonzero(~agree), inter[~agree])
    pa_d, pb_d = pa[dis_idx], pb[dis_idx]
    # every piece projected once (kept: the tolerance curve and the displacement use them)
    parts_p = _projected(parts, centre)
    cause, notes = _causes(a, b, pa_d, pb_d, parts, parts_p, scope=scope, noise_m=noise_m)
    agree_idx = np.flatnonzero(agree)
    geoms = np.concatenate([inter[agree_idx], parts])
    proj = np.concatenate([_projected(inter[agree_idx], centre), parts_p])
    a_lab = np.concatenate([pa[agree_idx], pa_d])
    b_lab = np.concatenate([pb[agree_idx], pb_d])
    causes = np.concatenate([np.full(len(agree_idx), "agree", dtype=object), cause])
    lazy = {}
    if rest is None:
        sizes = _km2(np.concatenate([proj, _projected(np.array([geom], dtype=object), centre)]))
        aoi_km2, sizes = float(sizes[-1]), sizes[:-1]
    else:
        geoms, proj, a_lab, b_lab, causes, sizes, aoi_km2 = _with_rest(
            rest, centre, geoms, proj, a_lab, b_lab, causes, lazy
        )
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
        geom if geom is not None else (lambda: resolve_aoi(None, (a, b), km2=aoi_km2)),
        aoi_km2,
        Pieces(table, geoms, lazy, proj),
        float(noise_m),
        tuple(notes),
        centre,
        place,
        class_sides=sides,
        _whole=aoi is None,
    )


def _overlaid(a: ControlMap, b: ControlMap, aoi, place):
    """(a's label, b's label, geometry) per piece, the rest of the AOI (whole-front path,
    else None), the AOI geometry (None until asked on the whole-front path) and its centre."""
    fast = drawn_only(a, b) if aoi is None else None
    if fast is None:
        geom = resolve_aoi(aoi if place is None else place, (a, b))
        x0, y0, x1, y1 = shapely.bounds(geom)
        pa, pb, inter = tile_pieces(a, b, geom)
        rest = None
    else:  # the AOI (the union of the two coverages) is built only when asked
        # the bounds of the two coverages, from their parts (land, beyond) without making them
        box = shapely.bounds([g for m in (a, b) for g in m.domain.parts if g is not None])
        (x0, y0), (x1, y1) = box[:, :2].min(axis=0), box[:, 2:].max(axis=0)
        pa, pb, inter, rest = fast
        geom = None
    return pa, pb, inter, rest, geom, ((x0 + x1) / 2.0, (y0 + y1) / 2.0)


def _projected(geoms, centre) -> np.ndarray:
    """Each geometry in the equal-area projection, as
    :func:`~mapdiff.model.measure.area_km2` projects it (missing and empty ones as they
    are: they measure 0)."""
    out = np.array(geoms, dtype=object)
    ok = ~shapely.is_missing(out)
    ok[ok] &= ~shapely.is_empty(out[ok])
    if ok.any():
        out[ok] = to_equal_area(out[ok], centre)
    return out


def _km2(projected) -> np.ndarray:
    """km² of projected geometries, as :func:`~mapdiff.model.measure.area_km2` gives them (missing: 0)."""
    out = np.zeros(len(projected), dtype=float)
    ok = ~shapely.is_missing(projected)
    out[ok] = shapely.area(projected[ok]) / 1e6
    return out


def _causes(a, b, pa_d, pb_d, parts, parts_p, *, scope: bool, noise_m: float) -> tuple[np.ndarray, list]:
    """The cause of each disagreeing part (``real``, ``scope``, ``noise``) and the scope notes."""
    cause = np.full(len(parts), "real", dtype=object)
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
        comps = shapely.get_parts(dissolve(parts[cand]))
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
        eroded = shapely.buffer(parts_p[rest_idx], -noise_m / 2.0)
        cause[rest_idx[shapely.is_empty(eroded)]] = "noise"
    for m in (a, b):
        notes += [f"{m.source}: {s}" for s in m.scope]
    return cause, list(dict.fromkeys(notes))  # one note per statement when both maps share a source


def _with_rest(rest, centre, geoms, proj, a_lab, b_lab, causes, lazy: dict):
    """The pieces with the rest of the AOI appended (whole-front path), their km² and the AOI's.

    The rest is where both maps imply their background: its km² is the AOI's less what is
    drawn (the pieces tile the AOI), its geometry made when asked (``lazy``)."""
    label, base_km2, cell = rest(centre)
    sizes = _km2(proj)
    aoi_km2 = base_km2 + float(sizes[a_lab == NOT_COVERED].sum())  # b's drawing past a's
    # a drawing of the background label where the other map implies it: part of that cell
    # (one piece per label pair, as the tiled path gives)
    same = (a_lab == label) & (b_lab == label)
    if same.any():
        joined, cell0 = geoms[same], cell

        def cell():
            return polygonal(shapely.union_all(np.append(joined, cell0())))

        geoms, proj, a_lab, b_lab = geoms[~same], proj[~same], a_lab[~same], b_lab[~same]
        causes, sizes = causes[~same], sizes[~same]
    lazy[len(geoms)] = cell
    geoms, proj = np.append(geoms, None), np.append(proj, None)
    a_lab, b_lab = np.append(a_lab, label), np.append(b_lab, label)
    causes = np.append(causes, "agree")
    sizes = np.append(sizes, aoi_km2 - float(sizes.sum()))
    return geoms, proj, a_lab, b_lab, causes, sizes, aoi_km2
