"""mapdiff.history.lag: first crossings of a share threshold and the lead/lag between two sources."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import shared_file

import mapdiff
from mapdiff import Releases, source_lag
from mapdiff.history.lag import first_crossing
from mapdiff.history.releases import CAPTURED, ShareSeries
from mapdiff.places.footprints import footprint

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MAPDIFF_CACHE_DIR", str(tmp_path / "cache"))


# ------------------------------------------------------------------ first crossing
def _frame(values: dict, dates) -> pd.DataFrame:
    return pd.DataFrame(values, index=pd.DatetimeIndex(pd.to_datetime(dates), name="date"))


def test_first_crossing_known_answer():
    dates = ["2025-01-01", "2025-01-03", "2025-01-07", "2025-01-08", "2025-01-20"]
    f = _frame(
        {"A": [0.0, 0.3, 0.55, 0.45, 0.995], "B": [0.1, 0.2, 0.2, 0.2, 0.2], "C": [0.6, 0.9, 0.9, 1.0, 1.0]},
        dates,
    )
    half = first_crossing(f, threshold=0.5)
    assert half.loc["A", "date"] == pd.Timestamp("2025-01-07")
    assert half.loc["A", "previous_date"] == pd.Timestamp("2025-01-03")
    assert half.loc["A", "share_before"] == 0.3
    assert pd.isna(half.loc["B", "date"])
    assert half.loc["C", "date"] == pd.Timestamp("2025-01-01") and pd.isna(half.loc["C", "previous_date"])
    assert first_crossing(f, threshold=0.9).loc["C", "date"] == pd.Timestamp("2025-01-03")
    cap = ShareSeries(f, "RU", "nobody", "demo").first_crossing(threshold="captured")
    assert cap.loc["A", "threshold"] == CAPTURED
    assert cap.loc["A", "date"] == pd.Timestamp("2025-01-20")
    assert cap.loc["C", "date"] == pd.Timestamp("2025-01-08")
    with pytest.raises(mapdiff.errors.ArgumentError, match="not a share"):
        first_crossing(f, threshold=1.5)


@pytest.mark.realdata
def test_first_crossing_real_pokrovsk():
    days = ["20251201", "20251202", "20251203", "20251204", "20251205"]
    s = Releases([shared_file(f"deepstate/deepstatemap_data_{d}.geojson") for d in days])
    fc = s.shares(["Pokrovsk"], "RU", workers=1, quiet=True).first_crossing(threshold=0.5)
    # independently: geodesic share of the town limits under the raw files' polygons
    import pyproj

    geod = pyproj.Geod(ellps="WGS84")
    town = footprint("Pokrovsk").geometry

    def geodesic(g):
        return abs(geod.geometry_area_perimeter(shapely.orient_polygons(g))[0]) if not g.is_empty else 0.0

    shares = []
    for d in days:
        raw = json.loads(shared_file(f"deepstate/deepstatemap_data_{d}.geojson").read_text())
        polys = [shapely.geometry.shape(f["geometry"]) for f in raw["features"]]
        held = shapely.union_all(shapely.make_valid(np.asarray(polys, dtype=object)))
        shares.append(geodesic(shapely.intersection(held, town)) / geodesic(town))
    first = next(d for d, v in zip(days, shares, strict=True) if v >= 0.5)
    assert shares[0] < 0.5 <= shares[-1]  # the crossing lies inside the window
    assert fc.loc["Pokrovsk", "date"] == pd.Timestamp(first)


# ------------------------------------------------------------------ lag
def test_lag_on_shifted_series_known_answer():
    days = pd.date_range("2025-03-01", periods=90, freq="D")
    ramp = np.clip((np.arange(90) - 30) / 30.0, 0, 1)
    lead = _frame({"X": ramp, "Y": np.clip((np.arange(90) - 10) / 50.0, 0, 1)}, days)
    follow = lead.shift(6).bfill()
    weekly = follow.iloc[::7]  # the follower publishes weekly
    lag = source_lag(lead, weekly, thresholds=(0.5, 0.9), max_shift_days=20)
    t = lag.table
    assert t.loc["X", "best_shift_days"] == pytest.approx(6, abs=3)
    exact = source_lag(lead, follow, thresholds=(0.5,), max_shift_days=20).table
    assert exact.loc["X", "best_shift_days"] == 6 and exact.loc["Y", "best_shift_days"] == 6
    assert exact.loc["X", "crossing_lag_days@0.5"] == 6
    assert exact.loc["X", "mse_at_best"] < exact.loc["X", "mse_at_zero"]
    ahead = source_lag(follow, lead, max_shift_days=20).table
    assert ahead.loc["X", "best_shift_days"] == -6
    d = lag.to_dict()
    assert d["schema_version"] == 1 and d["places"]["X"]["crossing_lag_days@0.5"] is not None
    json.dumps(d)
    assert len(lag.curves) == 41
    assert lag.plot().get_xlabel().startswith("days")
    assert "SourceLag" in lag._repr_html_()


def test_lag_flat_series_has_no_alignment():
    days = pd.date_range("2025-03-01", periods=30, freq="D")
    a = _frame({"X": np.full(30, 0.4)}, days)
    t = source_lag(a, a).table
    assert np.isnan(t.loc["X", "best_shift_days"])
    with pytest.raises(mapdiff.errors.ArgumentError, match="share no place"):
        source_lag(a, a.rename(columns={"X": "Z"}))
