"""The history runner: results cached by file identity, progress, batches."""

from __future__ import annotations

import os
import shutil

import pytest

import mapdiff
from mapdiff import Releases
from mapdiff.history import _dask as D, _engine as R
from mapdiff.io import cache


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(root))
    return root / "releases"


def test_warm_run_reads_no_release(cache_dir, monkeypatch):
    s = Releases(mapdiff.sample_paths())
    first = s.shares(["Pokrovsk", "Myrnohrad"], "RU", workers=1, quiet=True)
    assert len(list(cache_dir.glob("*.mds"))) == 1

    def no_load(*args, **kwargs):
        raise AssertionError("a release was loaded on a warm run")

    monkeypatch.setattr(R, "load_release", no_load)
    warm = Releases(mapdiff.sample_paths()).shares(["Pokrovsk", "Myrnohrad"], "RU", workers=1, quiet=True)
    assert warm.frame.equals(first.frame)
    assert warm.areas.equals(first.areas)


def test_a_rewritten_file_is_measured_again(cache_dir, tmp_path):
    folder = tmp_path / "releases"
    folder.mkdir()
    for p in mapdiff.sample_paths()[:2]:
        shutil.copy(p, folder / p.name)
    before = Releases(folder).shares(["Pokrovsk"], "RU", workers=1, quiet=True).frame["Pokrovsk"]
    # the older release is replaced by the newer one's content, under the old name
    old, new = sorted(folder.iterdir())
    old.write_bytes(new.read_bytes())
    st = old.stat()
    os.utime(old, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    after = Releases(folder).shares(["Pokrovsk"], "RU", workers=1, quiet=True).frame["Pokrovsk"]
    assert after.iloc[0] == pytest.approx(before.iloc[1], abs=1e-12)
    assert before.iloc[0] != pytest.approx(before.iloc[1])


def test_other_places_are_other_results(cache_dir):
    s = Releases(mapdiff.sample_paths()[:2])
    s.shares(["Pokrovsk"], "RU", workers=1, quiet=True)
    s.shares(["Myrnohrad"], "RU", workers=1, quiet=True)
    assert len(list(cache_dir.glob("*.mds"))) == 2


def test_no_cache_writes_nothing(cache_dir):
    # Releases(cache=False): not even the note of the source recognised from the first file
    Releases(mapdiff.sample_paths()[:2], cache=False).shares(
        ["Pokrovsk"], "RU", workers=1, quiet=True, cache=False
    )
    assert not cache_dir.exists() or not any(cache_dir.iterdir())


def test_progress_is_quiet_off_a_terminal(capsys):
    assert R._progress(10, "x", quiet=False) is None  # pytest's stderr is no terminal
    assert R._progress(10, "x", quiet=True) is None


def test_cli_history_runs_on_a_dask_scheduler(tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    import json

    from mapdiff.cli import main

    folder = str(tmp_path)
    for p in mapdiff.sample_paths()[:3]:
        shutil.copy(p, tmp_path / p.name)
    local = Releases(folder).shares(["Pokrovsk"], "RU", workers=1, quiet=True, cache=False)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        argv = ["history", folder, "--place", "Pokrovsk", "--scheduler", cluster.scheduler_address]
        assert main([*argv, "--json", "--no-cache"]) == 0
        first = D.dask_client(cluster.scheduler_address)
        assert D.dask_client(cluster.scheduler_address) is first  # one client per scheduler, reused
        first.close()
    out = json.loads(capsys.readouterr().out)
    assert out["shares"]["Pokrovsk"] == pytest.approx(list(local.frame["Pokrovsk"]), abs=1e-6)  # JSON rounds


def test_file_identity_is_the_real_path_of_a_file_or_of_its_link_target(tmp_path):
    _identity = R._identity
    real = tmp_path / "real"
    real.mkdir()
    f = real / "a.geojson"
    f.write_text("{}")
    linked_dir = tmp_path / "via"
    linked_dir.symlink_to(real)
    link = tmp_path / "b.geojson"
    link.symlink_to(f)
    st = os.stat(f)
    want = f"{os.path.realpath(f)}|{st.st_size}|{st.st_ino}|{st.st_mtime_ns}|{st.st_ctime_ns}"
    # the file, the file through a linked folder, and a link to the file: one identity
    assert _identity(str(f)) == _identity(str(linked_dir / "a.geojson")) == _identity(str(link)) == want
    assert _identity(str(tmp_path / "missing.geojson")) is None


# ------------------------------------------------------------------ the measuring kernel
def _naive_measure(m, fps, centre):
    """Every footprint cut by every drawn part of the map clipped to its coverage."""
    import numpy as np
    import shapely

    from mapdiff.model.measure import area_km2

    drawn = [shapely.get_parts(g) for g in m.clipped]
    areas = np.zeros((len(drawn) + (m.background is not None), len(fps)))
    for k, parts in enumerate(drawn):
        for p in parts:
            areas[k] += area_km2(shapely.intersection(p, fps), centre=centre)
    total = area_km2(fps, centre=centre)
    covered = total if m.coverage is None else area_km2(shapely.intersection(fps, m.coverage), centre=centre)
    if m.coverage is None:
        covered = areas[: len(drawn)].sum(axis=0)
    if m.background is not None:
        areas[-1] = np.maximum(covered - areas[: len(drawn)].sum(axis=0), 0.0)
    return areas, covered, total


def _front_map(seed: int, coverage: bool, advance: bool = False):
    """A ragged front with a hole and islands, grey strips, and a coverage cutting it;
    ``advance``: the same front, advanced in its northern tenth only."""
    import numpy as np
    import shapely

    from mapdiff.model.normalisation import normalise

    rng = np.random.default_rng(seed)
    ys = np.linspace(47.0, 49.0, 400)
    xs = 37.5 + 0.15 * np.sin(ys * 9 + seed) + rng.normal(0, 0.01, ys.size)
    if advance:
        xs[-40:] -= 0.05
    ru = shapely.Polygon([(39.5, 47.0), *zip(xs, ys, strict=True), (39.5, 49.0)])
    ru = ru.difference(shapely.Point(38.3, 48.0).buffer(0.2))  # a hole held by UA
    islands = shapely.union_all(
        [shapely.Point(x, y).buffer(0.03) for x, y in rng.uniform([36.5, 47.2], [37.3, 48.8], (12, 2))]
    )
    grey = shapely.box(37.2, 47.6, 37.9, 47.64)
    ru_label, grey_label = mapdiff.labels.Label("controlled", "RU"), mapdiff.labels.Label("contested", None)
    return normalise(
        [(ru_label, shapely.union(ru, islands)), (grey_label, grey)],
        coverage=shapely.Polygon([(36.0, 46.8), (39.2, 46.8), (38.6, 49.3), (36.0, 49.3)])
        if coverage
        else None,
        background=mapdiff.labels.Label("controlled", "UA") if coverage else None,
        source="t",
        precedence=[ru_label, grey_label],
    )


@pytest.mark.parametrize("seed, coverage", [(0, True), (1, True), (2, False)])
def test_kernel_gives_the_naive_cut_of_every_footprint(seed, coverage):
    """Hundreds of footprints (the grid path: most far from any edge, inside or outside),
    boxes on the coverage's edge and discs on the front: the km² of cutting every footprint
    with every part, to 1e-9 km², over consecutive releases sharing one memo."""
    import numpy as np
    import shapely

    rng = np.random.default_rng(seed)
    centres = rng.uniform([36.0, 46.8], [39.4, 49.3], (400, 2))
    fps = [shapely.Point(x, y).buffer(rng.uniform(0.01, 0.05)) for x, y in centres]
    fps += [shapely.box(x, y, x + 0.1, y + 0.05) for x, y in rng.uniform([36.0, 46.8], [39.4, 49.3], (60, 2))]
    fps = np.asarray(fps, dtype=object)
    centre = R.rounded_centre(fps)
    memo: dict = {}
    cuts = []
    for release in range(3):  # the front advances in the north, then goes back to the first
        m = _front_map(seed, coverage, advance=release == 1)
        labels, areas, covered, total = R.measure_footprints(m, fps, centre, memo)
        cuts.append(len(memo["cuts"]))
        assert labels == (*m.labels, *([m.background] if m.background else []))
        n_areas, n_covered, n_total = _naive_measure(m, fps, centre)
        np.testing.assert_allclose(areas, n_areas, rtol=0, atol=1e-9)
        np.testing.assert_allclose(covered, n_covered, rtol=0, atol=1e-9)
        np.testing.assert_array_equal(total, n_total)
        assert (areas[0] > 0).sum() > 50 and ((areas[0] > 0) & (areas[0] < total - 1e-6)).sum() > 5
        if coverage:
            assert ((covered > 0) & (covered < total - 1e-6)).sum() > 3  # footprints the coverage cuts
    assert len(memo["parts"]) < 2 * 20  # the third release measured nothing again
    # the advance cut again only the footprints in the north: the other pieces were remembered
    assert cuts[0] > 20 and 0 < cuts[1] - cuts[0] < cuts[0] / 3 and cuts[2] == cuts[1]


def test_footprints_far_from_every_edge_are_decided_by_one_point():
    import numpy as np
    import shapely

    fps = np.asarray([shapely.Point(37.0 + i * 0.1, 48.0).buffer(0.02) for i in range(20)], dtype=object)
    ix = R._Footprints(fps, R.rounded_centre(fps))
    part = shapely.box(36.5, 47.5, 37.9, 48.5)  # its right edge crosses footprint 9 only
    inside, near = ix.overlaps(part, np.arange(20))
    assert list(inside) == list(range(9))  # decided without a test
    assert 9 in near and set(near) <= {8, 9, 10}  # those a cell from the edge are tested
    assert not shapely.intersects(part, fps[[i for i in range(20) if i not in set(inside) | set(near)]]).any()


def test_dask_sends_the_context_once_per_client_and_gives_the_local_numbers():
    distributed = pytest.importorskip("distributed")
    import pandas as pd

    s = Releases(mapdiff.sample_paths())
    places = ["Pokrovsk", "Myrnohrad"]
    local = s.shares(places, "RU", workers=1, quiet=True, cache=False)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        sent = []
        scatter = client.scatter
        client.scatter = lambda data, **kw: sent.append(data) or scatter(data, **kw)
        first = s.shares(places, "RU", backend="dask", client=client, quiet=True, cache=False)
        again = s.shares(places, "RU", backend="dask", client=client, quiet=True, cache=False)
        assert len(sent) == 1  # the second call sent nothing
        other = s.shares(["Pokrovsk"], "RU", backend="dask", client=client, quiet=True, cache=False)
        assert len(sent) == 2 and sent[0] != sent[1]  # other places: another context
    for sh in (first, again):
        pd.testing.assert_frame_equal(sh.frame, local.frame)  # exactly: batches never change a number
        pd.testing.assert_frame_equal(sh.areas, local.areas)
    pd.testing.assert_series_equal(other.frame["Pokrovsk"], local.frame["Pokrovsk"])


def test_a_cut_piece_that_is_not_valid_is_never_used(monkeypatch):
    """Were every piece cut to a footprint's box invalid, each footprint is cut by the whole
    part (the naive km²) and nothing is remembered."""
    import numpy as np
    import shapely

    fps = np.asarray([shapely.Point(37.3 + 0.05 * i, 48.0 + 0.02 * i).buffer(0.03) for i in range(20)])
    m = _front_map(3, True)
    monkeypatch.setattr(R.shapely, "is_valid", lambda g: np.zeros(np.shape(g), dtype=bool))
    memo: dict = {}
    _, areas, covered, _ = R.measure_footprints(m, fps, R.rounded_centre(fps), memo)
    n_areas, n_covered, _ = _naive_measure(m, fps, R.rounded_centre(fps))
    np.testing.assert_allclose(areas, n_areas, rtol=0, atol=1e-9)
    np.testing.assert_allclose(covered, n_covered, rtol=0, atol=1e-9)
    assert memo["cuts"] == {} and ((areas[0] > 0) & (areas[0] < covered - 1e-6)).any()


def test_mapdiffs_local_cluster_runs_without_the_profiler():
    """No dashboard, so no statistical profiler sampling every task (~5% of a worker's time)."""
    distributed = pytest.importorskip("distributed")
    import dask

    with D.local_cluster(1) as cluster, distributed.Client(cluster) as client:
        flags = client.run(lambda dask_worker: "profile" in dask_worker.periodic_callbacks)
        info = client.scheduler_info()
        assert list(flags.values()) == [False]
        assert [w["nthreads"] for w in info["workers"].values()] == [1]
        # glibc's own malloc trimming (dask's 64 KiB threshold: ~15% slower here); the
        # one-thread settings for numerical libraries kept
        env = client.run(
            lambda: {k: os.environ.get(k) for k in ("MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS")}
        )
        assert list(env.values()) == [{"MALLOC_TRIM_THRESHOLD_": None, "OMP_NUM_THREADS": "1"}]
    assert dask.config.get("distributed.worker.profile.enabled")  # this process's setting is untouched
    assert "MALLOC_TRIM_THRESHOLD_" in dask.config.get("distributed.nanny.pre-spawn-environ")
