"""One claim, every map: the same claim checked on each source's release of its date.

:func:`check_claim_all` takes maps of several sources (ControlMaps, :class:`mapdiff.Releases`,
folders, globs or lists of files of releases, or a mapping ``name -> any of those``), picks
for each source the release nearest **on or before** the claim's date (a map published
after a claim cannot be what the claimant saw; the gap in days is stated), runs
:func:`mapdiff.check_claim` on it, and returns one :class:`ClaimAcrossMaps`: a table of
source × grey-zone policy × footprint with verdicts, the grey zone where the source has
one, and the sentence "this source has no grey-zone class: the policies cannot differ"
where it has none.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import warnings
from dataclasses import dataclass, field

from .._dates import as_date
from .._geo import GeoResult
from .._json import SCHEMA_VERSION, iso, jsonable
from ..config import TOLERANCE
from ..encircle.core import encirclement
from ..errors import ArgumentError, CoverageError, StaleReleaseWarning
from ..io.write import export_provenance, map_row
from ..model.classes import CLAIM_COLOURS, source_label, source_lean, source_name
from ._maps import by_source, handles
from .check import check_claim

__all__ = ["MAX_GAP_DAYS", "ClaimAcrossMaps", "check_claim_all"]

#: A release more than this many days before the claim's date is stale (warned, marked).
MAX_GAP_DAYS = 7

_COLUMNS = [
    "source",
    "release",
    "gap_days",
    "footprint_kind",
    "footprint_km2",
    "policy",
    "share",
    "held_km2",
    "grey_km2",
    "grey_share",
    "has_grey",
    "verdict",
    "decides",
]


def _once(load):
    """A loader that reads its release once (a Releases reads from disk on every call)."""
    cache = []

    def get():
        if not cache:
            cache.append(load())
        return cache[0]

    return get


@dataclass(frozen=True, eq=False)
class ClaimAcrossMaps(GeoResult):
    """A claim checked on every source's release of its date (immutable).

    Attributes
    ----------
    place, side, kind : str
    claimed : float or None
    date : datetime.date or None
        The claim's date (releases used are on or before it).
    checks : dict
        ``{source: ClaimCheck}`` for the sources that had a release (in input order).
    releases : dict
        ``{source: (release date, gap in days)}``.
    missing : dict
        ``{source: why}`` for sources with no release on or before the date, or not
        covering the place.

    Examples
    --------
    >>> import mapdiff
    >>> maps = [mapdiff.read_map(mapdiff.sample_path(d)) for d in ("2025-11-20", "2025-11-27")]
    >>> r = mapdiff.check_claim_all(maps, "Pokrovsk", "RU", "70%", date="2025-11-30")
    >>> type(r).__name__, r.checks["deepstate"].verdict, r.missing
    ('ClaimAcrossMaps', 'not supported', {})
    """

    place: str
    side: str
    kind: str
    claimed: float | None
    date: dt.date | None
    checks: dict = field(default_factory=dict)
    releases: dict = field(default_factory=dict)
    missing: dict = field(default_factory=dict)
    #: ``{source: Encirclement}`` for ``kind="encircled"`` (the corridor per source)
    encirclements: dict = field(default_factory=dict, repr=False)
    #: A release more than this many days before the date is stale (None: never).
    max_gap_days: int | None = MAX_GAP_DAYS
    #: True when no date was given: each source's newest release was used.
    newest: bool = False

    def _label(self, source: str) -> str:
        """What readers call ``source``, with its lean (``"Creamy Caprice (pro-Russian)"``)."""
        return source_label(self.checks.get(source, source))

    @property
    def stale(self) -> dict:
        """``{source: gap in days}`` for releases more than ``max_gap_days`` before the date."""
        if self.max_gap_days is None:
            return {}
        return {
            s: gap for s, (_, gap) in self.releases.items() if gap is not None and gap > self.max_gap_days
        }

    def _stale_note(self, source: str) -> str | None:
        """The sentence that marks a stale release, or None when it is recent enough."""
        gap = self.stale.get(source)
        if gap is None:
            return None
        release = iso(self.releases[source][0])
        return (
            f"STALE: {self._label(source)}'s release used ({release}) is {gap} d before "
            f"{iso(self.date)} (over --max-gap-days {self.max_gap_days}): not what the map said then"
        )

    def notes(self) -> list[str]:
        """Warnings every output states: stale releases, newest releases used without a date."""
        out = [n for n in (self._stale_note(s) for s in self.checks) if n]
        if self.newest and self.checks:
            used = ", ".join(
                f"{source_name(self.checks.get(s, s))} {iso(self.releases[s][0])}" for s in self.checks
            )
            out.append(f"no --date given: each source's newest release was used ({used})")
        return out

    def claim_text(self) -> str:
        """The claim as worded (``"RU holds 70% of Pokrovsk"``)."""
        if self.kind == "encircled":
            return f"{self.place} encircled by {self.side}"
        if self.kind == "captured":
            return f"{self.place} captured by {self.side}"
        what = "" if self.claimed is None else f"{100 * self.claimed:g}% of "
        return f"{self.side} holds {what}{self.place}"

    def methods(self) -> str:
        """The methods note: how every number was made, each source's release and caveats.

        What a figure's caption has no room for; it goes into the JSON (``methods``), the
        HTML and the metadata of a saved figure.
        """
        first = next(iter(self.checks.values()), None)
        lines = [f"Claim ({iso(self.date, 'undated')}): {self.claim_text()}."]
        if first is not None:
            lines.append(
                f"Footprint: {first.place} ({first.footprint_kind}, {first.footprint_km2:,.2f} km²). "
                f"Share = land each map shows held by {self.side} / the part of the footprint it covers, "
                "areas in a local Lambert azimuthal equal-area projection. "
                f"Verdict under the grey-zone policy '{first.policy}' (grey counted for nobody unless "
                f"the policy says otherwise); 'within tolerance' = up to {first.tolerance:.0%} below "
                "the claim. Each source's release is the newest on or before the claim's date."
            )
        for source, chk in self.checks.items():
            release, gap = self.releases[source]
            bits = [f"release {iso(release)}" + ("" if gap is None else f" ({gap} d before)")]
            bits.append(
                f"grey zone {chk.grey_km2:,.2f} km²"
                if chk.has_grey
                else "no grey-zone class: policies cannot differ"
            )
            bits += list(chk.notes)
            lines.append(f"{self._label(source)}: " + "; ".join(bits) + ".")
        for source, why in self.missing.items():
            lines.append(f"{self._label(source)}: {why}.")
        lines += [n + "." for n in self.notes()]
        return "\n".join(lines)

    def rows(self) -> list[dict]:
        """One dict per source × footprint kind × grey-zone policy (the table)."""
        out = []
        for source, chk in self.checks.items():
            release, gap = self.releases[source]
            for r in chk.sensitivity:
                decides = r["policy"] == chk.policy and r["footprint_kind"] == chk.footprint_kind
                grey = chk.grey_km2 if decides else None
                fp_km2 = r["footprint_km2"]
                out.append(
                    {
                        "source": source,
                        "source_name": source_name(self.checks.get(source, source)),
                        "lean": source_lean(self.checks.get(source, source)),
                        "release": iso(release),
                        "gap_days": gap,
                        "footprint_kind": r["footprint_kind"],
                        "footprint_km2": fp_km2,
                        "policy": r["policy"],
                        "share": None if r["share"] is None or math.isnan(r["share"]) else r["share"],
                        "held_km2": r["held_km2"],
                        "grey_km2": grey,
                        "grey_share": None if grey is None or not fp_km2 else grey / chk.covered_km2,
                        "has_grey": chk.has_grey,
                        "verdict": r["verdict"],
                        "decides": decides,
                    }
                )
        return out

    def to_frame(self):
        """The table as a DataFrame (columns as :meth:`rows`)."""
        import pandas as pd

        return pd.DataFrame(self.rows(), columns=_COLUMNS)

    def summary_frame(self):
        """One row per source: release, gap, share under each policy, grey, verdict."""
        import pandas as pd

        rows = []
        for source, chk in self.checks.items():
            release, gap = self.releases[source]
            rows.append(
                {
                    "source": source,
                    "release": iso(release),
                    "gap_days": gap,
                    **{f"share_{p}": v for p, v in chk.policies.items()},
                    "grey_share": chk.grey_km2 / chk.covered_km2
                    if chk.has_grey and chk.covered_km2
                    else None,
                    "grey": "yes" if chk.has_grey else "no grey-zone class",
                    "verdict": chk.verdict,
                }
            )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        """JSON-ready dict (``schema_version``, ``type`` = ``claim_across_maps``)."""
        return jsonable(
            {
                "schema_version": SCHEMA_VERSION,
                "type": "claim_across_maps",
                "place": self.place,
                "side": self.side,
                "kind": self.kind,
                "claimed": self.claimed,
                "date": iso(self.date),
                "max_gap_days": self.max_gap_days,
                "newest_releases": self.newest,
                "notes": self.notes(),
                "methods": self.methods(),
                "sources": {
                    s: {
                        "source_name": source_name(self.checks.get(s, s)),
                        "lean": source_lean(self.checks.get(s, s)),
                        "release": iso(self.releases[s][0]),
                        "gap_days": self.releases[s][1],
                        "stale": s in self.stale,
                        "verdict": c.verdict,
                        "share": c.share,
                        "policies": c.policies,
                        "grey_km2": c.grey_km2 if c.has_grey else None,
                        "grey_note": c.grey_note,
                        "footprint_kind": c.footprint_kind,
                        "footprint_km2": c.footprint_km2,
                    }
                    for s, c in self.checks.items()
                },
                "missing": dict(self.missing),
                "rows": self.rows(),
            }
        )

    def to_gdf(self):
        """Each source's footprint, held land and grey zone (``source`` column added)."""
        import geopandas as gpd
        import pandas as pd

        parts = []
        for source, chk in self.checks.items():
            g = chk.to_gdf()
            g.insert(0, "source", source)
            parts.append(g)
        if not parts:
            return gpd.GeoDataFrame({"source": []}, geometry=[], crs="EPSG:4326")
        return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")

    def _export_provenance(self) -> dict:
        maps = [map_row(s, c.source, c.as_of, c.map_provenance) for s, c in self.checks.items()]
        first = next(iter(self.checks.values()), None)
        return export_provenance(
            "claim_across_maps", maps=maps, footprint=None if first is None else first.footprint
        )

    def _class_style(self) -> dict:
        text = {"footprint": self.place, "held": f"held by {self.side}"}
        return {k: (c, text.get(k, "grey zone")) for k, c in CLAIM_COLOURS.items()}

    def summary(self) -> str:
        """Plain text: one line per source."""
        head = f"Claim: {self.claim_text()}"
        head = head + (f" ({iso(self.date)})" if self.date else "")
        lines = [head]
        width = max((len(self._label(s)) for s in [*self.checks, *self.missing]), default=16)
        for source, chk in self.checks.items():
            release, gap = self.releases[source]
            when = f"{iso(release)} ({gap} d before{', STALE' if source in self.stale else ''})"
            if self.kind == "encircled":
                grey = "" if chk.has_grey else "; no grey-zone class"
                lines.append(
                    f"  {self._label(source):<{width}} {when}: {chk.verdict.upper()}; "
                    f"{(chk.detail or {}).get('verdict', '')}{grey}"
                )
                continue
            pol = " ".join(
                f"{p} {'n/a' if v is None or math.isnan(v) else f'{100 * v:.1f}%'}"
                for p, v in chk.policies.items()
            )
            grey = (
                f"grey {chk.grey_km2:,.2f} km² ({100 * chk.grey_km2 / chk.covered_km2:.1f}%)"
                if chk.has_grey and chk.covered_km2
                else "this source has no grey-zone class: the policies cannot differ"
            )
            lines.append(
                f"  {self._label(source):<{width}} {when}: {chk.verdict.upper()}; share {pol}; {grey}"
            )
        for source, why in self.missing.items():
            lines.append(f"  {self._label(source):<{width}} {why}")
        lines += [f"warning: {n}" for n in self.notes()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def plot(self, ax=None, **kwargs):
        """A small panel per source, same footprint, extent and palette.

        See :func:`mapdiff.draw.panels.plot_claim_panels`.
        """
        from ..draw.panels import plot_claim_panels

        return plot_claim_panels(self, axes=ax, **kwargs)

    def _repr_html_(self) -> str:
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r.values()) + "</tr>"
            for r in self.summary_frame().to_dict("records")
        )
        methods = "<br>".join(html.escape(line) for line in self.methods().split("\n"))
        return (
            f"<b>ClaimAcrossMaps</b> {html.escape(self.side)} {html.escape(self.place)}<table>{rows}</table>"
            f"<details><summary>Methods</summary><small>{methods}</small></details>"
        )


def check_claim_all(
    maps,
    place,
    side: str,
    claimed=None,
    *,
    date=None,
    kind: str = "share",
    tolerance: float = TOLERANCE,
    footprint_kind: str | None = None,
    policy: str = "nobody",
    max_gap_days: int | None = MAX_GAP_DAYS,
) -> ClaimAcrossMaps:
    """Check one claim on every source's release nearest on or before its date.

    Parameters
    ----------
    maps : ControlMaps, folder, glob, files, Releases, or a mapping ``name -> any of those``
        As for :func:`mapdiff.check_claims`: grouped by source (a mapping's keys name them).
    place, side, claimed, kind, tolerance, footprint_kind, policy
        As for :func:`mapdiff.check_claim`.
    date : date or str, optional
        The claim's date; default the newest release of all (each source's newest release
        is then used, and every output says so).
    max_gap_days : int or None, default 7
        A release more than this many days before the date is stale: warned
        (:class:`~mapdiff.errors.StaleReleaseWarning`) and marked in text, JSON and figure.

    Returns
    -------
    ClaimAcrossMaps

    Examples
    --------
    >>> import mapdiff
    >>> maps = [mapdiff.read_map(p) for p in mapdiff.sample_paths()]
    >>> r = check_claim_all(maps, "Pokrovsk", "Russia", "70%", date="2025-11-30")
    >>> r.releases["deepstate"]
    (datetime.date(2025, 11, 27), 3)
    >>> r.checks["deepstate"].has_grey
    False
    """
    if max_gap_days is not None and (isinstance(max_gap_days, bool) or max_gap_days < 0):
        raise ArgumentError(f"max_gap_days must be a whole number of days >= 0, got {max_gap_days!r}")
    groups = {source: handles(parts) for source, parts in by_source(maps, what="check_claim_all").items()}
    dates = [h[0] for hs in groups.values() for h in hs if h[0] is not None]
    when = as_date(date, where="date=") if date is not None else (max(dates) if dates else None)
    checks, releases, missing, encs = {}, {}, {}, {}
    first = None
    for source, found in groups.items():
        dated = sorted((h for h in found if h[0] is not None), key=lambda h: h[0])
        before = [h for h in dated if when is None or h[0] <= when]
        if not before:
            first_date = dated[0][0].isoformat() if dated else "none dated"
            missing[source] = f"no release on or before {iso(when)} (first: {first_date})"
            continue
        as_of, load = before[-1]
        load = _once(load)
        try:
            chk = check_claim(
                load(),
                place,
                side,
                claimed,
                kind=kind,
                tolerance=tolerance,
                footprint_kind=footprint_kind,
                policy=policy,
            )
        except CoverageError as exc:
            missing[source] = f"not covered: {exc}"
            continue
        checks[source] = chk
        releases[source] = (as_of, None if when is None else (when - as_of).days)
        if kind == "encircled":
            encs[source] = encirclement(load(), chk.footprint, by=chk.side)
        first = first or chk
    if first is None:
        raise ArgumentError(
            f"no source has a release of {place!r} on or before {iso(when)}: " + "; ".join(missing.values())
        )
    out = ClaimAcrossMaps(
        first.place,
        first.side,
        kind,
        first.claimed,
        when,
        checks,
        releases,
        missing,
        encs,
        max_gap_days=max_gap_days,
        newest=date is None,
    )
    for source in out.stale:
        warnings.warn(out._stale_note(source), StaleReleaseWarning, stacklevel=2)
    return out
