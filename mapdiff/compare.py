"""Compare two maps of the same front: where they disagree, by how much, and why.

Design
------
Each map tiles the area of interest (AOI) exactly with :meth:`ControlMap.partition`
(drawn labels, the background label, ``not_covered``). The two tilings are overlaid
with vectorised shapely: an :class:`shapely.STRtree` over the polygon parts of ``b``
is queried with every polygon part of ``a`` (predicate ``intersects``) and the pairs
are intersected in one array call. Every resulting polygon ("piece") carries a's and
b's label. All pieces and the AOI are measured in ONE :func:`mapdiff.measure.area_km2`
call with a common projection centre, so the cross-tabulation adds up to the AOI.

Each disagreeing piece gets a cause:

* ``scope`` — one map does not cover it (``not_covered``) or it lies in an area one
  map's profile declares it never draws (``not_drawn``; see :mod:`mapdiff.scope`);
* ``noise`` — a sliver that vanishes under an inward buffer of ``noise_m / 2`` metres in
  the equal-area projection (two people digitising the same line);
* ``real`` — the rest.

Pontius' quantity and allocation disagreement (with allocation = exchange + shift, as
in the R package diffeR) are computed exactly from the km² cross-tabulation, over the
union of both maps' labels, so that a class present in one map only (a grey zone) is
handled like any other.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import shapely

from .errors import CoverageError
from .labels import NOT_COVERED
from .measure import _centre, area_km2, to_equal_area
from .model import ControlMap, polygonal_parts

__all__ = ["Comparison", "compare"]

SCHEMA_VERSION = 1
CAUSES = ("agree", "scope", "noise", "real")
PIECE_COLUMNS = ["a_status", "a_side", "b_status", "b_side", "a_label", "b_label", "area_km2",
                 "cause", "geometry"]


# ---------------------------------------------------------------------- the AOI
def _resolve_aoi(aoi, a: ControlMap, b: ControlMap):
    """(geometry, name) of the area of interest."""
    if aoi is None:
        fa, fb = a.footprint, b.footprint
        geom = fa if (fa is fb or shapely.equals(fa, fb)) else shapely.union(fa, fb)
        return geom, f"union of the {a.source} and {b.source} extents"
    if isinstance(aoi, str):
        from .footprints import footprint

        fp = footprint(aoi)
        return fp.geometry, fp.name
    name = getattr(aoi, "name", None)
    geom = getattr(aoi, "geometry", aoi)
    if not isinstance(geom, shapely.Geometry):
        raise CoverageError(f"aoi must be a place name, a Footprint or a lon/lat shapely geometry, "
                            f"got {type(aoi).__name__}")
    if geom.is_empty or shapely.get_type_id(geom) not in (3, 6, 7):
        raise CoverageError(f"aoi must be a non-empty polygon in lon/lat, got {geom.geom_type}")
    xmin, ymin, xmax, ymax = geom.bounds
    if xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90:
        raise CoverageError(f"aoi bounds {geom.bounds} are not lon/lat degrees; reproject it to "
                            "EPSG:4326 first")
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    from .model import _polygonal

    geom = _polygonal(geom)
    if geom.is_empty:
        raise CoverageError("aoi has no polygonal area")
    return geom, name or "user polygon"


# ---------------------------------------------------------------------- overlay
def _overlay(la, ga, lb, gb):
    """Intersect two tilings; returns (a_index, b_index, polygons) per single polygon piece."""
    pa, ia_lab = shapely.get_parts(ga, return_index=True)
    pb, ib_lab = shapely.get_parts(gb, return_index=True)
    tree = shapely.STRtree(pb)
    qa, qb = tree.query(pa, predicate="intersects")
    inter = polygonal_parts(shapely.intersection(pa[qa], pb[qb]))
    parts, k = shapely.get_parts(inter, return_index=True)
    keep = ~shapely.is_empty(parts) & (shapely.get_type_id(parts) == 3)
    parts, k = parts[keep], k[keep]
    return ia_lab[qa[k]], ib_lab[qb[k]], parts


def _label_cols(labels, idx, prefix):
    st = np.array([lab.status for lab in labels], dtype=object)
    sd = np.array([lab.side for lab in labels], dtype=object)
    txt = np.array([str(lab) for lab in labels], dtype=object)
    return {f"{prefix}_status": st[idx], f"{prefix}_side": sd[idx], f"{prefix}_label": txt[idx]}


# ---------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class Comparison:
    """Two maps compared over one area of interest (immutable).

    Attributes
    ----------
    a, b : ControlMap
        The maps compared (a's labels are the crosstab's rows, b's its columns).
    aoi : shapely geometry
        The area of interest, lon/lat.
    aoi_name : str
    aoi_km2 : float
        Area of the AOI, measured in the same projection as every piece.
    pieces : GeoDataFrame
        EPSG:4326; one row per single polygon where a's label and b's label are constant,
        with columns ``a_status, a_side, b_status, b_side, a_label, b_label, area_km2,
        cause`` (``agree``, ``scope``, ``noise`` or ``real``) and ``geometry``.
    noise_m : float
        Slivers thinner than this (metres) count as noise.
    centre : (lon, lat)
        Centre of the equal-area projection every measure uses.
    a_labels, b_labels : tuple of Label
        Labels of each map's partition of the AOI, in order.
    scope_notes : tuple of str
        What was treated as out of scope, and how it was built.
    """

    a: ControlMap
    b: ControlMap
    aoi: object
    aoi_name: str
    aoi_km2: float
    pieces: object
    noise_m: float
    centre: tuple
    a_labels: tuple = ()
    b_labels: tuple = ()
    scope_notes: tuple = field(default_factory=tuple)

    # --------------------------------------------------------------- tables
    @cached_property
    def crosstab(self):
        """km² by a's label (rows, strings) and b's label (columns); sums to ``aoi_km2``."""
        import pandas as pd

        rows = [str(x) for x in self.a_labels]
        cols = [str(x) for x in self.b_labels]
        p = self.pieces
        t = pd.pivot_table(pd.DataFrame({"a": p["a_label"].astype(str), "b": p["b_label"].astype(str),
                                         "km2": p["area_km2"].astype(float)}),
                           index="a", columns="b", values="km2", aggfunc="sum", fill_value=0.0)
        t = t.reindex(index=rows, columns=cols, fill_value=0.0).astype(float)
        t.index.name, t.columns.name = "a", "b"
        return t

    @cached_property
    def disagreement(self):
        """The pieces where the two maps say different things (GeoDataFrame, EPSG:4326)."""
        return self.pieces[self.pieces["cause"] != "agree"].reset_index(drop=True)

    @cached_property
    def disagreement_km2(self) -> dict:
        """km² of disagreement by cause: ``scope``, ``noise``, ``real`` and ``total``."""
        by = self.pieces.groupby("cause")["area_km2"].sum()
        out = {c: float(by.get(c, 0.0)) for c in ("scope", "noise", "real")}
        out["total"] = out["scope"] + out["noise"] + out["real"]
        return out

    # --------------------------------------------------------------- metrics
    @cached_property
    def _matrix(self):
        """Square km² matrix over the union of both maps' labels (a rows, b columns)."""
        cats = list(dict.fromkeys([str(x) for x in self.a_labels] + [str(x) for x in self.b_labels]))
        m = self.crosstab.reindex(index=cats, columns=cats, fill_value=0.0).to_numpy(float)
        return cats, m

    @cached_property
    def metrics(self):
        """Per-label agreement (DataFrame indexed by label string), areas in km².

        Columns: ``a_km2`` and ``b_km2`` (each map's area of the label), ``both_km2``,
        ``iou`` (intersection over union; NaN when neither map has the label),
        ``quantity_km2``, ``allocation_km2``, ``exchange_km2``, ``shift_km2`` (Pontius &
        Santacruz 2014 / diffeR, from the crosstab in km² instead of pixels).
        The row ``"overall"`` holds the totals (quantity, exchange and shift halved as in
        diffeR, so that quantity + allocation = total disagreement).

        Examples
        --------
        >>> import shapely
        >>> from mapdiff import Label, normalise
        >>> cov = shapely.box(0, 0, 0.2, 0.1)
        >>> ru, ua = Label("controlled", "RU"), Label("controlled", "UA")
        >>> a = normalise([(ru, shapely.box(0, 0, 0.1, 0.1))], coverage=cov, background=ua, source="a")
        >>> b = normalise([(ru, shapely.box(0, 0, 0.15, 0.1))], coverage=cov, background=ua, source="b")
        >>> c = compare(a, b)
        >>> round(c.metrics.loc["controlled:RU", "iou"], 3)
        0.667
        """
        import pandas as pd

        cats, m = self._matrix
        diag = np.diag(m)
        rows, cols = m.sum(axis=1), m.sum(axis=0)
        union = rows + cols - diag
        with np.errstate(invalid="ignore", divide="ignore"):
            iou = np.where(union > 0, diag / np.where(union > 0, union, 1), np.nan)
        quantity = np.abs(cols - rows)
        allocation = 2 * np.minimum(rows - diag, cols - diag)
        off = m - np.diag(diag)
        exch_pair = 2 * np.minimum(off, off.T)  # symmetric, zero diagonal
        exchange = exch_pair.sum(axis=1)
        shift = allocation - exchange
        df = pd.DataFrame({"a_km2": rows, "b_km2": cols, "both_km2": diag, "iou": iou,
                           "quantity_km2": quantity, "allocation_km2": allocation,
                           "exchange_km2": exchange, "shift_km2": np.maximum(shift, 0.0)}, index=cats)
        total = float(m.sum())
        overall = {"a_km2": total, "b_km2": total, "both_km2": float(diag.sum()),
                   "iou": float(diag.sum() / total) if total > 0 else np.nan,
                   "quantity_km2": float(quantity.sum() / 2), "allocation_km2": float(allocation.sum() / 2),
                   "exchange_km2": float(exchange.sum() / 2),
                   "shift_km2": float(max(allocation.sum() / 2 - exchange.sum() / 2, 0.0))}
        df.loc["overall"] = overall
        df.index.name = "label"
        return df

    @cached_property
    def components(self):
        """Connected components of real disagreement, largest first (GeoDataFrame).

        Columns: ``a_label``, ``b_label``, ``area_km2``, ``place`` (nearest gazetteer place),
        ``place_km`` (distance to its centre, km; 0 inside), ``geometry`` (EPSG:4326).
        """
        return _components(self.pieces[self.pieces["cause"] == "real"], self.centre)

    # --------------------------------------------------------------- export
    def to_frame(self):
        """The crosstab in long form: a_status, a_side, b_status, b_side, area_km2."""
        import pandas as pd

        lab = {str(x): x for x in (*self.a_labels, *self.b_labels)}
        t = self.crosstab
        recs = [{"a_status": lab[r].status, "a_side": lab[r].side, "b_status": lab[c].status,
                 "b_side": lab[c].side, "area_km2": float(t.loc[r, c])}
                for r in t.index for c in t.columns]
        return pd.DataFrame(recs, columns=["a_status", "a_side", "b_status", "b_side", "area_km2"])

    def to_dict(self, n_components: int = 20) -> dict:
        """JSON-ready summary (``schema_version`` 1).

        Holds ``aoi`` / ``aoi_km2``, ``a`` and ``b`` (source, as_of, path), ``noise_m``,
        ``crosstab`` (list of ``{a_status, a_side, b_status, b_side, area_km2}``),
        ``disagreement_km2`` (scope, noise, real, total), ``metrics`` per label, the
        ``n_components`` largest real ``components`` and ``scope`` notes.
        """
        def _map(m):
            return {"source": m.source, "as_of": m.as_of.isoformat() if m.as_of else None,
                    "path": m.provenance.path, "scope": list(m.scope)}

        def _num(v):
            v = float(v)
            return None if not np.isfinite(v) else round(v, 6)

        met = self.metrics.reset_index()
        comps = self.components.head(n_components)
        return {
            "schema_version": SCHEMA_VERSION,
            "a": _map(self.a), "b": _map(self.b),
            "aoi": self.aoi_name, "aoi_km2": round(self.aoi_km2, 6),
            "noise_m": self.noise_m,
            "crosstab": [{**r, "area_km2": round(r["area_km2"], 6)}
                         for r in self.to_frame().to_dict("records")],
            "disagreement_km2": {k: round(v, 6) for k, v in self.disagreement_km2.items()},
            "metrics": [{k: (_num(v) if k != "label" else v) for k, v in r.items()}
                        for r in met.to_dict("records")],
            "components": [{"a_label": r.a_label, "b_label": r.b_label, "area_km2": round(r.area_km2, 6),
                            "place": r.place, "place_km": _num(r.place_km)}
                           for r in comps.itertuples()],
            "scope": list(self.scope_notes),
        }

    def to_file(self, path, driver: str | None = None, what: str = "disagreement"):
        """Write ``disagreement`` (default) or all ``pieces`` to GeoPackage/GeoJSON/…, atomically."""
        from .io import write_gdf

        gdf = self.pieces if what == "pieces" else self.disagreement
        return write_gdf(gdf, path, driver=driver)

    def plot(self, ax=None, **kwargs):
        """Draw the pieces coloured by (a's label, b's label); returns the Axes."""
        try:
            from . import plot as _plot
        except ImportError:
            _plot = None
        if _plot is not None and hasattr(_plot, "plot_comparison"):
            return _plot.plot_comparison(self, ax=ax, **kwargs)
        return _fallback_plot(self, ax)

    def __str__(self) -> str:
        t = self.crosstab
        w = max([len(str(c)) for c in t.columns] + [12]) + 2
        head = f"{self.a.source} \\ {self.b.source}"
        lines = [f"{self.a.source} {_date(self.a)} vs {self.b.source} {_date(self.b)} over "
                 f"{self.aoi_name}: {self.aoi_km2:,.1f} km²",
                 f"{head:<24}" + "".join(f"{c:>{w}}" for c in t.columns)]
        lines += [f"{r:<24}" + "".join(f"{t.loc[r, c]:>{w},.1f}" for c in t.columns) for r in t.index]
        d = self.disagreement_km2
        lines.append(f"disagreement: {d['total']:,.1f} km² = scope {d['scope']:,.1f} + noise "
                     f"{d['noise']:,.1f} (< {self.noise_m:g} m) + real {d['real']:,.1f}")
        comps = self.components.head(5)
        if len(comps):
            lines.append("largest real disagreements:")
            lines += [f"  {r.area_km2:>10,.1f} km²  {r.a_label} / {r.b_label}  near {r.place}"
                      for r in comps.itertuples()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        t = self.crosstab
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in t.columns)
        rows = "".join(f"<tr><th>{html.escape(str(r))}</th>"
                       + "".join(f"<td style='text-align:right'>{t.loc[r, c]:,.1f}</td>" for c in t.columns)
                       + "</tr>" for r in t.index)
        d = self.disagreement_km2
        return (f"<b>Comparison</b> {html.escape(self.a.source)} {_date(self.a)} (rows) vs "
                f"{html.escape(self.b.source)} {_date(self.b)} (columns), "
                f"{html.escape(self.aoi_name)}: {self.aoi_km2:,.1f} km²"
                f"<table><tr><th></th>{head}</tr>{rows}</table>"
                f"disagreement {d['total']:,.1f} km²: scope {d['scope']:,.1f}, noise {d['noise']:,.1f}, "
                f"real {d['real']:,.1f}")


def _date(m: ControlMap) -> str:
    return m.as_of.isoformat() if m.as_of else "undated"


def _fallback_plot(c: Comparison, ax=None):
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 7))
    p = c.pieces
    keys = list(dict.fromkeys(zip(p["a_label"], p["b_label"], strict=True)))
    cmap = plt.get_cmap("tab20")
    handles = []
    for i, (la, lb) in enumerate(keys):
        sel = p[(p["a_label"] == la) & (p["b_label"] == lb)]
        colour = "#dddddd" if la == lb else cmap(i % 20)
        sel.plot(ax=ax, color=colour, edgecolor="none")
        km2 = float(sel["area_km2"].sum())
        handles.append(Patch(color=colour, label=f"{c.a.source} {la} / {c.b.source} {lb} ({km2:,.0f} km²)"))
    ax.legend(handles=handles, fontsize=7, loc="best")
    ax.set_title(f"{c.a.source} {_date(c.a)} vs {c.b.source} {_date(c.b)}")
    ax.set_aspect(1 / np.cos(np.radians(c.centre[1])))
    return ax


# ---------------------------------------------------------------------- places
def _place_centres():
    from .footprints import _gazetteer

    entries, _ = _gazetteer()
    names, pts = [], []
    for name, e in entries.items():
        row = e["row"]
        if row and row.get("lon") and row.get("lat"):
            pts.append((float(row["lon"]), float(row["lat"])))
        elif e["polygons"]:
            c = next(iter(e["polygons"].values()))[0].centroid
            pts.append((c.x, c.y))
        else:
            continue
        names.append(name)
    return names, np.asarray(pts, dtype=float).reshape(-1, 2)


def _components(real, centre):
    import geopandas as gpd

    cols = ["a_label", "b_label", "area_km2", "place", "place_km", "geometry"]
    if len(real) == 0:
        return gpd.GeoDataFrame({c: [] for c in cols[:-1]}, geometry=[], crs="EPSG:4326")
    labs, geoms = [], []
    for (la, lb), grp in real.groupby(["a_label", "b_label"], sort=False):
        merged = shapely.union_all(grp.geometry.to_numpy(), grid_size=None)
        parts = shapely.get_parts(merged)
        parts = parts[shapely.get_type_id(parts) == 3]
        geoms.extend(parts)
        labs.extend([(la, lb)] * len(parts))
    geoms = np.asarray(geoms, dtype=object)
    areas = area_km2(geoms, centre=centre) if len(geoms) else np.zeros(0)
    names, pts = _place_centres()
    place = np.full(len(geoms), None, dtype=object)
    dist = np.full(len(geoms), np.nan)
    if len(names) and len(geoms):
        eq_geoms = to_equal_area(geoms, centre)
        eq_pts = to_equal_area(shapely.points(pts), centre)
        tree = shapely.STRtree(eq_pts)
        (gi, pi), d = tree.query_nearest(eq_geoms, return_distance=True, all_matches=False)
        place[gi] = np.asarray(names, dtype=object)[pi]
        dist[gi] = d / 1000.0
    gdf = gpd.GeoDataFrame({"a_label": [x[0] for x in labs], "b_label": [x[1] for x in labs],
                            "area_km2": areas, "place": place, "place_km": dist},
                           geometry=list(geoms), crs="EPSG:4326")
    return gdf.sort_values("area_km2", ascending=False, ignore_index=True)


# ---------------------------------------------------------------------- compare
def compare(a: ControlMap, b: ControlMap, aoi=None, noise_m: float = 30.0, scope: bool = True) -> Comparison:
    """Compare two maps over an area of interest.

    Parameters
    ----------
    a, b : ControlMap
        The maps; a's labels become the crosstab's rows, b's its columns.
    aoi : str, Footprint or shapely geometry (lon/lat), optional
        A gazetteer place name, a :class:`~mapdiff.Footprint`, or a polygon. Defaults to
        the union of both maps' extents (``ControlMap.footprint``).
    noise_m : float, default 30
        Disagreeing slivers thinner than this (metres) are ``noise``.
    scope : bool, default True
        Mark as ``scope`` the disagreement inside areas a map's profile declares it never
        draws (``not_drawn``: Crimea, areas held before 2022; see :mod:`mapdiff.scope`).

    Returns
    -------
    Comparison

    Raises
    ------
    CoverageError
        When the AOI is not a lon/lat polygon, or ``noise_m`` is negative.

    Examples
    --------
    >>> import shapely
    >>> from mapdiff import Label, normalise
    >>> ru, ua = Label("controlled", "RU"), Label("controlled", "UA")
    >>> cov = shapely.box(37.0, 48.0, 37.2, 48.1)
    >>> a = normalise([(ru, shapely.box(37.0, 48.0, 37.1, 48.1))], coverage=cov, background=ua, source="a")
    >>> b = normalise([(ru, shapely.box(37.0, 48.0, 37.12, 48.1))], coverage=cov, background=ua, source="b")
    >>> c = compare(a, b)
    >>> round(c.crosstab.loc["controlled:UA", "controlled:RU"], 1)
    16.6
    >>> c.disagreement_km2["real"] == c.crosstab.loc["controlled:UA", "controlled:RU"]
    True
    """
    import geopandas as gpd

    if not isinstance(a, ControlMap) or not isinstance(b, ControlMap):
        raise CoverageError(f"compare() takes two ControlMaps (see mapdiff.read_map), got "
                            f"{type(a).__name__} and {type(b).__name__}")
    noise_m = float(noise_m)
    if not np.isfinite(noise_m) or noise_m < 0:
        raise CoverageError(f"noise_m must be a distance >= 0 in metres, got {noise_m}")
    geom, name = _resolve_aoi(aoi, a, b)
    la, ga = a.partition(geom)
    lb, gb = b.partition(geom)
    ia, ib, parts = _overlay(la, ga, lb, gb)
    a_lab = np.asarray(la, dtype=object)[ia] if len(ia) else np.zeros(0, dtype=object)
    b_lab = np.asarray(lb, dtype=object)[ib] if len(ib) else np.zeros(0, dtype=object)
    agree = np.fromiter((x == y for x, y in zip(a_lab, b_lab, strict=True)), bool, len(a_lab))
    cause = np.where(agree, "agree", "real").astype(object)
    outside = np.fromiter((x == NOT_COVERED or y == NOT_COVERED for x, y in zip(a_lab, b_lab, strict=True)),
                          bool, len(a_lab))
    cause[~agree & outside] = "scope"

    centre = _centre(geom)
    notes: list[str] = []
    if scope:
        from .scope import not_drawn_area

        # Split disagreeing pieces along the not-drawn areas of each map; parts inside are scope.
        regions = []
        for m, other, side in ((a, b, "a"), (b, a, "b")):
            reg, why = not_drawn_area(m, other, geom, parts=parts, own=(a_lab if side == "a" else b_lab),
                                      other_labels=(b_lab if side == "a" else a_lab), cause=cause)
            if reg is not None and not reg.is_empty:
                regions.append(reg)
                notes.extend(why)
        if regions:
            region_all = shapely.union_all(regions)
            parts, ia, ib, cause = _split_by(parts, ia, ib, cause, region_all)
            a_lab, b_lab = np.asarray(la, dtype=object)[ia], np.asarray(lb, dtype=object)[ib]
    real = cause == "real"
    if noise_m > 0 and real.any():
        eq = to_equal_area(parts[real], centre)
        vanished = shapely.is_empty(shapely.buffer(eq, -noise_m / 2.0))
        idx = np.flatnonzero(real)
        cause[idx[vanished]] = "noise"
    sizes = area_km2(np.concatenate([parts, np.asarray([geom], dtype=object)]), centre=centre)
    aoi_km2 = float(sizes[-1])
    cols = {**_label_cols(la, ia, "a"), **_label_cols(lb, ib, "b")}
    pieces = gpd.GeoDataFrame({**cols, "area_km2": sizes[:-1], "cause": cause.astype(str)},
                              geometry=list(parts), crs="EPSG:4326")
    pieces = pieces[PIECE_COLUMNS]
    for m in (a, b):
        notes.extend(f"{m.source}: {s}" for s in m.scope)
    return Comparison(a, b, geom, name, aoi_km2, pieces, noise_m, centre, tuple(la), tuple(lb),
                      tuple(dict.fromkeys(notes)))


def _split_by(parts, ia, ib, cause, region):
    """Cut disagreeing pieces by ``region``: parts inside become ``scope``."""
    shapely.prepare(region)
    dis = (cause != "agree") & (cause != "scope")
    hit = dis & shapely.intersects(region, parts)
    if not hit.any():
        return parts, ia, ib, cause
    idx = np.flatnonzero(hit)
    inside = polygonal_parts(shapely.intersection(parts[idx], region))
    rest = polygonal_parts(shapely.difference(parts[idx], region))
    pin, kin = shapely.get_parts(inside, return_index=True)
    pout, kout = shapely.get_parts(rest, return_index=True)
    okin = ~shapely.is_empty(pin) & (shapely.get_type_id(pin) == 3)
    okout = ~shapely.is_empty(pout) & (shapely.get_type_id(pout) == 3)
    pin, kin, pout, kout = pin[okin], kin[okin], pout[okout], kout[okout]
    keep = ~hit
    new_parts = np.concatenate([parts[keep], pin, pout])
    new_ia = np.concatenate([ia[keep], ia[idx[kin]], ia[idx[kout]]])
    new_ib = np.concatenate([ib[keep], ib[idx[kin]], ib[idx[kout]]])
    new_cause = np.concatenate([cause[keep], np.full(len(pin), "scope", dtype=object),
                                cause[idx[kout]]]).astype(object)
    return new_parts, new_ia, new_ib, new_cause
