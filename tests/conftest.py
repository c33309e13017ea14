"""Shared fixtures: paths to the real archives (skipped when absent) and small maps built in code."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pyproj
import pytest
import shapely
from hypothesis import settings

from mapdiff import normalise
from mapdiff.labels import Label

# Hypothesis: no per-example deadline anywhere (a timed assert; on a loaded machine or
# under xdist it fails at random). Each test keeps its own max_examples.
settings.register_profile("mapdiff", deadline=None)
settings.load_profile("mapdiff")

ROOT = Path(__file__).resolve().parent.parent
#: ../shared beside the checkout (as in CI), or $MAPDIFF_SHARED (a worktree elsewhere)
SHARED = Path(os.environ.get("MAPDIFF_SHARED") or ROOT.parent / "shared")
SHARED_DATA = SHARED / "data"

RU = Label("controlled", "RU")
UA = Label("controlled", "UA")
GREY = Label("contested", None)

_GEOD = pyproj.Geod(ellps="WGS84")


def geodesic_km2(geom) -> float:
    """Independent yardstick: geodesic area (km²) on WGS84 of a lon/lat geometry."""
    if geom.is_empty:
        return 0.0
    return abs(_GEOD.geometry_area_perimeter(shapely.orient_polygons(geom))[0]) / 1e6


def shared_file(rel: str) -> Path:
    """Path of a file in ../shared/data, skipping the test with a reason when it is absent."""
    path = SHARED_DATA / rel
    if not path.exists():
        pytest.skip(f"real data not available: {path} is absent (needs ../shared/data)")
    return path


#: The read cache of this test process: its own temporary folder (one per xdist worker), kept
#: for the whole session so reads stay warm across tests, and never the user's cache.
_SESSION_CACHE: str | None = None


class _KeepSessionCache:
    """A doctest (mapdiff/_dirs.py) deletes the variable: set it again before the next test,
    doctests of mapdiff/ included (a plugin object, not a hook of this folder's conftest)."""

    @staticmethod
    def pytest_runtest_setup(item):
        if not os.environ.get("MAPDIFF_CACHE_DIR"):
            os.environ["MAPDIFF_CACHE_DIR"] = _SESSION_CACHE


def pytest_configure(config):
    global _SESSION_CACHE
    named = os.environ.get("MAPDIFF_CACHE_DIR")
    if named and named != os.environ.get("MAPDIFF_TEST_SESSION_CACHE"):
        return  # the person running the tests named one (not the xdist controller's)
    import tempfile

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    _SESSION_CACHE = tempfile.mkdtemp(prefix=f"mapdiff-test-cache-{worker}-")
    os.environ["MAPDIFF_CACHE_DIR"] = os.environ["MAPDIFF_TEST_SESSION_CACHE"] = _SESSION_CACHE
    config.pluginmanager.register(_KeepSessionCache(), "mapdiff-session-cache")


def pytest_sessionfinish(session):
    if _SESSION_CACHE:
        import shutil

        shutil.rmtree(_SESSION_CACHE, ignore_errors=True)


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not available: {SHARED_DATA} is absent")
    return SHARED_DATA


@pytest.fixture
def square_map():
    """RU holds the west half of a 0.2° square near Pokrovsk, grey zone a strip, UA the rest."""
    cov = shapely.box(37.0, 48.0, 37.2, 48.2)
    return normalise(
        [(RU, shapely.box(37.0, 48.0, 37.1, 48.2)), (GREY, shapely.box(37.1, 48.0, 37.12, 48.2))],
        coverage=cov,
        background=UA,
        source="synthetic",
        precedence=[RU, GREY],
    )


@dataclass(frozen=True)
class CliResult:
    """What a person at a terminal sees: the exit code, stdout and stderr."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys, monkeypatch, tmp_path_factory):
    """Run the command line in this process: ``cli("info", path, env={...})`` -> CliResult.

    ``env`` entries are set for the rest of the test. An exception other than the
    ``SystemExit`` of argparse (``--version``, usage errors) propagates, failing the test:
    that is the traceback a user would have seen. The commands' read cache goes to a
    temporary folder unless the test names one (never the user's cache).
    """
    from mapdiff.cli import main

    if os.environ.get("MAPDIFF_CACHE_DIR", "") in ("", _SESSION_CACHE):
        monkeypatch.setenv("MAPDIFF_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))

    def run(*args, env=None) -> CliResult:
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, str(value))
        capsys.readouterr()  # only this call's output
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out = capsys.readouterr()
        return CliResult(code, out.out, out.err)

    return run


_BOUND_SECONDS = 60


@pytest.fixture
def bounded():
    """Fail, rather than hang, a test running past 60 s (SIGALRM: Unix, main thread).

    For tests of hostile inputs (FIFOs, trickling servers, catastrophic patterns): a hang
    is then a failure of that test, not of the suite.
    """
    import signal

    def expired(signum, frame):
        raise TimeoutError(f"did not finish within {_BOUND_SECONDS} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(_BOUND_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
