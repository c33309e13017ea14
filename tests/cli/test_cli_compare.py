"""``mapdiff compare`` in process: text, JSON, --out, --place/--aoi, bad input exit 2."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely

import mapdiff

A = str(mapdiff.sample_path("2025-11-20"))
B = str(mapdiff.sample_path("2025-11-27"))


@pytest.fixture
def run(cli):
    """``mapdiff compare ARGS`` in process."""
    return lambda *args: cli("compare", *args)


def test_text_and_out(tmp_path, run):
    out = tmp_path / "diff.gpkg"
    r = run(A, B, "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "crosstab (km²)" in r.stdout and "real" in r.stdout and "near " in r.stdout
    back = gpd.read_file(out, layer="diff")  # beside it: the QGIS layer_styles table
    assert len(back) > 0 and {"a_label", "b_label", "area_km2", "cause"} <= set(back.columns)
    c = mapdiff.compare(mapdiff.read_map(A), mapdiff.read_map(B))
    assert back.area_km2.sum() == pytest.approx(c.disagreement_km2["total"], rel=1e-9)


def test_json_matches_library(run):
    r = run(A, B, "--json", "--noise-m", "50")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    c = mapdiff.compare(mapdiff.read_map(A), mapdiff.read_map(B), noise_m=50)
    assert d["schema_version"] == 1
    assert d["aoi_km2"] == pytest.approx(c.aoi_km2, rel=1e-12)
    assert sum(x["area_km2"] for x in d["crosstab"]) == pytest.approx(d["aoi_km2"], rel=1e-6)
    for k in ("scope", "noise", "real", "total"):
        assert d["disagreement_km2"][k] == pytest.approx(c.disagreement_km2[k], rel=1e-9, abs=1e-12)
    assert d["noise_m"] == 50


def test_place_and_aoi_file(tmp_path, run):
    r = run(A, B, "--place", "Pokrovsk", "--json")
    assert r.returncode == 0, r.stderr
    fp = mapdiff.footprint("Pokrovsk")
    d = json.loads(r.stdout)
    assert d["aoi_km2"] == pytest.approx(fp.area_km2, rel=1e-3)
    assert d["aoi"]["footprint_kind"] == "city_limits" and d["approximate"] is False
    r = run(A, B, "--place", "Pokrovsk")
    assert "(Pokrovsk, city_limits footprint)" in r.stdout and "APPROXIMATE" not in r.stdout
    # an approximate footprint is flagged in the JSON and the text
    r = run(A, B, "--place", "Pokrovsk", "--footprint-kind", "approximate", "--json")
    d = json.loads(r.stdout)
    assert d["approximate"] is True and d["aoi"]["footprint_kind"] == "approximate"
    assert d["aoi"]["approximate"] is True
    r = run(A, B, "--place", "Pokrovsk", "--footprint-kind", "approximate")
    assert "(Pokrovsk, approximate footprint, APPROXIMATE)" in r.stdout
    poly = tmp_path / "aoi.geojson"
    box = shapely.box(37.1, 48.2, 37.2, 48.3)
    gpd.GeoDataFrame(geometry=[box], crs="EPSG:4326").to_file(poly)
    r = run(A, B, "--aoi", str(poly), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["aoi_km2"] == pytest.approx(mapdiff.area_km2(box), rel=1e-6)


@pytest.mark.parametrize(
    "args",
    [
        ("/nonexistent/a.geojson", B),
        (A, B, "--place", "Nowhereville"),
    ],
)
def test_bad_input_exit_2(args, tmp_path, run):
    r = run(*args)
    assert r.returncode == 2
    assert "error" in r.stderr and "Traceback" not in r.stderr


def test_garbage_file_exit_2(tmp_path, run):
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json", encoding="utf-8")
    r = run(A, str(bad))
    assert r.returncode == 2
    assert "bad.geojson" in r.stderr and "Traceback" not in r.stderr


def test_several_maps_pairwise_km2_and_panel_figure(tmp_path, run):
    from PIL import Image

    C = str(mapdiff.sample_path("2025-11-01"))
    out = tmp_path / "panels.png"
    r = run(A, B, C, "--place", "Pokrovsk", "--out", str(out), "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["type"] == "consensus" and len(d["sources"]) == 3
    assert set(d["source_names"].values()) == {"DeepStateMap"}
    maps = [mapdiff.read_map(p) for p in (A, B, C)]
    names = d["sources"]
    for i in range(3):
        for j in range(i + 1, 3):
            c = mapdiff.compare(maps[i], maps[j], aoi="Pokrovsk")
            km2 = d["pairwise_km2"][names[i]][names[j]]
            assert km2 == pytest.approx(c.disagreement_km2["total"], abs=1e-6)
    img = Image.open(out)
    assert img.text["Title"] == "3 maps of Pokrovsk" and "pairwise disagreement" in img.text["Description"]
    w, h = img.size
    assert w < h * 1.6  # a 2 x 2 grid (the legend in the empty cell), not a strip
    r = run(A, B, C, "--place", "Pokrovsk")
    assert r.returncode == 0 and "pairwise disagreement (km²):" in r.stdout
    # two maps to a figure: the panels too
    r = run(A, B, "--place", "Pokrovsk", "--out", str(tmp_path / "two.svg"))
    assert r.returncode == 0 and (tmp_path / "two.svg").is_file()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--out", "x.gpkg", "--place", "Pokrovsk"], "writes a figure"),
        (["--out", "x.png"], "needs --place NAME or --aoi FILE"),
    ],
)
def test_several_maps_bad_input_exits_2(extra, message, run, tmp_path):
    C = str(mapdiff.sample_path("2025-11-01"))
    extra = [str(tmp_path / e) if e.startswith("x.") else e for e in extra]
    r = run(A, B, C, *extra)
    assert r.returncode == 2 and message in r.stderr, r.stderr


def test_json_with_a_warm_read_cache_imports_no_pandas(tmp_path):
    """Issue 28: ``compare --json`` of maps in the read cache runs without pandas (its
    import was a third of the process); the text path and to_frame() still use it.
    Two small real releases (UA Control Map), which the read cache keeps."""
    import os
    import subprocess
    import sys

    from conftest import shared_file

    a, b = (str(shared_file(f"owl/202511{d}.json")) for d in ("20", "27"))
    code = (
        "import sys; from mapdiff.cli import main; "
        f"sys.argv = ['mapdiff', 'compare', {a!r}, {b!r}, '--json']; rc = main(); "
        "print('PANDAS', 'pandas' in sys.modules, file=sys.stderr); sys.exit(rc)"
    )
    env = {**os.environ, "MAPDIFF_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("MAPDIFF_NO_CACHE", None)
    cold = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    warm = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert "PANDAS False" in warm.stderr, warm.stderr
    assert json.loads(warm.stdout) == json.loads(cold.stdout)
