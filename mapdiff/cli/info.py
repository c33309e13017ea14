"""``mapdiff info FILE``: source, date, repairs and area per label."""

from __future__ import annotations

from ..io.read import read_map
from . import add_read_options, command, emit


def _run(args) -> int:
    m = read_map(
        args.file, source=args.source, as_of=args.as_of, crs=args.crs, swap_xy=args.swap_xy, layer=args.layer
    )
    d = m.to_dict()
    lines = [
        f"{args.file}",
        f"  source: {m.source}",
        f"  as_of:  {d['as_of'] or 'unknown'} ({m.provenance.as_of_from or 'not stated'})",
        f"  sha256: {m.provenance.sha256 or '-'}",
        "  labels (km²):",
    ]
    lines += [
        f"    {lab['status'] + (':' + lab['side'] if lab['side'] else ''):<22}"
        f"{lab['area_km2']:>14,.1f}{'' if lab['drawn'] else '  (background)'}"
        for lab in d["labels"]
    ]
    lines.append("  classes: " + ", ".join(m.classes))
    if m.grey_note:
        lines.append(f"  grey zone: {m.grey_note}")
    lines.append("  normalisation: " + str(m.report).replace("\n", "\n  "))
    if m.scope:
        lines += ["  scope:"] + [f"    - {s}" for s in m.scope]
    emit(d, args.json, "\n".join(lines))
    return 0


def _configure(p) -> None:
    p.add_argument("file", help="map file (GeoJSON, GPKG, SHP, KML/KMZ, FGB, Parquet)")
    add_read_options(p)
    p.add_argument("--crs", help="CRS when the file states none, e.g. EPSG:3857")
    p.add_argument("--json", action="store_true", help="print JSON")


_run.configure = _configure
command(
    "info",
    "Describe one map: source, date, repairs, area per label.",
    "example:\n  mapdiff info deepstatemap_data_20251127.geojson --json",
)(_run)
