"""first_crossing, crossings and reversals over arrays (every place at once) give what the
place-by-place loops give: the same frames (dtypes too) and the same rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mapdiff.history.lag import crossings, first_crossing, reversals


def _loop_first_crossing(frame, t):
    """THE REFERENCE: each place's series without its gaps, scanned in Python."""
    rows = []
    for place in frame.columns:
        s = frame[place].dropna()
        hit = np.flatnonzero(s.to_numpy() >= t - 1e-12)
        k = int(hit[0]) if hit.size else None
        rows.append(
            {
                "place": place,
                "threshold": t,
                "date": s.index[k] if k is not None else pd.NaT,
                "previous_date": s.index[k - 1] if k else pd.NaT,
                "share_before": float(s.iloc[k - 1]) if k else np.nan,
                "share_at": float(s.iloc[k]) if k is not None else np.nan,
            }
        )
    return pd.DataFrame(rows).set_index("place")


def _loop_crossings(frame, thresholds):
    out = []
    for t in thresholds:
        fc = _loop_first_crossing(frame, t)
        for place, r in fc.iterrows():
            hit, prev = r["date"], r["previous_date"]
            out.append(
                {
                    "place": place,
                    "threshold": float(t),
                    "previous_date": None if pd.isna(prev) else prev.date().isoformat(),
                    "date": None if pd.isna(hit) else hit.date().isoformat(),
                    "gap_days": None if pd.isna(prev) or pd.isna(hit) else int((hit - prev).days),
                    "share_before": None if np.isnan(r["share_before"]) else float(r["share_before"]),
                    "share_at": None if np.isnan(r["share_at"]) else float(r["share_at"]),
                    "already": bool(not pd.isna(hit) and pd.isna(prev)),
                }
            )
    return out


def _loop_reversals(frame, min_drop):
    out = []
    for place in frame.columns:
        s = frame[place].dropna()
        v = s.to_numpy(dtype=float)
        for k in np.flatnonzero(v[:-1] - v[1:] >= float(min_drop) - 1e-12):
            out.append(
                {
                    "place": place,
                    "from_date": s.index[k].date().isoformat(),
                    "to_date": s.index[k + 1].date().isoformat(),
                    "share_from": float(v[k]),
                    "share_to": float(v[k + 1]),
                    "drop": float(v[k] - v[k + 1]),
                }
            )
    return out


def _frame(seed, unit="ns", start="2025-01-01", freq="D"):
    rng = np.random.default_rng(seed)
    v = np.cumsum(rng.normal(0.01, 0.2, (80, 24)), axis=0).clip(0, 1)
    v[:, ::2][rng.random((80, 12)) < 0.2] = np.nan  # gaps in every other place
    v[:, 3] = np.nan  # never covered
    v[:4, 5] = np.nan  # covered late
    v[:, 7] = 0.0  # never crosses
    v[:, 9] = 1.0  # crossed at the first release
    days = pd.DatetimeIndex(pd.date_range(start, periods=80, freq=freq), name="date").as_unit(unit)
    return pd.DataFrame(v, index=days, columns=[f"P{i}" for i in range(24)])


@pytest.mark.parametrize("seed, unit", [(0, "ns"), (1, "us"), (2, "s"), (3, "ns")])
def test_array_paths_match_the_loops(seed, unit):
    f = _frame(seed, unit)
    for t in (0.5, 0.9, 0.0, 1.0):
        got = first_crossing(f, threshold=t)
        pd.testing.assert_frame_equal(got, _loop_first_crossing(f, t), check_exact=True)
    assert crossings(f, (0.1, 0.5, 0.9)) == _loop_crossings(f, (0.1, 0.5, 0.9))
    for drop in (0.05, 0.2, 0.5):
        got = reversals(f, drop)
        assert got == _loop_reversals(f, drop)
        assert all(type(v) is float for r in got for k, v in r.items() if k.startswith(("share", "drop")))


def test_no_place_ever_crosses_and_times_of_day():
    f = _frame(4).clip(upper=0.3)
    got = first_crossing(f, threshold=0.5)
    pd.testing.assert_frame_equal(got, _loop_first_crossing(f, 0.5), check_exact=True)
    g = _frame(5, start="1969-12-20 07:00", freq="13h")  # dates before 1970, hours in them
    assert crossings(g, (0.5,)) == _loop_crossings(g, (0.5,))
    assert reversals(g, 0.1) == _loop_reversals(g, 0.1)


def _share_frame(seed, n_dates=60, n_places=40):
    rng = np.random.default_rng(seed)
    v = np.cumsum(rng.normal(0.02, 0.15, size=(n_dates, n_places)), axis=0).clip(0, 1)
    v[rng.random(v.shape) < 0.15] = np.nan
    v[:, 0] = np.nan  # never covered
    v[:5, 1] = np.nan  # covered late, above the threshold at once
    v[5:, 1] = 0.95
    v[:, 2] = 0.1  # never crosses
    days = pd.date_range("2025-01-01", periods=n_dates, freq="2D")
    return pd.DataFrame(
        v, index=pd.DatetimeIndex(days, name="date"), columns=[f"P{i}" for i in range(n_places)]
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_crossings_and_reversals_match_the_loops(seed):
    f = _share_frame(seed)
    for t in (0.5, 0.9, 0.0, 1.0):
        pd.testing.assert_frame_equal(
            first_crossing(f, threshold=t), _loop_first_crossing(f, t), check_exact=True
        )
    for drop in (0.2, 0.05):
        assert reversals(f, drop) == _loop_reversals(f, drop)
    got = crossings(f, (0.5, 0.9))
    assert len(got) == 2 * f.shape[1]
    for c in got:  # each row as the first crossing says, in words
        r = _loop_first_crossing(f, c["threshold"]).loc[c["place"]]
        assert c["date"] == (None if pd.isna(r["date"]) else r["date"].date().isoformat())
        assert c["previous_date"] == (
            None if pd.isna(r["previous_date"]) else r["previous_date"].date().isoformat()
        )
        assert c["already"] == (not pd.isna(r["date"]) and pd.isna(r["previous_date"]))
