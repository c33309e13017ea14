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
    _claim_demo(m, out)
    return 0


def _claim_demo(m, out: Path) -> None:
    """The seed claim (27 Nov 2025: 70% of Pokrovsk held by RU) checked on the sample."""
    import json

    from ..atomic import write_text
    from ..claims import check_claim

    chk = check_claim(m, "Pokrovsk", "RU", "70%")
    print("\n" + chk.summary() + "\n\n" + chk.sensitivity_text())
    write_text(out / "claim_pokrovsk.json", json.dumps(chk.to_dict(), indent=2, ensure_ascii=False))
    print(f"\nwrote {out / 'claim_pokrovsk.json'}")


def _configure(p) -> None:
    p.add_argument("--out", default="out", help="folder for the image and tables (default: out)")


_run.configure = _configure
command("demo", "Run the main job on the embedded sample (no network): compare, check a claim, draw.",
        "example:\n  mapdiff demo --out out")(_run)
