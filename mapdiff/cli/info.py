"""``mapdiff info FILE``: source, date, repairs and area per label."""

from __future__ import annotations

from ..errors import MapdiffError
from ..io.read import read_map
from ..places.regions import OFFICIAL_AREA_KM2, share_of_region
from . import add_read_options, command, emit


def _region_of(m) -> str | None:
    """The shipped region a map's profile covers ("ukraine"), if any."""
    from ..profiles import get_profile

    try:
        cov = (get_profile(m.source).coverage or "").lower()
    except MapdiffError:
        return None
    return cov if cov in OFFICIAL_AREA_KM2 else None


def _run(args) -> int:
    m = read_map(
        args.file, source=args.source, as_of=args.as_of, crs=args.crs, swap_xy=args.swap_xy, layer=args.layer
    )
    d = m.to_dict()
    reg = _region_of(m)
    if reg is not None:  # percentages "of Ukraine" use the official area, not an outline's
        d["region"] = {"name": reg, "official_area_km2": OFFICIAL_AREA_KM2[reg]}
        for lab in d["labels"]:
            lab[f"share_of_{reg}"] = round(share_of_region(lab["area_km2"], reg), 6)
    lines = [
        f"{args.file}",
        f"  source: {m.source}",
        f"  as_of:  {d['as_of'] or 'unknown'} ({m.provenance.as_of_from or 'not stated'})",
        f"  sha256: {m.provenance.sha256 or '-'}",
        "  labels (km²):",
    ]
    lines += [
        f"    {lab['status'] + (':' + lab['side'] if lab['side'] else ''):<22}"
        f"{lab['area_km2']:>14,.1f}"
        + (f"  {100 * lab[f'share_of_{reg}']:5.2f}% of {reg.capitalize()}" if reg else "")
        + ("" if lab["drawn"] else "  (background)")
        for lab in d["labels"]
    ]
    if reg:
        lines.append(
            f"  (% of {reg.capitalize()}'s official area, {OFFICIAL_AREA_KM2[reg]:,.0f} km²; "
            "drawn land counts on land and coastal water, the background only on land)"
        )
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
