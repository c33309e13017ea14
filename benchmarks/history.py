"""Benchmark: share series over the whole DeepState archive, mapdiff against the naive way.

Run from the project root (needs ../shared/data)::

    python benchmarks/history.py [--naive-days 40] [--workers N]

In one process and one run, for every DeepState day × 10 towns:

(a) naive: what a notebook does (``gpd.read_file`` per day, ``geopandas.overlay`` per
    place, ``to_crs`` + ``.area``), run on an evenly spaced subsample of days and
    extrapolated per day (said so in the table);
(b) mapdiff cold: ``Releases(glob).shares(places, "RU")`` with an empty cache;
(c) mapdiff warm: the same call again (cache filled by (b));
(d) the parse floor: read + orjson + build the geometries of every file, on the same
    number of processes as (b) (like with like).

Everything runs with temporary cache folders, removed at the end (nothing is left behind).
``benchmarks/bench.py`` (``make bench``) runs this comparison with the other targets.

Then the same cold run with 100 places (the gazetteer's places plus generated
footprints), peak memory (``resource.getrusage`` maxrss of this process and of the
largest worker), the first date Pokrovsk passed 50% on DeepState, and the NZZ–DeepState
lag for Pokrovsk in Nov–Dec 2025.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import mapdiff  # noqa: E402
import mapdiff.history.releases  # noqa: E402
import mapdiff.io.cache  # noqa: E402
from mapdiff.places.footprints import Footprint, footprint, place_names  # noqa: E402

DATA = Path(os.environ.get("MAPDIFF_SHARED_DATA") or ROOT.parent / "shared" / "data")
PLACES = [
    "Pokrovsk",
    "Myrnohrad",
    "Kupiansk",
    "Vovchansk",
    "Bakhmut",
    "Avdiivka",
    "Chasiv Yar",
    "Toretsk",
    "Kurakhove",
    "Selydove",
]


def naive(paths, places) -> dict:
    """The notebook way: read each day with geopandas, overlay each town, project, measure."""
    import geopandas as gpd

    towns = {p: gpd.GeoDataFrame({"name": [p]}, geometry=[footprint(p).geometry], crs=4326) for p in places}
    out = {}
    for path in paths:
        day = gpd.read_file(path)
        row = {}
        for name, town in towns.items():
            inter = gpd.overlay(day, town, how="intersection")
            held = inter.to_crs(6933).area.sum()  # a global equal-area CRS, as a careful notebook would
            row[name] = held / town.to_crs(6933).area.sum()
        out[path.name] = row
    return out


def generated_footprints(n: int, seed: int = 1) -> list[Footprint]:
    """``n`` disc footprints of 5..40 km² at random points over the eastern front."""
    from mapdiff.places.shapes import _disc

    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        lon, lat = rng.uniform(35.3, 38.6), rng.uniform(47.2, 50.0)
        km2 = float(rng.uniform(5, 40))
        g = _disc(lon, lat, km2)
        out.append(Footprint(f"gen{i:03d}", g, "user", km2, "generated for the benchmark", (), (lon, lat)))
    return out


def maxrss_mib() -> tuple[float, float]:
    self_ = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return self_, kids


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="mapdiff-bench-cache-") as cache:
        os.environ[mapdiff.io.cache.CACHE_ENV] = cache  # the NZZ run at the end too
        return _main()


def _main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--naive-days", type=int, default=40, help="days the naive way runs on (extrapolated)")
    ap.add_argument("--workers", type=int, default=None, help="mapdiff worker processes (default: cores)")
    args = ap.parse_args()
    paths = sorted((DATA / "deepstate").glob("deepstatemap_data_*.geojson"))
    if not paths:
        print(f"no DeepState archive at {DATA / 'deepstate'}: nothing to benchmark", file=sys.stderr)
        return 1
    n = len(paths)
    print(
        f"DeepState archive: {n} days; {len(PLACES)} places; {os.cpu_count()} cores; "
        f"workers={args.workers or os.cpu_count()}"
    )

    # (d) parse floor, on as many processes as mapdiff uses
    from bench import parse_floor

    t_read = parse_floor([str(p) for p in paths], args.workers or os.cpu_count() or 1)

    # (a) naive, on a subsample
    step = max(1, n // args.naive_days)
    sub = paths[::step]
    t = time.perf_counter()
    naive_res = naive(sub, PLACES)
    t_naive = (time.perf_counter() - t) / len(sub) * n

    with tempfile.TemporaryDirectory(prefix="mapdiff-bench-cache-") as cache:
        os.environ[mapdiff.io.cache.CACHE_ENV] = cache
        # (b) cold
        t = time.perf_counter()
        series = mapdiff.Releases(str(DATA / "deepstate" / "deepstatemap_data_*.geojson"))
        shares = series.shares(PLACES, "RU", workers=args.workers, quiet=True)
        t_cold = time.perf_counter() - t
        # (c) warm
        t = time.perf_counter()
        series2 = mapdiff.Releases(str(DATA / "deepstate" / "deepstatemap_data_*.geojson"))
        warm = series2.shares(PLACES, "RU", workers=args.workers, quiet=True)
        t_warm = time.perf_counter() - t
        assert warm.frame.equals(shares.frame)
        rss_self, rss_kids = maxrss_mib()

    with tempfile.TemporaryDirectory(prefix="mapdiff-bench-cache-") as cache:
        os.environ[mapdiff.io.cache.CACHE_ENV] = cache
        gaz = place_names()
        generated = generated_footprints(100 - len(gaz))  # user polygons, built beforehand
        hundred = gaz + generated
        # gazetteer look-ups (building the approximate discs) timed on their own: they are
        # paid once per process, whatever the number of releases
        t = time.perf_counter()
        for name in gaz:
            mapdiff.history.releases._footprint(name)
        t_lookup = time.perf_counter() - t
        t = time.perf_counter()
        s100 = mapdiff.Releases(str(DATA / "deepstate" / "deepstatemap_data_*.geojson"))
        sh100 = s100.shares(hundred, "RU", workers=args.workers, quiet=True)
        t_cold100 = time.perf_counter() - t

    # agreement of the naive figures with mapdiff's (same days)
    diffs = []
    for p in sub:
        d = mapdiff.history.releases._date_in_text(p.name)
        row = shares.frame.loc[str(d)]
        diffs += [abs(naive_res[p.name][k] - row[k]) * 100 for k in PLACES]
    worst = max(diffs)

    print()
    print(f"{'run':<74}{'seconds':>10}{'per day ms':>12}")
    rows = [
        (f"(a) naive: gpd.read_file + overlay x10 (on {len(sub)} days, extrapolated)", t_naive),
        ("(b) mapdiff cold (empty cache)", t_cold),
        ("(c) mapdiff warm cache", t_warm),
        ("(d) parse floor: read + orjson + geometries, same processes", t_read),
        (f"(b') mapdiff cold, {len(hundred)} places ({len(gaz)} gazetteer + generated)", t_cold100),
        (f"     + looking up the {len(gaz)} gazetteer places (once per process)", t_lookup),
    ]
    for name, sec in rows:
        print(f"{name:<74}{sec:>10.2f}{sec / n * 1000:>12.2f}")
    print()
    print(f"(a)/(b) = {t_naive / t_cold:6.1f}x   target >= 10x")
    print(f"(a)/(c) = {t_naive / t_warm:6.1f}x   target >= 30x")
    print(f"(b)/(d) = {t_cold / t_read:6.2f}x   target <= 2x")
    print(
        f"(b')/(b) = {t_cold100 / t_cold:5.2f}x   target <= 1.30x "
        f"(10 -> {len(hundred)} places; {(t_cold100 + t_lookup) / t_cold:.2f}x with the look-ups)"
    )
    print(f"peak RSS: this process {rss_self:.0f} MiB, largest worker {rss_kids:.0f} MiB (target < 1024 MiB)")
    print(
        f"naive vs mapdiff on the sampled days: max |difference| {worst:.4f} pp "
        "(naive: EPSG:6933; mapdiff: local LAEA)"
    )
    assert len(sh100.frame.columns) == len(hundred)

    fc = shares.first_crossing(threshold=0.5)
    pk = fc.loc["Pokrovsk"]
    print()
    print(
        f"Pokrovsk (approximate footprint) first passed 50% RU on DeepState on {pk['date'].date()} "
        f"({pk['share_at']:.1%}; previous release {pk['previous_date'].date()} "
        f"at {pk['share_before']:.1%})"
    )

    nzz_paths = sorted((DATA / "nzz").glob("*.json"))
    if nzz_paths:
        nzz = mapdiff.Releases(nzz_paths).shares(["Pokrovsk"], "RU", workers=args.workers, quiet=True)
        lag = mapdiff.source_lag(
            nzz, shares, thresholds=(0.25, 0.5), start="2025-11-01", end="2025-12-31", max_shift_days=60
        )
        t = lag.table.loc["Pokrovsk"]
        print(
            f"NZZ-DeepState lag, Pokrovsk, NZZ window {lag.window[0]}..{lag.window[1]} "
            f"(positive: DeepState trails NZZ by that many days):"
        )
        for col, v in t.items():
            print(f"  {col:<26}{'n/a' if isinstance(v, float) and math.isnan(v) else v}")
        cr = lag.crossings.reset_index()
        for _, r in cr.iterrows():
            who = "NZZ" if r["series"] == "leader" else "DeepState"
            d = "never in window" if str(r["date"]) == "NaT" else r["date"].date()
            print(f"  crossing {r['threshold']:.0%} {who:<10}{d} (observed: {r['observed']})")
        print(
            "  NZZ Pokrovsk shares:",
            ", ".join(f"{d.date()}: {v:.1%}" for d, v in nzz.frame["Pokrovsk"].items()),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
