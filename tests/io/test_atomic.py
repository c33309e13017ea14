"""Nothing lost: every file mapdiff writes is written whole or not at all.

- an audit of the source: every write call in ``mapdiff/`` goes through
  :mod:`mapdiff.io.atomic` (a temporary path it hands out), so a new writer that bypasses it
  fails here;
- writers killed with SIGKILL half-way (``atomic_path`` and ``write_gdf`` on a large
  frame) leave the previous complete version of the target, or no target;
- the release cache survives several processes writing and reading one entry at once,
  and a writer killed mid-way.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import ROOT

import mapdiff
from mapdiff.io import atomic

PKG = ROOT / "mapdiff"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

# A write call whose target is not a temporary path from mapdiff.io.atomic is a finding.
_WRITE_CALL = re.compile(
    r"""(open\(\s*(?P<o>[^,)]+)\s*,\s*["'][wax]b?\+?["']"""
    r"""|\.to_file\(\s*(?P<f>[^,)]+)|savefig\(\s*(?P<s>[^,)]+)|write_dataframe\(\s*[^,]+,\s*(?P<w>[^,)]+)"""
    r"""|(?P<obj>[\w.\]\[()]+)\.(write_text|write_bytes)\(|\.to_(csv|parquet|json|file)\(\s*(?P<c>[^,)]*)"""
    r"""|json\.dump\(\s*[^,]+,\s*(?P<j>[^,)]+))"""
)


# Calls that look like raw writes but are mapdiff methods that write through write_gdf /
# mapdiff.io.atomic themselves (checked in test_allowed_writers_are_atomic).
_ALLOWED = {"mapdiff/cli/compare.py": "c.to_file("}


def _findings() -> list[str]:
    found = []
    for path in sorted(PKG.rglob("*.py")):
        if path.name == "atomic.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.strip()
            if code.startswith((">>>", "...", "#")):
                continue  # doctest examples write to their own temporary folders
            for m in _WRITE_CALL.finditer(code):
                target = next((v for k, v in m.groupdict().items() if v and k != "obj"), "")
                obj = m.group("obj") or ""
                if target.startswith("tmp") or obj.startswith("tmp"):
                    continue  # the path handed out by atomic_path
                if m.group(0).startswith(".to_") and target in ("buf", "", "None"):
                    continue  # serialising to memory, then written atomically
                rel = str(path.relative_to(ROOT))
                if rel in _ALLOWED and _ALLOWED[rel] in code:
                    continue
                found.append(f"{path.relative_to(ROOT)}:{n}: {code}")
    return found


def test_every_writer_goes_through_atomic():
    assert _findings() == []


def test_the_audit_catches_a_bypassing_writer(tmp_path, monkeypatch):
    bad = PKG / "_h7_audit_probe.py"
    bad.write_text(
        'def f(gdf, fig, p):\n    gdf.to_file(p)\n    fig.savefig("out.png")\n'
        '    with open(p, "w") as fh:\n        fh.write("x")\n    p.write_text("x")\n'
    )
    try:
        assert len([f for f in _findings() if "_h7_audit_probe" in f]) == 4
    finally:
        bad.unlink()


def test_allowed_writers_are_atomic():
    import inspect

    from mapdiff.comparison.core import Comparison
    from mapdiff.io.write import write_result

    assert "write_result(" in inspect.getsource(Comparison.to_file)
    assert "write_gdf(" in inspect.getsource(write_result)


def _kill_when(proc: subprocess.Popen, ready) -> None:
    deadline = time.monotonic() + 60
    while not ready():
        if proc.poll() is not None:
            _out, err = proc.communicate()
            pytest.fail(f"writer ended before it could be killed: {err.decode()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("writer never reached the point to kill it")
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    if proc.stderr is not None:
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


def _temporaries(folder: Path, target: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(f".{target.name}.")]


def test_killed_atomic_writer_leaves_previous_version(tmp_path):
    target = tmp_path / "result.json"
    atomic.write_text(target, json.dumps({"version": 1}))
    flag = tmp_path / "halfway"
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from mapdiff.io.atomic import atomic_path
        with atomic_path({str(target)!r}) as tmp:
            with open(tmp, "w") as fh:
                fh.write('{{"version": 2, "rows": [')
                fh.flush()
                Path({str(flag)!r}).touch()
                time.sleep(60)
                fh.write('1]}}')
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], env=ENV, stderr=subprocess.PIPE)
    _kill_when(proc, flag.exists)
    assert json.loads(target.read_text()) == {"version": 1}
    left = _temporaries(tmp_path, target)
    assert len(left) == 1 and left[0].name.endswith(".tmp.json")  # hidden, never the target


def test_killed_write_gdf_leaves_previous_version_or_nothing(tmp_path):
    for previous in (True, False):
        folder = tmp_path / ("prev" if previous else "none")
        folder.mkdir()
        target = folder / "front.geojson"
        if previous:
            mapdiff.write_gdf(_frame(3), target)
            before = target.read_bytes()
        script = textwrap.dedent(f"""
            import sys
            sys.path[:0] = [{str(Path(__file__).parent)!r}, {str(Path(__file__).parents[1])!r}]
            from test_atomic import _frame
            import mapdiff
            mapdiff.write_gdf(_frame(60_000), {str(target)!r})
        """)
        proc = subprocess.Popen([sys.executable, "-c", script], env=ENV, stderr=subprocess.PIPE)

        def half_written(folder=folder, target=target):
            tmps = _temporaries(folder, target)
            return bool(tmps) and tmps[0].exists() and tmps[0].stat().st_size > 1_000_000

        _kill_when(proc, half_written)
        if previous:
            assert target.read_bytes() == before
            from mapdiff.io.read import read_raw

            assert len(read_raw(target).geoms) == 3
        else:
            assert not target.exists()


def _frame(n: int):
    import geopandas as gpd
    import numpy as np
    import shapely

    x = np.linspace(30.0, 40.0, n)
    return gpd.GeoDataFrame(
        {"status": ["controlled"] * n, "side": ["RU"] * n},
        geometry=shapely.box(x, 48.0, x + 0.001, 48.001),
        crs=4326,
    )


# ------------------------------------------------------------------ the release cache
_CACHE_WORKER = """
import sys, mapdiff
from mapdiff.io import cache
m = mapdiff.read_map(mapdiff.sample_path("2025-11-20"))
key = cache.release_key(m.provenance.sha256, None, "deepstate")
bad = 0
for _ in range(int(sys.argv[1])):
    cache.store(key, m)
    got = cache.load(key)
    if got is None or got.labels != m.labels or got.as_of != m.as_of:
        bad += 1
print(bad)
"""


def test_cache_survives_concurrent_processes(tmp_path):
    from mapdiff.io import cache

    env = {**ENV, cache.CACHE_ENV: str(tmp_path / "cache")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CACHE_WORKER, "15"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err.decode()[-2000:]
        assert out.decode().strip() == "0"  # every load saw a whole, equal entry
    entries = list((tmp_path / "cache").rglob("*"))
    assert [e.suffix for e in entries if e.is_file()] == [".mdr"]  # no temporary left
    m = mapdiff.read_map(mapdiff.sample_path("2025-11-20"))
    key = cache.release_key(m.provenance.sha256, None, "deepstate")
    os.environ[cache.CACHE_ENV] = str(tmp_path / "cache")
    try:
        got = cache.load(key)
    finally:
        del os.environ[cache.CACHE_ENV]
    assert got is not None
    assert got.area(got.labels[0]) == pytest.approx(m.area(m.labels[0]), rel=1e-12)


def test_cache_writer_killed_mid_entry_is_a_miss_not_a_corrupt_hit(tmp_path):
    """A writer killed inside atomic_path leaves no entry; the next run stores a whole one."""
    from mapdiff.io import cache

    d = tmp_path / "cache"
    flag = tmp_path / "halfway"
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        import mapdiff
        from mapdiff.io import cache
        from mapdiff.io import atomic
        m = mapdiff.read_map(mapdiff.sample_path("2025-11-20"))
        key = cache.release_key(m.provenance.sha256, None, "deepstate")
        real = atomic.write_bytes
        def slow(path, data, **kwargs):
            with atomic.atomic_path(path) as tmp:
                with open(tmp, "wb") as fh:
                    fh.write(data[: len(data) // 2])
                    fh.flush()
                    Path({str(flag)!r}).touch()
                    time.sleep(60)
                    fh.write(data[len(data) // 2:])
        cache.write_bytes = slow
        cache.store(key, m, {str(d)!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], env=ENV, stderr=subprocess.PIPE)
    _kill_when(proc, flag.exists)
    m = mapdiff.read_map(mapdiff.sample_path("2025-11-20"))
    key = cache.release_key(m.provenance.sha256, None, "deepstate")
    assert not cache._path(key, d).exists()
    assert cache.load(key, d) is None
    cache.store(key, m, d)
    assert cache.load(key, d).labels == m.labels
