"""Maps of one release: a map's labels (:func:`plot_map`), a footprint
(:func:`plot_footprint`), and what changed hands between two releases
(:func:`plot_changes`, :func:`plot_changes_map`). True to scale, km² in the legend."""

from __future__ import annotations

import numpy as np
import shapely

from .._json import iso
from ..errors import EmptyMapError
from ..labels import CONTESTED, NOT_COVERED, Label, as_label
from ..model.classes import PALETTE, source_label
from ..model.measure import area_km2
from ._base import (
    SimpleMap,
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
    side_colours,
    slivers,
    unbuffered,
)
from ._captions import add_footer, credit_lines, date_notes, scope_notes
from .context import finish_map

__all__ = ["plot_changes", "plot_changes_map", "plot_footprint", "plot_map"]


_OWN_STATUS_STYLES = (
    (PALETTE["yellow"], "...."),
    (PALETTE["sky"], "////"),
    (PALETTE["green"], "\\\\\\\\"),
    (PALETTE["orange"], "xx"),
    (PALETTE["purple"], "++"),
)


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


@literal
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
    return draw_map(
        control_map,
        ax,
        aoi=aoi,
        title=title,
        places=places,
        legend_below=legend_below,
        footer=footer,
        context=context,
        tiles=tiles,
        **style,
    )[0]


def draw_map(
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
    """:func:`plot_map` and the context it drew (for panels)."""
    m = control_map
    ax = new_axes(ax)
    geom, name, flag = footprint_bits(aoi) if aoi is not None else (m.footprint, None, "")
    labels, geoms = m.partition(geom)
    centre = centre_of(geom)
    colours = side_colours(m.sides)
    styles = [_label_style(lab, colours) for lab in labels]
    sizes = area_km2(geoms, centre=centre) if len(geoms) else []
    view_km2 = float(np.sum(sizes)) or 1.0
    fill_polygons(
        ax,
        geoms,
        [s[0] for s in styles],
        centre,
        [s[1] for s in styles],
        edges=slivers(sizes, view_km2),
        **style,
    )
    set_extent(ax, geom, centre)
    outlines = footprint_outlines(ax, aoi, centre) if aoi is not None else []
    if aoi is not None and not outlines:
        outline(ax, geom, centre)
    entries = [(f"{lab}: {a:,.1f} km²", s[0], s[1]) for lab, a, s in zip(labels, sizes, styles, strict=True)]
    if getattr(m, "grey_note", None):  # say so, rather than show a grey zone of 0 km²
        entries.append(("no grey-zone class in this source", "none", None))
    ctx = finish_map(
        ax,
        centre,
        places=places,
        context=context,
        tiles=tiles,
        bold=(unbuffered(aoi).name,) if unbuffered(aoi) else (),
    )
    skip = 0.0
    if footer:
        grey = [f"{source_label(m)} draws no grey zone."] if getattr(m, "grey_note", None) else []
        skip = add_footer(
            ax, [flag, *date_notes([m], short=True), *grey], credit_lines([m], ctx.credits), scope_notes([m])
        )
    add_legend(
        ax,
        entries,
        title=aoi_title(aoi, sum(sizes)) if name else "km² in view",
        below=legend_below,
        skip_pt=skip,
        lines=[*outlines, *ctx.lines],
    )
    set_title(ax, title or f"{source_label(m)}, {date_of(m)}" + (f": {aoi_name(aoi)}" if name else ""))
    return ax, ctx


@literal
def plot_footprint(fp, ax=None, *, places: bool = True, context=True, **style):
    """A footprint's outline (dashed when approximate), true to scale, with context.

    Examples
    --------
    >>> from mapdiff.places.footprints import footprint
    >>> footprint("Kupiansk").buffer(5).plot().get_title().split(" (")[0]
    'Kupiansk +5 km'
    """
    ax = new_axes(ax, figsize=(7, 6))
    geom = geometry_of(fp)
    centre = centre_of(geom)
    if style:
        fill_polygons(ax, [geom], [style.pop("facecolor", "none")], centre, **style)
    set_extent(ax, geom, centre, margin=0.15)
    outlines = footprint_outlines(ax, fp, centre)
    ctx = finish_map(ax, centre, places=places, context=context, bold=(unbuffered(fp).name,))
    ax.set_title(f"{aoi_name(fp)} ({fp.kind}, {fp.area_km2:,.1f} km²)", fontsize=11)
    skip = add_footer(
        ax, [f"Footprint: {getattr(unbuffered(fp), 'provenance', '')}"], credit_lines([], ctx.credits)
    )
    add_legend(ax, [], below=True, skip_pt=skip, lines=[*outlines, *ctx.lines])
    return ax


@literal
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
    geom = geometry_of(aoi)
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
    centre = centre_of(geom)
    ax = axes[2]
    fill_polygons(ax, [shapely.intersection(held_old, held_new)], [PALETTE["light"]], centre, **style)
    g_km2, l_km2 = area_km2(np.asarray([gained, lost], dtype=object), centre=centre)
    view_km2 = float(area_km2(geom, centre=centre))
    fill_polygons(
        ax,
        [gained, lost],
        [PALETTE["vermillion"], PALETTE["blue"]],
        centre,
        edges=slivers([g_km2, l_km2], view_km2),
        **style,
    )
    set_extent(ax, geom, centre)
    outlines = footprint_outlines(ax, aoi, centre)
    if not outlines:
        outline(ax, geom, centre)
    base = unbuffered(aoi)
    ctx = finish_map(ax, centre, places=places, context=context, bold=(base.name,) if base else ())
    add_legend(
        ax,
        [
            (f"{side} held at both dates", PALETTE["light"], None),
            (f"gained by {side}: {g_km2:,.2f} km²", PALETTE["vermillion"], None),
            (f"lost by {side}: {l_km2:,.2f} km²", PALETTE["blue"], None),
        ],
        title=f"{date_of(old)} → {date_of(new)}",
        below=True,
        lines=ctx.lines,
    )
    ax.set_title(f"Change: {lab}, net {g_km2 - l_km2:+,.2f} km²", fontsize=11)
    return axes


def _held(m, side, aoi):
    labels, geoms = m.partition(aoi)
    held = [g for lab, g in zip(labels, geoms, strict=True) if lab.side == side and lab.holds]
    return shapely.union_all(np.asarray(held, dtype=object)) if held else shapely.Polygon()


@literal
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
    ax = new_axes(ax)
    gained, lost = changes.gained.get(s), changes.lost.get(s)
    layers = [g for g in (gained, lost) if g is not None and not g.is_empty]
    if not layers:
        raise EmptyMapError(f"nothing changed hands for {s}: no polygon to draw")
    view = shapely.union_all(np.asarray(layers, dtype=object))
    centre = centre_of(view)
    entries, geoms, colours = [], [], []
    for geom, kind, colour in ((gained, "gained", PALETTE["vermillion"]), (lost, "lost", PALETTE["blue"])):
        if geom is not None and not geom.is_empty:
            geoms.append(geom)
            colours.append(colour)
            entries.append((f"{s} {kind} ({changes.sides[s][kind + '_km2']:,.1f} km²)", colour, None))
    sizes = area_km2(np.asarray(geoms, dtype=object), centre=centre)
    fill_polygons(ax, geoms, colours, centre, edges=slivers(sizes, float(sum(sizes)) * 5), **style)
    set_extent(ax, shapely.buffer(shapely.envelope(view), 0.02), centre)
    ctx = finish_map(ax, centre, places=places, context=context)
    old = iso(changes.old_as_of, "undated")
    new = iso(changes.new_as_of, "undated")
    ax.set_title(f"{source_label(SimpleMap(changes.source))}: {old} → {new}", fontsize=11)
    skip = add_footer(ax, [], credit_lines([SimpleMap(changes.source)], ctx.credits))
    add_legend(
        ax,
        entries,
        title=f"changes in {changes.aoi}" if changes.aoi else "changes",
        skip_pt=skip,
        lines=ctx.lines,
    )
    return ax
