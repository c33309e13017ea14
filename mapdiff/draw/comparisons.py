"""Maps of several sources over one area: where two disagree, by class
(:func:`plot_comparison`), how many agree (:func:`plot_consensus`), and how many say one
label (:func:`plot_agreement`)."""

from __future__ import annotations

import numpy as np
import shapely

from ..labels import CONTESTED, NOT_COVERED, Label
from ..model.classes import CLASS_COLOURS, CLASS_HATCHES, PALETTE, class_text, source_label, source_name
from ._base import (
    SLIVER_SHARE,
    add_legend,
    aoi_name,
    aoi_title,
    centre_of,
    date_of,
    fill_polygons,
    footprint_bits,
    footprint_outlines,
    geometry_of,
    literal,
    new_axes,
    outline,
    set_extent,
    set_title,
    unbuffered,
)
from ._captions import add_footer, credit_lines, date_notes
from .context import finish_map

__all__ = ["class_entries", "plot_agreement", "plot_comparison", "plot_consensus"]


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


def comparison_classes(comparison, side_a=None, side_b=None):
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
    side_a, side_b, classes = comparison_classes(comparison, side_a, side_b)
    pieces = comparison.pieces
    area = np.asarray(pieces["area_km2"], dtype=float)
    out = []
    for cls, colour in CLASS_COLOURS.items():
        sel = classes == cls
        if sel.any():
            text = class_text(cls, a, b, side_a, side_b)
            if cls == "other":
                text = f"other: {_own_statuses(pieces[sel], a, b)}"
            out.append((cls, text, colour, float(area[sel].sum())))
    return out


@literal
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
    return draw_comparison(
        comparison,
        ax,
        side_a=side_a,
        side_b=side_b,
        title=title,
        places=places,
        footprint=footprint,
        context=context,
        tiles=tiles,
        legend_below=legend_below,
        footer=footer,
        **style,
    )[0]


def draw_comparison(
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
    """:func:`plot_comparison` and the context it drew (for panels)."""
    a, b = comparison.a, comparison.b
    side_a, side_b, classes = comparison_classes(comparison, side_a, side_b)
    pieces = comparison.pieces
    aoi = footprint if footprint is not None else _comparison_footprint(comparison)
    _, name, flag = footprint_bits(aoi)
    geom = geometry_of(comparison.aoi)
    centre = centre_of(geom)
    ax = new_axes(ax)
    entries_all = class_entries(comparison, side_a, side_b)
    total = float(getattr(comparison, "aoi_km2", np.sum(pieces["area_km2"])))
    thin_cls = {cls for cls, _t, _c, km2 in entries_all if km2 < SLIVER_SHARE * total}
    colours = [CLASS_COLOURS[c] for c in classes]
    hatches = [CLASS_HATCHES.get(c) for c in classes]
    fill_polygons(
        ax,
        pieces.geometry.to_numpy(),
        colours,
        centre,
        hatches,
        edges=[c in thin_cls for c in classes],
        **style,
    )
    set_extent(ax, geom, centre)
    outlines = footprint_outlines(ax, aoi, centre)
    if not outlines:
        outline(ax, geom, centre)
    entries = [
        (f"{text}: {km2:,.1f} km²", colour, CLASS_HATCHES.get(cls)) for cls, text, colour, km2 in entries_all
    ]
    base = unbuffered(aoi)
    ctx = finish_map(
        ax, centre, places=places, context=context, tiles=tiles, bold=(base.name,) if base else ()
    )
    set_title(
        ax,
        title
        or f"{source_label(a)} {date_of(a)} vs {source_label(b)} {date_of(b)}"
        + (f" — {aoi_name(aoi)}" if name else ""),
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
        notes[1:1] = date_notes([a, b], short=True)  # after the footprint's flag: a reader must see it
        methods = [f"Scope: {s}" for s in getattr(comparison, "scope_notes", ())]
        methods += [f"Grey zone: {s}" for s in getattr(comparison, "grey_notes", ())]
        skip = add_footer(ax, notes, credit_lines([a, b], ctx.credits), methods)
    add_legend(
        ax,
        entries,
        title=aoi_title(aoi, total),
        below=legend_below,
        skip_pt=skip,
        lines=[*outlines, *ctx.lines],
    )
    return ax, ctx


@literal
def plot_consensus(many, ax=None, **style):
    """How many sources agree on each area (a ManyComparison), true to scale.

    Examples
    --------
    >>> ax = mapdiff.compare_many([a, b, c]).plot()   # doctest: +SKIP
    """
    ax = new_axes(ax)
    cons = many.consensus
    geom = geometry_of(many.aoi)
    centre = centre_of(geom)
    n = len(many.maps)
    shades = {k: c for k, c in zip(range(1, n + 1), np.linspace(0.85, 0.15, n), strict=True)}
    n_top = np.asarray(cons["n_top"], dtype=int)
    colours = [str(round(float(shades[k]), 3)) for k in n_top]
    fill_polygons(ax, cons.geometry.to_numpy(), colours, centre, **style)
    set_extent(ax, geom, centre)
    outline(ax, geom, centre)
    area = np.asarray(cons["area_km2"], dtype=float)
    entries = [
        (f"{k} of {n} agree: {area[n_top == k].sum():,.1f} km²", str(round(float(shades[k]), 3)), None)
        for k in sorted(set(n_top.tolist()), reverse=True)
    ]
    ctx = finish_map(ax, centre)
    ax.set_title(f"Sources agreeing on the top label (of {n})", fontsize=11)
    flag = footprint_bits(getattr(many, "place", None))[2]
    skip = add_footer(ax, [flag], credit_lines(many.maps, ctx.credits))
    add_legend(ax, entries, title="agreement", skip_pt=skip, lines=ctx.lines)
    return ax


@literal
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

    ax = new_axes(ax, figsize=(9, 6.5))
    n = len(cons.sources)
    counts = cons.count(label).to_numpy()
    geoms = cons.pieces.geometry.to_numpy()
    km2 = cons.pieces.area_km2.to_numpy()
    centre = centre_of(cons.aoi)
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
    fill_polygons(ax, shapes, colours, centre)
    set_extent(ax, cons.aoi, centre)
    outline(ax, cons.aoi, centre)
    ctx = finish_map(ax, centre, places=places, context=context)
    ax.set_title(f"How many sources say {label}: {', '.join(cons.sources)}", fontsize=10)
    notes = []
    if "contested" in cons.labels:
        grey = cons.count("contested").to_numpy()
        notes.append(f"grey zone (contested) drawn by at least one source on {km2[grey > 0].sum():,.2f} km²")
    flag = footprint_bits(getattr(cons, "place", None))[2]
    if flag:
        notes.append(flag)
    skip = add_footer(ax, notes) if notes else 0
    add_legend(ax, entries, title=f"sources saying {label}", skip_pt=skip, lines=ctx.lines)
    return ax
