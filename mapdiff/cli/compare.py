"""``mapdiff compare A B [MAP ...] [--place NAME | --aoi FILE]``: crosstab and disagreement split.

Two maps: the crosstab, the disagreement by cause, ``--out`` polygons. More than two (or
``--out FILE.png``/.svg/.pdf): the pairwise disagreement in km² (:func:`mapdiff.consensus`)
and the panel figure, one panel per map over the place (:func:`mapdiff.draw.panels.plot_panels`).
"""

from __future__ import annotations

from .._json import iso
from ..comparison.core import compare
from ..errors import ArgumentError
from ..model.classes import source_name
from . import add_pair_options, command, emit, ranged, read_pair

_FIGURES = (".png", ".svg", ".pdf")


def _is_figure(path) -> bool:
    return bool(path) and str(path).lower().endswith(_FIGURES)


def _run(args) -> int:
    a, b = read_pair(args)
    aoi = None
    if args.aoi:
        from ..places.footprints import footprint_from_file

        aoi = footprint_from_file(args.aoi)
    elif args.place:
        from ..places.footprints import as_footprint

        aoi = as_footprint(args.place, kind=args.footprint_kind)
    if args.more or _is_figure(args.out):
        return _run_many(args, a, b, aoi)
    c = compare(a, b, aoi=aoi, noise_m=args.noise_m, scope=not args.no_scope)
    if args.out:
        c.to_file(args.out, what="pieces" if args.all_pieces else "disagreement", style=not args.no_style)
    if args.json:  # the text is not printed: not made (its crosstab and components cost)
        emit(c.to_dict(), True, "")
        return 0
    text = c.summary()
    if c.scope_notes:
        text += "\nscope:\n" + "\n".join(f"  - {s}" for s in c.scope_notes)
    if c.grey_notes:
        text += "\ngrey zone:\n" + "\n".join(f"  - {s}" for s in c.grey_notes)
    if args.out:
        text += f"\nwrote {'pieces' if args.all_pieces else 'disagreement'} to {args.out}"
    emit(c.to_dict(), False, text)
    return 0


def _run_many(args, a, b, aoi) -> int:
    """Several maps (or a figure): pairwise disagreement in km², and with ``--out FILE.png``
    (.svg, .pdf) one panel per map over the same place, one legend."""
    from ..comparison.agreement import consensus
    from ..io.read import read_map

    if aoi is None:
        raise ArgumentError("compare of several maps (or to a figure) needs --place NAME or --aoi FILE")
    if args.out and not _is_figure(args.out):
        raise ArgumentError(
            f"compare of more than two maps writes a figure: --out FILE.png, .svg or .pdf (got {args.out}); "
            "compare two at a time for polygons"
        )
    maps = [a, b, *(read_map(path, cache=True) for path in args.more)]
    cons = consensus(maps, aoi=aoi)
    names = {
        n: f"{source_name(m)} {iso(m.as_of, 'undated')}" for n, m in zip(cons.sources, maps, strict=True)
    }
    where = f"{aoi.name} ({aoi.kind}{', APPROXIMATE' if aoi.approximate else ''})" if aoi.name else "the AOI"
    lines = [f"{len(maps)} maps over {where}, {cons.to_dict()['aoi_km2']:,.1f} km²:"]
    lines += [f"  {n}: {names[n]}" for n in cons.sources]
    lines.append("pairwise disagreement (km²):")
    for i, x in enumerate(cons.sources):
        for y in cons.sources[i + 1 :]:
            lines.append(f"  {names[x]} vs {names[y]}: {float(cons.pairwise.loc[x, y]):,.1f}")
    text = "\n".join(lines)
    out = cons.to_dict()
    out["source_names"] = {n: source_name(m) for n, m in zip(cons.sources, maps, strict=True)}
    if args.out:
        import matplotlib.pyplot as plt

        from ..draw.panels import plot_panels
        from ..draw.plot import save_figure

        axes = plot_panels(maps, aoi=aoi)
        title = f"{len(maps)} maps of {aoi.name or 'the area of interest'}"
        axes[0].figure.suptitle(title, fontsize=11, fontweight="bold")
        path = save_figure(axes, args.out, dpi=150, metadata={"Title": title, "Description": text})
        plt.close(axes[0].figure)
        text += f"\nFigure: {path}"
    emit(out, args.json, text)
    return 0


def _configure(p) -> None:
    p.add_argument("a", help="first map file (its labels are the crosstab's rows)")
    p.add_argument("b", help="second map file (its labels are the columns)")
    p.add_argument(
        "more",
        nargs="*",
        metavar="MAP",
        help="more map files: pairwise disagreement in km², with --out FILE.png one panel per map",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--place", help="gazetteer place name as the area of interest")
    where.add_argument("--aoi", help="polygon file (GeoJSON, GPKG, ...) as the area of interest")
    p.add_argument(
        "--footprint-kind",
        dest="footprint_kind",
        help="with --place: footprint kind (city_limits, community, approximate, +2km ...)",
    )
    p.add_argument(
        "--noise-m",
        dest="noise_m",
        type=ranged(float, 0, 10_000),
        default=30.0,
        help="slivers thinner than this many metres are noise (default 30)",
    )
    p.add_argument(
        "--no-scope",
        dest="no_scope",
        action="store_true",
        help="do not set apart areas a profile declares it never draws",
    )
    p.add_argument("--source-a", dest="source_a", help="profile of A (default: recognised)")
    p.add_argument("--source-b", dest="source_b", help="profile of B (default: recognised)")
    add_pair_options(p)
    p.add_argument(
        "--out",
        help="write the disagreement polygons with their provenance (.gpkg with a QGIS style, "
        ".geojson, .fgb, .parquet), or a figure (.png, .svg, .pdf: one panel per map, with --place/--aoi)",
    )
    p.add_argument(
        "--all-pieces",
        dest="all_pieces",
        action="store_true",
        help="with --out, write every piece (agreement too)",
    )
    p.add_argument(
        "--no-style",
        dest="no_style",
        action="store_true",
        help="with --out .gpkg, do not embed the QGIS style (layer_styles table)",
    )
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")


_run.configure = _configure
command(
    "compare",
    "Compare two maps: crosstab in km², disagreement by cause (scope, noise, real).",
    "examples:\n  mapdiff compare deepstate_20251127.geojson nzz_2025-11-27.json\n"
    "  mapdiff compare a.geojson b.geojson --place Pokrovsk --json --out diff.gpkg\n"
    "  mapdiff compare a.geojson b.json c.kml --place Pokrovsk --out panels.png",
)(_run)
