"""read_map(clip=...): the fast path of the one reading pipeline gives the full read's areas."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings, strategies as st

import mapdiff
from mapdiff.history import _engine as _runner
from mapdiff.io import cache
from mapdiff.model.measure import area_km2
from mapdiff.places.footprints import footprint

RU = mapdiff.labels.Label("controlled", "RU")


def _areas(m, fps):
    labels, areas, covered, total = _runner.measure_footprints(m, np.asarray(fps, dtype=object))
    return dict(zip(labels, areas, strict=True)), covered, total


@pytest.mark.parametrize("places", [["Pokrovsk"], ["Pokrovsk", "Myrnohrad"], ["Pokrovsk", "Kharkiv"]])
def test_clipped_read_measures_as_the_full_read(places):
    path = mapdiff.sample_path("2025-11-27")
    fps = [footprint(p).geometry for p in places]
    full = mapdiff.read_map(path)
    fast = mapdiff.read_map(path, clip=fps)
    a, ca, _ = _areas(full, fps)
    b, cb, _ = _areas(fast, fps)
    assert set(a) == set(b)
    for lab in a:
        np.testing.assert_allclose(b[lab], a[lab], rtol=0, atol=1e-9)
    np.testing.assert_allclose(cb, ca, rtol=0, atol=1e-9)
    # and the clipped map holds less: only what lies in the places' boxes
    assert fast.drawn_union.area < full.drawn_union.area


def test_clip_cuts_before_repairing():
    """A broken polygon outside the clip's box is never repaired (nor reported)."""
    bowtie = shapely.Polygon([(36.0, 47.0), (36.2, 47.2), (36.2, 47.0), (36.0, 47.2)])
    good = shapely.box(37.0, 48.0, 37.2, 48.2)
    gdf = gpd.GeoDataFrame(
        {"status": ["controlled", "controlled"], "side": ["RU", "RU"]}, geometry=[good, bowtie], crs=4326
    )
    full = mapdiff.read_map(gdf, as_of="2025-11-27")
    assert "invalid_geometry" in [r.kind for r in full.report.repairs]
    fast = mapdiff.read_map(gdf, as_of="2025-11-27", clip=shapely.box(37.05, 48.05, 37.1, 48.1))
    assert "invalid_geometry" not in [r.kind for r in fast.report.repairs]
    assert fast.area(RU) == pytest.approx(area_km2(shapely.box(37.05, 48.05, 37.1, 48.1)))


def test_clip_with_nothing_drawn_is_an_empty_map():
    path = mapdiff.sample_path("2025-11-27")
    m = mapdiff.read_map(path, clip=shapely.box(24.0, 49.8, 24.1, 49.9))  # Lviv: nothing drawn
    assert m.labels == () and m.source == "deepstate"


@settings(max_examples=25, deadline=None)
@given(
    x=st.floats(37.0, 37.3),
    y=st.floats(48.1, 48.4),
    w=st.floats(0.005, 0.2),
    h=st.floats(0.005, 0.2),
)
def test_any_box_measures_as_the_full_read(x, y, w, h):
    path = mapdiff.sample_path("2025-11-27")
    box = shapely.box(x, y, x + w, y + h)
    # the place measured lies inside its clip box, as in a history run (boxes are padded)
    place = shapely.box(x + w / 8, y + h / 8, x + w * 7 / 8, y + h * 7 / 8)
    full = _full_sample()
    fast = mapdiff.read_map(path, clip=box)
    a, ca, _ = _areas(full, [place])
    b, cb, _ = _areas(fast, [place])
    for lab in set(a) | set(b):
        assert abs(a.get(lab, np.zeros(1))[0] - b.get(lab, np.zeros(1))[0]) < 1e-9
    assert abs(ca[0] - cb[0]) < 1e-9


_FULL = {}


def _full_sample():
    if "m" not in _FULL:
        _FULL["m"] = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    return _FULL["m"]


def test_runner_does_not_write_into_frozen_maps(tmp_path, monkeypatch):
    """The cache glue builds new maps (dataclasses.replace), it never sets an attribute of one."""
    import inspect

    assert "__dict__" not in inspect.getsource(_runner)
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    s = mapdiff.Releases(mapdiff.sample_paths()[:2])
    ctx = _runner.Context(
        shapely.to_wkb(_runner.aoi_geometry_of([footprint("Pokrovsk").geometry])),
        (),
        None,
        "deepstate",
        True,
        None,
    )
    for _ in range(2):  # a miss, then a hit: the map is dated by the series, as a new object
        m = _runner.load_release(s._releases[0], ctx)
        assert m.as_of == s._releases[0].as_of
