"""Region shares: per oblast, raion or hromada, the km² and share each side holds on each map.

:func:`region_shares` measures every unit of a level (optionally below a parent) on every
map given, all units at once through the engine's one measure
(:func:`mapdiff._runner.measure_footprints`: one equal-area projection, the same km² as
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

from ._json import SCHEMA_VERSION
from .errors import ArgumentError
from .labels import CONTESTED

__all__ = ["RegionShares", "region_shares"]


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

    def summary(self, max_rows: int = 60) -> str:
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
    from ._runner import _centre, measure_footprints
    from .places import admin
    from .places.footprints import place_set

    if not isinstance(maps, list | tuple):
        maps = [maps]
    if not maps:
        raise ArgumentError("give at least one map")
    if places is None:
        lv = admin.parse_level(level)
        spec = f"{lv}s" + (f" of {parent}" if parent else "")
    else:
        lv, spec = level, places
    fps = place_set(spec)
    geoms = np.asarray([f.geometry for f in fps], dtype=object)
    centre = _centre(geoms)
    sides = sorted({lab.side for m in maps for lab in m.all_labels if lab.side and lab.holds})
    rows, notes = [], []
    from shapely import union_all

    aoi = union_all(geoms)
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
