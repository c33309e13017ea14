"""Claim checks: does "70% of X is ours" (or "X is captured") hold on a given map?

Design
------
A claim is checked against one :class:`~mapdiff.model.control_map.ControlMap` and one footprint.
The footprint is tiled by :meth:`ControlMap.partition` (drawn labels, the map's
background, and ``not_covered``) and every piece is measured in ONE
:func:`~mapdiff.model.measure.area_km2` call, so the pieces share one equal-area projection
and add up to the footprint's area.

*Held* land is the land of labels whose :attr:`Label.holds` is true for the side
(``controlled`` or ``encircled``); *grey* land is the ``contested`` status. The grey
zone is where maps and claimants differ most, so the share is computed under four
grey-zone policies:

============  ==========================================================
``nobody``    grey counts for no one (the default): held / covered
``half``      half the grey counts for the claimant: (held + grey/2) / covered
``claimant``  all grey counts for the claimant: (held + grey) / covered
``excluded``  grey is left out of the denominator: held / (covered - grey)
============  ==========================================================

``covered`` is the part of the footprint inside the map's coverage. A footprint the
map does not cover at all raises :class:`~mapdiff.errors.CoverageError` ("the map does
not cover X") rather than reporting 0%; a partly covered one is measured over the
covered part and the result says how much was covered.

Verdicts. A ``share`` claim of *c* is read as "at least *c*": ``supported`` when the
share under the deciding policy is at least *c*, ``within tolerance`` when it falls
short by at most ``tolerance`` (absolute, 0.05 = 5 percentage points), else ``not
supported``. A ``captured`` claim is a share claim of :data:`CAPTURED_THRESHOLD`
(95%): a town is "taken" when the side holds at least 95% of it. ``encircled`` claims
are delegated to :func:`check_encircled_claim` (below), which returns a
:class:`ClaimCheck` whose ``detail`` carries the encirclement analysis.

Sensitivity. The same claim is re-checked across every rung of the footprint ladder the
place has (a cached OSM boundary, real city or town limits, the hromada as an upper
bound, the approximate footprint; or a user polygon), the town estimates each grown by
2 km, under every policy, so a reader sees how much the verdict hangs on
what "X" means and on the grey zone.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from dataclasses import dataclass, field

import numpy as np
import shapely

from .._geo import GeoResult
from .._json import SCHEMA_VERSION, iso, jsonable
from ..config import TOLERANCE
from ..encircle.core import GREY_POLICIES, Encirclement, encirclement, pocket_footprint
from ..encircle.passable import map_layers
from ..errors import ArgumentError, CoverageError
from ..io.write import one_map_provenance
from ..labels import CONTESTED, NOT_COVERED, resolve_side
from ..model.classes import CLAIM_COLOURS, source_lean, source_name
from ..model.control_map import ControlMap
from ..model.measure import area_km2
from ..model.shapes import polygonal
from ..places.footprints import as_footprint, sensitivity_footprints
from ..places.shapes import OfFootprint

__all__ = [
    "CAPTURED_THRESHOLD",
    "POLICIES",
    "ClaimCheck",
    "check_claim",
    "parse_claimed",
]

#: Grey-zone policies, the default first.
POLICIES = ("nobody", "half", "claimant", "excluded")
#: Other spellings accepted for the policies (``mapdiff.Releases.shares`` uses ``side``/``exclude``).
POLICY_ALIASES = {"side": "claimant", "exclude": "excluded", "none": "nobody"}
#: Share at or above which a "captured" claim is supported.
CAPTURED_THRESHOLD = 0.95
#: Buffers (km) added to each footprint kind in the sensitivity table.
SENSITIVITY_BUFFERS_KM = (2.0,)
KINDS = ("share", "captured", "encircled")
SUPPORTED, WITHIN, NOT_SUPPORTED, UNDETERMINED = (
    "supported",
    "within tolerance",
    "not supported",
    "undetermined",
)


# ---------------------------------------------------------------------- parsing
def parse_claimed(value) -> float:
    """Read a claimed share as a fraction in [0, 1].

    ``0.7``, ``"0.7"``, ``"70%"``, ``70`` and ``"70"`` all mean 70%: a number above 1 is
    read as a percentage. Anything above 100% or below 0 is an error.

    Examples
    --------
    >>> parse_claimed("70%"), parse_claimed(70), parse_claimed(0.7)
    (0.7, 0.7, 0.7)
    """
    text = str(value).strip()
    pct = text.endswith("%")
    try:
        num = float(text.rstrip("%").strip().replace(",", "."))
    except ValueError:
        raise ArgumentError(f"cannot read the claimed share {value!r}: write e.g. 0.7, 70 or '70%'") from None
    if not math.isfinite(num) or num < 0:
        raise ArgumentError(f"the claimed share {value!r} must be a number between 0 and 100%")
    if pct or num > 1:
        num /= 100.0
    if num > 1 + 1e-12:
        raise ArgumentError(f"the claimed share {value!r} is over 100%; write e.g. 70% or 0.7")
    return round(num, 12)


# ---------------------------------------------------------------------- result
@dataclass(frozen=True)
class ClaimCheck(OfFootprint, GeoResult):
    """The result of checking one claim on one map (immutable).

    Built by :func:`check_claim` (and, for ``kind="encircled"``, by the encirclement check
    with its own ``detail`` dict). What it says of the place (``place``,
    ``footprint_kind``, ``approximate``, ``provenance``, ``footprint_geometry``) is read
    from its ``footprint``.

    Attributes
    ----------
    footprint : Footprint
        The footprint measured (its ``name`` is ``place``).
    side, kind : str
        What was claimed: ``kind`` is ``share``, ``captured`` or ``encircled``.
    claimed : float or None
        The claimed share (0..1); for ``captured`` the threshold used.
    verdict : str
        ``supported``, ``within tolerance``, ``not supported``, or ``undetermined`` (the
        share is undefined: policy ``excluded`` on a footprint that is all grey zone).
    policy : str
        The grey-zone policy that decides the verdict.
    share : float or None
        The side's share of the footprint under ``policy``.
    policies : dict
        Share under each policy of :data:`POLICIES`.
    held_km2, grey_km2, footprint_km2, covered_km2 : float
        Areas inside the footprint: held by the side, grey zone, whole footprint, and
        the part the map covers.
    short_km2 : float
        km² the side would also need to hold (under ``policy``) for the claim to hold; 0
        when it holds.
    tolerance : float
        Absolute share tolerance.
    sensitivity : tuple of dict
        One row per footprint kind × policy: footprint_kind, footprint_km2, approximate,
        policy, share, held_km2, verdict.
    source, as_of
        The map's source and release date.
    notes : tuple of str
        Caveats (partial coverage, approximate footprint, scope notes).
    detail : dict or None
        Extra analysis (the encirclement verdict for ``kind="encircled"``).

    Examples
    --------
    >>> import mapdiff
    >>> m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    >>> c = mapdiff.check_claim(m, "Pokrovsk", "RU", kind="captured")
    >>> type(c).__name__, c.verdict, round(c.held_km2, 1), round(c.footprint_km2, 1)
    ('ClaimCheck', 'not supported', 13.9, 31.2)
    """

    footprint: object
    side: str
    kind: str
    claimed: float | None
    verdict: str
    policy: str = "nobody"
    share: float | None = None
    policies: dict = field(default_factory=dict)
    held_km2: float = 0.0
    grey_km2: float = 0.0
    footprint_km2: float = 0.0
    covered_km2: float = 0.0
    short_km2: float = 0.0
    tolerance: float = TOLERANCE
    sensitivity: tuple = ()
    source: str = ""
    as_of: dt.date | None = None
    notes: tuple = ()
    detail: dict | None = None
    # geometries for plotting (lon/lat); not part of equality or the dict
    held_geometry: object = field(default=None, compare=False, repr=False)
    grey_geometry: object = field(default=None, compare=False, repr=False)
    #: the map's Provenance (file, sha256), stated in exports
    map_provenance: object = field(default=None, compare=False, repr=False)
    #: None when the source has a grey-zone class; else the sentence shown instead of a
    #: grey zone of 0 km² ("this source has no grey-zone class: the policies cannot differ")
    grey_note: str | None = None

    @property
    def provenance(self) -> str:
        """Where the footprint comes from (and its licence)."""
        return self.footprint.provenance

    @property
    def has_grey(self) -> bool:
        """True when the map's source has a grey-zone class (the policies can differ)."""
        return self.grey_note is None

    @property
    def supported(self) -> bool:
        """True when the verdict is ``supported``."""
        return self.verdict == SUPPORTED

    @property
    def covered_share(self) -> float:
        """Fraction of the footprint the map covers."""
        return self.covered_km2 / self.footprint_km2 if self.footprint_km2 else 0.0

    def to_dict(self) -> dict:
        """JSON-ready dict (``schema_version`` 1)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "type": "claim_check",
            "place": self.place,
            "side": self.side,
            "kind": self.kind,
            "claimed": self.claimed,
            "verdict": self.verdict,
            "policy": self.policy,
            "share": _num(self.share),
            "policies": {p: _num(v) for p, v in self.policies.items()},
            "held_km2": self.held_km2,
            "grey_km2": self.grey_km2,
            "has_grey": self.has_grey,
            "grey_note": self.grey_note,
            "footprint_km2": self.footprint_km2,
            "covered_km2": self.covered_km2,
            "covered_share": self.covered_share,
            "short_km2": _num(self.short_km2),
            "tolerance": self.tolerance,
            "footprint_kind": self.footprint_kind,
            "approximate": self.approximate,
            "sensitivity": [{k: _num(v) for k, v in r.items()} for r in self.sensitivity],
            "source": self.source,
            "source_name": source_name(self.source),
            "lean": source_lean(self.source),
            "as_of": iso(self.as_of),
            "provenance": self.provenance,
            "notes": list(self.notes),
            "detail": jsonable(self.detail) if self.detail is not None else None,
        }

    def to_gdf(self):
        """The footprint, the side's held land and the grey zone in it (EPSG:4326).

        Columns: ``class`` (``footprint``, ``held``, ``grey``), ``place``, ``side``,
        ``verdict``, ``area_km2``, ``geometry``; one row per part the check measured
        (an empty part, e.g. no grey zone, has no row).
        """
        import geopandas as gpd

        rows = [
            ("footprint", self.footprint_geometry, self.footprint_km2),
            ("held", self.held_geometry, self.held_km2),
            ("grey", self.grey_geometry, self.grey_km2),
        ]
        rows = [r for r in rows if r[1] is not None and not r[1].is_empty]
        return gpd.GeoDataFrame(
            {
                "class": [r[0] for r in rows],
                "place": [self.place] * len(rows),
                "side": [self.side] * len(rows),
                "verdict": [self.verdict] * len(rows),
                "area_km2": [float(r[2]) for r in rows],
            },
            geometry=[r[1] for r in rows],
            crs="EPSG:4326",
        )

    def _export_provenance(self) -> dict:
        return one_map_provenance("claim_check", self)

    def _class_style(self) -> dict:
        text = {"footprint": f"{self.place} ({self.footprint_kind})", "held": f"held by {self.side}"}
        return {k: (c, text.get(k, "grey zone")) for k, c in CLAIM_COLOURS.items()}

    def to_frame(self):
        """The sensitivity table as a DataFrame (one row per footprint kind × policy)."""
        import pandas as pd

        cols = ["footprint_kind", "footprint_km2", "approximate", "policy", "share", "held_km2", "verdict"]
        return pd.DataFrame([dict(r) for r in self.sensitivity], columns=cols)

    # ----------------------------------------------------------------- text
    def summary(self) -> str:
        """A few lines of plain text: verdict, shares per policy, caveats."""
        date = iso(self.as_of, "undated")
        what = {
            "share": f"{_pct(self.claimed)} of {self.place}",
            "captured": f"{self.place} captured (≥ {_pct(self.claimed)})",
            "encircled": f"{self.place} encircled",
        }.get(self.kind, self.place)
        lines = [
            f"Claim: {self.side} holds {what}",
            f"Map: {self.source} {date}",
            f"Verdict: {self.verdict.upper()} (policy: grey counts for {self.policy})",
        ]
        if self.share is not None:
            flag = "  [APPROXIMATE footprint]" if self.approximate else ""
            lines.append(f"Footprint: {self.footprint_kind}, {self.footprint_km2:,.2f} km²{flag}")
            grey = f"grey zone: {self.grey_km2:,.2f} km²" if self.has_grey else self.grey_note
            lines.append(f"Held by {self.side}: {self.held_km2:,.2f} km²; {grey}")
            lines.append(
                "Share by grey-zone policy: " + ", ".join(f"{p} {_pct(s)}" for p, s in self.policies.items())
            )
            if self.short_km2 > 0:
                lines.append(f"Short of the claim by {self.short_km2:,.2f} km²")
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def sensitivity_text(self) -> str:
        """The sensitivity table as aligned text (footprint kinds × policies)."""
        if not self.sensitivity:
            return ""
        kinds = list(dict.fromkeys(r["footprint_kind"] for r in self.sensitivity))
        pols = list(dict.fromkeys(r["policy"] for r in self.sensitivity))
        cell = {(r["footprint_kind"], r["policy"]): r for r in self.sensitivity}
        w = max(len(k) for k in kinds) + 4
        head = f"{'footprint':<{w}}{'km²':>9}  " + "".join(f"{p:>22}" for p in pols)
        rows = [head]
        for k in kinds:
            any_row = next(r for r in self.sensitivity if r["footprint_kind"] == k)
            name = k + (" (≈)" if any_row["approximate"] else " (≥)" if k.startswith("community") else "")
            txt = f"{name:<{w}}{any_row['footprint_km2']:>9.2f}  "
            for p in pols:
                r = cell.get((k, p))
                txt += f"{_pct(r['share']) + ' ' + _short_verdict(r['verdict']):>22}" if r else " " * 22
            rows.append(txt)
        if any(r["approximate"] for r in self.sensitivity):
            rows.append("(≈) approximate footprint")
        if any(k.startswith("community") for k in kinds):
            rows.append("(≥) community (hromada): an upper bound, the town and its surroundings")
        return "\n".join(rows)

    def _repr_html_(self) -> str:
        approx = " <b style='color:#b00'>(approximate footprint)</b>" if self.approximate else ""
        pols = "".join(
            f"<tr><td>{html.escape(p)}</td><td style='text-align:right'>{_pct(s)}</td></tr>"
            for p, s in self.policies.items()
        )
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        table = (
            self.to_frame().to_html(index=False, float_format=lambda x: f"{x:.4f}")
            if self.sensitivity
            else ""
        )
        return (
            f"<b>ClaimCheck</b>: {html.escape(self.side)} {html.escape(self.kind)} "
            f"{html.escape(self.place)} — <b>{html.escape(self.verdict)}</b> "
            f"(policy {html.escape(self.policy)}, share {_pct(self.share)}); "
            f"{html.escape(self.source)} {self.as_of or ''}; footprint "
            f"{html.escape(self.footprint_kind)} {self.footprint_km2:,.2f} km²{approx}"
            f"<table><tr><th>policy</th><th>share</th></tr>{pols}</table>"
            f"<ul>{notes}</ul>{table}"
        )

    def plot(self, ax=None, **kwargs):
        """Footprint, held land, grey zone and the share per policy (:func:`mapdiff.draw.plot.plot_claim`)."""
        from ..draw.plot import plot_claim

        return plot_claim(self, ax=ax, **kwargs)


def _num(x):
    """NaN -> None (JSON has no NaN)."""
    return None if isinstance(x, float) and math.isnan(x) else x


def _pct(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{100 * x:.1f}%"


def _short_verdict(v: str) -> str:
    return {SUPPORTED: "yes", WITHIN: "~", NOT_SUPPORTED: "no"}.get(v, v)


# ---------------------------------------------------------------------- measuring
def _map_side(cmap, side) -> str:
    """``side`` in its one spelling (aliases accepted), and one the map has (else an error
    listing the map's sides): never a silent 0% for a side the map does not know."""
    known = [lab.side for lab in getattr(cmap, "all_labels", ()) if lab.side]
    return resolve_side(side, known, what=f"the {getattr(cmap, 'source', '?')} map")


def _measure(cmap, geom, side: str) -> dict:
    """Held, grey, covered and total km² of ``geom`` on ``cmap`` (one area_km2 call).

    The numbers of :meth:`ControlMap.partition`, without cutting the background out when
    it is neither held by ``side`` nor grey: then only its area matters to nothing but the
    statuses list, and it is the covered area less the drawn parts (labels never overlap).
    """
    shapely.prepare(geom)
    cov = cmap.coverage
    covered_all = cov is None or cov is geom or bool(shapely.covers(cov, geom))
    inside = geom if covered_all else polygonal(shapely.intersection(geom, cov))
    labels, geoms = cmap.drawn_parts(geom, inside)
    bg = cmap.background
    bg_geom = None
    if bg is not None and (bg.status == CONTESTED or (bg.holds and bg.side == side)):
        drawn = geoms[0] if len(geoms) == 1 else shapely.union_all(np.asarray(geoms, dtype=object))
        bg_geom = polygonal(shapely.difference(inside, drawn)) if geoms else inside
    outside = None if covered_all else polygonal(shapely.difference(geom, cov))
    extra = [g for g in (bg_geom, outside) if g is not None]
    sizes = area_km2(np.asarray([*geoms, *extra, inside, geom], dtype=object))
    total, inside_km2 = float(sizes[-1]), float(sizes[-2])
    parts = sizes[: len(geoms)]
    bg_km2 = float(sizes[len(geoms)]) if bg_geom is not None else inside_km2 - float(parts.sum())
    geoms = list(geoms)
    if bg is not None and bg_km2 > 1e-12:
        if bg in labels:  # also drawn explicitly: one entry per label
            i = labels.index(bg)
            parts[i] += bg_km2
            if bg_geom is not None:
                geoms[i] = polygonal(shapely.union(geoms[i], bg_geom))
        else:
            labels.append(bg)
            parts = np.append(parts, bg_km2)
            geoms.append(bg_geom)
    geoms = np.asarray(geoms, dtype=object)
    held_mask = np.array([lab.holds and lab.side == side for lab in labels], dtype=bool)
    grey_mask = np.array([lab.status == CONTESTED for lab in labels], dtype=bool)
    if _has_coverage(cmap):
        out_km2 = float(sizes[-3]) if outside is not None else 0.0
        covered = total - (out_km2 if out_km2 > 0 else 0.0)
    else:
        # a map without a coverage speaks wherever it draws: the footprint counts as
        # covered when the map draws anything in it, else not at all
        covered = total if len(parts) else 0.0
    return {
        "total": total,
        "held": float(parts[held_mask].sum()) if len(parts) else 0.0,
        "grey": float(parts[grey_mask].sum()) if len(parts) else 0.0,
        "covered": max(0.0, min(covered, total)),
        "other_statuses": {
            str(lab): float(a)
            for lab, a in zip(labels, parts, strict=True)
            if lab.status not in _CORE_STATUSES and a > 0
        },
        "held_geom": _union(geoms[held_mask]) if len(geoms) else None,
        "grey_geom": _union(geoms[grey_mask]) if len(geoms) else None,
    }


_CORE_STATUSES = frozenset({"controlled", "contested", "encircled", NOT_COVERED.status})


def _has_coverage(cmap) -> bool:
    return cmap.coverage is not None


def _union(arr):
    arr = np.asarray(arr, dtype=object)
    return shapely.union_all(arr) if arr.size else shapely.Polygon()


def _shares(m: dict) -> dict[str, float]:
    held, grey, cov = m["held"], m["grey"], m["covered"]
    nan = float("nan")
    shares = {
        "nobody": held / cov if cov > 0 else nan,
        "half": (held + grey / 2) / cov if cov > 0 else nan,
        "claimant": (held + grey) / cov if cov > 0 else nan,
        "excluded": held / (cov - grey) if cov - grey > 0 else nan,
    }
    # held, grey and covered are measured apart: held + grey can exceed covered by a
    # rounding error (1 + 4e-9 on a town all held or grey); a share is a share: in [0, 1]
    return {k: v if v != v else min(max(v, 0.0), 1.0) for k, v in shares.items()}


def _denominator(m: dict, policy: str) -> float:
    return m["covered"] - m["grey"] if policy == "excluded" else m["covered"]


def _verdict(share: float, claimed: float, tolerance: float) -> str:
    if share is None or math.isnan(share):
        return UNDETERMINED  # e.g. policy "excluded" on a footprint that is all grey
    eps = 1e-12
    if share >= claimed - eps:
        return SUPPORTED
    if share >= claimed - tolerance - eps:
        return WITHIN
    return NOT_SUPPORTED


# ---------------------------------------------------------------------- main entry
def check_claim(
    map,
    place,
    side: str,
    claimed=None,
    *,
    kind: str = "share",
    tolerance: float = TOLERANCE,
    footprint_kind: str | None = None,
    policy: str = "nobody",
) -> ClaimCheck:
    """Check a claim about a place on one map.

    Parameters
    ----------
    map : ControlMap
    place : str, Footprint, path or shapely geometry
        A gazetteer name or alias in any script ("Pokrovsk", "Красноармейск"), a
        :class:`~mapdiff.places.footprints.Footprint`, the path of a polygon file (GeoJSON,
        GPKG, …) or a lon/lat polygon.
    side : str
        The claimant's side ("RU").
    claimed : float, int or str
        The claimed share for ``kind="share"``: ``0.7``, ``70`` or ``"70%"``. Ignored
        (threshold :data:`CAPTURED_THRESHOLD`) for ``captured``; unused for ``encircled``.
    kind : {"share", "captured", "encircled"}
    tolerance : float, default 0.05
        How far (absolute share) below the claim still counts as ``within tolerance``.
    footprint_kind : str, optional
        A rung of the footprint ladder (``osm_boundary``, ``city_limits``, ``community``,
        ``approximate``) or ``user``, optionally with a buffer (``"approximate+2km"``);
        default the best estimate of the town (see :func:`mapdiff.footprint`).
    policy : str, default "nobody"
        The grey-zone policy that decides the verdict (see :data:`POLICIES`).

    Returns
    -------
    ClaimCheck

    Raises
    ------
    CoverageError
        When the map does not cover the footprint at all.
    UnknownPlaceError
        For a place not in the gazetteer (naming the closest matches).
    MapdiffError
        For a bad claimed value, kind or policy.

    Examples
    --------
    >>> import mapdiff
    >>> m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    >>> c = check_claim(m, "Pokrovsk", "RU", "70%")
    >>> c.verdict, round(c.share, 3), c.footprint_kind, c.approximate
    ('not supported', 0.447, 'city_limits', False)
    """
    policy, tolerance = _options(map, kind, policy, tolerance)
    side = _map_side(map, side)
    if kind == "encircled":
        return check_encircled_claim(map, place, side, tolerance=tolerance, footprint_kind=footprint_kind)
    if kind == "captured":
        value = CAPTURED_THRESHOLD
    else:
        if claimed is None:
            raise ArgumentError("a share claim needs a claimed value, e.g. claimed='70%'")
        value = parse_claimed(claimed)
    fp = as_footprint(place, kind=footprint_kind)
    m = _measure(map, fp.geometry, side)
    notes = _share_notes(map, fp, m)
    shares = _shares(m)
    share = shares[policy]
    short = max(0.0, (value - share) * _denominator(m, policy)) if not math.isnan(share) else float("nan")
    return _claim_check(
        map,
        fp,
        m,
        side=side,
        kind=kind,
        claimed=value,
        verdict=_verdict(share, value, tolerance),
        policy=policy,
        share=share,
        policies=shares,
        short_km2=short,
        tolerance=tolerance,
        sensitivity=_share_sensitivity(map, fp, m, side, value, tolerance),
        notes=tuple(notes),
    )


def _options(map, kind: str, policy: str, tolerance) -> tuple[str, float]:
    """The map, kind, policy (aliases read) and tolerance of :func:`check_claim`, checked:
    ``(policy, tolerance)``."""
    if not isinstance(map, ControlMap):
        raise ArgumentError(
            f"check_claim needs a ControlMap (from mapdiff.read_map), got {type(map).__name__}"
        )
    if kind not in KINDS:
        raise ArgumentError(f"unknown claim kind {kind!r}; use one of: {', '.join(KINDS)}")
    policy = POLICY_ALIASES.get(policy, policy)
    if policy not in POLICIES:
        raise ArgumentError(f"unknown grey-zone policy {policy!r}; use one of: {', '.join(POLICIES)}")
    try:
        tolerance = float(tolerance)
    except (TypeError, ValueError):
        raise ArgumentError(f"tolerance must be a number (share, e.g. 0.05), got {tolerance!r}") from None
    if not 0 <= tolerance < 1:
        raise ArgumentError(f"tolerance {tolerance!r} must lie in [0, 1) (0.05 = 5 percentage points)")
    return policy, tolerance


def _share_notes(map, fp, m: dict) -> list[str]:
    """The caveats of a share measured on ``fp`` (partial coverage, the map's own statuses,
    an approximate footprint); a footprint the map does not cover raises CoverageError."""
    if m["covered"] <= 1e-9 * max(m["total"], 1e-12):
        raise CoverageError(
            f"the map ({map.source} {map.as_of or 'undated'}) does not cover {fp.name} "
            f"({fp.kind}, {fp.area_km2:,.2f} km²): "
            "a share cannot be computed; use a map whose coverage includes the place"
        )
    notes = []
    cov_share = m["covered"] / m["total"]
    if cov_share < 1 - 1e-6:
        notes.append(
            f"the map covers only {100 * cov_share:.1f}% of the footprint "
            f"({m['covered']:,.2f} of {m['total']:,.2f} km²); shares are of the covered part"
        )
    for lab, km2 in m["other_statuses"].items():
        notes.append(
            f"the map's own status {lab} covers {km2:,.2f} km² of the footprint; "
            "it counts as neither held nor grey"
        )
    if fp.approximate:
        notes.append(f"approximate footprint: {fp.provenance}")
    return notes


def _share_sensitivity(map, fp, m: dict, side: str, value: float, tolerance: float) -> tuple:
    """One row per rung of ``fp``'s footprint ladder × grey-zone policy (``m``: the
    measure of ``fp`` itself, not measured again)."""
    rows = []
    for sfp in sensitivity_footprints(fp, SENSITIVITY_BUFFERS_KM):
        same = sfp.kind == fp.kind and shapely.equals_exact(sfp.geometry, fp.geometry, 0.0)
        sm = m if same else _measure(map, sfp.geometry, side)
        if sm["covered"] <= 0:
            continue
        for pol, s in _shares(sm).items():
            rows.append(
                {
                    "footprint_kind": sfp.kind,
                    "footprint_km2": sm["total"],
                    "approximate": sfp.approximate,
                    "policy": pol,
                    "share": s,
                    "held_km2": sm["held"],
                    "verdict": _verdict(s, value, tolerance),
                }
            )
    return tuple(rows)


def _claim_check(map, fp, m: dict, **fields) -> ClaimCheck:
    """A ClaimCheck with what every claim kind states alike: the footprint, the km²
    measured on it (``m`` from :func:`_measure`) and the map's provenance."""
    return ClaimCheck(
        footprint=fp,
        held_km2=m["held"],
        grey_km2=m["grey"],
        footprint_km2=m["total"],
        covered_km2=m["covered"],
        source=map.source,
        as_of=map.as_of,
        held_geometry=m["held_geom"],
        grey_geometry=m["grey_geom"],
        map_provenance=map.provenance,
        grey_note=getattr(map, "grey_note", None),
        **fields,
    )


# ---------------------------------------------------------------------- encircled claims
def check_encircled_claim(
    map,
    place,
    side: str,
    *,
    tolerance: float = TOLERANCE,
    footprint_kind: str | None = None,
    fire_range_km: float | None = None,
    grey: str = "passable",
    defender: str | None = None,
):
    """Check "``place`` is encircled by ``side``" on one map; a :class:`ClaimCheck`.

    ``supported`` when the holding is enclosed, ``within tolerance`` when it is open only
    through a corridor under fire control (``fire_range_km``), ``not supported`` when
    open, ``undetermined`` when the defender holds nothing there. The verdict under
    each grey-zone policy and footprint kind fills the sensitivity table; the
    :class:`Encirclement` (as a dict) is in ``detail``. ``tolerance`` is kept for the
    :func:`mapdiff.check_claim` signature; encirclement verdicts do not use it.

    Examples
    --------
    >>> import mapdiff
    >>> m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    >>> c = mapdiff.check_claim(m, "Myrnohrad", "RU", kind="encircled")
    >>> c.verdict, c.detail["enclosed"]
    ('not supported', False)
    """

    def verdict_of(e: Encirclement) -> str:
        if e.enclosed is None:
            return UNDETERMINED
        return SUPPORTED if e.enclosed else WITHIN if e.fire_controlled else NOT_SUPPORTED

    side = _map_side(map, side)
    fp = pocket_footprint(place, kind=footprint_kind)  # several places: one pocket
    main = encirclement(map, fp, by=side, fire_range_km=fire_range_km, grey=grey, defender=defender)
    rows = []
    # where the map draws no grey zone, passable and blocking grey give the same layers
    # (map_layers: the grey land is empty), so each footprint is measured once
    grey_counts = not map_layers(map, main.by, main.defender, grey)[2].is_empty
    done = {(fp.kind, grey if grey_counts else None): main}
    for sfp in sensitivity_footprints(fp, SENSITIVITY_BUFFERS_KM):
        for pol in GREY_POLICIES:
            key = (sfp.kind, pol if grey_counts else None)
            e = done.get(key)
            if e is None:
                e = done[key] = encirclement(
                    map, sfp, by=side, fire_range_km=fire_range_km, grey=pol, defender=main.defender
                )
            rows.append(
                {
                    "footprint_kind": sfp.kind,
                    "footprint_km2": sfp.area_km2,
                    "approximate": sfp.approximate,
                    "policy": f"grey {pol}",
                    "share": e.perimeter_share,
                    "held_km2": e.holding_km2,
                    "verdict": verdict_of(e),
                    "corridor_km": e.corridor_km,
                }
            )
    m = _measure(map, fp.geometry, side)
    notes = [f"encirclement ({main.grey} grey zone): {main.verdict}"]
    notes += [
        f"grey {r['policy'].split()[-1]} on {r['footprint_kind']}: {r['verdict']}"
        + (f" (corridor {r['corridor_km']:.2f} km)" if r["corridor_km"] is not None else "")
        for r in rows
        if r["footprint_kind"] == fp.kind and r["policy"] != f"grey {grey}"
    ]
    notes += list(main.notes)
    return _claim_check(
        map,
        fp,
        m,
        side=side,
        kind="encircled",
        claimed=None,
        verdict=verdict_of(main),
        policy=f"grey {grey}",
        share=None,
        policies={},
        short_km2=0.0,
        tolerance=tolerance,
        sensitivity=tuple(rows),
        notes=tuple(notes),
        detail=main.to_dict(),
    )
