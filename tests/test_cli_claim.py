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


def test_claim_text_verdict_and_sensitivity(run):
    r = run("claim", SAMPLE, "--place", "Красноармейск", "--side", "RU", "--claimed", "70%")
    assert r.returncode == 0, r.stderr
    assert "Verdict: NOT SUPPORTED" in r.stdout
    assert "APPROXIMATE" in r.stdout
    assert "Sensitivity" in r.stdout and "approximate+2km" in r.stdout
    assert "nobody 37.5%" in r.stdout


def test_claim_json_and_strict(run):
    r = run("claim", SAMPLE, "--place", "Pokrovsk", "--side", "RU", "--claimed", "70", "--json", "--strict")
    assert r.returncode == 1  # not supported with --strict
    d = json.loads(r.stdout)
    assert d["schema_version"] == 1 and d["verdict"] == "not supported"
    assert d["share"] == pytest.approx(0.3746, abs=5e-4)
    assert d["footprint_km2"] == pytest.approx(29.57, abs=0.01)
    assert d["claimed"] == 0.7 and d["as_of"] == "2025-11-27" and d["approximate"] is True
    assert len(d["sensitivity"]) == 8
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
    assert "Myrnohrad: approximate (APPROXIMATE), 23.00 km²" in r.stdout and "Димитров" in r.stdout
    feat = json.loads(run("place", "Покровськ", "--geojson").stdout)
    assert feat["type"] == "Feature" and feat["properties"]["name"] == "Pokrovsk"
    assert shapely.from_geojson(json.dumps(feat["geometry"])).geom_type == "Polygon"
    d = json.loads(run("place", "Kharkiv", "--json").stdout)
    assert d["kind"] == "city_limits" and "ODbL" in d["provenance"] and "geometry" in d
    bad = run("place", "Atlantis")
    assert bad.returncode == 2 and "no place 'Atlantis'" in bad.stderr


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
    assert r.returncode == 2 and "offline" in r.stderr
