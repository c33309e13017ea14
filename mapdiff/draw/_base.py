"""The furniture every mapdiff figure shares: axes, true-to-scale polygons and outlines,
extent, scale bar, north arrow, legend, titles, the footprint's outline, and saving.

A private module: its names are for :mod:`mapdiff.draw` only (the public ones are
re-exported by :mod:`mapdiff.draw.plot`). Maps are drawn in the local Lambert azimuthal
equal-area projection mapdiff measures in (:func:`mapdiff.model.measure.to_equal_area`),
centred on the view, so the scale bar is exact.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import shapely

from .._json import iso
from ..errors import ArgumentError
from ..io.atomic import atomic_path
from ..model.classes import SIDE_COLOURS
from ..model.measure import to_equal_area
from ._captions import methods_note

#: A class covering less than this share of the view is outlined (minimum line width).
SLIVER_SHARE = 0.01
#: The line width (points) a sliver is outlined with.
SLIVER_LW = 1.2
#: Secondary lines: a buffered area of interest, oblast lines.
LINE_GREY = "#6E6E6E"
_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def geometry_of(obj):
    """The shapely geometry of a Footprint (or the geometry itself)."""
    return getattr(obj, "geometry", obj)


def date_of(m) -> str:
    """A map's date as a title says it (``"undated"`` when it has none)."""
    return iso(getattr(m, "as_of", None), "undated")


def centre_of(aoi) -> tuple[float, float]:
    """The centre of a geometry's bounds: where the local equal-area projection is centred."""
    xmin, ymin, xmax, ymax = shapely.bounds(aoi)
    return (xmin + xmax) / 2.0, (ymin + ymax) / 2.0


def new_axes(ax, figsize=(8, 7)):
    """``ax``, or the Axes of a new figure with a constrained layout."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def fill_polygons(
    ax, geoms, colours, centre, hatches=None, edgecolor="none", linewidth=0.0, zorder=1, edges=None, **style
):
    """Fill lon/lat polygons, projected to the local equal-area CRS.

    ``edges`` (one bool per geometry) outlines that polygon in its own colour at
    ``SLIVER_LW``; ``style`` (alpha, linewidth, edgecolor, ...) goes to every patch.
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
            linewidth=max(linewidth, SLIVER_LW) if thin else linewidth,
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


def outline(ax, geom, centre, colour="black", lw=1.4, ls="-", zorder=5):
    """Draw the boundary of a lon/lat geometry (or Footprint), projected."""
    g = to_equal_area(geometry_of(geom), centre)
    for line in shapely.get_parts(shapely.boundary(g)):
        for part in shapely.get_parts(line):
            xy = np.asarray(part.coords)
            ax.plot(xy[:, 0], xy[:, 1], color=colour, lw=lw, ls=ls, zorder=zorder)


def set_extent(ax, aoi, centre, margin=0.04):
    """Show ``aoi`` (plus ``margin`` of its size) at equal aspect, without ticks."""
    xmin, ymin, xmax, ymax = shapely.bounds(to_equal_area(geometry_of(aoi), centre))
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


def scale_bar(ax) -> float:
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


def north_arrow(ax) -> None:
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


def add_legend(ax, entries, title=None, below=False, skip_pt: float = 0.0, lines=()):
    """Legend to the right of the map, or below it (``skip_pt`` points further down).

    ``entries``: (text, colour, hatch) filled patches; ``lines``: (text, colour, linestyle,
    linewidth[, marker keywords]) lines, listed after the filled classes (outlines first,
    then the context layers :func:`~mapdiff.draw.context.finish_map` drew, one entry each).
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.transforms import ScaledTranslation

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


def set_title(ax, text: str, fontsize: float = 11) -> None:
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


def percent_formatter():
    """A tick formatter for shares: ``0.25`` -> ``25%``."""
    import matplotlib.ticker as mticker

    return mticker.FuncFormatter(lambda v, _: f"{v:.0%}")


class SimpleMap:
    """The little of a map the titles and attribution need (a source name)."""

    def __init__(self, source: str, as_of=None):
        self.source, self.as_of = source, as_of


def side_colours(sides) -> dict:
    """One colour per side, in the order the map lists them."""
    return {s: SIDE_COLOURS[i % len(SIDE_COLOURS)] for i, s in enumerate(sides)}


def slivers(sizes, view_km2) -> list[bool]:
    """Which areas are slivers (under :data:`SLIVER_SHARE` of the view): outlined, to stay visible."""
    return [0 < a < SLIVER_SHARE * view_km2 for a in sizes]


def footprint_bits(aoi):
    """(geometry, name or None, approximate flag text or '') of an AOI / Footprint."""
    name = getattr(aoi, "name", None)
    base = unbuffered(aoi)
    flag = ""
    if bool(getattr(base, "approximate", False)):
        flag = (  # short: a three-line caption also has the releases' date shifts to say
            f"Approximate footprint: {base.name} ({base.area_km2:,.1f} km²) is a stand-in, "
            "not an official boundary."
        )
    return geometry_of(aoi), name, flag


def unbuffered(fp):
    """The unbuffered footprint behind a (possibly buffered) Footprint, or None."""
    if fp is None or not hasattr(fp, "kind"):
        return None
    return getattr(fp, "base", None) or fp


def _buffer_km(fp) -> float:
    """The buffer of a Footprint from its kind (``"city_limits+5km"`` -> 5.0; 0 when none)."""
    kind = str(getattr(fp, "kind", ""))
    _, plus, km = kind.partition("+")
    if not plus:
        return 0.0
    try:
        return float(km.removesuffix("km"))
    except ValueError:
        return 0.0


def aoi_name(fp) -> str | None:
    """How the area of interest is named: the town, or "Town +5 km" for a buffered one."""
    name = getattr(fp, "name", None)
    if not name:
        return None
    km = _buffer_km(fp)
    return f"{name} +{km:g} km" if km else name


def aoi_title(aoi, km2: float) -> str:
    name, kind = aoi_name(aoi), getattr(aoi, "kind", None)
    if not name:
        return f"area of interest: {km2:,.1f} km²"
    if _buffer_km(aoi):
        return f"area of interest {name}: {km2:,.1f} km²"
    return f"{name}" + (f" ({kind})" if kind else "") + f": {km2:,.1f} km²"


def footprint_outlines(ax, fp, centre) -> list[tuple]:
    """Draw the footprint's outline (dashed when approximate) and, for a buffered AOI, the
    buffer's; returns their legend lines (text, colour, linestyle, linewidth)."""
    base = unbuffered(fp)
    if base is None:
        return []
    out = []
    approx = bool(getattr(base, "approximate", False))
    ls = "--" if approx else "-"
    kind = base.kind + (", approximate" if approx and "approx" not in base.kind else "")
    outline(ax, base.geometry, centre, colour="black", lw=1.6, ls=ls, zorder=6)
    out.append((f"{base.name} ({kind}): {base.area_km2:,.1f} km²", "black", ls, 1.6))
    if base is not fp:
        outline(ax, fp.geometry, centre, colour=LINE_GREY, lw=1.0, ls=":", zorder=6)
        out.append((f"{aoi_name(fp)} (area of interest): {fp.area_km2:,.1f} km²", LINE_GREY, ":", 1.0))
    return out


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


def literal(func):
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        out = func(*args, **kwargs)
        for item in out if isinstance(out, tuple) else (out,):
            literal_text(item)
        return out

    return wrapper
