#!/usr/bin/env python3
"""The real-corpus sweep (issue 26): every reading operation and analysis over every release.

``make sweep`` (or ``python tools/sweep.py``) runs, over every release of every source in
``$MAPDIFF_SHARED_DATA`` (default ``../shared/data`` beside the checkout):

* per release, in one bounded process (a *release unit*): ``mapdiff info --json`` (the
  command line, in process); the map read through the library, its label areas adding up
  to its coverage; ``check_claim`` on every gazetteer town (shares in [0, 1]); ``changes``
  against the previous release (gains and losses >= 0, net = gained - lost); the command
  line ``claim`` and ``encircle`` on one town (rotating through the gazetteer);
  ``encirclement`` of every town with the grey zone passable and blocking (every release,
  or every ``--encircle-every``-th of an archive of over 30); on every ``--permute-every``-th
  release, the same areas and shares with the features in reversed and shuffled order;
* per date shared by several sources (a *date unit*): ``compare`` of every pair of those
  sources' releases (crosstab finite and >= 0, areas adding up), and ``mapdiff compare`` on
  one pair (rotating);
* per source, each one command line over the whole archive: ``history`` of every gazetteer
  town (shares in [0, 1]), ``claims`` and ``track`` of the shipped ledger; ``changes`` and
  ``report`` on the last pair of releases.

Every unit is a subprocess with a wall-clock timeout and an address-space limit
(``--timeout``, ``--mem-gb``); its process group is killed on timeout. The sweep fails
(exit 1) on any exit code other than 0, any timeout (a hang), any exception that is not a
:class:`mapdiff.MapdiffError` refusal, and any broken invariant; library refusals (e.g. a
town outside a source's coverage) are counted and listed, not failures.

``--sample`` runs every operation on a few releases per source (first, middle, last) and
one shared date: about 2-3 minutes on 2 cores. Without the data folder the sweep says so
and exits 0 (nothing to sweep), so CI on a machine without ``../shared`` skips it.

Run from the checkout (the ``mapdiff`` imported is the checkout's). Results: one JSON line
per unit in ``--out`` (default ``build/sweep/``), a summary on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = Path(os.environ.get("MAPDIFF_SHARED_DATA") or ROOT.parent / "shared" / "data")

#: source (profile name) -> glob of its releases under the data folder
SOURCES = {
    "deepstate": "deepstate/deepstatemap_data_*.geojson",
    "deepstate_api": "deepstate_api/deepstatemap_data_*_polygons.geojson",
    "deepstate_raw": "deepstate_raw/*.geojson",
    "nzz": "nzz/*.json",
    "isw": "isw/*.geojson",
    "owl": "owl/*.json",
    "creamy_caprice": "creamy_caprice/ControlZones/Control_*.kml",
}
REL_TOL = 1e-6  # label areas vs coverage area; areas in any feature order
SHARE_EPS = 1e-9


# ================================================================== releases and dates
def releases(data: Path) -> dict[str, list[tuple[str, Path]]]:
    """{source: [(date, path)] sorted by date} for the sources present under ``data``."""
    out = {}
    for source, pattern in SOURCES.items():
        files = sorted(data.glob(pattern))
        if files:
            out[source] = sorted((_date_of(f), f) for f in files)
    return out


def _date_of(path: Path) -> str:
    """Release date from the file name (every archive here dates its files so), or the
    file's own date for the unix-time names of ``deepstate_raw``."""
    name = path.stem
    if m := re.search(r"(20\d\d)(\d\d)(\d\d)", name):
        return "-".join(m.groups())
    if m := re.search(r"(20\d\d)-(\d\d)-(\d\d)", name):
        return "-".join(m.groups())
    if m := re.search(r"Control_(\d\d)_(\d\d)_(\d\d)", name):
        return f"20{m[1]}-{m[2]}-{m[3]}"
    if m := re.fullmatch(r"\d{9,11}", name):
        import datetime as dt

        return dt.datetime.fromtimestamp(int(m[0]), dt.UTC).date().isoformat()
    return "0000-00-00"


def pick(items: list, n: int) -> list:
    """``n`` items spread over the list, first and last included."""
    if len(items) <= n:
        return list(items)
    idx = sorted({round(i * (len(items) - 1) / (n - 1)) for i in range(n)})
    return [items[i] for i in idx]


# ================================================================== units (in a subprocess)
def _cli(*args) -> tuple[int, str, str]:
    """``mapdiff ARGS`` in this process: (exit code, stdout, stderr)."""
    from mapdiff.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()


class _Unit:
    """Checks of one unit: problems (fail the sweep), refusals (counted), runs (operations)."""

    def __init__(self):
        self.problems: list[str] = []
        self.refusals: list[str] = []
        self.runs = 0

    def op(self, what: str, fn, *args, **kwargs):
        """Run one operation: a MapdiffError is a refusal, any other exception a problem."""
        from mapdiff import MapdiffError
        from mapdiff.errors import EmptyMapError

        self.runs += 1
        try:
            return fn(*args, **kwargs)
        except EmptyMapError as exc:  # issue 26: a map that draws nothing somewhere is no error
            self.problems.append(f"{what}: EmptyMapError: {_short(exc)}")
        except MapdiffError as exc:
            self.refusals.append(f"{what}: {type(exc).__name__}: {_short(exc)}")
        except Exception as exc:
            self.problems.append(f"{what}: {type(exc).__name__}: {_short(exc)}")
        return None

    def cli(self, what: str, *args, ok=(0,)) -> str | None:
        self.runs += 1
        code, out, err = _cli(*args)
        if code not in ok:
            self.problems.append(
                f"{what}: exit {code}: {_short(err.strip().splitlines()[-1] if err.strip() else '')}"
            )
            return None
        return out

    def check(self, cond: bool, message: str) -> None:
        if not cond:
            self.problems.append(message)


def _short(x, n: int = 300) -> str:
    s = str(x).replace("\n", " ")
    return s if len(s) <= n else s[:n] + "..."


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= REL_TOL * max(abs(a), abs(b), 1.0)


def _check_areas(u: _Unit, m, what: str) -> dict:
    from mapdiff.model.measure import area_km2

    areas = {str(k): float(v) for k, v in m.areas().items()}
    u.check(all(v >= 0 for v in areas.values()), f"{what}: negative area {areas}")
    if m.coverage is not None:
        total, cov = sum(areas.values()), float(area_km2(m.coverage))
        u.check(_close(total, cov), f"{what}: label areas add up to {total:.6f} km², coverage {cov:.6f} km²")
    return areas


def _check_share(u: _Unit, value, what: str) -> None:
    if value is None:
        return
    v = float(value)
    u.check(v != v or -SHARE_EPS <= v <= 1 + SHARE_EPS, f"{what}: share {v} outside [0, 1]")


def unit_release(spec: dict) -> dict:
    """Every operation on one release (and the previous one, for changes)."""
    from mapdiff import check_claim, encirclement, read_map

    u = spec.get("_unit") or _Unit()
    path, source, towns = spec["path"], spec["source"], spec["towns"]
    tag = f"{source} {Path(path).name}"
    m = u.op(f"{tag}: read", read_map, path)
    if m is None:
        return _result(u)
    areas = _check_areas(u, m, f"{tag}: read")
    if spec.get("prev"):
        _changes(u, spec["prev"], m, tag)
    if not spec.get("deep", True):
        return _result(u)
    out = u.cli(f"{tag}: info", "info", path, "--json")
    if out is not None:
        try:
            info = json.loads(out)
            for lab in info.get("labels", []):
                u.check(lab["area_km2"] >= 0, f"{tag}: info: negative area {lab}")
        except ValueError as exc:
            u.problems.append(f"{tag}: info --json is not JSON: {exc}")
    shares = {}
    for town in towns:
        chk = u.op(f"{tag}: claim {town}", check_claim, m, town, "RU", 0.5)
        if chk is not None:
            d = chk.to_dict()
            shares[town] = d.get("share")
            for pol, v in (d.get("policies") or {}).items():
                _check_share(u, v, f"{tag}: claim {town} ({pol})")
    k = spec["index"]
    town = towns[k % len(towns)]
    u.cli(f"{tag}: cli claim {town}", "claim", path, "--place", town, "--side", "RU", "--claimed", "50%")
    grey = ("passable", "blocking")[k % 2]
    u.cli(
        f"{tag}: cli encircle {town} {grey}", "encircle", path, "--place", town, "--by", "RU", "--grey", grey
    )
    if spec.get("encircle"):
        # by RU: every town; by UA: the towns the front runs through (held in part, or grey)
        ring = spec["encircle"] if isinstance(spec["encircle"], list) else towns
        contested = [t for t, s in shares.items() if s is not None and 0.0 < s < 1.0]
        for by, names in (("RU", ring), ("UA", contested)):
            for town, grey in itertools.product(names, ("passable", "blocking")):
                what = f"{tag}: encircle {town} by {by} grey {grey}"
                e = u.op(what, encirclement, m, town, by=by, grey=grey)
                if e is not None:
                    u.op(f"{what}: to_dict", e.to_dict)
    if spec.get("permute"):
        _permuted(u, m, path, source, areas, shares, towns, tag)
    return _result(u)


_PREVIOUS: dict = {}  # the last map read, so a batch of consecutive releases reads each once


def _changes(u: _Unit, prev: str, m, tag: str) -> None:
    import mapdiff

    old = _PREVIOUS.get(prev) or u.op(f"{tag}: read previous {Path(prev).name}", mapdiff.read_map, prev)
    _PREVIOUS.clear()
    _PREVIOUS[m.provenance.path] = m
    if old is None:
        return
    ch = u.op(f"{tag}: changes", mapdiff.changes, old, m)
    if ch is None:
        return
    d = ch.to_dict()
    for side, row in d.get("sides", {}).items():
        g, lost, net = row["gained_km2"], row["lost_km2"], row["net_km2"]
        u.check(g >= 0 and lost >= 0, f"{tag}: changes {side}: negative gain/loss {row}")
        u.check(abs(net - (g - lost)) < 1e-5, f"{tag}: changes {side}: net != gained - lost {row}")


def unit_releases(spec: dict) -> dict:
    """A batch of consecutive releases of one source (one process: imports paid once)."""
    u = _Unit()
    for one in spec["releases"]:
        unit_release({**one, "source": spec["source"], "towns": spec["towns"], "_unit": u})
    return _result(u)


def _permuted(u: _Unit, m, path, source, areas, shares, towns, tag) -> None:
    """The same areas and shares with the features reversed, then shuffled."""
    import dataclasses

    import numpy as np

    from mapdiff import check_claim
    from mapdiff.io.read import map_from_raw, read_raw

    raw = read_raw(path)
    n = len(raw.geoms)
    if n < 2:
        return
    rng = random.Random(n)
    shuffled = list(range(n))
    rng.shuffle(shuffled)
    for name, order in (("reversed", list(range(n))[::-1]), ("shuffled", shuffled)):
        idx = np.asarray(order)
        table = raw.table.iloc[idx].reset_index(drop=True)
        table.attrs = dict(raw.table.attrs)
        other = dataclasses.replace(raw, table=table, geoms=raw.geoms[idx])
        m2 = u.op(f"{tag}: read {name}", map_from_raw, other, source)
        if m2 is None:
            continue
        a2 = {str(k): float(v) for k, v in m2.areas().items()}
        same = a2.keys() == areas.keys() and all(_close(a2[k], areas[k]) for k in areas)
        u.check(same, f"{tag}: features {name}: areas {a2} != {areas}")
        for town in towns[:: max(1, len(towns) // 6)]:
            chk = u.op(f"{tag}: claim {town} ({name})", check_claim, m2, town, "RU", 0.5)
            if chk is not None and town in shares and shares[town] is not None:
                s = chk.to_dict().get("share")
                u.check(
                    s is not None and abs(s - shares[town]) < 1e-6,
                    f"{tag}: features {name}: share of {town} {s} != {shares[town]}",
                )


def unit_date(spec: dict) -> dict:
    """Every pair of sources' releases of one date, compared (and one pair on the command line)."""
    import numpy as np

    from mapdiff import compare, read_map

    u = _Unit()
    maps = {}
    for source, path in spec["files"].items():
        m = u.op(f"{spec['date']} {source}: read", read_map, path)
        if m is not None:
            maps[source] = m
    for a, b in itertools.combinations(sorted(maps), 2):
        what = f"{spec['date']}: compare {a} {b}"
        c = u.op(what, compare, maps[a], maps[b])
        if c is None:
            continue
        d = u.op(f"{what}: to_dict", c.to_dict)
        ct = c.crosstab.to_numpy(dtype=float)
        u.check(bool(np.isfinite(ct).all() and (ct >= -1e-9).all()), f"{what}: crosstab not finite or < 0")
        u.check(d is None or isinstance(d, dict), f"{what}: to_dict")
    pairs = list(itertools.combinations(sorted(spec["files"]), 2))
    if pairs:
        a, b = pairs[spec["index"] % len(pairs)]
        u.cli(f"{spec['date']}: cli compare {a} {b}", "compare", spec["files"][a], spec["files"][b], "--json")
    return _result(u)


def _result(u: _Unit) -> dict:
    return {"runs": u.runs, "problems": u.problems, "refusals": u.refusals}


# ================================================================== driver
def _limits(mem_gb: float):
    def apply():
        if mem_gb > 0:
            limit = int(mem_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


_RUNNING: set[int] = set()  # process groups of the units running now
_START = __import__("threading").Lock()


def _start(cmd, env, mem_gb):
    """A unit's process, in its own process group (killed whole on timeout or when the sweep
    itself is stopped)."""
    with _START:  # a stop between Popen and the add would leave the group behind
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=_limits(mem_gb),
        )
        _RUNNING.add(proc.pid)
    return proc


def _stop(signum, frame):
    """SIGTERM/SIGINT/SIGHUP of the sweep: kill every running unit's process group, then exit."""
    for pgid in list(_RUNNING):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    os._exit(128 + signum)


def run_unit(unit: dict, args, env: dict, cmd: list | None = None) -> dict:
    """One unit in a subprocess, bounded in time and memory (``cmd``: another command, for tests)."""
    if cmd is not None:
        pass
    elif unit["kind"] == "cli":
        cmd = [sys.executable, "-m", "mapdiff", *unit["args"]]
    else:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--unit", json.dumps(unit)]
    t0 = time.monotonic()
    proc = _start(
        cmd,
        env,
        args.mem_gb,
    )
    try:
        out, err = proc.communicate(timeout=args.timeout)
        status = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        status = "timeout"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # pool workers left behind
        _RUNNING.discard(proc.pid)
    rec = {"name": unit["name"], "kind": unit["kind"], "seconds": round(time.monotonic() - t0, 2)}
    if status == "timeout":
        rec.update(
            runs=1, problems=[f"{unit['name']}: no answer within {args.timeout:g} s (hang)"], refusals=[]
        )
    elif unit["kind"] == "cli":
        rec.update(runs=unit.get("runs", 1), refusals=[], problems=[])
        if status != 0:
            last = err.strip().splitlines()[-1] if err.strip() else ""
            rec["problems"].append(f"{unit['name']}: exit {status}: {_short(last)}")
        else:
            check = unit.get("check")
            if check:
                rec["problems"] += _check_cli(check, out, unit["name"], unit.get("runs", 1))
    else:
        try:
            rec.update(json.loads(out.strip().splitlines()[-1]))
        except (ValueError, IndexError):
            last = err.strip().splitlines()[-3:] if err.strip() else []
            rec.update(
                runs=1,
                refusals=[],
                problems=[f"{unit['name']}: died (exit {status}): {_short(' | '.join(last))}"],
            )
    return rec


def _check_cli(check: str, out: str, name: str, expected: int) -> list[str]:
    """Invariants on a command line's JSON output."""
    try:
        d = json.loads(out)
    except ValueError as exc:
        return [f"{name}: --json output is not JSON ({exc})"]
    bad = []
    if check == "history":
        for key in ("shares", "grey_shares"):
            bad += [
                f"{name}: {key} {v} outside [0, 1]"
                for v in _floats(d.get(key))
                if not (v != v or -SHARE_EPS <= v <= 1 + SHARE_EPS)
            ]
        # one row per release date: files of the same date (NZZ republishes a week's map
        # under several file names) are one release; never more rows than files, never none
        dates = list(d.get("dates", ()))
        if not 0 < len(dates) <= expected or dates != sorted(set(dates)):
            bad.append(
                f"{name}: {len(dates)} dates (sorted, distinct: {dates == sorted(set(dates))}) "
                f"for {expected} files"
            )
    return bad[:20]


def _floats(x):
    if isinstance(x, float):
        yield x
    elif isinstance(x, dict):
        for v in x.values():
            yield from _floats(v)
    elif isinstance(x, list):
        for v in x:
            yield from _floats(v)


def plan(data: Path, sample: bool, args, tmp: Path) -> list[dict]:
    import mapdiff

    towns = list(mapdiff.place_names())
    rel = releases(data)
    units: list[dict] = []
    ledger = str(ROOT / "data" / "claims" / "claims.csv")
    if sample:  # one claim of each kind and side (the full ledger checks encirclement at length)
        ledger = _sample_ledger(Path(ledger), tmp / "ledger.csv")
    chosen: dict[str, list[tuple[str, Path]]] = {}
    for source, items in rel.items():
        chosen[source] = pick(items, args.per_source) if sample else items
    for source, items in chosen.items():
        every_enc = 1 if (sample or len(items) <= 30) else args.encircle_every
        prev_of = {p: rel[source][i - 1][1] for i, (_, p) in enumerate(rel[source]) if i}
        every_perm = len(items) if sample else args.permute_every  # the sample: its first release
        batch: list[dict] = []
        for k, (_, path) in enumerate(items):
            deep = k % args.every == 0
            enc = deep and k % every_enc == 0
            batch.append(
                {
                    "path": str(path),
                    "prev": str(prev_of[path]) if path in prev_of else None,
                    "index": k,
                    "deep": deep,
                    # the sample encircles a sixth of the towns (rotating), a full sweep all
                    "encircle": (towns[k % 6 :: 6] if sample else True) if enc else False,
                    "permute": deep and k % every_perm == 0,
                }
            )
            if len(batch) == args.batch or k == len(items) - 1:
                first, last = Path(batch[0]["path"]).name, Path(batch[-1]["path"]).name
                units.append(
                    {
                        "kind": "releases",
                        "name": f"{source} {first}"
                        + (f" .. {last} ({len(batch)})" if len(batch) > 1 else ""),
                        "source": source,
                        "towns": towns,
                        "releases": batch,
                    }
                )
                batch = []
        # the archive (or the sample of it) as one folder: bulk commands read every release
        folder = tmp / source
        folder.mkdir(parents=True, exist_ok=True)
        for _, p in items:
            (folder / p.name).symlink_to(p)
        places = [a for t in towns for a in ("--place", t)]
        n = len(items)
        units.append(
            {
                "kind": "cli",
                "name": f"{source}: history of {len(towns)} towns over {n} releases",
                "args": ["history", str(folder), *places, "--workers", "1", "--quiet", "--json"],
                "check": "history",
                "runs": n,
            }
        )
        units.append(
            {
                "kind": "cli",
                "name": f"{source}: claims ledger",
                "args": ["claims", ledger, "--maps", f"{source}={folder}"],
                "runs": n,
            }
        )
        units.append(
            {
                "kind": "cli",
                "name": f"{source}: track ledger",
                "args": [
                    "track",
                    ledger,
                    "--maps",
                    f"{source}={folder}",
                    "--workers",
                    "1",
                    "--quiet",
                    "--json",
                ],
                "runs": n,
            }
        )
        if n >= 2:
            (_, a), (_, b) = items[-2], items[-1]
            units.append(
                {
                    "kind": "cli",
                    "name": f"{source}: changes {a.name} {b.name}",
                    "args": ["changes", str(a), str(b), "--json"],
                }
            )
            units.append(
                {
                    "kind": "cli",
                    "name": f"{source}: report {a.name} {b.name}",
                    "args": ["report", str(a), str(b), "--out", str(tmp / f"report-{source}"), "--json"],
                }
            )
    # dates shared by several sources
    by_date: dict[str, dict[str, str]] = {}
    for source, items in rel.items():
        for date, path in items:
            by_date.setdefault(date, {})[source] = str(path)
    shared = sorted(d for d, f in by_date.items() if len(f) >= 2)
    if sample:
        rich = max(shared, key=lambda d: (len(by_date[d]), d), default=None)
        shared = [rich] if rich else []
    shared = shared[:: max(1, args.dates_every)]
    for k, date in enumerate(shared):
        units.append(
            {"kind": "date", "name": f"compare on {date}", "date": date, "files": by_date[date], "index": k}
        )
    return units


def _sample_ledger(src: Path, dest: Path) -> str:
    import csv

    with src.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows, seen = [], set()
        for row in reader:
            key = (row["kind"], row["side"])
            if key not in seen:
                seen.add(key)
                rows.append(row)
    with dest.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=reader.fieldnames)
        w.writeheader()
        w.writerows(rows)
    return str(dest)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sample", action="store_true", help="a few releases per source and one shared date")
    p.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="the archives (default: $MAPDIFF_SHARED_DATA)"
    )
    p.add_argument("--jobs", type=int, default=2, help="units run at once (default 2)")
    p.add_argument(
        "--timeout", type=float, default=None, help="seconds per unit (default 300; 1800 in a full sweep)"
    )
    p.add_argument("--mem-gb", type=float, default=4.0, help="address space per unit, GiB (default 4)")
    p.add_argument("--per-source", type=int, default=2, help="releases per source with --sample (default 2)")
    p.add_argument(
        "--encircle-every",
        type=int,
        default=7,
        help="encircle every Nth release of archives over 30 releases (default 7)",
    )
    p.add_argument("--permute-every", type=int, default=10, help="feature-order check on every Nth release")
    p.add_argument("--source", action="append", help="only these sources (repeatable)")
    p.add_argument(
        "--only", choices=("releases", "date", "cli"), action="append", help="only these unit kinds"
    )
    p.add_argument(
        "--every",
        type=int,
        default=1,
        help="claims, command lines, encirclement on every Nth release (default 1)",
    )
    p.add_argument("--dates-every", type=int, default=1, help="compare on every Nth shared date (default 1)")
    p.add_argument("--batch", type=int, default=10, help="consecutive releases per process (default 10)")
    p.add_argument("--out", type=Path, default=ROOT / "build" / "sweep", help="folder for results.jsonl")
    p.add_argument("--unit", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.unit:
        spec = json.loads(args.unit)
        res = {"releases": unit_releases, "date": unit_date}[spec["kind"]](spec)
        print(json.dumps(res))
        return 0
    if args.timeout is None:
        args.timeout = 300.0 if args.sample else 1800.0
    if not args.data.is_dir():
        print(f"sweep skipped: no real data at {args.data} (set MAPDIFF_SHARED_DATA)")
        return 0
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _stop)
    env = dict(
        os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg", PYTHONPATH=str(ROOT)
    )
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mapdiff-sweep-") as tmp:
        env["MAPDIFF_CACHE_DIR"] = str(Path(tmp) / "cache")
        units = plan(args.data, args.sample, args, Path(tmp))
        if args.source:
            units = [
                u
                for u in units
                if any(u["name"].startswith(s + " ") or u["name"].startswith(s + ":") for s in args.source)
                or (u["kind"] == "date" and any(s in u["files"] for s in args.source))
            ]
        if args.only:
            units = [u for u in units if u["kind"] in args.only]
        # the longest first: bulk commands over whole archives, then dates, then releases
        units.sort(key=lambda u: {"cli": 0, "date": 1, "releases": 2}[u["kind"]])
        print(
            f"sweep: {len(units)} units over {args.data} "
            f"({'sample' if args.sample else 'full'}), {args.jobs} at once"
        )
        results = []
        log = (args.out / ("sample.jsonl" if args.sample else "results.jsonl")).open("w", encoding="utf-8")
        with ThreadPoolExecutor(args.jobs) as pool:
            for rec in pool.map(lambda u: run_unit(u, args, env), units):
                results.append(rec)
                log.write(json.dumps(rec) + "\n")
                log.flush()
                for prob in rec["problems"]:
                    print(f"FAIL {prob}", flush=True)
        log.close()
    wall = time.monotonic() - t0
    runs = sum(r["runs"] for r in results)
    failed = [r for r in results if r["problems"]]
    problems = sum(len(r["problems"]) for r in results)
    refusals = sum(len(r["refusals"]) for r in results)
    kinds = {}
    for r in results:
        k = kinds.setdefault(r["kind"], [0, 0.0])
        k[0] += 1
        k[1] += r["seconds"]
    n_rel = sum(len(u["releases"]) for u in units if u["kind"] == "releases")
    print(
        f"sweep: {len(results)} units ({n_rel} releases), {runs} operations, {problems} failures in "
        f"{len(failed)} units, {refusals} refusals, wall {wall:.0f} s"
    )
    for kind, (n, s) in sorted(kinds.items()):
        print(f"  {kind:8} {n:5} units, {s:8.0f} s of unit time")
    refused = {}
    for r in results:
        for x in r["refusals"]:
            key = re.sub(r"^[^:]*: [^:]*: ", "", x)[:120]
            refused[key] = refused.get(key, 0) + 1
    for key, n in sorted(refused.items(), key=lambda kv: -kv[1])[:10]:
        print(f"  refused {n:5}x: {key}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
