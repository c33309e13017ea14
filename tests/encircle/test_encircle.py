"""Encirclement: synthetic maps with known answers, claims, figures, and the real archives."""

from __future__ import annotations

import json

import numpy as np
import pyproj
import pytest
import shapely
from conftest import GREY, RU, UA, shared_file

import mapdiff
from mapdiff import check_claim, encirclement, normalise
from mapdiff.encircle.core import check_encircled_labels
from mapdiff.labels import Label

# A local frame in metres (the same LAEA centre mapdiff picks for a town at 37.2 E, 48.3 N).
_CRS = pyproj.CRS.from_proj4("+proj=laea +lat_0=48.3 +lon_0=37.2 +ellps=WGS84 +units=m")
_INV = pyproj.Transformer.from_crs(_CRS, "EPSG:4326", always_xy=True)
_GEOD = pyproj.Geod(ellps="WGS84")
KM = 1000.0


def ll(geom):
    """Metres in the local frame -> lon/lat."""
    return shapely.transform(
        shapely.segmentize(geom, 200.0), lambda xy: np.column_stack(_INV.transform(xy[:, 0], xy[:, 1]))
    )


def box(x0, y0, x1, y1):
    return shapely.box(x0 * KM, y0 * KM, x1 * KM, y1 * KM)


def disc(r_km):
    return shapely.Point(0, 0).buffer(r_km * KM, quad_segs=64)


TOWN = ll(disc(3))
COVERAGE = box(-30, -30, 30, 30)


def ring_map(gap_km=None, gap_label=None, coverage=COVERAGE):
    """RU holds a ring 6-10 km around the town; an optional gap eastwards, empty or grey."""
    ring = disc(10).difference(disc(6))
    features = []
    if gap_km:
        gap = box(0, -gap_km / 2, 30, gap_km / 2)
        ring = ring.difference(gap)
        if gap_label is not None:
            features.append((gap_label, ll(gap.intersection(disc(10)).difference(disc(6)))))
    features.insert(0, (RU, ll(ring)))
    return normalise(
        features, coverage=ll(coverage), background=UA, source="synthetic", precedence=[RU, GREY]
    )


def geodesic_km(line) -> float:
    xy = np.asarray(line.coords)
    return float(_GEOD.line_length(xy[:, 0], xy[:, 1])) / KM


# ---------------------------------------------------------------------- known answers
def test_closed_ring_is_enclosed():
    e = encirclement(ring_map(), TOWN, by="RU")
    assert e.enclosed is True and e.closed
    assert e.verdict == "enclosed"
    assert e.corridor_km is None and e.corridor_line is None
    assert e.defender == "UA"
    assert e.enclosed_km2 == pytest.approx(e.holding_km2) and e.holding_km2 == pytest.approx(28.27, rel=0.01)
    # the holding within 5 km of the town (the disc inside the ring) borders RU all round
    assert e.perimeter_share == pytest.approx(1.0, abs=0.01)
    assert not e.touches_edge


def test_ring_with_a_2_km_gap_is_open_with_a_2_km_corridor():
    e = encirclement(ring_map(gap_km=2), TOWN, by="RU")
    assert e.enclosed is False and not e.fire_controlled and not e.closed
    assert e.corridor_km == pytest.approx(2.0, abs=0.03)
    assert e.verdict == f"open: corridor {e.corridor_km:.2f} km"
    assert not e.corridor_lower_bound
    # the corridor is drawn across the gap: between 6 and 10 km east, about 2 km long on the ellipsoid
    line = e.corridor_line
    assert geodesic_km(line) == pytest.approx(2.0, abs=0.05)
    mid = shapely.transform(
        line.centroid,
        lambda xy: np.column_stack(
            pyproj.Transformer.from_crs("EPSG:4326", _CRS, always_xy=True).transform(xy[:, 0], xy[:, 1])
        ),
    )
    assert 5.5 * KM < mid.x < 10.5 * KM and abs(mid.y) < 0.5 * KM
    assert 0.5 < e.perimeter_share < 1.0


def test_wider_gap_gives_wider_corridor():
    narrow = encirclement(ring_map(gap_km=1), TOWN, by="RU").corridor_km
    wide = encirclement(ring_map(gap_km=4), TOWN, by="RU").corridor_km
    assert narrow == pytest.approx(1.0, abs=0.03) and wide == pytest.approx(4.0, abs=0.03)


def test_200_m_gap_is_closed_under_fire_control_at_1_km():
    m = ring_map(gap_km=0.2)
    e = encirclement(m, TOWN, by="RU", fire_range_km=1.0)
    assert e.enclosed is False and e.fire_controlled and e.closed
    assert e.corridor_km == pytest.approx(0.2, abs=0.02)
    assert e.verdict == f"enclosed under fire control at 1 km (corridor {e.corridor_km:.2f} km)"
    # without a fire range, or with a range too short to cover the gap, it is open
    assert encirclement(m, TOWN, by="RU").verdict.startswith("open: corridor 0.2")
    assert not encirclement(m, TOWN, by="RU", fire_range_km=0.05).fire_controlled


def test_enclave_touching_the_map_edge_is_enclosed_and_flagged():
    # RU closes a pocket against the western edge of the coverage; UA holds the rest
    cover = box(-5, -30, 30, 30)
    c_shape = box(-5, -8, 8, 8).difference(box(-5, -6, 6, 6))
    m = normalise([(RU, ll(c_shape))], coverage=ll(cover), background=UA, source="synthetic")
    e = encirclement(m, TOWN, by="RU")
    assert e.enclosed is True and e.touches_edge
    assert "edge" in e.verdict
    assert any("edge of the map" in n for n in e.notes)


def test_corridor_through_grey_zone_depends_on_the_policy():
    m = ring_map(gap_km=2, gap_label=GREY)
    passable = encirclement(m, TOWN, by="RU", grey="passable")
    blocking = encirclement(m, TOWN, by="RU", grey="blocking")
    assert passable.enclosed is False and passable.corridor_km == pytest.approx(2.0, abs=0.03)
    assert blocking.enclosed is True and blocking.corridor_km is None
    assert 0 < passable.grey_perimeter_share < 0.5


def test_rear_given_as_a_point_or_a_place():
    m = ring_map(gap_km=2)
    outside = _INV.transform(20 * KM, 20 * KM)
    e = encirclement(m, TOWN, by="RU", rear=outside)
    assert e.corridor_km == pytest.approx(2.0, abs=0.03) and e.rear.startswith("point")
    assert encirclement(ring_map(), TOWN, by="RU", rear=f"{outside[0]},{outside[1]}").enclosed
    with pytest.raises(mapdiff.errors.ArgumentError, match="not on land"):
        encirclement(m, TOWN, by="RU", rear=_INV.transform(0.0, -8 * KM))  # on the RU ring


def test_no_holding_when_the_town_is_taken():
    m = normalise([(RU, ll(disc(12)))], coverage=ll(COVERAGE), background=UA, source="synthetic")
    e = encirclement(m, TOWN, by="RU")
    assert e.enclosed is None and e.verdict.startswith("no holding")
    assert check_claim(m, TOWN, "RU", kind="encircled").verdict == "undetermined"


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"by": "XX"}, mapdiff.errors.UnknownSideError, "side 'XX' is not on the .* map; its sides"),
        ({"by": "RU", "grey": "maybe"}, mapdiff.errors.ArgumentError, "grey-zone policy"),
        ({"by": "RU", "fire_range_km": -1}, mapdiff.errors.ArgumentError, "fire_range_km"),
        ({"by": "RU", "search_km": 0}, mapdiff.errors.ArgumentError, "search_km"),
        ({"by": "RU", "defender": "RU"}, mapdiff.errors.ArgumentError, "defender"),
        ({"by": "RU", "resolution_m": 0}, mapdiff.errors.ArgumentError, "resolution_m"),
    ],
)
def test_bad_arguments_raise_a_clear_error(kwargs, error, match):
    with pytest.raises(error, match=match) as err:
        encirclement(ring_map(), TOWN, **kwargs)
    assert isinstance(err.value, ValueError)


def test_not_a_map_raises():
    with pytest.raises(mapdiff.errors.ArgumentError, match="ControlMap"):
        encirclement("map.geojson", TOWN, by="RU")


# ---------------------------------------------------------------------- claims
def test_encircled_claim_verdicts():
    closed = check_claim(ring_map(), TOWN, "RU", kind="encircled")
    assert closed.verdict == "supported" and closed.detail["enclosed"] is True
    gap = check_claim(ring_map(gap_km=2), TOWN, "RU", kind="encircled")
    assert gap.verdict == "not supported" and gap.detail["corridor_km"] == pytest.approx(2.0, abs=0.03)
    from mapdiff.claims.check import check_encircled_claim

    fire = check_encircled_claim(ring_map(gap_km=0.2), TOWN, "RU", fire_range_km=1.0)
    assert fire.verdict == "within tolerance"
    # the sensitivity table has both grey-zone policies
    grey = check_claim(ring_map(gap_km=2, gap_label=GREY), TOWN, "RU", kind="encircled")
    by_policy = {
        r["policy"]: r["verdict"] for r in grey.sensitivity if r["footprint_kind"] == grey.footprint_kind
    }
    assert by_policy == {"grey passable": "not supported", "grey blocking": "supported"}
    assert json.loads(json.dumps(grey.to_dict()))["detail"]["verdict"].startswith("open")


def test_encircled_claim_without_grey_measures_each_footprint_once(monkeypatch):
    """A map that draws no grey zone gives the same layers under both grey policies: the
    sensitivity table measures each footprint once, and each row is what a fresh
    encirclement under its own policy gives."""
    import mapdiff.claims.check as check

    m = ring_map(gap_km=2)
    calls = []
    real = check.encirclement
    monkeypatch.setattr(check, "encirclement", lambda *a, **kw: calls.append(kw["grey"]) or real(*a, **kw))
    chk = check.check_encircled_claim(m, TOWN, "RU")
    kinds = {r["footprint_kind"] for r in chk.sensitivity}
    assert len(chk.sensitivity) == 2 * len(kinds) and len(calls) == len(kinds)
    fps = {
        f.kind: f
        for f in check.sensitivity_footprints(check.pocket_footprint(TOWN), check.SENSITIVITY_BUFFERS_KM)
    }
    for r in chk.sensitivity:
        e = real(m, fps[r["footprint_kind"]], by="RU", grey=r["policy"].split()[-1])
        assert (r["share"], r["held_km2"], r["corridor_km"]) == (
            e.perimeter_share,
            e.holding_km2,
            e.corridor_km,
        )
        assert r["verdict"] == ("supported" if e.enclosed else "not supported")
    # with a grey gap the policies differ: both are measured for every footprint
    calls.clear()
    grey = check.check_encircled_claim(ring_map(gap_km=2, gap_label=GREY), TOWN, "RU")
    assert len(calls) == 2 * len({r["footprint_kind"] for r in grey.sensitivity})  # the main one among them


def test_source_labelled_encircled_areas_are_checked():
    pocket = Label("encircled", "UA")
    m = normalise(
        [(RU, ll(disc(10).difference(disc(6)))), (pocket, ll(disc(6)))],
        coverage=ll(COVERAGE),
        background=UA,
        source="synthetic",
    )
    (e,) = check_encircled_labels(m)
    assert e.enclosed is True and e.defender == "UA" and e.by == "RU"
    m2 = normalise(
        [(RU, ll(disc(10).difference(disc(6)).difference(box(0, -1, 30, 1)))), (pocket, ll(disc(6)))],
        coverage=ll(COVERAGE),
        background=UA,
        source="synthetic",
    )
    (e2,) = check_encircled_labels(m2)
    assert e2.enclosed is False and e2.corridor_km == pytest.approx(2.0, abs=0.03)


# ---------------------------------------------------------------------- result object
def test_result_serialises_and_renders():
    e = encirclement(ring_map(gap_km=2), TOWN, by="RU", fire_range_km=0.5)
    d = json.loads(json.dumps(e.to_dict()))
    assert {"enclosed", "verdict", "corridor_km"} <= set(d) and d["enclosed"] is False
    assert d["type"] == "encirclement" and d["corridor_line"]["type"] == "LineString"
    assert shapely.geometry.shape(d["corridor_line"]).equals_exact(e.corridor_line, 1e-12)
    assert e.to_frame().shape[0] == 1 and e.to_frame().loc[0, "corridor_km"] == e.corridor_km
    assert e.verdict in e._repr_html_() and "Verdict: open" in str(e)
    closed = encirclement(ring_map(), TOWN, by="RU").to_dict()
    assert closed["enclosed"] is True and closed["corridor_km"] is None
    with pytest.raises(Exception):  # noqa: B017 - frozen dataclass
        e.enclosed = True


def test_figure_shows_holding_encircler_and_corridor(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mapdiff.draw.plot import PALETTE, save_figure

    e = encirclement(ring_map(gap_km=2), TOWN, by="RU")
    ax = e.plot()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "held by RU"
    assert any(t.startswith("UA holding in user polygon") for t in legend)
    assert any(t.startswith("narrowest corridor: 2.0") for t in legend)
    assert ax.get_title().startswith("user polygon: open: corridor 2.0")
    # the view holds the ring (10 km) and is not much bigger
    x0, x1 = ax.get_xlim()
    assert 20 * KM < x1 - x0 < 40 * KM
    out = save_figure(ax, tmp_path / "enc.png", dpi=60)
    img = plt.imread(out)[..., :3]
    plt.close("all")
    ru = np.array(matplotlib.colors.to_rgb(PALETTE["vermillion"]))
    assert (np.abs(img - ru).sum(axis=2) < 0.05).mean() > 0.05  # the ring is drawn
    assert (img.sum(axis=2) < 0.2).sum() > 50  # and the black corridor line


# ---------------------------------------------------------------------- real archives
@pytest.mark.realdata
@pytest.mark.parametrize("rel", ["deepstate/deepstatemap_data_20251127.geojson", "nzz/2025-11-27.json"])
def test_myrnohrad_on_real_maps_is_open_with_a_measured_corridor(rel):
    m = mapdiff.read_map(shared_file(rel))
    e = encirclement(m, "Myrnohrad", by="RU")
    assert e.enclosed is False and e.defender == "UA"
    assert 0.5 < e.corridor_km < 20 and not e.corridor_lower_bound
    # the corridor line spans the measured width (it is drawn through the pinch)
    assert geodesic_km(e.corridor_line) >= 0.95 * e.corridor_km
    c = check_claim(m, "Myrnohrad", "RU", kind="encircled")
    assert c.verdict == "not supported"


def test_a_map_without_a_grey_class_says_the_grey_rule_cannot_matter():
    import mapdiff

    m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))  # DeepState archive: no grey class
    e = mapdiff.encirclement(m, "Myrnohrad", by="RU")
    assert any("no grey-zone class" in n and "cannot differ" in n for n in e.notes)
    assert any("no grey-zone class" in n for n in e.to_dict()["notes"])


# ---------------------------------------------------------------------- fast path == reference path
def _reference_path(monkeypatch):
    """The path without the shortcuts: no bisection step skipped, the full band, no layer cache."""
    from mapdiff.encircle import corridor, passable

    monkeypatch.setattr(corridor, "_skip_bound", lambda holding_m, blocking_m: float("inf"))
    passable._LAYERS.clear()
    monkeypatch.setattr(passable, "_LAYERS", _NoCache())


class _NoCache(dict):
    def setdefault(self, key, default=None):
        return {}


@pytest.mark.parametrize("gap_km", [0.3, 1, 2.5, 6])
@pytest.mark.parametrize("grey", ["passable", "blocking"])
def test_skipped_bisection_steps_and_narrow_band_change_nothing(gap_km, grey, monkeypatch):
    cmap = ring_map(gap_km=gap_km, gap_label=GREY if gap_km == 2.5 else None)
    fast = encirclement(cmap, TOWN, by="RU", grey=grey)
    again = encirclement(cmap, TOWN, by="RU", grey=grey)  # the map's layers reused
    _reference_path(monkeypatch)
    ref = encirclement(cmap, TOWN, by="RU", grey=grey)
    assert fast.to_dict() == again.to_dict() == ref.to_dict()
    if fast.corridor_km is not None:
        assert fast.corridor_km == pytest.approx(gap_km, abs=0.03)


def test_skip_bound_is_never_connected():
    """Above the bound no eroded piece reaches the holding: skipping those steps is exact."""
    import mapdiff.encircle.corridor as E

    ring = disc(10).difference(disc(6)).difference(box(0, -1, 30, 1))
    big = box(-30, -30, 30, 30)
    passable = big.difference(ring)
    blocking = big.difference(passable)
    for r_km in (1, 2, 3, 5):
        holding = disc(r_km)
        bound = E._skip_bound(holding, blocking)
        # the farthest of a dense sample of the holding from blocking land is below the bound
        xs = np.linspace(-r_km * KM, r_km * KM, 81)
        pts = shapely.points(*np.meshgrid(xs, xs))
        pts = pts[shapely.contains(holding, pts)]
        farthest = float(np.max(shapely.distance(pts, blocking)))
        assert farthest < bound * E._BUFFER_COVER < farthest * 1.2 + 100
        parts = E._connected(passable, blocking, holding, None, 0.9 * farthest)[1]
        assert shapely.intersects(parts, holding).any()  # below it, the holding is still reached
        for r in (bound * 1.0001, bound * 1.2):
            assert not E._connected(passable, blocking, holding, None, r)[0]


@pytest.mark.realdata
@pytest.mark.parametrize(
    "rel",
    [
        "deepstate/deepstatemap_data_20251127.geojson",
        "nzz/2025-11-27.json",
        "deepstate_api/deepstatemap_data_20251127_polygons.geojson",
    ],
)
def test_fast_encirclement_equals_the_reference_path_on_real_maps(rel, monkeypatch):
    m = mapdiff.read_map(shared_file(rel))
    cases = [("Pokrovsk", {}), ("Myrnohrad", {"grey": "blocking"}), ("Pokrovsk", {"rear": "Kramatorsk"})]
    fast = [encirclement(m, place, by="RU", **kw).to_dict() for place, kw in cases]
    _reference_path(monkeypatch)
    ref = [encirclement(m, place, by="RU", **kw).to_dict() for place, kw in cases]
    for f, r in zip(fast, ref, strict=True):
        line_f, line_r = f.pop("corridor_line"), r.pop("corridor_line")
        assert f == r
        assert (line_f is None) == (line_r is None)
        if line_f is not None:
            assert np.allclose(line_f["coordinates"], line_r["coordinates"], atol=1e-9)
