"""Load every archived release in ../shared/data with read_map and with a bare pyogrio read.

For each source folder (deepstate, nzz, isw) this prints the number of files, the
repairs normalisation made (summed over files), and the time per file of
``mapdiff.read_map`` next to ``pyogrio.read_dataframe`` of the same files, read in the
same run; then totals and the ratio (target: read_map at most 2x the bare read).

Usage: python benchmarks/load_all.py [DATA_DIR] [--limit N] [--measure]

read_map clips drawn polygons to the map's coverage lazily (on first measurement);
``--measure`` also times ``ControlMap.areas()`` (clip + partition of the whole coverage)
and reports the repairs including the area clipped off outside the coverage.

The bare read of an NZZ file goes through pyogrio's GeoJSON driver, which reads the
wrapped ``{"value": FeatureCollection}`` object as a feature collection too.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyogrio  # noqa: E402

import mapdiff  # noqa: E402

SOURCES = {"deepstate": "*.geojson", "nzz": "*.json", "isw": "*.geojson"}


def _bare(path: Path) -> int:
    try:
        return len(pyogrio.read_dataframe(path))
    except Exception as exc:  # a bare read may refuse what read_map handles
        print(f"  bare read failed on {path.name}: {str(exc)[:100]}", file=sys.stderr)
        return -1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", nargs="?", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--limit", type=int, default=0, help="files per source (0 = all)")
    ap.add_argument("--measure", action="store_true", help="also time areas() after reading")
    args = ap.parse_args(argv)
    data = Path(args.data)
    if not data.is_dir():
        print(f"no data folder at {data}", file=sys.stderr)
        return 2
    rows, tot_files, tot_map, tot_bare = [], 0, 0.0, 0.0
    failures = []
    for source, pattern in SOURCES.items():
        files = sorted((data / source).glob(pattern))
        if args.limit:
            files = files[: args.limit]
        if not files:
            continue
        repairs: Counter = Counter()
        repair_km2: Counter = Counter()
        t_map = t_bare = t_areas = 0.0
        n_feat = n_labels = 0
        for path in files:
            gc.collect()
            t0 = time.perf_counter()
            try:
                m = mapdiff.read_map(path)
            except mapdiff.MapdiffError as exc:
                failures.append((path.name, str(exc)))
                continue
            t_map += time.perf_counter() - t0
            if args.measure:
                t0 = time.perf_counter()
                m.areas()
                t_areas += time.perf_counter() - t0
            n_feat += m.report_base.n_features
            n_labels += len(m.labels)
            for r in (m.report if args.measure else m.report_base).repairs:
                repairs[r.kind] += r.count
                repair_km2[r.kind] += r.area_km2
            t0 = time.perf_counter()
            _bare(path)
            t_bare += time.perf_counter() - t0
        n = len(files)
        rows.append((source, n, n_feat, n_labels, repairs, repair_km2, t_map, t_bare, t_areas))
        tot_files += n
        tot_map += t_map
        tot_bare += t_bare

    print(
        f"{'source':<10}{'files':>6}{'features':>10}{'read_map ms/file':>18}"
        f"{'pyogrio ms/file':>17}{'ratio':>7}"
    )
    for source, n, n_feat, _nl, _r, _a, t_map, t_bare, t_areas in rows:
        extra = f"   + areas() {1e3 * t_areas / n:.1f} ms/file" if args.measure else ""
        print(
            f"{source:<10}{n:>6}{n_feat:>10}{1e3 * t_map / n:>18.1f}{1e3 * t_bare / n:>17.1f}"
            f"{t_map / t_bare:>7.2f}{extra}"
        )
    print(
        f"{'total':<10}{tot_files:>6}{'':>10}{1e3 * tot_map / tot_files:>18.1f}"
        f"{1e3 * tot_bare / tot_files:>17.1f}{tot_map / tot_bare:>7.2f}"
    )
    print(
        f"\ntotal time: read_map {tot_map:.1f} s, bare pyogrio {tot_bare:.1f} s, "
        f"ratio {tot_map / tot_bare:.2f} (target <= 2)"
    )
    print("\nrepairs (features affected, area moved in km², summed over files):")
    for source, _n, _nf, _nl, repairs, km2, *_ in rows:
        text = ", ".join(f"{k} {repairs[k]} ({km2[k]:,.1f} km²)" for k in sorted(repairs)) or "none"
        print(f"  {source}: {text}")
    if failures:
        print(f"\n{len(failures)} file(s) refused:")
        for name, msg in failures[:20]:
            print(f"  {name}: {msg[:160]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
