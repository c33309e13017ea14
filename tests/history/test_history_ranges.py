"""``mapdiff history --threshold --start --end``: crossings as ranges with the gap, reversals."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import mapdiff
from mapdiff.history.lag import crossings, reversals

SAMPLES = [str(p) for p in mapdiff.sample_paths()]  # 2025-10-01, 11-01, 11-20, 11-27, 12-15


def test_crossing_is_a_range_with_the_gap(cli, tmp_path):
    glob = str(mapdiff.sample_paths()[0].parent / "deepstatemap_data_2025*_pokrovsk.geojson")
    res = cli("history", glob, "--place", "Pokrovsk", "--threshold", "50%", "--quiet", "--no-cache", "--json")
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    (c,) = d["crossings"]
    want = mapdiff.first_crossing(
        mapdiff.Releases(SAMPLES).shares(["Pokrovsk"], "RU", cache=False, workers=1, quiet=True).frame,
        threshold=0.5,
    ).loc["Pokrovsk"]
    assert (
        c["date"] == want.date.date().isoformat()
        and c["previous_date"] == want.previous_date.date().isoformat()
    )
    assert c["gap_days"] == (want.date - want.previous_date).days == 18 and not c["already"]
    res = cli("history", glob, "--place", "Pokrovsk", "--threshold", "50%", "--quiet", "--no-cache")
    assert "Pokrovsk >= 50%: between 2025-11-27" in res.stdout and "a 18 d gap between releases" in res.stdout


def test_start_end_select_the_releases(cli):
    glob = str(mapdiff.sample_paths()[0].parent / "deepstatemap_data_2025*_pokrovsk.geojson")
    res = cli(
        "history",
        glob,
        "--place",
        "Pokrovsk",
        "--start",
        "2025-11-01",
        "--end",
        "2025-11-27",
        "--quiet",
        "--no-cache",
        "--json",
    )
    assert json.loads(res.stdout)["dates"] == ["2025-11-01", "2025-11-20", "2025-11-27"]
    res = cli("history", glob, "--place", "Pokrovsk", "--start", "2030-01-01", "--quiet", "--no-cache")
    assert res.returncode == 2 and "--start/--end" in res.stderr


def test_reversals_and_already_crossed():
    days = pd.to_datetime(["2025-11-22", "2025-11-23", "2025-11-24", "2025-11-30"])
    f = pd.DataFrame({"Pokrovsk": [0.5, 0.93, 0.5, 0.6], "Other": [0.95, 0.96, 0.97, 0.98]}, index=days)
    (r,) = reversals(f)
    assert (r["place"], r["from_date"], r["to_date"]) == ("Pokrovsk", "2025-11-23", "2025-11-24")
    assert r["drop"] == pytest.approx(0.43)
    assert reversals(f, min_drop=0.5) == []
    c = {x["place"]: x for x in crossings(f, [0.9])}
    assert c["Other"]["already"] and c["Other"]["previous_date"] is None
    assert c["Pokrovsk"]["gap_days"] == 1
    with pytest.raises(mapdiff.errors.ArgumentError):
        reversals(f, min_drop=0)


def test_cli_lag_brackets_the_crossings(cli):
    folder = str(mapdiff.sample_paths()[0].parent)
    res = cli("lag", f"a={folder}", folder, "--place", "Pokrovsk", "--no-cache", "--json")
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    (b,) = d["brackets"]
    # the same releases twice: each crossing is 27 Nov -> 15 Dec, so the lag lies in -18..18 d
    assert b["a"]["previous_date"] == "2025-11-27" and b["a"]["date"] == "2025-12-15"
    assert (b["lag_min_days"], b["lag_max_days"]) == (-18, 18)
    assert d["b"] == "DeepStateMap (Ukrainian OSINT)"
    res = cli("lag", folder, folder, "--place", "Pokrovsk", "--no-cache")
    assert (
        "Pokrovsk >= 50%: A 2025-11-27 -> 2025-12-15; B 2025-11-27 -> 2025-12-15; lag -18..18 d" in res.stdout
    )
