"""Coverage never loses drawn land: drawn polygons are clipped with Ukraine's land ∪
maritime outline (lagoons, estuaries, coastal water kept), the background covers land
only, and percentages "of Ukraine" use the official 603,628 km²."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pyproj
import pytest
import shapely
from conftest import ROOT, RU, UA, shared_file

import mapdiff
from mapdiff.model.measure import geodesic_area_km2
from mapdiff.places.regions import OFFICIAL_AREA_KM2, drawn_extent, region

GEOD = pyproj.Geod(ellps="WGS84")


def _geodesic_km2(g) -> float:
    """pyproj.Geod on the polygon itself: independent of mapdiff's measures."""
    return abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(g))[0]) / 1e6 if not g.is_empty else 0.0


def _raw_union(features) -> object:
    polys = [shapely.geometry.shape(f["geometry"]) for f in features]
    return shapely.union_all(shapely.make_valid(np.asarray(polys, dtype=object)))


def _deepstate(props=None):
    return {"type": "Feature", "properties": props or {}}


# ------------------------------------------------------------------ shipped outlines
def test_maritime_outline_shipped_simplified_within_0_1_percent():
    """data/geo/ukraine_maritime.geojson keeps the original's area (640,067.87 km² geodesic,
    ../shared/geo/README.md) within 0.1%, and holds the land outline almost entirely."""
    sea = region("ukraine_maritime")
    assert _geodesic_km2(sea) == pytest.approx(640_068, rel=1e-3)
    land = region("ukraine")
    # the two outlines (2015 land, OSM 2017) disagree along land borders: ~0.3% of the land
    assert _geodesic_km2(shapely.difference(land, sea)) < 5e-3 * _geodesic_km2(land)
    ext = drawn_extent("ukraine")
    assert _geodesic_km2(shapely.difference(land, ext)) < 1e-3  # holds the land (up to float noise)
    # and the coastal water only: ~6,700 km² of the ~40,800 km² the maritime outline adds
    water = _geodesic_km2(ext) - _geodesic_km2(land)
    assert 5_000 < water < 8_000
    # the territorial sea further out is not: a point of it 10 km off the coast
    off = shapely.Point(33.25, 45.1).buffer(0.02)  # west of Crimea, in the 12-nm sea
    assert shapely.covers(sea, off) and not shapely.intersects(ext, off)


def test_syvash_drawn_is_kept_but_undrawn_sea_is_no_ones(tmp_path):
    """A polygon drawn over the Syvash lagoon and the Perekop isthmus keeps its water (the
    maritime outline's area there); the undrawn Azov sea is neither side's; the UA
    background equals land minus the drawing."""
    syvash = shapely.box(34.0, 45.7, 34.85, 46.15)  # west of the Arabat spit
    land, sea = region("ukraine"), region("ukraine_maritime")
    inside = _geodesic_km2(shapely.intersection(syvash, sea))
    assert inside - _geodesic_km2(shapely.intersection(syvash, land)) > 10  # the land outline cuts it
    path = tmp_path / "syvash.geojson"
    feat = {**_deepstate(), "geometry": json.loads(shapely.to_geojson(syvash))}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feat]}))
    m = mapdiff.read_map(path, source="deepstate", as_of="2025-11-27")
    assert m.area(RU) == pytest.approx(inside, rel=1e-3)
    assert m.area(UA) == pytest.approx(_geodesic_km2(shapely.difference(land, syvash)), rel=1e-3)
    azov = shapely.box(35.5, 45.6, 36.2, 46.0)  # the Sea of Azov: drawn by no one
    assert shapely.area(shapely.intersection(azov, land)) < 1e-3 * shapely.area(azov)
    held = m.areas(aoi=azov)
    assert held.get(RU, 0) + held.get(UA, 0) < 0.01 * _geodesic_km2(azov)


def test_painted_open_sea_is_not_land(tmp_path):
    """A map that paints the Sea of Azov keeps only coastal water, not the open sea."""
    azov = shapely.box(35.3, 46.3, 36.8, 47.4)  # the northern Azov coast and its sea
    path = tmp_path / "azov.geojson"
    feat = {**_deepstate(), "geometry": json.loads(shapely.to_geojson(azov))}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feat]}))
    m = mapdiff.read_map(path, source="deepstate", as_of="2025-11-27")
    land = _geodesic_km2(shapely.intersection(azov, region("ukraine")))
    assert land < m.area(RU) < land + 0.1 * (_geodesic_km2(azov) - land)


def test_polygon_over_russia_is_still_dropped(tmp_path):
    moscow = shapely.box(37.3, 55.5, 37.9, 55.9)
    inside = shapely.box(37.0, 48.0, 37.2, 48.2)
    path = tmp_path / "x.geojson"
    feats = [{**_deepstate(), "geometry": json.loads(shapely.to_geojson(g))} for g in (moscow, inside)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    m = mapdiff.read_map(path, source="deepstate", as_of="2025-11-27")
    assert m.area(RU) == pytest.approx(_geodesic_km2(inside), rel=1e-3)
    assert "outside_coverage_dropped" in {r.kind for r in m.report.repairs}


# ------------------------------------------------------------------ acceptance on real data
@pytest.mark.realdata
def test_info_deepstate_keeps_drawn_land_within_0_1_percent():
    path = shared_file("deepstate/deepstatemap_data_20251127.geojson")
    raw = json.loads(path.read_text())
    expected = _geodesic_km2(_raw_union(raw["features"]))
    assert expected == pytest.approx(115_696, rel=1e-4)  # ../shared/geo/README.md
    r = subprocess.run(
        [sys.executable, "-m", "mapdiff", "info", str(path), "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    ru = next(lab for lab in d["labels"] if lab["side"] == "RU")
    assert ru["area_km2"] == pytest.approx(expected, rel=1e-3)
    # of Ukraine: the official area
    assert d["region"]["official_area_km2"] == OFFICIAL_AREA_KM2["ukraine"] == 603_628
    assert ru["share_of_ukraine"] == pytest.approx(ru["area_km2"] / 603_628, abs=1e-6)
    # the background is land only: land area minus what is drawn on land
    ua = next(lab for lab in d["labels"] if lab["side"] == "UA")
    land = region("ukraine")
    drawn_on_land = geodesic_area_km2(shapely.intersection(_raw_union(raw["features"]), land))
    assert ua["area_km2"] == pytest.approx(geodesic_area_km2(land) - drawn_on_land, rel=1e-3)


@pytest.mark.realdata
def test_whole_front_compare_deepstate_nzz_loses_no_drawn_land():
    ds_path = shared_file("deepstate/deepstatemap_data_20251127.geojson")
    nzz_path = shared_file("nzz/2025-11-27.json")
    ds, nzz = mapdiff.read_map(ds_path), mapdiff.read_map(nzz_path)
    c = mapdiff.compare(ds, nzz)
    ct = c.crosstab
    ds_ru_in_compare = ct.loc[str(RU)].sum()
    raw = json.loads(ds_path.read_text())
    assert ds_ru_in_compare == pytest.approx(_geodesic_km2(_raw_union(raw["features"])), rel=1e-3)
    # NZZ's drawn Russian-held land, also whole
    nzz_raw = json.loads(nzz_path.read_text())["value"]["features"]
    held = [f for f in nzz_raw if f["properties"].get("type") in ("nochange", "gains")]
    nzz_ru = ct[str(RU)].sum()
    assert nzz_ru == pytest.approx(_geodesic_km2(_raw_union(held)), rel=1e-3)
    # and the pieces still tile the AOI
    assert ct.to_numpy().sum() == pytest.approx(c.aoi_km2, rel=1e-6)


@pytest.mark.realdata
def test_clipped_read_keeps_the_same_drawn_water():
    """The series path (read_map(clip=...)) and a full read agree over Syvash and Perekop,
    where the land outline alone would cut the drawing."""
    path = shared_file("deepstate/deepstatemap_data_20251127.geojson")
    box = shapely.box(34.3, 45.8, 35.2, 46.3)
    full, clipped = mapdiff.read_map(path), mapdiff.read_map(path, clip=box)
    raw = _raw_union(json.loads(path.read_text())["features"])
    expected = _geodesic_km2(shapely.intersection(raw, box))
    on_land = _geodesic_km2(shapely.intersection(raw, shapely.intersection(box, region("ukraine"))))
    assert expected - on_land > 30  # ~40 km² of drawn lagoon the land outline alone would cut
    for m in (full, clipped):
        assert m.area(RU, aoi=box) == pytest.approx(expected, rel=1e-3)


def test_shipped_drawn_extent_is_the_one_made_from_the_outlines():
    """data/geo/ukraine_drawn_extent.geojson (read instead of buffering the land outline in
    every process) is what the outlines and the band make today; one made with a stale
    geography_version is ignored."""
    from mapdiff.places import regions as R

    shipped = R._shipped_extent("ukraine")
    assert shipped is not None, "run tools/make_drawn_extent.py"
    made = R._make_extent("ukraine")
    gap = shapely.symmetric_difference(shipped, made)
    assert geodesic_area_km2(gap) < 0.01  # the same geometry (other GEOS builds: a rounding)
    assert shapely.equals(drawn_extent("ukraine"), shipped)


def test_a_stale_shipped_drawn_extent_is_ignored(tmp_path, monkeypatch):
    import shutil

    from mapdiff.places import regions as R

    geo = tmp_path / "geo"
    geo.mkdir()
    src = R.data_dir() / "geo" / R._EXTENT_FILES["ukraine"]
    text = src.read_text(encoding="utf-8").replace(R.GEOGRAPHY_VERSION, "an-older-version")
    (geo / src.name).write_text(text, encoding="utf-8")
    shutil.copy(R.data_dir() / "geo" / "ukraine_boundary.geojson", geo)
    monkeypatch.setattr(R, "data_dir", lambda: tmp_path)
    assert R._shipped_extent("ukraine") is None
