"""Issue 28: what made users wait, and the fast paths' same numbers.

- ``compare`` of Creamy Caprice with any other source (its RU polygon unions into a
  GeometryCollection): the displacement measures the polygons and never fails.
- A Creamy Caprice folder is dated from its file names (``%y_%m_%d``), not by parsing
  every release.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from conftest import RU, UA, geodesic_km2, shared_file

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


# ------------------------------------------------------------------ history --places hromadas
def test_csv_of_floats_is_what_pandas_writes(monkeypatch):
    """``csv_text`` writes a table of floats (history --csv) row by row itself: the same
    bytes as pandas' writer, NaN, -0.0, inf, tiny and huge values, quoted column names."""
    import pandas as pd

    from mapdiff.io import write

    rng = np.random.default_rng(0)
    v = rng.random((40, 12)) * np.array([1, 1e-7, 1e6, 1e20] * 3)
    v[rng.random(v.shape) < 0.2] = np.nan
    v[0, 0], v[1, 1], v[2, 2], v[3, :], v[4, 4], v[5, 5] = -0.0, np.inf, -np.inf, np.nan, 5e-7, 0.0078125
    cols = [f'relation/{i} A, "b"' if i % 3 else f"=P{i}" for i in range(12)]
    f = pd.DataFrame(v, index=[f"2025-01-{i:02d}" for i in range(1, 41)], columns=cols)
    f.index.name = "date"
    fast = {fmt: write.csv_text(f, float_format=fmt) for fmt in ("%.6f", "%.3g", "%.10e")}
    monkeypatch.setattr(write, "_plain_floats", lambda *a: False)  # pandas' own writer
    for fmt, text in fast.items():
        assert text == write.csv_text(f, float_format=fmt), fmt


@pytest.mark.realdata
def test_history_of_hromadas_cold_warm_and_geodesic(cli, tmp_path, monkeypatch):
    """``history --places``: the cold and the warm run (results file, kept place set) write
    the same CSV bytes and the same summary; a few hromadas' shares within 0.1 pp of
    pyproj.Geod on the raw DeepState and OSM polygons."""
    import pandas as pd
    from test_admin_places import _raw_feature

    from mapdiff.places.regions import region

    folder = tmp_path / "ds"
    folder.mkdir()
    names = ("20250601", "20251127", "20251215")
    for d in names:
        src = shared_file(f"deepstate/deepstatemap_data_{d}.geojson")
        (folder / src.name).write_bytes(src.read_bytes())
    monkeypatch.setenv("MAPDIFF_CACHE_DIR", str(tmp_path / "cache"))
    args = ("history", str(folder), "--places", "hromadas of Donetsk Oblast", "--workers", "1", "--quiet")
    cold = cli(*args, "--csv", str(tmp_path / "cold.csv"))
    assert cold.returncode == 0, cold.stderr
    assert list((tmp_path / "cache" / "releases").glob("*.mdf"))  # the place set kept
    warm = cli(*args, "--csv", str(tmp_path / "warm.csv"))
    assert warm.returncode == 0, warm.stderr
    assert (tmp_path / "cold.csv").read_bytes() == (tmp_path / "warm.csv").read_bytes()
    assert cold.stdout.replace("cold.csv", "x") == warm.stdout.replace("warm.csv", "x")
    frame = pd.read_csv(tmp_path / "cold.csv", index_col="date")
    assert frame.shape == (3, 66)
    last = frame.iloc[-1]
    partly = [c for c in frame.columns if 0.05 < last[c] < 0.95][:4]  # the front runs through them
    assert partly
    ds = folder / f"deepstatemap_data_{names[-1]}.geojson"
    occupied = shapely.from_geojson(ds.read_text(encoding="utf-8"))
    occupied = shapely.make_valid(shapely.union_all(shapely.get_parts(occupied)))
    speaks = shapely.union(region("ukraine"), occupied)
    for col in partly:
        raw, _ = _raw_feature("hromada", col.split(" ")[0])
        expected = geodesic_km2(shapely.intersection(raw, occupied)) / geodesic_km2(
            shapely.intersection(raw, speaks)
        )
        assert last[col] == pytest.approx(expected, abs=0.001), col


def test_drawing_beyond_the_land_is_reused_only_when_the_change_is_inland():
    """Reading a whole-front release: the drawing beyond the land outline (an overlay with
    the coast) is taken from the last release when the front moved only inland; a change
    near or beyond the land's edge, or another land, computes it again. Same point set as
    the overlay, either way."""
    from mapdiff.places import regions

    land = shapely.box(0, 0, 10, 10)
    old = shapely.Polygon([(5, -1), (12, -1), (12, 8), (5, 8), (4, 6), (3, 4)])
    regions._LAST_BEYOND.clear()
    beyond_old = regions.drawn_beyond(land, [old])
    assert beyond_old is not None
    moved = shapely.Polygon([(5, -1), (12, -1), (12, 8), (5, 8), (2, 5), (3, 4)])  # inland
    beyond = regions.drawn_beyond(land, [moved])
    assert beyond is beyond_old  # reused
    fresh = shapely.difference(moved, land)
    assert shapely.equals(beyond, fresh)
    coast = shapely.Polygon([(5, -1), (12, -1), (12, 9), (5, 8), (2, 5), (3, 4)])  # beyond the edge
    beyond = regions.drawn_beyond(land, [coast])
    assert beyond is not beyond_old and shapely.equals(beyond, shapely.difference(coast, land))
    beyond = regions.drawn_beyond(shapely.box(0, 0, 10, 10), [coast])  # an equal land, not the same
    assert shapely.equals(beyond, shapely.difference(coast, land))
    edge = shapely.Polygon([(5, -1), (12, -1), (12, 9), (5, 8), (2, 5), (3, 0.5)])  # a box touching the edge
    beyond = regions.drawn_beyond(land, [edge])
    assert shapely.equals(beyond, shapely.difference(edge, land))
    assert not regions._differ_inside(coast, edge, land)


def test_results_file_is_read_in_place_and_aligned(tmp_path, monkeypatch):
    """The results file (.mds): every release's km² a view of the file's one array, at an
    8-byte boundary (numpy is slow on float64 that are not); a damaged file is a miss."""
    from mapdiff.history import _engine as _runner

    monkeypatch.setenv("MAPDIFF_CACHE_DIR", str(tmp_path))
    s = mapdiff.Releases(mapdiff.sample_paths()[:3])
    first = s.shares(["Pokrovsk", "Myrnohrad"], "RU", workers=1, quiet=True).frame
    (path,) = (tmp_path / "releases").glob("*.mds")
    entries = _runner._load_results(path)
    assert len(entries) == 3
    for _, km2 in entries.values():
        assert km2.flags.aligned and not km2.flags.owndata and km2.shape[1] == 2
    assert (
        mapdiff.Releases(mapdiff.sample_paths()[:3])
        .shares(["Pokrovsk", "Myrnohrad"], "RU", workers=1, quiet=True)
        .frame.equals(first)
    )
    data = bytearray(path.read_bytes())
    data[-3] ^= 1  # a flipped bit in a number
    path.write_bytes(bytes(data))
    assert _runner._load_results(path) == {}


def _grid_footprints(n: int = 12, step: float = 0.1):
    """Squares (some rotated a little, so none is a box) tiling [0, n*step]²."""
    out = []
    for i in range(n):
        for j in range(n):
            sq = shapely.box(i * step, j * step, (i + 1) * step, (j + 1) * step)
            out.append(shapely.affinity.rotate(sq, 3 * ((i + j) % 3), origin="centroid"))
    return np.asarray(out, dtype=object)


def _redrawn(old, change):
    """``old`` with ``change`` added and carved out of it, as a new part (valid)."""
    return shapely.get_parts(shapely.make_valid(change(old)))[0]


@pytest.mark.parametrize(
    "change",
    [
        lambda p: shapely.union(p, shapely.box(0.55, 1.05, 0.61, 1.15)),  # a bulge on one edge
        lambda p: shapely.difference(p, shapely.box(0.31, 0.31, 0.49, 0.49)),  # a hole round footprints
        lambda p: shapely.difference(p, shapely.box(0.52, 0.52, 0.56, 0.57)),  # a hole inside one
        lambda p: shapely.Polygon(p.exterior.coords[::-1], [r.coords for r in p.interiors]),  # same, reversed
        lambda p: shapely.union(
            p, shapely.box(0.05, 0.55, 0.15, 0.65).union(shapely.box(0.9, 0.1, 1.0, 0.3))
        ),
    ],
)
def test_a_part_redrawn_in_a_few_places_measures_as_measured_afresh(change):
    """The footprints far from where a part was redrawn keep what its predecessor gave
    (covered, cut or missed); every footprint gets exactly the numbers of measuring the
    new part with no predecessor, bit for bit, and those near the change are tested."""
    from mapdiff.history import _kernel as E

    fps = _grid_footprints()
    centre = E.rounded_centre(fps)
    ix = E.Footprints(fps, centre)
    old = shapely.difference(
        shapely.Point(0.6, 0.6).buffer(0.5, quad_segs=32), shapely.box(0.62, 0.2, 0.78, 0.36)
    )
    new = _redrawn(old, change)
    key = hashlib.blake2b(shapely.to_wkb(old), digest_size=16).digest()
    _, f, a, c = E._measure_parts(ix, np.asarray([old], dtype=object), centre, {})
    seen = {key: (f, a, c)}
    before = E._Before([(old, key)], seen, {})
    cand = np.sort(ix.tree.query(new))
    kept = before.unchanged(ix, new, cand, b"new")
    assert kept is not None
    test, covered, cut = kept
    assert len(test) < len(cand) and len(covered) and len(cut)
    got = E._measure_parts(ix, np.asarray([new], dtype=object), centre, {}, before, [b"new"])
    ref = E._measure_parts(ix, np.asarray([new], dtype=object), centre, {})
    for x, y in zip(got, ref, strict=True):
        assert np.array_equal(x, y)
        assert x.tobytes() == y.tobytes()
    # every footprint left as it was meets the new part as it met the old one
    for j in np.concatenate([covered, cut]):
        assert shapely.equals(shapely.intersection(new, fps[j]), shapely.intersection(old, fps[j]))


def test_a_footprint_a_new_hole_swallows_is_tested_again():
    """A hole cut round a footprint, far from every other change: no changed edge meets the
    footprint's box, one point inside it tells that it changed side."""
    from mapdiff.history import _kernel as E

    fps = _grid_footprints()
    centre = E.rounded_centre(fps)
    ix = E.Footprints(fps, centre)
    old = shapely.box(0.0, 0.0, 1.2, 1.2)
    new = shapely.Polygon(old.exterior.coords, [shapely.box(0.28, 0.28, 0.52, 0.52).exterior.coords])
    key = hashlib.blake2b(shapely.to_wkb(old), digest_size=16).digest()
    _, f, a, c = E._measure_parts(ix, np.asarray([old], dtype=object), centre, {})
    before = E._Before([(old, key)], {key: (f, a, c)}, {})
    cand = np.sort(ix.tree.query(new))
    test = before.unchanged(ix, new, cand, b"new")[0]
    inside_hole = [k for k in range(len(fps)) if shapely.within(fps[k], shapely.box(0.28, 0.28, 0.52, 0.52))]
    assert inside_hole and set(inside_hole) <= set(test.tolist())
    got = E._measure_parts(ix, np.asarray([new], dtype=object), centre, {}, before, [b"new"])
    ref = E._measure_parts(ix, np.asarray([new], dtype=object), centre, {})
    assert all(np.array_equal(x, y) for x, y in zip(got, ref, strict=True))
    assert not set(inside_hole) & set(got[1].tolist())


def test_edges_among_other_edges_bit_for_bit():
    from mapdiff.history import _kernel as E

    rng = np.random.default_rng(3)
    a = rng.random((500, 4))
    b = np.vstack([a[::2], rng.random((100, 4))])
    b[0, 1] = np.nextafter(b[0, 1], 2)  # one bit off: not the same edge
    want = np.array([any((row == other).all() for other in b) for row in a])
    assert np.array_equal(E._among(a, b), want)
    assert not E._among(a, b[:0]).any() and E._among(a[:0], b).shape == (0,)


@pytest.mark.parametrize("overlap", [False, True])
@pytest.mark.parametrize(("n", "workers"), [(769, 2), (769, 8), (27, 2), (5, 2), (2, 2), (50, 0)])
def test_batches_shrink_towards_the_end_and_cover_every_item_once(n, workers, overlap):
    from mapdiff.history import _engine as E

    items = list(range(n))
    batches = E._batches(items, max(4 * max(workers, 1), -(-n // 64)), overlap, workers)
    if overlap:
        assert all(b[-1] == nxt[0] for b, nxt in itertools.pairwise(batches))
        assert [x for b in batches for x in b[: len(b) - 1]] + [batches[-1][-1]] == items
    else:
        assert [x for b in batches for x in b] == items
    if workers > 1 and n > 100:
        sizes = [len(b) for b in batches]
        assert sizes[0] > 2 * sizes[-1] and max(sizes[-3:]) <= -(-n // (2 * workers)) // 4


@pytest.mark.realdata
def test_redrawn_parts_on_deepstate_give_the_numbers_of_measuring_afresh(monkeypatch):
    """Consecutive DeepState releases measured on the hromadas of Donetsk Oblast, one run's
    memo across them: the footprints a redrawn part left as they were are covered, cut or
    missed as the predicates say, and every number is bit for bit that of the same run with
    no predecessor used."""
    from mapdiff.history import _engine as E, _kernel as K
    from mapdiff.places.footprints import place_set

    fps = place_set("hromadas of Donetsk Oblast", cache=False)
    geoms = np.asarray([f.geometry for f in fps], dtype=object)
    centre = E.rounded_centre(geoms)
    ctx = E.Context(shapely.to_wkb(E.aoi_geometry_of(geoms)), (), centre, "deepstate", False, None)
    days = ("20250601", "20250602", "20250603", "20250604")
    paths = [shared_file(f"deepstate/deepstatemap_data_{d}.geojson") for d in days]
    maps = [E.load_release(E.Release(str(p), None, None, p.name), ctx) for p in paths]

    def measured(memo):
        return [K.measure_footprints(m, geoms, centre, memo)[1] for m in maps]

    memo: dict = {}
    used = []
    unchanged = K._Before.unchanged

    def spy(self, ix, part, cand, key):
        out = unchanged(self, ix, part, cand, key)
        used.append(out is not None and len(out[0]) < len(cand))
        if out is not None:  # what the predicates say of the footprints left as they were
            _, covered, cut = out
            assert shapely.covers(part, ix.fps[covered]).all()
            assert shapely.intersects(part, ix.fps[cut]).all() and not shapely.covers(part, ix.fps[cut]).any()
            rest = np.setdiff1d(cand, np.concatenate(out))
            assert not shapely.intersects(part, ix.fps[rest]).any()
        return out

    monkeypatch.setattr(K._Before, "unchanged", spy)
    fast = measured(memo)
    assert any(used)  # a redrawn part left footprints as they were
    monkeypatch.setattr(K._Before, "unchanged", lambda self, *a: None)
    reference = measured({})
    for a, b in zip(fast, reference, strict=True):
        assert a.tobytes() == b.tobytes()
