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
from mapdiff.history.releases import _cheap_date
from mapdiff.profiles import get_profile


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
    """The profile a file was recognised as is kept by content hash: the next Releases
    parses nothing to recognise it (read_raw is not called); a damaged note or one naming
    an unknown profile is ignored and rewritten; cache=False neither reads nor writes."""
    import mapdiff.io.read as R
    from mapdiff.history.releases import Releases
    from mapdiff.io import cache

    monkeypatch.setenv("MAPDIFF_CACHE_DIR", str(tmp_path / "c"))
    path = mapdiff.sample_paths()[0]
    Releases([path], cache=False)
    assert not (tmp_path / "c").exists()
    s1 = Releases([path])
    notes = list((tmp_path / "c" / "releases").glob("*.mdp"))
    assert len(notes) == 1

    def boom(*a, **k):
        raise AssertionError("parsed again")

    with monkeypatch.context() as m:
        m.setattr(R, "read_raw", boom)
        assert Releases([path]).source == s1.source
    for bad in (b"\x00garbage", b'{"format": 1, "content": "x", "profile": "deepstate"}'):
        notes[0].write_bytes(bad)
        assert Releases([path]).source == s1.source
        assert b'"profile"' in notes[0].read_bytes() and notes[0].read_bytes() != bad
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    notes[0].write_bytes(json.dumps({"format": 1, "content": digest, "profile": "no-such-profile"}).encode())
    assert cache.detected(digest) is None
    assert Releases([path]).source == s1.source
    assert cache.detected(digest) == s1.source
    assert cache.clear() == 0 and not list((tmp_path / "c" / "releases").glob("*.mdp"))


@pytest.mark.realdata
def test_read_cache_gives_the_fresh_read(tmp_path, monkeypatch):
    """read_map(cache=True): the second read loads the binary entry and gives the same map
    (labels, geometries, the drawing as cut, coverage, whole-front outline, provenance
    naming the file it was read as), so compare() gives the same JSON; a damaged entry
    is ignored and rewritten; MAPDIFF_NO_CACHE=1 neither reads nor writes."""
    import shutil

    from mapdiff.io import cache, read as R

    monkeypatch.setenv("MAPDIFF_CACHE_DIR", str(tmp_path / "c"))
    pa = shared_file("deepstate/deepstatemap_data_20251127.geojson")
    pb = shared_file("nzz/2025-11-27.json")
    monkeypatch.setenv("MAPDIFF_NO_CACHE", "1")
    mapdiff.read_map(pa, cache=True)
    assert not (tmp_path / "c").exists()
    monkeypatch.delenv("MAPDIFF_NO_CACHE")
    fresh = [mapdiff.read_map(p) for p in (pa, pb)]
    for p in (pa, pb):
        mapdiff.read_map(p, cache=True)  # misses: read and kept
    entries = sorted((tmp_path / "c" / "releases").glob("*.mdr"))
    assert len(entries) == 2

    calls = []
    monkeypatch.setattr(R, "map_from_raw", lambda *a, **k: calls.append(a) or fresh[0])
    copy = tmp_path / "renamed.geojson"
    shutil.copyfile(pa, copy)
    warm = [mapdiff.read_map(p, cache=True) for p in (copy, pb)]
    assert not calls  # served from the entries: nothing parsed
    monkeypatch.undo()
    monkeypatch.setenv("MAPDIFF_CACHE_DIR", str(tmp_path / "c"))
    assert warm[0].provenance.path == str(copy) and warm[1].provenance.path == str(pb)
    for f, w in zip(fresh, warm, strict=True):
        assert f.labels == w.labels and f.background == w.background and f.as_of == w.as_of
        assert all(shapely.equals_exact(x, y, 0) for x, y in zip(f.geometries, w.geometries, strict=True))
        assert all(shapely.equals_exact(x, y, 0) for x, y in zip(f.clipped, w.clipped, strict=True))
        assert (f.domain.parts is None) == (w.domain.parts is None)
        assert f.domain.land is w.domain.land
        assert shapely.equals_exact(f.coverage, w.coverage, 0)
    d_fresh = mapdiff.compare(*fresh).to_dict()
    d_warm = mapdiff.compare(mapdiff.read_map(pa, cache=True), warm[1]).to_dict()
    assert json.dumps(d_warm, sort_keys=True) == json.dumps(d_fresh, sort_keys=True)
    # a flipped byte: a miss, read again and rewritten whole
    good = {p: p.read_bytes() for p in entries}
    for p in entries:
        data = bytearray(good[p])
        data[len(data) // 2] ^= 0xFF
        p.write_bytes(bytes(data))
    for p in (pa, pb):
        assert mapdiff.read_map(p, cache=True).labels
    assert {p: p.read_bytes() for p in entries} == good
    assert cache.clear() == 2


def test_cache_entry_with_a_repair_loads(tmp_path):
    """A map whose normalisation repaired something (an overlap) loads back from its entry
    with the same report (the entry was read as damaged and rebuilt on every run)."""
    from mapdiff.io import cache

    grey = mapdiff.labels.Label("contested", None)
    m = mapdiff.normalise(
        [(RU, shapely.box(0, 0, 2, 2)), (grey, shapely.box(1, 0, 3, 2))], source="x", background=UA
    )
    assert m.report.repairs
    cache.store("k" * 64, m, tmp_path)
    back = cache.load("k" * 64, tmp_path)
    assert back is not None
    assert back.report_base == m.report_base


def test_cache_is_bounded_least_recently_used_first(tmp_path, monkeypatch):
    """bound() removes the least recently used entries until the folder fits."""
    import os

    from mapdiff.io import cache

    folder = tmp_path / "releases"
    folder.mkdir()
    for i, suffix in enumerate([".mdr", ".mdr", ".mds", ".mdp"]):
        p = folder / f"{i}{suffix}"
        p.write_bytes(b"x" * 1000)
        os.utime(p, (1000 + i, 1000 + i))
    (folder / "keep.txt").write_bytes(b"y" * 5000)  # not an entry: never touched
    assert cache.bound(folder, limit=2500) == 2
    assert sorted(p.name for p in folder.iterdir()) == ["2.mds", "3.mdp", "keep.txt"]
    monkeypatch.setenv("MAPDIFF_CACHE_MAX_MB", "0.001")
    assert cache.max_bytes() == 1048
    monkeypatch.setenv("MAPDIFF_CACHE_MAX_MB", "lots")
    assert cache.max_bytes() == cache.MAX_BYTES_DEFAULT


def test_series_reads_whole_releases_through_the_read_cache(tmp_path, monkeypatch):
    """s[i] of a Releases goes through the read cache (a folder claim reads the release on
    the claim's date whole): the second read parses nothing; cache=False writes nothing."""
    import mapdiff.io.read as R
    from mapdiff.history.releases import Releases

    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"status": "controlled", "side": "RU"},
                "geometry": shapely.geometry.mapping(shapely.box(37.0, 48.0, 37.1, 48.1)),
            }
        ],
    }
    path = tmp_path / "front_2025-11-27.geojson"
    path.write_text(json.dumps(fc))
    monkeypatch.setenv("MAPDIFF_CACHE_DIR", str(tmp_path / "c"))
    Releases([path], source="generic", dates=["2025-11-27"], cache=False)[0]
    assert not (tmp_path / "c").exists()
    first = Releases([path], source="generic", dates=["2025-11-27"])[0]
    assert len(list((tmp_path / "c" / "releases").glob("*.mdr"))) == 1
    with monkeypatch.context() as m:
        m.setattr(R, "map_from_raw", lambda *a, **k: (_ for _ in ()).throw(AssertionError("parsed again")))
        again = Releases([path], source="generic", dates=["2025-11-27"])[0]
    assert again.area(RU) == pytest.approx(first.area(RU), rel=1e-12)
    assert again.as_of == first.as_of
