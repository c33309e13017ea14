"""Packaging: every shipped data file is declared as package data, and data is found.

Building a wheel needs the network here (build isolation), so this checks the
declaration statically: each file under ``data/`` and each profile TOML must match a
``[options.package_data]`` pattern of ``setup.cfg``, or ``pip install .`` would leave it
out. (Checked by hand too: a non-editable install into a fresh venv reads the sample.)
"""

from __future__ import annotations

import configparser
import fnmatch
import tomllib

from conftest import ROOT

from mapdiff._resources import data_dir

IGNORED = {".gitkeep", ".DS_Store"}


def _patterns() -> dict[str, list[str]]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    return {
        pkg: [p.strip() for p in value.replace("\n", ",").split(",") if p.strip()]
        for pkg, value in cfg["options.package_data"].items()
    }


def _unshipped(folder, patterns) -> list[str]:
    files = [
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name not in IGNORED and "__pycache__" not in p.parts
    ]
    return [f for f in files if not any(fnmatch.fnmatch(f, pat) for pat in patterns)]


def test_every_data_file_is_package_data():
    pats = _patterns()
    assert not _unshipped(ROOT / "data", pats["mapdiff.data"]), "add these to setup.cfg package_data"
    profiles = [
        p
        for p in _unshipped(ROOT / "mapdiff" / "profiles", pats["mapdiff.io.profiles"])
        if not p.endswith(".py")
    ]
    assert not profiles


def test_package_dir_maps_data_and_metadata_lives_in_pyproject():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    assert "mapdiff.data = data" in cfg["options"]["package_dir"]
    assert "metadata" not in cfg  # no duplication: metadata is pyproject's
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == "mapdiff" and "defusedxml>=0.7" in project["dependencies"]


def test_data_dir_is_a_real_folder():
    assert (data_dir() / "geo" / "ukraine_boundary.geojson").is_file()
    assert (data_dir() / "samples").is_dir()
