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

import pytest
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
        for p in _unshipped(ROOT / "mapdiff" / "profiles", pats["mapdiff.profiles"])
        if not p.endswith(".py")
    ]
    assert not profiles
    schemas = [p.removeprefix("schemas/") for p in pats["mapdiff"]]
    assert not _unshipped(ROOT / "mapdiff" / "schemas", schemas), "add these to setup.cfg package_data"


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


@pytest.mark.slow
def test_wheel_ships_code_data_licences_and_metadata(tmp_path):
    """Build the wheel (from a copy of the tree, no network) and read what it ships."""
    import email
    import shutil
    import subprocess
    import sys
    import zipfile

    setuptools = pytest.importorskip("setuptools")
    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.skip(f"setuptools {setuptools.__version__} < 77 cannot build licence expressions offline")
    src = tmp_path / "src"
    for name in ("mapdiff", "data"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "setup.cfg", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    out = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(src),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("mapdiff-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = email.message_from_bytes(z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))))
        entry = z.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    code = {f"mapdiff/{p.relative_to(ROOT / 'mapdiff').as_posix()}" for p in (ROOT / "mapdiff").rglob("*.py")}
    assert code <= names, sorted(code - names)
    data = {
        f"mapdiff/data/{p.relative_to(ROOT / 'data').as_posix()}"
        for p in (ROOT / "data").rglob("*")
        if p.is_file() and p.name not in IGNORED
    }
    assert data <= names, sorted(data - names)
    assert any(n.endswith(".toml") and n.startswith("mapdiff/profiles/") for n in names)
    assert {f"mapdiff/schemas/{p.name}" for p in (ROOT / "mapdiff" / "schemas").iterdir()} <= names
    assert not any(n.startswith(("tests/", "docs/", "notebooks/")) for n in names)
    # what the wheel ships is what its licence metadata says
    expression = meta["License-Expression"]
    for spdx in ("MIT", "GPL-3.0-only", "ODbL-1.0", "LGPL-3.0-or-later", "CC-BY-4.0"):
        assert spdx in expression.split(" AND "), spdx
    licences = {n.split(".dist-info/licenses/")[1] for n in names if ".dist-info/licenses/" in n}
    shipped = {f"data/geo/licences/{p.name}" for p in (ROOT / "data" / "geo" / "licences").glob("*.txt")}
    assert licences == {
        "LICENSE",
        "data/samples/LICENSE-GPL-3.0.txt",
        "data/geo/LICENSE-ODbL-1.0-NOTICE.txt",
        *shipped,
    }
    assert set(meta.get_all("License-File")) == licences
    extras = set(meta.get_all("Provides-Extra"))
    assert {"all", "web", "parquet", "dask", "docs", "test"} <= extras
    requires = meta.get_all("Requires-Dist")
    assert 'mapclassify>=2.5; extra == "web"' in requires and 'jsonschema>=4.18; extra == "test"' in requires
    assert any(r.startswith("mapdiff[") and 'extra == "all"' in r for r in requires)
    assert "mapdiff = mapdiff.cli:main" in entry
