"""A release report: what one new release changed against the last, in numbers.

:func:`build_report` compares two releases of one source and gathers what a newsroom
publishes each day: km² gained and lost per side, the largest changed areas with where
they are (the nearest named settlement and the nearest gazetteer town, with distances),
the share of each watched town held on both dates, and the ledger claims dated after the
old release and up to the new one, each checked on the newest of the two releases on or
before its date. The result is a frozen :class:`Report`; the page and figures are drawn from its
:meth:`Report.to_dict` by :mod:`mapdiff.draw.report` (CLI: ``mapdiff report``).
"""

from __future__ import annotations

import datetime as dt
import html
import weakref
from dataclasses import dataclass, field

import numpy as np
import shapely

from .. import config
from .._json import SCHEMA_VERSION, iso, jsonable
from ..claims.check import check_claim
from ..claims.ledger import Ledger, check_claims, read_ledger, shipped_ledger_path
from ..errors import ArgumentError, CoverageError, MapdiffError
from ..labels import CONTESTED
from ..model.control_map import ControlMap
from ..model.measure import area_km2
from ..places import admin
from ..places.footprints import as_footprint, footprint, labelled_footprint
from ..places.gazetteer import PointIndex, settlements
from ._engine import rounded_centre
from .change import Changes, changes
from .regions import places_changed

__all__ = ["Report", "build_report"]


def _nearest_settlement(lon: float, lat: float) -> tuple[str | None, float | None, str | None]:
    """(name, geodesic km, compass direction from the settlement) of the nearest settlement."""
    near = settlements().nearest([lon], [lat])
    if near.name[0] is None:
        return None, None, None
    return near.name[0], float(near.km[0]), near.direction[0]


def _from_town(place: str | None, pt) -> tuple[str | None, float | None, str | None]:
    """(town, geodesic km, direction from the town's centre) for a gazetteer town."""
    if not place:
        return None, None, None
    try:
        fp = as_footprint(place)
    except MapdiffError:
        return None, None, None
    c = fp.centre or shapely.centroid(fp.geometry).coords[0]
    near = PointIndex((fp.name,), np.array([c[0]]), np.array([c[1]])).nearest([pt.x], [pt.y])
    return fp.name, float(near.km[0]), near.direction[0]


@dataclass(frozen=True, eq=False)
class Report:
    """One new release against the last (immutable).

    Attributes
    ----------
    old, new : ControlMap
    changes : Changes
        Gains and losses per side with their polygons (for the figures).
    areas : tuple of dict
        The largest changed areas (one row per gained piece: side, area_km2, lon, lat, the
        nearest named place — a GeoNames settlement or a gazetteer town — with its geodesic
        distance and the direction from it, and the nearest gazetteer town).
    places : tuple of dict
        Each watched town: side, share held on the old and the new map, the change in
        percentage points, footprint kind and whether it is approximate.
    claims : tuple of dict
        Ledger claims dated between the releases, each on the release of its date (rows of
        :func:`mapdiff.check_claims`).
    settlements : tuple of dict
        The settlements whose status changed between the releases (held by a side at >= 50 %,
        grey, contested: :func:`mapdiff.history.regions.places_changed` rows with ``oblast``,
        ``lon`` and ``lat``), sorted by oblast and name.
    regions : tuple of dict
        The oblasts at war (any land held by RU on either release): per side and grey, the
        share on the new release and the change in percentage points since the old one.
    notes : tuple of str
        Scope notes, date shifts, what was left out and why.

    Examples
    --------
    >>> import mapdiff
    >>> old, new = (mapdiff.read_map(mapdiff.sample_path(d)) for d in ("2025-11-20", "2025-11-27"))
    >>> r = mapdiff.build_report(old, new, places=["Pokrovsk"], ledger=False)   # no ledger: faster
    >>> type(r).__name__, round(r.places[0]["change_pp"], 1), r.to_frame().columns[:3].tolist()
    ('Report', 4.9, ['side', 'change', 'area_km2'])
    """

    old: ControlMap
    new: ControlMap
    changes: Changes = field(repr=False)
    areas: tuple = ()
    places: tuple = ()
    claims: tuple = ()
    notes: tuple = ()
    ledger: str | None = None
    settlements: tuple = ()
    regions: tuple = ()

    @property
    def side(self) -> str | None:
        """The side whose gains lead the report (the first side the new map draws)."""
        return next(iter(self.changes.sides), None)

    def summary(self) -> str:
        """What the new release changed, in words: km² per side, the watched towns, the claims."""
        days = (self.new.as_of - self.old.as_of).days if self.old.as_of and self.new.as_of else None
        lines = [
            f"{self.new.source}: {iso(self.old.as_of)} -> {iso(self.new.as_of)}"
            + (f" ({days} days)" if days is not None else "")
        ]
        lines += [
            f"  {s}: gained {v['gained_km2']:,.2f} km², lost {v['lost_km2']:,.2f} km², "
            f"net {v['net_km2']:+,.2f} km²"
            for s, v in self.changes.sides.items()
        ]
        for p in self.places:
            approx = " [APPROXIMATE footprint]" if p["approximate"] else ""
            share = "n/a" if p["share_new"] is None else f"{p['share_new']:.1%}"
            change = "" if p["change_pp"] is None else f" ({p['change_pp']:+.1f} pp)"
            lines.append(f"  {p['place']}: {p['side']} {share}{change}{approx}")
        if self.claims:
            lines.append(f"  {len(self.claims)} claims dated between the releases")
        if self.settlements:
            lines.append(f"  {len(self.settlements)} settlements changed status")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-ready dict (``type`` "release_report")."""

        def meta(m):
            p = m.provenance
            return {
                "source": m.source,
                "as_of": iso(m.as_of),
                "path": p.path if p else None,
                "sha256": p.sha256 if p else None,
                "as_of_from": p.as_of_from if p else None,
            }

        return jsonable(
            {
                "schema_version": SCHEMA_VERSION,
                "type": "release_report",
                "old": meta(self.old),
                "new": meta(self.new),
                "days": (self.new.as_of - self.old.as_of).days if self.old.as_of and self.new.as_of else None,
                "side": self.side,
                "sides": {s: dict(v) for s, v in self.changes.sides.items()},
                "areas": [dict(r) for r in self.areas],
                "places": [dict(r) for r in self.places],
                "claims": [dict(r) for r in self.claims],
                "settlements_changed": [dict(r) for r in self.settlements],
                "regions": [dict(r) for r in self.regions],
                "ledger": self.ledger,
                "notes": list(self.notes),
            }
        )

    def plot(self, ax=None, **kwargs):
        """What the lead side gained and lost (:func:`mapdiff.draw.plot.plot_changes_map`)."""
        from ..draw.plot import plot_changes_map

        return plot_changes_map(self.changes, ax=ax, **kwargs)

    def to_frame(self):
        """The largest changed areas as a DataFrame."""
        import pandas as pd

        return pd.DataFrame([dict(r) for r in self.areas])

    def __repr__(self) -> str:
        s = self.changes.sides.get(self.side, {})
        return (
            f"<Report {self.new.source} {iso(self.old.as_of)} -> {iso(self.new.as_of)}: "
            f"{self.side} net {s.get('net_km2', 0.0):+,.2f} km², {len(self.areas)} areas, "
            f"{len(self.places)} places, {len(self.claims)} claims>"
        )

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(str(s))}</td><td>{v['gained_km2']:,.2f}</td><td>{v['lost_km2']:,.2f}</td>"
            f"<td>{v['net_km2']:+,.2f}</td></tr>"
            for s, v in self.changes.sides.items()
        )
        return (
            f"<b>Report</b> {html.escape(self.new.source)} {iso(self.old.as_of)} → {iso(self.new.as_of)}"
            f"<table><tr><th>side</th><th>gained km²</th><th>lost km²</th><th>net km²</th></tr>{rows}</table>"
        )


def _share(m: ControlMap, fp, side: str) -> tuple[float | None, object]:
    try:
        c = check_claim(m, fp, side, claimed=0.5)  # the share is what is used, not the verdict
    except CoverageError:
        return None, None
    return c.share, c


def build_report(
    old: ControlMap,
    new: ControlMap,
    *,
    places=None,
    top: int = 8,
    ledger=True,
    min_km2: float = 0.01,
    settlements: bool = True,
) -> Report:
    """Compare a new release with the last one: changes, places, claims.

    Parameters
    ----------
    old, new : ControlMap
        Two releases, normally of one source (a different source is allowed and noted).
    places : sequence of str or Footprint, optional
        Towns to watch. Default: the gazetteer towns nearest to the ``top`` largest changes
        (at most five).
    top : int, default 8
        How many of the largest changed areas to list.
    ledger : True, False, path or Ledger, default True
        Claims to decide: True for the shipped ledger (``data/claims/claims.csv``).
    min_km2 : float, default 0.01
        Changed pieces smaller than this are left out of the list (they still count in
        the totals).
    settlements : bool, default True
        List the settlements that changed hands and the shares of the oblasts at war
        (only the settlements the changed land meets are measured: the rest cannot change).

    Returns
    -------
    Report

    Raises
    ------
    MapdiffError
        ``old`` is newer than ``new``, or an argument is not a map.

    Examples
    --------
    >>> import mapdiff
    >>> old, new = (mapdiff.read_map(mapdiff.sample_path(d)) for d in ("2025-11-20", "2025-11-27"))
    >>> r = build_report(old, new, places=["Pokrovsk"])
    >>> r.side, r.to_dict()["type"], r.places[0]["place"], round(r.changes.sides["RU"]["gained_km2"], 2)
    ('RU', 'release_report', 'Pokrovsk', 11.03)
    """
    notes = _check_releases(old, new)
    ch = changes(old, new)
    side = next(iter(ch.sides), None)
    gained = sorted((c for c in ch.components if c.change == "gained"), key=lambda c: -c.area_km2)
    areas = _largest_areas(gained, top, min_km2, notes)
    if places is None:
        places = list(dict.fromkeys(c.place for c in gained[:top] if c.place))[:5]
    rows = _place_rows(old, new, places, side)
    if any(r["approximate"] for r in rows):
        notes.append(
            "Approximate footprints (a disc of the official area around the official centre) stand in for "
            "towns without a shipped boundary: their shares depend on it."
        )
    claims, ledger_path = _ledger_claims(old, new, ledger, notes)
    moved, regions = ((), ())
    if settlements:
        moved, regions, more = _settlements_and_regions(old, new, ch)
        notes += more
    for m in (old, new):
        notes += [f"{m.source}: {s}" for s in m.scope]
    return Report(
        old, new, ch, tuple(areas), tuple(rows), claims, tuple(dict.fromkeys(notes)), ledger_path,
        tuple(moved), tuple(regions),
    )  # fmt: skip


def _check_releases(old: ControlMap, new: ControlMap) -> list[str]:
    """The report's first notes; an error when the two are not releases in order."""
    if not (isinstance(old, ControlMap) and isinstance(new, ControlMap)):
        raise ArgumentError("build_report() takes two ControlMaps (read them with mapdiff.read_map)")
    if old.as_of and new.as_of and old.as_of > new.as_of:
        raise ArgumentError(
            f"the old release ({old.as_of}) is newer than the new one ({new.as_of}): swap OLD and NEW"
        )
    if old.source != new.source:
        return [
            f"The releases come from different sources ({old.source}, {new.source}): "
            "part of the change is how they draw."
        ]
    return []


def _largest_areas(gained: list, top: int, min_km2: float, notes: list) -> list[dict]:
    """The ``top`` largest gained pieces of at least ``min_km2``, each with where it is."""
    small = [c for c in gained if c.area_km2 < min_km2]
    areas = []
    for c in [c for c in gained if c.area_km2 >= min_km2][:top]:
        pt = shapely.point_on_surface(c.geometry)
        near = [_nearest_settlement(pt.x, pt.y), _from_town(c.place, pt)]
        name, km, direction = min(
            (n for n in near if n[1] is not None), key=lambda n: n[1], default=(None,) * 3
        )
        areas.append(
            {
                "side": c.side,
                "change": "gained",
                "area_km2": float(c.area_km2),
                "lon": round(pt.x, 5),
                "lat": round(pt.y, 5),
                "near": name,
                "near_km": None if km is None else round(km, 2),
                "direction": direction,
                "town": c.place,
                "town_km": round(float(c.distance_km), 2),
            }
        )
    if small:
        notes.append(
            f"{len(small)} changed pieces under {min_km2:g} km² ({sum(c.area_km2 for c in small):,.3f} km²) "
            "are counted in the totals but not listed."
        )
    return areas


def _place_rows(old: ControlMap, new: ControlMap, places, side: str | None) -> list[dict]:
    """The share of each watched place held by ``side`` on both releases."""
    rows = []
    for p in places:
        fp = as_footprint(p)
        for s in [side] if side else []:
            a, _ = _share(old, fp, s)
            b, chk = _share(new, fp, s)
            rows.append(
                {
                    "place": fp.name,
                    "side": s,
                    "share_old": a,
                    "share_new": b,
                    "change_pp": None if a is None or b is None else 100.0 * (b - a),
                    "footprint_kind": fp.kind,
                    "footprint_km2": float(fp.area_km2),
                    "approximate": bool(fp.approximate),
                    "policy": chk.policy if chk is not None else None,
                }
            )
    return rows


def _ledger_claims(old: ControlMap, new: ControlMap, ledger, notes: list) -> tuple[tuple, str | None]:
    """(the ledger's claims dated after ``old`` and up to ``new``, checked; the ledger's path)."""
    if ledger is False or ledger is None or new.as_of is None:
        return (), None
    if ledger is True:
        ledger = shipped_ledger_path()
    led = ledger if isinstance(ledger, Ledger) else read_ledger(ledger)
    after = old.as_of or dt.date.min
    window = Ledger(tuple(c for c in led if after < c.date <= new.as_of), led.path)
    if not len(window):
        notes.append(f"No ledger claim is dated after {iso(old.as_of)} and up to {iso(new.as_of)}.")
        return (), led.path
    # each claim on the newest release on or before its date: a claim dated between
    # the two releases is checked on the old one (what the map said when it was made)
    return tuple(check_claims(window, [old, new]).rows), led.path


@config.cached(maxsize=1)
def _settlement_index():
    """(ids, STRtree of boxes) of every settlement: a polygon's own box; a GeoNames point's
    footprint lies in its hromada (a disc clipped to it), so the hromada's box, else a wide one."""
    polys, points = admin.units("settlement"), admin.points()
    sg, hg = admin.geometries("settlement"), admin.geometries("hromada")
    boxes = [shapely.envelope(sg[u.id]) for u in polys]
    for u in points:
        h = hg.get(u.hromada_id)
        lon, lat = u.point
        boxes.append(
            shapely.envelope(h) if h is not None else shapely.box(lon - 0.3, lat - 0.2, lon + 0.3, lat + 0.2)
        )
    return tuple(u.id for u in polys + points), shapely.STRtree(boxes)


def _held_by(m: ControlMap, side: str):
    return shapely.union_all([m.geometry(lab) for lab in m.all_labels if lab.side == side and lab.holds])


def _settlements_and_regions(old: ControlMap, new: ControlMap, ch: Changes) -> tuple[list, list, list]:
    """The settlements whose status changed and the shares of the oblasts at war."""
    notes = []
    # a settlement's shares move only where land changed label or where the coverage changed
    parts = [g for s in ch.sides for g in (ch.gained[s], ch.lost[s]) if g is not None and not g.is_empty]
    fa, fb = old.footprint, new.footprint
    la, lb = old.domain.parts, new.domain.parts
    if (
        la is not None
        and lb is not None
        and (la[0] is lb[0] or shapely.to_wkb(la[0]) == shapely.to_wkb(lb[0]))
    ):
        # coverage = land ∪ what is drawn beyond it: with the same land, only that can differ
        ba, bb = (x[1] if x[1] is not None else shapely.Polygon() for x in (la, lb))
        if not (ba is bb or shapely.equals_exact(ba, bb, 0)):
            parts.append(shapely.symmetric_difference(ba, bb))
    elif not (fa is fb or shapely.equals_exact(fa, fb, 0)):
        parts.append(shapely.symmetric_difference(fa, fb))
    moved = []
    if parts:
        ids, tree = _settlement_index()
        near = sorted(set(tree.query(np.asarray(parts, dtype=object), predicate="intersects")[1].tolist()))
        fps = [labelled_footprint(footprint(ids[i])) for i in near]
        if fps:
            oblast = {f.id: f.oblast for f in fps}
            for r in places_changed(old, new, fps):
                fp = footprint(r["id"])
                pt = shapely.point_on_surface(fp.geometry)
                moved.append(
                    {**r, "oblast": oblast.get(r["id"], ""), "lon": round(pt.x, 5), "lat": round(pt.y, 5)}
                )
    moved.sort(key=lambda r: (r["oblast"], r["name"], r["id"]))
    if any(r["approximate"] for r in moved):
        notes.append(
            "Settlements flagged approximate have no polygon of their own (a GeoNames point: a disc of its "
            "area): their status depends on that footprint."
        )
    regions = []
    held = [g for g in (_held_by(old, "RU"), _held_by(new, "RU")) if not g.is_empty]
    if held:
        obl = admin.units("oblast")
        geoms = admin.geometries("oblast")
        tree = shapely.STRtree([geoms[u.id] for u in obl])
        hit = sorted(set(tree.query(np.asarray(held, dtype=object), predicate="intersects")[1].tolist()))
        if hit:
            fps = [labelled_footprint(footprint(obl[i].id)) for i in hit]
            arr = np.asarray([fp.geometry for fp in fps], dtype=object)
            ids = tuple(fp.id for fp in fps)
            ka, kb = (_unit_km2_memo(m, ids, arr) for m in (old, new))
            sides = sorted({s for k in (ka, kb) for s in k if s not in ("grey", "covered")})
            for j, fp in enumerate(fps):
                if not (kb.get("RU", np.zeros(len(fps)))[j] > 0 or ka.get("RU", np.zeros(len(fps)))[j] > 0):
                    continue
                row = {
                    "id": fp.id,
                    "name": fp.name.removeprefix(f"{fp.id} "),
                    "area_km2": round(fp.area_km2, 4),
                }
                for s in [*sides, "grey"]:
                    x, y = (_frac(k, s, j) for k in (kb, ka))
                    row[f"{s}_share"] = None if x is None else round(x, 6)
                    row[f"{s}_change_pp"] = None if x is None or y is None else round(100.0 * (x - y), 4)
                cov = float(kb["covered"][j])
                row["covered_share"] = round(cov / fp.area_km2, 6) if fp.area_km2 > 0 else None
                regions.append(row)
            regions.sort(key=lambda r: -(r.get("RU_share") or 0.0))
    return moved, regions, notes


_UNIT_MEMO: dict = config.register_cache({})


def _unit_km2_memo(m: ControlMap, ids: tuple, arr: np.ndarray) -> dict:
    """:func:`_unit_km2`, remembered for the last few maps: ``mapdiff update`` reports each
    release as the new one, then as the old one of the next report (the same object)."""
    key = (id(m), ids)
    hit = _UNIT_MEMO.get(key)
    if hit is not None and hit[0]() is m:
        return hit[1]
    out = _unit_km2(m, arr)
    if len(_UNIT_MEMO) >= 4:
        _UNIT_MEMO.pop(next(iter(_UNIT_MEMO)))
    _UNIT_MEMO[key] = (weakref.ref(m), out)
    return out


def _unit_km2(m: ControlMap, arr: np.ndarray) -> dict:
    """{side: km² held in each unit, "grey": km² of grey zone (absent without a grey class),
    "covered": km² the map speaks of}, in the equal-area projection of
    :func:`mapdiff.history.regions.region_shares` on the same units (same km²). The background
    label's land is the covered land minus every other label's (labels are disjoint): its
    geometry, the whole country minus the front, is what costs the most to cut."""
    centre = rounded_centre(arr)
    covered = area_km2(shapely.intersection(arr, m.footprint), centre=centre)
    out = {"covered": covered}
    if m.has_grey:
        out["grey"] = np.zeros(len(arr))
    rest = covered.copy()
    for lab in m.all_labels:
        if lab == m.background:
            continue
        km2 = area_km2(shapely.intersection(arr, m.geometry(lab)), centre=centre)
        rest -= km2
        if lab.holds and lab.side:
            out[lab.side] = out.get(lab.side, np.zeros(len(arr))) + km2
        elif lab.status == CONTESTED:
            out["grey"] = out.get("grey", np.zeros(len(arr))) + km2
    bg = m.background
    if bg is not None:
        rest = np.clip(rest, 0.0, None)
        if bg.holds and bg.side:
            out[bg.side] = out.get(bg.side, np.zeros(len(arr))) + rest
        elif bg.status == CONTESTED:
            out["grey"] = out.get("grey", np.zeros(len(arr))) + rest
    return out


def _frac(k: dict, key: str, j: int) -> float | None:
    """Share of the covered land of unit ``j`` (None: no such class, or nothing covered)."""
    if key not in k and key != "grey":
        return 0.0 if k["covered"][j] > 0 else None
    if key not in k or k["covered"][j] <= 0:
        return None
    return float(k[key][j]) / float(k["covered"][j])
