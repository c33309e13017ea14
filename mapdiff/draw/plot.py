"""Images: one consistent, publishable look for every mapdiff figure.

Design
------
* **Fixed colour-blind-safe palette** (Okabe–Ito): the same disagreement class always has
  the same colour, whatever the sources or sides. Sides are data: "side A" is the side
  the maps draw (e.g. RU on DeepState), "side B" the other one (the background side).
* **True to scale.** Maps are drawn in the local Lambert azimuthal equal-area projection
  mapdiff measures in (:func:`mapdiff.model.measure.to_equal_area`, centred on the area of
  interest), so the scale bar is exact and shapes are not stretched as lon/lat would be.
* **Building blocks** shared by every map figure: legend with km² per class, scale bar,
  title with sources and dates, one attribution line per source (from its profile),
  footprint outline and place labels from the gazetteer, and a visible flag when an
  approximate footprint is used.
* **Atomic saving** (:func:`save_figure`): PNG, SVG or PDF at a chosen size and DPI,
  written through :func:`mapdiff.io.atomic.atomic_path`.
* **Context that works offline** (:func:`context_layers`): the national border, oblast
  outlines, hromada outlines and town limits where ``data/geo/`` ships them, rivers
  (GSHHG), named settlements (GeoNames) and any line/polygon file the caller passes as
  ``context=``; web tiles only when asked (``tiles=``, needs contextily and a network).
  A north arrow and a true scale bar on every map.
* **Slivers stay visible**: a class under :data:`SLIVER_SHARE` of the view is outlined in
  its own colour at a minimum line width, so a 0.3 km² strip does not vanish.

Examples
--------
>>> import mapdiff
>>> from mapdiff.places.footprints import footprint
>>> m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
>>> ax = plot_map(m, aoi=footprint("Pokrovsk").buffer(5))
>>> [t.get_text().split(" km²")[0].split(": ")[0] for t in ax.get_legend().get_texts()]
['controlled:RU', 'controlled:UA', 'no grey-zone class in this source',
 'Pokrovsk (city_limits)', 'Pokrovsk +5 km (area of interest)', 'hromada outlines', 'town limits (OSM)']
"""

from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely

from .._json import iso
from .._resources import data_dir
from ..errors import ArgumentError, EmptyMapError, FormatError, MapdiffError, MissingDependencyError
from ..io.atomic import atomic_path
from ..labels import CONTESTED, NOT_COVERED, Label, as_label
from ..model.classes import (
    CLASS_COLOURS,
    CLASS_HATCHES,
    PALETTE,
    SIDE_COLOURS,
    class_text,
    comparison_sides,
    map_sides,
    source_label,
    source_name,
)
from ..model.measure import area_km2, from_equal_area, to_equal_area
from .placement import place_label

__all__ = [
    "CLASS_COLOURS",
    "PALETTE",
    "SLIVER_SHARE",
    "context_layers",
    "plot_agreement",
    "plot_change_table",
    "plot_changes",
    "plot_changes_map",
    "plot_claim",
    "plot_claims_report",
    "plot_comparison",
    "plot_consensus",
    "plot_encirclement",
    "plot_footprint",
    "plot_lag",
    "plot_map",
    "plot_series",
    "plot_tracking",
    "save_figure",
]

_SIDE_COLOURS = SIDE_COLOURS
_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
#: A class covering less than this share of the view is outlined (minimum line width).
SLIVER_SHARE = 0.01
_SLIVER_LW = 1.2
_RIVER = "#3D8FD1"
_LINE_GREY = "#6E6E6E"
_WIDE_VIEW_M = 150_000
#: The corridor as drawn (a black line through yellow dots), for its legend swatch.
_CORRIDOR_MARKS = {
    "marker": "o",
    "markersize": 5,
    "markerfacecolor": PALETTE["yellow"],
    "markeredgecolor": "black",
}
_OWN_STATUS_STYLES = (
    (PALETTE["yellow"], "...."),
    (PALETTE["sky"], "////"),
    (PALETTE["green"], "\\\\\\\\"),
    (PALETTE["orange"], "xx"),
    (PALETTE["purple"], "++"),
)


# --------------------------------------------------------------------------- helpers
def _geom(obj):
    return getattr(obj, "geometry", obj)


def _date(m) -> str:
    return iso(getattr(m, "as_of", None), "undated")


#: What a figure calls a source: its name and lean (``DeepStateMap (Ukrainian OSINT)``).
_name = source_label


def _attribution(maps) -> str:
    from ..profiles import get_profile

    lines, seen = [], set()
    for m in maps:
        if m.source in seen:
            continue
        seen.add(m.source)
        try:
            text = get_profile(m.source).attribution
        except MapdiffError:
            text = ""
        title = _name(m)
        text = text or "source as supplied by the user"
        lines.append(text if text.startswith(title) else f"{title}: {text}")
    return "\n".join(lines)


def _centre(aoi) -> tuple[float, float]:
    xmin, ymin, xmax, ymax = shapely.bounds(aoi)
    return (xmin + xmax) / 2.0, (ymin + ymax) / 2.0


def _axes(ax, figsize=(8, 7)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _draw(
    ax, geoms, colours, centre, hatches=None, edgecolor="none", linewidth=0.0, zorder=1, edges=None, **style
):
    """Fill lon/lat polygons, projected to the local equal-area CRS.

    ``edges`` (one bool per geometry) outlines that polygon in its own colour at
    ``_SLIVER_LW``; ``style`` (alpha, linewidth, edgecolor, ...) goes to every patch.
    """
    linewidth = style.pop("linewidth", style.pop("lw", linewidth))
    edgecolor = style.pop("edgecolor", style.pop("ec", edgecolor))
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MPath

    patches = []
    geoms = np.asarray(geoms, dtype=object)
    proj = to_equal_area(geoms, centre) if len(geoms) else geoms
    for i, g in enumerate(proj):
        if g is None or g.is_empty:
            continue
        polys = getattr(g, "geoms", [g])
        verts, codes = [], []
        for p in polys:
            if p.geom_type != "Polygon" or p.is_empty:
                continue
            for ring in (p.exterior, *p.interiors):
                xy = np.asarray(ring.coords)[:, :2]
                verts.append(xy)
                codes.append(np.r_[MPath.MOVETO, np.full(len(xy) - 2, MPath.LINETO), MPath.CLOSEPOLY])
        if not verts:
            continue
        thin = edges is not None and edges[i]
        patch = PathPatch(
            MPath(np.concatenate(verts), np.concatenate(codes)),
            facecolor=colours[i],
            linewidth=max(linewidth, _SLIVER_LW) if thin else linewidth,
            edgecolor="#9A9A9A" if hatches and hatches[i] else (colours[i] if thin else edgecolor),
            hatch=(hatches[i] if hatches else None),
            **style,
        )
        if hatches and hatches[i]:
            patch.set_zorder(zorder)
            ax.add_patch(patch)  # a collection carries one hatch only
        else:
            patches.append(patch)
    if patches:
        ax.add_collection(PatchCollection(patches, match_original=True, zorder=zorder))


def _outline(ax, geom, centre, colour="black", lw=1.4, ls="-", zorder=5):
    g = to_equal_area(_geom(geom), centre)
    for line in shapely.get_parts(shapely.boundary(g)):
        for part in shapely.get_parts(line):
            xy = np.asarray(part.coords)
            ax.plot(xy[:, 0], xy[:, 1], color=colour, lw=lw, ls=ls, zorder=zorder)


def _extent(ax, aoi, centre, margin=0.04):
    xmin, ymin, xmax, ymax = shapely.bounds(to_equal_area(_geom(aoi), centre))
    dx, dy = (xmax - xmin) * margin, (ymax - ymin) * margin
    ax.set_xlim(xmin - dx, xmax + dx)
    ax.set_ylim(ymin - dy, ymax + dy)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_color("#888888")


def _nice(x: float) -> float:
    exp = math.floor(math.log10(x))
    for m in (5, 2, 1):
        if m * 10**exp <= x:
            return m * 10**exp
    return 10**exp


def _scale_bar(ax) -> float:
    """Draw a scale bar (lower left, in projected metres); returns its length in km."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    km = _nice((x1 - x0) / 5 / 1000.0)
    length = km * 1000.0
    x, y, h = x0 + 0.04 * (x1 - x0), y0 + 0.04 * (y1 - y0), 0.012 * (y1 - y0)
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((x, y), length / 2, h, facecolor="black", edgecolor="black", zorder=8))
    ax.add_patch(
        Rectangle((x + length / 2, y), length / 2, h, facecolor="white", edgecolor="black", zorder=8)
    )
    label = f"{km:g} km"
    ax.text(
        x + length / 2,
        y + 1.8 * h,
        label,
        ha="center",
        va="bottom",
        fontsize=8,
        zorder=8,
        bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1},
    )
    return km


def _north_arrow(ax) -> None:
    """A north arrow, upper right. The maps are azimuthal projections centred on the view,
    so north is straight up along the centre meridian (and within a degree of it elsewhere
    on a town-sized view)."""
    x = 0.955
    ax.annotate(
        "",
        xy=(x, 0.93),
        xytext=(x, 0.84),
        xycoords="axes fraction",
        arrowprops={"facecolor": "black", "edgecolor": "white", "width": 3, "headwidth": 9, "headlength": 8},
        zorder=10,
    )
    ax.text(
        x,
        0.935,
        "N",
        transform=ax.transAxes,
        ha="center",
        va="bottom",
        fontsize=9,
        fontweight="bold",
        zorder=10,
        gid="north-arrow",
        bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 0.5},
    )


# --------------------------------------------------------------------------- context
#: Offline context layers: file in data/geo/, how it is drawn, and its licence.
_CONTEXT = {
    "hromadas": (
        "osm_hromadas.geojson",
        {"color": "#4D4D4D", "lw": 0.7, "ls": (0, (1, 1.5))},
        "hromada outlines © OpenStreetMap contributors (ODbL 1.0)",
    ),
    "town limits": (
        "osm_town_limits.geojson",
        {"color": "#4D4D4D", "lw": 0.6, "ls": "-"},
        "town limits © OpenStreetMap contributors (ODbL 1.0)",
    ),
    "oblasts": (
        "oblast_lines.geojson",
        {"color": _LINE_GREY, "lw": 0.9, "ls": "--"},
        "oblast lines Natural Earth (public domain)",
    ),
    "border": (
        "ukraine_boundary.geojson",
        {"color": "#333333", "lw": 1.3, "ls": "-."},
        "national border Hijmans/UC Berkeley MVZ",
    ),
    "rivers": ("rivers.geojson", {"color": _RIVER, "lw": 1.1, "ls": "-"}, "rivers GSHHG 2.3.6 (LGPL-3.0)"),
}
#: What each context layer is called in a legend.
_CONTEXT_WORDS = {
    "hromadas": "hromada outlines",
    "town limits": "town limits (OSM)",
    "oblasts": "oblast lines",
    "border": "national border",
    "rivers": "rivers",
}
_SETTLEMENTS = ("settlements.csv", "settlements GeoNames (CC BY 4.0)")
_MAX_SETTLEMENTS = 12


def _geo_file(name: str) -> Path | None:
    try:
        path = data_dir() / "geo" / name
    except FileNotFoundError:
        return None
    return path if path.is_file() else None


@lru_cache(maxsize=16)
def _line_layer(path: str) -> tuple:
    """(lines as a shapely array, STRtree) of a GeoJSON/vector file: polygons become their outlines."""
    from ..io.gate import read_geometries

    # the input gate: a user's context layer is a local regular file, and GDAL sees it only
    # as a signature-checked GeoPackage/FlatGeobuf/Shapefile (lon/lat out)
    geoms = np.asarray([g for g in read_geometries(Path(path)) if g is not None], dtype=object)
    if len(geoms) == 0:
        return np.asarray([], dtype=object), None
    poly = np.isin(shapely.get_type_id(geoms), (3, 6))
    geoms = np.where(poly, shapely.boundary(geoms), geoms)
    geoms = geoms[~shapely.is_empty(geoms) & np.isin(shapely.get_type_id(geoms), (1, 2, 5, 7))]
    return geoms, shapely.STRtree(geoms)


@lru_cache(maxsize=1)
def _settlements() -> tuple:
    import csv

    path = _geo_file(_SETTLEMENTS[0])
    if path is None:
        return ()
    with open(path, encoding="utf-8", newline="") as fh:
        return tuple(
            (r["name"], float(r["lon"]), float(r["lat"]), int(r["population"])) for r in csv.DictReader(fh)
        )


def context_layers() -> dict:
    """The offline context layers found in ``data/geo/``: {name: licence line}.

    Returns
    -------
    dict
        Layers that are shipped (missing ones are left out: figures degrade gracefully).

    Examples
    --------
    >>> "rivers" in context_layers() and "settlements" in context_layers()
    True
    """
    out = {k: lic for k, (f, _s, lic) in _CONTEXT.items() if _geo_file(f) is not None}
    if _geo_file(_SETTLEMENTS[0]) is not None:
        out["settlements"] = _SETTLEMENTS[1]
    return out


def _view_lonlat(ax, centre):
    """The Axes' view as a lon/lat polygon (corners and edge points inverted from metres)."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    t = np.linspace(0.0, 1.0, 9)
    xs = np.r_[x0 + (x1 - x0) * t, np.full(9, x1), x1 - (x1 - x0) * t, np.full(9, x0)]
    ys = np.r_[np.full(9, y0), y0 + (y1 - y0) * t, np.full(9, y1), y1 - (y1 - y0) * t]
    return from_equal_area(shapely.Polygon(np.column_stack([xs, ys])), centre)


def _draw_lines(ax, lines, centre, zorder=3, halo=False, **style) -> int:
    """Draw lon/lat lines projected to the local equal-area CRS; returns how many parts were drawn."""
    import matplotlib.patheffects as pe

    n = 0
    effects = [pe.withStroke(linewidth=style.get("lw", 1.0) + 1.6, foreground="white")] if halo else None
    for part in shapely.get_parts(to_equal_area(np.asarray(lines, dtype=object), centre)):
        xy = shapely.get_coordinates(part)
        if len(xy) < 2:
            continue
        ax.plot(xy[:, 0], xy[:, 1], zorder=zorder, solid_capstyle="round", path_effects=effects, **style)
        n += 1
    return n


def _context(ax, centre, context=True, skip=()) -> list[str]:
    """Draw the context layers inside the view; returns the licence lines of what was drawn.

    ``context``: True (every shipped layer), False/None (none), or a path (or list of
    paths) to the caller's own line/polygon layers, drawn on top of the shipped ones.
    """
    if context is None or context is False:
        return []
    user = [] if context is True else [context] if isinstance(context, str | Path) else list(context)
    view = _view_lonlat(ax, centre)
    used, drawn = [], []
    for name, (fname, style, lic) in _CONTEXT.items():
        path = _geo_file(fname)
        if path is None:
            continue
        geoms, tree = _line_layer(str(path))
        if tree is None:
            continue
        hit = tree.query(view, predicate="intersects")
        if not len(hit):
            continue
        clipped = shapely.intersection(geoms[hit], view)
        if _draw_lines(
            ax, clipped, centre, zorder=4 if name == "rivers" else 3, halo=name == "rivers", **style
        ):
            used.append(lic)
            drawn.append((_CONTEXT_WORDS[name], style["color"], style["ls"], style["lw"]))
    for path in user:
        p = Path(path)
        if not p.is_file():
            raise FormatError(f"context layer {p} not found: pass an existing GeoJSON/GeoPackage/shapefile")
        geoms, tree = _line_layer(str(p))
        hit = tree.query(view, predicate="intersects") if tree is not None else []
        if len(hit):
            _draw_lines(ax, shapely.intersection(geoms[hit], view), centre, zorder=4, color="#222222", lw=0.9)
            drawn.append((p.stem.replace("_", " "), "#222222", "-", 0.9))
        used.append(f"{p.name} (supplied by the user)")
    ax._mapdiff_context_lines = tuple(drawn)  # each gets a legend entry (_legend)
    labelled = _settlement_labels(ax, centre, view, skip)
    if labelled:
        used.append(_SETTLEMENTS[1])
    return used


def _settlement_labels(ax, centre, view, skip=()) -> list[str]:
    """Name the largest settlements in the view (GeoNames), away from the gazetteer's labels."""
    rows = _settlements()
    if not rows:
        return []
    names, lon, lat, pop = zip(*rows, strict=True)
    pts = shapely.points(lon, lat)
    inside = np.flatnonzero(shapely.contains_xy(view, np.asarray(lon), np.asarray(lat)))
    if not len(inside):
        return []
    order = inside[np.argsort(-np.asarray(pop)[inside], kind="stable")]
    xy = shapely.get_coordinates(to_equal_area(pts[order], centre))
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    gap = max(x1 - x0, y1 - y0) / 9.0
    taken = [np.asarray(p) for p in skip]
    shown = []
    for k, (x, y) in zip(order, xy, strict=True):
        if len(shown) >= _MAX_SETTLEMENTS:
            break
        if not (x0 < x < x1 and y0 < y < y1) or any(np.hypot(*(np.asarray((x, y)) - t)) < gap for t in taken):
            continue
        (dot,) = ax.plot(x, y, "o", ms=3, mfc="white", mec="#333333", mew=0.8, zorder=9)
        label = place_label(  # off every other text, or left out (its dot too)
            ax,
            names[k],
            (x, y),
            required=False,
            marks=(dot,),
            fontsize=7,
            fontstyle="italic",
            color="#222222",
            zorder=9,
            bbox={"facecolor": "white", "alpha": 0.6, "edgecolor": "none", "pad": 0.3},
        )
        if label is None:  # its dot hidden; a later layout pass may find it room
            continue
        taken.append(np.asarray((x, y)))
        shown.append(names[k])
    return shown


def _tiles(ax, centre, tiles) -> str:
    """Web tiles under the map (contextily, network); returns their attribution."""
    try:
        import contextily
    except ImportError:
        raise MissingDependencyError(
            "web tiles need contextily and a network: pip install 'mapdiff[tiles]' (or leave tiles=None)"
        ) from None
    crs = f"+proj=laea +lat_0={centre[1]} +lon_0={centre[0]} +ellps=WGS84 +units=m"
    provider = tiles
    if isinstance(tiles, str):
        provider = contextily.providers.flatten()[tiles]
    contextily.add_basemap(ax, crs=crs, source=provider, attribution=False, zorder=0)
    licence = provider.get("attribution") if hasattr(provider, "get") else None
    return f"Tiles: {licence or tiles} (web tiles; their provider's terms apply)"


def _finish_map(ax, centre, *, places=True, context=True, tiles=None, skip_names=(), bold=()) -> list[str]:
    """Scale bar, north arrow, context layers and place labels of a map; returns licence lines."""
    _scale_bar(ax)
    _north_arrow(ax)
    notes = []
    if tiles:
        notes.append(_tiles(ax, centre, tiles))
    shown_xy = []
    if places:
        shown_xy = _place_labels(ax, centre, skip=bold)
    if context is not False and context is not None:
        notes += _context(ax, centre, context, skip=shown_xy)
    ax._mapdiff_context = tuple(notes)  # read by plot_panels, whose panels have no caption of their own
    return notes


@lru_cache(maxsize=1)
def _places() -> tuple:
    """(name, lon, lat, large) of every gazetteer place, read from ``data/geo/`` as data (the
    drawing layer does not call the gazetteer's resolver: ``Footprint.plot`` delegates here)."""
    import csv
    import json

    out: dict[str, tuple] = {}
    towns = _geo_file("towns.csv")
    if towns is not None:
        with open(towns, encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                if r.get("lon") and r.get("lat"):
                    big = float(r.get("population_2022") or 0) >= 100_000
                    out[r["name_en"]] = (r["name_en"], float(r["lon"]), float(r["lat"]), big)
    limits = _geo_file("city_limits.geojson")
    if limits is not None:
        for f in json.loads(limits.read_text(encoding="utf-8")).get("features", []):
            name = f["properties"].get("name_en")
            if name and name not in out:
                pt = shapely.point_on_surface(shapely.from_geojson(json.dumps(f["geometry"])))
                out[name] = (name, pt.x, pt.y, True)
            elif name:
                out[name] = (*out[name][:3], True)
    return tuple(out.values())


def _place_labels(ax, centre, skip=()) -> list[tuple[float, float]]:
    """Label gazetteer places whose centre falls inside the view (``skip``: names in bold);
    returns the labelled points (projected metres)."""
    if not _places():
        return []
    names, lon, lat, big = zip(*_places(), strict=True)
    pts = to_equal_area(shapely.points(lon, lat), centre)
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    wide = (x1 - x0) > _WIDE_VIEW_M  # a whole front: only the large cities, else labels pile up
    shown = []
    rows = sorted(zip(names, x, y, big, strict=True), key=lambda r: r[0] not in skip)  # the subject first
    for n, xi, yi, b in rows:
        if x0 < xi < x1 and y0 < yi < y1 and (b or not wide or n in skip):
            (dot,) = ax.plot(xi, yi, "o", ms=3, color="black", zorder=9)
            label = place_label(  # off every other text (the subject's name always shown)
                ax,
                n,
                (xi, yi),
                required=n in skip,
                marks=(dot,),
                fontsize=8,
                zorder=9,
                bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 0.5},
                fontweight="bold" if n in skip else "normal",
            )
            if label is None:  # its dot hidden; a later layout pass may find it room
                continue
            shown.append((float(xi), float(yi)))
    return shown


def _legend(ax, entries, title=None, below=False, skip_pt: float = 0.0, lines=()):
    """Legend to the right of the map, or below it (``skip_pt`` points further down).

    ``entries``: (text, colour, hatch) filled patches; ``lines``: (text, colour, linestyle,
    linewidth[, marker keywords]) lines, listed after the filled classes, then the context
    layers :func:`_finish_map` drew on ``ax`` (hromada, oblast lines...), one entry each.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.transforms import ScaledTranslation

    lines = [*lines, *getattr(ax, "_mapdiff_context_lines", ())]  # the context layers drawn
    handles = [Patch(facecolor=c, edgecolor="#555555", hatch=h, label=t) for t, c, h in entries]
    handles += [
        Line2D([], [], color=ln[1], ls=ln[2], lw=ln[3], label=ln[0], **(ln[4:] or [{}])[0]) for ln in lines
    ]
    # an equal-aspect map shrinks inside the space the layout gives it: keep it against the
    # side away from the legend, so the legend stays inside the figure
    ax.set_anchor("N" if below else "W")
    kw = {"fontsize": 8, "title_fontsize": 8, "frameon": False, "handlelength": 2.2}
    if below:
        shift = ax.transAxes + ScaledTranslation(0, -skip_pt / 72.0, ax.figure.dpi_scale_trans)
        return ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.01),
            bbox_transform=shift,
            title=title,
            **kw,
        )
    return ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), title=title, **kw)


_FOOTER_PT = 6.5
#: A caption runs to at most this many lines; the rest is the methods note.
CAPTION_LINES = 3
_CAPTION_PT = 8.0
_METHODS_POINTER = "More in the methods note (the file's metadata)."


def _text_width_pt(text: str, fontsize: float) -> float:
    """The width of ``text`` in points in matplotlib's default font (measured, not guessed)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    w, _, _ = TextToPath().get_text_width_height_descent(text, FontProperties(size=fontsize), ismath=False)
    return w


def _fill(text: str, width_in: float, fontsize: float) -> list[str]:
    """``text`` wrapped on word boundaries to lines measured to fit ``width_in`` inches."""
    limit = width_in * 72.0 * 0.97
    lines: list[str] = []
    for word in text.split():
        if lines and _text_width_pt(lines[-1] + " " + word, fontsize) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _caption_sentences(sentences, width_in: float, limit: int = CAPTION_LINES) -> list[str]:
    """The sentences (in order of priority) that fit together in ``limit`` wrapped lines."""
    kept: list[str] = []
    for s in sentences:
        if s and len(_fill(" ".join([*kept, s]), width_in, _CAPTION_PT)) <= limit:
            kept.append(s)
    return kept


def _caption(sentences, width_in: float, limit: int = CAPTION_LINES) -> list[str]:
    """The sentences that fit in ``limit`` wrapped lines, in order of priority, as lines."""
    return _fill(" ".join(_caption_sentences(sentences, width_in, limit)), width_in, _CAPTION_PT)


def methods_note(fig) -> str:
    """The methods note of a figure: every note its map figures left out of their captions.

    :func:`save_figure` writes it into the file's metadata (``Description``) unless given one.
    """
    return "\n".join(getattr(fig, "_mapdiff_methods", ()))


def _add_methods(fig, notes) -> None:
    have = list(getattr(fig, "_mapdiff_methods", ()))
    fig._mapdiff_methods = have + [n for n in notes if n and n not in have]


def _footer(ax, caption, credits=(), methods=(), y=-0.01):
    """Under the map: a caption of at most :data:`CAPTION_LINES` lines and the credits
    (sources, context layers) in small grey type; returns their height in points.

    ``caption``: sentences in order of priority (what a reader must see first: an approximate
    footprint, a date shift); those that do not fit go to the figure's methods note
    (:func:`methods_note`, written into the file's metadata by :func:`save_figure`), and the
    caption says so; ``methods``: notes for the methods note only (scope, grey-zone classes).
    Lines are wrapped on word boundaries, measured by the font."""
    from matplotlib.transforms import ScaledTranslation

    sentences = [caption] if isinstance(caption, str) else [s for s in caption if s]
    credits = [line for c in credits if c for line in c.split("\n")]
    methods = [m for m in methods if m]
    width_in = max(ax.get_position().width * ax.figure.get_figwidth(), 2.0)
    kept = _caption_sentences(sentences, width_in)
    if len(kept) < len(sentences) or methods:

        def fits(k):
            return _caption_sentences([*k, _METHODS_POINTER], width_in) == [*k, _METHODS_POINTER]

        while len(kept) > 1 and not fits(kept):
            kept.pop()
        if fits(kept):
            kept.append(_METHODS_POINTER)
    _add_methods(ax.figure, [*sentences, *methods, *credits])
    lines = _fill(" ".join(kept), width_in, _CAPTION_PT) if kept else []
    shift = ax.transAxes + ScaledTranslation(0, -2 / 72.0, ax.figure.dpi_scale_trans)
    height = 0.0
    if lines:
        ax.text(
            0.0,
            y,
            "\n".join(lines),
            transform=shift,
            ha="left",
            va="top",
            fontsize=_CAPTION_PT,
            gid="caption",
        )
        height = len(lines) * _CAPTION_PT * 1.3 + 2
    if credits:
        text = "\n".join(line for c in credits for line in _fill(c, width_in, _FOOTER_PT))
        shift = ax.transAxes + ScaledTranslation(0, -(2 + height) / 72.0, ax.figure.dpi_scale_trans)
        ax.text(
            0.0,
            y,
            text,
            transform=shift,
            ha="left",
            va="top",
            fontsize=_FOOTER_PT,
            color="#444444",
            gid="credits",
        )
        height += (text.count("\n") + 1) * _FOOTER_PT * 1.3
    return height + 4


def _credits(maps, context=()) -> list[str]:
    """The credits lines under a map: its sources' attributions and the context layers'."""
    out = ["Sources — " + _attribution(maps)] if maps else []
    if context:
        out.append("Context: " + "; ".join(context) + ".")
    return out


def _footprint_bits(aoi):
    """(geometry, name or None, approximate flag text or '') of an AOI / Footprint."""
    name = getattr(aoi, "name", None)
    base = _base(aoi)
    flag = ""
    if bool(getattr(base, "approximate", False)):
        flag = (  # short: a three-line caption also has the releases' date shifts to say
            f"Approximate footprint: {base.name} ({base.area_km2:,.1f} km²) is a stand-in, "
            "not an official boundary."
        )
    return _geom(aoi), name, flag


def _base(fp):
    """The unbuffered footprint behind a (possibly buffered) Footprint, or None."""
    if fp is None or not hasattr(fp, "kind"):
        return None
    return getattr(fp, "base", None) or fp


def _buffer_km(fp) -> float:
    kind = str(getattr(fp, "kind", ""))
    _, plus, km = kind.partition("+")
    if not plus:
        return 0.0
    try:
        return float(km.removesuffix("km"))
    except ValueError:
        return 0.0


def _aoi_name(fp) -> str | None:
    """How the area of interest is named: the town, or "Town +5 km" for a buffered one."""
    name = getattr(fp, "name", None)
    if not name:
        return None
    km = _buffer_km(fp)
    return f"{name} +{km:g} km" if km else name


def _footprint_outlines(ax, fp, centre) -> list[tuple]:
    """Draw the footprint's outline (dashed when approximate) and, for a buffered AOI, the
    buffer's; returns their legend lines (text, colour, linestyle, linewidth)."""
    base = _base(fp)
    if base is None:
        return []
    out = []
    approx = bool(getattr(base, "approximate", False))
    ls = "--" if approx else "-"
    kind = base.kind + (", approximate" if approx and "approx" not in base.kind else "")
    _outline(ax, base.geometry, centre, colour="black", lw=1.6, ls=ls, zorder=6)
    out.append((f"{base.name} ({kind}): {base.area_km2:,.1f} km²", "black", ls, 1.6))
    if base is not fp:
        _outline(ax, fp.geometry, centre, colour=_LINE_GREY, lw=1.0, ls=":", zorder=6)
        out.append((f"{_aoi_name(fp)} (area of interest): {fp.area_km2:,.1f} km²", _LINE_GREY, ":", 1.0))
    return out


def _file_date(path) -> dt.date | None:
    """A date written in a file name (2025-11-27, 20251127), if any."""
    import re

    if not path:
        return None
    m = re.search(r"(20\d\d)-?([01]\d)-?([0-3]\d)", Path(str(path)).name)
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _date_notes(maps, short: bool = False) -> list[str]:
    """One caption line per map whose data date differs from the date in its file name
    (``short``: the sentence a three-line caption has room for; the long one is the methods')."""
    notes = []
    for m in maps:
        prov = getattr(m, "provenance", None)
        fdate = _file_date(getattr(prov, "path", None))
        as_of = getattr(m, "as_of", None)
        if fdate and as_of and fdate != as_of and short:
            notes.append(f"The {_name(m)} file of {fdate:%d %b %Y} holds data to {as_of:%d %b %Y}.")
        elif fdate and as_of and fdate != as_of:
            how = {"file": "as the file itself states", "name": "from its name"}.get(
                getattr(prov, "as_of_from", None), ""
            )
            notes.append(
                f"Date: the {_name(m)} file of {fdate:%d %b %Y} holds data to {as_of:%d %b %Y}"
                + (f" ({how})" if how else "")
                + f"; the map is dated {as_of.isoformat()}."
            )
    return notes


def _scope_notes(maps) -> list[str]:
    seen = []
    for m in maps:
        for s in getattr(m, "scope", ()) or ():
            line = f"Scope, {_name(m)}: {s}"
            if line not in seen:
                seen.append(line)
    return seen


# --------------------------------------------------------------------------- single map
def _side_colours(sides) -> dict:
    return {s: _SIDE_COLOURS[i % len(_SIDE_COLOURS)] for i, s in enumerate(sides)}


_map_sides = map_sides


def _label_style(lab: Label, colours: dict) -> tuple[str, str | None]:
    if lab == NOT_COVERED:
        return PALETTE["light"], "///"
    if lab.status == CONTESTED or lab.side is None:
        return PALETTE["grey"], None
    if not lab.holds:  # a source's own status (advanced, claimed, lost): hatched, one style each
        own = colours.setdefault("_own", {})
        return own.setdefault(lab, _OWN_STATUS_STYLES[len(own) % len(_OWN_STATUS_STYLES)])
    colour = colours.get(lab.side, PALETTE["sky"])
    return colour, ("xx" if lab.status != "controlled" else None)


def _slivers(sizes, view_km2) -> list[bool]:
    return [0 < a < SLIVER_SHARE * view_km2 for a in sizes]


def plot_map(
    control_map,
    ax=None,
    *,
    aoi=None,
    title: str | None = None,
    places: bool = True,
    legend_below: bool = False,
    footer: bool = True,
    context=True,
    tiles=None,
    **style,
):
    """Draw one map's labels (true to scale) with km² per label in the legend.

    Parameters
    ----------
    control_map : ControlMap
    ax : matplotlib Axes, optional
    aoi : shapely geometry or Footprint, optional
        Area to show (defaults to the map's extent); labels are measured inside it. A
        Footprint's outline is drawn (and its buffer's, named "Town +5 km").
    title : str, optional
    places : bool, default True
        Label gazetteer places inside the view.
    legend_below : bool, default False
        Legend under the map instead of to its right (small multiples).
    footer : bool, default True
        Attribution, date shifts, scope notes and flags under the map.
    context : bool, path or list of paths, default True
        Offline context layers (:func:`context_layers`) and/or the caller's own files.
    tiles : str or xyzservices provider, optional
        Web tiles under the map (contextily, network); never needed.
    **style
        Passed to every filled polygon (``alpha``, ``linewidth``, ``edgecolor``...).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import mapdiff
    >>> ax = mapdiff.read_map(mapdiff.sample_path()).plot(alpha=0.5)
    >>> ax.get_title().startswith("DeepStateMap")
    True
    """
    m = control_map
    ax = _axes(ax)
    geom, name, flag = _footprint_bits(aoi) if aoi is not None else (m.footprint, None, "")
    labels, geoms = m.partition(geom)
    centre = _centre(geom)
    colours = _side_colours(m.sides)
    styles = [_label_style(lab, colours) for lab in labels]
    sizes = area_km2(geoms, centre=centre) if len(geoms) else []
    view_km2 = float(np.sum(sizes)) or 1.0
    _draw(
        ax,
        geoms,
        [s[0] for s in styles],
        centre,
        [s[1] for s in styles],
        edges=_slivers(sizes, view_km2),
        **style,
    )
    _extent(ax, geom, centre)
    outlines = _footprint_outlines(ax, aoi, centre) if aoi is not None else []
    if aoi is not None and not outlines:
        _outline(ax, geom, centre)
    entries = [(f"{lab}: {a:,.1f} km²", s[0], s[1]) for lab, a, s in zip(labels, sizes, styles, strict=True)]
    if getattr(m, "grey_note", None):  # say so, rather than show a grey zone of 0 km²
        entries.append(("no grey-zone class in this source", "none", None))
    notes = _finish_map(
        ax, centre, places=places, context=context, tiles=tiles, bold=(_base(aoi).name,) if _base(aoi) else ()
    )
    skip = 0.0
    if footer:
        grey = [f"{_name(m)} draws no grey zone."] if getattr(m, "grey_note", None) else []
        skip = _footer(
            ax, [flag, *_date_notes([m], short=True), *grey], _credits([m], notes), _scope_notes([m])
        )
    _legend(
        ax,
        entries,
        title=_aoi_title(aoi, sum(sizes)) if name else "km² in view",
        below=legend_below,
        skip_pt=skip,
        lines=outlines,
    )
    _set_title(ax, title or f"{_name(m)}, {_date(m)}" + (f": {_aoi_name(aoi)}" if name else ""))
    return ax


def _aoi_title(aoi, km2: float) -> str:
    name, kind = _aoi_name(aoi), getattr(aoi, "kind", None)
    if not name:
        return f"area of interest: {km2:,.1f} km²"
    if _buffer_km(aoi):
        return f"area of interest {name}: {km2:,.1f} km²"
    return f"{name}" + (f" ({kind})" if kind else "") + f": {km2:,.1f} km²"


# --------------------------------------------------------------------------- comparison
_comparison_sides = comparison_sides


def _comparison_footprint(comparison):
    """The Footprint behind a Comparison's AOI (``place``, kept on the result), else the AOI geometry."""
    place = getattr(comparison, "place", None)
    if place is not None:  # compare(aoi=<place or Footprint>) keeps it
        return place
    return comparison.aoi


def _own_statuses(pieces, a, b) -> str:
    """Name the source-specific statuses behind the "other" class (e.g. "NZZ / Liveuamap lost:RU")."""
    found = []
    for prefix, m in (("a", a), ("b", b)):
        st = pieces[f"{prefix}_status"].astype(object)
        sd = pieces[f"{prefix}_side"].astype(object)
        for status, side in sorted(set(zip(st, sd, strict=True)), key=str):
            if Label(status, side if isinstance(side, str) else None).holds:
                continue
            if status not in (CONTESTED, NOT_COVERED.status) and isinstance(side, str):
                found.append(f"{source_name(m)} {status}:{side}")
            elif status not in (CONTESTED, NOT_COVERED.status):
                found.append(f"{source_name(m)} {status}")
    return ", ".join(dict.fromkeys(found)) or "the maps disagree otherwise"


_class_text = class_text


def _classes(comparison, side_a=None, side_b=None):
    """(side A, side B, class per piece) as the Comparison computed them."""
    sides = tuple(getattr(comparison, "class_sides", (None, None)))
    if side_a is None and side_b is None:
        side_a, side_b = sides
    if (side_a, side_b) == sides and "class" in comparison.pieces:
        return side_a, side_b, comparison.pieces["class"].to_numpy(dtype=object)
    return side_a, side_b, np.asarray(comparison.classes(side_a=side_a, side_b=side_b), dtype=object)


def class_entries(comparison, side_a=None, side_b=None) -> list[tuple[str, str, str | None, float]]:
    """Legend entries of a Comparison: (class, text, colour, km²) for each class present."""
    a, b = comparison.a, comparison.b
    side_a, side_b, classes = _classes(comparison, side_a, side_b)
    pieces = comparison.pieces
    area = np.asarray(pieces["area_km2"], dtype=float)
    out = []
    for cls, colour in CLASS_COLOURS.items():
        sel = classes == cls
        if sel.any():
            text = _class_text(cls, a, b, side_a, side_b)
            if cls == "other":
                text = f"other: {_own_statuses(pieces[sel], a, b)}"
            out.append((cls, text, colour, float(area[sel].sum())))
    return out


def plot_comparison(
    comparison,
    ax=None,
    *,
    side_a: str | None = None,
    side_b: str | None = None,
    title: str | None = None,
    places: bool = True,
    footprint=None,
    context=True,
    tiles=None,
    legend_below: bool = False,
    footer: bool = True,
    **style,
):
    """The disagreement map of a Comparison, true to scale, with km² per class.

    Parameters
    ----------
    comparison : Comparison
        Needs ``a``, ``b`` (ControlMaps), ``aoi`` (geometry), ``pieces`` (GeoDataFrame,
        EPSG:4326, with a_status, a_side, b_status, b_side, area_km2, cause and the
        ``class`` the comparison computed), ``class_sides``; ``footprint`` when built from a
        named place.
    ax : matplotlib Axes, optional
    side_a, side_b : str, optional
        The sides the classes speak of; by default the comparison's own (``class_sides``).
    title : str, optional
    places : bool, default True
    footprint : Footprint, optional
        The footprint the AOI was built from (names it and flags an approximate one); by
        default the one the comparison kept.
    context, tiles, legend_below, footer
        As for :func:`plot_map`.
    **style
        Passed to every filled polygon (``alpha``...).

    Returns
    -------
    matplotlib Axes (its legend lists every class present with its km²).

    Examples
    --------
    >>> ax = plot_comparison(mapdiff.compare(a, b, aoi="Pokrovsk"))   # doctest: +SKIP
    """
    a, b = comparison.a, comparison.b
    side_a, side_b, classes = _classes(comparison, side_a, side_b)
    pieces = comparison.pieces
    aoi = footprint if footprint is not None else _comparison_footprint(comparison)
    _, name, flag = _footprint_bits(aoi)
    geom = _geom(comparison.aoi)
    centre = _centre(geom)
    ax = _axes(ax)
    entries_all = class_entries(comparison, side_a, side_b)
    total = float(getattr(comparison, "aoi_km2", np.sum(pieces["area_km2"])))
    thin_cls = {cls for cls, _t, _c, km2 in entries_all if km2 < SLIVER_SHARE * total}
    colours = [CLASS_COLOURS[c] for c in classes]
    hatches = [CLASS_HATCHES.get(c) for c in classes]
    _draw(
        ax,
        pieces.geometry.to_numpy(),
        colours,
        centre,
        hatches,
        edges=[c in thin_cls for c in classes],
        **style,
    )
    _extent(ax, geom, centre)
    outlines = _footprint_outlines(ax, aoi, centre)
    if not outlines:
        _outline(ax, geom, centre)
    entries = [
        (f"{text}: {km2:,.1f} km²", colour, CLASS_HATCHES.get(cls)) for cls, text, colour, km2 in entries_all
    ]
    base = _base(aoi)
    ctx = _finish_map(
        ax, centre, places=places, context=context, tiles=tiles, bold=(base.name,) if base else ()
    )
    _set_title(
        ax,
        title or f"{_name(a)} {_date(a)} vs {_name(b)} {_date(b)}" + (f" — {_aoi_name(aoi)}" if name else ""),
    )
    skip = 0.0
    if footer:
        notes = [flag] if flag else []
        if thin_cls:
            notes.append(
                f"Classes under {SLIVER_SHARE:.0%} of the area are outlined in their colour, "
                "so thin slivers stay visible."
            )
        if "cause" in pieces:
            area = np.asarray(pieces["area_km2"], dtype=float)
            noise = float(area[np.asarray(pieces["cause"]) == "noise"].sum())
            if noise >= 0.005:
                notes.append(f"{noise:,.2f} km² of the disagreement are slivers (drawing noise).")
        notes[1:1] = _date_notes([a, b], short=True)  # after the footprint's flag: a reader must see it
        methods = [f"Scope: {s}" for s in getattr(comparison, "scope_notes", ())]
        methods += [f"Grey zone: {s}" for s in getattr(comparison, "grey_notes", ())]
        skip = _footer(ax, notes, _credits([a, b], ctx), methods)
    _legend(ax, entries, title=_aoi_title(aoi, total), below=legend_below, skip_pt=skip, lines=outlines)
    return ax


# --------------------------------------------------------------------------- claims
def plot_claim(
    claim_check, ax=None, *, places: bool = True, context=True, bars: bool = True, footer=True, **style
):
    """A claim check: footprint, land held by the claimant, grey zone, and the share under
    each grey-zone policy against the claimed share.

    Parameters
    ----------
    claim_check : ClaimCheck
        From :func:`mapdiff.check_claim` (needs its footprint/held/grey geometries).
    ax : matplotlib Axes, optional
        The map goes here; the share bars go in an inset to its right.
    places : bool, default True
    context : bool, path or list of paths, default True
        As for :func:`plot_map`.
    bars : bool, default True
        The share per grey-zone policy as bars beside the map (off in small multiples).
    footer : bool, default True
    **style
        Passed to every filled polygon (``alpha``...).

    Returns
    -------
    matplotlib Axes (the map)

    Examples
    --------
    >>> import mapdiff
    >>> m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    >>> ax = plot_claim(mapdiff.check_claim(m, "Pokrovsk", "RU", "70%"))
    >>> ax.get_title().startswith("Claim: RU holds 70% of Pokrovsk")
    True
    """
    c = claim_check
    fp = c.footprint_geometry
    if fp is None or fp.is_empty:
        raise ArgumentError(f"the claim check of {c.place} carries no footprint geometry to draw")
    ax = _axes(ax, figsize=(10, 6.5))
    centre = _centre(fp)
    held = c.held_geometry if c.held_geometry is not None else shapely.Polygon()
    grey = c.grey_geometry if c.grey_geometry is not None else shapely.Polygon()
    rest = shapely.difference(fp, shapely.union(held, grey))
    _draw(ax, [rest, held, grey], [PALETTE["light"], PALETTE["vermillion"], PALETTE["grey"]], centre, **style)
    _extent(ax, fp, centre, margin=0.08)
    _outline(ax, fp, centre, ls="--" if c.approximate else "-", lw=1.6, zorder=6)
    kind = c.footprint_kind + (", approximate" if c.approximate and "approx" not in c.footprint_kind else "")
    no_grey = getattr(c, "grey_note", None) is not None
    entries = [(f"held by {c.side}: {c.held_km2:,.2f} km²", PALETTE["vermillion"], None)]
    if not no_grey:  # honest: no grey swatch for a source without a grey zone (said in the footer)
        entries.append((f"grey zone: {c.grey_km2:,.2f} km²", PALETTE["grey"], None))
    entries.append(
        (
            f"rest of footprint (not held by {c.side} on this map): "
            f"{max(c.footprint_km2 - c.held_km2 - c.grey_km2, 0):,.2f} km²",
            PALETTE["light"],
            None,
        )
    )
    ctx = _finish_map(ax, centre, places=places, context=context, bold=(c.place,))
    claimed = "" if c.claimed is None else f"{100 * c.claimed:g}% of "
    what = {"captured": f"{c.place} captured", "encircled": f"{c.place} encircled"}.get(
        c.kind, f"{claimed}{c.place}"
    )
    date = iso(c.as_of, "undated")
    _set_title(
        ax, f"Claim: {c.side} holds {what}: {c.verdict.upper()} on {_name(SimpleMap(c.source))} {date}"
    )
    # share per policy, as bars beside the map
    if bars and c.policies:
        bars = ax.inset_axes([1.08, 0.05, 0.55, 0.42])
        pols = list(c.policies)
        vals = [np.nan if c.policies[p] is None else c.policies[p] for p in pols]
        colours = [PALETTE["vermillion"] if p == c.policy else PALETTE["orange"] for p in pols]
        bars.barh(np.arange(len(pols)), vals, color=colours)
        bars.set_yticks(np.arange(len(pols)), pols)
        for i, v in enumerate(vals):
            if not np.isnan(v):
                bars.text(min(v, 0.8) + 0.02, i, f"{v:.1%}", va="center", fontsize=7)
        if c.claimed is not None:
            bars.axvline(c.claimed, color="black", ls="--", lw=1)
            bars.text(c.claimed, len(pols) - 0.4, f" claimed {c.claimed:.0%}", fontsize=7, va="bottom")
        bars.set_xlim(0, 1)
        bars.invert_yaxis()
        bars.xaxis.set_major_formatter(_percent())
        bars.tick_params(labelsize=7)
        bars.set_title(
            f"share held by {c.side}, by grey-zone policy\n(dark bar: {c.policy}, decides the verdict)",
            fontsize=8,
        )
    notes = []
    if c.approximate:
        notes.append(
            f"Approximate footprint (dashed): {c.place} is a stand-in, not an official "
            "boundary; the verdict depends on it."
        )
    if no_grey:
        notes.append(
            f"{_name(SimpleMap(c.source))} draws no grey zone: the grey-zone policies cannot differ."
        )
    skip = _footer(ax, notes, _credits([SimpleMap(c.source)], ctx)) if footer else 0.0
    _legend(
        ax, entries, title=f"{c.place} ({kind}): {c.footprint_km2:,.2f} km²", below=not bars, skip_pt=skip
    )
    return ax


def plot_encirclement(encirclement, ax=None, *, places: bool = True, context=True, **style):
    """An encirclement: the holding, the encircling side, the grey zone and the corridor.

    Parameters
    ----------
    encirclement : Encirclement
        From :func:`mapdiff.encirclement`.
    ax : matplotlib Axes, optional
    places : bool, default True
        Label gazetteer places inside the view.
    context : bool, path or list of paths, default True
        As for :func:`plot_map`.
    **style
        Passed to every filled polygon (``alpha``...).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import mapdiff
    >>> m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    >>> ax = plot_encirclement(mapdiff.encirclement(m, "Myrnohrad", by="RU"))
    >>> ax.get_title().startswith("Myrnohrad: open")
    True
    """
    e = encirclement
    if e.view is None or e.footprint_geometry is None:
        raise ArgumentError(f"the encirclement of {e.place} carries no geometry to draw")
    ax = _axes(ax, figsize=(9, 7))
    centre = _centre(e.view)
    colours = _side_colours([e.by, e.defender])
    friendly = shapely.difference(e.friendly_geometry, e.holding_geometry)
    layers = [
        (e.enemy_geometry, colours[e.by], None, f"held by {e.by}"),
        (friendly, PALETTE["sky"], None, f"held by {e.defender} around"),
        (
            e.holding_geometry,
            colours[e.defender],
            None,
            f"{e.defender} holding in {e.place}: {e.holding_km2:,.2f} km²",
        ),
        (e.grey_geometry, PALETTE["grey"], None, f"grey zone ({e.grey})"),
    ]
    layers = [lay for lay in layers if lay[0] is not None and not lay[0].is_empty]
    _draw(ax, [lay[0] for lay in layers], [lay[1] for lay in layers], centre, **style)
    _extent(ax, e.view, centre, margin=0.0)
    _outline(ax, e.footprint_geometry, centre, ls="--" if e.approximate else "-")
    entries = [(lay[3], lay[1], None) for lay in layers]
    corridor_lines, corridor_xy = [], None
    if e.corridor_line is not None and not e.corridor_line.is_empty:
        xy = np.asarray(to_equal_area(e.corridor_line, centre).coords)
        ax.plot(xy[:, 0], xy[:, 1], color=PALETTE["black"], lw=2.5, zorder=7, solid_capstyle="butt")
        ax.plot(xy[:, 0], xy[:, 1], "o", color=PALETTE["yellow"], ms=5, mec="black", zorder=7)
        corridor_xy = xy.mean(axis=0)
        # the legend's swatch is the line as drawn: black through yellow dots
        corridor_lines.append(
            (f"narrowest corridor: {e.corridor_km:.2f} km", PALETTE["black"], "-", 2.5, _CORRIDOR_MARKS)
        )
    approx = ", approximate" if e.approximate and "approx" not in e.footprint_kind else ""
    title = f"{e.place} outline ({e.footprint_kind}{approx})"
    notes = []
    if e.approximate:
        notes.append(f"Approximate footprint (dashed): {e.place} is a stand-in, not an official boundary.")
    if e.perimeter_share is not None:
        notes.append(
            f"Holding's outline within {e.radius_km:g} km bordering {e.by}: {e.perimeter_share:.0%}"
            f" (grey zone {e.grey_perimeter_share:.0%}). Rear: {e.rear}."
        )
    ctx = _finish_map(ax, centre, places=places, context=context, bold=(e.place,))
    if corridor_xy is not None:  # after the place labels, so it can move off them
        place_label(
            ax,
            f"corridor {e.corridor_km:.2f} km",
            corridor_xy,
            fontsize=9,
            fontweight="bold",
            zorder=9,
            bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "black", "pad": 1.5},
        )
    skip = _footer(ax, notes, _credits([SimpleMap(e.source)], ctx))
    _legend(ax, entries, title=title, skip_pt=skip, lines=corridor_lines)
    date = iso(e.as_of, "undated")
    ax.set_title(
        f"{e.place}: {e.verdict}\n{_name(SimpleMap(e.source))} {date}; encircling side {e.by}", fontsize=11
    )
    return ax


class SimpleMap:
    """The little of a map the titles and attribution need (a source name)."""

    def __init__(self, source: str, as_of=None):
        self.source, self.as_of = source, as_of


def _percent():
    import matplotlib.ticker as mticker

    return mticker.FuncFormatter(lambda v, _: f"{v:.0%}")


# --------------------------------------------------------------------------- changes
def plot_changes(
    old, new, aoi, *, side: str | None = None, axes=None, places: bool = True, context=True, **style
):
    """Before/after small multiples of two releases, and what changed hands between them.

    Parameters
    ----------
    old, new : ControlMap
    aoi : shapely geometry or Footprint
    side : str, optional
        The side whose gains and losses the third panel shows (default: the side drawn).
    axes : sequence of three Axes, optional
    places, context
        As for :func:`plot_map`.
    **style
        Passed to every filled polygon.

    Returns
    -------
    ndarray of three Axes

    Examples
    --------
    >>> import mapdiff
    >>> from mapdiff.places.footprints import footprint
    >>> old, new = (mapdiff.read_map(mapdiff.sample_path(d)) for d in ("2025-11-01", "2025-11-27"))
    >>> axes = plot_changes(old, new, footprint("Pokrovsk").buffer(5))
    >>> len(axes)
    3
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _fig, axes = plt.subplots(1, 3, figsize=(15, 6.8), layout="constrained")
    axes = np.asarray(axes).ravel()
    geom = _geom(aoi)
    side = side or (*old.sides, *new.sides, None)[0]
    lab = as_label(("controlled", side))
    for k, (ax, m) in enumerate(zip(axes[:2], (old, new), strict=True)):
        # one caption when both releases come from one source (the second would repeat it)
        plot_map(
            m,
            ax=ax,
            aoi=aoi,
            places=places,
            context=context,
            legend_below=True,
            footer=k == 0 or old.source != new.source,
            **style,
        )
    held_old = _held(old, side, geom)
    held_new = _held(new, side, geom)
    gained = shapely.difference(held_new, held_old)
    lost = shapely.difference(held_old, held_new)
    centre = _centre(geom)
    ax = axes[2]
    _draw(ax, [shapely.intersection(held_old, held_new)], [PALETTE["light"]], centre, **style)
    g_km2, l_km2 = area_km2(np.asarray([gained, lost], dtype=object), centre=centre)
    view_km2 = float(area_km2(geom, centre=centre))
    _draw(
        ax,
        [gained, lost],
        [PALETTE["vermillion"], PALETTE["blue"]],
        centre,
        edges=_slivers([g_km2, l_km2], view_km2),
        **style,
    )
    _extent(ax, geom, centre)
    outlines = _footprint_outlines(ax, aoi, centre)
    if not outlines:
        _outline(ax, geom, centre)
    base = _base(aoi)
    _finish_map(ax, centre, places=places, context=context, bold=(base.name,) if base else ())
    _legend(
        ax,
        [
            (f"{side} held at both dates", PALETTE["light"], None),
            (f"gained by {side}: {g_km2:,.2f} km²", PALETTE["vermillion"], None),
            (f"lost by {side}: {l_km2:,.2f} km²", PALETTE["blue"], None),
        ],
        title=f"{_date(old)} → {_date(new)}",
        below=True,
    )
    ax.set_title(f"Change: {lab}, net {g_km2 - l_km2:+,.2f} km²", fontsize=11)
    return axes


def _held(m, side, aoi):
    labels, geoms = m.partition(aoi)
    held = [g for lab, g in zip(labels, geoms, strict=True) if lab.side == side and lab.holds]
    return shapely.union_all(np.asarray(held, dtype=object)) if held else shapely.Polygon()


def plot_changes_map(
    changes, ax=None, *, side: str | None = None, places: bool = True, context=True, **style
):
    """What one side gained (vermillion) and lost (blue) between two releases, true to scale.

    Parameters
    ----------
    changes : Changes
        From :func:`mapdiff.changes` (``gained``/``lost`` geometries per side, ``sides``).
    ax : matplotlib Axes, optional
    side : str, optional
        One side at a time (default the first): on a two-sided map one side's gains are the
        other's losses, and drawing both would stack the same polygons.
    places, context
        As for :func:`plot_map`.
    **style
        Passed to every filled polygon (``alpha``...).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import mapdiff
    >>> old, new = (mapdiff.read_map(mapdiff.sample_path(d)) for d in ("2025-11-01", "2025-11-27"))
    >>> ax = mapdiff.changes(old, new, aoi="Pokrovsk").plot(alpha=0.8)
    >>> ax.get_legend().get_texts()[0].get_text().startswith("RU gained")
    True
    """
    s = side or next(iter(changes.sides), None)
    ax = _axes(ax)
    gained, lost = changes.gained.get(s), changes.lost.get(s)
    layers = [g for g in (gained, lost) if g is not None and not g.is_empty]
    if not layers:
        raise EmptyMapError(f"nothing changed hands for {s}: no polygon to draw")
    view = shapely.union_all(np.asarray(layers, dtype=object))
    centre = _centre(view)
    entries, geoms, colours = [], [], []
    for geom, kind, colour in ((gained, "gained", PALETTE["vermillion"]), (lost, "lost", PALETTE["blue"])):
        if geom is not None and not geom.is_empty:
            geoms.append(geom)
            colours.append(colour)
            entries.append((f"{s} {kind} ({changes.sides[s][kind + '_km2']:,.1f} km²)", colour, None))
    sizes = area_km2(np.asarray(geoms, dtype=object), centre=centre)
    _draw(ax, geoms, colours, centre, edges=_slivers(sizes, float(sum(sizes)) * 5), **style)
    _extent(ax, shapely.buffer(shapely.envelope(view), 0.02), centre)
    ctx = _finish_map(ax, centre, places=places, context=context)
    old = iso(changes.old_as_of, "undated")
    new = iso(changes.new_as_of, "undated")
    ax.set_title(f"{_name(SimpleMap(changes.source))}: {old} → {new}", fontsize=11)
    skip = _footer(ax, [], _credits([SimpleMap(changes.source)], ctx))
    _legend(ax, entries, title=f"changes in {changes.aoi}" if changes.aoi else "changes", skip_pt=skip)
    return ax


def plot_change_table(table, ax=None, *, side: str | None = None, **style):
    """Net change per day and its rolling mean for one side (a ChangeTable).

    Examples
    --------
    >>> ax = table.plot(side="RU")   # doctest: +SKIP
    """
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    side = side or (table.sides[0] if table.sides else None)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4), layout="constrained")
    colour = _side_colours(table.sides or ()).get(side, PALETTE["vermillion"])
    if side is not None:
        f = table.frame
        ax.bar(f.index, f[f"{side}_net_km2_per_day"], color=PALETTE["grey"], label=f"{side} net km²/day")
        ax.plot(
            f.index,
            f[f"{side}_net_km2_per_day_rolling"],
            **{"color": colour, "lw": 1.6, "label": f"rolling mean ({table.window} releases)", **style},
        )
    ax.axhline(0, color="black", lw=0.6)
    loc = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    ax.set_ylabel("km² per day")
    ax.set_title(
        f"{_name(SimpleMap(table.source))}: net change{' in ' + table.aoi if table.aoi else ''}", fontsize=11
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8, frameon=False)
    return ax


def _lines(ax, frame, scale=1.0, **style):
    cycle = [*list(_SIDE_COLOURS), PALETTE["orange"], PALETTE["purple"], PALETTE["black"]]
    for i, col in enumerate(frame.columns):
        kw = {"marker": "o", "ms": 3, "lw": 1.6, "color": cycle[i % len(cycle)], "label": str(col), **style}
        ax.plot(np.asarray(frame.index), np.asarray(frame[col], dtype=float) * scale, **kw)


def plot_lag(lag, ax=None, **style):
    """Mean squared share difference against shift, one line per place (a SourceLag).

    Examples
    --------
    >>> ax = mapdiff.source_lag(deepstate, nzz).plot()   # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    _lines(ax, lag.curves, **{"marker": None, **style})
    ax.axvline(0, color=PALETTE["grey"], lw=0.8)
    ax.set_xlabel(f"days {lag.follower} trails {lag.leader}")
    ax.set_ylabel("mean squared share difference")
    ax.set_title(f"Lag of {lag.follower} behind {lag.leader}", fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8, frameon=False)
    return ax


def plot_claims_report(report, ax=None, **style):
    """Share held (bars) against the claimed share (ticks), per claim and map (a ClaimChecks).

    Examples
    --------
    >>> ax = ledger.check(maps).plot()   # doctest: +SKIP
    """
    import html as _html

    import matplotlib.pyplot as plt

    rows = [r for r in report.rows if r["share"] is not None]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.8 + 0.45 * max(len(rows), 1)), layout="constrained")
    names = [_html.unescape(f"{r['place']} {r['kind']} ({r['source']} {r['release']})") for r in rows]
    y = np.arange(len(rows))
    ax.barh(
        y,
        [100 * r["share"] for r in rows],
        **{"color": PALETTE["vermillion"], "label": "share held (map)", **style},
    )
    claimed = [(i, 100 * r["claimed"]) for i, r in enumerate(rows) if r["claimed"] is not None]
    if claimed:
        ax.scatter(
            [c for _, c in claimed],
            [i for i, _ in claimed],
            marker="|",
            s=300,
            color="black",
            label="claimed",
            zorder=3,
        )
    ax.set_yticks(y, names)
    ax.set_xlim(0, 100)
    ax.invert_yaxis()
    ax.set_xlabel("share of the footprint, %")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    return ax


def plot_footprint(fp, ax=None, *, places: bool = True, context=True, **style):
    """A footprint's outline (dashed when approximate), true to scale, with context.

    Examples
    --------
    >>> from mapdiff.places.footprints import footprint
    >>> footprint("Kupiansk").buffer(5).plot().get_title().split(" (")[0]
    'Kupiansk +5 km'
    """
    ax = _axes(ax, figsize=(7, 6))
    geom = _geom(fp)
    centre = _centre(geom)
    if style:
        _draw(ax, [geom], [style.pop("facecolor", "none")], centre, **style)
    _extent(ax, geom, centre, margin=0.15)
    outlines = _footprint_outlines(ax, fp, centre)
    ctx = _finish_map(ax, centre, places=places, context=context, bold=(_base(fp).name,))
    ax.set_title(f"{_aoi_name(fp)} ({fp.kind}, {fp.area_km2:,.1f} km²)", fontsize=11)
    skip = _footer(ax, [f"Footprint: {getattr(_base(fp), 'provenance', '')}"], _credits([], ctx))
    _legend(ax, [], below=True, skip_pt=skip, lines=outlines)
    return ax


def plot_consensus(many, ax=None, **style):
    """How many sources agree on each area (a ManyComparison), true to scale.

    Examples
    --------
    >>> ax = mapdiff.compare_many([a, b, c]).plot()   # doctest: +SKIP
    """
    ax = _axes(ax)
    cons = many.consensus
    geom = _geom(many.aoi)
    centre = _centre(geom)
    n = len(many.maps)
    shades = {k: c for k, c in zip(range(1, n + 1), np.linspace(0.85, 0.15, n), strict=True)}
    n_top = np.asarray(cons["n_top"], dtype=int)
    colours = [str(round(float(shades[k]), 3)) for k in n_top]
    _draw(ax, cons.geometry.to_numpy(), colours, centre, **style)
    _extent(ax, geom, centre)
    _outline(ax, geom, centre)
    area = np.asarray(cons["area_km2"], dtype=float)
    entries = [
        (f"{k} of {n} agree: {area[n_top == k].sum():,.1f} km²", str(round(float(shades[k]), 3)), None)
        for k in sorted(set(n_top.tolist()), reverse=True)
    ]
    ctx = _finish_map(ax, centre)
    ax.set_title(f"Sources agreeing on the top label (of {n})", fontsize=11)
    flag = _footprint_bits(getattr(many, "place", None))[2]
    skip = _footer(ax, [flag], _credits(many.maps, ctx))
    _legend(ax, entries, title="agreement", skip_pt=skip)
    return ax


def _set_title(ax, text: str, fontsize: float = 11) -> None:
    """A title wrapped on word boundaries to the width of its axes (a long title of two
    sources and a place would otherwise run off the figure)."""
    fig = ax.figure
    width_in = ax.get_position().width * fig.get_figwidth()
    chars = max(20, int(width_in * 72 / (fontsize * 0.75)))
    ax.set_title(_wrap(text, chars), fontsize=fontsize)


def _wrap(text: str, width: int) -> str:
    """Wrap on word boundaries, never inside a phrase that reads as one: a bracket
    (``(Ukrainian OSINT)``), a distance (``+3 km``), or a short source name (``UA Control Map``)."""
    import re
    import textwrap

    name = r"[A-Z][\w/]*(?: [A-Z/][\w/]*){0,2}"
    keep = re.compile(rf"(?:{name} )?\([^()]{{1,40}}\)|(?:\S+ )?\+\s?[\d.]+ km|{name}")
    glued = keep.sub(lambda m: m.group(0).replace(" ", "\xa0"), text)
    return textwrap.fill(glued, width, break_long_words=False, break_on_hyphens=False).replace("\xa0", " ")


# --------------------------------------------------------------------------- series
def plot_series(
    shares_df, ax=None, title: str | None = None, threshold: float | None = None, ylabel: str = "share held"
):
    """Share-series chart: one line per place over release dates.

    Parameters
    ----------
    shares_df : pandas.DataFrame or ShareSeries
        Index: dates; columns: places; values: shares in [0, 1]. A
        :class:`~mapdiff.history.releases.ShareSeries` also gives the side, the grey-zone policy and
        which footprints are approximate (noted under the chart).
    ax : matplotlib Axes, optional
    title : str, optional
    threshold : float, optional
        Draw a dashed horizontal line at this share (e.g. a claimed 0.7).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"Pokrovsk": [0.2, 0.5]}, index=pd.to_datetime(["2025-11-01", "2025-11-27"]))
    >>> [float(y) for y in plot_series(df, threshold=0.7).get_ylim()]
    [0.0, 1.0]
    """
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    note = ""
    grey = None
    if hasattr(shares_df, "frame"):  # a ShareSeries
        series = shares_df
        grey = getattr(series, "grey", None)
        shares_df = series.frame
        ylabel = f"share held by {series.side}"
        title = title or f"{_name(series)}: share of each place held by {series.side}"
        note = f"grey zone counted as: {series.policy}"
        if getattr(series, "grey_note", None):
            note = "this source has no grey-zone class: the policies cannot differ"
        if any(getattr(series, "approximate", ())):
            approx = [p for p, a in zip(series.places, series.approximate, strict=False) if a]
            note += f"; approximate footprints: {', '.join(approx)}"
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
    cycle = [*list(_SIDE_COLOURS), PALETTE["orange"], PALETTE["purple"], PALETTE["black"]]
    x = np.asarray(shares_df.index)
    for i, col in enumerate(shares_df.columns):
        ax.plot(
            x,
            np.asarray(shares_df[col], dtype=float),
            marker="o",
            ms=3,
            lw=1.6,
            color=cycle[i % len(cycle)],
            label=str(col),
        )
        if grey is not None and col in grey.columns:  # the grey zone's share, beside the held share
            ax.plot(
                x,
                np.asarray(grey[col], dtype=float),
                ls=":",
                lw=1.4,
                color=cycle[i % len(cycle)],
                label=f"{col}: grey zone",
            )
    if threshold is not None:
        ax.axhline(threshold, ls="--", lw=1, color="black")
        ax.text(ax.get_xlim()[0], threshold, f" {threshold:.0%}", va="bottom", fontsize=8)
    ax.set_ylim(0.0, 1.0)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if len(x) and isinstance(x[0], dt.date | np.datetime64):
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if title:
        ax.set_title(title, fontsize=11)
    if note:
        _footer(ax, note, y=-0.12)
    return ax


# --------------------------------------------------------------------------- claims tracker
#: Marker per claim kind in :func:`plot_tracking`.
TRACK_MARKERS = {
    "captured": ("^", "captured"),
    "share": ("s", "share (at the claimed value)"),
    "not_captured": ("v", "capture denied"),
    "encircled": ("o", "encircled"),
    "not_encircled": ("X", "encirclement denied"),
}
_SOURCE_COLOURS = (
    PALETTE["black"],
    PALETTE["orange"],
    PALETTE["green"],
    PALETTE["purple"],
    PALETTE["sky"],
    PALETTE["yellow"],
)
_CLAIMANT_COLOURS = {"RU": PALETTE["vermillion"], "UA": PALETTE["blue"]}


def _claimant_side(claimant: str) -> str:
    c = (claimant or "").strip()
    return "RU" if c.startswith(("RU", "Kremlin")) else "UA" if c.startswith("UA") else ""


def plot_tracking(curves, rows, places=None, axes=None, threshold: float = 0.95, window_days: int = 60):
    """Claims tracker timeline: per town, each source's share curve with the claims marked.

    Parameters
    ----------
    curves : sequence of dict
        ``source, place, side, rung, approximate, dates (ISO), shares (0..1 or None)``
        (:attr:`mapdiff.claims.tracker.Tracking.curves`).
    rows : sequence of dict
        Claim × source rows (:attr:`mapdiff.claims.tracker.Tracking.rows`); only ``primary`` ones
        are drawn: a vertical line at each claim's date in the claimant's colour (RU
        vermillion, UA blue), a marker per kind at the top (a ``share`` claim's marker at
        the claimed share), and an arrow from the claim to the first release of each
        source that showed the claimed state.
    places : sequence of str, optional
        Towns to draw, one panel each (default: every town with a claim, most claims first).
    axes : sequence of Axes, optional
    threshold : float
        The captured threshold (dashed line).
    window_days : int
        Days shown before the first claim and after the last claim or first-shown date.

    Returns
    -------
    matplotlib Figure

    Examples
    --------
    >>> curves = [{"source": "s", "place": "T", "side": "RU", "rung": "approximate",
    ...            "approximate": True, "dates": ["2025-01-01", "2025-01-20"], "shares": [0.1, 1.0]}]
    >>> rows = [{"primary": True, "place": "T", "date": "2025-01-05", "side": "RU", "kind": "captured",
    ...          "claimant": "RU MoD", "claimed": None, "source": "s", "status": "confirmed",
    ...          "first_shown": "2025-01-20"}]
    >>> fig = plot_tracking(curves, rows)
    >>> fig.axes[0].get_title(loc="left")
    'T (approximate footprint)'
    """
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    prim = [r for r in rows if r.get("primary", True)]
    if places is None:
        counts: dict = {}
        for r in prim:
            counts[r["place"]] = counts.get(r["place"], 0) + 1
        places = sorted(counts, key=lambda p: (-counts[p], p))
    places = list(places)
    if not places:
        raise ArgumentError("nothing to draw: no claim and no place given")
    known = {c["place"] for c in curves}
    unknown = [p for p in places if p not in known]
    if unknown:
        raise ArgumentError(
            f"no share curve for {', '.join(unknown)}; places tracked: {', '.join(sorted(known))}"
        )
    sources = list(dict.fromkeys(c["source"] for c in curves))
    colour = {s: _SOURCE_COLOURS[i % len(_SOURCE_COLOURS)] for i, s in enumerate(sources)}
    if axes is None:
        fig, axes = plt.subplots(
            len(places), 1, figsize=(10, 0.6 + 2.5 * len(places)), squeeze=False, layout="constrained"
        )
        axes = axes[:, 0]
    else:
        axes = list(np.ravel(axes))
        fig = axes[0].figure
    day = np.timedelta64(1, "D")
    for ax, place in zip(axes, places, strict=False):
        claims = [r for r in prim if r["place"] == place]
        dates = [np.datetime64(r["date"]) for r in claims]
        dates += [
            np.datetime64(r["first_shown"])
            for r in claims
            if r.get("first_shown") and r["status"] == "confirmed"
        ]
        lo = min(dates) - window_days * day if dates else None
        hi = max(dates) + window_days * day if dates else None
        approx, rungs = False, []
        for c in curves:
            if c["place"] != place:
                continue
            approx |= bool(c["approximate"])
            rungs.append(c.get("rung"))
            x = np.asarray(c["dates"], dtype="datetime64[D]")
            y = np.asarray([np.nan if v is None else 100 * v for v in c["shares"]], dtype=float)
            if lo is not None:
                keep = (x >= lo) & (x <= hi)
                x, y = x[keep], y[keep]
            ax.plot(
                x,
                y,
                color=colour[c["source"]],
                lw=1.5,
                ls="-" if c["side"] == "RU" else ":",
                drawstyle="steps-post",
                label=f"{c['source']}: share held by {c['side']}",
            )
        ax.axhline(100 * threshold, ls="--", lw=0.8, color=PALETTE["grey"])
        seen_claims = set()
        per_day: dict = {}  # markers already drawn on a date: the next one moves right
        nudge = (hi - lo) / 120 if lo is not None else np.timedelta64(0, "D")
        for r in claims:
            d = np.datetime64(r["date"])
            key = (r["date"], r["kind"], r["side"], r.get("claimant"))
            cs = _CLAIMANT_COLOURS.get(_claimant_side(r.get("claimant", "")), PALETTE["grey"])
            if key not in seen_claims:
                seen_claims.add(key)
                ax.axvline(d, color=cs, lw=0.8, alpha=0.6)
                marker = TRACK_MARKERS.get(r["kind"], ("o", r["kind"]))[0]
                yk = 100 * r["claimed"] if r["kind"] == "share" and r.get("claimed") is not None else 104
                k = per_day.get((r["date"], yk), 0)
                per_day[r["date"], yk] = k + 1
                ax.plot(
                    [d + k * nudge],
                    [yk],
                    marker=marker,
                    color=cs,
                    ms=7,
                    mec="white",
                    mew=0.6,
                    clip_on=False,
                    zorder=6,
                )
            if r.get("status") == "confirmed" and r.get("first_shown"):
                f = np.datetime64(r["first_shown"])
                curve = next(
                    (
                        c
                        for c in curves
                        if c["place"] == place and c["source"] == r["source"] and c["side"] == r["side"]
                    ),
                    None,
                )
                yv = 50.0
                if curve is not None and r["first_shown"] in curve["dates"]:
                    v = curve["shares"][curve["dates"].index(r["first_shown"])]
                    yv = 50.0 if v is None else 100 * v
                ax.annotate(
                    "",
                    xy=(f, yv),
                    xytext=(d, yv),
                    arrowprops={"arrowstyle": "->", "color": colour.get(r["source"], "black"), "lw": 1.0},
                )
        ax.set_ylim(-3, 108)
        if lo is not None:
            ax.set_xlim(lo, hi)
        ax.set_ylabel("share held (%)")
        rung = ", ".join(dict.fromkeys(r for r in rungs if r))
        ax.set_title(
            f"{place} (approximate footprint)"
            if approx
            else f"{place} (footprint: {rung})"
            if rung
            else place,
            fontsize=10,
            loc="left",
        )
        ax.grid(alpha=0.25)
        loc = mdates.AutoDateLocator()
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    handles = [
        Line2D([], [], color=colour[s], lw=1.5, label=f"{s} (RU share solid, UA dotted)") for s in sources
    ]
    handles += [
        Line2D([], [], color=_CLAIMANT_COLOURS[k], lw=0.8, label=f"claim by {k} side") for k in ("RU", "UA")
    ]
    kinds = list(dict.fromkeys(r["kind"] for r in prim if r["place"] in places))
    handles += [
        Line2D(
            [],
            [],
            ls="",
            marker=TRACK_MARKERS.get(k, ("o", k))[0],
            color="dimgray",
            label=TRACK_MARKERS.get(k, ("o", k))[1],
        )
        for k in kinds
    ]
    handles += [
        Line2D([], [], color=PALETTE["grey"], ls="--", lw=0.8, label=f"captured threshold {threshold:.0%}"),
        Line2D(
            [],
            [],
            color="black",
            marker=r"$\rightarrow$",
            ls="",
            ms=12,
            label="claim → first release showing it",
        ),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    return fig


# --------------------------------------------------------------------------- saving
def fit_inside(fig, *, tries: int = 3) -> None:
    """Shrink a constrained layout until everything drawn lies inside a figure of fixed size.

    A map keeps its aspect, so the layout can leave a legend beside it a few points past the
    figure's edge; a figure saved at a size the user asked for (no tight bounding box) would
    cut it. Figures without a constrained layout are left as they are.
    """
    engine = fig.get_layout_engine()
    if engine is None or not hasattr(engine, "set") or "rect" not in engine.get():
        return
    w, h = fig.get_size_inches()
    for _ in range(tries):
        fig.canvas.draw()
        bb = fig.get_tightbbox(fig.canvas.get_renderer())
        x, y, width, height = engine.get()["rect"] or (0, 0, 1, 1)  # left, bottom, width, height
        left, bottom = max(0.0, -bb.x0) / w, max(0.0, -bb.y0) / h
        right, top = max(0.0, bb.x1 - w) / w, max(0.0, bb.y1 - h) / h
        if max(left, bottom, right, top) <= 1e-3:
            return
        engine.set(rect=(x + left, y + bottom, width - left - right - 0.005, height - bottom - top - 0.005))


def save_figure(
    fig, path, dpi: int = 200, size: tuple[float, float] | None = None, *, metadata: dict | None = None
) -> Path:
    """Save a figure (or the figure of an Axes, or of a list of Axes) atomically as PNG, SVG or PDF.

    Parameters
    ----------
    fig : matplotlib Figure, Axes, or a sequence of Axes (as the panel plots return)
    path : str or Path
        Format from the suffix: ``.png``, ``.svg`` or ``.pdf``.
    dpi : int, default 200
    size : (width, height) in inches, optional
    metadata : dict, optional
        ``{"Title": ..., "Description": ...}`` written into the file (PNG text chunks, SVG
        title and description, PDF title and subject): e.g. a figure's methods note.

    Returns
    -------
    Path

    Raises
    ------
    MapdiffError
        Unknown suffix, or a non-positive size or DPI.

    Examples
    --------
    >>> import tempfile, pathlib, matplotlib.pyplot as plt
    >>> fig, _ = plt.subplots()
    >>> save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "x.svg").suffix
    '.svg'
    """
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ArgumentError(f"cannot save {path}: use a .png, .svg or .pdf file name")
    if dpi <= 0 or (size is not None and (size[0] <= 0 or size[1] <= 0)):
        raise ArgumentError(f"cannot save {path}: DPI and size must be positive (got {dpi}, {size})")
    if isinstance(fig, list | tuple | np.ndarray):
        if not len(fig):
            raise ArgumentError(f"cannot save {path}: no figure or axes given")
        fig = np.ravel(np.asarray(fig, dtype=object))[0]
    fig = getattr(fig, "figure", fig)
    if not hasattr(fig, "savefig"):
        raise ArgumentError(f"cannot save {path}: give a matplotlib Figure or Axes, got {type(fig).__name__}")
    literal_text(fig)
    if size is not None:
        fig.set_size_inches(*size)
        fit_inside(fig)
    meta = {k: str(v) for k, v in (metadata or {}).items() if v is not None}
    if "Description" not in meta and methods_note(fig):  # what the captions left out
        meta["Description"] = methods_note(fig)
    if fmt == "pdf" and "Description" in meta:
        meta["Subject"] = meta.pop("Description")
    if fmt in ("png", "pdf"):
        meta.setdefault("Creator" if fmt == "pdf" else "Software", "mapdiff")
    with atomic_path(path) as tmp:
        fig.savefig(
            tmp,
            format=fmt,
            dpi=dpi,
            bbox_inches=None if size is not None else "tight",
            metadata=meta or None,
        )
    return path


def plot_agreement(cons, ax=None, *, label: str = "controlled:RU", places: bool = True, context=True):
    """How many of the N sources say ``label`` on each piece of the area of interest.

    One shade per count (0 = no source, N = every source), the legend giving the km² of
    each; the grey zone's count is written under the map when any source draws one.

    Examples
    --------
    >>> import shapely, mapdiff
    >>> from mapdiff import normalise
    >>> from mapdiff.labels import Label
    >>> cov, ru = shapely.box(37, 48, 37.2, 48.2), Label("controlled", "RU")
    >>> ms = [normalise([(ru, shapely.box(37, 48, x, 48.2))], coverage=cov, source=s)
    ...       for x, s in ((37.1, "a"), (37.15, "b"))]
    >>> ax = mapdiff.consensus(ms, aoi=cov).plot(places=False, context=False)
    >>> [t.get_text() for t in ax.get_legend().get_texts()][-1].startswith("2 of 2 sources")
    True
    """
    from matplotlib import colormaps

    ax = _axes(ax, figsize=(9, 6.5))
    n = len(cons.sources)
    counts = cons.count(label).to_numpy()
    geoms = cons.pieces.geometry.to_numpy()
    km2 = cons.pieces.area_km2.to_numpy()
    centre = _centre(cons.aoi)
    cmap = colormaps["Oranges"]
    entries, shapes, colours = [], [], []
    for k in range(n + 1):
        sel = counts == k
        if not sel.any():
            continue
        colour = PALETTE["light"] if k == 0 else cmap(0.25 + 0.75 * k / n)
        shapes.append(shapely.union_all(geoms[sel]))
        colours.append(colour)
        entries.append((f"{k} of {n} sources: {km2[sel].sum():,.2f} km²", colour, None))
    _draw(ax, shapes, colours, centre)
    _extent(ax, cons.aoi, centre)
    _outline(ax, cons.aoi, centre)
    _finish_map(ax, centre, places=places, context=context)
    ax.set_title(f"How many sources say {label}: {', '.join(cons.sources)}", fontsize=10)
    notes = []
    if "contested" in cons.labels:
        grey = cons.count("contested").to_numpy()
        notes.append(f"grey zone (contested) drawn by at least one source on {km2[grey > 0].sum():,.2f} km²")
    flag = _footprint_bits(getattr(cons, "place", None))[2]
    if flag:
        notes.append(flag)
    skip = _footer(ax, notes) if notes else 0
    _legend(ax, entries, title=f"sources saying {label}", skip_pt=skip)
    return ax


# ------------------------------------------------------------------ text from maps is literal
def literal_text(obj) -> None:
    """Show every text of the figure of ``obj`` (an Axes, an array of them or a Figure) as
    written: a ``$`` in a side, place or file name is a dollar sign, never the start of
    mathtext (an unbalanced one crashed the draw). Tick labels, made later by their
    formatters, are not touched."""
    from matplotlib.text import Text

    first = obj.flat[0] if hasattr(obj, "flat") and len(obj.flat) else obj
    fig = getattr(first, "figure", first)
    if fig is None or not hasattr(fig, "findobj"):
        return
    for t in fig.findobj(Text):
        if "$" in t.get_text():
            t.set_parse_math(False)


def _literal(func):
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        out = func(*args, **kwargs)
        for item in out if isinstance(out, tuple) else (out,):
            literal_text(item)
        return out

    return wrapper


for _plot in [n for n in __all__ if n.startswith("plot_")]:  # every figure mapdiff draws
    globals()[_plot] = _literal(globals()[_plot])
del _plot
