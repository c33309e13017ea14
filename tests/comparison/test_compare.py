"""compare(): known answers on hand-built maps, causes, metrics, outputs and invariants (hypothesis)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings, strategies as st

from mapdiff import compare, compare_many, normalise
from mapdiff.errors import ArgumentError
from mapdiff.labels import Label
from mapdiff.model.measure import area_km2

RU = Label("controlled", "RU")
UA = Label("controlled", "UA")
GREY = Label("contested", None)
COV = shapely.box(37.0, 48.0, 37.2, 48.2)


def _map(features, source, coverage=COV, **kw):
    return normalise(features, coverage=coverage, background=UA, source=source, precedence=[RU, GREY], **kw)


def _strip(x0, x1):
    return shapely.box(x0, 48.0, x1, 48.2)


# ----------------------------------------------------------------------- known answers
def test_known_strip_crosstab_and_metrics():
    a = _map([(RU, _strip(37.0, 37.1))], "a")
    b = _map([(RU, _strip(37.0, 37.12))], "b")
    c = compare(a, b)
    sizes = area_km2(
        np.array([_strip(37.0, 37.1), _strip(37.1, 37.12), _strip(37.12, 37.2), COV]), centre=(37.1, 48.1)
    )
    ct = c.crosstab
    assert ct.to_numpy().sum() == pytest.approx(c.aoi_km2, rel=1e-6)
    assert c.aoi_km2 == pytest.approx(sizes[3], rel=1e-6)
    assert ct.loc["controlled:RU", "controlled:RU"] == pytest.approx(sizes[0], rel=1e-6)
    assert ct.loc["controlled:UA", "controlled:RU"] == pytest.approx(sizes[1], rel=1e-6)
    assert ct.loc["controlled:RU", "controlled:UA"] == 0
    assert c.disagreement_km2["real"] == pytest.approx(sizes[1], rel=1e-6)
    assert c.disagreement_km2["scope"] == 0 and c.disagreement_km2["noise"] == 0
    assert c.iou(RU) == pytest.approx(sizes[0] / (sizes[0] + sizes[1]), rel=1e-6)
    m = c.metrics.set_index("label")
    # two classes, one-way difference: all quantity, no allocation (diffeR)
    assert m.loc["overall", "quantity_km2"] == pytest.approx(sizes[1], rel=1e-6)
    assert m.loc["overall", "allocation_km2"] == pytest.approx(0, abs=1e-6)
    assert len(c.components) == 1
    assert c.components.loc[0, "place"]  # a gazetteer name
    assert c.components.loc[0, "area_km2"] == pytest.approx(sizes[1], rel=1e-6)


def test_known_swap_is_allocation_not_quantity():
    a = _map([(RU, _strip(37.0, 37.05))], "a")
    b = _map([(RU, _strip(37.15, 37.2))], "b")
    c = compare(a, b)
    m = c.metrics.set_index("label")
    one = area_km2(_strip(37.0, 37.05), centre=(37.1, 48.1))
    assert m.loc["overall", "quantity_km2"] == pytest.approx(0, abs=0.01 * one)
    assert m.loc["overall", "exchange_km2"] == pytest.approx(2 * one, rel=0.01)
    assert m.loc["controlled:RU", "iou"] == 0


def test_class_in_one_map_only():
    a = _map([(RU, _strip(37.0, 37.1)), (GREY, _strip(37.1, 37.12))], "a")
    b = _map([(RU, _strip(37.0, 37.1))], "b")
    c = compare(a, b)
    assert "contested" in c.crosstab.index and "contested" in c.crosstab.columns
    assert c.iou(GREY) == 0
    m = c.metrics.set_index("label")
    grey = area_km2(_strip(37.1, 37.12), centre=(37.1, 48.1))
    assert m.loc["contested", "quantity_km2"] == pytest.approx(grey, rel=1e-6)
    assert m.loc["contested", "b_km2"] == 0
    assert c.disagreement_km2["real"] == pytest.approx(grey, rel=1e-6)
    assert set(c.disagreement.a_label) == {"contested"}


def test_noise_sliver_and_tolerance_curve():
    a = _map([(RU, _strip(37.0, 37.1))], "a")
    b = _map([(RU, _strip(37.0, 37.1002))], "b")  # ~15 m wide sliver
    c = compare(a, b, noise_m=30)
    assert c.disagreement_km2["real"] == 0
    assert c.disagreement_km2["noise"] > 0
    assert compare(a, b, noise_m=5).disagreement_km2["real"] > 0
    b2 = _map([(RU, _strip(37.0, 37.11))], "b2")  # ~745 m wide strip
    tol = compare(a, b2).tolerance.set_index("d_m").disagreement_km2
    assert tol[0] == pytest.approx(tol[500], rel=1e-6)
    assert tol[1000] == 0
    assert (np.diff(tol.to_numpy()) <= 1e-9).all()


def test_displacement_of_a_shifted_front():
    a = _map([(RU, _strip(37.0, 37.1))], "a")
    b = _map([(RU, _strip(37.0, 37.11))], "b")
    d = compare(a, b).displacement.set_index("side")
    strip_km = 0.01 * 111.32 * np.cos(np.radians(48.1))
    assert d.loc["RU", "median_km"] == pytest.approx(strip_km, rel=0.02)
    assert d.loc["RU", "max_km"] == pytest.approx(strip_km, rel=0.02)
    assert 37.0 <= d.loc["RU", "max_lon"] <= 37.2


def test_not_covered_is_scope():
    a = _map([(RU, _strip(37.0, 37.1))], "a")
    b = _map([(RU, shapely.box(37.0, 48.0, 37.1, 48.1))], "b", coverage=shapely.box(37.0, 48.0, 37.2, 48.1))
    c = compare(a, b)
    assert "not_covered" in c.crosstab.columns
    north = area_km2(shapely.box(37.0, 48.1, 37.2, 48.2), centre=(37.1, 48.1))
    assert c.disagreement_km2["scope"] == pytest.approx(north, rel=1e-6)
    assert c.disagreement_km2["real"] == 0


def test_aoi_forms_and_bad_aoi():
    a = _map([(RU, _strip(37.0, 37.1))], "a")
    b = _map([(RU, _strip(37.0, 37.12))], "b")
    box = shapely.box(37.05, 48.05, 37.15, 48.15)
    c = compare(a, b, aoi=box)
    assert c.aoi_km2 == pytest.approx(area_km2(box), rel=1e-6)
    c2 = compare(a, b, aoi="Pokrovsk")
    assert c2.crosstab.to_numpy().sum() == pytest.approx(c2.aoi_km2, rel=1e-6)
    with pytest.raises(ArgumentError, match="polygonal"):
        compare(a, b, aoi=shapely.Point(37.1, 48.1))
    with pytest.raises(ArgumentError, match="two ControlMaps"):
        compare(a, "not a map")
    with pytest.raises(ArgumentError, match="noise_m"):
        compare(a, b, noise_m=-1)


def test_outputs(tmp_path):
    a = _map([(RU, _strip(37.0, 37.1)), (GREY, _strip(37.1, 37.11))], "a")
    b = _map([(RU, _strip(37.0, 37.12))], "b")
    c = compare(a, b)
    d = json.loads(json.dumps(c.to_dict(), allow_nan=False))
    assert d["schema_version"] == 1
    assert sum(r["area_km2"] for r in d["crosstab"]) == pytest.approx(d["aoi_km2"], rel=1e-6)
    assert set(d["disagreement_km2"]) == {"scope", "noise", "real", "total"}
    assert {"a_status", "a_side", "b_status", "b_side", "area_km2"} <= set(d["crosstab"][0])
    assert d["components"][0]["place"]
    assert c.to_frame().area_km2.sum() == pytest.approx(c.aoi_km2, rel=1e-6)
    out = c.to_file(tmp_path / "d.geojson", what="disagreement")
    import geopandas as gpd

    back = gpd.read_file(out)
    assert set(back.columns) >= {"a_label", "b_label", "area_km2", "cause"}
    assert len(back) == len(c.disagreement)
    assert "Comparison" in c._repr_html_() and "km²" in c._repr_html_()
    assert set(c.pieces.cause) <= {"agree", "scope", "noise", "real"}


def test_plot_has_content():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    a = _map([(RU, _strip(37.0, 37.1))], "a")
    b = _map([(RU, _strip(37.0, 37.12))], "b")
    c = compare(a, b)
    ax = c.plot(places=False, context=False)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[0] == f"both say RU: {c.class_km2['both_a']:,.1f} km²"
    # drawn in the local equal-area projection (metres), the AOI's 14.9 km width in view
    assert 14_000 < ax.get_xlim()[1] - ax.get_xlim()[0] < 17_000
    plt.close(ax.figure)


def test_compare_many_consensus():
    ms = [_map([(RU, _strip(37.0, x))], f"s{i}") for i, x in enumerate((37.1, 37.11, 37.12))]
    r = compare_many(ms)
    assert r.consensus.area_km2.sum() == pytest.approx(r.aoi_km2, rel=1e-6)
    by = r.to_frame().set_index("n_top").area_km2
    assert by[2] == pytest.approx(area_km2(_strip(37.1, 37.12), centre=(37.1, 48.1)), rel=1e-6)
    assert len(r.pairwise) == 3
    assert r.to_dict()["schema_version"] == 1


# ----------------------------------------------------------------------- properties
_cells = st.lists(
    st.tuples(
        st.integers(0, 9),
        st.integers(0, 9),
        st.integers(1, 4),
        st.integers(1, 4),
        st.sampled_from([RU, GREY]),
    ),
    min_size=1,
    max_size=4,
)


def _gen(cells, source):
    feats = [
        (
            lab,
            shapely.box(
                37.0 + 0.02 * x, 48.0 + 0.02 * y, 37.0 + 0.02 * min(x + w, 10), 48.0 + 0.02 * min(y + h, 10)
            ),
        )
        for x, y, w, h, lab in cells
    ]
    return _map(feats, source)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cells, _cells)
def test_properties(ca, cb):
    a, b = _gen(ca, "a"), _gen(cb, "b")
    ab, ba, aa = compare(a, b), compare(b, a), compare(a, a)
    assert aa.disagreement_km2["total"] == pytest.approx(0, abs=1e-9)
    assert ab.crosstab.to_numpy().sum() == pytest.approx(ab.aoi_km2, rel=1e-6)
    t = ba.crosstab.T.reindex(index=ab.crosstab.index, columns=ab.crosstab.columns, fill_value=0.0)
    np.testing.assert_allclose(ab.crosstab.to_numpy(), t.to_numpy(), rtol=1e-9, atol=1e-9)
    iou = ab.metrics.iou.dropna()
    assert ((iou >= 0) & (iou <= 1 + 1e-12)).all()
    assert ab.disagreement_km2["total"] == pytest.approx(ba.disagreement_km2["total"], rel=1e-9, abs=1e-9)


# --------------------------------------------------------------------------- class column
def test_class_is_a_column_of_the_comparison():
    a = _map([(RU, _strip(37.0, 37.1)), (GREY, _strip(37.1, 37.12))], "a")
    b = _map([(RU, _strip(37.0, 37.14))], "b")
    ab, ba = compare(a, b), compare(b, a)
    assert ab.class_sides == ("RU", "UA")
    assert "class" in ab.pieces and "class" in ab.to_gdf()
    assert sum(ab.class_km2.values()) == pytest.approx(ab.aoi_km2, rel=1e-9)
    # swapping the maps swaps "map 1" and "map 2" in the classes, and nothing else
    swap = {"only_1_a": "only_2_a", "only_2_a": "only_1_a", "grey_1_a": "grey_2_a", "grey_2_a": "grey_1_a"}
    assert {swap.get(k, k): v for k, v in ab.class_km2.items()} == pytest.approx(ba.class_km2, rel=1e-9)
    assert ab.class_km2["only_2_a"] == pytest.approx(area_km2(_strip(37.12, 37.14)), rel=1e-3)
    # grey on map a where b says RU
    assert ab.class_km2["grey_1_a"] == pytest.approx(area_km2(_strip(37.1, 37.12)), rel=1e-3)
    # the same map twice: both say one side everywhere, or grey on both
    assert set(compare(a, a).class_km2) <= {"both_a", "both_b", "grey_both"}
    # other sides on request, the column untouched
    flipped = ab.classes(side_a="UA", side_b="RU")
    assert set(flipped[ab.pieces["class"].to_numpy() == "both_a"]) == {"both_b"}
    assert ab.to_dict()["class_km2"] == ab.class_km2


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.integers(-50, 50), st.integers(-50, 50)), min_size=2, max_size=12),
        min_size=1,
        max_size=4,
    ),
    st.floats(3.0, 200.0),
)
def test_sample_lines_matches_line_interpolate_point(parts, step):
    """The numpy sampler of the displacement gives GEOS's points, part by part (repeated
    vertices and zero-length parts included)."""
    from mapdiff.comparison.lines import sample_lines

    lines = [shapely.LineString(np.asarray(c, float) * 37.0) for c in parts]
    ml = shapely.MultiLineString(lines)
    got = shapely.get_coordinates(sample_lines(ml, step))
    want = []
    for ln in lines:
        n = max(int(np.ceil(ln.length / step)), 1)
        want.append(
            shapely.get_coordinates(
                shapely.line_interpolate_point(ln, np.linspace(0, 1, n + 1), normalized=True)
            )
        )
    want = np.concatenate(want)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-7)


def test_a_source_without_a_grey_class_says_so(square_map, cli):
    """Comparing with a map whose source has no grey-zone class names that in JSON and text;
    two maps that both have one (or both draw grey) give no such note."""
    import mapdiff

    sample = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))  # the DeepState archive: no grey class
    assert not sample.has_grey
    c = compare(sample, mapdiff.read_map(mapdiff.sample_path("2025-12-15")))
    assert c.grey_notes == ("deepstate: this source has no grey-zone class",)
    assert "no grey-zone class" in c.to_dict()["grey_notes"][0]
    assert square_map.has_grey and compare(square_map, square_map).grey_notes == ()
    out = cli("compare", mapdiff.sample_path("2025-11-27"), mapdiff.sample_path("2025-12-15"))
    assert out.returncode == 0 and "grey zone:" in out.stdout and "no grey-zone class" in out.stdout


def test_json_numbers_are_the_dataframe_methods_numbers():
    """to_dict() is made from numpy columns (no pandas, issue 28); it gives the numbers of
    the DataFrame properties: metrics, displacement, tolerance and components equal, the
    crosstab cells and km² by cause/class equal to a few units in the last place (both
    compensated sums, pandas' unsorted groupby adds in another order)."""
    import mapdiff

    a, b = (mapdiff.read_map(mapdiff.sample_path(d)) for d in ("2025-11-20", "2025-11-27"))
    c = mapdiff.compare(a, b)
    d = c.to_dict(top=1000)

    def records(df):
        return [
            {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in r.items()}
            for r in df.to_dict(orient="records")
        ]

    assert d["metrics"] == records(c.metrics)
    assert d["displacement"] == records(c.displacement)
    assert d["tolerance"] == records(c.tolerance)
    assert d["components"] == records(c.components.drop(columns="geometry"))
    long = c.to_frame()
    assert len(d["crosstab"]) == len(long)
    for r, (_, x) in zip(d["crosstab"], long.iterrows(), strict=True):
        assert (r["a_status"], r["b_status"]) == (x.a_status, x.b_status)
        assert r["area_km2"] == pytest.approx(x.area_km2, rel=1e-14, abs=1e-12)
    by_cause = c._table.groupby("cause")["area_km2"].sum()
    for k in ("scope", "noise", "real"):
        assert d["disagreement_km2"][k] == pytest.approx(float(by_cause.get(k, 0.0)), rel=1e-14, abs=1e-12)
    by_class = c._table.groupby("class")["area_km2"].sum()
    assert d["class_km2"] == pytest.approx({k: float(v) for k, v in by_class.items()}, rel=1e-14, abs=1e-12)
    assert c.crosstab.to_numpy().sum() == pytest.approx(sum(r["area_km2"] for r in d["crosstab"]), rel=1e-14)


def _core():
    """The comparison module, whose names the tests patch."""
    import mapdiff.comparison.core

    return mapdiff.comparison.core


#: where the displacement's reference (per-point) path lives
import mapdiff.comparison.lines as L  # noqa: E402


def _same_stats(fast: dict, ref: dict, tol_km: float = 1e-9) -> None:
    """Equal point counts; median, p90 and max within ``tol_km``. The fast sampler's points
    are GEOS's to ~1e-8 m (cumulative vertex distances instead of GEOS's walk along each
    part) and a distance moves no more than its point, so 1e-9 km (1 µm) bounds it with a
    wide margin; the index changes no distance (the nearest segment's is the line's)."""
    assert fast["n_points"] == ref["n_points"]
    for k in ("median_km", "p90_km", "max_km"):
        assert abs(fast[k] - ref[k]) <= tol_km, (k, fast[k], ref[k])


_LINES = st.lists(
    st.lists(st.tuples(st.integers(-60, 60), st.integers(-60, 60)), min_size=2, max_size=10),
    min_size=1,
    max_size=3,
)


@settings(max_examples=40, deadline=None)
@given(_LINES, _LINES)
def test_displacement_stats_equal_the_point_by_point_reference(parts_a, parts_b):
    """The displacement's fast path (numpy sampler, one STRtree of the other line's segments,
    query_nearest in bulk) gives the plain per-point path's median, p90 and max."""
    C = _core()

    def ml(parts):
        return shapely.MultiLineString([np.asarray(p, float) * 40.0 for p in parts])

    a, b = ml(parts_a), ml(parts_b)
    if a.length == 0 or b.length == 0:
        return  # a line of no length has no segment to measure to

    def unproj(xy):
        return xy

    _same_stats(C.displacement_stats(a, b, unproj), L.displacement_stats_reference(a, b, unproj))


def test_displacement_stats_distances_are_each_points_distance_to_the_line():
    """The nearest-segment tree (nodes of 4) changes no distance: on the same sample points,
    the stats equal those of ``shapely.distance`` to the whole other line, bit for bit."""
    rng = np.random.default_rng(28)

    def walk(n):
        return shapely.MultiLineString([np.cumsum(rng.normal(0.0, 80.0, (400, 2)), axis=0) for _ in range(n)])

    a, b = walk(4), walk(5)

    def unproj(xy):
        return xy

    step = max(50.0, (a.length + b.length) / 20000.0)
    pa, pb = L.sample_lines(a, step), L.sample_lines(b, step)
    dist = np.concatenate([shapely.distance(pa, b), shapely.distance(pb, a)])
    assert L.displacement_stats(a, b, unproj) == L._stats(np.concatenate([pa, pb]), dist, unproj)


@pytest.mark.parametrize(
    ("rel_a", "rel_b", "aoi"),
    [
        ("deepstate/deepstatemap_data_20251127.geojson", "nzz/2025-11-27.json", "Pokrovsk"),
        ("deepstate/deepstatemap_data_20251120.geojson", "owl/20251127.json", "Kupiansk"),
    ],
)
def test_real_displacement_equals_the_point_by_point_reference(rel_a, rel_b, aoi, monkeypatch):
    """Real fronts (a place as AOI keeps the per-point reference fast enough for a test):
    the same median, p90 and max per side as the plain per-point path."""
    from conftest import shared_file

    import mapdiff

    C = _core()
    a, b = (mapdiff.read_map(shared_file(r)) for r in (rel_a, rel_b))
    fast = compare(a, b, aoi=aoi).displacement
    with monkeypatch.context() as m:
        m.setattr(C, "displacement_stats", L.displacement_stats_reference)
        ref = compare(a, b, aoi=aoi).displacement
    assert list(fast.side) == list(ref.side) and (fast.n_points > 0).any()
    for f, r in zip(fast.to_dict("records"), ref.to_dict("records"), strict=True):
        if r["n_points"]:
            _same_stats(f, r)


def test_threads_change_no_number(monkeypatch):
    """The JSON's GEOS steps run on threads (comparison._common.THREADS); in turn, the same JSON."""
    import mapdiff
    import mapdiff.comparison._common as common

    a, b = (mapdiff.read_map(mapdiff.sample_path(d)) for d in ("2025-11-20", "2025-11-27"))
    out = {}
    for n in (1, 4):
        monkeypatch.setattr(common, "THREADS", n)
        out[n] = mapdiff.compare(a, b).to_dict()
    assert out[1] == out[4]
