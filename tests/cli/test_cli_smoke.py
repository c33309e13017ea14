"""The command line as a user runs it, in a real process: a few smoke tests.

Everything else about the CLI is tested in process (``cli`` fixture in conftest.py);
these check what only a fresh interpreter shows: the entry point, exit codes as the
shell sees them, and that no Python traceback reaches the terminal.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT

import mapdiff

SAMPLE = str(mapdiff.sample_path("2025-11-27"))
BAD = ROOT / "tests" / "data" / "bad"


def mapdiff_cli(*args, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mapdiff", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg", **env},
        timeout=120,
    )


def test_version():
    r = mapdiff_cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"mapdiff {mapdiff.__version__}"


def test_ok_exits_0():
    r = mapdiff_cli("info", SAMPLE)
    assert r.returncode == 0, r.stderr
    assert "deepstate" in r.stdout and r.stderr == ""


@pytest.mark.parametrize(
    "args, says",
    [
        (("info", BAD / "truncated.geojson"), "truncated.geojson"),
        (("claim", SAMPLE, "--place", "Atlantis", "--side", "RU", "--claimed", "70%"), "no place 'Atlantis'"),
    ],
)
def test_bad_input_exits_2_without_a_traceback(args, says):
    r = mapdiff_cli(*args)
    assert r.returncode == 2, r.stderr
    assert says in r.stderr and "Traceback" not in r.stderr


def test_strict_claim_not_supported_exits_1():
    r = mapdiff_cli("claim", SAMPLE, "--place", "Pokrovsk", "--side", "RU", "--claimed", "70%", "--strict")
    assert r.returncode == 1, r.stderr
    assert "NOT SUPPORTED" in r.stdout and "Traceback" not in r.stderr
