"""mapdiff.history.releases and its engine: Releases, shares, ShareSeries, backends, the cache glue."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import matplotlib
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import GREY, RU, UA, geodesic_km2, shared_file
from hypothesis import given, settings, strategies as st

import mapdiff
from mapdiff import Releases, normalise
from mapdiff.errors import FormatError, UnknownPlaceError
from mapdiff.history.releases import measure_footprints
from mapdiff.places.footprints import footprint

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MAPDIFF_CACHE_DIR", str(tmp_path / "cache"))


# ------------------------------------------------------------------ Releases
def test_series_from_samples_is_dated_and_ordered():
    s = Releases(mapdiff.sample_paths())
    assert len(s) == 5
    assert s.source == "deepstate"
    assert s.dates == sorted(s.dates)
    assert s.dates[0] == dt.date(2025, 10, 1) and s.dates[-1] == dt.date(2025, 12, 15)
    assert s[0].as_of == s.dates[0]
    assert [m.as_of for m in s] == s.dates


def test_series_from_folder_glob_and_maps(tmp_path):
    for p in mapdiff.sample_paths()[:3]:
        shutil.copy(p, tmp_path / p.name)
    assert len(Releases(tmp_path)) == 3
    assert len(Releases(str(tmp_path / "*.geojson"))) == 3
    maps = [mapdiff.read_map(p) for p in mapdiff.sample_paths()[:2]]
    s = Releases(list(reversed(maps)))
    assert s.dates == [m.as_of for m in maps]
    assert len(s.between("2025-10-15", None)) == 1
    assert Releases(mapdiff.sample_paths())[1:3].dates == [dt.date(2025, 11, 1), dt.date(2025, 11, 20)]


def test_series_drops_duplicate_dates(tmp_path):
    src = mapdiff.sample_path("2025-11-27")
    shutil.copy(src, tmp_path / "deepstatemap_data_20251127_a.geojson")
    shutil.copy(src, tmp_path / "deepstatemap_data_20251127_b.geojson")
    s = Releases(tmp_path)
    assert len(s) == 1
    assert s.duplicates == ("deepstatemap_data_20251127_a.geojson",)


def test_series_bad_input():
    with pytest.raises(FormatError, match="no such file"):
        Releases("/nonexistent/folder")
    with pytest.raises(FormatError, match="no map files"):
        Releases("/nonexistent/*.geojson")


@pytest.mark.realdata
def test_nzz_dates_come_from_dateto_without_a_full_read():
    p = shared_file("nzz/2025-11-08.json")
    s = Releases([p])
    assert s.source == "nzz"
    assert s.dates == [dt.date(2025, 11, 7)]  # _dateto, not the file name


# ------------------------------------------------------------------ shares
def test_vectorised_shares_equal_partition():
    s = Releases(mapdiff.sample_paths())
    places = ["Pokrovsk", "Myrnohrad", "Rodynske"]
    sh = s.shares(places, "RU", workers=1, quiet=True)
    for i, m in enumerate(s):
        for p in places:
            geom = footprint(p).geometry
            areas = m.areas(aoi=geom)
            covered = sum(a for lab, a in areas.items() if lab != mapdiff.labels.NOT_COVERED)
            expect = areas.get(RU, 0.0) / covered
            assert sh.frame[p].iloc[i] == pytest.approx(expect, abs=1e-7)
    assert list(sh.frame.columns) == places
    assert (sh.frame.diff().iloc[1:]["Pokrovsk"] >= -1e-12).all()  # Pokrovsk only fell further


@pytest.mark.realdata
def test_shares_match_independent_geodesic_figures():
    dates = ["20241027", "20250408", "20251209"]
    paths = [shared_file(f"deepstate/deepstatemap_data_{d}.geojson") for d in dates]
    places = ["Pokrovsk", "Selydove", "Chasiv Yar", "Kharkiv"]
    sh = Releases(paths).shares(places, "RU", workers=1, quiet=True)
    for i, p in enumerate(paths):
        data = json.loads(p.read_text())
        raw = shapely.union_all(
            [shapely.make_valid(shapely.geometry.shape(f["geometry"])) for f in data["features"]]
        )
        for place in places:
            fp = footprint(place).geometry
            expect = geodesic_km2(shapely.intersection(raw, fp)) / geodesic_km2(fp)
            got = sh.frame[place].iloc[i]
            assert abs(got - expect) * 100 < 0.1, (p.name, place, got, expect)


def test_share_policies_for_grey(square_map):
    fp = mapdiff.places.footprints.Footprint("box", shapely.box(37.05, 48.05, 37.15, 48.15), "user", 0.0)
    one = Releases([square_map], dates=["2025-11-27"])
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
    with pytest.raises(mapdiff.errors.ArgumentError, match="policy"):
        one.shares([fp], "RU", policy="generous")
    with pytest.raises(FormatError, match="no date"):
        Releases([square_map])


def test_unknown_place_is_an_error():
    with pytest.raises(UnknownPlaceError):
        Releases(mapdiff.sample_paths()).shares(["Atlantis"], "RU", quiet=True)


def test_process_pool_equals_serial():
    s = Releases(mapdiff.sample_paths())
    a = s.shares(["Pokrovsk", "Myrnohrad"], "RU", workers=1, cache=False, quiet=True).frame
    b = s.shares(["Pokrovsk", "Myrnohrad"], "RU", workers=2, cache=False, quiet=True).frame
    pd.testing.assert_frame_equal(a, b)


def test_dask_backend_equals_local():
    distributed = pytest.importorskip("distributed")
    s = Releases(mapdiff.sample_paths())
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
    sh = Releases(mapdiff.sample_paths()).shares(["Pokrovsk", "Myrnohrad"], "RU", workers=1, quiet=True)
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


@pytest.mark.realdata
def test_mixed_sources_are_refused(tmp_path):
    nzz = shared_file("nzz/2025-11-08.json")
    with pytest.raises(mapdiff.errors.UnknownSourceError, match="looks like a nzz release"):
        Releases([*mapdiff.sample_paths()[:2], nzz])
    # an NZZ file named like a DeepState release is caught when it is read
    fake = tmp_path / "deepstatemap_data_20251108.geojson"
    fake.write_bytes(nzz.read_bytes())
    s = Releases([*mapdiff.sample_paths()[:2], fake])
    with pytest.raises(mapdiff.errors.UnknownSourceError, match="looks like a nzz release"):
        s.shares(["Pokrovsk"], "RU", workers=1, quiet=True)


def test_progress_only_on_a_terminal(monkeypatch, capsys):
    from mapdiff.history import _engine as H

    assert H._progress(100, "x", quiet=False) is None  # pytest's stderr is not a terminal
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    assert H._progress(100, "x", quiet=True) is None
    bar = H._progress(100, "x", quiet=False)
    assert bar is not None
    bar.update(100)
    bar.close()
