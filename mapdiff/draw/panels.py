"""The every-side panel figure: one claim on every source's map, as a newspaper would print it.

A grid that fits a page (2 x 2 for four sources, 3 columns from five), one panel per
source with the same footprint, extent and palette; each panel titled with what readers
call the source and its lean, the release used, and in the panel the share and verdict
(a stale release is marked in red). One legend for the figure with human labels, a caption
of at most three lines, and a credits block with every source's and context layer's
attribution. How the numbers were made (the methods note) is too long for a caption: it
is :meth:`mapdiff.ClaimAcrossMaps.methods`, which the CLI writes into the figure's metadata
(:func:`mapdiff.draw.plot.save_figure` ``metadata=``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import shapely

from .._json import iso
from ..errors import ArgumentError
from ..labels import NOT_COVERED, as_label
from ..model.classes import PALETTE, source_label, source_lean, source_name
from ..model.measure import to_equal_area
from ._base import SimpleMap, centre_of, date_of, geometry_of, literal
from ._captions import CAPTION_LINES, CAPTION_PT, attribution, caption_lines, date_notes, fit_lines
from .claims import CORRIDOR_MARKS, draw_claim, draw_encirclement
from .comparisons import draw_comparison
from .context import CONTEXT_WORDS
from .maps import draw_map

__all__ = ["CAPTION_LINES", "label_words", "plot_claim_panels", "plot_panels"]

_PANEL_IN = {2: 3.7, 3: 3.3, 1: 5.0}
#: The printable area of a letter or A4 page, in inches (short side, long side).
_PAGE_IN = (8.0, 10.5)
_CREDITS_PT = 6.0
_STALE = "#B00020"
_POLICY_WORDS = {
    "nobody": "grey zone counted for nobody",
    "half": "grey zone counted half",
    "claimant": "grey zone counted for the claimant",
    "excluded": "grey zone left out of the footprint",
}


def _grid(n: int) -> tuple[int, int]:
    """(rows, columns) of a grid that fits a page: 2 x 2 for four sources."""
    ncols = 1 if n == 1 else 2 if n <= 4 else 3
    return math.ceil(n / ncols), ncols


def _words(kind: str) -> str:
    """A footprint kind as words (``city_limits`` -> ``city limits``)."""
    return kind.replace("_", " ")


def _entries(across) -> tuple[list, list]:
    """Legend entries of the figure: (text, colour) patches and (text, colour, ls, lw, marks) lines."""
    checks = list(across.checks.values())
    place, side = across.place, across.side
    lines = [(f"{place} ({_words(checks[0].footprint_kind)})", "black", "-", 1.4, {})] if checks else []
    if across.kind == "encircled":
        encs = list(across.encirclements.values())
        e = encs[0]
        patches = [
            (f"held by {e.by}", PALETTE["vermillion"]),
            (f"held by {e.defender} around {place}", PALETTE["sky"]),
            (f"{e.defender} holding in {place}", PALETTE["blue"]),
        ]
        if any(x.grey_geometry is not None and not x.grey_geometry.is_empty for x in encs):
            patches.append(("grey zone (where a source draws one)", PALETTE["grey"]))
        if any(x.corridor_line is not None and not x.corridor_line.is_empty for x in encs):
            lines.append(("narrowest corridor out", PALETTE["black"], "-", 2.5, CORRIDOR_MARKS))
        return patches, lines
    patches = [(f"held by {side} (the claimant's side)", PALETTE["vermillion"])]
    greys = [source_name(c) for c in checks if c.has_grey]
    if greys:  # honest: a grey swatch only where some source draws a grey zone
        patches.append((f"grey zone ({', '.join(dict.fromkeys(greys))} only)", PALETTE["grey"]))
    patches.append((f"rest of {place} (not held by {side} on that map)", PALETTE["light"]))
    return patches, lines


def _drop_north_arrow(ax) -> None:
    """Remove a panel's north arrow (its "N" and the arrow): the figure says "north is up"."""
    for t in list(ax.texts):
        if t.get_gid() == "north-arrow" or (not t.get_text() and getattr(t, "arrow_patch", None) is not None):
            t.remove()


def _panel_box(ax, across, source, chk, enc) -> None:
    """The share and verdict (or the corridor) inside the panel; a stale release in red."""
    if enc is not None:
        text = f"{chk.verdict.upper()}\n{enc.verdict}"
    else:
        share = "n/a" if chk.share is None or np.isnan(chk.share) else f"{chk.share:.0%}"
        grey = (
            f"grey zone {chk.grey_km2 / max(chk.covered_km2, 1e-12):.0%} of {chk.place}"
            if chk.has_grey
            else "draws no grey zone"
        )
        text = f"{chk.side} {share}: {chk.verdict.upper()}\n{grey}"
    gap = across.stale.get(source)
    stale = gap is not None
    if stale:
        text += f"\nSTALE: {gap} d before the claim"
    ax.text(
        0.02,
        0.98,
        text,
        transform=ax.transAxes,
        ha="left",
        va="top",
        fontsize=7.5,
        fontweight="bold",
        color=_STALE if stale else "black",
        zorder=12,
        gid="verdict",
        bbox={"facecolor": "white", "alpha": 0.88, "edgecolor": _STALE if stale else "none", "pad": 2},
    )
    if stale:
        for spine in ax.spines.values():
            spine.set_edgecolor(_STALE)
            spine.set_linewidth(2.0)
            spine.set_visible(True)


@literal
def plot_claim_panels(across, axes=None, *, places: bool = False, context=False, **style):
    """One claim on every map: a grid of panels, one per source, one legend, a short caption.

    Each panel is :func:`~mapdiff.draw.plot.plot_claim` (or
    :func:`~mapdiff.draw.plot.plot_encirclement` for ``kind="encircled"``) without its own
    legend and caption, titled ``"DeepStateMap · Ukrainian OSINT"`` and the release used;
    the share and verdict are written in the panel, a stale release (more than
    ``across.max_gap_days`` before the claim) in red with a red frame.

    Parameters
    ----------
    across : ClaimAcrossMaps
        From :func:`mapdiff.check_claim_all`.
    axes : sequence of matplotlib Axes, optional
        One per source (no figure legend or caption is added then); by default a new
        figure with a grid that fits a page (2 x 2 for four sources).
    places, context
        As for :func:`~mapdiff.draw.plot.plot_map` (off by default: small panels).
    **style
        Passed to every filled polygon.

    Returns
    -------
    list of matplotlib Axes (one per source, in the order of ``across.checks``)

    Examples
    --------
    >>> import mapdiff
    >>> maps = [mapdiff.read_map(p) for p in mapdiff.sample_paths()]
    >>> axes = mapdiff.check_claim_all(maps, "Pokrovsk", "RU", "70%").plot()
    >>> axes[0].get_title()
    'DeepStateMap · Ukrainian OSINT\\nrelease 2025-12-15 (0 d before)'
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    checks = list(across.checks.items())
    n = len(checks)
    if axes is not None:
        axes = list(np.atleast_1d(axes))
        if len(axes) < n:
            raise ArgumentError(f"plot_claim_panels needs {n} axes (one per source), got {len(axes)}")
        _claim_panels(axes, across, places, context, style)
        return axes
    patches, lines = _entries(across)
    grid = _claim_grid(across, len(patches) + len(lines))
    ctx = _claim_panels(grid.axes, across, places, context, style)
    if checks:  # rows as tall as the maps are (equal aspect), no blank band between them
        aspect = max(
            abs(ax.get_ylim()[1] - ax.get_ylim()[0]) / max(abs(ax.get_xlim()[1] - ax.get_xlim()[0]), 1e-9)
            for ax in grid.axes
        )
        page_h = _PAGE_IN[1] if grid.ncols <= 2 else _PAGE_IN[0]  # portrait, or landscape for 3 columns
        fit = (page_h - grid.foot_in - 0.35) / grid.nrows - 0.5
        panel_h = min(max(grid.panel * aspect, 0.5 * grid.panel), fit) + 0.5
        grid.gs.set_height_ratios([panel_h] * grid.nrows + [grid.foot_in])
        grid.fig.set_size_inches(grid.width, grid.nrows * panel_h + grid.foot_in + 0.35)
    handles = [Patch(facecolor=c, edgecolor="#555555", label=t) for t, c in patches]
    handles += [Line2D([], [], color=c, ls=ls, lw=lw, label=t, **mk) for t, c, ls, lw, mk in lines]
    kw = {"fontsize": 8, "frameon": False, "handlelength": 2.0, "title_fontsize": 8}
    _figure_legend(grid, handles, [h.get_label() for h in handles], kw, title="Legend")
    _caption_and_credits(grid.foot, across, checks, ctx, grid.width, grid.legend_in)
    grid.fig.suptitle(
        f"Claim ({iso(across.date, 'undated')}): {across.claim_text()}", fontsize=11, fontweight="bold"
    )
    return grid.axes


@dataclass
class _Grid:
    """A figure of panels: a grid that fits a page, an empty cell or two, and a footer row."""

    fig: object
    gs: object
    axes: list
    rest: list
    foot: object
    nrows: int
    ncols: int
    panel: float
    width: float
    foot_in: float = 0.0
    legend_in: float = 0.0


def _panel_grid(n, nrows, ncols, row_h, foot_h, pad=0.0, *, foot_in=0.0, legend_in=0.0) -> _Grid:
    """A new figure of ``n`` panels in ``nrows`` x ``ncols`` cells of ``row_h`` inches, above a
    footer of ``foot_h`` inches (the legend, caption and credits)."""
    import matplotlib.pyplot as plt

    panel = _PANEL_IN[min(ncols, 3)]
    width = panel * ncols
    fig = plt.figure(figsize=(width, nrows * row_h + foot_h + pad), layout="constrained")
    gs = fig.add_gridspec(nrows + 1, ncols, height_ratios=[row_h] * nrows + [foot_h])
    cells = [fig.add_subplot(gs[i // ncols, i % ncols]) for i in range(nrows * ncols)]
    foot = fig.add_subplot(gs[nrows, :])
    foot.set_axis_off()
    return _Grid(fig, gs, cells[:n], cells[n:], foot, nrows, ncols, panel, width, foot_in, legend_in)


def _claim_grid(across, n_entries: int) -> _Grid:
    """The figure of :func:`plot_claim_panels`: room below the panels for the legend (unless an
    empty cell takes it), a caption of :data:`CAPTION_LINES` lines and every credit line."""
    checks = list(across.checks.values())
    nrows, ncols = _grid(len(checks))
    panel = _PANEL_IN[min(ncols, 3)]
    n_credits = sum(
        len(fit_lines(line, panel * ncols, _CREDITS_PT))
        for line in attribution([SimpleMap(c.source) for c in checks]).split("\n")
    )
    spare = nrows * ncols > len(checks)  # the legend goes into the empty cell
    legend_in = 0.0 if spare else 0.2 * math.ceil(n_entries / 2) + 0.15
    foot_in = (
        legend_in + CAPTION_LINES * CAPTION_PT * 1.35 / 72 + (n_credits + 1) * _CREDITS_PT * 1.3 / 72 + 0.2
    )
    return _panel_grid(
        len(checks), nrows, ncols, panel + 0.35, foot_in, 0.35, foot_in=foot_in, legend_in=legend_in
    )


def _claim_panels(axes, across, places, context, style) -> list[str]:
    """Draw each source's panel (titled, the verdict in its box) and give them one extent;
    returns the credits of the context layers drawn."""
    ctx: list[str] = []
    for ax, (source, chk) in zip(axes, across.checks.items(), strict=False):
        release, gap = across.releases[source]
        enc = across.encirclements.get(source)
        if enc is not None:
            _, drawn = draw_encirclement(enc, ax=ax, places=places, context=context, **style)
            for t in list(ax.texts):  # the caption and the corridor label: said in the box
                if t.get_gid() == "caption" or t.get_text().startswith("corridor "):
                    t.remove()
        else:
            _, drawn = draw_claim(
                chk, ax=ax, places=places, context=context, bars=False, footer=False, **style
            )
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        _drop_north_arrow(ax)  # the verdict box needs the corner; north is up in every panel
        ctx += drawn.credits
        lean = source_lean(chk)
        gap_text = "" if gap is None else f" ({gap} d before)"
        ax.set_title(
            f"{source_name(chk)}{' · ' + lean if lean else ''}\nrelease {iso(release)}{gap_text}",
            fontsize=9,
            color=_STALE if source in across.stale else "black",
        )
        _panel_box(ax, across, source, chk, enc)
    n = len(across.checks)
    if n and across.kind != "encircled":  # one extent: the union of the panels' views
        xs = [ax.get_xlim() for ax in axes[:n]]
        ys = [ax.get_ylim() for ax in axes[:n]]
        x0, x1 = min(x[0] for x in xs), max(x[1] for x in xs)
        y0, y1 = min(y[0] for y in ys), max(y[1] for y in ys)
        for ax in axes[:n]:
            ax.set_xlim(x0, x1)
            ax.set_ylim(y0, y1)
    return ctx


def _figure_legend(grid: _Grid, handles, labels, kw, title=None) -> None:
    """The figure's one legend: in the first empty cell when there is one, else atop the footer."""
    if grid.rest:
        for ax in grid.rest[1:]:
            ax.remove()
        grid.rest[0].set_axis_off()
        leg = grid.rest[0].legend(
            handles, labels, loc="center left", bbox_to_anchor=(0.0, 0.5), title=title, **kw
        )
    else:
        leg = grid.foot.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 1.0), ncols=2, **kw)
    leg.set_in_layout(False)  # placed in space kept for it: the layout must not shrink the maps


def _below(foot, inches: float):
    """A transform: the footer's axes fraction, ``inches`` below its top edge."""
    from matplotlib.transforms import ScaledTranslation

    return foot.transAxes + ScaledTranslation(0, -inches, foot.figure.dpi_scale_trans)


def _caption_and_credits(foot, across, checks, ctx, width, top_in) -> None:
    names = [source_name(c) for _, c in checks]
    yes = [source_name(c) for _, c in checks if c.supported]
    first = checks[0][1]
    sentences = [
        f"Supported on {len(yes)} of {len(names)} maps" + (f" ({', '.join(yes)})." if yes else "."),
    ]
    if across.kind != "encircled":
        fp = f"{first.place} ({_words(first.footprint_kind)}, {first.footprint_km2:,.1f} km²)"
        sentences.append(
            f"Share of {fp} each map shows held by {across.side}; "
            f"{_POLICY_WORDS.get(first.policy, 'grey-zone policy ' + first.policy)}."
        )
    for source, gap in across.stale.items():
        sentences.insert(
            1, f"{source_name(across.checks[source])}'s newest release is {gap} days before the claim: stale."
        )
    if across.newest:
        sentences.append("No date given: each source's newest release.")
    if across.missing:
        sentences.append(f"Not shown: {', '.join(across.missing)} (no release or no coverage).")
    sentences.append("Methods: in the file's metadata and the JSON (--json).")
    width -= 0.15  # the footer's left margin
    caption = caption_lines(sentences, width)
    foot.text(
        0.0,
        1.0,
        "\n".join(caption),
        transform=_below(foot, top_in),
        ha="left",
        va="top",
        fontsize=CAPTION_PT,
        gid="caption",
    ).set_in_layout(False)
    credits = attribution([SimpleMap(c.source) for _, c in checks]).split("\n")
    credits[0] = "North is up in every panel. " + credits[0]
    if ctx:
        credits.append("Context: " + "; ".join(dict.fromkeys(ctx)) + ".")
    text = "\n".join(line for c in credits for line in fit_lines(c, width, _CREDITS_PT))
    foot.text(
        0.0,
        1.0,
        text,
        transform=_below(foot, top_in + (len(caption) * CAPTION_PT * 1.35 + 4) / 72),
        ha="left",
        va="top",
        fontsize=_CREDITS_PT,
        color="#444444",
        gid="credits",
    ).set_in_layout(False)


# --------------------------------------------------------------------------- small multiples
_KM2 = re.compile(r":\s*[\d,.]+ km²$")
_RAW = re.compile(r"^[a-z_]+(?::[A-Za-z_]+)?$")
#: What a source's status means, in words (a status not listed is shown as its name).
_STATUS_WORDS = {
    "controlled": "held by {side}",
    "encircled": "encircled, held by {side}",
    "advanced": "{side} advance (control not assessed)",
    "claimed": "claimed by {side} (not verified)",
    "lost": "lost by {side} in the week",
    "gained": "gained by {side} in the week",
    "liberated": "retaken from {side}",
}


def label_words(label) -> str:
    """A map's label in words, for legends: ``controlled:RU`` -> ``held by RU``.

    Examples
    --------
    >>> label_words("controlled:RU"), label_words("contested"), label_words("lost:RU")
    ('held by RU', 'grey zone (contested)', 'lost by RU in the week')
    """
    lab = as_label(label)
    if lab == NOT_COVERED:
        return "not covered by the map"
    if lab.status == "contested":
        return "grey zone (contested)"
    words = _STATUS_WORDS.get(lab.status, lab.status.replace("_", " ") + (" ({side})" if lab.side else ""))
    return words.format(side=lab.side or "")


def _legend_words(text: str) -> str | None:
    """A panel's legend entry as the figure's legend says it (None: not said there)."""
    text = _KM2.sub("", text).strip()
    if text.startswith("no grey-zone class"):
        return None  # said in the panel's title, never as a grey swatch
    if _RAW.match(text):
        try:
            return label_words(text)
        except (ValueError, KeyError):
            return text
    return text.replace("_", " ")


def _merge_legends(axes) -> tuple[list, list[str]]:
    """Remove every panel's legend; the union of their entries, in words, without km²."""
    handles, labels = [], []
    for ax in axes:
        leg = ax.get_legend()
        if leg is None:
            continue
        for h, t in zip(leg.legend_handles, leg.get_texts(), strict=False):
            words = _legend_words(t.get_text())
            if words is not None and words not in labels:
                handles.append(h)
                labels.append(words)
        leg.remove()
    last = [k for k, t in enumerate(labels) if t in CONTEXT_WORDS.values()]  # context layers last
    order = [k for k in range(len(labels)) if k not in last] + last
    return [handles[k] for k in order], [labels[k] for k in order]


@literal
def plot_panels(
    results, *, aoi=None, ncols: int | None = None, titles=None, places: bool = True, context=True, **style
):
    """Small multiples: one panel per map or claim check, same extent, same palette, one legend.

    Parameters
    ----------
    results : sequence of ControlMap or ClaimCheck (or Comparison)
        One panel each, in order (e.g. the same claim checked on every source's map).
    aoi : Footprint or shapely geometry, optional
        The common view. Needed for maps (they have no place of their own); for claim
        checks by default the union of their footprints, for comparisons of their AOIs.
    ncols : int, optional
        Panels per row (default: a grid that fits a page, 2 x 2 for four).
    titles : sequence of str, optional
        One per panel (default: the source's name and lean and the date, with the
        verdict for a claim check).
    places, context
        As for :func:`~mapdiff.draw.plot.plot_map`.
    **style
        Passed to every filled polygon.

    Returns
    -------
    list of Axes (one per panel). The figure's legend is the union of the panels'
    entries in words (``held by RU``, not ``controlled:RU``); it takes an empty grid
    cell when there is one. :func:`~mapdiff.draw.plot.save_figure` takes this list.

    Examples
    --------
    >>> import mapdiff
    >>> from mapdiff.places.footprints import footprint
    >>> maps = [mapdiff.read_map(mapdiff.sample_path(d)) for d in ("2025-11-01", "2025-11-27")]
    >>> axes = plot_panels(maps, aoi=footprint("Pokrovsk").buffer(3))
    >>> len(axes), axes[0].get_xlim() == axes[1].get_xlim()
    (2, True)
    """
    results = list(results)
    if not results:
        raise ArgumentError("plot_panels() needs at least one map or claim check")
    kind = _panel_kind(results, aoi)
    n = len(results)
    nrows, ncols = _grid(n) if not ncols else (math.ceil(n / ncols), ncols)
    grid = _panel_grid(n, nrows, ncols, _PANEL_IN[min(ncols, 3)] + 0.6, 1.2)
    view, maps, ctx = _draw_panels(kind, grid.axes, results, aoi, titles, places, context, style)
    geom = geometry_of(view)
    x0, y0, x1, y1 = shapely.bounds(to_equal_area(geom, centre_of(geom)))
    dx, dy = (x1 - x0) * 0.08, (y1 - y0) * 0.08
    for ax in grid.axes:  # one extent in every panel
        ax.set_xlim(x0 - dx, x1 + dx)
        ax.set_ylim(y0 - dy, y1 + dy)
        ax.set_anchor("C")
    handles, labels = _merge_legends(grid.axes)
    _figure_legend(grid, handles, labels, {"fontsize": 8, "frameon": False, "handlelength": 2.0})
    legend_in = 0.0 if grid.rest else 0.2 * math.ceil(len(labels) / 2) + 0.1
    notes = [*date_notes(maps), *attribution(maps).split("\n")]
    if ctx:
        notes.append("Context: " + "; ".join(ctx) + ".")
    width = grid.fig.get_figwidth() - 0.15
    text = "\n".join(line for note in notes for line in fit_lines(note, width, _CREDITS_PT))
    foot_in = legend_in + (text.count("\n") + 1) * _CREDITS_PT * 1.3 / 72 + 0.25
    # rows as tall as the maps are (equal aspect), within a page
    panel = grid.panel
    page_h = _PAGE_IN[1] if ncols <= 2 else _PAGE_IN[0]
    fit = max((page_h - foot_in - 0.2) / nrows - 0.6, 0.4 * panel)
    row = min(max(0.88 * panel * (y1 - y0) / max(x1 - x0, 1e-9), 0.5 * panel), fit) + 0.6
    grid.gs.set_height_ratios([row] * nrows + [foot_in])
    grid.fig.set_size_inches(grid.fig.get_figwidth(), row * nrows + foot_in + 0.2)
    grid.foot.text(
        0.0,
        1.0,
        text,
        transform=_below(grid.foot, legend_in),
        ha="left",
        va="top",
        fontsize=_CREDITS_PT,
        color="#444444",
        gid="credits",
    ).set_in_layout(False)
    return grid.axes


def _panel_kind(results, aoi) -> str:
    """What :func:`plot_panels` was given: ``"claims"``, ``"comparisons"`` or ``"maps"``."""
    if all(hasattr(r, "footprint_geometry") for r in results):
        return "claims"
    if all(hasattr(r, "pieces") for r in results):
        return "comparisons"
    if all(hasattr(r, "partition") for r in results):
        if aoi is None:
            raise ArgumentError("plot_panels() of maps needs aoi= (a place or an area) to share one extent")
        return "maps"
    kinds = sorted({type(r).__name__ for r in results})
    raise ArgumentError(f"plot_panels() takes maps, claim checks or comparisons, got {kinds}")


def _draw_panels(kind, axes, results, aoi, titles, places, context, style) -> tuple:
    """Draw one panel per result; returns the common view, the maps behind the panels (for
    the credits) and the credits of the context layers drawn (each once, in order)."""

    def title(i, text):
        axes[i].set_title(titles[i] if titles else text, fontsize=9)

    ctx: list[str] = []
    if kind == "claims":
        view = aoi if aoi is not None else shapely.union_all([r.footprint_geometry for r in results])
        for i, (ax, r) in enumerate(zip(axes, results, strict=True)):
            _, drawn = draw_claim(r, ax=ax, places=places, context=context, bars=False, footer=False, **style)
            ctx += drawn.credits
            share = "" if r.share is None or np.isnan(r.share) else f" {r.share:.0%}"
            title(i, f"{source_label(SimpleMap(r.source))} {iso(r.as_of, 'undated')}\n{r.verdict}{share}")
        maps = [SimpleMap(r.source) for r in results]
    elif kind == "comparisons":
        view = aoi if aoi is not None else shapely.union_all([geometry_of(r.aoi) for r in results])
        for i, (ax, r) in enumerate(zip(axes, results, strict=True)):
            _, drawn = draw_comparison(
                r, ax=ax, places=places, context=context, legend_below=True, footer=False, **style
            )
            ctx += drawn.credits
            if titles:
                title(i, "")
        maps = [m for r in results for m in (r.a, r.b)]
    else:
        view = aoi
        for i, (ax, m) in enumerate(zip(axes, results, strict=True)):
            _, drawn = draw_map(
                m, ax=ax, aoi=aoi, places=places, context=context, legend_below=True, footer=False, **style
            )
            ctx += drawn.credits
            title(i, f"{source_label(m)} {date_of(m)}")
        maps = results
    return view, maps, list(dict.fromkeys(ctx))
