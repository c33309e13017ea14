"""What a short command does at its start: `place` lists a town's kinds without the
administrative index, outputs are refused onto inputs by one stat each, `--version`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mapdiff.cli import check_outputs
from mapdiff.errors import ArgumentError
from mapdiff.places.footprints import available_kinds, footprint
from mapdiff.places.names import place_names

ROOT = Path(__file__).resolve().parents[2]


def test_place_kinds_by_name_are_the_kinds_by_id():
    for name in place_names():
        for kind in available_kinds(name):
            fp = footprint(name, kind=kind)
            assert available_kinds(fp.id or fp.name) == available_kinds(fp.name), (name, kind)
    for name in ("Donetsk Oblast", "relation/2506125"):
        fp = footprint(name)
        assert available_kinds(fp.id or fp.name) == available_kinds(name), name


def test_a_towns_own_limits_id_gives_its_kinds_without_the_administrative_index():
    from mapdiff import config
    from mapdiff.places import admin

    config.clear_caches()
    assert available_kinds("relation/2506125") == available_kinds("Pokrovsk")  # Pokrovsk's limits
    assert admin._index.cache_info().currsize == 0
    # the footprint itself still carries the unit's parents (the index read for it)
    assert footprint("relation/2506125").parents and admin._index.cache_info().currsize == 1


def test_outputs_onto_inputs_are_refused(tmp_path):
    from argparse import Namespace

    inputs = [tmp_path / f"r{i}.geojson" for i in range(5)]
    for p in inputs:
        p.write_text("{}")
    (tmp_path / "link.csv").symlink_to(inputs[3])
    os.link(inputs[2], tmp_path / "hard.csv")
    (tmp_path / "dangling.csv").symlink_to(tmp_path / "nowhere.csv")
    (tmp_path / "old.csv").write_text("x")

    def args(out):
        return Namespace(command="history", releases=str(tmp_path / "*.geojson"), csv=str(out))

    for out in (inputs[1], tmp_path / "link.csv", tmp_path / "hard.csv"):
        with pytest.raises(ArgumentError, match="is an input of this run"):
            check_outputs(args(out))
    for out in (tmp_path / "new.csv", tmp_path / "old.csv", tmp_path / "dangling.csv"):
        check_outputs(args(out))


def test_version_and_json_start_without_numpy():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run(
        [sys.executable, "-m", "mapdiff", "--version"], capture_output=True, text=True, env=env
    )
    assert r.returncode == 0 and r.stdout.startswith("mapdiff ")
    code = "import sys, mapdiff.cli; print(sorted({'numpy', 'shapely', 'pandas'} & set(sys.modules)))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.stdout.strip() == "[]", r.stdout + r.stderr
