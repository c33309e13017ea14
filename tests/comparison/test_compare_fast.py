"""compare()'s whole-front path (two maps read on one land outline: only what they draw is
overlaid) against the tiled path it replaces (each map tiles the AOI, the tilings overlaid).

The two paths cut the same areas in a different order, so their pieces differ by rounding
(nodes computed from other segment pairs): equal within 1e-6 of the AOI's km² on
hand-drawn maps, and within 1e-3 km² per crosstab cell on the real whole front.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from conftest import RU, shared_file
from hypothesis import HealthCheck, given, settings, strategies as st

import mapdiff
import mapdiff.comparison.core as C
from mapdiff.model.coverage import Coverage
from mapdiff.model.measure import area_km2, geodesic_area_km2
from mapdiff.places.regions import region


def _read(tmp_path, name, geoms):
    """A DeepState-profile map (coverage: Ukraine's land plus what it draws past it)."""
    feats = [
        {"type": "Feature", "properties": {}, "geometry": json.loads(shapely.to_geojson(g))} for g in geoms
    ]
    path = tmp_path / f"{name}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return mapdiff.read_map(path, source="deepstate", as_of="2025-11-27")


def _tiled(a, b, monkeypatch, **kw):
    with monkeypatch.context() as m:
        m.setattr(C, "drawn_only", lambda a, b: None)
        return mapdiff.compare(a, b, **kw)


def _same(fast, tiled, atol):
    assert fast.aoi_km2 == pytest.approx(tiled.aoi_km2, abs=atol)
    t1 = fast.crosstab
    t2 = tiled.crosstab.reindex(index=t1.index, columns=t1.columns, fill_value=0.0)
    assert list(t1.index) == list(tiled.crosstab.index)
    assert np.allclose(t1.to_numpy(), t2.to_numpy(), rtol=0, atol=atol)
    for k in ("scope", "noise", "real", "total"):
        assert fast.disagreement_km2[k] == pytest.approx(tiled.disagreement_km2[k], abs=atol)
    assert fast.class_km2.keys() == tiled.class_km2.keys()
    for k, v in tiled.class_km2.items():
        assert fast.class_km2[k] == pytest.approx(v, abs=atol)


# Odesa's coast: a drawing that runs into the Black Sea (kept up to the maritime outline)
COAST_A = shapely.box(30.4, 46.3, 30.8, 46.6)
COAST_B = shapely.box(30.55, 46.35, 30.85, 46.6)
INLAND = shapely.box(37.0, 48.0, 37.2, 48.2)


def test_whole_front_path_equals_the_tiled_path(tmp_path, monkeypatch):
    a = _read(tmp_path, "a", [COAST_A, INLAND])
    b = _read(tmp_path, "b", [COAST_B, shapely.box(37.05, 48.0, 37.25, 48.2)])
    assert a.domain.parts is not None and b.domain.parts is not None  # read on the land outline
    assert a.domain.beyond is not None  # drawn past the land
    fast = mapdiff.compare(a, b)
    assert callable(fast._aoi)  # the whole-front path: the AOI not built yet
    tiled = _tiled(a, b, monkeypatch)
    _same(fast, tiled, atol=1e-6 * tiled.aoi_km2)
    # what both do not draw: one piece, its km² the AOI's less the drawn pieces
    assert fast.pieces.area_km2.sum() == pytest.approx(fast.aoi_km2, rel=1e-12)
    bg = fast.pieces[(fast.pieces.a_status == "controlled") & (fast.pieces.a_side == "UA")]
    bg = bg[bg.b_side == "UA"]
    assert len(bg) == 1
    assert bg.area_km2.iloc[0] == pytest.approx(area_km2(bg.geometry.iloc[0], centre=fast._centre), rel=1e-9)
    # ... and the AOI, built when asked, is the union of the two coverages
    assert shapely.symmetric_difference(fast.aoi, tiled.aoi).area == pytest.approx(0, abs=1e-12)
    # drawn past the land by one map only: scope (the other does not cover it)
    past = fast.pieces[(fast.pieces.b_status == "not_covered") | (fast.pieces.a_status == "not_covered")]
    assert len(past) and (past.cause == "scope").all()
    assert len(fast.components) == len(tiled.components)
    # every output that carries geometry has the made cell: no empty or missing geometry
    gdf = fast.to_gdf()
    assert len(gdf) == len(fast.pieces) and not gdf.geometry.isna().any() and not gdf.geometry.is_empty.any()
    import geopandas as gpd

    back = gpd.read_file(fast.to_file(tmp_path / "c.gpkg"), layer="c")
    assert len(back) == len(gdf) and back.area_km2.sum() == pytest.approx(fast.aoi_km2, rel=1e-9)
    d1, d2 = fast.displacement.set_index("side"), tiled.displacement.set_index("side")
    assert np.allclose(d1.median_km, d2.median_km, atol=1e-6)


def test_drawn_water_is_measured_against_geodesic(tmp_path):
    """The km² of the piece drawn past the land by one map only: its drawing less the other's,
    less Ukraine's land (geodesic, independent of the projection)."""
    a = _read(tmp_path, "a", [COAST_A])
    b = _read(tmp_path, "b", [COAST_B])
    c = mapdiff.compare(a, b)
    ct = c.crosstab
    drawn_a = shapely.intersection(COAST_A, shapely.union(region("ukraine"), a.domain.beyond))
    only_a_water = shapely.difference(shapely.difference(drawn_a, COAST_B), region("ukraine"))
    assert ct.loc[str(RU), "not_covered"] == pytest.approx(geodesic_area_km2(only_a_water), rel=1e-3)
    both = geodesic_area_km2(shapely.intersection(drawn_a, shapely.intersection(COAST_B, b.coverage)))
    assert ct.loc[str(RU), str(RU)] == pytest.approx(both, rel=1e-3)


def test_other_aoi_or_backgrounds_take_the_tiled_path(tmp_path, square_map):
    a = _read(tmp_path, "a", [INLAND])
    b = _read(tmp_path, "b", [shapely.box(37.05, 48.0, 37.25, 48.2)])
    assert not callable(mapdiff.compare(a, b, aoi=shapely.box(36.9, 47.9, 37.3, 48.3))._aoi)
    assert C.drawn_only(a, square_map) is None  # not read on the land outline


def test_a_map_drawing_its_background_gives_one_piece_per_label_pair(tmp_path, monkeypatch):
    """DeepState's API file draws UA-held land too: pieces of one label pair are one piece,
    as the tiled path gives them (noise is judged on whole parts)."""
    import dataclasses

    a = _read(tmp_path, "a", [INLAND])
    b = _read(tmp_path, "b", [shapely.box(37.0, 48.0, 37.08, 48.2)])
    ua = mapdiff.labels.Label("controlled", "UA")  # b's background, drawn as well
    b = dataclasses.replace(
        b, labels=(*b.labels, ua), geometries=(*b.geometries, shapely.box(37.1, 48.0, 37.3, 48.2))
    )
    fast = mapdiff.compare(a, b)
    assert callable(fast._aoi)
    p = fast.pieces[fast.pieces.cause == "agree"]
    pairs = list(zip(p.a_status, p.a_side, p.b_status, p.b_side, strict=True))
    assert len(pairs) == len(set(pairs))  # agreeing pieces: one per label pair
    tiled = _tiled(a, b, monkeypatch)
    _same(fast, tiled, atol=1e-6 * tiled.aoi_km2)


def _mostly_land(g) -> bool:  # DeepState's profile drops a polygon mostly off its coverage
    land = region("ukraine")
    return shapely.intersection(g, land).area > 0.6 * g.area and land.contains(shapely.point_on_surface(g))


_box = (
    st.tuples(st.floats(30.4, 30.6), st.floats(46.3, 46.5), st.floats(0.05, 0.3), st.floats(0.05, 0.2))
    .map(lambda t: shapely.box(t[0], t[1], t[0] + t[2], t[1] + t[3]))
    .filter(_mostly_land)
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(_box, min_size=1, max_size=3), st.lists(_box, min_size=1, max_size=3))
def test_whole_front_path_invariants(tmp_path, monkeypatch, boxes_a, boxes_b):
    """Random drawings on the coast: the whole-front path gives the tiled path's numbers,
    and its pieces tile the AOI."""
    a, b = _read(tmp_path, "a", boxes_a), _read(tmp_path, "b", boxes_b)
    fast = mapdiff.compare(a, b)
    tiled = _tiled(a, b, monkeypatch)
    _same(fast, tiled, atol=1e-6 * tiled.aoi_km2)
    assert fast.crosstab.to_numpy().sum() == pytest.approx(fast.aoi_km2, rel=1e-9)


@pytest.mark.realdata
def test_real_whole_front_both_paths(monkeypatch):
    """DeepState vs NZZ (2025-11-27) and NZZ vs DeepState's API file (grey zone, UA drawn):
    crosstab cells within 1e-3 km², causes within 1e-3 km², same components' km² and front
    displacement (median) within 10 m."""
    for pa, pb in (
        ("deepstate/deepstatemap_data_20251127.geojson", "nzz/2025-11-27.json"),
        ("nzz/2025-11-27.json", "deepstate_api/deepstatemap_data_20251127_polygons.geojson"),
    ):
        a, b = mapdiff.read_map(shared_file(pa)), mapdiff.read_map(shared_file(pb))
        fast = mapdiff.compare(a, b)
        assert callable(fast._aoi)
        tiled = _tiled(a, b, monkeypatch)
        _same(fast, tiled, atol=1e-3)
        top_f, top_t = fast.components.area_km2.head(20), tiled.components.area_km2.head(20)
        assert np.allclose(top_f, top_t, rtol=0, atol=1e-3)
        assert (fast.components.area_km2 > 0).all()
        d1, d2 = fast.displacement.set_index("side"), tiled.displacement.set_index("side")
        assert np.allclose(d1.median_km, d2.median_km, atol=0.01)


def test_deferred_coverage_is_made_once_and_survives_pickling(tmp_path):
    """A read map's coverage (land ∪ its drawing past the land) is made when first read,
    then kept; a pickled map (process pools, dask) gives the same coverage."""
    import pickle

    a = _read(tmp_path, "a", [COAST_A])
    assert "_made" not in a.domain.__dict__  # not made by reading
    back = pickle.loads(pickle.dumps(a))
    land, beyond = a.domain.parts
    cov = a.coverage
    assert cov is a.coverage  # made once
    assert shapely.equals(cov, shapely.union(land, beyond))
    assert shapely.equals(back.coverage, cov)
    assert back.area(RU) == pytest.approx(a.area(RU), rel=1e-12)


def test_a_redated_map_keeps_the_whole_front_path(tmp_path, monkeypatch):
    """dataclasses.replace(m, as_of=...) (history dates a release by its file name) keeps
    the coverage reading made, land ∪ the drawing past it, unmade: the whole-front path."""
    import dataclasses
    import datetime as dt

    a = _read(tmp_path, "a", [COAST_A, INLAND])
    b = _read(tmp_path, "b", [COAST_B])
    redated = dataclasses.replace(a, as_of=dt.date(2025, 11, 20))
    fast = mapdiff.compare(redated, b)
    assert callable(fast._aoi)  # the whole-front path
    assert redated.domain is a.domain and "_made" not in a.domain.__dict__  # the union not made
    assert redated.clipped is a.clipped  # the drawing as reading cut it
    _same(fast, _tiled(redated, b, monkeypatch), atol=1e-6 * fast.aoi_km2)


def test_a_map_given_another_drawing_speaks_on_its_coverage_made_whole(tmp_path, monkeypatch):
    """dataclasses.replace(m, geometries=...) of a map drawn past the land: that beyond was
    the old drawing's, so the map keeps the same coverage, given whole, and compare() tiles."""
    import dataclasses

    a = _read(tmp_path, "a", [COAST_A])
    b = _read(tmp_path, "b", [COAST_B])
    redrawn = dataclasses.replace(a, geometries=tuple(list(a.geometries)))
    assert a.domain.parts is not None and redrawn.domain.parts is None
    assert shapely.equals(redrawn.coverage, a.coverage)
    c = mapdiff.compare(redrawn, b)
    assert not callable(c._aoi)
    _same(c, mapdiff.compare(a, b), atol=1e-6 * c.aoi_km2)


def test_a_map_whose_coverage_was_replaced_takes_the_tiled_path(tmp_path, monkeypatch):
    """The whole-front path takes a map's (land, beyond) while its coverage is the one
    reading made of them: made or not yet, pickled or not; a coverage given whole
    (dataclasses.replace(m, domain=Coverage.whole(...))) sends the comparison down the
    tiled path."""
    import dataclasses
    import pickle

    a = _read(tmp_path, "a", [COAST_A])
    b = _read(tmp_path, "b", [COAST_B])
    assert callable(mapdiff.compare(a, b)._aoi)
    a.coverage  # noqa: B018 - made now: still the same parts
    a2, b2 = pickle.loads(pickle.dumps((a, b)))  # one land outline, pickled together
    assert callable(mapdiff.compare(a2, b2)._aoi)
    smaller = dataclasses.replace(
        a, domain=Coverage.whole(shapely.intersection(a.coverage, shapely.box(30.0, 46.0, 30.7, 47.0)))
    )
    assert smaller.domain.parts is None  # no stale parts to trust
    c = mapdiff.compare(smaller, b)
    assert not callable(c._aoi)
    _same(c, _tiled(smaller, b, monkeypatch), atol=1e-9)


def test_the_aoi_built_when_asked_is_not_measured_again(tmp_path, monkeypatch):
    """The whole-front AOI, built when asked, is ``resolve_aoi(None, maps)`` exactly; its
    emptiness check reads the km² compare() measured from the pieces (no projection of it)."""
    import mapdiff.comparison._common as common
    from mapdiff.errors import EmptyMapError

    a = _read(tmp_path, "a", [COAST_A, INLAND])
    b = _read(tmp_path, "b", [COAST_B, shapely.box(37.05, 48.0, 37.25, 48.2)])
    fast = mapdiff.compare(a, b)
    assert callable(fast._aoi)
    measured = []
    monkeypatch.setattr(common, "area_km2", lambda g, **kw: measured.append(g) or area_km2(g, **kw))
    built = fast.aoi
    assert measured == []
    direct = common.resolve_aoi(None, (a, b))
    assert len(measured) == 1 and shapely.equals_exact(built, direct, 0.0)
    assert area_km2(direct) == pytest.approx(fast.aoi_km2, rel=1e-9)
    with pytest.raises(EmptyMapError):
        common.resolve_aoi(None, (a, b), km2=0.0)
