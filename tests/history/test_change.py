"""mapdiff.history.change: km² gained and lost per side between two releases, and Releases.changes."""

from __future__ import annotations

import datetime as dt
import json

import matplotlib
import pandas as pd
import pytest
import shapely
from conftest import RU, UA, geodesic_km2

import mapdiff
from mapdiff import Releases, changes, normalise
from mapdiff.errors import MapdiffError
from mapdiff.labels import Label
from mapdiff.places.footprints import footprint

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MAPDIFF_CACHE_DIR", str(tmp_path / "cache"))


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
    assert c.sides["RU"]["gained_km2"] == pytest.approx(geodesic_km2(strip), rel=1e-3)
    assert c.sides["RU"]["lost_km2"] == pytest.approx(0.0, abs=1e-9)
    assert c.sides["UA"]["lost_km2"] == pytest.approx(c.sides["RU"]["gained_km2"], rel=1e-9)
    with pytest.warns(mapdiff.errors.MapdiffWarning, match="older than OLD"):
        back = changes(b, a)  # measured as given, and said
    assert back.sides["RU"]["lost_km2"] == pytest.approx(c.sides["RU"]["gained_km2"], rel=1e-9)
    assert changes(a, a).sides["RU"] == {"gained_km2": 0.0, "lost_km2": 0.0, "net_km2": 0.0}
    gain = [x for x in c.components if x.side == "RU" and x.change == "gained"]
    assert len(gain) == 1 and gain[0].place == "Pokrovsk"  # strip lies beside Pokrovsk (37.18 E, 48.28 N)
    d = c.to_dict()
    assert d["schema_version"] == 1 and set(d["sides"]["RU"]) >= {"gained_km2", "lost_km2"}
    assert len(c.to_frame()) == len(c.components)
    ax = c.plot(places=False, context=False)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["RU gained (330.6 km²)"]
    assert ax.get_xlim()[1] - ax.get_xlim()[0] > 7_000  # the 0.1° strip, in metres (equal-area)
    assert "Changes" in c._repr_html_()


def test_changes_within_a_place_and_compared_only_where_both_cover():
    a, b = _box_map(37.1, "2025-11-01"), _box_map(37.3, "2025-11-08")
    fp = footprint("Pokrovsk").geometry
    c = changes(a, b, aoi="Pokrovsk")
    assert c.sides["RU"]["gained_km2"] == pytest.approx(
        geodesic_km2(shapely.intersection(fp, shapely.box(37.1, 48.0, 37.3, 48.4))), rel=1e-3
    )
    narrow = normalise(
        [(RU, shapely.box(37.0, 48.0, 37.1, 48.4))],
        coverage=shapely.box(36.9, 47.9, 37.15, 48.5),
        background=UA,
        source="synthetic",
    )
    assert changes(narrow, b).sides["RU"]["gained_km2"] == pytest.approx(
        geodesic_km2(shapely.box(37.1, 48.0, 37.15, 48.4)), rel=1e-3
    )


def test_series_changes_telescopes():
    s = Releases(mapdiff.sample_paths())
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
        Releases(mapdiff.sample_paths()[:1]).changes()


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
    half = geodesic_km2(shapely.box(37.0, 48.0, 37.05, 48.1))
    assert c.sides["RU"]["lost_km2"] == pytest.approx(half, rel=1e-3)
    assert c.sides["UA"]["gained_km2"] == pytest.approx(half, rel=1e-3)  # encircled still holds
