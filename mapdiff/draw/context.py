"""Context that works offline: the national border, oblast outlines, hromada outlines and
town limits where ``data/geo/`` ships them, rivers (GSHHG), named settlements (GeoNames),
the gazetteer's places, and any line/polygon file the caller passes as ``context=``; web
tiles only when asked (``tiles=``, needs contextily and a network).

:func:`finish_map` adds them to a map with its scale bar and north arrow and returns what
it drew (:class:`MapContext`): the licence lines for the credits and the legend lines of
the layers, so nothing is kept on the Axes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from .. import config
from .._resources import data_dir
from ..errors import FormatError, MissingDependencyError
from ..io.gate import read_geometries
from ..model.measure import from_equal_area, to_equal_area
from ._base import LINE_GREY, north_arrow, scale_bar
from .placement import place_label

__all__ = ["CONTEXT", "CONTEXT_WORDS", "RIVER", "MapContext", "context_layers", "finish_map"]


RIVER = "#3D8FD1"


_WIDE_VIEW_M = 150_000


#: Offline context layers: file in data/geo/, how it is drawn, and its licence.
CONTEXT = {
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
        {"color": LINE_GREY, "lw": 0.9, "ls": "--"},
        "oblast lines Natural Earth (public domain)",
    ),
    "border": (
        "ukraine_boundary.geojson",
        {"color": "#333333", "lw": 1.3, "ls": "-."},
        "national border Hijmans/UC Berkeley MVZ",
    ),
    "rivers": ("rivers.geojson", {"color": RIVER, "lw": 1.1, "ls": "-"}, "rivers GSHHG 2.3.6 (LGPL-3.0)"),
}


#: What each context layer is called in a legend.
CONTEXT_WORDS = {
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


@config.cached(maxsize=16)
def _line_layer(path: str) -> tuple:
    """(lines as a shapely array, STRtree) of a GeoJSON/vector file: polygons become their outlines."""
    # the input gate: a user's context layer is a local regular file, and GDAL sees it only
    # as a signature-checked GeoPackage/FlatGeobuf/Shapefile (lon/lat out)
    geoms = np.asarray([g for g in read_geometries(Path(path)) if g is not None], dtype=object)
    if len(geoms) == 0:
        return np.asarray([], dtype=object), None
    poly = np.isin(shapely.get_type_id(geoms), (3, 6))
    geoms = np.where(poly, shapely.boundary(geoms), geoms)
    geoms = geoms[~shapely.is_empty(geoms) & np.isin(shapely.get_type_id(geoms), (1, 2, 5, 7))]
    return geoms, shapely.STRtree(geoms)


@config.cached(maxsize=1)
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
    out = {k: lic for k, (f, _s, lic) in CONTEXT.items() if _geo_file(f) is not None}
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


def _context(ax, centre, context=True, skip=()) -> tuple[list[str], list[tuple]]:
    """Draw the context layers inside the view; returns the licence lines of what was drawn
    and a legend line (text, colour, linestyle, linewidth) for each layer drawn.

    ``context``: True (every shipped layer), False/None (none), or a path (or list of
    paths) to the caller's own line/polygon layers, drawn on top of the shipped ones.
    """
    if context is None or context is False:
        return [], []
    user = [] if context is True else [context] if isinstance(context, str | Path) else list(context)
    view = _view_lonlat(ax, centre)
    used, drawn = [], []
    for name, (fname, style, lic) in CONTEXT.items():
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
            drawn.append((CONTEXT_WORDS[name], style["color"], style["ls"], style["lw"]))
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
    labelled = _settlement_labels(ax, centre, view, skip)
    if labelled:
        used.append(_SETTLEMENTS[1])
    return used, drawn


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


@dataclass(frozen=True)
class MapContext:
    """What :func:`finish_map` drew around a map's data: the licence lines of the context
    layers and tiles (for the credits) and a legend line per context layer drawn
    (text, colour, linestyle, linewidth)."""

    credits: tuple[str, ...] = ()
    lines: tuple[tuple, ...] = ()


def finish_map(ax, centre, *, places=True, context=True, tiles=None, bold=()) -> MapContext:
    """Scale bar, north arrow, context layers and place labels of a map (``bold``: the
    names of the subject, always labelled); returns what was drawn."""
    scale_bar(ax)
    north_arrow(ax)
    notes = []
    if tiles:
        notes.append(_tiles(ax, centre, tiles))
    shown_xy = []
    if places:
        shown_xy = _place_labels(ax, centre, skip=bold)
    used, drawn = _context(ax, centre, context, skip=shown_xy)
    return MapContext(tuple(notes + used), tuple(drawn))


@config.cached(maxsize=1)
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
