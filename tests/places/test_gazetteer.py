"""The one index of named points (mapdiff.places.gazetteer): nearest by the geodesic distance,
checked against a brute force over every place; the drawing layer's ``large`` flag."""

from __future__ import annotations

import csv
import json

import numpy as np
import pyproj
import pytest
import shapely
from hypothesis import example, given, settings, strategies as st

from mapdiff._resources import data_dir
from mapdiff.places import admin
from mapdiff.places.distance import reach, scaled
from mapdiff.places.gazetteer import LARGE_POPULATION, PointIndex, settlements, towns


def test_a_town_is_large_with_100000_inhabitants_or_shipped_city_limits():
    geo = data_dir() / "geo"
    with open(geo / "towns.csv", encoding="utf-8", newline="") as fh:
        pop = {r["name_en"]: float(r["population_2022"] or 0) for r in csv.DictReader(fh)}
    cities = {
        f["properties"]["name_en"] for f in json.loads((geo / "city_limits.geojson").read_text())["features"]
    }
    idx = towns()
    want = [pop.get(n, 0) >= LARGE_POPULATION or n in cities for n in idx.names]
    assert idx.large.tolist() == want
    assert idx.large.any() and not idx.large.all()
    assert np.isnan(idx.population[[n not in pop for n in idx.names]]).all()


# ------------------------------------------------------------------ nearest: the geodesic rule
# a box round Ukraine and its neighbours, where the shipped places are
LON = st.floats(20.0, 42.0, allow_nan=False)
LAT = st.floats(43.0, 54.0, allow_nan=False)


def brute(idx: PointIndex, lon: float, lat: float) -> np.ndarray:
    """Geodesic km from every place of ``idx`` to the point (pyproj.Geod, no shortcut)."""
    _, _, d = pyproj.Geod(ellps="WGS84").inv(idx.lon, idx.lat, np.full(len(idx), lon), np.full(len(idx), lat))
    return d / 1000.0


@settings(max_examples=60, deadline=None)
@given(points=st.lists(st.tuples(LON, LAT), min_size=1, max_size=20))
def test_nearest_is_the_geodesic_nearest_of_every_place(points):
    for idx in (towns(), settlements()):
        lon, lat = map(np.asarray, zip(*points, strict=True))
        near = idx.nearest(lon, lat)
        for i, (x, y) in enumerate(points):
            km = brute(idx, x, y)
            assert near.km[i] == pytest.approx(km.min(), rel=1e-9, abs=1e-9)
            same = [j for j, n in enumerate(idx.names) if n == near.name[i]]  # settlements' names repeat
            j = min(same, key=lambda j: km[j])
            assert km[j] == pytest.approx(km.min(), rel=1e-9, abs=1e-9)
            # the bearing points from the place to the point
            az, _, _ = pyproj.Geod(ellps="WGS84").inv(idx.lon[j], idx.lat[j], x, y)
            assert near.km[i] < 1e-6 or abs((near.bearing[i] - az % 360.0 + 180) % 360 - 180) < 1e-6


def _at(idx: PointIndex, name: str) -> tuple[float, float]:
    k = idx.names.index(name)
    return float(idx.lon[k]), float(idx.lat[k])


@settings(max_examples=40, deadline=None)
@given(k=st.integers(0, 35), w=st.floats(0.001, 0.5), h=st.floats(0.001, 0.5), dx=st.floats(-0.9, 0.9))
def test_nearest_to_a_polygon_holding_a_centre_is_0_km_with_no_bearing(k, w, h, dx):
    idx = towns()
    x, y = float(idx.lon[k]), float(idx.lat[k])
    box = shapely.box(x - w * (1 + dx), y - h, x + w * (1 - dx), y + h)
    near = idx.nearest_to([box])
    assert near.km[0] == 0.0 and np.isnan(near.bearing[0]) and near.direction[0] is None
    assert near.name[0] in idx.names


@settings(max_examples=30, deadline=None)
@given(k=st.integers(0, 35), dx=st.floats(-1, 1), dy=st.floats(-1, 1), r=st.floats(0.01, 0.3))
@example(k=15, dx=0.87890625, dy=0.0, r=0.25)  # 1.3e-6 beyond its nearest vertex
def test_nearest_to_a_polygon_apart_measures_to_its_nearest_point(k, dx, dy, r):
    """km is geodesic from the place to the polygon's point nearest in scaled degrees: never
    more than to its vertices, but for the anisotropy of the scaling, which moves it by up
    to 1e-4 of the distance a degree away (measured: 9.7e-5 at most over 3,000 random discs
    up to 1 degree off, against the boundary sampled every 0.0005 degrees; hypothesis found
    1.3e-6 over the vertices at 0.88 degrees)."""
    idx = towns()
    disc = shapely.Point(idx.lon[k] + dx, idx.lat[k] + dy).buffer(r, quad_segs=4)
    near = idx.nearest_to([disc])
    px, py = _at(idx, near.name[0])
    if disc.intersects(shapely.Point(px, py)):  # inside or on its edge
        assert near.km[0] == 0.0
        return
    vx, vy = np.asarray(disc.exterior.coords).T
    _, _, d = pyproj.Geod(ellps="WGS84").inv(np.full(len(vx), px), np.full(len(vx), py), vx, vy)
    assert 0 < near.km[0] <= d.min() / 1000.0 * (1 + 2e-4)


def test_an_empty_index_and_missing_geometries_name_nothing():
    empty = PointIndex((), np.array([]), np.array([]))
    for near in (empty.nearest([37.0], [48.0]), empty.nearest_to([shapely.box(37, 48, 38, 49)])):
        assert near.name.tolist() == [None] and np.isnan(near.km).all() and near.direction.tolist() == [None]
    near = towns().nearest_to([None, shapely.Polygon(), shapely.box(37.1, 48.2, 37.3, 48.4)])
    assert near.name[:2].tolist() == [None, None] and np.isnan(near.km[:2]).all()
    assert near.name[2] == "Pokrovsk" and near.km[2] == 0.0
    assert len(towns().nearest([], []).name) == 0 and len(towns().nearest_to([]).name) == 0


@pytest.mark.parametrize("level", ["oblast", "settlement"])
@settings(max_examples=12, deadline=None)
@given(x=LON, y=LAT, n=st.integers(1, 5))
def test_admin_nearest_is_the_rule_over_every_unit(level, x, y, n):
    """admin.nearest keeps no unit out that the rule over every unit would rank in, and
    measures as the gazetteer does (geodesic km to the nearest point, 0 inside)."""
    geoms = admin.geometries(level)
    ids = list(geoms)
    arr = np.asarray([geoms[i] for i in ids], dtype=object)
    sx = float(np.cos(np.radians(y)))
    flat = scaled(arr, sx)
    k = min(len(arr), max(n * 4, 8))
    cand = np.argsort(shapely.distance(flat, shapely.Point(x * sx, y)), kind="stable")[:k]
    m, _ = reach(np.full(k, x), np.full(k, y), flat[cand], sx)
    want = sorted(zip(m / 1000.0, [ids[i] for i in cand], strict=True))[:n]
    got = admin.nearest(x, y, level, n=n)
    assert [(u.id, km) for u, km in got] == [(i, pytest.approx(km, abs=1e-9)) for km, i in want]
    inside = [u for u, km in got if km == 0.0]
    assert all(admin.geometry(u).intersects(shapely.Point(x, y)) for u in inside)
