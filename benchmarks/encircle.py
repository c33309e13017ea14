"""Benchmark and table: Pokrovsk and Myrnohrad on the releases around the 27 Nov 2025 claim.

Usage::

    python benchmarks/encircle.py [--fire-range-km KM]

For DeepState 2025-11-20, 2025-11-27, 2025-12-15 and NZZ 2025-11-27 (from
../shared/data), prints the encirclement verdict, corridor width and perimeter share of
each town under both grey-zone policies, and the time each analysis takes. The naive
comparison point is the time to read the release (``read_map``): the encirclement itself
should cost about as much as reading the map once.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import mapdiff
import mapdiff.encircle.core

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("MAPDIFF_SHARED") or ROOT.parent / "shared") / "data"
RELEASES = (
    "deepstate/deepstatemap_data_20251120.geojson",
    "deepstate/deepstatemap_data_20251127.geojson",
    "deepstate/deepstatemap_data_20251215.geojson",
    "nzz/2025-11-27.json",
)
PLACES = ("Pokrovsk", "Myrnohrad")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fire-range-km", type=float, default=None)
    args = ap.parse_args()
    if not DATA.is_dir():
        raise SystemExit(f"needs the real archives in {DATA}")
    print(
        f"{'release':<28}{'place':<11}{'grey':<10}{'verdict':<48}{'corridor km':>12}"
        f"{'perimeter→RU':>14}{'holding km²':>13}{'s':>6}"
    )
    for rel in RELEASES:
        t0 = time.perf_counter()
        m = mapdiff.read_map(DATA / rel)
        t_read = time.perf_counter() - t0
        for place in PLACES:
            for grey in mapdiff.encircle.core.GREY_POLICIES:
                t0 = time.perf_counter()
                e = mapdiff.encirclement(m, place, by="RU", grey=grey, fire_range_km=args.fire_range_km)
                dt = time.perf_counter() - t0
                label = f"{m.source} {m.as_of}"
                corridor = "—" if e.corridor_km is None else f"{e.corridor_km:.2f}"
                perim = "—" if e.perimeter_share is None else f"{e.perimeter_share:.0%}"
                print(
                    f"{label:<28}{place:<11}{grey:<10}{e.verdict:<48}{corridor:>12}{perim:>14}"
                    f"{e.holding_km2:>13.2f}{dt:>6.2f}"
                )
        print(f"  (first read_map of {rel}: {t_read:.2f} s)")


if __name__ == "__main__":
    main()
