"""Tests of mapdiff.series: Series, shares, first crossings, source lag, changes, backends."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import matplotlib
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from conftest import GREY, RU, UA, shared_file
from hypothesis import given, settings
from hypothesis import strategies as st

import mapdiff
from mapdiff import Label, Series, changes, normalise, source_lag
from mapdiff.errors import FormatError, MapdiffError, UnknownPlaceError
from mapdiff.lag import first_crossing
from mapdiff.places.footprints import footprint
from mapdiff.series import CAPTURED, ShareSeries, measure_footprints

matplotlib.use("Agg")

_GEOD = pyproj.Geod(ellps="WGS84")


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MAPDIFF_CACHE_DIR", str(tmp_path / "cache"))


def geodesic(geom) -> float:
    """Independent yardstick: geodesic area (km²) on WGS84 of a lon/lat geometry."""
    if geom.is_empty:
        return 0.0
    return abs(_GEOD.geometry_area_perimeter(shapely.orient_polygons(geom))[0]) / 1e6


# ------------------------------------------------------------------ Series
def test_series_from_samples_is_dated_and_ordered():
    s = Series(mapdiff.sample_paths())
    assert len(s) == 5
    assert s.source == "deepstate"
    assert s.dates == sorted(s.dates)
    assert s.dates[0] == dt.date(2025, 10, 1) and s.dates[-1] == dt.date(2025, 12, 15)
    assert s[0].as_of == s.dates[0]
    assert [m.as_of for m in s] == s.dates


def test_series_from_folder_glob_and_maps(tmp_path):
    for p in mapdiff.sample_paths()[:3]:
        shutil.copy(p, tmp_path / p.name)
    assert len(Series(tmp_path)) == 3
    assert len(Series(str(tmp_path / "*.geojson"))) == 3
    maps = [mapdiff.read_map(p) for p in mapdiff.sample_paths()[:2]]
    s = Series(list(reversed(maps)))
    assert s.dates == [m.as_of for m in maps]
    assert len(s.between("2025-10-15", None)) == 1
    assert Series(mapdiff.sample_paths())[1:3].dates == [dt.date(2025, 11, 1), dt.date(2025, 11, 20)]


def test_series_drops_duplicate_dates(tmp_path):
    src = mapdiff.sample_path("2025-11-27")
    shutil.copy(src, tmp_path / "deepstatemap_data_20251127_a.geojson")
    shutil.copy(src, tmp_path / "deepstatemap_data_20251127_b.geojson")
    s = Series(tmp_path)
    assert len(s) == 1
    assert s.duplicates == ("deepstatemap_data_20251127_a.geojson",)


def test_series_bad_input():
    with pytest.raises(FormatError, match="no such file"):
        Series("/nonexistent/folder")
    with pytest.raises(FormatError, match="no map files"):
        Series("/nonexistent/*.geojson")


@pytest.mark.realdata
def test_nzz_dates_come_from_dateto_without_a_full_read():
    p = shared_file("nzz/2025-11-08.json")
    s = Series([p])
    assert s.source == "nzz"
    assert s.dates == [dt.date(2025, 11, 7)]  # _dateto, not the file name


# ------------------------------------------------------------------ shares
def test_vectorised_shares_equal_partition():
    s = Series(mapdiff.sample_paths())
    places = ["Pokrovsk", "Myrnohrad", "Rodynske"]
    sh = s.shares(places, "RU", workers=1, quiet=True)
    for i, m in enumerate(s):
        for p in places:
            geom = footprint(p).geometry
            areas = m.areas(aoi=geom)
            covered = sum(a for lab, a in areas.items() if lab != mapdiff.NOT_COVERED)
            expect = areas.get(RU, 0.0) / covered
            assert sh.frame[p].iloc[i] == pytest.approx(expect, abs=1e-7)
    assert list(sh.frame.columns) == places
    assert (sh.frame.diff().iloc[1:]["Pokrovsk"] >= -1e-12).all()  # Pokrovsk only fell further


@pytest.mark.realdata
def test_shares_match_independent_geodesic_figures():
    dates = ["20241027", "20250408", "20251209"]
    paths = [shared_file(f"deepstate/deepstatemap_data_{d}.geojson") for d in dates]
    places = ["Pokrovsk", "Selydove", "Chasiv Yar", "Kharkiv"]
    sh = Series(paths).shares(places, "RU", workers=1, quiet=True)
    for i, p in enumerate(paths):
        data = json.loads(p.read_text())
        raw = shapely.union_all(
            [shapely.make_valid(shapely.geometry.shape(f["geometry"])) for f in data["features"]]
        )
        for place in places:
            fp = footprint(place).geometry
            expect = geodesic(shapely.intersection(raw, fp)) / geodesic(fp)
            got = sh.frame[place].iloc[i]
            assert abs(got - expect) * 100 < 0.1, (p.name, place, got, expect)


def test_share_policies_for_grey(square_map):
    fp = mapdiff.places.footprints.Footprint("box", shapely.box(37.05, 48.05, 37.15, 48.15), "user", 0.0)
    one = Series([square_map], dates=["2025-11-27"])
    nobody = one.shares([fp], "RU", workers=1, quiet=True).frame["box"].iloc[0]
    side = one.shares([fp], "RU", policy="claimant", workers=1, quiet=True).frame["box"].iloc[0]
    half = one.shares([fp], "RU", policy="half", workers=1, quiet=True).frame["box"].iloc[0]
    excl = one.shares([fp], "RU", policy="excluded", workers=1, quiet=True).frame["box"].iloc[0]
    old_side = one.shares([fp], "RU", policy="side", workers=1, quiet=True).frame["box"].iloc[0]
    # RU holds 37.05..37.10, grey 37.10..37.12, UA the rest: about 50%, 70%, 60%, 62.5%
    assert nobody == pytest.approx(0.5, abs=2e-3)
    assert side == pytest.approx(0.7, abs=2e-3) and old_side == side
    assert half == pytest.approx(0.6, abs=2e-3)
    assert excl == pytest.approx(0.5 / 0.8, abs=2e-3)
    ua = one.shares([fp], "UA", workers=1, quiet=True).frame["box"].iloc[0]
    assert nobody + ua == pytest.approx(0.8, abs=1e-9)  # the grey fifth counts for nobody
    with pytest.raises(mapdiff.ArgumentError, match="policy"):
        one.shares([fp], "RU", policy="generous")
    with pytest.raises(FormatError, match="no date"):
        Series([square_map])


def test_unknown_place_is_an_error():
    with pytest.raises(UnknownPlaceError):
        Series(mapdiff.sample_paths()).shares(["Atlantis"], "RU", quiet=True)


def test_process_pool_equals_serial():
    s = Series(mapdiff.sample_paths())
    a = s.shares(["Pokrovsk", "Myrnohrad"], "RU", workers=1, cache=False, quiet=True).frame
    b = s.shares(["Pokrovsk", "Myrnohrad"], "RU", workers=2, cache=False, quiet=True).frame
    pd.testing.assert_frame_equal(a, b)


def test_dask_backend_equals_local():
    distributed = pytest.importorskip("distributed")
    s = Series(mapdiff.sample_paths())
    local = s.shares(["Pokrovsk", "Myrnohrad"], "RU", workers=1, quiet=True).frame
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = s.shares(
            ["Pokrovsk", "Myrnohrad"], "RU", backend="dask", client=client, quiet=True, cache=False
        ).frame
        remote_ch = s.changes(aoi="Pokrovsk", backend="dask", client=client, quiet=True).frame
    pd.testing.assert_frame_equal(local, remote)
    pd.testing.assert_frame_equal(s.changes(aoi="Pokrovsk", workers=1, quiet=True).frame, remote_ch)


def test_share_series_results(tmp_path):
    sh = Series(mapdiff.sample_paths()).shares(["Pokrovsk", "Myrnohrad"], "RU", workers=1, quiet=True)
    d = sh.to_dict()
    assert d["schema_version"] == 1 and d["side"] == "RU"
    assert d["dates"][0] == "2025-10-01" and len(d["shares"]["Pokrovsk"]) == 5
    assert [(p["footprint_kind"], p["approximate"]) for p in d["places"]] == [
        ("city_limits", False)
    ] * 2  # OSM town limits
    json.dumps(d)
    assert "ShareSeries" in sh._repr_html_()
    ev = sh.areas[(sh.areas["place"] == "Pokrovsk")]
    # the sample covers all of Pokrovsk (up to float noise of ~1e-15 km² where the limits touch its edge)
    assert set(ev[ev["km2"] > 1e-9]["label"]) == {"controlled:RU", "controlled:UA"}
    sums = ev.groupby("date")["km2"].sum()
    assert np.allclose(sums.to_numpy(), footprint("Pokrovsk").area_km2, rtol=1e-6)
    ax = sh.plot()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Pokrovsk", "Myrnohrad"]
    y = ax.get_lines()[0].get_ydata()
    assert np.allclose(y, sh.frame["Pokrovsk"].to_numpy(), equal_nan=True)  # shares, axis in %
    ax.figure.savefig(tmp_path / "shares.png")
    assert (tmp_path / "shares.png").stat().st_size > 5000


@settings(max_examples=15, deadline=None)
@given(st.floats(0.0, 0.2), st.floats(0.01, 0.2), st.floats(0.0, 0.15))
def test_measure_footprints_matches_partition(x0, w, fx):
    ru = shapely.box(37.0 + x0, 48.0, 37.0 + x0 + w, 48.3)
    m = normalise(
        [(RU, ru), (GREY, shapely.box(37.05, 48.1, 37.25, 48.12))],
        coverage=shapely.box(36.9, 47.9, 37.4, 48.35),
        background=UA,
        source="t",
        precedence=[RU, GREY],
    )
    fps = np.asarray(
        [shapely.box(37.0 + fx, 48.0, 37.1 + fx, 48.2), shapely.Point(37.2, 48.1).buffer(0.05)], dtype=object
    )
    labels, areas, covered, total = measure_footprints(m, fps)
    for j, fp in enumerate(fps):
        expect = m.areas(aoi=fp)
        for lab, a in zip(labels, areas[:, j], strict=True):
            assert a == pytest.approx(expect.get(lab, 0.0), rel=1e-6, abs=1e-6)
        assert covered[j] == pytest.approx(total[j], rel=1e-9)  # inside the coverage
        assert 0 <= areas[:, j].sum() <= covered[j] * (1 + 1e-9)


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
    with pytest.raises(mapdiff.ArgumentError, match="not a share"):
        first_crossing(f, threshold=1.5)


@pytest.mark.realdata
def test_first_crossing_real_pokrovsk():
    days = ["20251201", "20251202", "20251203", "20251204", "20251205"]
    s = Series([shared_file(f"deepstate/deepstatemap_data_{d}.geojson") for d in days])
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
    with pytest.raises(mapdiff.ArgumentError, match="share no place"):
        source_lag(a, a.rename(columns={"X": "Z"}))


# ------------------------------------------------------------------ changes
def _box_map(x1: float, as_of: str):
    return normalise(
        [(RU, shapely.box(37.0, 48.0, x1, 48.4))],
        coverage=shapely.box(36.9, 47.9, 37.5, 48.5),
        background=UA,
        source="synthetic",
        as_of=dt.date.fromisoformat(as_of),
    )


def test_changes_known_answer():
    a, b = _box_map(37.1, "2025-11-01"), _box_map(37.2, "2025-11-08")
    c = changes(a, b)
    strip = shapely.box(37.1, 48.0, 37.2, 48.4)
    assert c.sides["RU"]["gained_km2"] == pytest.approx(geodesic(strip), rel=1e-3)
    assert c.sides["RU"]["lost_km2"] == pytest.approx(0.0, abs=1e-9)
    assert c.sides["UA"]["lost_km2"] == pytest.approx(c.sides["RU"]["gained_km2"], rel=1e-9)
    back = changes(b, a)
    assert back.sides["RU"]["lost_km2"] == pytest.approx(c.sides["RU"]["gained_km2"], rel=1e-9)
    assert changes(a, a).sides["RU"] == {"gained_km2": 0.0, "lost_km2": 0.0, "net_km2": 0.0}
    gain = [x for x in c.components if x.side == "RU" and x.change == "gained"]
    assert len(gain) == 1 and gain[0].place == "Pokrovsk"  # strip lies beside Pokrovsk (37.18 E, 48.28 N)
    d = c.to_dict()
    assert d["schema_version"] == 1 and set(d["sides"]["RU"]) >= {"gained_km2", "lost_km2"}
    assert len(c.to_frame()) == len(c.components)
    ax = c.plot(places=False, context=False)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["RU gained (330.6 km²)"]
    assert ax.get_xlim()[1] - ax.get_xlim()[0] > 7_000  # the 0.1° strip, in metres
    assert "Changes" in c._repr_html_()


def test_changes_within_a_place_and_compared_only_where_both_cover():
    a, b = _box_map(37.1, "2025-11-01"), _box_map(37.3, "2025-11-08")
    fp = footprint("Pokrovsk").geometry
    c = changes(a, b, aoi="Pokrovsk")
    assert c.sides["RU"]["gained_km2"] == pytest.approx(
        geodesic(shapely.intersection(fp, shapely.box(37.1, 48.0, 37.3, 48.4))), rel=1e-3
    )
    narrow = normalise(
        [(RU, shapely.box(37.0, 48.0, 37.1, 48.4))],
        coverage=shapely.box(36.9, 47.9, 37.15, 48.5),
        background=UA,
        source="synthetic",
    )
    assert changes(narrow, b).sides["RU"]["gained_km2"] == pytest.approx(
        geodesic(shapely.box(37.1, 48.0, 37.15, 48.4)), rel=1e-3
    )


def test_series_changes_telescopes():
    s = Series(mapdiff.sample_paths())
    t = s.changes(window=2, workers=1, quiet=True)
    f = t.frame
    assert len(f) == 4 and list(f["days"]) == [31, 19, 7, 18]
    whole = changes(s[0], s[-1], components=False)
    assert f["RU_net_km2"].sum() == pytest.approx(whole.sides["RU"]["net_km2"], rel=1e-6)
    assert f["RU_net_km2_per_day_rolling"].iloc[1] == pytest.approx(f["RU_net_km2_per_day"].iloc[:2].mean())
    d = t.to_dict()
    assert d["schema_version"] == 1 and "RU" in d["sides"]
    json.dumps(d)
    assert t.plot().get_ylabel() == "km² per day"
    pooled = s.changes(window=2, workers=2, cache=False, quiet=True).frame
    pd.testing.assert_frame_equal(f, pooled)
    with pytest.raises(MapdiffError):
        Series(mapdiff.sample_paths()[:1]).changes()


def test_changes_of_label_types():
    a = normalise(
        [(Label("controlled", "RU"), shapely.box(37.0, 48.0, 37.1, 48.1))],
        source="x",
        coverage=shapely.box(36.9, 47.9, 37.3, 48.3),
        background=UA,
    )
    b = normalise(
        [
            (Label("encircled", "UA"), shapely.box(37.0, 48.0, 37.05, 48.1)),
            (Label("controlled", "RU"), shapely.box(37.05, 48.0, 37.1, 48.1)),
        ],
        source="x",
        coverage=shapely.box(36.9, 47.9, 37.3, 48.3),
        background=UA,
    )
    c = changes(a, b)
    half = geodesic(shapely.box(37.0, 48.0, 37.05, 48.1))
    assert c.sides["RU"]["lost_km2"] == pytest.approx(half, rel=1e-3)
    assert c.sides["UA"]["gained_km2"] == pytest.approx(half, rel=1e-3)  # encircled still holds


@pytest.mark.realdata
def test_mixed_sources_are_refused(tmp_path):
    nzz = shared_file("nzz/2025-11-08.json")
    with pytest.raises(mapdiff.UnknownSourceError, match="looks like a nzz release"):
        Series([*mapdiff.sample_paths()[:2], nzz])
    # an NZZ file named like a DeepState release is caught when it is read
    fake = tmp_path / "deepstatemap_data_20251108.geojson"
    fake.write_bytes(nzz.read_bytes())
    s = Series([*mapdiff.sample_paths()[:2], fake])
    with pytest.raises(mapdiff.UnknownSourceError, match="looks like a nzz release"):
        s.shares(["Pokrovsk"], "RU", workers=1, quiet=True)


def test_progress_only_on_a_terminal(monkeypatch, capsys):
    from mapdiff import _runner as H

    assert H._progress(100, "x", quiet=False) is None  # pytest's stderr is not a terminal
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    assert H._progress(100, "x", quiet=True) is None
    bar = H._progress(100, "x", quiet=False)
    assert bar is not None
    bar.update(100)
    bar.close()
