"""``mapdiff track LEDGER --maps deepstate=DIR --maps owl=DIR``: every claim against every archive.

Prints the sources (releases, time, cache use) and the summary per claimant and per
source; ``--rows`` adds the claim × source table, ``--json`` prints everything, ``--csv``
writes the rows (to stdout, or to FILE), ``--out`` draws a timeline per town.
"""

from __future__ import annotations

import sys

from ..claims.check import CAPTURED_THRESHOLD, POLICIES
from ..io.atomic import write_text
from . import command, emit, parse_maps

_SHOWN = ["date", "claimant", "place", "side", "kind", "source", "release", "share", "status", "first_shown"]


def _claims_in(path, spec):
    """The ledger's claims whose place is one of the set ``spec`` (by id; a town by name too)."""
    from ..claims.ledger import Ledger, read_ledger
    from ..errors import ArgumentError, MapdiffError
    from ..places.footprints import footprint, place_set

    led = read_ledger(path)
    fps = place_set(spec)
    ids = {f.id for f in fps if f.id}
    names = {f.name.removeprefix(f"{f.id} ") for f in fps}
    keep = []
    for c in led:
        try:
            fp = footprint(c.place)
        except MapdiffError:
            continue
        if (fp.id and fp.id in ids) or fp.name in names:
            keep.append(c)
    if not keep:
        raise ArgumentError(f"no claim of {path} is about a place of {spec!r} ({len(fps)} places)")
    return Ledger(tuple(keep), led.path)


def _run(args) -> int:
    from ..claims.tracker import track

    buffers = tuple(args.buffer_km) if args.buffer_km is not None else (2.0,)
    if args.no_buffer:
        buffers = ()
    ledger = args.ledger
    if args.places:  # only the claims about a place of the set
        ledger = _claims_in(args.ledger, args.places)
    t = track(
        ledger,
        parse_maps(args.maps),
        threshold=args.threshold,
        policy=args.policy,
        buffers_km=buffers,
        workers=args.workers,
        cache=not args.no_cache,
        quiet=args.quiet or args.json or not sys.stderr.isatty(),
    )
    rows = t.to_frame(rungs=args.rungs)
    notes = []
    if args.csv:
        from ..io.write import csv_text

        text = csv_text(rows, index=False, float_format="%.6f")
        if args.csv == "-":
            sys.stdout.write(text)
            return 0
        write_text(args.csv, text)
        notes.append(f"wrote {args.csv}")
    if args.out:
        import matplotlib

        matplotlib.use("Agg")
        from ..draw.plot import save_figure

        fig = t.plot(places=args.place or None)
        save_figure(fig, args.out)
        notes.append(f"wrote {args.out}")
    text = str(t)
    if args.rows:
        shown = rows[[*_SHOWN, "lead_days"]].copy()
        shown["share"] = shown["share"].map(lambda v: "-" if v != v or v is None else f"{v:.0%}")
        shown["lead_days"] = shown["lead_days"].map(lambda v: "-" if v != v or v is None else f"{v:+.0f}")
        text += "\n\n" + shown.to_string(index=False, na_rep="-")
    text += (
        f"\n\nlead = first release showing the claimed state - claim date (days; > 0: the claim ran ahead)."
        f" captured: share >= {t.threshold:.0%}; grey land counts for {t.policy}."
    )
    if notes:
        text += "\n" + "\n".join(notes)
    emit(t.to_dict(), args.json, text)
    return 0


def _configure(p) -> None:
    p.add_argument("ledger", metavar="LEDGER", help="claims ledger CSV (e.g. data/claims/claims.csv)")
    p.add_argument(
        "--maps",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="a source's archive: folder or glob of releases; repeat for several "
        "(NAME a profile, e.g. deepstate)",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=CAPTURED_THRESHOLD,
        help=f"share at which a town counts as captured (default {CAPTURED_THRESHOLD})",
    )
    p.add_argument(
        "--places",
        metavar="SET",
        help="only the claims about a place of this set: settlements, 'settlements of Donetsk Oblast', FILE",
    )
    p.add_argument("--policy", choices=POLICIES, default="nobody", help="what grey land counts as")
    p.add_argument(
        "--buffer-km",
        dest="buffer_km",
        type=float,
        action="append",
        help="buffered rungs of the footprint ladder (default 2; repeat for several)",
    )
    p.add_argument("--no-buffer", action="store_true", help="only the base footprint kinds")
    p.add_argument(
        "--rungs",
        choices=["primary", "all"],
        default="primary",
        help="rows per footprint rung (--csv, --rows)",
    )
    p.add_argument("--rows", action="store_true", help="print the claim x source table too")
    p.add_argument(
        "--csv", nargs="?", const="-", metavar="FILE", help="write the rows as CSV to FILE (no FILE: stdout)"
    )
    p.add_argument("--out", metavar="FIG", help="draw a timeline per town (.png, .svg or .pdf)")
    p.add_argument("--place", action="append", default=[], help="towns in the figure (default: all)")
    p.add_argument("--workers", type=int, help="parallel processes (default: cores)")
    p.add_argument("--no-cache", action="store_true", help="do not use the on-disk release cache")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the Tracking as JSON")


_run.configure = _configure
command(
    "track",
    "Track every claim of a ledger through whole archives: share on the day, first date shown, lead.",
    "example:\n  mapdiff track data/claims/claims.csv --maps deepstate=../shared/data/deepstate "
    "--maps owl=../shared/data/owl --out tracker.png\n\n"
    "Each archive is read once (cached in $MAPDIFF_CACHE_DIR).",
)(_run)
