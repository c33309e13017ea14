"""Region shares: per oblast, raion or hromada, the km² and share each side holds on each map.

:func:`region_shares` measures every unit of a level (optionally below a parent) on every
map given, all units at once through the engine's one measure
(:func:`mapdiff.history._engine.measure_footprints`: one equal-area projection, the same km² as
:meth:`ControlMap.partition` per unit). One row per unit × map:

- ``area_km2``: the unit's area; ``covered_km2``: the part the map speaks of (a map that
  draws one side only speaks of Ukraine's land; a map that draws only what changed speaks
  only there); ``not_covered_km2`` the rest;
- per side, ``<SIDE>_km2`` and ``<SIDE>_share`` (of the covered part, as a claim's share),
  ``grey_km2`` and ``grey_share`` (contested land, null for a source without a grey class),
  ``covered_share`` (covered / area).

A level no map speaks of (every unit uncovered) is an error, never 0 %.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from .._json import SCHEMA_VERSION
from ..errors import ArgumentError
from ..labels import CONTESTED
from ..places import admin
from ..places.footprints import place_set
from ._engine import measure_footprints, rounded_centre

__all__ = ["RegionShares", "lead_lag", "region_shares"]


@dataclass(frozen=True)
class RegionShares:
    """The table of :func:`region_shares` (``frame``), the level, parent and sides."""

    frame: pd.DataFrame
    level: str
    parent: str | None
    sides: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def to_dict(self) -> dict:
        rows = []
        for r in self.frame.to_dict("records"):
            rows.append({k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()})
        return {
            "schema_version": SCHEMA_VERSION,
            "type": "region_shares",
            "level": self.level,
            "parent": self.parent,
            "sides": list(self.sides),
            "licence": "unit boundaries: OpenStreetMap, ODbL 1.0, © OpenStreetMap contributors",
            "notes": list(self.notes),
            "rows": rows,
        }

    def summary(self, *, max_rows: int = 60) -> str:
        f = self.frame
        cols = ["source", "date", "name", "area_km2"]
        cols += [f"{s}_share" for s in self.sides] + ["grey_share", "covered_share"]
        shown = f[cols].head(max_rows).copy()
        for c in cols[4:]:
            shown[c] = shown[c].map(lambda v: "-" if pd.isna(v) else f"{v:6.1%}")
        shown["area_km2"] = shown["area_km2"].map(lambda v: f"{v:,.1f}")
        head = (
            f"{self.level} shares{' of ' + self.parent if self.parent else ''}: {f['id'].nunique()} units x "
        )
        head += f"{f['source'].nunique()} maps (shares of the part each map covers)"
        lines = [head, shown.to_string(index=False)]
        if len(f) > max_rows:
            lines.append(f"... {len(f) - max_rows} more rows (--csv or --json for all)")
        lines += list(self.notes)
        lines.append("Unit boundaries: OpenStreetMap, ODbL 1.0, © OpenStreetMap contributors")
        return "\n".join(lines)


def region_shares(maps, level: str = "oblast", *, parent: str | None = None, places=None) -> RegionShares:
    """Per unit and map: km² and share held by each side, grey zone and not covered.

    Parameters
    ----------
    maps : ControlMap or sequence of them
        Every side's map (one row per unit × map).
    level : {"oblast", "raion", "hromada", "settlement"}
    parent : str, optional
        Only the units below this place (``"Donetsk Oblast"``).
    places : optional
        Any set :func:`~mapdiff.places.footprints.place_set` accepts, instead of level/parent.

    Returns
    -------
    RegionShares

    Raises
    ------
    UnknownPlaceError
        An unknown level or parent.
    ArgumentError
        A map that covers none of the units (the level is outside what it speaks of).
    """
    if not isinstance(maps, list | tuple):
        maps = [maps]
    if not maps:
        raise ArgumentError("give at least one map")
    if places is None:
        lv = admin.parse_level(level)
        spec = f"{lv}s" + (f" of {parent}" if parent else "")
    else:
        lv, spec = "places", places
    fps = place_set(spec)
    geoms = np.asarray([f.geometry for f in fps], dtype=object)
    centre = rounded_centre(geoms)
    sides = sorted({lab.side for m in maps for lab in m.all_labels if lab.side and lab.holds})
    rows, notes = [], []
    aoi = shapely.union_all(geoms)
    for m in maps:
        clipped = m.clip(aoi)
        labels, areas, covered, total = measure_footprints(clipped, geoms, centre=centre)
        if not (covered > 0).any():
            raise ArgumentError(
                f"the {m.source} map of {m.as_of} covers none of the {len(fps)} {spec}: it does not speak "
                "of them (pick a level or parent the map covers)"
            )
        has_grey = m.has_grey
        held = {s: np.zeros(len(fps)) for s in sides}
        grey = np.zeros(len(fps))
        for lab, a in zip(labels, areas, strict=True):
            if lab.holds and lab.side in held:
                held[lab.side] += a
            elif lab.status == CONTESTED:
                grey += a
        if not has_grey:
            notes.append(f"{m.source}: this source has no grey-zone class (grey is null)")
        notes += [f"{m.source}: {s}" for s in m.scope]  # what it does not draw (NZZ: before 2022)
        for j, fp in enumerate(fps):
            cov = float(covered[j])
            row = {
                "source": m.source,
                "date": m.as_of.isoformat() if m.as_of else None,
                "id": fp.id,
                "name": fp.name.removeprefix(f"{fp.id} ") if fp.id else fp.name,
                "level": fp.level,
                "oblast": fp.oblast,
                "footprint_kind": fp.kind,
                "approximate": bool(fp.approximate),
                "area_km2": round(float(total[j]), 4),
                "covered_km2": round(cov, 4),
                "not_covered_km2": round(max(float(total[j]) - cov, 0.0), 4),
                "covered_share": round(cov / float(total[j]), 6) if total[j] > 0 else None,
            }
            for s in sides:
                row[f"{s}_km2"] = round(float(held[s][j]), 4)
                row[f"{s}_share"] = round(float(held[s][j]) / cov, 6) if cov > 0 else None
            row["grey_km2"] = round(float(grey[j]), 4) if has_grey else None
            row["grey_share"] = round(float(grey[j]) / cov, 6) if has_grey and cov > 0 else None
            rows.append(row)
    if any(f.approximate for f in fps):
        notes.append("APPROXIMATE footprints (GeoNames points: discs, flagged per row) are included")
    frame = pd.DataFrame(rows)
    return RegionShares(frame, lv, parent, tuple(sides), tuple(dict.fromkeys(notes)))


# ======================================================================= settlement ledger
#: statuses of a place on one map (:func:`place_status`)
STATUSES = ("held", "contested", "grey", "not covered")


def _status(shares: dict, grey, covered_share, threshold: float, grey_threshold: float, min_covered: float):
    """(status, side or None) of one place from its shares of the covered part."""
    if covered_share is None or covered_share < min_covered:
        return "not covered", None
    best = max(shares, key=lambda s: shares[s] or 0.0) if shares else None
    if best is not None and (shares[best] or 0.0) >= threshold:
        return "held", best
    if grey is not None and grey >= grey_threshold:
        return "grey", None
    return "contested", None


def place_status(
    m,
    places="settlements",
    *,
    threshold: float = 0.5,
    grey_threshold: float = 0.5,
    min_covered: float = 0.5,
    fps=None,
) -> pd.DataFrame:
    """Per place on one map: the share each side holds, the grey share and a status.

    Status: ``held`` (by ``side``: the side holding at least ``threshold`` of the covered
    part), ``grey`` (grey zone at least ``grey_threshold``), ``contested`` (neither), or
    ``not covered`` (the map speaks of less than ``min_covered`` of the place).

    Returns
    -------
    DataFrame
        One row per place: ``id``, ``name``, ``level``, ``parents`` (names, nearest first),
        ``footprint_kind``, ``approximate``, ``<SIDE>_share`` per side, ``grey_share``,
        ``covered_share``, ``status``, ``side``.
    """
    for name, v in (
        ("threshold", threshold),
        ("grey_threshold", grey_threshold),
        ("min_covered", min_covered),
    ):
        if not 0.0 < float(v) <= 1.0:
            raise ArgumentError(f"{name} must be a share in (0, 1], got {v!r}")
    res = region_shares([m], places=places, level="settlement") if fps is None else _measure_fps(m, fps)
    f = res.frame
    sides = list(res.sides)
    out = []
    for r in f.to_dict("records"):
        shares = {s: _nan_none(r.get(f"{s}_share")) for s in sides}
        status, side = _status(
            shares, _nan_none(r.get("grey_share")), _nan_none(r.get("covered_share")),
            threshold, grey_threshold, min_covered,
        )  # fmt: skip
        out.append({**r, "status": status, "side": side})
    return pd.DataFrame(out)


def _nan_none(v):
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else v


def _measure_fps(m, fps):
    """region_shares on a ready list of footprints (one map)."""
    return region_shares([m], places=list(fps), level="settlement")


def places_changed(
    old,
    new,
    places="settlements",
    *,
    threshold: float = 0.5,
    grey_threshold: float = 0.5,
    min_covered: float = 0.5,
) -> list[dict]:
    """The places whose status differs between two releases of one source.

    Each entry: ``id``, ``name``, ``parents`` (names, nearest first), ``from`` and ``to``
    (``"held:RU"``, ``"contested"``, ``"grey"``, ``"not covered"``), the share of every side
    and the grey share before and after, ``approximate`` (a point's disc footprint).
    """
    fps = place_set(places)
    kw = {"threshold": threshold, "grey_threshold": grey_threshold, "min_covered": min_covered}
    a = place_status(old, fps=fps, **kw)
    b = place_status(new, fps=fps, **kw)
    parents = {f.id or f.name: [n for _, _, n in f.parents] for f in fps}
    sides = sorted({c.removesuffix("_share") for c in [*a.columns, *b.columns] if c.endswith("_share")} - {
        "grey", "covered"
    })  # fmt: skip
    out = []
    for ra, rb in zip(a.to_dict("records"), b.to_dict("records"), strict=True):
        sa = ra["status"] + (f":{ra['side']}" if isinstance(ra["side"], str) else "")
        sb = rb["status"] + (f":{rb['side']}" if isinstance(rb["side"], str) else "")
        if sa == sb:
            continue
        out.append(
            {
                "id": ra["id"],
                "name": ra["name"],
                "parents": parents.get(ra["id"] or ra["name"], []),
                "from": sa,
                "to": sb,
                "before": {s: _nan_none(ra.get(f"{s}_share")) for s in sides}
                | {"grey": _nan_none(ra["grey_share"])},
                "after": {s: _nan_none(rb.get(f"{s}_share")) for s in sides}
                | {"grey": _nan_none(rb["grey_share"])},
                "approximate": bool(ra["approximate"]),
            }
        )
    return out


def ledger_from_shares(shares, threshold: float = 0.5, grey_threshold: float = 0.5) -> pd.DataFrame:
    """The status of each place at each release, from a :class:`~mapdiff.history.releases.ShareSeries`
    of the side that draws (``RU`` on most sources; grey counts for nobody).

    A place is ``held:<side>`` at ``threshold`` or more, ``held:<other side>`` when the rest
    of the covered part (not the side, not grey) reaches ``threshold`` (Ukraine's map has
    two sides), ``grey`` when the grey zone does, else ``contested``; ``not covered`` where
    the source does not speak (NaN share).

    Returns
    -------
    DataFrame
        Long: ``date``, ``place``, ``share`` (the side's), ``grey_share``, ``status``.
    """
    side = shares.side
    other = "UA" if side == "RU" else "RU"
    f = shares.frame
    if f.size == 0:
        return pd.DataFrame([])
    # every release and place at once (the same tests, in the same order, element by element)
    v, gv, code = _status_codes(shares, threshold, grey_threshold)
    words = [w.format(side=side, other=other) for w in _STATUS_WORDS]
    status = np.asarray(words, dtype=object)[code]
    n_dates, n_places = v.shape
    return pd.DataFrame(
        {
            "date": np.repeat(f.index.to_numpy(), n_places),
            "place": np.tile(np.asarray(list(f.columns), dtype=object), n_dates),
            "share": v.ravel(),
            "grey_share": gv.ravel(),
            "status": status.ravel(),
        }
    )


_STATUS_WORDS = ("not covered", "held:{side}", "held:{other}", "grey", "contested")


def _status_codes(shares, threshold: float, grey_threshold: float):
    """(shares, grey shares, status code per release and place: an index into
    ``_STATUS_WORDS``), the tests of :func:`ledger_from_shares` on every cell at once."""
    f = shares.frame
    g = shares.grey if shares.grey is not None else f * 0.0
    if not (g.index.equals(f.index) and g.columns.equals(f.columns)):
        g = g.loc[f.index, f.columns]
    v = f.to_numpy(dtype=float)
    gv = g.to_numpy(dtype=float)
    gv = np.where(np.isnan(gv), 0.0, gv)
    code = np.select(
        [np.isnan(v), v >= threshold, 1.0 - v - gv >= threshold, gv >= grey_threshold], [0, 1, 2, 3], 4
    ).astype(np.int8)
    return v, gv, code


def place_changes(shares, threshold: float = 0.5, grey_threshold: float = 0.5) -> pd.DataFrame:
    """``status_changes(ledger_from_shares(shares, threshold, grey_threshold))``, the same
    frame, without making the ledger (a row per release and place: 1.1 million for the
    hromadas over DeepState's archive): each place's releases scanned as one column."""
    f = shares.frame
    cols = ["place", "from", "to", "date", "previous_date", "share_before", "share_after"]
    simple = (
        f.size
        and f.columns.is_unique
        and all(isinstance(c, str) for c in f.columns)
        and pd.api.types.is_datetime64_dtype(f.index.dtype)
        and not f.index.hasnans
    )
    if not simple:
        return status_changes(ledger_from_shares(shares, threshold, grey_threshold))
    side = shares.side
    words = [w.format(side=side, other="UA" if side == "RU" else "RU") for w in _STATUS_WORDS]
    v, _, code = _status_codes(shares, threshold, grey_threshold)
    by_date = np.argsort(f.index.to_numpy(), kind="stable")  # the ledger is sorted by date
    v, code = v[by_date], code[by_date]
    dates = f.index.to_numpy()[by_date]
    found = []  # (place's rank among the names, row, previous row, column)
    for j in range(code.shape[1]):
        rows = np.flatnonzero(code[:, j] != 0)  # covered releases only
        c = code[rows, j]
        k = np.flatnonzero(c[1:] != c[:-1]) + 1
        if k.size:
            found.append((j, rows[k], rows[k - 1]))
    if not found:
        return pd.DataFrame([], columns=cols)
    names = np.asarray(list(f.columns), dtype=object)
    order = sorted(range(len(found)), key=lambda i: names[found[i][0]])  # by place, as the ledger's sort
    j = np.concatenate([np.full(len(found[i][1]), found[i][0]) for i in order])
    at = np.concatenate([found[i][1] for i in order])
    before = np.concatenate([found[i][2] for i in order])
    words = np.asarray(words, dtype=object)
    return pd.DataFrame(
        {
            "place": names[j],
            "from": words[code[before, j]],
            "to": words[code[at, j]],
            "date": dates[at],
            "previous_date": dates[before],
            "share_before": v[before, j],
            "share_after": v[at, j],
        }
    )


def status_changes(ledger: pd.DataFrame) -> pd.DataFrame:
    """Each change of status in a ledger (:func:`ledger_from_shares`): ``place``, ``from``,
    ``to``, ``date`` (the first release showing the new status), ``previous_date`` (the last
    release showing the old one: the change happened in between), shares before and after.
    A place's first release sets its status (no change); ``not covered`` releases are skipped."""
    cols = ["place", "from", "to", "date", "previous_date", "share_before", "share_after"]
    led = ledger[ledger["status"] != "not covered"]
    led = led[led["place"].notna()]  # as groupby: a row without a place is in no group
    order = _by_place_and_date(led)
    place, _ = pd.factorize(led["place"])
    status, _ = pd.factorize(led["status"])
    status = np.where(status < 0, -1 - np.arange(len(status)), status)  # a missing status: no equal
    place, status = place[order], status[order]
    # a change: the row before is the same place's (sorted: a place's rows are together),
    # with another status
    k = np.flatnonzero((place[1:] == place[:-1]) & (status[1:] != status[:-1])) + 1
    if not k.size:
        return pd.DataFrame([], columns=cols)
    at, before = order[k], order[k - 1]
    col = {c: led[c].array for c in ("place", "status", "date", "share")}
    return pd.DataFrame(
        {
            "place": col["place"].take(at),
            "from": col["status"].take(before),
            "to": col["status"].take(at),
            "date": col["date"].take(at),
            "previous_date": col["date"].take(before),
            "share_before": col["share"].take(before),
            "share_after": col["share"].take(at),
        }
    )


def _by_place_and_date(led: pd.DataFrame) -> np.ndarray:
    """Positions of ``led``'s rows in the order of ``sort_values(["place", "date"])``: for
    names as text and dates without NaT, by the names' sorted codes then the dates (a
    stable sort of integers, millions of rows at once), else by pandas."""
    place, date = led["place"], led["date"]
    if pd.api.types.is_string_dtype(place.dtype) and pd.api.types.is_datetime64_dtype(date.dtype):
        dates = date.to_numpy()
        if not np.isnat(dates).any():
            codes, _ = pd.factorize(place, sort=True)
            return np.lexsort((dates.view("i8"), codes))
    return led.reset_index(drop=True).sort_values(["place", "date"]).index.to_numpy()


def changed_hands(changes: pd.DataFrame) -> pd.DataFrame:
    """The changes in which a place passed to a side (``to`` is ``held:<side>`` and ``from``
    is not the same): the settlements that changed hands."""
    if changes.empty:
        return changes
    return changes[changes["to"].str.startswith("held:") & (changes["from"] != changes["to"])]


def monthly_counts(hands: dict, oblast_of: dict) -> pd.DataFrame:
    """Per source, month and oblast: how many places passed to each side.

    ``hands`` is ``{source: changed_hands(...)}``, ``oblast_of`` maps a place (as named in
    the ledger) to its oblast."""
    rows = []
    for source, ch in hands.items():
        for r in ch.itertuples(index=False):
            rows.append(
                {
                    "source": source,
                    "month": pd.Timestamp(r.date).strftime("%Y-%m"),
                    "oblast": oblast_of.get(r.place, ""),
                    "to": r.to,
                }
            )
    if not rows:
        return pd.DataFrame(columns=["source", "month", "oblast", "to", "places"])
    f = pd.DataFrame(rows)
    return f.groupby(["source", "month", "oblast", "to"]).size().rename("places").reset_index()


def disagreements(hands: dict, min_days: int = 1) -> pd.DataFrame:
    """Places whose passing to a side the sources date differently (by ``min_days`` or more),
    or that one source shows and another does not (``date`` NaT for that source).

    Returns one row per place and side: ``place``, ``to``, one date column per source, and
    ``spread_days`` (latest minus earliest date shown; NaN when a source never shows it)."""
    firsts: dict = {}
    for source, ch in hands.items():
        for r in ch.itertuples(index=False):
            firsts.setdefault((r.place, r.to), {}).setdefault(source, pd.Timestamp(r.date))
    rows = []
    sources = list(hands)
    for (place, to), by in firsts.items():
        dates = [by.get(s) for s in sources]
        shown = [d for d in dates if d is not None]
        spread = (max(shown) - min(shown)).days if len(shown) == len(sources) else np.nan
        if len(shown) < len(sources) or spread >= min_days:
            rows.append(
                {"place": place, "to": to, **dict(zip(sources, dates, strict=True)), "spread_days": spread}
            )
    return pd.DataFrame(rows, columns=["place", "to", *sources, "spread_days"])


def lead_lag(hands: dict) -> pd.DataFrame:
    """Which of two sources showed each settlement changing hands first, and by how many days.

    ``hands`` is ``{source: changed_hands(...)}`` for exactly two sources (``history
    --places settlements`` of each). For every place and side it passed to that both
    sources show, the first release showing it on each (and the last release before it,
    between which the change happened), ``days`` (second source's date minus the first's:
    positive when the first source leads) and ``leader`` (a source, or ``"same release
    date"``). A passing one source shows and the other does not is not a lead or a lag:
    :func:`disagreements` lists those.

    Returns
    -------
    DataFrame
        ``place``, ``to``, ``<A>_date``, ``<A>_previous``, ``<B>_date``, ``<B>_previous``,
        ``days``, ``leader``; sorted by place.

    Raises
    ------
    ArgumentError
        Not exactly two sources.
    """
    if not isinstance(hands, dict) or len(hands) != 2:
        got = list(hands) if isinstance(hands, dict) else type(hands).__name__
        raise ArgumentError(f"lead_lag() compares exactly two sources ({{source: changed_hands}}), got {got}")
    a, b = list(hands)
    firsts: dict = {a: {}, b: {}}
    for source, ch in hands.items():
        for r in ch.sort_values("date").itertuples(index=False):
            firsts[source].setdefault((r.place, r.to), (pd.Timestamp(r.date), pd.Timestamp(r.previous_date)))
    rows = []
    for key in sorted(set(firsts[a]) & set(firsts[b])):
        (da, pa), (db, pb) = firsts[a][key], firsts[b][key]
        days = (db - da).days
        rows.append(
            {
                "place": key[0],
                "to": key[1],
                f"{a}_date": da,
                f"{a}_previous": pa,
                f"{b}_date": db,
                f"{b}_previous": pb,
                "days": days,
                "leader": a if days > 0 else b if days < 0 else "same release date",
            }
        )
    cols = ["place", "to", f"{a}_date", f"{a}_previous", f"{b}_date", f"{b}_previous", "days", "leader"]
    return pd.DataFrame(rows, columns=cols)
