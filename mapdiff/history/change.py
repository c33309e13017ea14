"""What a new release changed: gains and losses per side, in km², with polygons.

:func:`changes` compares two releases of one source; :class:`ChangeTable` is the
per-release table a :class:`~mapdiff.history.releases.Releases` builds with ``Releases.changes()``
(parallel over runs of consecutive releases, through the same runner as shares).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from .._geo import GeoResult
from .._json import SCHEMA_VERSION, iso
from ..errors import ArgumentError, MapdiffWarning
from ..io.read import read_map
from ..io.write import export_provenance, map_row
from ..model.classes import CHANGE_COLOURS, source_lean, source_name
from ..model.control_map import ControlMap
from ..model.measure import area_km2
from ..model.shapes import polygonal
from ..places.footprints import Footprint, as_footprint, footprint
from ..places.gazetteer import towns
from ._engine import Context, Release, load_release, rounded_centre

__all__ = ["ChangeComponent", "ChangeTable", "Changes", "changes"]


# ======================================================================= changes
@dataclass(frozen=True)
class ChangeComponent:
    """One connected piece of land that changed hands between two releases."""

    side: str
    change: str  # "gained" or "lost"
    area_km2: float
    place: str
    distance_km: float
    geometry: object = field(repr=False, compare=False)


@dataclass(frozen=True, eq=False)
class Changes(GeoResult):
    """Gains and losses per side between two releases (km², with the polygons).

    Attributes
    ----------
    old_as_of, new_as_of : date or None
    source : str
    sides : dict
        ``{side: {"gained_km2", "lost_km2", "net_km2"}}``.
    gained, lost : dict
        ``{side: lon/lat geometry}``.
    components : tuple of ChangeComponent
        Each connected piece, largest first, named after the nearest gazetteer place.
    aoi : str or None
    aoi_kind : str or None
        The footprint kind (rung) of a place AOI (``city_limits``, ``approximate``, ...).
    approximate : bool
        True when the AOI is an approximate footprint (stated in the text and JSON).

    Examples
    --------
    >>> import mapdiff
    >>> old, new = (mapdiff.read_map(mapdiff.sample_path(d)) for d in ("2025-11-20", "2025-11-27"))
    >>> c = mapdiff.changes(old, new, aoi="Pokrovsk")
    >>> ru, ua = c.sides["RU"], c.sides["UA"]
    >>> type(c).__name__, round(ru["gained_km2"], 2), round(ua["net_km2"], 2), c.aoi_kind
    ('Changes', 1.54, -1.54, 'city_limits')
    """

    old_as_of: dt.date | None
    new_as_of: dt.date | None
    source: str
    sides: dict
    gained: dict = field(repr=False)
    lost: dict = field(repr=False)
    components: tuple = field(repr=False, default=())
    aoi: str | None = None
    aoi_kind: str | None = None
    approximate: bool = False
    #: the two maps' Provenance (old, new) and the Footprint of ``aoi``, stated in exports
    map_provenance: tuple = field(repr=False, default=())
    footprint: object = field(repr=False, default=None)

    def summary(self, *, top: int = 5) -> str:
        """The gains and losses per side in words, with the ``top`` largest gained pieces."""
        where = f" in {self.aoi} ({self.aoi_kind} footprint)" if self.aoi else ""
        if self.approximate:
            where += " [APPROXIMATE footprint: see mapdiff place " + repr(self.aoi) + "]"
        lines = [
            f"{self.source}: {self.old_as_of} -> {self.new_as_of}{where}",
            f"  {'side':<8}{'gained km²':>14}{'lost km²':>14}{'net km²':>14}",
        ]
        lines += [
            f"  {s:<8}{v['gained_km2']:>14,.2f}{v['lost_km2']:>14,.2f}{v['net_km2']:>+14,.2f}"
            for s, v in self.sides.items()
        ]
        gains = [x for x in self.components if x.change == "gained"][:top]
        if gains:
            lines.append("  largest gains:")
            lines += [
                f"    {x.side:<6}{x.area_km2:>10,.2f} km²  near {x.place} ({x.distance_km:.1f} km)"
                for x in gains
            ]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-ready dict: ``sides`` with km² and the components (without geometry)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "type": "changes",
            "source": self.source,
            "source_name": source_name(self.source),
            "lean": source_lean(self.source),
            "old": iso(self.old_as_of),
            "new": iso(self.new_as_of),
            "aoi": self.aoi,
            "aoi_kind": self.aoi_kind,
            "approximate": self.approximate,
            "sides": {s: {k: round(v, 6) for k, v in d.items()} for s, d in self.sides.items()},
            "components": [
                {
                    "side": c.side,
                    "change": c.change,
                    "area_km2": round(c.area_km2, 6),
                    "place": c.place,
                    "distance_km": round(c.distance_km, 3),
                }
                for c in self.components
            ],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per changed component: side, change, area_km2, place, distance_km."""
        return pd.DataFrame(
            [
                {
                    "side": c.side,
                    "change": c.change,
                    "area_km2": c.area_km2,
                    "place": c.place,
                    "distance_km": c.distance_km,
                }
                for c in self.components
            ],
            columns=["side", "change", "area_km2", "place", "distance_km"],
        )

    def to_gdf(self):
        """The components as a GeoDataFrame (EPSG:4326): ``class`` (``gained`` or ``lost``),
        ``side``, ``change``, ``area_km2``, ``place``, ``distance_km``, ``geometry``.

        On a two-sided map one side's gains are the other's losses: the same polygon is
        a row of each side (filter on ``side``).
        """
        import geopandas as gpd

        df = self.to_frame()
        df.insert(0, "class", df["change"].astype(object))
        return gpd.GeoDataFrame(df, geometry=[c.geometry for c in self.components], crs="EPSG:4326")

    def _export_provenance(self) -> dict:

        provs = tuple(self.map_provenance) or (None, None)
        maps = [
            map_row("old", self.source, self.old_as_of, provs[0]),
            map_row("new", self.source, self.new_as_of, provs[1]),
        ]
        return export_provenance("changes", maps=maps, footprint=self.footprint)

    def _class_style(self) -> dict:

        return {k: (c, k) for k, c in CHANGE_COLOURS.items()}

    def plot(self, ax=None, **kwargs):
        """What a side gained and lost, true to scale (:func:`mapdiff.draw.plot.plot_changes_map`)."""
        from ..draw.plot import plot_changes_map

        return plot_changes_map(self, ax=ax, **kwargs)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(s)}</td><td>{d['gained_km2']:,.2f}</td>"
            f"<td>{d['lost_km2']:,.2f}</td><td>{d['net_km2']:+,.2f}</td></tr>"
            for s, d in self.sides.items()
        )
        return (
            f"<b>Changes</b> {html.escape(self.source)} {self.old_as_of} → {self.new_as_of}"
            f"<table><tr><th>side</th><th>gained km²</th><th>lost km²</th><th>net km²</th></tr>"
            f"{rows}</table>"
        )


def _pieces_in(m: ControlMap, within) -> list:
    """Each drawn label's geometry inside ``within`` (small), in label order."""
    shapely.prepare(within)
    return [g if shapely.covers(within, g) else polygonal(shapely.intersection(g, within)) for g in m.clipped]


def _held(m: ControlMap, side: str, within, pieces=None):
    """Land ``side`` holds on ``m`` inside ``within`` (lon/lat)."""
    pieces = _pieces_in(m, within) if pieces is None else pieces
    parts = [g for lab, g in zip(m.labels, pieces, strict=True) if lab.holds and lab.side == side]
    if m.background is not None and m.background.holds and m.background.side == side:
        drawn = (
            shapely.union_all(np.asarray(pieces, dtype=object))
            if len(pieces) > 1
            else (pieces[0] if pieces else shapely.Polygon())
        )
        parts.append(polygonal(shapely.difference(within, drawn)))
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else polygonal(shapely.union_all(np.asarray(parts, dtype=object)))


def _changed_region(old: ControlMap, new: ControlMap, within):
    """Where the two maps can differ at all, inside ``within``.

    With the same background, a point changes hands only if some drawn label's
    membership changes: the union of each label's symmetric difference. Restricting the
    overlays to it keeps whole-front comparisons small (a day's changes are a few km²).
    """
    if old.background != new.background:
        return within
    labels = list(dict.fromkeys([*old.labels, *new.labels]))
    empty = shapely.Polygon()
    diffs = []
    for lab in labels:
        a = old.clipped[old.labels.index(lab)] if lab in old.labels else empty
        b = new.clipped[new.labels.index(lab)] if lab in new.labels else empty
        d = polygonal(shapely.symmetric_difference(a, b))
        if not d.is_empty:
            diffs.append(d)
    if not diffs:
        return empty
    x = diffs[0] if len(diffs) == 1 else polygonal(shapely.union_all(np.asarray(diffs, dtype=object)))
    shapely.prepare(within)
    return x if shapely.covers(within, x) else polygonal(shapely.intersection(x, within))


def _sides(*maps) -> list[str]:
    out = []
    for m in maps:
        for lab in m.all_labels:
            if lab.holds and lab.side and lab.side not in out:
                out.append(lab.side)
    return out


def changes(old, new, *, aoi=None, components: bool = True, allow_mixed_sources: bool = False) -> Changes:
    """Gains and losses per side between two releases, in km², with the polygons.

    Only land both maps cover is compared (a change of coverage is not a change of
    control). Each connected gained or lost piece is named after the nearest gazetteer
    place (by its point on surface).

    Parameters
    ----------
    old, new : ControlMap or path
    aoi : place name, Footprint or lon/lat geometry, optional
        Restrict to this area (default: everything both maps cover).
    components : bool, default True
        Split the changes into named connected components.
    allow_mixed_sources : bool, default False
        Two releases of different sources are refused: their difference mixes the way
        each draws the front with what changed on the ground (use :func:`mapdiff.compare`
        for that). Pass True to measure it anyway.

    Raises
    ------
    ArgumentError
        The sources differ (without ``allow_mixed_sources``).

    Warns
    -----
    MapdiffWarning
        NEW is dated before OLD: the change is measured as given (from OLD to NEW, so
        backwards in time: every gain is a loss), and the warning says to swap them.

    Returns
    -------
    Changes

    Examples
    --------
    >>> import mapdiff
    >>> c = mapdiff.changes(mapdiff.sample_path("2025-11-01"), mapdiff.sample_path("2025-11-27"))
    >>> c.sides["RU"]["gained_km2"] > c.sides["RU"]["lost_km2"]
    True
    """

    old = old if isinstance(old, ControlMap) else read_map(old)
    new = new if isinstance(new, ControlMap) else read_map(new)
    _check_pair(old, new, allow_mixed_sources)
    fp = None if aoi is None else _aoi_footprint(aoi)
    geom = None if aoi is None else (fp.geometry if fp is not None else aoi_geometry(aoi))
    name = None if aoi is None else fp.name if fp is not None else getattr(aoi, "name", str(aoi))
    c = _changes(old, new, geom, name, components)
    if fp is None:
        return c
    return dataclasses.replace(c, aoi_kind=fp.kind, approximate=fp.approximate, footprint=fp)


def _check_pair(old: ControlMap, new: ControlMap, allow_mixed_sources: bool) -> None:
    """Refuse a pair of releases whose difference would not be a change on the ground."""

    def where(m):
        return Path(m.provenance.path).name if m.provenance.path else f"{m.source} {m.as_of}"

    if old.source != new.source and not allow_mixed_sources:
        raise ArgumentError(
            f"OLD {where(old)} is a {old.source} release and NEW {where(new)} a {new.source} one: "
            "their difference mixes how each source draws with what changed; compare them with "
            "compare(), or pass allow_mixed_sources=True to measure it anyway"
        )
    if old.as_of and new.as_of and new.as_of < old.as_of:
        import warnings

        warnings.warn(
            f"NEW {where(new)} ({new.as_of}) is older than OLD {where(old)} ({old.as_of}): the "
            "change is measured backwards in time (every gain is a loss); swap them if you meant "
            "OLD first",
            MapdiffWarning,
            stacklevel=3,
        )


def _changes(old: ControlMap, new: ControlMap, geom, aoi_name, components: bool) -> Changes:
    fa, fb = old.footprint, new.footprint
    common = fa if fa is fb or shapely.equals_exact(fa, fb, 0) else shapely.intersection(fa, fb)
    if geom is not None:
        common = shapely.intersection(common, geom)
    common = polygonal(common)
    within = _changed_region(old, new, common)
    sides = _sides(old, new)
    gained, lost, comps, rows = {}, {}, [], {}
    pieces, keys = [], []
    pa, pb = _pieces_in(old, within), _pieces_in(new, within)
    for s in sides:
        a, b = _held(old, s, within, pa), _held(new, s, within, pb)
        gained[s] = polygonal(shapely.difference(b, a))
        lost[s] = polygonal(shapely.difference(a, b))
        pieces += [gained[s], lost[s]]
        keys.append(s)
    centre = rounded_centre(np.asarray([common], dtype=object)) if not common.is_empty else None
    sizes = area_km2(np.asarray(pieces, dtype=object), centre=centre) if pieces else []
    for k, s in enumerate(keys):
        g, lo = float(sizes[2 * k]), float(sizes[2 * k + 1])
        rows[s] = {"gained_km2": g, "lost_km2": lo, "net_km2": g - lo}
    if components and pieces:
        for s in keys:
            for kind, geom_s in (("gained", gained[s]), ("lost", lost[s])):
                parts = shapely.get_parts(geom_s)
                parts = parts[~shapely.is_empty(parts)] if len(parts) else parts
                if not len(parts):
                    continue
                a = area_km2(parts, centre=centre)
                near = towns().nearest_to(parts)
                names, dist = [n or "" for n in near.name], near.km
                comps += [
                    ChangeComponent(s, kind, float(a[i]), names[i], float(dist[i]), parts[i])
                    for i in range(len(parts))
                ]
        comps.sort(key=lambda c: -c.area_km2)
    return Changes(
        old.as_of,
        new.as_of,
        new.source,
        rows,
        gained,
        lost,
        tuple(comps),
        aoi_name,
        map_provenance=(old.provenance, new.provenance),
    )


def _aoi_footprint(aoi):
    """The Footprint an AOI names (a place name, polygon file or Footprint), else None."""
    from pathlib import Path

    if isinstance(aoi, (str, Path, Footprint)):
        return as_footprint(aoi)
    return None


def aoi_geometry(aoi):

    if isinstance(aoi, str):
        return footprint(aoi).geometry
    if isinstance(aoi, Footprint):
        return aoi.geometry
    g = getattr(aoi, "geometry", aoi)
    if not isinstance(g, shapely.Geometry):
        raise ArgumentError(
            f"aoi must be a place name, a Footprint or a lon/lat geometry, not {type(aoi).__name__}"
        )
    return g


def changes_batch(ctx: Context, batch: Sequence[Release]) -> list[dict]:
    maps = [load_release(r, ctx) for r in batch]
    out = []
    for a, b in itertools.pairwise(maps):
        c = _changes(a, b, ctx.clip, None, components=False)
        row = {"date": b.as_of, "previous": a.as_of}
        for s, d in c.sides.items():
            for k, v in d.items():
                row[f"{s}_{k}"] = v
        out.append(row)
    return out


@dataclass(frozen=True, eq=False)
class ChangeTable:
    """Per-release gains and losses per side, with rolling averages.

    Attributes
    ----------
    frame : DataFrame
        Index ``date``; columns ``previous``, ``days`` (since the previous release), and per
        side ``<side>_gained_km2``, ``<side>_lost_km2``, ``<side>_net_km2``,
        ``<side>_net_km2_per_day`` and ``<side>_net_km2_per_day_rolling`` (mean over
        ``window`` releases).
    window : int
    source : str
    aoi : str or None

    Examples
    --------
    >>> import mapdiff
    >>> s = mapdiff.Releases(mapdiff.sample_paths(), cache=False)
    >>> t = s.changes(aoi="Pokrovsk", cache=False, workers=1, quiet=True)
    >>> type(t).__name__, t.sides, t.frame["RU_net_km2"].round(1).tolist()
    ('ChangeTable', ['RU', 'UA'], [2.1, 10.2, 1.5, 5.5])
    """

    frame: pd.DataFrame
    window: int
    source: str
    aoi: str | None = None

    @property
    def sides(self) -> list[str]:
        """Sides in the table."""
        return [c[: -len("_gained_km2")] for c in self.frame.columns if c.endswith("_gained_km2")]

    def to_frame(self) -> pd.DataFrame:
        """The table (a copy)."""
        return self.frame.copy()

    def summary(self) -> str:
        """The releases covered and the total gains, losses and net per side, in words."""
        f = self.frame
        if f.empty:
            return f"{self.source}: no pair of releases to compare"
        where = f" in {self.aoi}" if self.aoi else ""
        lines = [
            f"{self.source}{where}: {len(f)} changes between releases, "
            f"{f['previous'].min().date()} -> {f.index.max().date()}",
            f"  {'side':<8}{'gained km²':>14}{'lost km²':>14}{'net km²':>14}",
        ]
        for s in self.sides:
            g, lost = float(f[f"{s}_gained_km2"].sum()), float(f[f"{s}_lost_km2"].sum())
            lines.append(f"  {s:<8}{g:>14,.2f}{lost:>14,.2f}{g - lost:>+14,.2f}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-ready dict: totals per side and the rows."""
        f = self.frame
        sides = {
            s: {"gained_km2": float(f[f"{s}_gained_km2"].sum()), "lost_km2": float(f[f"{s}_lost_km2"].sum())}
            for s in self.sides
        }
        rows = []
        for d, r in f.iterrows():
            rows.append(
                {
                    "date": d.date().isoformat(),
                    "previous": r["previous"].date().isoformat(),
                    **{
                        k: (None if pd.isna(v) else round(float(v), 6))
                        for k, v in r.items()
                        if k not in ("previous",)
                    },
                }
            )
        return {
            "schema_version": SCHEMA_VERSION,
            "type": "change_table",
            "source": self.source,
            "aoi": self.aoi,
            "window": self.window,
            "sides": sides,
            "rows": rows,
        }

    def plot(self, ax=None, **kwargs):
        """Net change per day and its rolling mean (:func:`mapdiff.draw.plot.plot_change_table`)."""
        from ..draw.plot import plot_change_table

        return plot_change_table(self, ax=ax, **kwargs)

    def _repr_html_(self) -> str:
        where = " — " + html.escape(self.aoi) if self.aoi else ""
        return f"<b>ChangeTable</b> {html.escape(self.source)}{where}" + self.frame.tail(10).to_html(
            float_format="%.2f"
        )


def assemble_changes(rows: list[dict], window: int, source: str, aoi: str | None) -> ChangeTable:
    f = pd.DataFrame(rows)
    f["date"] = pd.to_datetime(f["date"])
    f["previous"] = pd.to_datetime(f["previous"])
    f = f.set_index("date").sort_index()
    f.insert(1, "days", (f.index - f["previous"]).dt.days)
    sides = [c[: -len("_gained_km2")] for c in f.columns if c.endswith("_gained_km2")]
    for s in sides:
        f[[f"{s}_gained_km2", f"{s}_lost_km2", f"{s}_net_km2"]] = f[
            [f"{s}_gained_km2", f"{s}_lost_km2", f"{s}_net_km2"]
        ].fillna(0.0)
        f[f"{s}_net_km2_per_day"] = f[f"{s}_net_km2"] / f["days"].clip(lower=1)
        f[f"{s}_net_km2_per_day_rolling"] = f[f"{s}_net_km2_per_day"].rolling(window, min_periods=1).mean()
    return ChangeTable(f, window, source, aoi)
