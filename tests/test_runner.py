"""The history runner: results cached by file identity, progress, batches."""

from __future__ import annotations

import os
import shutil

import pytest

import mapdiff
from mapdiff import Series, cache
from mapdiff import _runner as R


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(root))
    return root / "releases"


def test_warm_run_reads_no_release(cache_dir, monkeypatch):
    s = Series(mapdiff.sample_paths())
    first = s.shares(["Pokrovsk", "Myrnohrad"], "RU", workers=1, quiet=True)
    assert len(list(cache_dir.glob("*.mds"))) == 1

    def no_load(*args, **kwargs):
        raise AssertionError("a release was loaded on a warm run")

    monkeypatch.setattr(R, "_load_release", no_load)
    warm = Series(mapdiff.sample_paths()).shares(["Pokrovsk", "Myrnohrad"], "RU", workers=1, quiet=True)
    assert warm.frame.equals(first.frame)
    assert warm.areas.equals(first.areas)


def test_a_rewritten_file_is_measured_again(cache_dir, tmp_path):
    folder = tmp_path / "releases"
    folder.mkdir()
    for p in mapdiff.sample_paths()[:2]:
        shutil.copy(p, folder / p.name)
    before = Series(folder).shares(["Pokrovsk"], "RU", workers=1, quiet=True).frame["Pokrovsk"]
    # the older release is replaced by the newer one's content, under the old name
    old, new = sorted(folder.iterdir())
    old.write_bytes(new.read_bytes())
    st = old.stat()
    os.utime(old, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    after = Series(folder).shares(["Pokrovsk"], "RU", workers=1, quiet=True).frame["Pokrovsk"]
    assert after.iloc[0] == pytest.approx(before.iloc[1], abs=1e-12)
    assert before.iloc[0] != pytest.approx(before.iloc[1])


def test_other_places_are_other_results(cache_dir):
    s = Series(mapdiff.sample_paths()[:2])
    s.shares(["Pokrovsk"], "RU", workers=1, quiet=True)
    s.shares(["Myrnohrad"], "RU", workers=1, quiet=True)
    assert len(list(cache_dir.glob("*.mds"))) == 2


def test_no_cache_writes_nothing(cache_dir):
    Series(mapdiff.sample_paths()[:2]).shares(["Pokrovsk"], "RU", workers=1, quiet=True, cache=False)
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
    local = Series(folder).shares(["Pokrovsk"], "RU", workers=1, quiet=True, cache=False)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        argv = ["history", folder, "--place", "Pokrovsk", "--scheduler", cluster.scheduler_address]
        assert main([*argv, "--json", "--no-cache"]) == 0
        first = R.dask_client(cluster.scheduler_address)
        assert R.dask_client(cluster.scheduler_address) is first  # one client per scheduler, reused
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
