"""Invariants of DESIGN.md, tested with hypothesis over generated maps, invalid ones included.

Generated features sit on a coarse grid near Pokrovsk so that degenerate cases come up
often: bow-tie rings, repeated and collinear points, labels drawn over each other,
identical features, slivers, points and lines mixed in, empty and missing geometries.

- normalise / read_map never raise anything but a ``MapdiffError``;
- a map's labels do not overlap (pairwise intersection area ≈ 0);
- ``partition(aoi)`` tiles the AOI: its pieces add up to the AOI's area (1e-6 relative)
  and do not overlap. Found here: for a map WITHOUT a background, the land it does not
  draw inside the AOI gets no piece at all (neither a label nor NOT_COVERED), so the
  pieces fall short of the AOI; claims count that land as covered and held by nobody.
  The test checks pieces + undrawn land == AOI; an explicit label for it would be cleaner
  (a proposal for model.py's owner);
- every share lies in [0, 1].
- compare(a, a) disagrees nowhere, and compare is symmetric under transposition.
"""

from __future__ import annotations

import itertools
import json
import os
import warnings

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings, strategies as st

import mapdiff
from mapdiff import normalise
from mapdiff.errors import EmptyMapError, MapdiffError, MapdiffWarning
from mapdiff.labels import Label
from mapdiff.model.measure import area_km2

RU, UA = Label("controlled", "RU"), Label("controlled", "UA")
GREY, ENC = Label("contested", None), Label("encircled", "UA")
LABELS = [RU, UA, GREY, ENC]
# 0.05° (~4-5 km) steps: town-sized AOIs. Below ~1 km, straight lon/lat edges projected as
# chords differ from the pieces' chords by ~1e-5 of the area (measure densifies at 0.01°).
X0, Y0, STEP = 37.0, 48.0, 0.05

# Modest and reproducible by default; MAPDIFF_HYPOTHESIS_EXAMPLES=2000 for a random deep run.
_DEEP = int(os.environ.get("MAPDIFF_HYPOTHESIS_EXAMPLES", "0"))
SETTINGS = settings(
    max_examples=_DEEP or 60,
    deadline=None,
    derandomize=not _DEEP,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)

grid = st.tuples(st.integers(0, 12), st.integers(0, 12)).map(
    lambda ij: (X0 + ij[0] * STEP, Y0 + ij[1] * STEP)
)
ring = st.lists(grid, min_size=3, max_size=7)  # repeats, collinear points, bow-ties


@st.composite
def geometries(draw):
    kind = draw(st.sampled_from(["ring", "ring", "box", "multi", "holed", "point", "line", "empty", "none"]))
    if kind == "ring":
        return shapely.Polygon(draw(ring))
    if kind == "box":
        (x0, y0), (x1, y1) = draw(grid), draw(grid)
        return shapely.box(x0, y0, x1, y1)  # may be degenerate (zero width)
    if kind == "multi":
        return shapely.MultiPolygon(
            [shapely.Polygon(r) for r in draw(st.lists(ring, min_size=1, max_size=3))]
        )
    if kind == "holed":
        (x0, y0) = draw(grid)
        return shapely.Polygon(
            shapely.box(x0, y0, x0 + 0.4, y0 + 0.4).exterior.coords, [draw(ring)]
        )  # the hole may stick out or self-cross
    if kind == "point":
        return shapely.Point(draw(grid))
    if kind == "line":
        return shapely.LineString(draw(st.lists(grid, min_size=2, max_size=4)))
    if kind == "empty":
        return shapely.Polygon()
    return None


features = st.lists(st.tuples(st.sampled_from(LABELS), geometries()), min_size=1, max_size=7)
coverages = st.one_of(
    st.none(),
    st.tuples(grid, grid).map(
        lambda c: shapely.box(
            min(c[0][0], c[1][0]) - 0.1,
            min(c[0][1], c[1][1]) - 0.1,
            max(c[0][0], c[1][0]) + 0.1,
            max(c[0][1], c[1][1]) + 0.1,
        )
    ),
)
aois = st.tuples(grid, st.integers(1, 10), st.integers(1, 10)).map(
    lambda t: shapely.box(t[0][0], t[0][1], t[0][0] + t[1] * STEP, t[0][1] + t[2] * STEP)
)


def _build(feats, coverage, background, precedence):
    with warnings.catch_warnings():
        warnings.simplefilter("error", MapdiffWarning)
        try:
            return normalise(
                feats, coverage=coverage, background=background, precedence=precedence, source="generated"
            )
        except EmptyMapError:
            return None
        except MapdiffError as exc:  # any refusal must at least be ours and say something
            assert str(exc)
            return None


maps = st.builds(_build, features, coverages, st.sampled_from([None, UA]), st.permutations(LABELS))


def _pairwise_overlap_km2(geoms) -> float:
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if len(geoms) < 2:
        return 0.0
    pairs = list(itertools.combinations(range(len(geoms)), 2))
    a = np.array([geoms[i] for i, _ in pairs], dtype=object)
    b = np.array([geoms[j] for _, j in pairs], dtype=object)
    return float(np.sum(area_km2(shapely.intersection(a, b))))


def _check_labels(m):
    assert len(set(m.labels)) == len(m.labels)
    assert all(shapely.is_valid(np.asarray(m.geometries, dtype=object)))
    total = float(np.sum(area_km2(np.asarray(m.geometries, dtype=object))))
    assert _pairwise_overlap_km2(m.geometries) <= 1e-7 * max(total, 1.0)  # overlay noise only


@SETTINGS
@given(maps)
def test_labels_do_not_overlap(m):
    if m is not None:
        _check_labels(m)


def _undrawn_km2(m, aoi, centre_geoms) -> float:
    """Land of ``aoi`` a map without background neither draws nor marks NOT_COVERED."""
    inside = aoi if m.coverage is None else shapely.intersection(aoi, m.coverage)
    rest = shapely.difference(inside, m.drawn_union) if m.geometries else inside
    return float(area_km2(np.asarray([*centre_geoms, rest], dtype=object))[-1])


@SETTINGS
@given(maps, st.one_of(st.none(), aois))
def test_partition_tiles_the_aoi(m, aoi):
    """With a background the pieces add up to the AOI; without one, the pieces plus the
    undrawn land do (partition gives that land no piece: see the module docstring)."""
    if m is None:
        return
    labels, geoms = m.partition(aoi)
    target = m.footprint if aoi is None else aoi
    sizes = area_km2(np.asarray([*geoms, target], dtype=object))
    pieces, whole = sizes[:-1], float(sizes[-1])
    assert len(set(labels)) == len(labels)
    assert (pieces >= 0).all()
    gap = 0.0 if m.background is not None else _undrawn_km2(m, target, [*geoms, target])
    assert float(pieces.sum()) + gap == pytest.approx(whole, rel=1e-6, abs=1e-9)
    assert _pairwise_overlap_km2(list(geoms)) <= 1e-7 * max(whole, 1.0)


@SETTINGS
@given(maps, aois)
def test_shares_lie_in_unit_interval(m, aoi):
    if m is None:
        return
    areas = m.areas(aoi=aoi)
    whole = float(area_km2(aoi))
    assert sum(areas.values()) <= whole * (1 + 1e-6)
    for a in areas.values():
        assert 0.0 <= a / whole <= 1.0 + 1e-6
    for lab in m.all_labels:  # area() of one label agrees with the partition
        share = m.area(lab, aoi=aoi) / whole
        assert -1e-12 <= share <= 1.0 + 1e-6
        assert m.area(lab, aoi=aoi) == pytest.approx(areas.get(lab, 0.0), rel=1e-6, abs=1e-9)


# ------------------------------------------------------------------ read_map on junk
_json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
)
_json = st.recursive(
    _json_leaf,
    lambda kids: st.one_of(
        st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=6), kids, max_size=4)
    ),
    max_leaves=12,
)
_coords = st.recursive(
    st.lists(st.one_of(st.floats(36.9, 37.2), st.none(), st.text(max_size=2)), max_size=3),
    lambda kids: st.lists(kids, max_size=5),
    max_leaves=20,
)
_geojson_geometry = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                ["Polygon", "MultiPolygon", "Point", "LineString", "GeometryCollection", "Circle", "polygon"]
            ),
            "coordinates": st.one_of(_coords, _json),
        }
    ),
    geometries().map(lambda g: None if g is None else shapely.geometry.mapping(g)),
    _json,
)
_feature = st.fixed_dictionaries(
    {
        "type": st.just("Feature"),
        "properties": st.one_of(
            st.fixed_dictionaries(
                {
                    "status": st.sampled_from(["controlled", "contested", "encircled", "", "x"]),
                    "side": st.sampled_from(["RU", "UA", None]),
                }
            ),
            _json,
        ),
        "geometry": _geojson_geometry,
    }
)


@SETTINGS
@given(feats=st.lists(st.one_of(_feature, _json), max_size=5), source=st.sampled_from([None, "generic"]))
def test_read_map_raises_only_mapdiff_errors(feats, source, tmp_path_factory):
    doc = {"type": "FeatureCollection", "features": feats}
    path = tmp_path_factory.mktemp("junk") / "junk.geojson"
    path.write_text(json.dumps(doc, allow_nan=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no stray RuntimeWarning from numpy/shapely either
        warnings.simplefilter("ignore", MapdiffWarning)
        try:
            m = mapdiff.read_map(path, source=source)
        except MapdiffError as exc:
            assert "junk.geojson" in str(exc) or "generic" in str(exc), str(exc)
            return
    _check_labels(m)


# ------------------------------------------------------------------ found by the properties
def test_ring_doubling_back_is_repaired_to_a_valid_polygon():
    g = shapely.Polygon(
        [(37.05, 48), (37, 48.05), (37, 48), (37.05, 48), (37, 48.05), (37, 48.1), (37.05, 48)]
    )
    m = normalise([(RU, g)], source="generated")
    assert m.geometries[0].is_valid
    assert m.area(RU) == pytest.approx(float(area_km2(shapely.make_valid(g))), rel=1e-6)


def test_background_label_also_drawn_counts_once():
    """A label drawn and also implied as background: one piece, and area() agrees."""
    cov = shapely.box(37.0, 48.0, 37.2, 48.2)
    m = normalise(
        [(UA, shapely.box(37.0, 48.0, 37.05, 48.2)), (RU, shapely.box(37.1, 48.0, 37.2, 48.2))],
        coverage=cov,
        background=UA,
        source="generated",
    )
    labels, _ = m.partition()
    assert sorted(map(str, labels)) == ["controlled:RU", "controlled:UA"]
    areas = m.areas()
    assert areas[UA] == pytest.approx(float(area_km2(shapely.box(37.0, 48.0, 37.1, 48.2))), rel=1e-6)
    assert m.area(UA) == pytest.approx(areas[UA], rel=1e-6)


def test_undrawn_land_without_background_has_no_piece():
    """Documents today's behaviour: without a background, undrawn land inside the AOI gets
    no piece (neither a label nor NOT_COVERED); claims count it as covered, held by nobody."""
    m = normalise([(RU, shapely.box(37.0, 48.0, 37.05, 48.1))], source="generated")
    aoi = shapely.box(37.0, 48.0, 37.1, 48.1)
    areas = m.areas(aoi=aoi)
    assert list(areas) == [RU]
    assert mapdiff.check_claim(m, aoi, "RU", 0.5).share == pytest.approx(0.5, rel=1e-3)


# ------------------------------------------------------------------ compare
COMPARE_SETTINGS = settings(SETTINGS, max_examples=_DEEP or 25)


def _build_scoped(feats, coverage, background, precedence):
    # a background is only meaningful inside a coverage (every shipped profile has both)
    return _build(feats, coverage, background if coverage is not None else None, precedence)


scoped_maps = st.builds(
    _build_scoped, features, coverages, st.sampled_from([None, UA]), st.permutations(LABELS)
)


@COMPARE_SETTINGS
@given(scoped_maps)
def test_compare_with_itself_disagrees_nowhere(m):
    if m is None:
        return
    c = mapdiff.compare(m, m)
    tol = 1e-6 * max(c.aoi_km2, 1.0)  # overlay noise only
    assert c.disagreement_km2["real"] == pytest.approx(0.0, abs=tol)
    assert c.disagreement_km2["noise"] == pytest.approx(0.0, abs=tol)
    ct = c.crosstab.to_numpy()
    assert float(ct.sum() - np.trace(ct)) == pytest.approx(0.0, abs=1e-6 * max(c.aoi_km2, 1.0))
    assert float(ct.sum()) == pytest.approx(c.aoi_km2, rel=1e-6)


@COMPARE_SETTINGS
@given(scoped_maps, scoped_maps)
def test_compare_is_symmetric_under_transposition(a, b):
    if a is None or b is None:
        return
    ab, ba = mapdiff.compare(a, b), mapdiff.compare(b, a)
    assert ab.aoi_km2 == pytest.approx(ba.aoi_km2, rel=1e-9)
    t1 = ab.crosstab
    t2 = ba.crosstab.T.reindex(index=t1.index, columns=t1.columns, fill_value=0.0)
    tol = 1e-6 * max(ab.aoi_km2, 1.0)
    assert np.allclose(t1.to_numpy(), t2.to_numpy(), rtol=1e-6, atol=tol)
    for k in ("scope", "noise", "real", "total"):
        assert ab.disagreement_km2[k] == pytest.approx(ba.disagreement_km2[k], rel=1e-6, abs=tol)


def test_densifying_keeps_a_valid_polygons_area():
    # found by the properties (MAPDIFF_HYPOTHESIS_EXAMPLES=1000): shapely.segmentize turned this
    # valid polygon into a MultiPolygon 20% larger (GEOS 3.14); measure.densify works around it
    f = shapely.from_wkt(
        "POLYGON ((37.089285714285715 48.0875, 37.1 48.05, 37.1 48, 37.083333333333336 "
        "48.06666666666667, 37.05 48, 37 48, 37.04 48.24, 37.05 48.20000000000001, 37.05 48.05, "
        "37.08 48.08, 37.082022471910115 48.071910112359554, 37 48.4, 37.04210526315789 "
        "48.25263157894737, 37.05 48.3, 37.05 48.22500000000001, 37.08888888888889 "
        "48.08888888888889, 37.1 48.1, 37.09090909090909 48.081818181818186, 37.089285714285715 48.0875))"
    )
    assert f.is_valid
    from mapdiff.model.measure import densify

    d = densify(f)
    assert d.geom_type == "Polygon" and d.area == pytest.approx(f.area, rel=1e-12)
    # edges are straight in lon/lat (GeoJSON): the yardstick is the geodesic area of the
    # finely densified polygon (its thin spikes make geodesic edges differ by 0.15%)
    assert float(area_km2(f)) == pytest.approx(mapdiff.model.geodesic_area_km2(densify(f, 0.0005)), rel=1e-4)
