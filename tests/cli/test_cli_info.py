"""``mapdiff info`` in process: text, JSON parsed back, exit codes."""

from __future__ import annotations

import json
import os

import pytest
from conftest import ROOT, shared_file

import mapdiff

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


@pytest.fixture
def run(cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    return cli


def test_info_json_on_the_sample(run):
    path = mapdiff.sample_path("2025-11-27")
    res = run("info", path, "--json")
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    assert d["source"] == "deepstate" and d["as_of"] == "2025-11-27"
    assert d["schema_version"] == 1
    labels = {(x["status"], x["side"]): x["area_km2"] for x in d["labels"]}
    assert set(labels) == {("controlled", "RU"), ("controlled", "UA")}
    m = mapdiff.read_map(path)
    assert labels[("controlled", "RU")] == pytest.approx(m.area("controlled:RU"), abs=1e-5)
    assert all({"status", "side", "area_km2"} <= set(x) for x in d["labels"])


def test_info_text(run):
    res = run("info", mapdiff.sample_path("2025-11-27"))
    assert res.returncode == 0, res.stderr
    assert "source: deepstate" in res.stdout and "controlled:RU" in res.stdout
    assert "(background)" in res.stdout and "normalisation:" in res.stdout


def test_info_bad_input_exit_2(tmp_path, run):
    bad = tmp_path / "broken.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    res = run("info", bad)
    assert res.returncode == 2
    assert "broken.geojson" in res.stderr and "Traceback" not in res.stderr


def test_info_with_source_and_crs(tmp_path, run):
    path = tmp_path / "merc.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"status": "controlled", "side": "RU"},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [
                                    [4118000, 6145000],
                                    [4130000, 6145000],
                                    [4130000, 6160000],
                                    [4118000, 6145000],
                                ]
                            ],
                        },
                    }
                ],
            }
        )
    )
    assert run("info", path).returncode == 2
    res = run("info", path, "--crs", "EPSG:3857", "--source", "generic", "--as-of", "2025-11-27", "--json")
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    assert d["source"] == "generic" and d["as_of"] == "2025-11-27" and d["labels"][0]["area_km2"] > 0


@pytest.mark.realdata
def test_info_json_on_real_nzz(run):
    res = run("info", shared_file("nzz/2025-11-27.json"), "--json")
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    assert d["source"] == "nzz" and d["as_of"] == "2025-11-26"
    kinds = {r["repair"] for r in d["report"]["repairs"]}
    assert "outside_coverage_clipped" in kinds


def test_info_on_a_handmade_kmz_with_a_toml_profile(tmp_path, run):
    import zipfile

    from test_kml import HANDMADE

    kmz = tmp_path / "front.kmz"
    with zipfile.ZipFile(kmz, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("doc.kml", HANDMADE)
    res = run(
        "info",
        kmz,
        "--source",
        ROOT / "docs" / "profiles" / "handmade_kml.toml",
        "--as-of",
        "2025-11-27",
        "--json",
    )
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    assert d["source"] == "handmade_kml" and d["as_of"] == "2025-11-27"
    assert {(x["status"], x["side"]) for x in d["labels"]} == {
        ("contested", None),
        ("controlled", "RU"),
        ("controlled", "UA"),
    }
    assert run("info", kmz).returncode == 2  # no profile: bad input, with the fills listed
