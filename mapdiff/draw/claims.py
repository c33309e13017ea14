"""Maps of a claim checked on one map: the share held against the claimed share
(:func:`plot_claim`) and an encirclement with its corridor (:func:`plot_encirclement`)."""

from __future__ import annotations

import numpy as np
import shapely

from .._json import iso
from ..errors import ArgumentError
from ..model.classes import PALETTE, source_label
from ..model.measure import to_equal_area
from ._base import (
    SimpleMap,
    add_legend,
    centre_of,
    fill_polygons,
    literal,
    new_axes,
    outline,
    percent_formatter,
    set_extent,
    set_title,
    side_colours,
)
from ._captions import add_footer, credit_lines
from .context import finish_map
from .placement import place_label

__all__ = ["CORRIDOR_MARKS", "plot_claim", "plot_encirclement"]


#: The corridor as drawn (a black line through yellow dots), for its legend swatch.
CORRIDOR_MARKS = {
    "marker": "o",
    "markersize": 5,
    "markerfacecolor": PALETTE["yellow"],
    "markeredgecolor": "black",
}


@literal
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
    return draw_claim(claim_check, ax, places=places, context=context, bars=bars, footer=footer, **style)[0]


def draw_claim(
    claim_check, ax=None, *, places: bool = True, context=True, bars: bool = True, footer=True, **style
):
    """:func:`plot_claim` and the context it drew (for panels)."""
    c = claim_check
    fp = c.footprint_geometry
    if fp is None or fp.is_empty:
        raise ArgumentError(f"the claim check of {c.place} carries no footprint geometry to draw")
    ax = new_axes(ax, figsize=(10, 6.5))
    centre = centre_of(fp)
    held = c.held_geometry if c.held_geometry is not None else shapely.Polygon()
    grey = c.grey_geometry if c.grey_geometry is not None else shapely.Polygon()
    rest = shapely.difference(fp, shapely.union(held, grey))
    fill_polygons(
        ax, [rest, held, grey], [PALETTE["light"], PALETTE["vermillion"], PALETTE["grey"]], centre, **style
    )
    set_extent(ax, fp, centre, margin=0.08)
    outline(ax, fp, centre, ls="--" if c.approximate else "-", lw=1.6, zorder=6)
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
    ctx = finish_map(ax, centre, places=places, context=context, bold=(c.place,))
    claimed = "" if c.claimed is None else f"{100 * c.claimed:g}% of "
    what = {"captured": f"{c.place} captured", "encircled": f"{c.place} encircled"}.get(
        c.kind, f"{claimed}{c.place}"
    )
    date = iso(c.as_of, "undated")
    set_title(
        ax, f"Claim: {c.side} holds {what}: {c.verdict.upper()} on {source_label(SimpleMap(c.source))} {date}"
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
        bars.xaxis.set_major_formatter(percent_formatter())
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
            f"{source_label(SimpleMap(c.source))} draws no grey zone: the grey-zone policies cannot differ."
        )
    skip = add_footer(ax, notes, credit_lines([SimpleMap(c.source)], ctx.credits)) if footer else 0.0
    add_legend(
        ax,
        entries,
        title=f"{c.place} ({kind}): {c.footprint_km2:,.2f} km²",
        below=not bars,
        skip_pt=skip,
        lines=ctx.lines,
    )
    return ax, ctx


@literal
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
    return draw_encirclement(encirclement, ax, places=places, context=context, **style)[0]


def draw_encirclement(encirclement, ax=None, *, places: bool = True, context=True, **style):
    """:func:`plot_encirclement` and the context it drew (for panels)."""
    e = encirclement
    if e.view is None or e.footprint_geometry is None:
        raise ArgumentError(f"the encirclement of {e.place} carries no geometry to draw")
    ax = new_axes(ax, figsize=(9, 7))
    centre = centre_of(e.view)
    colours = side_colours([e.by, e.defender])
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
    fill_polygons(ax, [lay[0] for lay in layers], [lay[1] for lay in layers], centre, **style)
    set_extent(ax, e.view, centre, margin=0.0)
    outline(ax, e.footprint_geometry, centre, ls="--" if e.approximate else "-")
    entries = [(lay[3], lay[1], None) for lay in layers]
    corridor_lines, corridor_xy = [], None
    if e.corridor_line is not None and not e.corridor_line.is_empty:
        xy = np.asarray(to_equal_area(e.corridor_line, centre).coords)
        ax.plot(xy[:, 0], xy[:, 1], color=PALETTE["black"], lw=2.5, zorder=7, solid_capstyle="butt")
        ax.plot(xy[:, 0], xy[:, 1], "o", color=PALETTE["yellow"], ms=5, mec="black", zorder=7)
        corridor_xy = xy.mean(axis=0)
        # the legend's swatch is the line as drawn: black through yellow dots
        corridor_lines.append(
            (f"narrowest corridor: {e.corridor_km:.2f} km", PALETTE["black"], "-", 2.5, CORRIDOR_MARKS)
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
    ctx = finish_map(ax, centre, places=places, context=context, bold=(e.place,))
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
    skip = add_footer(ax, notes, credit_lines([SimpleMap(e.source)], ctx.credits))
    add_legend(ax, entries, title=title, skip_pt=skip, lines=[*corridor_lines, *ctx.lines])
    date = iso(e.as_of, "undated")
    ax.set_title(
        f"{e.place}: {e.verdict}\n{source_label(SimpleMap(e.source))} {date}; encircling side {e.by}",
        fontsize=11,
    )
    return ax, ctx
