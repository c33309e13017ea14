"""Claim checks: grey-zone policies on hand-built maps with known answers, verdicts, the
sensitivity table, coverage, the ledger, and the real Pokrovsk shares against an
independent geodesic computation."""

from __future__ import annotations

import datetime as dt
import json

import matplotlib
import numpy as np
import pytest
import shapely
from conftest import GREY, RU, UA, shared_file
from hypothesis import given, settings, strategies as st

import mapdiff
from mapdiff import check_claim, normalise
from mapdiff.claims.check import CAPTURED_THRESHOLD, POLICIES, parse_claimed
from mapdiff.errors import CoverageError, UnknownPlaceError
from mapdiff.labels import Label
from mapdiff.model.measure import geodesic_area_km2
from mapdiff.places.footprints import footprint, footprint_from_geometry

SQUARE = shapely.box(37.0, 48.0, 37.2, 48.2)


def _strip_map(ru_east: float, grey_east: float | None = None, coverage=SQUARE, background=UA):
    """RU holds lon 37.0..ru_east, grey ru_east..grey_east, the rest is the background."""
    feats = [(RU, shapely.box(37.0, 48.0, ru_east, 48.2))]
    if grey_east is not None and grey_east > ru_east:
        feats.append((GREY, shapely.box(ru_east, 48.0, grey_east, 48.2)))
    return normalise(
        feats,
        coverage=coverage,
        background=background,
        source="synthetic",
        as_of=dt.date(2025, 11, 20),
        precedence=[RU, GREY],
    )


# ------------------------------------------------------------------ policies: known answers
@pytest.mark.parametrize(
    "policy, expected", [("nobody", 0.5), ("half", 0.55), ("claimant", 0.6), ("excluded", 0.5 / 0.9)]
)
def test_each_grey_zone_policy_on_a_known_map(square_map, policy, expected):
    # square_map: RU holds lon 37.0-37.1 (50%), grey 37.1-37.12 (10%), UA the rest (40%)
    fp = footprint_from_geometry(SQUARE, name="square")
    chk = check_claim(square_map, fp, "RU", 0.5, policy=policy)
    assert chk.policies[policy] == pytest.approx(expected, abs=1e-6)
    assert chk.share == pytest.approx(expected, abs=1e-6)
    assert chk.policy == policy
    assert chk.held_km2 == pytest.approx(geodesic_area_km2(shapely.box(37.0, 48.0, 37.1, 48.2)), rel=1e-4)
    assert chk.grey_km2 == pytest.approx(geodesic_area_km2(shapely.box(37.1, 48.0, 37.12, 48.2)), rel=1e-4)
    assert chk.footprint_km2 == pytest.approx(geodesic_area_km2(SQUARE), rel=1e-4)
    assert chk.covered_km2 == pytest.approx(chk.footprint_km2)


@pytest.mark.parametrize(
    "policy, verdict",
    [
        ("nobody", "within tolerance"),
        ("half", "supported"),
        ("claimant", "supported"),
        ("excluded", "supported"),
    ],
)
def test_verdict_depends_on_the_policy(square_map, policy, verdict):
    chk = check_claim(square_map, SQUARE, "RU", "55%", policy=policy)
    assert chk.verdict == verdict
    assert chk.supported == (verdict == "supported")


def test_not_supported_and_km2_short(square_map):
    chk = check_claim(square_map, SQUARE, "RU", 70)
    assert chk.verdict == "not supported"
    total = chk.footprint_km2
    assert chk.short_km2 == pytest.approx(0.2 * total, rel=1e-5)
    # the grey zone counted for the claimant: 60% held, 10% short
    chk = check_claim(square_map, SQUARE, "RU", 70, policy="claimant")
    assert chk.short_km2 == pytest.approx(0.1 * total, rel=1e-5)
    # grey excluded: 0.7 * 90% of the area minus 50% held
    chk = check_claim(square_map, SQUARE, "RU", 70, policy="excluded")
    assert chk.short_km2 == pytest.approx((0.7 * 0.9 - 0.5) * total, rel=1e-5)
    assert check_claim(square_map, SQUARE, "RU", 0.4).short_km2 == 0


def test_other_side_and_encircled_status_count_as_held():
    enc = Label("encircled", "UA")
    m = normalise(
        [(RU, shapely.box(37.0, 48.0, 37.1, 48.2)), (enc, shapely.box(37.1, 48.0, 37.15, 48.2))],
        coverage=SQUARE,
        background=UA,
        source="synthetic",
    )
    ua = check_claim(m, SQUARE, "UA", 0.5)
    assert ua.share == pytest.approx(0.5, abs=1e-6)  # 25% encircled + 25% controlled
    assert ua.verdict == "supported"
    # a side the map does not have is an error naming its sides, never a silent 0% (issue 12)
    with pytest.raises(mapdiff.errors.UnknownSideError, match="its sides: RU, UA"):
        check_claim(m, SQUARE, "XX", 0.1)


def test_captured_uses_the_threshold():
    assert CAPTURED_THRESHOLD == 0.95
    assert check_claim(_strip_map(37.192), SQUARE, "RU", kind="captured").verdict == "supported"
    assert check_claim(_strip_map(37.184), SQUARE, "RU", kind="captured").verdict == "within tolerance"
    chk = check_claim(_strip_map(37.1), SQUARE, "RU", kind="captured")
    assert chk.verdict == "not supported" and chk.claimed == CAPTURED_THRESHOLD
    assert chk.short_km2 == pytest.approx(0.45 * chk.footprint_km2, rel=1e-5)


@pytest.mark.parametrize("value", [0.7, "0.7", "70%", 70, "70", " 70 % "])
def test_claimed_value_forms(value):
    assert parse_claimed(value) == pytest.approx(0.7)


@pytest.mark.parametrize("value", [150, "101%", -5, "abc", float("nan")])
def test_bad_claimed_values(square_map, value):
    with pytest.raises(mapdiff.errors.ArgumentError, match="claimed share"):
        check_claim(square_map, SQUARE, "RU", value)


def test_bad_arguments(square_map):
    with pytest.raises(mapdiff.errors.ArgumentError, match="unknown claim kind"):
        check_claim(square_map, SQUARE, "RU", 0.5, kind="liberated")
    with pytest.raises(mapdiff.errors.ArgumentError, match="unknown grey-zone policy"):
        check_claim(square_map, SQUARE, "RU", 0.5, policy="all")
    with pytest.raises(mapdiff.errors.ArgumentError, match="needs a claimed value"):
        check_claim(square_map, SQUARE, "RU")
    with pytest.raises(mapdiff.errors.ArgumentError, match="needs a ControlMap"):
        check_claim("map.geojson", SQUARE, "RU", 0.5)
    with pytest.raises(mapdiff.errors.ArgumentError, match="tolerance"):
        check_claim(square_map, SQUARE, "RU", 0.5, tolerance=2)


# ------------------------------------------------------------------ sensitivity
def test_sensitivity_table_user_polygon(square_map):
    fp = footprint_from_geometry(shapely.box(37.05, 48.05, 37.15, 48.15), name="inner")
    chk = check_claim(square_map, fp, "RU", 0.5)
    df = chk.to_frame()
    assert list(df.columns) == [
        "footprint_kind",
        "footprint_km2",
        "approximate",
        "policy",
        "share",
        "held_km2",
        "verdict",
    ]
    assert set(df["footprint_kind"]) == {"user", "user+2km"}
    assert len(df) == 2 * len(POLICIES)
    inner = df[df.footprint_kind == "user"].set_index("policy")["share"]
    assert inner.to_dict() == pytest.approx(chk.policies)
    grown = df[df.footprint_kind == "user+2km"]
    assert (grown.footprint_km2 > chk.footprint_km2 + 20).all()
    # the 2 km ring reaches further into UA land: share falls
    assert grown.set_index("policy").loc["nobody", "share"] < chk.share
    assert df.share.between(0, 1).all()


def test_sensitivity_table_gazetteer_place_and_text():
    m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    chk = check_claim(m, "Krasnoarmeysk", "RU", "70%")
    assert chk.place == "Pokrovsk" and not chk.approximate and chk.footprint_kind == "city_limits"
    # every rung the place has, the town estimates also buffered
    assert list(dict.fromkeys(chk.to_frame()["footprint_kind"])) == [
        "city_limits",
        "city_limits+2km",
        "community",
        "approximate",
        "approximate+2km",
    ]
    assert "APPROXIMATE" not in chk.summary()
    table = chk.sensitivity_text()
    assert "approximate+2km (≈)" in table and "(≈) approximate footprint" in table
    assert "community (≥)" in table and "upper bound" in table
    assert not any("approximate footprint" in n for n in chk.notes)
    # the same claim on the approximate rung is flagged everywhere
    approx = check_claim(m, "Krasnoarmeysk", "RU", "70%", footprint_kind="approximate")
    assert approx.approximate and "APPROXIMATE" in approx.summary()
    assert "not supported".upper() in approx.summary()
    assert any("approximate footprint" in n for n in approx.notes)


# ------------------------------------------------------------------ coverage
def test_place_outside_the_map_raises_not_zero(square_map):
    with pytest.raises(CoverageError, match="does not cover Kharkiv"):
        check_claim(square_map, "Kharkiv", "RU", 0.7)
    with pytest.raises(CoverageError, match="does not cover far"):
        check_claim(square_map, footprint_from_geometry(shapely.box(38, 48, 38.1, 48.1), "far"), "RU", 0.1)


def test_partly_covered_place_says_how_much(square_map):
    fp = footprint_from_geometry(shapely.box(37.05, 48.0, 37.25, 48.2), name="edge")
    chk = check_claim(square_map, fp, "RU", 0.3)
    assert chk.covered_share == pytest.approx(0.75, abs=1e-4)
    assert chk.share == pytest.approx(1 / 3, abs=1e-4)  # of the covered part
    assert any("covers only 75.0%" in n for n in chk.notes)
    assert "covers only 75.0%" in chk.summary()


def test_map_without_coverage():
    m = normalise([(RU, shapely.box(37.0, 48.0, 37.1, 48.2))], source="nocov")
    assert check_claim(m, SQUARE, "RU", 0.5).share == pytest.approx(0.5, abs=1e-6)
    with pytest.raises(CoverageError):
        check_claim(m, shapely.box(38, 48, 38.1, 48.1), "RU", 0.5)


def test_unknown_place(square_map):
    with pytest.raises(UnknownPlaceError, match="did you mean Myrnohrad"):
        check_claim(square_map, "Myrnograd", "RU", 0.5)


# ------------------------------------------------------------------ invariants
@settings(max_examples=25, deadline=None)
@given(ru=st.floats(0.0, 0.2), grey=st.floats(0.0, 0.2))
def test_shares_are_ordered_and_bounded(ru, grey):
    ru_east = 37.0 + max(ru, 0.001)
    grey_east = min(ru_east + grey, 37.2)
    chk = check_claim(_strip_map(ru_east, grey_east), SQUARE, "RU", 0.5)
    p = chk.policies
    for v in p.values():
        assert -1e-9 <= v <= 1 + 1e-9
    assert p["nobody"] <= p["half"] + 1e-12 <= p["claimant"] + 2e-12
    assert p["nobody"] <= p["excluded"] + 1e-12
    assert chk.held_km2 + chk.grey_km2 <= chk.footprint_km2 * (1 + 1e-9)


# ------------------------------------------------------------------ result object
def test_to_dict_is_json_and_complete(square_map):
    chk = check_claim(square_map, SQUARE, "RU", "70%")
    d = json.loads(json.dumps(chk.to_dict(), allow_nan=False))
    for key in (
        "schema_version",
        "share",
        "footprint_km2",
        "held_km2",
        "verdict",
        "policies",
        "sensitivity",
        "approximate",
        "place",
        "side",
        "claimed",
        "kind",
        "source",
        "as_of",
    ):
        assert key in d
    assert d["schema_version"] == 1 and d["as_of"] is None and d["source"] == "synthetic"
    assert 0 <= d["share"] <= 1 and set(d["policies"]) == set(POLICIES)
    assert "not supported" in chk._repr_html_()
    with pytest.raises(AttributeError):
        chk.verdict = "supported"  # frozen


def test_plot_has_content(square_map):
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chk = check_claim(square_map, SQUARE, "RU", "70%")
    for ax, bars in ((chk.plot(), True), (chk.plot(bars=False, context=False, alpha=0.6), False)):
        fig = ax.figure
        fig.canvas.draw()
        pixels = np.asarray(fig.canvas.buffer_rgba())[..., :3]
        assert (pixels < 250).any(axis=-1).mean() > 0.01  # not blank
        texts = " ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))
        assert f"held by RU: {chk.held_km2:,.2f} km²" in texts
        if bars:  # the share under each grey-zone policy
            assert "nobody" in texts and "50.0%" in texts
        plt.close(fig)


# ------------------------------------------------------------------ real data
def _independent_share(held_polys, place) -> float:
    """Share of the footprint held, computed without mapdiff's reader or measures:
    shapely on lon/lat, then geodesic areas (pyproj.Geod) of footprint ∩ held and of the footprint."""
    import pyproj

    geod = pyproj.Geod(ellps="WGS84")
    fp = footprint(place).geometry
    held = shapely.union_all(shapely.make_valid(np.asarray(held_polys, dtype=object)))
    inter = shapely.intersection(held, fp)

    def geodesic(g):
        return abs(geod.geometry_area_perimeter(shapely.orient_polygons(g))[0]) if not g.is_empty else 0.0

    return geodesic(inter) / geodesic(fp)


TOWNS_WITH_LIMITS = ["Pokrovsk", "Myrnohrad", "Bakhmut", "Toretsk", "Lyman"]


@pytest.mark.realdata
@pytest.mark.parametrize("date", ["20251127", "20260101"])
def test_town_limits_shares_deepstate_match_geodesic(date):
    """The five towns with real OSM limits: shares within 0.1 percentage point of an
    independent geodesic computation on the raw DeepState archive."""
    path = shared_file(f"deepstate/deepstatemap_data_{date}.geojson")
    raw = json.loads(path.read_text())
    polys = [shapely.geometry.shape(f["geometry"]) for f in raw["features"]]
    m = mapdiff.read_map(path)
    for town in TOWNS_WITH_LIMITS:
        expected = _independent_share(polys, town)
        chk = check_claim(m, town, "RU", "70%")
        assert chk.footprint_kind == "city_limits" and not chk.approximate
        assert chk.share == pytest.approx(expected, abs=0.001), town


@pytest.mark.realdata
def test_myrnohrad_verdict_depends_on_the_footprint():
    """The issue's example: DeepState 2026-01-01 holds ~60% of Myrnohrad's town limits but
    ~75% of the disc; the sensitivity table shows both rungs."""
    path = shared_file("deepstate/deepstatemap_data_20260101.geojson")
    chk = check_claim(mapdiff.read_map(path), "Myrnohrad", "RU", "70%")
    rows = {(r["footprint_kind"], r["policy"]): r["share"] for r in chk.sensitivity}
    assert rows[("city_limits", chk.policy)] == pytest.approx(chk.share)
    assert rows[("approximate", chk.policy)] - chk.share > 0.1


@pytest.mark.realdata
def test_pokrovsk_share_nzz_matches_geodesic():
    path = shared_file("nzz/2025-11-27.json")
    raw = json.loads(path.read_text())["value"]
    polys = [
        shapely.geometry.shape(f["geometry"])
        for f in raw["features"]
        if f["properties"].get("type") in ("nochange", "gains")
    ]
    expected = _independent_share(polys, "Pokrovsk")
    chk = check_claim(mapdiff.read_map(path), "Pokrovsk", "RU", "70%")
    assert chk.share == pytest.approx(expected, abs=0.001)
    assert not chk.approximate


def test_sensitivity_of_a_buffered_user_footprint_starts_from_its_base(square_map):
    base = footprint_from_geometry(shapely.box(37.05, 48.05, 37.15, 48.15), name="inner")
    chk = check_claim(square_map, base.buffer(1), "RU", 0.5)
    df = chk.to_frame()
    assert list(dict.fromkeys(df.footprint_kind)) == ["user+1km", "user", "user+2km"]
    km2 = df.drop_duplicates("footprint_kind").set_index("footprint_kind")["footprint_km2"]
    assert km2["user"] == pytest.approx(base.area_km2, rel=1e-6)
    assert km2["user"] < km2["user+1km"] < km2["user+2km"]


def test_all_grey_footprint_under_excluded_is_undetermined():
    # RU holds land elsewhere on the map (a side the map lacks is an error, issue 12)
    far = shapely.box(38.0, 48.0, 38.1, 48.1)
    m = normalise(
        [(GREY, SQUARE), (RU, far)], coverage=shapely.union(SQUARE, far), background=UA, source="grey"
    )
    chk = check_claim(m, SQUARE, "RU", 0.5, policy="excluded")
    assert chk.verdict == "undetermined" and chk.to_dict()["share"] is None
    assert chk.policies["claimant"] == pytest.approx(1.0)
    assert check_claim(m, SQUARE, "RU", 0.5, policy="side").policy == "claimant"  # alias


def test_source_specific_status_is_named_in_the_notes():
    lost = Label("lost", "RU")
    m = normalise(
        [(RU, shapely.box(37.0, 48.0, 37.1, 48.2)), (lost, shapely.box(37.1, 48.0, 37.14, 48.2))],
        coverage=SQUARE,
        background=UA,
        source="nzzlike",
    )
    chk = check_claim(m, SQUARE, "RU", 0.5)
    assert chk.share == pytest.approx(0.5, abs=1e-6) and chk.grey_km2 == 0
    assert any(n.startswith("the map's own status lost:RU covers") for n in chk.notes)


# ---------------------------------------------------------------------- one way to accept maps
def _sample_forms():
    """The same two releases (2025-11-20, 2025-11-27) in every form a ``maps`` argument takes."""
    paths = [mapdiff.sample_path(d) for d in ("2025-11-20", "2025-11-27")]
    folder = paths[0].parent
    glob = str(folder / "deepstatemap_data_2025112?_pokrovsk.geojson")
    maps = [mapdiff.read_map(p) for p in paths]
    return {
        "ControlMaps": maps,
        "mapping to ControlMaps": {"deepstate": maps},
        "files": [str(p) for p in paths],
        "folder": str(folder),
        "mapping to a folder": {"deepstate": folder},
        "glob": glob,
        "Releases": mapdiff.Releases(paths, cache=False),
        "mapping to a glob": {"deepstate": glob},
        "mapping to files": {"deepstate": paths},
        "mapping to Releases": {"deepstate": mapdiff.Releases(glob, cache=False)},
    }


def test_the_claim_analyses_accept_maps_one_way():
    """check_claim_all, check_claims and track read every form of ``maps`` alike: the same
    release, the same numbers."""
    claim = mapdiff.Claim("someone", dt.date(2025, 11, 30), "Pokrovsk", "RU", "share", 0.4)
    seen = set()
    for form, maps in _sample_forms().items():
        a = mapdiff.check_claim_all(maps, "Pokrovsk", "RU", "40%", date="2025-11-30")
        assert list(a.checks) == ["deepstate"], form
        row = mapdiff.check_claims([claim], maps).rows[0]
        assert (row["source"], row["release"]) == ("deepstate", "2025-11-27"), form
        seen.add((round(a.checks["deepstate"].share, 12), round(row["share"], 12)))
        if isinstance(maps, dict):
            t = mapdiff.track([claim], maps, buffers_km=(), cache=False, workers=1, quiet=True)
            r = t.to_frame().iloc[0]
            assert (r.release, r.source) == ("2025-11-27", "deepstate"), form
            assert abs(r.share - row["share"]) < 1e-9, form
    assert len(seen) == 1


@pytest.mark.parametrize("bad", [42, [42], {"deepstate": 42}, {"deepstate": [42]}])
def test_maps_of_the_wrong_kind_are_refused_saying_what_is_accepted(bad):
    claim = mapdiff.Claim("someone", dt.date(2025, 11, 30), "Pokrovsk", "RU", "share", 0.4)
    for call in (
        lambda: mapdiff.check_claim_all(bad, "Pokrovsk", "RU", "40%"),
        lambda: mapdiff.check_claims([claim], bad),
    ):
        with pytest.raises(mapdiff.errors.ArgumentError, match="a folder, a glob or a list of files") as err:
            call()
        assert "int" in str(err.value) and "Releases" in str(err.value)
    with pytest.raises(mapdiff.errors.ArgumentError, match="at least one map"):
        mapdiff.check_claims([claim], [])
    with pytest.raises(mapdiff.errors.ArgumentError, match="mapping source"):
        mapdiff.track([claim], [mapdiff.sample_path("2025-11-27")])
