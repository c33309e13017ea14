"""tools/sweep.py (issue 26): the planning and checking pieces, without the real archives."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _sweep():
    spec = importlib.util.spec_from_file_location("sweep", ROOT / "tools" / "sweep.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_sweep_skips_with_a_message_without_the_data(tmp_path):
    r = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "sweep.py"), "--sample", "--data", str(tmp_path / "absent")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0 and "sweep skipped: no real data at" in r.stdout


def test_release_dates_from_every_archive_naming():
    s = _sweep()
    names = {
        "deepstatemap_data_20251127.geojson": "2025-11-27",
        "deepstatemap_data_20251127_polygons.geojson": "2025-11-27",
        "2025-11-27.json": "2025-11-27",
        "Control_25_11_26.kml": "2025-11-26",
        "1648989208.geojson": "2022-04-03",
    }
    for name, date in names.items():
        assert s._date_of(Path(name)) == date, name


def test_pick_spreads_first_and_last():
    s = _sweep()
    assert s.pick(list(range(10)), 3) == [0, 4, 9] or s.pick(list(range(10)), 3) == [0, 5, 9]
    assert s.pick([1, 2], 3) == [1, 2]


def test_history_output_invariants_are_checked():
    s = _sweep()
    good = {"dates": ["2025-11-01", "2025-11-02"], "shares": {"A": [0.0, 1.0]}, "grey_shares": None}
    assert s._check_cli("history", json.dumps(good), "h", 2) == []
    bad = {"dates": ["2025-11-02", "2025-11-01"], "shares": {"A": [1.2]}, "grey_shares": {"A": [-0.5]}}
    problems = s._check_cli("history", json.dumps(bad), "h", 2)
    assert any("outside [0, 1]" in p for p in problems) and any("distinct: False" in p for p in problems)
    assert s._check_cli("history", json.dumps(good), "h", 1) != []  # more rows than files
    assert "not JSON" in s._check_cli("history", "oops", "h", 1)[0]


def test_a_unit_that_hangs_is_killed_and_reported(tmp_path):
    """A unit past its timeout is a failure (a hang), and its whole process group is gone
    (a pool worker it started too); a unit that exits 0 passes, one that exits 3 fails."""
    import argparse
    import os

    s = _sweep()
    args = argparse.Namespace(timeout=8.0, mem_gb=0)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    ok = s.run_unit({"kind": "cli", "name": "ok", "args": []}, args, env, cmd=[sys.executable, "-c", "pass"])
    assert ok["problems"] == []
    bug = s.run_unit(
        {"kind": "cli", "name": "bug", "args": []},
        args,
        env,
        cmd=[sys.executable, "-c", "raise SystemExit(3)"],
    )
    assert bug["problems"] == ["bug: exit 3: "]
    pids = tmp_path / "pids"
    script = tmp_path / "hang.py"
    script.write_text(
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        "time.sleep(600)\n",
        encoding="utf-8",
    )
    rec = s.run_unit(
        {"kind": "cli", "name": "hang", "args": []}, args, env, cmd=[sys.executable, str(script)]
    )
    assert rec["problems"] == ["hang: no answer within 8 s (hang)"]
    for pid in map(int, pids.read_text().split()):
        assert _dead_within(pid, 5.0), f"process {pid} still runs"


def _dead_within(pid: int, seconds: float) -> bool:
    """The process is gone or a zombie (killed, reaped late) within ``seconds``: a SIGKILL
    is delivered when the kernel next schedules the process, later on a loaded machine."""
    import time

    end = time.monotonic() + seconds
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        stat = Path(f"/proc/{pid}/stat")
        state = stat.read_text().split()[2] if stat.exists() else "Z"
        if state in ("Z", "X") or time.monotonic() > end:
            return state in ("Z", "X")
        time.sleep(0.05)
