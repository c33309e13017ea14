"""``mapdiff claim`` and ``mapdiff place`` in process: text, JSON, exit codes."""

from __future__ import annotations

import json

import pytest
import shapely

import mapdiff

SAMPLE = str(mapdiff.sample_path("2025-11-27"))


@pytest.fixture
def run(cli):
    return cli


def _sample_share(kind: str) -> float:
    """Share of Pokrovsk's footprint the sample's one drawn polygon holds, computed without
    mapdiff's reader or measures: shapely on lon/lat, geodesic areas with pyproj.Geod."""
    import pyproj

    raw = json.loads(open(SAMPLE, encoding="utf-8").read())
    (feat,) = raw["features"]
    held = shapely.make_valid(shapely.geometry.shape(feat["geometry"]))
    fp = mapdiff.footprint("Pokrovsk", kind=kind).geometry
    geod = pyproj.Geod(ellps="WGS84")

    def geodesic(g):
        return abs(geod.geometry_area_perimeter(shapely.orient_polygons(g))[0])

    return geodesic(shapely.intersection(held, fp)) / geodesic(fp)


def test_claim_text_verdict_and_sensitivity(run):
    r = run("claim", SAMPLE, "--place", "Красноармейск", "--side", "RU", "--claimed", "70%")
    assert r.returncode == 0, r.stderr
    assert "Verdict: NOT SUPPORTED" in r.stdout
    assert "Footprint: city_limits" in r.stdout and "[APPROXIMATE" not in r.stdout
    assert "Sensitivity" in r.stdout and "approximate+2km (≈)" in r.stdout and "community (≥)" in r.stdout
    assert f"nobody {_sample_share('city_limits'):.1%}" in r.stdout
    r = run(
        "claim",
        SAMPLE,
        "--place",
        "Pokrovsk",
        "--side",
        "RU",
        "--claimed",
        "70%",
        "--footprint-kind",
        "approximate",
    )
    assert "[APPROXIMATE footprint]" in r.stdout
    assert f"nobody {_sample_share('approximate'):.1%}" in r.stdout


def test_claim_json_and_strict(run):
    r = run("claim", SAMPLE, "--place", "Pokrovsk", "--side", "RU", "--claimed", "70", "--json", "--strict")
    assert r.returncode == 1  # not supported with --strict
    d = json.loads(r.stdout)
    assert d["schema_version"] == 1 and d["verdict"] == "not supported"
    assert d["share"] == pytest.approx(_sample_share("city_limits"), abs=1e-3)
    assert d["footprint_km2"] == pytest.approx(31.17, abs=0.01)  # OSM town limits (data/geo/README.md)
    assert d["claimed"] == 0.7 and d["as_of"] == "2025-11-27" and d["approximate"] is False
    assert d["footprint_kind"] == "city_limits"
    assert len(d["sensitivity"]) == 5 * 4  # 5 footprints (3 rungs, 2 buffered) x 4 policies
    ok = run("claim", SAMPLE, "--place", "Pokrovsk", "--side", "RU", "--claimed", "30%", "--strict")
    assert ok.returncode == 0 and "Verdict: SUPPORTED" in ok.stdout


def test_claim_with_polygon_file_policy_and_kind(tmp_path, run):
    path = tmp_path / "town.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": json.loads(shapely.to_geojson(shapely.box(37.15, 48.26, 37.21, 48.30))),
                    }
                ],
            }
        )
    )
    r = run(
        "claim",
        SAMPLE,
        "--place",
        str(path),
        "--side",
        "RU",
        "--kind",
        "captured",
        "--policy",
        "claimant",
        "--footprint-kind",
        "user+1km",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["footprint_kind"] == "user+1km" and d["policy"] == "claimant" and d["kind"] == "captured"
    assert d["claimed"] == 0.95 and d["approximate"] is False


@pytest.mark.parametrize(
    "args, message",
    [
        (["--place", "Pokrovskk", "--side", "RU", "--claimed", "70%"], "did you mean Pokrovsk"),
        (["--place", "Kharkiv", "--side", "RU", "--claimed", "70%"], "does not cover Kharkiv"),
        (["--place", "Pokrovsk", "--side", "RU", "--claimed", "170%"], "over 100%"),
        (["--place", "Pokrovsk", "--side", "RU"], "needs a claimed value"),
        (["--place", "/nonexistent/town.geojson", "--side", "RU", "--claimed", "1"], "does not exist"),
    ],
)
def test_claim_bad_input_exits_2(args, message, run):
    r = run("claim", SAMPLE, *args)
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_claim_missing_map_and_bad_option(run):
    r = run("claim", "/nonexistent/map.geojson", "--place", "Pokrovsk", "--side", "RU", "--claimed", "1")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = run("claim", SAMPLE, "--place", "Pokrovsk", "--side", "RU", "--policy", "everyone")
    assert r.returncode == 2 and "invalid choice" in r.stderr


def test_place_text_json_geojson(run):
    r = run("place", "Dimitrov")
    assert r.returncode == 0, r.stderr
    assert "Myrnohrad: city_limits, 22.87 km²" in r.stdout and "Димитров" in r.stdout
    r = run("place", "Kupiansk")
    assert r.returncode == 0, r.stderr
    assert (
        "Kupiansk: approximate (APPROXIMATE footprint (disc of the official area, clipped to the hromada))"
        in r.stdout
    )
    assert "oblast: Kharkiv" in r.stdout
    feat = json.loads(run("place", "Покровськ", "--geojson").stdout)
    assert feat["type"] == "Feature" and feat["properties"]["name"] == "Pokrovsk"
    assert shapely.from_geojson(json.dumps(feat["geometry"])).geom_type == "Polygon"
    d = json.loads(run("place", "Kharkiv", "--json").stdout)
    assert d["footprint_kind"] == "city_limits" and d["type"] == "footprint"
    assert "ODbL" in d["provenance"] and "geometry" in d
    bad = run("place", "Atlantis")
    assert bad.returncode == 2 and "no place 'Atlantis'" in bad.stderr


def test_place_list_text_and_json(run):
    r = run("place", "--list")
    assert r.returncode == 0, r.stderr
    lines = {ln.split()[0]: ln for ln in r.stdout.splitlines() if ln.strip()}
    assert "Donetsk" in lines["Lyman"] and "city_limits" in lines["Lyman"] and "20.60" in lines["Lyman"]
    assert "Kharkiv" in lines["Kupiansk"]
    d = json.loads(run("place", "--list", "--json").stdout)
    assert d["schema_version"] == 1 and d["type"] == "gazetteer"
    rows = {r["name"]: r for r in d["places"]}
    assert len(rows) == len(mapdiff.place_names())
    assert rows["Pokrovsk"]["kinds"] == ["city_limits", "community", "approximate"]
    assert rows["Pokrovsk"]["area_km2"]["city_limits"] == pytest.approx(31.17, abs=0.01)
    assert rows["Kupiansk"]["default_kind"] == "approximate" and rows["Kupiansk"]["oblast"] == "Kharkiv"
    for row in rows.values():  # the community is the largest rung where there is one
        a = row["area_km2"]
        if "community" in a:
            assert a["community"] >= max(a.values()) - 1e-9


def test_place_polygon_file_name(tmp_path, run):
    path = tmp_path / "a.geojson"
    geom = json.loads(shapely.to_geojson(shapely.box(37.1, 48.2, 37.2, 48.3)))
    path.write_text(json.dumps({"type": "Feature", "properties": {"name": "Village"}, "geometry": geom}))
    assert run("place", str(path)).stdout.startswith("Village: user,")
    assert run("place", str(path), "--name", "Mine").stdout.startswith("Mine: user,")


def test_place_fetch_through_loopback_and_offline(tmp_path, run, monkeypatch):
    from test_footprints import NOMINATIM, _Server

    monkeypatch.setenv("MAPDIFF_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("MAPDIFF_OFFLINE", raising=False)
    body = (NOMINATIM / "kherson_search.json").read_bytes()
    with _Server(body) as srv:
        r = run("place", "Kherson", "--fetch", "--nominatim-url", srv.url)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Kherson: osm_boundary") and "ODbL" in r.stdout
    r = run("place", "Myrnohrad", "--fetch", env={"MAPDIFF_OFFLINE": "1"})
    assert r.returncode == 4 and "offline" in r.stderr


def test_place_acceptance_town_limits_and_approximate_inside_hromada(run):
    """`mapdiff place Pokrovsk --geojson` is the OSM town limits (31.17 km² ± 0.1%, measured
    here with pyproj.Geod), and `mapdiff place Kupiansk` is flagged approximate and lies
    inside its hromada."""
    import pyproj

    geod = pyproj.Geod(ellps="WGS84")
    feat = json.loads(run("place", "Pokrovsk", "--geojson").stdout)
    geom = shapely.from_geojson(json.dumps(feat["geometry"]))
    km2 = abs(geod.geometry_area_perimeter(shapely.orient_polygons(geom))[0]) / 1e6
    assert km2 == pytest.approx(31.17, rel=1e-3)
    assert (
        feat["properties"]["footprint_kind"] == "city_limits" and feat["properties"]["approximate"] is False
    )
    assert "relation/2506125" in feat["properties"]["provenance"]
    kup = json.loads(run("place", "Kupiansk", "--json").stdout)
    assert kup["footprint_kind"] == "approximate" and kup["approximate"] is True
    hromada = json.loads(run("place", "Kupiansk", "--kind", "community", "--json").stdout)
    assert hromada["upper_bound"] is True and hromada["approximate"] is False
    inner = shapely.from_geojson(json.dumps(kup["geometry"]))
    outer = shapely.from_geojson(json.dumps(hromada["geometry"]))
    assert shapely.area(shapely.difference(inner, outer)) < 1e-9 * shapely.area(inner)
