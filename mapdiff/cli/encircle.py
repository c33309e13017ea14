"""``mapdiff encircle MAP --place X --by RU``: is the place's holding cut off, how wide the way out."""

from __future__ import annotations

from ..encircle.core import GREY_POLICIES, encirclement
from ..errors import ArgumentError
from . import EXIT_OK, EXIT_UNSUPPORTED, add_map_options, command, emit, ranged, read_map_option


def _run_all(args) -> int:
    """Several maps: the encirclement on every source's release of --date, drawn as panels."""
    from ..claims.across import check_claim_all
    from .claim import map_sources, save_with_methods

    given = [
        o
        for o, v in (
            ("--rear", args.rear),
            ("--fire-range-km", args.fire_range_km),
            ("--defender", args.defender),
        )
        if v is not None
    ]
    if given or args.grey != "passable":
        raise ArgumentError(
            f"{', '.join(given) or '--grey'} applies to one map: give one MAP, or leave it out for several"
        )
    res = check_claim_all(
        map_sources(args),
        args.place if len(args.place) > 1 else args.place[0],
        args.by,
        kind="encircled",
        date=args.date,
        footprint_kind=args.footprint_kind,
        max_gap_days=args.max_gap_days,
    )
    text = res.summary()
    if args.out:
        axes = res.plot(context=False)
        text += save_with_methods(axes[0].figure, args, f"Claim: {res.claim_text()}", res.methods())
    emit(res.to_dict(), args.json, text)
    if args.strict and not all(c.supported for c in res.checks.values()):
        return EXIT_UNSUPPORTED
    return EXIT_OK


def _run(args) -> int:
    if args.more or args.maps:
        return _run_all(args)
    m = read_map_option(args)
    e = encirclement(
        m,
        args.place if len(args.place) > 1 else args.place[0],
        by=args.by,
        rear=args.rear,
        fire_range_km=args.fire_range_km,
        grey=args.grey,
        defender=args.defender,
        radius_km=args.radius_km,
        search_km=args.search_km,
        footprint_kind=args.footprint_kind,
    )
    text = e.summary()
    if args.out:
        from ..draw.plot import save_figure

        path = save_figure(e.plot(), args.out, dpi=args.dpi)
        text += f"\nFigure: {path}"
    emit(e.to_dict(), args.json, text)
    return EXIT_UNSUPPORTED if args.strict and not e.closed else EXIT_OK


def _configure(p) -> None:
    add_map_options(p)
    p.add_argument(
        "--place",
        action="append",
        required=True,
        help="gazetteer name or alias, or a polygon file; repeat it for one pocket of several towns "
        "(--place Pokrovsk --place Myrnohrad: enclosed only when the holding in all of them is cut off)",
    )
    p.add_argument(
        "more",
        nargs="*",
        metavar="MAP",
        help="more maps (files, folders of releases, NAME=PATH): the encirclement on every source, as panels",
    )
    p.add_argument("--maps", action="append", default=[], metavar="NAME=PATH", help="a source's releases")
    p.add_argument("--date", help="with several maps: each source's release on or before it (YYYY-MM-DD)")
    p.add_argument(
        "--max-gap-days",
        dest="max_gap_days",
        type=ranged(int, 0, 100000),
        default=7,
        help="with several maps: mark a release more than this many days before --date stale (default 7)",
    )
    p.add_argument("--by", required=True, help="the encircling side, e.g. RU")
    p.add_argument("--defender", help="the side whose holding is examined (default: the other side)")
    p.add_argument(
        "--rear",
        help="where the way out must lead: a place name or LON,LAT "
        "(default: the defender's largest connected area)",
    )
    p.add_argument(
        "--fire-range-km",
        dest="fire_range_km",
        type=ranged(float, 0, 50),
        help="a corridor narrower than twice this counts as closed under fire control",
    )
    p.add_argument(
        "--grey",
        choices=GREY_POLICIES,
        default="passable",
        help="grey zone on the way out (default: passable)",
    )
    p.add_argument(
        "--radius-km",
        dest="radius_km",
        type=ranged(float, 0, 100, lo_open=True),
        default=5.0,
        help="how far around the place the perimeter share looks (default 5)",
    )
    p.add_argument(
        "--search-km",
        dest="search_km",
        type=ranged(float, 0, 300, lo_open=True),
        default=40.0,
        help="window around the place in which the corridor is measured (default 40)",
    )
    p.add_argument(
        "--footprint-kind",
        dest="footprint_kind",
        help="footprint kind, e.g. city_limits, approximate, approximate+2km",
    )
    p.add_argument("--out", help="also draw the figure to this .png, .svg or .pdf")
    p.add_argument(
        "--dpi", type=ranged(int, 10, 1200), default=200, help="figure resolution, 10..1200 (default 200)"
    )
    p.add_argument("--strict", action="store_true", help="exit 1 when the holding is not closed")
    p.add_argument(
        "--json", action="store_true", help="print the result as JSON (enclosed, verdict, corridor_km, ...)"
    )


_run.configure = _configure
command(
    "encircle",
    "Is a place's holding encircled? Corridor width and perimeter share.",
    "examples:\n  mapdiff encircle ds_20251127.geojson --place Myrnohrad --by RU\n"
    "  mapdiff encircle nzz.json --place Myrnohrad --by RU --fire-range-km 1 --json\n"
    "  mapdiff encircle ds.geojson --place Pokrovsk --place Myrnohrad --by RU --out pocket.png\n"
    "  mapdiff encircle ds=deepstate_api/ owl=owl/ nzz=nzz/ --place Pokrovsk --place Myrnohrad --by RU\n"
    "      --date 2025-11-27 --out pocket_every_side.png\n"
    "  mapdiff encircle map.geojson --place town.geojson --by RU --grey blocking --out pocket.png",
)(_run)
