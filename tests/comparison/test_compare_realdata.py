"""Whole front, DeepState 2025-11-27 vs NZZ 2025-11-27, against independent geodesic figures."""

from __future__ import annotations

import json

import pytest
import shapely
from conftest import shared_file

from mapdiff import compare, read_map
from mapdiff.model import geodesic_area_km2
from mapdiff.places.regions import drawn_extent

pytestmark = pytest.mark.realdata


def _raw_union(path, keep=None):
    data = json.loads(path.read_text(encoding="utf-8"))
    fc = data.get("value", data)
    geoms = [
        shapely.make_valid(shapely.from_geojson(json.dumps(f["geometry"])))
        for f in fc["features"]
        if keep is None or f["properties"].get("type") in keep
    ]
    geoms = [shapely.get_parts(g) for g in geoms]
    polys = [p for parts in geoms for p in parts if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys)


@pytest.fixture(scope="module")
def front():
    ds_path = shared_file("deepstate/deepstatemap_data_20251127.geojson")
    nz_path = shared_file("nzz/2025-11-27.json")
    return ds_path, nz_path, compare(read_map(ds_path), read_map(nz_path))


def test_whole_front_against_geodesic(front):
    ds_path, nz_path, c = front
    assert c.b.as_of.isoformat() == "2025-11-26"  # NZZ's file of 11-27 states as_of 11-26
    ct = c.crosstab
    assert ct.to_numpy().sum() == pytest.approx(c.aoi_km2, rel=1e-6)
    ukr = drawn_extent("ukraine")  # drawn land counts up to the maritime boundary
    ds = shapely.intersection(_raw_union(ds_path), ukr)
    nz = shapely.intersection(_raw_union(nz_path, keep={"nochange", "gains"}), ukr)
    ds_only = geodesic_area_km2(shapely.difference(ds, nz))
    nz_only = geodesic_area_km2(shapely.difference(nz, ds))
    ru = "controlled:RU"
    got_ds_only = ct.loc[ru].sum() - ct.loc[ru, ru]
    got_nz_only = ct[ru].sum() - ct.loc[ru, ru]
    assert got_ds_only == pytest.approx(ds_only, rel=1e-3)
    assert got_nz_only == pytest.approx(nz_only, rel=1e-3)


def test_whole_front_scope_and_components(front):
    _, _, c = front
    d = c.disagreement_km2
    assert d["total"] == pytest.approx(d["scope"] + d["noise"] + d["real"])
    # Crimea (~27,000 km²) and the pre-2022 areas of Donetsk/Luhansk (~17,000 km²) are scope
    assert 35_000 < d["scope"] < 50_000
    assert d["real"] < 0.2 * d["scope"]
    comps = c.components
    assert len(comps) > 10
    assert comps.area_km2.is_monotonic_decreasing
    assert comps.head(10).place.notna().all()
    assert (c.tolerance.disagreement_km2.diff().dropna() <= 1e-9).all()
    disp = c.displacement.set_index("side")
    assert 0 < disp.loc["RU", "median_km"] < 5
