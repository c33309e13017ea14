"""mapdiff.places.scope: Crimea, the pre-2022 line, and how compare() counts what a source does not draw."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import shapely
from conftest import RU, UA

from mapdiff import compare, normalise
from mapdiff.model.control_map import Provenance
from mapdiff.model.measure import area_km2
from mapdiff.places.regions import region
from mapdiff.places.scope import crimea, russian_land_border, select_not_drawn


# ----------------------------------------------------------------------- scope inference
@pytest.mark.parametrize(
    ("lon", "lat", "inside"),
    [
        (34.10, 44.95, True),  # Simferopol
        (33.52, 44.60, True),  # Sevastopol
        (36.47, 45.36, True),  # Kerch
        (34.39, 45.71, True),  # Dzhankoi
        (33.69, 46.11, True),  # Armiansk (Perekop isthmus)
        (34.82, 46.17, False),  # Henichesk
        (32.91, 46.12, False),  # Skadovsk
        (32.61, 46.64, False),  # Kherson
        (33.37, 46.76, False),  # Nova Kakhovka
    ],
)
def test_crimea_polygon(lon, lat, inside):
    assert bool(crimea().contains(shapely.Point(lon, lat))) is inside


def test_crimea_area():
    assert 25_000 < area_km2(crimea()) < 29_000  # official 26,945 km² (+ Syvash as land)


def test_pre2022_inference():
    ukr = region("ukraine")
    block = shapely.intersection(ukr, shapely.box(38.5, 47.8, 40.3, 49.2))  # adjoins Russia, large
    pt = shapely.line_interpolate_point(russian_land_border(), 0.2, normalized=True)
    border_strip = shapely.intersection(ukr, shapely.box(pt.x - 0.05, pt.y - 0.05, pt.x + 0.05, pt.y + 0.05))
    inland = shapely.box(30.5, 50.4, 30.6, 50.5)  # Kyiv: far from the border
    comps = np.array([block, border_strip, inland], dtype=object)
    assert select_not_drawn(comps, ["pre2022"]).tolist() == [True, False, False]
    assert select_not_drawn(comps, []).tolist() == [False, False, False]

    ds = normalise(
        [(RU, shapely.union_all([block, border_strip, inland]))], coverage=ukr, background=UA, source="ds"
    )
    nz = normalise([(RU, shapely.box(36.0, 47.0, 36.05, 47.05))], coverage=ukr, background=UA, source="nzz")
    nz = dataclasses.replace(nz, provenance=Provenance("nzz", "nzz"))
    c = compare(ds, nz)
    sizes = area_km2(
        np.array([block, border_strip, inland, shapely.box(36.0, 47.0, 36.05, 47.05)]), centre=c._centre
    )
    assert c.disagreement_km2["scope"] == pytest.approx(sizes[0], rel=1e-6)
    assert c.disagreement_km2["real"] == pytest.approx(sizes[1:].sum(), rel=1e-6)
    assert any("nzz declares" in n for n in c.scope_notes)
    off = compare(ds, nz, scope=False)
    assert off.disagreement_km2["scope"] == 0
