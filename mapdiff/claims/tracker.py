"""Claims tracker: every claim of a ledger against every source's whole archive.

For each claim × source (× footprint rung) :func:`track` answers three questions:

1. **What did the source show on the claim's date?** The share of the place held by the
   claim's side in the newest release on or before the claim's date (``release``,
   ``gap_days``: how old that release was).
2. **When did the source first show the claimed state?** ``first_shown``, the first
   release showing it, with ``shown_after``: the last release before it that did not (the
   change happened in between; for a source published every two weeks the answer is only
   as sharp as that).
3. **By how many days did the claim run ahead of the map?** ``lead_days`` =
   ``first_shown`` − claim date: positive when the claimant spoke before the map showed it,
   zero or negative when the map already showed it. (The map's own lead over the claimant
   is the same number with the sign flipped.)

The claimed state, per kind (``side`` is the claim's side, ``share`` that side's share of
the footprint, grey land counting as ``policy`` says, ``threshold`` the captured threshold,
0.95 by default, as for :func:`mapdiff.check_claim`):

=================  =============================================================
kind               the source shows the claimed state when
=================  =============================================================
``captured``       ``share >= threshold`` (a recapture is a ``captured`` claim by
                   the other side: its share reaching the threshold)
``share``          ``share >= value - tolerance`` (the claimed share, less the
                   tolerance a single check allows as "within tolerance")
``not_captured``   ``share < threshold`` (the denial agrees with the map); the
                   first later release at or above it is ``overturned``
``encircled``,     not tracked: an encirclement is a property of the ring round a
``not_encircled``  town, not of the share inside it; the share on the day is
                   reported and ``status`` is ``not_applicable`` (check such claims
                   on one release with ``mapdiff encircle`` / ``check_claims``)
=================  =============================================================

``status`` is one of:

- ``already_shown``: the release of the claim's date already showed the state.
  ``first_shown`` is the first release of the unbroken run of releases showing it that
  includes that release (``lead_days <= 0``); ``censored`` is True when that run starts
  at the archive's first release (the map may have shown it even earlier).
- ``confirmed``: the state was first shown after the claim (``lead_days > 0``).
- ``never``: no release up to the archive's end (``checked_until``) showed it.
- ``before_archive`` / ``after_archive``: the claim's date is outside the archive
  (no release on or before it, or none after it while not already shown): no answer.
- ``not_covered``: the source does not cover the place on the claim's date.
- ``not_applicable``: encirclement kinds (above).
- ``side_not_drawn``: the source's maps have no such side (never read as 0%).

Each claim is tracked on the footprint ladder of its place
(:func:`mapdiff.places.footprints.sensitivity_footprints`: every footprint kind the
gazetteer has for it — town limits, the ``community`` (hromada, an upper bound of the
town), the approximate disc — each town estimate also grown by 2 km). The ``primary`` rung
is the place's default footprint, the best estimate of the town itself (the one
:func:`mapdiff.check_claim` uses); ``rungs_differ`` says whether any other rung gives
another status or first date. Every source is read once, by the engine of :meth:`mapdiff.Releases.shares`:
each release is clipped to all the places at once, cached on disk, and every footprint of
every place is measured in one pass; :attr:`Tracking.sources` states the time taken and
how many releases came from the cache.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import html
import math
import time
from dataclasses import dataclass, field

import shapely

from .._json import SCHEMA_VERSION, jsonable
from ..config import TOLERANCE
from ..errors import ArgumentError
from ..history.releases import assemble_shares
from ..labels import canonical_side
from ..places.footprints import as_footprint, sensitivity_footprints
from ._maps import as_releases, by_source
from .check import CAPTURED_THRESHOLD, POLICIES, POLICY_ALIASES, SENSITIVITY_BUFFERS_KM
from .ledger import as_ledger

__all__ = ["STATUSES", "Tracking", "track"]

STATUSES = (
    "already_shown",
    "confirmed",
    "never",
    "before_archive",
    "after_archive",
    "not_covered",
    "not_applicable",
    "side_not_drawn",
)
_TRACKED = ("captured", "share", "not_captured")

ROW_COLUMNS = [
    "row",
    "who",
    "claimant",
    "date",
    "place",
    "side",
    "kind",
    "claimed",
    "source",
    "rung",
    "primary",
    "approximate",
    "release",
    "gap_days",
    "share",
    "status",
    "first_shown",
    "shown_after",
    "lead_days",
    "censored",
    "overturned",
    "checked_until",
    "rungs_differ",
    "note",
]
SUMMARY_COLUMNS = [
    "group",
    "name",
    "source",
    "claims",
    "tracked",
    "with_lead",
    "lead_median",
    "lead_q25",
    "lead_q75",
    "lead_min",
    "lead_max",
    "within_7d",
    "within_30d",
    "never",
    "no_answer",
]


@dataclass(frozen=True)
class Tracking:
    """The result of :func:`track`: every claim × source × footprint rung.

    Attributes
    ----------
    rows : tuple of dict
        One row per claim × source × rung (columns: :meth:`to_frame`).
    curves : tuple of dict
        The share series behind the rows, for the figure: one dict per source × place ×
        side on the primary rung (``source, place, side, rung, approximate, dates, shares``).
    sources : tuple of dict
        Per source: ``name``, ``releases``, ``first``, ``last``, ``seconds``,
        ``cache_hits``, ``cache_misses``.
    threshold, tolerance : float
    policy : str
    seconds : float
        Wall time of the whole run.

    Examples
    --------
    >>> import datetime, mapdiff
    >>> claim = mapdiff.Claim("someone", datetime.date(2025, 11, 2), "Pokrovsk", "RU", "share", 0.3)
    >>> samples = {"deepstate": mapdiff.Releases(mapdiff.sample_paths(), cache=False)}
    >>> t = mapdiff.track([claim], samples, buffers_km=(), cache=False, workers=1, quiet=True)
    >>> type(t).__name__, t.to_frame().iloc[0].status
    ('Tracking', 'confirmed')
    """

    rows: tuple = ()
    curves: tuple = field(default=(), repr=False)
    sources: tuple = ()
    threshold: float = CAPTURED_THRESHOLD
    tolerance: float = TOLERANCE
    policy: str = "nobody"
    seconds: float = 0.0

    # ------------------------------------------------------------ tables
    def to_frame(self, *, rungs: str = "primary"):
        """One row per claim × source; ``rungs="all"`` adds a row per footprint rung.

        Columns: row (in the ledger), who, claimant, date, place, side, kind, claimed,
        source, rung (footprint kind), primary, approximate, release, gap_days, share,
        status, first_shown, shown_after, lead_days, censored, overturned, checked_until,
        rungs_differ, note.
        """
        import pandas as pd

        if rungs not in ("primary", "all"):
            raise ArgumentError(f"rungs={rungs!r}; use 'primary' or 'all'")
        rows = [r for r in self.rows if rungs == "all" or r["primary"]]
        return pd.DataFrame([dict(r) for r in rows], columns=ROW_COLUMNS)

    def ladder_differences(self) -> list[dict]:
        """The claim × source pairs whose status or first date differs between footprint
        rungs: one dict per pair with the claim, the source and ``rungs`` (per rung:
        ``rung, share, status, first_shown, lead_days``)."""
        groups: dict = {}
        for r in self.rows:
            if r["rungs_differ"]:
                key = (r["row"], r["date"], r["place"], r["side"], r["kind"], r["claimed"], r["source"])
                groups.setdefault(key, []).append(r)
        out = []
        for (row, date, place, side, kind, claimed, source), rs in groups.items():
            out.append(
                {
                    "row": row,
                    "date": date,
                    "place": place,
                    "side": side,
                    "kind": kind,
                    "claimed": claimed,
                    "source": source,
                    "rungs": [
                        {k: r[k] for k in ("rung", "share", "status", "first_shown", "lead_days")} for r in rs
                    ],
                }
            )
        return out

    def summary_rows(self) -> list[dict]:
        """Per claimant (on each source) and per source: the lead's median and spread, the
        share confirmed within 7 and 30 days, and the claims never confirmed (primary rung).

        ``tracked`` counts claims with an answer (``already_shown``, ``confirmed`` or
        ``never``); ``within_7d`` / ``within_30d`` are the shares of them shown by the map
        no later than 7 / 30 days after the claim (already shown counts); ``never`` counts
        claims no release showed; ``with_lead`` the claims with a lead, leaving out
        censored ones (their true lead is unknown); ``no_answer`` the rest (outside the
        archive, not covered, encirclement kinds).
        """
        prim = [r for r in self.rows if r["primary"]]
        sources = list(dict.fromkeys(r["source"] for r in prim))
        out = []
        for name in sorted({r["claimant"] or "" for r in prim}):
            for src in sources:
                rs = [r for r in prim if (r["claimant"] or "") == name and r["source"] == src]
                out.append(_summarise("claimant", name or "(none)", src, rs))
        for src in sources:
            out.append(_summarise("source", src, src, [r for r in prim if r["source"] == src]))
        return out

    def summary_frame(self):
        """:meth:`summary_rows` as a DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.summary_rows(), columns=SUMMARY_COLUMNS)

    def to_dict(self) -> dict:
        """JSON-ready dict: ``schema_version``, ``type`` ("tracking"), the options, the
        sources (time and cache use), the summary and every row (all rungs)."""
        return jsonable(
            {
                "schema_version": SCHEMA_VERSION,
                "type": "tracking",
                "threshold": self.threshold,
                "tolerance": self.tolerance,
                "policy": self.policy,
                "seconds": round(self.seconds, 2),
                "sources": [dict(s) for s in self.sources],
                "summary": self.summary_rows(),
                "ladder_differences": self.ladder_differences(),
                "rows": [dict(r) for r in self.rows],
            }
        )

    def summary(self) -> str:
        """Plain text: each source's releases, time and cache use, the summary table
        (:meth:`summary_rows`) and where the footprint ladder changes the answer."""
        lines = []
        for s in self.sources:
            lines.append(
                f"{s['name']}: {s['releases']} releases {s['first']}..{s['last']}, "
                f"{s['seconds']:.1f} s, {s['cache_hits']} from the cache, {s['cache_misses']} read"
            )
        approx = sorted({r["place"] for r in self.rows if r["primary"] and r["approximate"]})
        if approx:
            lines.append(f"approximate footprints (discs of the official area): {', '.join(approx)}")
        lines.append("")
        lines.append(_text_table(self.summary_frame()))
        diffs = self.ladder_differences()
        if diffs:
            lines.append("")
            lines.append("Where the footprint ladder changes the answer (rung: status, first shown, lead):")
            for d in diffs:
                claimed = f" {d['claimed']:.0%}" if d["claimed"] is not None else ""
                rungs = " | ".join(
                    f"{g['rung']}: {g['status']}"
                    + (f" {g['first_shown']} ({g['lead_days']:+d} d)" if g["first_shown"] else "")
                    for g in d["rungs"]
                )
                lines.append(
                    f"  {d['date']} {d['place']} {d['side']} {d['kind']}{claimed} [{d['source']}] {rungs}"
                )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        head = "".join(
            f"<li>{html.escape(str(s['name']))}: {s['releases']} releases, {s['seconds']:.1f} s, "
            f"{s['cache_hits']} from the cache</li>"
            for s in self.sources
        )
        return (
            f"<b>Tracking</b>: {sum(r['primary'] for r in self.rows)} claim × source rows"
            f"<ul>{head}</ul>"
            + self.summary_frame().to_html(index=False, na_rep="", escape=True)
            + self.to_frame().to_html(index=False, na_rep="", escape=True, max_rows=60)
        )

    def plot(self, ax=None, *, places=None, **kwargs):
        """A timeline per town (:func:`mapdiff.draw.plot.plot_tracking`): each source's share
        curve, the claims marked; ``ax`` is one Axes per town (or None); returns the Figure."""
        from ..draw.plot import plot_tracking

        return plot_tracking(
            self.curves, self.rows, places=places, axes=ax, threshold=self.threshold, **kwargs
        )


def _text_table(df) -> str:
    def fmt(col, v):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "-"
        if col in ("within_7d", "within_30d"):
            return f"{v:.0%}"
        if isinstance(v, float):
            return f"{v:g}"
        return str(v)

    cols = list(df.columns)
    cells = [[fmt(c, v) for c, v in zip(cols, row, strict=True)] for row in df.itertuples(index=False)]
    widths = [max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(cols)]
    out = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip()]
    out += ["  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(out)


def _quantile(xs: list[float], q: float) -> float:
    """Linear-interpolation quantile (numpy's default), without numpy."""
    xs = sorted(xs)
    pos = (len(xs) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _summarise(group: str, name: str, source: str, rows: list[dict]) -> dict:
    answered = [r for r in rows if r["status"] in ("already_shown", "confirmed", "never")]
    leads = [r["lead_days"] for r in answered if r["lead_days"] is not None and not r["censored"]]
    shown_by = [r["lead_days"] for r in answered if r["status"] != "never"]
    n = len(answered)
    return {
        "group": group,
        "name": name,
        "source": source,
        "claims": len(rows),
        "tracked": n,
        "with_lead": len(leads),
        "lead_median": _quantile(leads, 0.5) if leads else None,
        "lead_q25": _quantile(leads, 0.25) if leads else None,
        "lead_q75": _quantile(leads, 0.75) if leads else None,
        "lead_min": min(leads) if leads else None,
        "lead_max": max(leads) if leads else None,
        "within_7d": sum(x <= 7 for x in shown_by) / n if n else None,
        "within_30d": sum(x <= 30 for x in shown_by) / n if n else None,
        "never": sum(r["status"] == "never" for r in answered),
        "no_answer": len(rows) - n,
    }


# ======================================================================= the run
def _ladder(fp, buffers_km) -> list:
    """The place's footprint ladder with its default footprint (the best estimate of the
    town itself, as :func:`mapdiff.check_claim` uses it) first, then the other rungs in
    ladder order (a ``community`` is an upper bound, never the primary rung)."""
    rest = [f for f in sensitivity_footprints(fp, buffers_km) if f.kind != fp.kind]
    return [fp, *rest]


def _digest(fp) -> str:
    return hashlib.sha1(shapely.to_wkb(fp.geometry)).hexdigest()[:12]


def _key(fp) -> str:
    """A footprint's column in the engine's tables: two places of one name never share one."""
    return f"{fp.name}|{fp.kind}|{_digest(fp)}"


def track(
    ledger,
    maps,
    *,
    threshold: float = CAPTURED_THRESHOLD,
    tolerance: float = TOLERANCE,
    policy: str = "nobody",
    buffers_km=SENSITIVITY_BUFFERS_KM,
    max_gap_days: int = 7,
    workers: int | None = None,
    cache: bool = True,
    cache_dir=None,
    quiet: bool = False,
) -> Tracking:
    """Track every claim of a ledger through every source's archive.

    Parameters
    ----------
    ledger : Ledger, path, or iterable of Claim
    maps : mapping of source name -> folder, glob, list of files or :class:`mapdiff.Releases`
        ``{"deepstate": "data/deepstate", "owl": "data/owl"}``. A key naming a profile
        reads the files with that profile; otherwise the profile is recognised. A value may
        also be ControlMaps (as for :func:`mapdiff.check_claims`).
    threshold : float
        Share at or above which a place counts as captured (default 0.95).
    tolerance : float
        A ``share`` claim counts as shown at ``value - tolerance``.
    policy : {"nobody", "half", "claimant", "excluded"}
        What grey land counts as (as for :func:`mapdiff.check_claim`).
    buffers_km : sequence of float
        The buffered rungs of the footprint ladder (``()``: only the base kinds).
    max_gap_days : int
        A release older than this on the claim's date is said in the row's ``note``.
    workers, cache, cache_dir, quiet
        As for :meth:`mapdiff.Releases.shares` (``quiet`` turns the progress bar off).

    Returns
    -------
    Tracking
        See the module documentation for the meaning of each status.

    Examples
    --------
    >>> import datetime, mapdiff
    >>> claim = mapdiff.Claim("someone", datetime.date(2025, 11, 2), "Pokrovsk", "RU", "share", 0.3)
    >>> samples = mapdiff.Releases(mapdiff.sample_paths(), cache=False)  # five DeepState releases
    >>> t = track([claim], {"deepstate": samples}, buffers_km=(), cache=False, workers=1, quiet=True)
    >>> r = t.to_frame().iloc[0]
    >>> r.release, r.status, r.first_shown, int(r.lead_days)
    ('2025-11-01', 'confirmed', '2025-11-20', 18)
    """
    t0 = time.perf_counter()
    policy = POLICY_ALIASES.get(policy, policy)
    if policy not in POLICIES:
        raise ArgumentError(f"unknown policy {policy!r}; use one of {', '.join(POLICIES)}")
    if not (0.0 < float(threshold) <= 1.0):
        raise ArgumentError(f"threshold {threshold!r} is not a share in (0, 1]")
    groups = by_source(maps, what="track", cache=cache, named=True)
    ledger = as_ledger(ledger)
    if not len(ledger):
        raise ArgumentError("the ledger holds no claim")
    places = _Places.of(ledger, tuple(buffers_km))
    side_of = [canonical_side(c.side) for c in ledger]  # "Russia", "ru" -> RU
    sides = sorted(set(side_of))
    rows: list[dict] = []
    curves: list[dict] = []
    sources: list[dict] = []
    for name, parts in groups.items():
        series = as_releases(parts, cache=cache)
        s0 = time.perf_counter()
        stats: dict = {}
        results = series._measure(
            places.fps, workers, "local", None, cache, cache_dir, quiet, f"track {name}", stats=stats
        )
        sources.append(_source_stats(name, series, results, stats, time.perf_counter() - s0))
        drawn = series._sides(results)  # a side the maps do not have is no 0%: it is said
        frames = _side_frames(results, places.fps, [x for x in sides if x in drawn], policy, series.source)
        curves += _curves(name, places, frames, side_of)
        for pid, c, side in zip(places.of_claim, ledger, side_of, strict=True):
            if side in frames:
                cols = [frames[side][_key(fp)] for fp in places.ladders[pid]]
                note = None
            else:
                cols = [None] * len(places.ladders[pid])
                note = f"the {name} maps draw no side {side} (their sides: {', '.join(sorted(drawn))})"
            rows += _claim_rows(c, side, name, places, pid, cols, note, (threshold, tolerance, max_gap_days))
    ordered = [{k: r.get(k) for k in ROW_COLUMNS} for r in rows]
    return Tracking(
        tuple(ordered),
        tuple(curves),
        tuple(sources),
        float(threshold),
        float(tolerance),
        policy,
        time.perf_counter() - t0,
    )


@dataclass(frozen=True)
class _Places:
    """The places of a ledger's claims: each place's footprint ladder (keyed by name and
    geometry), the place of each claim, the name shown for each place and every footprint
    once, named by :func:`_key` (the engine's columns)."""

    ladders: dict
    of_claim: list
    shown: dict
    fps: list

    @classmethod
    def of(cls, ledger, buffers_km: tuple) -> _Places:
        ladders: dict[tuple, list] = {}
        of_claim: list[tuple] = []
        for c in ledger:
            fp0 = as_footprint(c.place)
            pid = (fp0.name, _digest(fp0))
            if pid not in ladders:
                ladders[pid] = _ladder(fp0, buffers_km)
            of_claim.append(pid)
        # a name two different places share gets a number in the output
        names: dict[str, list] = {}
        for pid in ladders:
            names.setdefault(pid[0], []).append(pid)
        shown = {
            pid: (n if len(p) == 1 else f"{n} #{p.index(pid) + 1}") for n, p in names.items() for pid in p
        }
        fps: dict[str, object] = {}
        for ladder in ladders.values():
            for fp in ladder:
                fps.setdefault(_key(fp), dataclasses.replace(fp, name=_key(fp)))
        return cls(ladders, of_claim, shown, list(fps.values()))


def _source_stats(name: str, series, results, stats: dict, seconds: float) -> dict:
    """What :attr:`Tracking.sources` says of one source: releases, time, cache use."""
    read = stats.get("read", 0)
    return {
        "name": str(name),
        "profile": series.source,
        "releases": len(results),
        "first": series.dates[0].isoformat(),
        "last": series.dates[-1].isoformat(),
        "seconds": round(seconds, 2),
        "cache_hits": len(results) - read,
        "cache_misses": read,
    }


def _curves(name: str, places: _Places, frames: dict, side_of: list) -> list[dict]:
    """The share series of each place × side claimed on the primary rung (for the figure)."""
    out = []
    for pid, ladder in places.ladders.items():
        prim = ladder[0]
        claimed = {x for q, x in zip(places.of_claim, side_of, strict=True) if q == pid}
        for side in sorted(frames):
            if side not in claimed:
                continue
            col = frames[side][_key(prim)]
            out.append(
                {
                    "source": str(name),
                    "place": places.shown[pid],
                    "side": side,
                    "rung": prim.kind,
                    "approximate": prim.approximate,
                    "dates": [d.date().isoformat() for d in col.index],
                    "shares": [None if math.isnan(v) else float(v) for v in col.to_numpy()],
                }
            )
    return out


def _claim_rows(c, side: str, name: str, places: _Places, pid, cols: list, note, rule: tuple) -> list[dict]:
    """One row per rung of the claim's ladder on one source (``cols``: each rung's share
    series, None where the source draws no such side, said by ``note``)."""
    group = []
    for i, (fp, col) in enumerate(zip(places.ladders[pid], cols, strict=True)):
        r = _track_one(c, col, *rule)
        if note is not None:
            r.update(status="side_not_drawn", note=note)
        r["side"] = side
        r.update(
            source=str(name),
            place=places.shown[pid],
            rung=fp.kind,
            primary=i == 0,
            approximate=fp.approximate,
        )
        group.append(r)
    differ = len({(g["status"], g["first_shown"]) for g in group}) > 1
    for g in group:
        g["rungs_differ"] = differ
    return group


def _side_frames(results, fp_list, sides, policy, source) -> dict:

    return {side: assemble_shares(results, fp_list, side, policy, source).frame for side in sides}


def _shows(kind: str, share: float, claimed, threshold: float, tolerance: float) -> bool:
    if share is None or math.isnan(share):
        return False
    eps = 1e-12
    if kind == "captured":
        return share >= threshold - eps
    if kind == "not_captured":
        return share < threshold - eps
    return share >= claimed - tolerance - eps  # share


def _track_one(c, col, threshold: float, tolerance: float, max_gap_days: int) -> dict:
    """Status, dates and lead of one claim on one share series (index: release dates)."""
    dates = [] if col is None else [d.date() for d in col.index]
    shares = [] if col is None else [float(v) for v in col.to_numpy()]
    r = {
        "row": c.row,
        "who": c.who,
        "claimant": c.claimant,
        "date": c.date.isoformat(),
        "place": str(getattr(c.place, "name", c.place)),
        "side": c.side,
        "kind": c.kind,
        "claimed": c.value,
        "release": None,
        "gap_days": None,
        "share": None,
        "status": None,
        "first_shown": None,
        "shown_after": None,
        "lead_days": None,
        "censored": False,
        "overturned": None,
        "checked_until": dates[-1].isoformat() if dates else None,
        "note": "",
    }
    k = bisect.bisect_right(dates, c.date) - 1  # the release on or before the claim
    notes = []
    if k >= 0:
        gap = (c.date - dates[k]).days
        r.update(release=dates[k].isoformat(), gap_days=gap)
        r["share"] = None if math.isnan(shares[k]) else shares[k]
        if gap > max_gap_days:
            notes.append(f"the release of the claim's date is {gap} d old")
    if col is None:
        return r
    if c.kind not in _TRACKED:  # encircled, not_encircled
        r["status"] = "not_applicable"
        r["note"] = "; ".join(
            [*notes, "encirclement is not tracked by share (check it with mapdiff encircle on one release)"]
        )
        return r
    if k < 0:
        r["status"] = "before_archive"
        notes.append(f"the archive starts {dates[0].isoformat()}, after the claim" if dates else "no release")
        r["note"] = "; ".join(notes)
        return r
    if math.isnan(shares[k]):
        r["status"] = "not_covered"
        notes.append("the release of the claim's date does not cover the place")
        r["note"] = "; ".join(notes)
        return r
    shows = [_shows(c.kind, s, c.value, threshold, tolerance) for s in shares]
    if shows[k]:
        j = k
        while j > 0 and shows[j - 1]:
            j -= 1
        r.update(status="already_shown", first_shown=dates[j].isoformat(), lead_days=(dates[j] - c.date).days)
        r["shown_after"] = dates[j - 1].isoformat() if j > 0 else None
        r["censored"] = j == 0
        start = k + 1
    else:
        nxt = next((j for j in range(k + 1, len(dates)) if shows[j]), None)
        if k == len(dates) - 1:
            r["status"] = "after_archive"
            notes.append(f"the archive ends {dates[-1].isoformat()}")
            start = None
        elif nxt is None:
            r["status"] = "never"
            start = None
        else:
            r.update(
                status="confirmed",
                first_shown=dates[nxt].isoformat(),
                shown_after=dates[nxt - 1].isoformat(),
                lead_days=(dates[nxt] - c.date).days,
            )
            start = nxt + 1
    if c.kind == "not_captured" and r["status"] in ("already_shown", "confirmed"):
        # the denial holds until the map first shows the capture
        over = next((j for j in range(start, len(dates)) if not shows[j] and not math.isnan(shares[j])), None)
        r["overturned"] = None if over is None else dates[over].isoformat()
    r["note"] = "; ".join(notes)
    return r
