"""The front page's numbers: every source's newest map over the watched places, side by side.

:func:`summarise` takes the newest map of each source and returns plain JSON data: the
share of each watched place held by Russian forces, the grey zone and the rest on every
map (under the ``nobody`` policy: grey counts for no side), and how far the maps
disagree over the watched area (consensus and pairwise disagreement km², from
:func:`mapdiff.consensus`).
"""

from __future__ import annotations

import shapely

from .._json import iso
from ..claims.check import check_claim
from ..claims.ledger import shipped_ledger_path
from ..claims.tracker import track
from ..comparison.agreement import consensus
from ..errors import CoverageError, MapdiffError
from ..history.releases import Releases
from ..places.footprints import as_footprint

__all__ = ["summarise", "watched_area"]

SIDE = "RU"


def watched_area(places, aoi_km: float):
    """The union of the watched places' footprints grown by ``aoi_km`` (lon/lat), or None."""
    if not places:
        return None
    return shapely.union_all([as_footprint(p).buffer(aoi_km).geometry for p in places])


def _shares(name: str, m, fp) -> dict:
    row = {
        "place": fp.name,
        "source": name,
        "as_of": iso(m.as_of),
        "approximate": bool(fp.approximate),
        "footprint_km2": float(fp.area_km2),
    }
    try:
        c = check_claim(m, fp, SIDE, claimed=0.5)
    except CoverageError as exc:
        return {**row, "held": None, "grey": None, "other": None, "note": str(exc)}
    total = c.footprint_km2 or float("nan")
    held, grey = c.held_km2 / total, c.grey_km2 / total
    covered = (c.covered_km2 / total) if c.covered_km2 is not None else 1.0
    no_grey = m.grey_absence  # "this source has no grey-zone class" / "this map draws no grey zone"
    return {
        **row,
        "held": held,
        "grey": None if no_grey else grey,
        "other": max(0.0, covered - held - grey),
        "held_km2": float(c.held_km2),
        "grey_km2": None if no_grey else float(c.grey_km2),
        "note": no_grey,
    }


def summarise(maps: dict, places, *, aoi_km: float = 5.0) -> dict:
    """Shares of the watched places on every map, and the maps' disagreement over them.

    Parameters
    ----------
    maps : dict
        ``{source name: ControlMap}``: the newest release of each source.
    places : sequence of str
    aoi_km : float
        Margin around the places for the disagreement (km).
    """
    fps = [as_footprint(p) for p in places]
    shares = [_shares(name, m, fp) for fp in fps for name, m in maps.items()]
    out = {"side": SIDE, "shares": shares, "consensus": None, "consensus_note": None}
    area = watched_area(places, aoi_km)
    if area is None:
        out["consensus_note"] = "No watched place: no area to compare the maps over."
    elif len(maps) < 2:
        out["consensus_note"] = "One source only: nothing to compare."
    else:
        try:
            c = consensus(dict(maps), aoi=area)
        except MapdiffError as exc:
            out["consensus_note"] = f"The maps could not be compared: {exc}"
        else:
            d = c.to_dict()
            names = list(d["sources"])
            out["consensus"] = {
                "aoi_km2": d["aoi_km2"],
                "aoi_km": aoi_km,
                "sources": names,
                "agreement": d["agreement"],
                "pairwise_km2": [
                    {"a": a, "b": b, "km2": d["pairwise_km2"][a][b]}
                    for i, a in enumerate(names)
                    for b in names[i + 1 :]
                ],
            }
    return out


def share_history(histories: dict, places) -> dict:
    """Each watched place's share held by RU, release by release, on every source.

    Measured by :meth:`mapdiff.Releases.shares` through the engine's results cache: a run
    measures only the releases no earlier run measured (the others are cache hits, bit
    for bit the same numbers), so the history is updated, not recomputed.

    Parameters
    ----------
    histories : dict
        ``{source name: (profile or None, [release files, oldest first])}``.
    places : sequence of str

    Returns
    -------
    dict
        ``{source name: {"dates": [...], "shares": {place: [share or None, ...]},
        "grey": {place: [...]} or None}}`` (sources with fewer than two releases left out).
    """
    out = {}
    if not places:
        return out
    for name, (profile, files) in histories.items():
        if len(files) < 2:
            continue
        sh = Releases(list(files), source=profile).shares(list(places), SIDE, workers=1, quiet=True)
        d = sh.to_dict()
        out[name] = {"dates": d["dates"], "shares": d["shares"], "grey": d["grey_shares"]}
    return out


def tracking(ledger, histories: dict) -> dict | None:
    """Every ledger claim tracked through every source's processed releases (:func:`mapdiff.track`).

    Through the engine's results cache, like :func:`share_history`: each run measures only
    the new releases. What depends on the run rather than the inputs (seconds, cache hits)
    is left out, so the result is the same built day by day or at once.

    Parameters
    ----------
    ledger : True (the shipped ledger), False/None (no tracking) or a path
    histories : dict
        As for :func:`share_history`.
    """
    if ledger is False or ledger is None:
        return None
    maps = {
        name: Releases(list(files), source=profile) for name, (profile, files) in histories.items() if files
    }
    if not maps:
        return None
    t = track(shipped_ledger_path() if ledger is True else ledger, maps, buffers_km=(), workers=1, quiet=True)
    d = t.to_dict()
    d.pop("seconds", None)
    keep = ("name", "profile", "releases", "first", "last")
    d["sources"] = [{k: s.get(k) for k in keep} for s in d["sources"]]
    return d
