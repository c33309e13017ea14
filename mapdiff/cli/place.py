"""``mapdiff place NAME``: the footprint of a place (``--geojson`` for a GeoJSON Feature)."""

from __future__ import annotations

from ..places.footprints import available_kinds, footprint
from . import command, emit


def _run(args) -> int:
    if args.fetch:
        from ..places.boundaries import fetch_footprint

        fetch_footprint(args.name, base_url=args.nominatim_url, refresh=args.refresh)
    fp = footprint(args.name, kind=args.kind)
    if args.geojson:
        print(fp.to_geojson())
        return 0
    d = fp.to_dict()
    if not args.json:
        d.pop("geometry")
    kinds = available_kinds(fp.name) if fp.kind != "user" else ["user"]
    lines = [
        f"{fp.name}: {fp.kind}{' (APPROXIMATE)' if fp.approximate else ''}, {fp.area_km2:,.2f} km²",
        f"  centre: {fp.centre[1]:.5f} N, {fp.centre[0]:.5f} E" if fp.centre else "  centre: -",
        f"  kinds available: {', '.join(kinds)} (each also with +Nkm)",
        f"  aliases: {', '.join(fp.aliases) or '-'}",
        f"  provenance: {fp.provenance}",
    ]
    if fp.notes:
        lines.append(f"  notes: {fp.notes}")
    emit({**d, "kinds": kinds}, args.json, "\n".join(lines))
    return 0


def _configure(p) -> None:
    p.add_argument("name", help="gazetteer name or alias (any script), or a polygon file path")
    p.add_argument("--kind", help="footprint kind, e.g. city_limits, approximate+2km")
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
    "Show the footprint of a place: kind, area, aliases, provenance.",
    "examples:\n  mapdiff place Krasnoarmeysk\n"
    "  mapdiff place Покровськ --geojson > pokrovsk.geojson\n"
    "  mapdiff place Pokrovsk --fetch   # real OSM boundary, cached (ODbL)",
)(_run)
