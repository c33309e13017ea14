"""``mapdiff demo``: the main job on the embedded sample, offline, no arguments."""

from __future__ import annotations

from pathlib import Path

from ..io import read_map
from ..samples import sample_path
from . import command


def _run(args) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    m = read_map(sample_path("2025-11-27"))
    print(f"Embedded sample: {m.source} {m.as_of} (clip of 40 × 40 km around Pokrovsk)")
    for lab, km2 in m.areas().items():
        print(f"  {lab!s:<16}{km2:>10,.1f} km²")
    return 0


def _configure(p) -> None:
    p.add_argument("--out", default="out", help="folder for the image and tables (default: out)")


_run.configure = _configure
command("demo", "Run the main job on the embedded sample (no network): compare, check a claim, draw.",
        "example:\n  mapdiff demo --out out")(_run)
