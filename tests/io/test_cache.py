"""Tests of mapdiff.io.cache: hits, invalidation when a file changes, damage, concurrent writers."""

from __future__ import annotations

import json
import shutil
import threading

import pytest
import shapely

import mapdiff
from mapdiff import Releases
from mapdiff.history import _engine as H
from mapdiff.io import cache


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(d))
    return d / "releases"


def test_cache_dir_from_env_and_default(cache_dir, monkeypatch):
    from mapdiff.places._cache import cache_dir as footprints_dir

    assert cache.cache_dir() == cache_dir
    # one cache root: parsed releases and fetched boundaries side by side below it
    assert footprints_dir() == cache_dir.parent / "footprints"
    monkeypatch.delenv(cache.CACHE_ENV)
    assert cache.cache_dir().name == "releases" and "mapdiff" in str(cache.cache_dir())
    assert footprints_dir().parent == cache.cache_dir().parent


def test_second_run_hits_the_cache(cache_dir, monkeypatch):
    # changes() keeps clipped releases (shares keep measured results: tests/history/test_runner.py)
    s = Releases(mapdiff.sample_paths())
    first = s.changes(aoi="Pokrovsk", workers=1, quiet=True).frame
    entries = sorted(cache_dir.glob("*.mdr"))
    assert len(entries) == 5

    def no_read(*args, **kwargs):
        raise AssertionError("a cached release was parsed again")

    monkeypatch.setattr(H, "_read_clipped", no_read)
    second = s.changes(aoi="Pokrovsk", workers=1, quiet=True).frame
    assert second.equals(first)
    # another area of interest is another key: it must parse
    with pytest.raises(AssertionError, match="parsed again"):
        s.changes(aoi="Kharkiv", workers=1, quiet=True)


def test_cache_roundtrip_keeps_the_map(cache_dir):
    m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    key = cache.release_key(m.provenance.sha256, shapely.box(37, 48, 37.3, 48.4), "deepstate")
    cache.store(key, m)
    back = cache.load(key)
    assert back.labels == m.labels and back.background == m.background
    assert back.as_of == m.as_of and back.source == m.source and back.scope == m.scope
    assert back.provenance == m.provenance
    assert back.report_base == m.report_base
    assert all(shapely.equals_exact(a, b, 0) for a, b in zip(back.geometries, m.geometries, strict=True))
    assert shapely.equals_exact(back.coverage, m.coverage, 0)
    assert back.area("controlled:RU") == pytest.approx(m.area("controlled:RU"), rel=1e-12)


def test_changed_file_invalidates(cache_dir, tmp_path):
    folder = tmp_path / "releases"
    folder.mkdir()
    target = folder / "deepstatemap_data_20251127_pokrovsk.geojson"
    shutil.copy(mapdiff.sample_path("2025-11-27"), target)
    before = Releases(folder).shares(["Pokrovsk"], "RU", workers=1, quiet=True).frame["Pokrovsk"].iloc[0]
    # the file changes (same name, same date): RU now holds the whole clip box
    data = json.loads(target.read_text())
    box = data["coverage"]
    data["features"][0]["geometry"] = box
    target.write_text(json.dumps(data))
    after = Releases(folder).shares(["Pokrovsk"], "RU", workers=1, quiet=True).frame["Pokrovsk"].iloc[0]
    assert before < 0.5 and after == pytest.approx(1.0)
    assert len(list(cache_dir.glob("*.mds"))) == 1  # one results file, its entry replaced


def test_damaged_entry_is_a_miss_and_is_rewritten(cache_dir):
    s = Releases(mapdiff.sample_paths()[:2])
    good = s.changes(aoi="Pokrovsk", workers=1, quiet=True).frame
    shares = s.shares(["Pokrovsk"], "RU", workers=1, quiet=True).frame
    for p in cache_dir.glob("*.mdr"):
        p.write_bytes(p.read_bytes()[:40])  # truncated
    for p in cache_dir.glob("*.mds"):
        p.write_bytes(b"{")
    assert s.changes(aoi="Pokrovsk", workers=1, quiet=True).frame.equals(good)
    assert s.shares(["Pokrovsk"], "RU", workers=1, quiet=True).frame.equals(shares)
    assert all(cache.load(p.stem) is not None for p in cache_dir.glob("*.mdr"))
    (cache_dir / ("0" * 64 + ".mdr")).write_bytes(b"not a cache entry")
    assert cache.load("0" * 64) is None


def test_concurrent_writers_leave_a_whole_entry(cache_dir):
    m = mapdiff.read_map(mapdiff.sample_path("2025-11-20"))
    key = cache.release_key(m.provenance.sha256, None, "deepstate")
    errors = []

    def write():
        try:
            for _ in range(5):
                cache.store(key, m)
                assert cache.load(key) is not None
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert [p.name for p in cache_dir.iterdir()] == [f"{key}.mdr"]  # no temporary file left


def test_clear_and_prune(cache_dir):
    s = Releases(mapdiff.sample_paths()[:3])
    s.changes(aoi="Pokrovsk", workers=1, quiet=True)
    s.shares(["Pokrovsk"], "RU", workers=1, quiet=True)
    assert cache.prune(30) == 0
    assert cache.clear() == 3
    assert not list(cache_dir.glob("*.mdr")) and not list(cache_dir.glob("*.mds"))


def test_unwritable_cache_warns_and_goes_on(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv(cache.CACHE_ENV, str(blocker))
    with pytest.warns(mapdiff.errors.MapdiffWarning, match="cannot write the results cache"):
        frame = Releases(mapdiff.sample_paths()[:2]).shares(["Pokrovsk"], "RU", workers=1, quiet=True).frame
    assert len(frame) == 2
    with pytest.warns(mapdiff.errors.MapdiffWarning, match="cannot write the release cache"):
        Releases(mapdiff.sample_paths()[:2]).changes(aoi="Pokrovsk", workers=1, quiet=True)


def test_cache_decisions_are_logged_at_debug(cache_dir, caplog):
    import logging

    paths = mapdiff.sample_paths()[:2]
    with caplog.at_level(logging.DEBUG, logger="mapdiff"):
        Releases(paths).changes(aoi="Pokrovsk", workers=1, quiet=True)
        Releases(paths).changes(aoi="Pokrovsk", workers=1, quiet=True)
    msgs = [r.getMessage() for r in caplog.records if r.name == "mapdiff"]
    assert sum("release cache miss" in m for m in msgs) == 2
    assert sum("release cache hit" in m for m in msgs) == 2
    assert sum("release cache: stored" in m for m in msgs) == 2
