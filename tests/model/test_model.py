"""ControlMap and normalise: repairs, precedence, partition, export."""

from __future__ import annotations

import json

import numpy as np
import pyproj
import pytest
import shapely
from conftest import GREY, RU, UA
from hypothesis import HealthCheck, example, given, settings, strategies as st

from mapdiff import area_km2, normalise
from mapdiff.errors import ArgumentError, EmptyMapError, UnknownLabelError
from mapdiff.labels import NOT_COVERED, Label

GEOD = pyproj.Geod(ellps="WGS84")


def geod_km2(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(shapely.segmentize(geom, 0.01)))[0]) / 1e6


def kinds(m) -> dict:
    return {r.kind: r for r in m.report.repairs}


def test_square_map_areas(square_map):
    m = square_map
    assert m.labels == (RU, GREY)
    assert m.area(RU) == pytest.approx(geod_km2(shapely.box(37.0, 48.0, 37.1, 48.2)), rel=1e-3)
    assert m.area(UA) == pytest.approx(geod_km2(shapely.box(37.12, 48.0, 37.2, 48.2)), rel=1e-3)
    areas = m.areas()
    assert set(areas) == {RU, GREY, UA}
    assert sum(areas.values()) == pytest.approx(area_km2(m.coverage), rel=1e-9)


def test_partition_tiles_an_aoi_with_not_covered(square_map):
    aoi = shapely.box(37.15, 48.05, 37.3, 48.15)  # half outside the coverage
    labels, geoms = square_map.partition(aoi)
    assert labels == (UA, NOT_COVERED)
    assert area_km2(geoms).sum() == pytest.approx(area_km2(aoi), rel=1e-6)
    assert shapely.union_all(geoms).symmetric_difference(aoi).area < 1e-12


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(x0=st.floats(36.9, 37.25), y0=st.floats(47.9, 48.25), w=st.floats(0.01, 0.2), h=st.floats(0.01, 0.2))
@example(x0=36.9375, y0=48.1953125, w=0.09375, h=0.01)  # found by hypothesis: 1.04e-6 apart
def test_areas_within_any_aoi_add_up(square_map, x0, y0, w, h):  # the map is immutable: sharing it is safe
    aoi = shapely.box(x0, y0, x0 + w, y0 + h)
    areas = square_map.areas(aoi=aoi)
    assert all(a >= 0 for a in areas.values())
    # edges are projected as chords of at most 0.01° (~1 km); where a cut splits an edge the
    # two chords bound a slightly different area than the one (about 1e-6 km² per km of
    # edge): on a thin AOI that exceeds 1e-6 of its area, hence the absolute term
    assert sum(areas.values()) == pytest.approx(area_km2(aoi), rel=1e-6, abs=1e-4)


def test_overlap_precedence_first_wins():
    a, b = shapely.box(0, 0, 2, 2), shapely.box(1, 0, 3, 2)
    m1 = normalise([(RU, a), (GREY, b)], precedence=[GREY, RU], source="t")
    m2 = normalise([(RU, a), (GREY, b)], precedence=[RU, GREY], source="t")
    assert m1.area(GREY) == pytest.approx(geod_km2(b), rel=1e-3)
    assert m1.area(RU) == pytest.approx(geod_km2(shapely.box(0, 0, 1, 2)), rel=1e-3)
    assert m2.area(RU) == pytest.approx(geod_km2(a), rel=1e-3)
    assert kinds(m1)["overlap_resolved"].area_km2 == pytest.approx(
        geod_km2(shapely.box(1, 0, 2, 2)), rel=1e-3
    )
    # labels are dissolved and never overlap
    for m in (m1, m2):
        g = m.geometries
        assert shapely.intersection(g[0], g[1]).area == pytest.approx(0, abs=1e-12)


def test_same_label_dissolves_without_overlap_repair():
    m = normalise([(RU, shapely.box(0, 0, 2, 2)), (RU, shapely.box(1, 0, 3, 2))], source="t")
    assert m.labels == (RU,)
    assert m.area(RU) == pytest.approx(geod_km2(shapely.box(0, 0, 3, 2)), rel=1e-3)
    assert "overlap_resolved" not in kinds(m)


def test_repairs_bowtie_z_points_lines_empty_outside():
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    feats = [
        (RU, bowtie),
        (RU, shapely.force_3d(shapely.box(2, 0, 3, 1), 5.0)),
        (RU, shapely.Point(0.5, 0.5)),
        (GREY, shapely.LineString([(0, 0), (1, 1)])),
        (GREY, shapely.GeometryCollection([shapely.box(4, 0, 4.5, 0.5), shapely.Point(9, 9)])),
        (GREY, None),
        (GREY, shapely.Polygon()),
        (UA, shapely.box(50, 50, 51, 51)),
    ]
    m = normalise(feats, coverage=shapely.box(-1, -1, 10, 10), source="t")
    k = kinds(m)
    assert k["invalid_geometry"].count == 1
    assert k["z_dropped"].count == 1
    assert k["non_areal_dropped"].count == 2
    assert k["empty_dropped"].count == 2
    assert k["outside_coverage_dropped"].count == 1
    assert k["outside_coverage_dropped"].area_km2 == pytest.approx(
        geod_km2(shapely.box(50, 50, 51, 51)), rel=1e-3
    )
    assert m.report.n_features == 8 and m.report.n_used == 3
    triangles = shapely.union_all(
        [shapely.Polygon([(0, 0), (0.5, 0.5), (0, 1)]), shapely.Polygon([(1, 0), (0.5, 0.5), (1, 1)])]
    )
    assert m.area(RU) == pytest.approx(geod_km2(triangles) + geod_km2(shapely.box(2, 0, 3, 1)), rel=1e-3)
    assert m.area(GREY) == pytest.approx(geod_km2(shapely.box(4, 0, 4.5, 0.5)), rel=1e-3)
    assert not any(shapely.has_z(np.asarray(m.geometries, dtype=object)))
    assert "invalid_geometry" in str(m.report)
    assert list(m.report.to_frame().columns) == ["repair", "count", "area_km2", "detail"]


def test_nothing_left_is_an_error_that_says_why():
    with pytest.raises(EmptyMapError, match="no labelled feature"):
        normalise([], source="t")
    with pytest.raises(EmptyMapError, match="coverage"):
        normalise([(RU, shapely.Point(0, 0))], source="t")


def test_area_clipped_outside_coverage_is_reported():
    m = normalise(
        [(RU, shapely.box(0, 0, 2, 1))], coverage=shapely.box(0, 0, 1.5, 1), background=UA, source="t"
    )
    clipped = kinds(m)["outside_coverage_clipped"]
    assert clipped.count == 1
    assert clipped.area_km2 == pytest.approx(geod_km2(shapely.box(1.5, 0, 2, 1)), rel=1e-3)
    assert m.area(RU) == pytest.approx(geod_km2(shapely.box(0, 0, 1.5, 1)), rel=1e-3)
    inside = normalise([(RU, shapely.box(0, 0, 1, 1))], coverage=shapely.box(0, 0, 1.5, 1), source="t")
    assert "outside_coverage_clipped" not in kinds(inside)


def test_unknown_label_and_bad_aoi(square_map):
    with pytest.raises(UnknownLabelError, match="it knows: controlled:RU, contested, controlled:UA"):
        square_map.area("encircled:UA")
    with pytest.raises(ArgumentError, match="shapely geometry"):
        square_map.area(RU, aoi="Pokrovsk")


def test_to_gdf_to_dict_to_frame_html(square_map, tmp_path):
    gdf = square_map.to_gdf()
    assert list(gdf.columns) == ["class", "status", "side", "area_km2", "geometry"]
    assert list(gdf["class"]) == ["controlled:RU", "contested", "controlled:UA"]
    assert gdf.crs.to_epsg() == 4326
    assert list(gdf["status"]) == ["controlled", "contested", "controlled"]
    d = json.loads(json.dumps(square_map.to_dict()))
    assert d["schema_version"] == 1 and d["source"] == "synthetic"
    assert {(x["status"], x["side"]) for x in d["labels"]} == {
        ("controlled", "RU"),
        ("contested", None),
        ("controlled", "UA"),
    }
    assert square_map.to_frame()["area_km2"].sum() == pytest.approx(area_km2(square_map.coverage), rel=1e-6)
    assert "<table>" in square_map._repr_html_()
    assert "synthetic" in repr(square_map)
    out = tmp_path / "m.gpkg"
    square_map.to_file(out)
    assert out.exists() and not list(tmp_path.glob(".*tmp*"))


def test_clip_restricts_coverage(square_map):
    aoi = shapely.box(37.05, 48.0, 37.15, 48.2)
    c = square_map.clip(aoi)
    assert c.area(RU) == pytest.approx(square_map.area(RU, aoi=aoi), rel=1e-9)
    assert sum(c.areas().values()) == pytest.approx(area_km2(aoi), rel=1e-6)


def test_map_is_immutable(square_map):
    with pytest.raises(AttributeError):
        square_map.source = "other"


def test_label_strings_and_tuples_accepted():
    m = normalise(
        [("controlled:RU", shapely.box(0, 0, 1, 1)), (("contested", None), shapely.box(1, 0, 2, 1))],
        source="t",
    )
    assert m.labels == (Label("controlled", "RU"), GREY)


def test_mostly_outside_features_dropped_or_clipped_as_asked():
    cover = shapely.box(0, 0, 1, 1)
    straddling = shapely.box(0.8, 0, 1.5, 1)  # 2/7 inside: "mostly outside"
    dropped = normalise([(RU, shapely.box(0, 0, 0.5, 1)), (GREY, straddling)], coverage=cover, source="t")
    assert GREY not in dropped.labels
    assert kinds(dropped)["outside_coverage_dropped"].count == 1
    kept = normalise(
        [(RU, shapely.box(0, 0, 0.5, 1)), (GREY, straddling)],
        coverage=cover,
        source="t",
        drop_mostly_outside=False,
    )
    assert kept.area(GREY) == pytest.approx(geod_km2(shapely.box(0.8, 0, 1, 1)), rel=1e-3)
    assert kinds(kept)["outside_coverage_clipped"].area_km2 == pytest.approx(
        geod_km2(shapely.box(1, 0, 1.5, 1)), rel=1e-3
    )
    assert "outside_coverage_dropped" not in kinds(kept)


def test_a_coverage_on_land_is_one_value_kept_by_replace():
    """ControlMap.domain: land ∪ beyond made once, on first read of ``coverage``; the map's
    areas measure against it; dataclasses.replace(as_of=...) and pickling keep the value."""
    import dataclasses
    import datetime as dt
    import pickle

    from mapdiff.model import ControlMap, Coverage

    land, beyond = shapely.box(0, 0, 1, 1), shapely.box(1, 0, 1.5, 1)
    drawn = (shapely.box(0.8, 0, 1.5, 1),)
    cov = Coverage.on_land(land, beyond, drawing=(drawn, drawn))
    m = ControlMap((RU,), drawn, cov, UA, "x")
    assert m.clipped is drawn and "_made" not in cov.__dict__  # the cut known, the union not made
    assert m.coverage is m.coverage and shapely.equals(m.coverage, shapely.box(0, 0, 1.5, 1))
    assert m.area(UA) == pytest.approx(area_km2(shapely.box(0, 0, 0.8, 1)), rel=1e-9)
    later = dataclasses.replace(m, as_of=dt.date(2025, 1, 1))
    assert later.domain is cov and later.clipped is drawn
    back = pickle.loads(pickle.dumps(m))
    assert back.domain.parts is not None and back.clipped is back.geometries
    assert Coverage.whole(None).geometry is None and Coverage.whole(land).parts is None
    assert m.clip(shapely.box(0, 0, 1, 1)).domain.parts is None  # a clip gives its coverage whole
