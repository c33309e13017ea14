"""Images: one consistent, publishable look for every mapdiff figure.

Design
------
* **Fixed colour-blind-safe palette** (Okabe–Ito): the same disagreement class always has
  the same colour, whatever the sources or sides. Sides are data: "side A" is the side
  the maps draw (e.g. RU on DeepState), "side B" the other one (the background side).
* **True to scale.** Maps are drawn in the local Lambert azimuthal equal-area projection
  mapdiff measures in (:func:`mapdiff.measure.to_equal_area`, centred on the area of
  interest), so the scale bar is exact and shapes are not stretched as lon/lat would be.
* **Building blocks** shared by every map figure: legend with km² per class, scale bar,
  title with sources and dates, one attribution line per source (from its profile),
  footprint outline and place labels from the gazetteer, and a visible flag when an
  approximate footprint is used.
* **Atomic saving** (:func:`save_figure`): PNG, SVG or PDF at a chosen size and DPI,
  written through :func:`mapdiff.io.atomic.atomic_path`.
* No network: a basemap is not drawn (the figures stand on their own).

Examples
--------
>>> import mapdiff
>>> from mapdiff.places.footprints import footprint
>>> m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
>>> ax = plot_map(m, aoi=footprint("Pokrovsk").buffer(5))
>>> [t.get_text().split(" km²")[0].split(": ")[0] for t in ax.get_legend().get_texts()]
['controlled:RU', 'controlled:UA']
"""

from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely

from .._json import iso
from ..errors import ArgumentError, MapdiffError
from ..io.atomic import atomic_path
from ..labels import CONTESTED, HOLDING_STATUSES, NOT_COVERED, Label, as_label
from ..measure import area_km2, to_equal_area

__all__ = [
    "CLASS_COLOURS",
    "PALETTE",
    "classify_pieces",
    "plot_changes",
    "plot_claim",
    "plot_comparison",
    "plot_encirclement",
    "plot_map",
    "plot_series",
    "save_figure",
]

#: Okabe–Ito colours (colour-blind safe).
PALETTE = {
    "vermillion": "#D55E00",
    "blue": "#0072B2",
    "orange": "#E69F00",
    "purple": "#CC79A7",
    "green": "#009E73",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
    "grey": "#A0A0A0",
    "light": "#EEEEEE",
}

#: Disagreement classes, in legend order, with their fixed colours.
CLASS_COLOURS = {
    "both_a": PALETTE["vermillion"],
    "both_b": PALETTE["blue"],
    "only_1_a": PALETTE["orange"],
    "only_2_a": PALETTE["purple"],
    "grey": PALETTE["grey"],
    "other": PALETTE["green"],
    "out_of_scope": PALETTE["light"],
}
_SIDE_COLOURS = (PALETTE["vermillion"], PALETTE["blue"], PALETTE["green"], PALETTE["yellow"], PALETTE["sky"])
_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
_WIDE_VIEW_M = 150_000
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


def _name(m) -> str:
    from ..io.profiles import get_profile

    try:
        return get_profile(m.source).title or m.source
    except MapdiffError:
        return m.source


def _attribution(maps) -> str:
    from ..io.profiles import get_profile

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


def _draw(ax, geoms, colours, centre, hatches=None, edgecolor="none", linewidth=0.0, zorder=1):
    """Fill lon/lat polygons, projected to the local equal-area CRS."""
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
        patch = PathPatch(
            MPath(np.concatenate(verts), np.concatenate(codes)),
            facecolor=colours[i],
            linewidth=linewidth,
            edgecolor="#9A9A9A" if hatches and hatches[i] else edgecolor,
            hatch=(hatches[i] if hatches else None),
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


@lru_cache(maxsize=1)
def _places() -> tuple:
    from ..places import footprints

    out = []
    for name in footprints.place_names():
        try:
            fp = footprints.footprint(name)
        except MapdiffError:
            continue
        c = fp.centre or (fp.geometry.centroid.x, fp.geometry.centroid.y)
        out.append((fp.name, float(c[0]), float(c[1]), not fp.approximate))
    return tuple(out)


def _place_labels(ax, centre, skip=()) -> list[str]:
    """Label gazetteer places whose centre falls inside the view."""
    if not _places():
        return []
    names, lon, lat, big = zip(*_places(), strict=True)
    pts = to_equal_area(shapely.points(lon, lat), centre)
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    wide = (x1 - x0) > _WIDE_VIEW_M  # a whole front: only the large cities, else labels pile up
    shown = []
    for n, xi, yi, b in zip(names, x, y, big, strict=True):
        if x0 < xi < x1 and y0 < yi < y1 and (b or not wide or n in skip):
            ax.plot(xi, yi, "o", ms=3, color="black", zorder=9)
            ax.annotate(
                n,
                (xi, yi),
                xytext=(4, 3),
                textcoords="offset points",
                fontsize=8,
                zorder=9,
                bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 0.5},
                fontweight="bold" if n in skip else "normal",
            )
            shown.append(n)
    return shown


def _legend(ax, entries, title=None, below=False, skip_pt: float = 0.0):
    """Legend to the right of the map, or below it (``skip_pt`` points further down)."""
    from matplotlib.patches import Patch
    from matplotlib.transforms import ScaledTranslation

    handles = [Patch(facecolor=c, edgecolor="#555555", hatch=h, label=t) for t, c, h in entries]
    # an equal-aspect map shrinks inside the space the layout gives it: keep it against the
    # side away from the legend, so the legend stays inside the figure
    ax.set_anchor("N" if below else "W")
    if below:
        shift = ax.transAxes + ScaledTranslation(0, -skip_pt / 72.0, ax.figure.dpi_scale_trans)
        return ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.01),
            bbox_transform=shift,
            fontsize=8,
            title=title,
            title_fontsize=8,
            frameon=False,
        )
    return ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
        title=title,
        title_fontsize=8,
        frameon=False,
    )


_FOOTER_PT = 6.5


def _footer(ax, text, y=-0.01):
    """Small grey text just under the map (attribution, flags); returns its height in points."""
    import textwrap

    from matplotlib.transforms import ScaledTranslation

    width_pt = ax.get_position().width * ax.figure.get_figwidth() * 72.0
    chars = max(40, int(width_pt / (_FOOTER_PT * 0.52)))
    text = "\n".join(textwrap.fill(line, chars) for line in text.split("\n"))
    shift = ax.transAxes + ScaledTranslation(0, -2 / 72.0, ax.figure.dpi_scale_trans)
    ax.text(0.0, y, text, transform=shift, ha="left", va="top", fontsize=_FOOTER_PT, color="#444444")
    return (text.count("\n") + 1) * _FOOTER_PT * 1.3 + 4


def _footprint_bits(aoi):
    """(geometry, name or None, approximate flag text or '') of an AOI / Footprint."""
    name = getattr(aoi, "name", None)
    approx = bool(getattr(aoi, "approximate", False))
    flag = ""
    if approx:
        flag = (
            f"Approximate footprint: {name} is a stand-in ({getattr(aoi, 'kind', 'approximate')}, "
            f"{aoi.area_km2:,.1f} km²), not an official boundary; numbers depend on it."
        )
    return _geom(aoi), name, flag


# --------------------------------------------------------------------------- single map
def _side_colours(sides) -> dict:
    return {s: _SIDE_COLOURS[i % len(_SIDE_COLOURS)] for i, s in enumerate(sides)}


def _map_sides(m) -> list[str]:
    sides = [lab.side for lab in m.labels if lab.side]
    if m.background is not None and m.background.side:
        sides.append(m.background.side)
    return list(dict.fromkeys(sides))


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


def plot_map(
    control_map,
    ax=None,
    aoi=None,
    title: str | None = None,
    places: bool = True,
    legend_below: bool = False,
    footer: bool = True,
):
    """Draw one map's labels (true to scale) with km² per label in the legend.

    Parameters
    ----------
    control_map : ControlMap
    ax : matplotlib Axes, optional
    aoi : shapely geometry or Footprint, optional
        Area to show (defaults to the map's extent); labels are measured inside it.
    title : str, optional
    places : bool, default True
        Label gazetteer places inside the view.
    legend_below : bool, default False
        Legend under the map instead of to its right (small multiples).
    footer : bool, default True
        Attribution (and approximate-footprint flag) under the map.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import mapdiff
    >>> ax = mapdiff.read_map(mapdiff.sample_path()).plot()
    >>> ax.get_title().startswith("DeepStateMap")
    True
    """
    m = control_map
    ax = _axes(ax)
    geom, name, flag = _footprint_bits(aoi) if aoi is not None else (m.footprint, None, "")
    labels, geoms = m.partition(geom)
    centre = _centre(geom)
    colours = _side_colours(_map_sides(m))
    styles = [_label_style(lab, colours) for lab in labels]
    _draw(ax, geoms, [s[0] for s in styles], centre, [s[1] for s in styles])
    sizes = area_km2(geoms, centre=centre) if len(geoms) else []
    _extent(ax, geom, centre)
    if aoi is not None:
        _outline(ax, geom, centre)
    entries = [(f"{lab}: {a:,.1f} km²", s[0], s[1]) for lab, a, s in zip(labels, sizes, styles, strict=True)]
    skip = 0.0
    if footer:
        skip = _footer(ax, "\n".join(t for t in (flag, "Sources — " + _attribution([m])) if t))
    _legend(
        ax,
        entries,
        title=_aoi_title(aoi, sum(sizes)) if name else "km² in view",
        below=legend_below,
        skip_pt=skip,
    )
    _scale_bar(ax)
    if places:
        _place_labels(ax, centre, skip=(name,))
    ax.set_title(title or f"{_name(m)}, {_date(m)}" + (f": {name}" if name else ""), fontsize=11)
    return ax


def _aoi_title(aoi, km2: float) -> str:
    name, kind = getattr(aoi, "name", None), getattr(aoi, "kind", None)
    if not name:
        return f"area of interest: {km2:,.1f} km²"
    return f"{name}" + (f" ({kind})" if kind else "") + f": {km2:,.1f} km²"


# --------------------------------------------------------------------------- comparison
def _comparison_sides(a, b, side_a=None, side_b=None) -> tuple[str | None, str | None]:
    sides = list(dict.fromkeys(_map_sides(a) + _map_sides(b)))
    if side_a is None:
        side_a = sides[0] if sides else None
    if side_b is None:
        rest = [s for s in sides if s != side_a]
        side_b = rest[0] if rest else None
    return side_a, side_b


def classify_pieces(pieces, side_a: str | None, side_b: str | None) -> np.ndarray:
    """The disagreement class of each piece of a Comparison (vectorised).

    Classes: ``both_a``, ``both_b``, ``only_1_a``, ``only_2_a``, ``grey`` (either map says
    grey zone), ``other`` (any other disagreement, e.g. a source's own status such as
    ISW's ``advanced:RU`` or NZZ's ``lost:RU``), ``out_of_scope`` (either map does not
    cover it, or the comparison blames scope). A map "says A" where its status holds
    land (``controlled``/``encircled``) for side A.

    Parameters
    ----------
    pieces : DataFrame with a_status, a_side, b_status, b_side (and optionally cause)
    side_a, side_b : str or None

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a_status": ["controlled", "controlled"], "a_side": ["RU", "RU"],
    ...                    "b_status": ["controlled", "contested"], "b_side": ["RU", None]})
    >>> classify_pieces(df, "RU", "UA").tolist()
    ['both_a', 'grey']
    """
    a_st = pieces["a_status"].astype(object).to_numpy()
    b_st = pieces["b_status"].astype(object).to_numpy()
    a_sd = pieces["a_side"].astype(object).to_numpy()
    b_sd = pieces["b_side"].astype(object).to_numpy()
    scope = (a_st == NOT_COVERED.status) | (b_st == NOT_COVERED.status)
    if "cause" in pieces:
        scope |= pieces["cause"].astype(object).to_numpy() == "scope"
    grey = (a_st == CONTESTED) | (b_st == CONTESTED)
    hold1 = np.isin(a_st, list(HOLDING_STATUSES))
    hold2 = np.isin(b_st, list(HOLDING_STATUSES))
    a1, a2 = hold1 & (a_sd == side_a), hold2 & (b_sd == side_a)
    b1, b2 = hold1 & (a_sd == side_b), hold2 & (b_sd == side_b)
    return np.select(
        [scope, grey, a1 & a2, b1 & b2, a1 & ~a2, a2 & ~a1],
        ["out_of_scope", "grey", "both_a", "both_b", "only_1_a", "only_2_a"],
        default="other",
    )


def _comparison_footprint(comparison):
    """The Footprint behind a Comparison's AOI when its name is a gazetteer place, else the AOI."""
    place = getattr(comparison, "place", None)
    if place is not None:  # compare(aoi=<place or Footprint>) keeps it
        return place
    aoi = comparison.aoi
    if hasattr(aoi, "name"):
        return aoi
    name = getattr(comparison, "aoi_name", None)
    if name:
        from ..places.footprints import footprint

        try:
            fp = footprint(name)
        except MapdiffError:
            return aoi
        # the AOI may be the footprint grown by a buffer: same place, same kind of stand-in
        if shapely.covers(shapely.buffer(aoi, 1e-9), fp.geometry):
            grown = area_km2(aoi) - fp.area_km2
            kind = fp.kind if abs(grown) < 1e-6 * fp.area_km2 else f"{fp.kind}, grown"
            return type(fp)(fp.name, aoi, kind, float(area_km2(aoi)), fp.provenance, fp.aliases, fp.centre)
    return aoi


def _own_statuses(pieces, a, b) -> str:
    """Name the source-specific statuses behind the "other" class (e.g. "NZZ / Liveuamap lost:RU")."""
    found = []
    for prefix, m in (("a", a), ("b", b)):
        st = pieces[f"{prefix}_status"].astype(object)
        sd = pieces[f"{prefix}_side"].astype(object)
        for status, side in sorted(set(zip(st, sd, strict=True)), key=str):
            if status not in HOLDING_STATUSES and status not in (CONTESTED, NOT_COVERED.status):
                found.append(f"{_name(m)} {status}" + (f":{side}" if side else ""))
    return ", ".join(dict.fromkeys(found)) or "the maps disagree otherwise"


def _class_text(cls, a, b, side_a, side_b) -> str:
    n1, n2 = _name(a), _name(b)
    if n1 == n2:
        n1, n2 = _date(a), _date(b)
    return {
        "both_a": f"both say {side_a}",
        "both_b": f"both say {side_b}",
        "only_1_a": f"only {n1} says {side_a}",
        "only_2_a": f"only {n2} says {side_a}",
        "grey": "grey zone on either map",
        "other": "other statuses (source-specific)",
        "out_of_scope": "out of scope / not covered",
    }[cls]


def plot_comparison(
    comparison,
    ax=None,
    side_a: str | None = None,
    side_b: str | None = None,
    title: str | None = None,
    places: bool = True,
    footprint=None,
):
    """The disagreement map of a Comparison, true to scale, with km² per class.

    Parameters
    ----------
    comparison : Comparison
        Needs ``a``, ``b`` (ControlMaps), ``aoi`` (geometry or Footprint) and ``pieces``
        (GeoDataFrame, EPSG:4326, with a_status, a_side, b_status, b_side, area_km2 and
        optionally cause).
    ax : matplotlib Axes, optional
    side_a, side_b : str, optional
        The sides the classes speak of; by default the side the maps draw first, and the
        other side.
    title : str, optional
    places : bool, default True
    footprint : Footprint, optional
        The footprint the AOI was built from (names it and flags an approximate one);
        by default the gazetteer entry named by ``comparison.aoi_name``, if any.

    Returns
    -------
    matplotlib Axes (its legend lists every class present with its km²).

    Examples
    --------
    >>> ax = plot_comparison(mapdiff.compare(a, b, place="Pokrovsk"))   # doctest: +SKIP
    """
    a, b = comparison.a, comparison.b
    side_a, side_b = _comparison_sides(a, b, side_a, side_b)
    pieces = comparison.pieces
    aoi = footprint if footprint is not None else _comparison_footprint(comparison)
    geom, name, flag = _footprint_bits(aoi)
    geom = _geom(comparison.aoi)
    centre = _centre(geom)
    ax = _axes(ax)
    classes = classify_pieces(pieces, side_a, side_b)
    colours = [CLASS_COLOURS[c] for c in classes]
    hatches = ["///" if c == "out_of_scope" else None for c in classes]
    _draw(ax, pieces.geometry.to_numpy(), colours, centre, hatches)
    _extent(ax, geom, centre)
    _outline(ax, geom, centre)
    area = np.asarray(pieces["area_km2"], dtype=float)
    entries = []
    for cls, colour in CLASS_COLOURS.items():
        sel = classes == cls
        if sel.any():
            text = _class_text(cls, a, b, side_a, side_b)
            if cls == "other":
                text = f"other: {_own_statuses(pieces[sel], a, b)}"
            entries.append(
                (f"{text}: {area[sel].sum():,.1f} km²", colour, "///" if cls == "out_of_scope" else None)
            )
    total = float(getattr(comparison, "aoi_km2", area.sum()))
    _legend(ax, entries, title=_aoi_title(aoi, total))
    _scale_bar(ax)
    if places:
        _place_labels(ax, centre, skip=(name,))
    ax.set_title(
        title or f"{_name(a)} {_date(a)} vs {_name(b)} {_date(b)}" + (f" — {name}" if name else ""),
        fontsize=11,
    )
    notes = [flag] if flag else []
    if "cause" in pieces:
        noise = float(area[np.asarray(pieces["cause"]) == "noise"].sum())
        if noise >= 0.005:
            notes.append(f"{noise:,.2f} km² of the disagreement are slivers (drawing noise).")
    notes.append("Sources — " + _attribution([a, b]))
    _footer(ax, "\n".join(notes))
    return ax


# --------------------------------------------------------------------------- claims
def plot_claim(claim_check, ax=None, places: bool = True):
    """A claim check: footprint, land held by the claimant, grey zone, and the share under
    each grey-zone policy against the claimed share.

    Parameters
    ----------
    claim_check : ClaimCheck
        From :func:`mapdiff.check_claim` (needs its footprint/held/grey geometries).
    ax : matplotlib Axes, optional
        The map goes here; the share bars go in an inset to its right.
    places : bool, default True

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
    _draw(ax, [rest, held, grey], [PALETTE["light"], PALETTE["vermillion"], PALETTE["grey"]], centre)
    _extent(ax, fp, centre, margin=0.08)
    _outline(ax, fp, centre, ls="--" if c.approximate else "-")
    kind = c.footprint_kind + (", approximate" if c.approximate and "approx" not in c.footprint_kind else "")
    entries = [
        (f"held by {c.side}: {c.held_km2:,.2f} km²", PALETTE["vermillion"], None),
        (f"grey zone: {c.grey_km2:,.2f} km²", PALETTE["grey"], None),
        (
            f"rest of footprint: {max(c.footprint_km2 - c.held_km2 - c.grey_km2, 0):,.2f} km²",
            PALETTE["light"],
            None,
        ),
    ]
    _legend(ax, entries, title=f"{c.place} ({kind}): {c.footprint_km2:,.2f} km²")
    _scale_bar(ax)
    if places:
        _place_labels(ax, centre, skip=(c.place,))
    claimed = "" if c.claimed is None else f"{100 * c.claimed:g}% of "
    what = {"captured": f"{c.place} captured", "encircled": f"{c.place} encircled"}.get(
        c.kind, f"{claimed}{c.place}"
    )
    date = iso(c.as_of, "undated")
    ax.set_title(
        f"Claim: {c.side} holds {what}: {c.verdict.upper()} on {_name(SimpleMap(c.source))} {date}",
        fontsize=11,
    )
    # share per policy, as bars beside the map
    if c.policies:
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
    notes.append("Sources — " + _attribution([SimpleMap(c.source)]))
    _footer(ax, "\n".join(notes))
    return ax


def plot_encirclement(encirclement, ax=None, places: bool = True):
    """An encirclement: the holding, the encircling side, the grey zone and the corridor.

    Parameters
    ----------
    encirclement : Encirclement
        From :func:`mapdiff.encirclement`.
    ax : matplotlib Axes, optional
    places : bool, default True
        Label gazetteer places inside the view.

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
    _draw(ax, [lay[0] for lay in layers], [lay[1] for lay in layers], centre)
    _extent(ax, e.view, centre, margin=0.0)
    _outline(ax, e.footprint_geometry, centre, ls="--" if e.approximate else "-")
    entries = [(lay[3], lay[1], None) for lay in layers]
    if e.corridor_line is not None and not e.corridor_line.is_empty:
        xy = np.asarray(to_equal_area(e.corridor_line, centre).coords)
        ax.plot(xy[:, 0], xy[:, 1], color=PALETTE["black"], lw=2.5, zorder=7, solid_capstyle="butt")
        ax.plot(xy[:, 0], xy[:, 1], "o", color=PALETTE["yellow"], ms=5, mec="black", zorder=7)
        ax.annotate(
            f"corridor {e.corridor_km:.2f} km",
            xy.mean(axis=0),
            xytext=(6, -12),
            textcoords="offset points",
            fontsize=9,
            fontweight="bold",
            zorder=9,
            bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "black", "pad": 1.5},
        )
        entries.append((f"narrowest corridor: {e.corridor_km:.2f} km", PALETTE["black"], None))
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
    notes.append("Sources — " + _attribution([SimpleMap(e.source)]))
    skip = _footer(ax, "\n".join(notes))
    _legend(ax, entries, title=title, skip_pt=skip)
    _scale_bar(ax)
    if places:
        _place_labels(ax, centre, skip=(e.place,))
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
def plot_changes(old, new, aoi, side: str | None = None, axes=None, places: bool = True):
    """Before/after small multiples of two releases, and what changed hands between them.

    Parameters
    ----------
    old, new : ControlMap
    aoi : shapely geometry or Footprint
    side : str, optional
        The side whose gains and losses the third panel shows (default: the side drawn).
    axes : sequence of three Axes, optional

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
    geom, name, _flag = _footprint_bits(aoi)
    side = side or _comparison_sides(old, new)[0]
    lab = as_label(("controlled", side))
    for ax, m in zip(axes[:2], (old, new), strict=True):
        plot_map(m, ax=ax, aoi=aoi, places=places, legend_below=True)
    held_old = _held(old, side, geom)
    held_new = _held(new, side, geom)
    gained = shapely.difference(held_new, held_old)
    lost = shapely.difference(held_old, held_new)
    centre = _centre(geom)
    ax = axes[2]
    _draw(ax, [shapely.intersection(held_old, held_new)], [PALETTE["light"]], centre)
    g_km2, l_km2 = area_km2(np.asarray([gained, lost], dtype=object), centre=centre)
    _draw(ax, [gained, lost], [PALETTE["vermillion"], PALETTE["blue"]], centre)
    _extent(ax, geom, centre)
    _outline(ax, geom, centre)
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
    _scale_bar(ax)
    if places:
        _place_labels(ax, centre, skip=(name,))
    ax.set_title(f"Change: {lab}, net {g_km2 - l_km2:+,.2f} km²", fontsize=11)
    return axes


def _held(m, side, aoi):
    labels, geoms = m.partition(aoi)
    held = [g for lab, g in zip(labels, geoms, strict=True) if lab.side == side and lab.holds]
    return shapely.union_all(np.asarray(held, dtype=object)) if held else shapely.Polygon()


# --------------------------------------------------------------------------- series
def plot_series(
    shares_df, ax=None, title: str | None = None, threshold: float | None = None, ylabel: str = "share held"
):
    """Share-series chart: one line per place over release dates.

    Parameters
    ----------
    shares_df : pandas.DataFrame or ShareSeries
        Index: dates; columns: places; values: shares in [0, 1]. A
        :class:`~mapdiff.series.ShareSeries` also gives the side, the grey-zone policy and
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
    if hasattr(shares_df, "frame"):  # a ShareSeries
        series = shares_df
        shares_df = series.frame
        ylabel = f"share held by {series.side}"
        title = title or f"{_name(series)}: share of each place held by {series.side}"
        note = f"grey zone counted as: {series.policy}"
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


# --------------------------------------------------------------------------- saving
def save_figure(fig, path, dpi: int = 200, size: tuple[float, float] | None = None) -> Path:
    """Save a figure (or the figure of an Axes) atomically as PNG, SVG or PDF.

    Parameters
    ----------
    fig : matplotlib Figure or Axes
    path : str or Path
        Format from the suffix: ``.png``, ``.svg`` or ``.pdf``.
    dpi : int, default 200
    size : (width, height) in inches, optional

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
    fig = getattr(fig, "figure", fig)
    if size is not None:
        fig.set_size_inches(*size)
    with atomic_path(path) as tmp:
        fig.savefig(
            tmp,
            format=fmt,
            dpi=dpi,
            bbox_inches=None if size is not None else "tight",
            metadata={"Software": "mapdiff"} if fmt == "png" else None,
        )
    return path
