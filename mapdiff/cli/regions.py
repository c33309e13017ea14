"""``mapdiff regions MAP [MAP ...] --level oblast|raion|hromada [--parent P]``: per unit, km²
and share held by each side, grey zone and not covered, on every map given (one row per
unit x map); ``--csv FILE`` writes the table (atomically), ``--json`` prints it."""

from __future__ import annotations

import io

from ..history.regions import region_shares
from ..io.atomic import write_text
from . import add_read_options, command, emit


def _run(args) -> int:
    from ..io.read import read_map

    maps = [
        read_map(p, source=args.source, as_of=args.as_of, swap_xy=args.swap_xy, layer=args.layer)
        for p in [args.map, *args.more]
    ]
    res = region_shares(maps, args.level, parent=args.parent, places=args.places)
    text = res.summary()
    if args.csv:
        buf = io.StringIO()
        res.frame.to_csv(buf, index=False, float_format="%.6f", lineterminator="\n")
        write_text(args.csv, buf.getvalue())
        text += f"\nwrote {args.csv}"
    emit(res.to_dict(), args.json, text)
    return 0


def _configure(p) -> None:
    p.add_argument("map", metavar="MAP", help="a map file (every side's map: give several)")
    p.add_argument("more", nargs="*", metavar="MAP", help="more maps, one row per unit and map")
    add_read_options(p)
    p.add_argument("--level", default="oblast", help="oblast (default), raion, hromada or settlement")
    p.add_argument("--parent", help="only the units below this place, e.g. 'Donetsk Oblast'")
    p.add_argument("--places", metavar="SET", help="a set of places instead of --level/--parent (or a FILE)")
    p.add_argument("--csv", metavar="FILE", help="write the table (one row per unit x map) to FILE")
    p.add_argument("--json", action="store_true", help="print JSON")


_run.configure = _configure
command(
    "regions",
    "Per oblast, raion or hromada: km² and share held by each side on every map given.",
    "examples:\n  mapdiff regions ds_20251215.geojson owl_20251215.json --level oblast\n"
    "  mapdiff regions ds_20251215.geojson --level hromada --parent 'Donetsk Oblast' --csv hromadas.csv",
)(_run)
