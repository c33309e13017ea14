"""``mapdiff demo``: the main job on the embedded sample, offline, no arguments.

The sample is five DeepState releases clipped to 40 × 40 km around Pokrovsk (GPL-3.0,
see ``data/samples/README.md``). The demo compares the release of the claim's day
(27 Nov 2025) with a later one (15 Dec 2025), checks the seed claims of 27 Nov 2025 (70%
of Pokrovsk held by RU; Pokrovsk and Myrnohrad encircled), draws three figures, and writes
the release report of the week before (``report/index.html``), and a small site of the
last two releases as ``mapdiff update`` keeps it (``site/index.html``).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..io.read import read_map
from ..sources.samples import sample_path
from . import command


def _run(args) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    import matplotlib

    matplotlib.use("Agg")
    from ..claims.check import check_claim
    from ..comparison.core import compare
    from ..draw.plot import save_figure
    from ..encircle.core import encirclement
    from ..io.atomic import write_text

    a = read_map(sample_path("2025-11-27"))
    b = read_map(sample_path("2025-12-15"))
    print(
        f"Embedded sample: {a.source} releases {a.as_of} and {b.as_of} "
        "(clips of 40 × 40 km around Pokrovsk)\n"
    )

    print("1. Comparison: what changed between the two releases")
    c = compare(a, b)
    print(c.summary())
    written = [save_figure(c.plot(), out / "comparison.png", dpi=150)]

    print("\n2. Claim check: 27 Nov 2025, 'about 70% of Pokrovsk is under Russian control'")
    chk = check_claim(a, "Pokrovsk", "RU", "70%")
    print(chk.summary() + "\n\n" + chk.sensitivity_text())
    write_text(out / "claim_pokrovsk.json", json.dumps(chk.to_dict(), indent=2, ensure_ascii=False))
    written += [out / "claim_pokrovsk.json", save_figure(chk.plot(), out / "claim_pokrovsk.png", dpi=150)]

    print("\n3. Claim check: 27 Nov 2025, 'Pokrovsk and Myrnohrad are completely surrounded'")
    for place in ("Pokrovsk", "Myrnohrad"):
        e = encirclement(a, place, by="RU")
        print(
            f"  {place}: {e.verdict}; holding {e.holding_km2:,.2f} km², outline within "
            f"{e.radius_km:g} km bordering RU {e.perimeter_share:.0%}"
        )
    written.append(save_figure(e.plot(), out / "encirclement_myrnohrad.png", dpi=150))
    pocket = encirclement(a, ["Pokrovsk", "Myrnohrad"], by="RU")  # the claim as worded: one pocket
    print(f"  Pokrovsk and Myrnohrad as one pocket: {pocket.verdict}; holding {pocket.holding_km2:,.2f} km²")
    written.append(save_figure(pocket.plot(), out / "encirclement_pokrovsk_myrnohrad.png", dpi=150))

    print("\n4. Release report: the week to the claim's day (20 -> 27 Nov 2025), as a web page")
    from .report import write_report

    rep = write_report(read_map(sample_path("2025-11-20")), a, out / "report")
    s = rep["report"]["sides"]["RU"]
    print(
        f"  RU gained {s['gained_km2']:,.2f} km², lost {s['lost_km2']:,.2f} km²; "
        f"{len(rep['report']['claims'])} ledger claims decided"
    )
    written += [rep["html"], rep["json"]]

    print("\n5. A static site of every side's newest map (mapdiff update), from the sample's last releases")
    from ..update.config import read_config
    from .update import run_update

    watch = out / "watch.toml"
    folder = json.dumps(str(sample_path("2025-11-27").parent))  # a TOML string
    write_text(
        watch,
        f'site = "site"\nplaces = ["Pokrovsk"]\n[sources.deepstate]\npath = {folder}\nstart = "2025-11-27"\n',
    )
    res = run_update(read_config(watch), say=lambda s: None)
    print("  " + ("nothing new" if res["nothing_new"] else f"processed {res['processed']['deepstate']}"))
    written += [watch, out / "site" / "index.html"]

    print("\nWrote:\n" + "\n".join(f"  {p}" for p in written))
    return 0


def _configure(p) -> None:
    p.add_argument("--out", default="out", help="folder for the images and tables (default: out)")


_run.configure = _configure
command(
    "demo",
    "Run the main job on the embedded sample (no network): compare, check a claim, draw.",
    "example:\n  mapdiff demo --out out",
)(_run)
