"""``mapdiff changes OLD NEW``: land gained and lost per side between two releases (km²)."""

from __future__ import annotations

from ..history.change import changes
from ..io.read import read_map
from . import command, emit, ranged


def _run(args) -> int:
    old, new = (
        read_map(f, source=args.source, swap_xy=args.swap_xy, layer=args.layer) for f in (args.old, args.new)
    )
    aoi = None
    if args.place:
        from ..places.footprints import as_footprint

        aoi = as_footprint(args.place, kind=args.footprint_kind)
    c = changes(old, new, aoi=aoi, allow_mixed_sources=args.allow_mixed_sources)
    d = c.to_dict()
    lines = [c.summary(top=args.top)]
    if args.places:
        from ..history.regions import places_changed

        moved = places_changed(
            old, new, args.places, threshold=args.threshold, grey_threshold=args.grey_threshold
        )
        d["places"] = args.places
        d["threshold"] = args.threshold
        d["grey_threshold"] = args.grey_threshold
        d["places_changed"] = moved
        lines.append(
            f"  {len(moved)} of the {args.places} changed status (held by a side at >= {args.threshold:.0%}, "
            f"grey at >= {args.grey_threshold:.0%}, else contested):"
        )
        for x in moved[: max(args.top, 0) * 10]:
            approx = " [APPROXIMATE footprint]" if x["approximate"] else ""
            where = ", ".join(x["parents"][:2])
            lines.append(f"    {x['id']:<20}{x['name']} ({where}): {x['from']} -> {x['to']}{approx}")
        if len(moved) > args.top * 10:
            lines.append(f"    ... {len(moved) - args.top * 10} more (--json for all)")
    emit(d, args.json, "\n".join(lines))
    return 0


def _configure(p) -> None:
    p.add_argument("old", help="older release (file)")
    p.add_argument("new", help="newer release (file)")
    p.add_argument("--place", metavar="NAME", help="only inside this place's footprint")
    p.add_argument(
        "--footprint-kind",
        dest="footprint_kind",
        help="with --place: footprint kind (city_limits, community, approximate, +2km ...)",
    )
    p.add_argument(
        "--places",
        metavar="SET",
        help="list the places whose status changed: settlements, hromadas, "
        "'settlements of Donetsk Oblast', FILE",
    )
    p.add_argument(
        "--threshold",
        type=ranged(float, 0.01, 1),
        default=0.5,
        help="with --places: share at which a side holds a place (default 0.5)",
    )
    p.add_argument(
        "--grey-threshold",
        dest="grey_threshold",
        type=ranged(float, 0.01, 1),
        default=0.5,
        help="with --places: grey share at which a place is grey (default 0.5)",
    )
    p.add_argument("--source", help="profile name (default: recognised from content)")
    p.add_argument(
        "--swap-xy", dest="swap_xy", action="store_true", help="both files are (lat, lon): swap the axes"
    )
    p.add_argument("--layer", help="layer of both files (multi-layer GeoPackages)")
    p.add_argument("--top", type=ranged(int, 0, 1000), default=5, help="pieces to list (default 5)")
    p.add_argument(
        "--allow-mixed-sources",
        dest="allow_mixed_sources",
        action="store_true",
        help="measure changes between releases of two different sources anyway",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


_run.configure = _configure
command(
    "changes",
    "Land gained and lost per side between two releases, in km².",
    "example:\n  mapdiff changes deepstatemap_data_20251101.geojson deepstatemap_data_20251127.geojson "
    "--place Pokrovsk --json",
)(_run)
