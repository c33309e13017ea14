"""``mapdiff render A B --out FILE``: draw the disagreement map of two releases."""

from __future__ import annotations

from pathlib import Path

from .._json import SCHEMA_VERSION, iso
from ..errors import ArgumentError, FormatError
from . import add_pair_options, command, emit, ranged

_EPILOG = """examples:
  mapdiff render deepstatemap_data_20251127.geojson 2025-11-27.json --place Pokrovsk --out pokrovsk.png
  mapdiff render a.geojson b.geojson --aoi myarea.geojson --out map.svg --width-in 10 --height-in 8
  mapdiff render a.geojson b.geojson --place Myrnohrad --buffer-km 3 --out map.pdf --dpi 300 --json

Formats: .png, .svg, .pdf (from the --out suffix). The map is drawn in a local equal-area
projection (the scale bar is true); the legend gives km² per class."""


def _aoi_from_file(path):
    import numpy as np
    import shapely

    from ..io.read import read_raw
    from ..model.measure import area_km2
    from ..places.footprints import USER, Footprint

    raw = read_raw(path)
    geoms = np.asarray(raw.geoms, dtype=object)
    polys = geoms[np.isin(shapely.get_type_id(geoms), (3, 6))] if geoms.size else geoms
    if polys.size == 0:
        raise FormatError(f"{path}: no polygon to use as the area of interest; pass a polygon file")
    geom = shapely.make_valid(shapely.union_all(polys))
    # named by its features' shared 'name' property, never by the file name
    names = set(raw.table["name"].dropna().astype(str).str.strip()) - {""} if "name" in raw.table else set()
    name = names.pop() if len(names) == 1 else "user polygon"
    return Footprint(name, geom, USER, float(area_km2(geom)), f"user file {path}")


def _run(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..draw.plot import plot_comparison, save_figure

    if Path(args.out).suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ArgumentError(f"--out {args.out}: use a .png, .svg or .pdf file name")
    if (args.width_in is None) != (args.height_in is None):
        raise ArgumentError("give both --width-in and --height-in, or neither")
    if args.place and args.aoi:
        raise ArgumentError("give --place or --aoi, not both")
    from . import read_pair

    a, b = read_pair(args)
    if args.aoi:
        aoi = _aoi_from_file(args.aoi)
    elif args.place:
        from ..places.footprints import footprint

        aoi = footprint(args.place)
    else:
        aoi = None
    if aoi is not None and args.buffer_km:
        aoi = aoi.buffer(args.buffer_km)
    from ..comparison.core import compare

    comp = compare(a, b, aoi=aoi) if aoi is not None else compare(a, b)
    size = (args.width_in, args.height_in) if args.width_in else (9.0, 7.0)
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    plot_comparison(comp, ax=ax, title=args.title, footprint=aoi if hasattr(aoi, "name") else None)
    out = save_figure(fig, args.out, dpi=args.dpi, size=size)
    plt.close(fig)
    d = {
        "schema_version": SCHEMA_VERSION,
        "type": "render",
        "out": str(out),
        "dpi": args.dpi,
        "size_in": list(size),
        "a": {"source": a.source, "as_of": iso(a.as_of)},
        "b": {"source": b.source, "as_of": iso(b.as_of)},
        "aoi": getattr(aoi, "name", None),
        "aoi_km2": float(comp.aoi_km2),
        "approximate_footprint": bool(getattr(aoi, "approximate", False)),
    }
    emit(d, args.json, f"wrote {out}")
    return 0


def _configure(p) -> None:
    p.add_argument("a", help="map 1 (any format mapdiff reads)")
    p.add_argument("b", help="map 2")
    p.add_argument("--place", help="gazetteer place to draw (any alias)")
    p.add_argument("--aoi", help="polygon file for the area of interest")
    p.add_argument(
        "--buffer-km",
        dest="buffer_km",
        type=ranged(float, 0, 500),
        default=0.0,
        help="grow the place or AOI by this many km (0..500)",
    )
    p.add_argument("--out", required=True, help="output image: .png, .svg or .pdf")
    p.add_argument("--dpi", type=ranged(int, 10, 1200), default=200, help="dots per inch (default 200)")
    p.add_argument(
        "--width-in", dest="width_in", type=ranged(float, 1, 100), help="figure width in inches (1..100)"
    )
    p.add_argument(
        "--height-in", dest="height_in", type=ranged(float, 1, 100), help="figure height in inches (1..100)"
    )
    p.add_argument("--title", help="title (default: sources and dates)")
    p.add_argument("--source-a", dest="source_a", help="profile of map 1 (default: recognised)")
    p.add_argument("--source-b", dest="source_b", help="profile of map 2 (default: recognised)")
    add_pair_options(p)
    p.add_argument("--json", action="store_true", help="print JSON")


_run.configure = _configure
command("render", "Draw the disagreement map of two releases as PNG, SVG or PDF.", _EPILOG)(_run)
