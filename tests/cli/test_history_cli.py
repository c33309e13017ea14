"""``mapdiff history`` and ``mapdiff changes`` in process."""

from __future__ import annotations

import csv
import json

import pytest

import mapdiff


@pytest.fixture
def run(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("MAPDIFF_CACHE_DIR", str(tmp_path / "cache"))
    return cli


def test_history_csv_and_json(tmp_path, run):
    folder = mapdiff.sample_paths()[0].parent
    out = tmp_path / "shares.csv"
    r = run(
        "history",
        folder / "deepstatemap_data_*.geojson",
        "--place",
        "Krasnoarmeysk",
        "--place",
        "Myrnohrad",
        "--side",
        "RU",
        "--csv",
        out,
        "--quiet",
    )
    assert r.returncode == 0, r.stderr
    assert "Krasnoarmeysk >= 50%: between 2025-11-27 (45%) and 2025-12-15 (62%), a 18 d gap" in r.stdout
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["date", "Krasnoarmeysk", "Myrnohrad"]
    assert [row[0] for row in rows[1:]] == [
        "2025-10-01",
        "2025-11-01",
        "2025-11-20",
        "2025-11-27",
        "2025-12-15",
    ]
    values = [float(v) for row in rows[1:] for v in row[1:]]
    assert all(0 <= v <= 1 for v in values) and max(values) > 0.5
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".shares.csv")]
    r = run("history", folder, "--place", "Pokrovsk", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["schema_version"] == 1 and d["first_crossing"]["0.5"]["Pokrovsk"] == "2025-12-15"
    assert (d["source"], d["source_name"], d["lean"]) == ("deepstate", "DeepStateMap", "Ukrainian OSINT")
    assert d["shares"]["Pokrovsk"][-1] == float(rows[-1][1])


def test_history_says_which_files_a_later_file_of_their_date_replaced(tmp_path, run):
    import shutil

    src = mapdiff.sample_path("2025-11-27")
    for name in ("a", "b", "c"):
        shutil.copy(src, tmp_path / f"deepstatemap_data_20251127_{name}.geojson")
    r = run("history", tmp_path, "--place", "Pokrovsk", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "deepstate: 1 release 2025-11-27..2025-11-27" in r.stdout
    assert (
        "2 files left out, each dated like a later file (the last file of a date is that date's release; "
        "all named in --json): deepstatemap_data_20251127_a.geojson, deepstatemap_data_20251127_b.geojson"
    ) in r.stdout
    d = json.loads(run("history", tmp_path, "--place", "Pokrovsk", "--json").stdout)
    assert d["duplicates_dropped"] == [f"deepstatemap_data_20251127_{n}.geojson" for n in "ab"]


def test_changes_json(tmp_path, run):
    old, new = mapdiff.sample_path("2025-11-01"), mapdiff.sample_path("2025-11-27")
    r = run("changes", old, new, "--place", "Pokrovsk", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["sides"]["RU"]["gained_km2"] > 5 and d["sides"]["RU"]["lost_km2"] >= 0
    assert d["sides"]["UA"]["lost_km2"] == d["sides"]["RU"]["gained_km2"]
    assert d["aoi"] == "Pokrovsk" and d["aoi_kind"] == "city_limits" and d["approximate"] is False
    assert (d["source_name"], d["lean"]) == ("DeepStateMap", "Ukrainian OSINT")
    r = run("changes", old, new, "--place", "Pokrovsk", "--footprint-kind", "approximate")
    assert r.returncode == 0, r.stderr
    assert "in Pokrovsk (approximate footprint) [APPROXIMATE footprint" in r.stdout
    r = run(
        "changes",
        old,
        new,
        "--place",
        "Pokrovsk",
        "--footprint-kind",
        "approximate",
        "--json",
    )
    d = json.loads(r.stdout)
    assert d["aoi_kind"] == "approximate" and d["approximate"] is True
    r = run("changes", old, new)
    assert r.returncode == 0 and "largest gains" in r.stdout and "near Pokrovsk" in r.stdout


def test_bad_input_exits_2(tmp_path, run):
    bad = tmp_path / "broken.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [')
    cases = [
        ("history", tmp_path / "nothing-here", "--place", "Pokrovsk"),
        ("history", mapdiff.sample_paths()[0].parent, "--place", "Atlantis"),
        ("history", mapdiff.sample_paths()[0].parent),
        ("changes", bad, mapdiff.sample_path()),
        ("changes", mapdiff.sample_path(), mapdiff.sample_path(), "--place", "Atlantis"),
    ]
    for args in cases:
        r = run(*args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "error:" in r.stderr and "Traceback" not in r.stderr
