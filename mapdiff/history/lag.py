"""When towns crossed a share, and how many days one source trails another.

:func:`first_crossing` finds the first release at which each place's share reached a
threshold; :func:`source_lag` compares two sources' share series, from crossing dates
and from the shift that best aligns the two series, and keeps the evidence.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._json import SCHEMA_VERSION
from ..claims.check import CAPTURED_THRESHOLD as CAPTURED
from ..errors import ArgumentError

__all__ = ["SourceLag", "crossings", "first_crossing", "reversals", "source_lag"]

#: A fall of at least this share between consecutive releases is listed as a reversal.
REVERSAL_DROP = 0.2


def first_crossing(frame, *, threshold=0.5) -> pd.DataFrame:
    """First date each column of a date-indexed share table reached ``threshold``.

    See :meth:`ShareSeries.first_crossing`.

    Examples
    --------
    >>> import mapdiff
    >>> s = mapdiff.Releases(mapdiff.sample_paths(), cache=False)
    >>> sh = s.shares(["Pokrovsk"], "RU", cache=False, workers=1, quiet=True)
    >>> r = mapdiff.first_crossing(sh.frame, threshold=0.5).loc["Pokrovsk"]
    >>> str(r.date.date()), str(r.previous_date.date()), round(float(r.share_at), 2)
    ('2025-12-15', '2025-11-27', 0.62)
    """
    frame = getattr(frame, "frame", frame)
    t = CAPTURED if threshold == "captured" else float(threshold)
    if not 0.0 <= t <= 1.0:
        raise ArgumentError(f"threshold {threshold!r} is not a share in 0..1 (or 'captured')")
    values = frame.to_numpy(dtype=float)
    valid = ~np.isnan(values)
    # per place (column): the first release at or above t, and the last release with a
    # share before it (the place's series without its missing values, as dropna() gives)
    hits = valid & (values >= t - 1e-12)
    any_hit = hits.any(axis=0)
    first = hits.argmax(axis=0)
    index = frame.index
    if isinstance(index, pd.DatetimeIndex) and values.shape[1]:
        # every place at once (a date index): the same table as the rows below give. The
        # last valid row before the first hit: the row before it, but in a place with gaps
        prev = np.where(any_hit & (first > 0), first - 1, -1)
        gappy = np.flatnonzero(any_hit & ~valid.all(axis=0))
        if gappy.size:
            before = _last_valid(valid[:, gappy])
            k = first[gappy]
            prev[gappy] = np.where(k > 0, before[np.maximum(k - 1, 0), np.arange(gappy.size)], -1)
        has_prev = prev >= 0
        cols = np.arange(values.shape[1])

        def dates(rows, mask):  # a column of no date at all is typed as the loop's NaTs are
            return index.take(rows).where(mask) if mask.any() else [pd.NaT] * len(mask)

        return pd.DataFrame(
            {
                "threshold": np.full(values.shape[1], t),
                "date": dates(first, any_hit),
                "previous_date": dates(np.maximum(prev, 0), has_prev),
                "share_before": np.where(has_prev, values[np.maximum(prev, 0), cols], np.nan),
                "share_at": np.where(any_hit, values[first, cols], np.nan),
            },
            index=pd.Index(frame.columns.tolist(), name="place"),
        )
    before = _last_valid(valid)
    rows = []
    for j, place in enumerate(frame.columns):
        if any_hit[j]:
            k = int(first[j])
            prev = int(before[k - 1, j]) if k else -1
            rows.append(
                {
                    "place": place,
                    "threshold": t,
                    "date": index[k],
                    "previous_date": index[prev] if prev >= 0 else pd.NaT,
                    "share_before": float(values[prev, j]) if prev >= 0 else np.nan,
                    "share_at": float(values[k, j]),
                }
            )
        else:
            rows.append(
                {
                    "place": place,
                    "threshold": t,
                    "date": pd.NaT,
                    "previous_date": pd.NaT,
                    "share_before": np.nan,
                    "share_at": np.nan,
                }
            )
    return pd.DataFrame(rows).set_index("place")


def _last_valid(valid):
    """The last valid row at or before each row (-1 before the first), per column."""
    seen = np.where(valid, np.arange(len(valid))[:, None], -1)
    return np.maximum.accumulate(seen, axis=0)


def crossings(frame, thresholds=(0.5, 0.9)) -> list[dict]:
    """Each place's first crossing of each threshold, as a range: the last release below it
    and the first at or above it, with the gap in days between them.

    A crossing found after a long gap between releases happened somewhere in that gap;
    the range says so, where a single date would claim a precision the releases lack.

    Examples
    --------
    >>> import pandas as pd
    >>> days = pd.to_datetime(["2025-11-01", "2025-11-05", "2025-11-20"])
    >>> f = pd.DataFrame({"X": [0.4, 0.45, 0.7]}, index=days)
    >>> c = crossings(f, [0.5])[0]
    >>> c["previous_date"], c["date"], c["gap_days"]
    ('2025-11-05', '2025-11-20', 15)
    """
    frame = getattr(frame, "frame", frame)
    out = []
    for t in thresholds:
        fc = first_crossing(frame, threshold=t)
        if _naive_dates(fc["date"]) and _naive_dates(fc["previous_date"]):
            out += _crossing_rows(fc)
            continue
        columns = (
            fc.index,
            fc["threshold"],
            fc["date"],
            fc["previous_date"],
            fc["share_before"],
            fc["share_at"],
        )
        for place, th, hit, prev, before, at in zip(*(c.tolist() for c in columns), strict=True):
            out.append(
                {
                    "place": place,
                    "threshold": float(th),
                    "previous_date": None if pd.isna(prev) else prev.date().isoformat(),
                    "date": None if pd.isna(hit) else hit.date().isoformat(),
                    "gap_days": None if pd.isna(prev) or pd.isna(hit) else int((hit - prev).days),
                    "share_before": None if np.isnan(before) else float(before),
                    "share_at": None if np.isnan(at) else float(at),
                    # crossed already at the first release: when is not known from these releases
                    "already": bool(not pd.isna(hit) and pd.isna(prev)),
                }
            )
    return out


def _naive_dates(column) -> bool:
    """A column of dates without a time zone (numpy ``datetime64``)."""
    return isinstance(column.dtype, np.dtype) and column.dtype.kind == "M"


def _crossing_rows(fc) -> list[dict]:
    """:func:`crossings`' rows of one threshold from its :func:`first_crossing` table, the
    dates written and the gaps counted for every place at once (tz-naive dates)."""
    hit, prev = fc["date"].to_numpy(), fc["previous_date"].to_numpy()
    no_hit, no_prev = np.isnat(hit), np.isnat(prev)
    both = ~no_hit & ~no_prev
    day = np.timedelta64(1, "D")
    gap = (np.where(both, hit - prev, np.timedelta64(0)) // day).tolist()
    hit_iso = np.datetime_as_string(hit, unit="D").tolist()
    prev_iso = np.datetime_as_string(prev, unit="D").tolist()
    before, at = fc["share_before"].to_numpy(dtype=float), fc["share_at"].to_numpy(dtype=float)
    return [
        {
            "place": place,
            "threshold": th,
            "previous_date": None if np_ else p,
            "date": None if nh else h,
            "gap_days": g if b else None,
            "share_before": None if sb != sb else sb,
            "share_at": None if sa != sa else sa,
            # crossed already at the first release: when is not known from these releases
            "already": not nh and np_,
        }
        for place, th, h, p, nh, np_, b, g, sb, sa in zip(
            fc.index.tolist(),
            fc["threshold"].to_numpy(dtype=float).tolist(),
            hit_iso,
            prev_iso,
            no_hit.tolist(),
            no_prev.tolist(),
            both.tolist(),
            gap,
            before.tolist(),
            at.tolist(),
            strict=True,
        )
    ]


def reversals(frame, min_drop: float = REVERSAL_DROP) -> list[dict]:
    """Falls of at least ``min_drop`` in a place's share between consecutive releases.

    A map taking back what it had given (UA Control Map's Pokrovsk 93% -> 50% between 23 and
    24 Nov 2025) is news in itself, and a crossing date before it is not the last word.

    Examples
    --------
    >>> import pandas as pd
    >>> days = pd.to_datetime(["2025-11-22", "2025-11-23", "2025-11-24"])
    >>> f = pd.DataFrame({"X": [0.5, 0.93, 0.5]}, index=days)
    >>> r = reversals(f)[0]
    >>> r["from_date"], r["to_date"], round(r["drop"], 2)
    ('2025-11-23', '2025-11-24', 0.43)
    """
    frame = getattr(frame, "frame", frame)
    if not 0.0 < float(min_drop) <= 1.0:
        raise ArgumentError(f"min_drop {min_drop!r} is not a share in (0, 1]")
    out = []
    values = frame.to_numpy(dtype=float)
    if isinstance(frame.index, pd.DatetimeIndex) and frame.index.tz is None and values.size:
        return _reversal_rows(frame.index, frame.columns.tolist(), values, float(min_drop) - 1e-12)
    for j, place in enumerate(frame.columns):
        rows = np.flatnonzero(~np.isnan(values[:, j]))  # the place's series without its gaps
        v = values[rows, j]
        for k in np.flatnonzero(v[:-1] - v[1:] >= float(min_drop) - 1e-12):
            out.append(
                {
                    "place": place,
                    "from_date": frame.index[rows[k]].date().isoformat(),
                    "to_date": frame.index[rows[k + 1]].date().isoformat(),
                    "share_from": float(v[k]),
                    "share_to": float(v[k + 1]),
                    "drop": float(v[k] - v[k + 1]),
                }
            )
    return out


def _reversal_rows(index, places: list, values, least: float) -> list[dict]:
    """:func:`reversals`' rows, in place then date order, from a tz-naive date index: a
    place with no missing share compares each release with the one before, all such places
    at once; a place with gaps compares its shares without them, one place at a time."""
    gappy = np.isnan(values).any(axis=0)
    fell = values[:-1] - values[1:] >= least  # False where either share is missing
    fell[:, gappy] = False
    j, k = np.nonzero(fell.T)  # by place, then by date
    found = list(zip(j.tolist(), k.tolist(), (k + 1).tolist(), strict=True))
    for c in np.flatnonzero(gappy).tolist():
        rows = np.flatnonzero(~np.isnan(values[:, c]))  # the place's series without its gaps
        v = values[rows, c]
        hit = np.flatnonzero(v[:-1] - v[1:] >= least)
        found += zip([c] * len(hit), rows[hit].tolist(), rows[hit + 1].tolist(), strict=True)
    found.sort()
    iso = np.datetime_as_string(index.to_numpy(), unit="D").tolist()
    return [
        {
            "place": places[c],
            "from_date": iso[a],
            "to_date": iso[b],
            "share_from": float(values[a, c]),
            "share_to": float(values[b, c]),
            "drop": float(values[a, c] - values[b, c]),
        }
        for c, a, b in found
    ]


# ======================================================================= source lag
@dataclass(frozen=True, eq=False)
class SourceLag:
    """How many days ``follower`` trails ``leader``, per place, with the evidence.

    Attributes
    ----------
    table : DataFrame
        Per place: ``crossing_lag_days@T`` for each threshold T (follower's first crossing
        date minus the leader's), ``best_shift_days`` (the shift of the follower's daily
        share series that best matches the leader's: least mean squared difference),
        ``mse_at_best``, ``mse_at_zero``, ``at_search_limit`` (the best shift is the largest
        tried: widen ``max_shift_days``), ``window_days``.
    crossings : DataFrame
        Per (place, threshold, series): the crossing date and the release before it.
    curves : DataFrame
        Mean squared difference for every shift tried (rows: shift in days; columns: places).
    leader, follower : str
        Source names.

    Examples
    --------
    >>> import mapdiff, numpy as np, pandas as pd
    >>> d = pd.date_range("2025-01-01", periods=60, freq="D")
    >>> a = pd.DataFrame({"X": np.clip((np.arange(60) - 20) / 20, 0, 1)}, index=d)
    >>> lag = mapdiff.source_lag(a, a.shift(5).bfill())
    >>> row = lag.table.loc["X"]
    >>> type(lag).__name__, int(row["crossing_lag_days@0.5"]), int(row["best_shift_days"])
    ('SourceLag', 5, 5)
    """

    table: pd.DataFrame
    crossings: pd.DataFrame
    curves: pd.DataFrame
    leader: str
    follower: str
    window: tuple

    def to_frame(self) -> pd.DataFrame:
        """The per-place lag table (a copy)."""
        return self.table.copy()

    def summary(self) -> str:
        """Per place: how many days the follower's crossings trail the leader's, and the best shift."""
        lines = [f"{self.follower} behind {self.leader} ({self.window[0]}..{self.window[1]}):"]
        lag_cols = [c for c in self.table.columns if str(c).startswith("crossing_lag_days@")]
        for place, row in self.table.iterrows():
            parts = [
                f"{str(c).split('@')[1]}: {'n/a' if pd.isna(row[c]) else f'{row[c]:+.0f} days'}"
                for c in lag_cols
            ]
            best = row.get("best_shift_days")
            shift = "n/a" if best is None or pd.isna(best) else f"{best:+.0f} days"
            edge = " (at the search limit)" if bool(row.get("at_search_limit", False)) else ""
            lines.append(f"  {place}: crossings {', '.join(parts) or 'none'}; best shift {shift}{edge}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-ready dict with the per-place lags and the crossing evidence."""

        def clean(v):
            if isinstance(v, pd.Timestamp):
                return v.date().isoformat()
            if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
                return None
            return float(v) if isinstance(v, np.floating | float) else v

        return {
            "schema_version": SCHEMA_VERSION,
            "type": "source_lag",
            "leader": self.leader,
            "follower": self.follower,
            "window": [d.isoformat() for d in self.window],
            "places": {p: {k: clean(v) for k, v in row.items()} for p, row in self.table.iterrows()},
            "crossings": [
                {k: clean(v) for k, v in r.items()} for r in self.crossings.reset_index().to_dict("records")
            ],
        }

    def plot(self, ax=None, **kwargs):
        """Mean squared difference against shift per place (:func:`mapdiff.draw.plot.plot_lag`)."""
        from ..draw.plot import plot_lag

        return plot_lag(self, ax=ax, **kwargs)

    def _repr_html_(self) -> str:
        return (
            f"<b>SourceLag</b> {html.escape(self.follower)} behind {html.escape(self.leader)} "
            f"({self.window[0]}..{self.window[1]})" + self.table.to_html(float_format="%.4g")
        )


def _daily(frame: pd.DataFrame, days: pd.DatetimeIndex) -> pd.DataFrame:
    """Step function of a release table on ``days``; NaN before the first and after the last release."""
    f = frame.sort_index()
    out = f.reindex(f.index.union(days)).ffill().loc[days]
    out[(days < f.index.min()) | (days > f.index.max())] = np.nan
    return out


def source_lag(
    leader,
    follower,
    *,
    thresholds=(0.5,),
    max_shift_days: int = 30,
    start=None,
    end=None,
    min_overlap_days: int = 7,
) -> SourceLag:
    """How many days one source trails another, per place.

    Two estimates with their evidence: (1) the difference of first-crossing dates for
    each threshold (only where both crossings were observed, i.e. a release below the
    threshold precedes it); (2) the shift ``s`` (days) minimising the mean squared
    difference between ``leader(t)`` for ``t`` in the window and ``follower(t + s)``, both
    as daily step functions (a release holds until the next). Positive means the
    follower trails.

    Parameters
    ----------
    leader, follower : ShareSeries or date-indexed DataFrame
        Share series of the same places (matched by column name).
    thresholds : sequence of float
    max_shift_days : int
    start, end : date, optional
        Window of the leader compared (default: where both series have data); the
        follower is read up to ``max_shift_days`` beyond it.
    min_overlap_days : int
        Shifts leaving fewer overlapping days are not considered.

    Returns
    -------
    SourceLag

    Examples
    --------
    >>> import pandas as pd, numpy as np
    >>> d = pd.date_range("2025-01-01", periods=60, freq="D")
    >>> a = pd.DataFrame({"X": np.clip((np.arange(60) - 20) / 20, 0, 1)}, index=d)
    >>> b = a.shift(5).bfill()
    >>> int(source_lag(a, b).table.loc["X", "best_shift_days"])
    5
    """
    fa, fb = getattr(leader, "frame", leader), getattr(follower, "frame", follower)
    places = [p for p in fa.columns if p in fb.columns]
    if not places:
        raise ArgumentError("the two series share no place; measure the same places in both")
    lo = max(fa.index.min(), fb.index.min())
    hi = min(fa.index.max(), fb.index.max())
    if start is not None:
        lo = max(lo, pd.Timestamp(start))
    if end is not None:
        hi = min(hi, pd.Timestamp(end))
    if hi <= lo:
        raise ArgumentError(
            "the series do not overlap in time "
            f"({fa.index.min().date()}..{fa.index.max().date()}"
            f" vs {fb.index.min().date()}..{fb.index.max().date()})"
        )
    days = pd.date_range(lo, hi, freq="D")
    m = int(max_shift_days)
    wide = pd.date_range(lo - pd.Timedelta(days=m), hi + pd.Timedelta(days=m), freq="D")
    # a release holds until the next one: daily step functions (the last release before the
    # window counts for its first days); the follower is read up to max_shift_days beyond the
    # window on both sides, and is unknown before its first and after its last release
    da = _daily(fa[places], days)
    db = _daily(fb[places], wide)
    wa = fa.loc[(fa.index >= lo) & (fa.index <= hi), places]
    wb = fb.loc[(fb.index >= wide[0]) & (fb.index <= wide[-1]), places]
    cross_rows, table = [], {}
    shifts = np.arange(-m, m + 1)
    curves = pd.DataFrame(index=pd.Index(shifts, name="shift_days"), columns=places, dtype=float)
    for p in places:
        row = _crossing_lags(p, wa, wb, thresholds, cross_rows)
        a, b = da[p].to_numpy(float), db[p].to_numpy(float)
        n = len(a)
        mse = _shift_curve(a, b, shifts, m, min_overlap_days)
        curves[p] = mse
        best, best_mse = _best_shift(mse, shifts)
        row["best_shift_days"] = best
        row["mse_at_best"] = best_mse
        row["mse_at_zero"] = float(mse[m])
        row["at_search_limit"] = bool(not np.isnan(best) and abs(best) == m)
        row["window_days"] = int(n)
        table[p] = row
    tab = pd.DataFrame.from_dict(table, orient="index")
    tab.index.name = "place"
    cross = pd.DataFrame(cross_rows).set_index(["place", "threshold", "series"])
    return SourceLag(
        tab,
        cross,
        curves,
        getattr(leader, "source", "leader"),
        getattr(follower, "source", "follower"),
        (lo.date(), hi.date()),
    )


def _crossing_lags(p, wa: pd.DataFrame, wb: pd.DataFrame, thresholds, cross_rows: list) -> dict:
    """Follower's first crossing date minus the leader's for each threshold (the evidence
    appended to ``cross_rows``)."""
    row = {}
    for t in thresholds:
        ca = first_crossing(wa[[p]], threshold=t).iloc[0]
        cb = first_crossing(wb[[p]], threshold=t).iloc[0]
        for who, c in (("leader", ca), ("follower", cb)):
            cross_rows.append(
                {
                    "place": p,
                    "threshold": t,
                    "series": who,
                    "date": c["date"],
                    "previous_date": c["previous_date"],
                    "observed": bool(pd.notna(c["previous_date"])),
                }
            )
        # a crossing is observed only with a release below the threshold before it
        seen = pd.notna(ca["previous_date"]) and pd.notna(cb["previous_date"])
        row[f"crossing_lag_days@{t:g}"] = (cb["date"] - ca["date"]).days if seen else np.nan
    return row


def _shift_curve(a: np.ndarray, b: np.ndarray, shifts, m: int, min_overlap_days: int) -> np.ndarray:
    """Mean squared difference between leader ``a`` and follower ``b`` (read from ``m`` days
    before ``a`` begins) shifted by each of ``shifts``; NaN where too few days overlap."""
    n = len(a)
    mse = np.full(len(shifts), np.nan)
    for k, sh in enumerate(shifts):
        y = b[m + sh : m + sh + n]  # follower at t + shift
        ok = ~(np.isnan(a) | np.isnan(y))
        if ok.sum() >= min_overlap_days:
            mse[k] = float(np.mean((a[ok] - y[ok]) ** 2))
    return mse


def _best_shift(mse: np.ndarray, shifts: np.ndarray) -> tuple:
    """(the shift of least mean squared difference, the smallest such in size; its value); NaN
    for the shift when the curve is flat or empty."""
    if np.all(np.isnan(mse)) or np.nanmax(mse) - np.nanmin(mse) < 1e-12:
        return np.nan, (np.nanmin(mse) if not np.all(np.isnan(mse)) else np.nan)
    cand = np.flatnonzero(mse <= np.nanmin(mse) + 1e-12)
    k = cand[np.argmin(np.abs(shifts[cand]))]
    return int(shifts[k]), float(mse[k])
