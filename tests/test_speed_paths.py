"""Issue 28: what made users wait, and the fast paths' same numbers.

- ``compare`` of Creamy Caprice with any other source (its RU polygon unions into a
  GeometryCollection): the displacement measures the polygons and never fails.
- A Creamy Caprice folder is dated from its file names (``%y_%m_%d``), not by parsing
  every release.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from conftest import RU, UA, shared_file

import mapdiff
from mapdiff.io.profiles import get_profile
from mapdiff.series import _cheap_date


def test_creamy_caprice_releases_are_dated_from_their_names():
    """The profile's ``as_of.format`` is used without reading the file (none exists here)."""
    prof = get_profile("creamy_caprice")
    d = _cheap_date(Path("/nowhere/Control_25_11_26.kml"), prof)
    assert d is not None and d.isoformat() == "2025-11-26"
    assert _cheap_date(Path("/nowhere/Control_99_13_40.kml"), prof) is None  # no such date: read it


def test_a_drawing_touching_the_coverage_edge_stays_polygonal():
    """A drawn label that touches the coverage's edge from outside (Creamy Caprice's #ru
    polygon runs on into Russia) intersects it in polygons AND lines: the map's geometry
    is its polygons only, and the displacement measures them (it raised AttributeError)."""
    cov = shapely.box(37.0, 48.0, 37.3, 48.2)
    ru = shapely.union(shapely.box(37.0, 48.0, 37.1, 48.2), shapely.box(37.3, 48.0, 37.4, 48.2))
    a = mapdiff.normalise([(RU, ru)], coverage=cov, background=UA, source="a")
    assert a.geometry(RU).geom_type in ("Polygon", "MultiPolygon")
    b = mapdiff.normalise(
        [(RU, shapely.box(37.0, 48.0, 37.11, 48.2))], coverage=cov, background=UA, source="b"
    )
    d = mapdiff.compare(a, b).displacement.set_index("side")
    strip_km = 0.01 * 111.32 * np.cos(np.radians(48.1))
    assert d.loc["RU", "median_km"] == pytest.approx(strip_km, rel=0.02)
    assert d.loc["RU", "n_points"] > 0


@pytest.fixture(scope="module")
def creamy():
    return mapdiff.read_map(shared_file("creamy_caprice/ControlZones/Control_25_11_26.kml"))


@pytest.mark.realdata
@pytest.mark.parametrize(
    "other",
    [
        "deepstate/deepstatemap_data_20251127.geojson",
    ],
)
def test_creamy_caprice_whole_front_with_other_sources(creamy, other):
    """Creamy Caprice 2025-11-26 vs each other source (whole front): to_dict works and the
    front displacement is measured on both sides (it raised AttributeError, exit 3). Every
    release against every source on a shared date: /tmp runs listed in docs/speed.md."""
    cc = creamy
    ob = mapdiff.read_map(shared_file(other))
    out = mapdiff.compare(cc, ob).to_dict()
    disp = {r["side"]: r for r in out["displacement"]}
    assert disp["RU"]["n_points"] > 1000
    assert 0 < disp["RU"]["median_km"] < 50


def test_recognised_source_is_remembered_and_a_bad_note_ignored(tmp_path, monkeypatch):
    """The profile a file was recognised as is kept by content hash: the next Series
    parses nothing to recognise it (read_raw is not called); a damaged note or one naming
    an unknown profile is ignored and rewritten; cache=False neither reads nor writes."""
    import mapdiff.io.read as R
    from mapdiff import cache
    from mapdiff.series import Series

    monkeypatch.setenv("MAPDIFF_CACHE_DIR", str(tmp_path / "c"))
    path = mapdiff.sample_paths()[0]
    Series([path], cache=False)
    assert not (tmp_path / "c").exists()
    s1 = Series([path])
    notes = list((tmp_path / "c" / "releases").glob("*.mdp"))
    assert len(notes) == 1

    def boom(*a, **k):
        raise AssertionError("parsed again")

    with monkeypatch.context() as m:
        m.setattr(R, "read_raw", boom)
        assert Series([path]).source == s1.source
    for bad in (b"\x00garbage", b'{"format": 1, "content": "x", "profile": "deepstate"}'):
        notes[0].write_bytes(bad)
        assert Series([path]).source == s1.source
        assert b'"profile"' in notes[0].read_bytes() and notes[0].read_bytes() != bad
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    notes[0].write_bytes(json.dumps({"format": 1, "content": digest, "profile": "no-such-profile"}).encode())
    assert cache.detected(digest) is None
    assert Series([path]).source == s1.source
    assert cache.detected(digest) == s1.source
    assert cache.clear() == 0 and not list((tmp_path / "c" / "releases").glob("*.mdp"))
