"""``mapdiff place NAME``: the footprint of a place (``--geojson`` for a GeoJSON Feature);
``mapdiff place --list``: every place with its oblast, footprint kinds and areas."""

from __future__ import annotations

from .._json import SCHEMA_VERSION
from ..errors import ArgumentError
from ..places.footprints import (
    as_footprint,
    available_kinds,
    footprint,
    footprint_from_file,
    gazetteer_table,
    looks_like_path,
)
from . import command, emit


def _list_level(args) -> int:
    """``mapdiff place --list --level hromada [--parent P]``: the units of a level."""
    from ..places import admin

    units = admin.units(args.level, parent=args.parent)
    if args.json:
        emit(
            {
                "schema_version": SCHEMA_VERSION,
                "type": "admin_places",
                "level": admin.parse_level(args.level),
                "parent": admin.find(args.parent).id if args.parent else None,
                "licence": admin.LICENCE,
                "places": [u.to_dict() for u in units],
            },
            True,
            "",
        )
        return 0
    w = max([len(u.name) for u in units] + [5]) + 2
    lines = [f"{'id':<20}{'place':<{w}}{'km²':>11}  parents"]
    for u in units:
        parents = ", ".join(p.name for p in u.parents())
        lines.append(f"{u.id:<20}{u.name:<{w}}{u.area_km2:>11,.2f}  {parents}")
    lines += [
        "",
        f"{len(units)} {admin.parse_level(args.level)}(s). OpenStreetMap boundaries ({admin.LICENCE}); "
        "name one by its id, any of its names, or a path 'Name, Raion, Oblast'.",
    ]
    emit(None, False, "\n".join(lines))
    return 0


def _list(args) -> int:
    if args.level or args.parent:
        return _list_level(args)
    rows = gazetteer_table()
    if args.json:
        emit({"schema_version": SCHEMA_VERSION, "type": "gazetteer", "places": rows}, True, "")
        return 0
    kinds = ["osm_boundary", "city_limits", "community", "approximate"]
    kinds = [k for k in kinds if any(k in r["kinds"] for r in rows)]
    w = max(len(r["name"]) for r in rows) + 2
    head = f"{'place':<{w}}{'oblast':<14}{'default':<13}" + "".join(f"{k + ' km²':>18}" for k in kinds)
    lines = [head]
    for r in rows:
        cells = "".join(f"{r['area_km2'][k]:>18,.2f}" if k in r["area_km2"] else f"{'-':>18}" for k in kinds)
        lines.append(f"{r['name']:<{w}}{r['oblast']:<14}{r['default_kind']:<13}{cells}")
    lines += [
        "",
        f"{len(rows)} places. city_limits: real OSM boundary; community: the hromada, an upper bound;",
        "approximate: disc of the official area around the official centre, clipped to the hromada",
        "(flagged in every output). Names that also exist elsewhere take the oblast: 'Lyman, Donetsk'.",
    ]
    emit(None, False, "\n".join(lines))
    return 0


def _run(args) -> int:
    if args.list:
        return _list(args)
    if args.name is None:
        raise ArgumentError("give a place name (mapdiff place Pokrovsk) or --list")
    if args.fetch:
        from ..places.boundaries import fetch_footprint

        fetch_footprint(args.name, base_url=args.nominatim_url, refresh=args.refresh)
    if args.label and looks_like_path(args.name):
        fp = footprint_from_file(args.name, name=args.label)
        fp = as_footprint(fp, kind=args.kind)
    else:
        fp = footprint(args.name, kind=args.kind)
    if args.geojson:
        print(fp.to_geojson())
        return 0
    d = fp.to_dict()
    if not args.json:
        d.pop("geometry")
    kinds = available_kinds(fp.id or fp.name) if fp.rung != "user" else ["user"]
    caveat = f" ({fp.caveat})" if fp.caveat else ""
    lines = [
        f"{fp.name}: {fp.kind}{caveat}, {fp.area_km2:,.2f} km²",
        f"  id: {fp.id} ({fp.level})" if fp.id else (f"  level: {fp.level}" if fp.level else None),
        f"  parents: {', '.join(f'{n} ({i})' for i, _, n in fp.parents)}" if fp.parents else None,
        f"  oblast: {d['oblast']}" if d.get("oblast") else None,
        f"  centre: {fp.centre[1]:.5f} N, {fp.centre[0]:.5f} E" if fp.centre else "  centre: -",
        f"  kinds available: {', '.join(kinds)} (each also with +Nkm)",
        f"  aliases: {', '.join(fp.aliases) or '-'}",
        f"  provenance: {fp.provenance}",
    ]
    if fp.notes:
        lines.append(f"  notes: {fp.notes}")
    emit({**d, "kinds": kinds}, args.json, "\n".join(x for x in lines if x is not None))
    return 0


def _configure(p) -> None:
    p.add_argument(
        "name",
        nargs="?",
        help="a place: any name in any script ('Donetsk Oblast', 'Покровськ'), an id (relation/2506125), "
        "a path ('Lyman, Donetsk Oblast'), or a polygon file",
    )
    p.add_argument("--list", action="store_true", help="list every place: oblast, kinds, area per kind")
    p.add_argument(
        "--level",
        help="with --list: every oblast, raion, hromada or settlement of the administrative map",
    )
    p.add_argument(
        "--parent", help="with --list --level: only the units below this place, e.g. 'Donetsk Oblast'"
    )
    p.add_argument("--kind", help="footprint kind, e.g. city_limits, community, approximate+2km")
    p.add_argument(
        "--name", dest="label", help="with a polygon file: the place's name (default: its 'name' property)"
    )
    p.add_argument("--geojson", action="store_true", help="print a GeoJSON Feature")
    p.add_argument("--json", action="store_true", help="print JSON (with the geometry)")
    p.add_argument(
        "--fetch",
        action="store_true",
        help="fetch the real OSM boundary (Nominatim) into the cache first; needs the network",
    )
    p.add_argument("--refresh", action="store_true", help="with --fetch: fetch again even when cached")
    p.add_argument(
        "--nominatim-url",
        dest="nominatim_url",
        help="Nominatim server (default: $MAPDIFF_NOMINATIM_URL or nominatim.openstreetmap.org)",
    )


_run.configure = _configure
command(
    "place",
    "Show the footprint of a place: kind, area, aliases, provenance (--list: every place).",
    "examples:\n  mapdiff place Krasnoarmeysk\n"
    "  mapdiff place 'Donetsk Oblast'\n"
    "  mapdiff place relation/2506125\n"
    "  mapdiff place --list --level hromada --parent 'Donetsk Oblast'\n"
    "  mapdiff place --list\n"
    "  mapdiff place 'Lyman, Donetsk' --kind community\n"
    "  mapdiff place Покровськ --geojson > pokrovsk.geojson\n"
    "  mapdiff place my_town.geojson --name 'My town'\n"
    "  mapdiff place Pokrovsk --fetch   # real OSM boundary, cached (ODbL)",
)(_run)
