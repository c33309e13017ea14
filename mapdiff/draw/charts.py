"""Charts over time (no map): shares per release (:func:`plot_series`), net change per day
(:func:`plot_change_table`), the lag between two sources (:func:`plot_lag`), claims against
the maps (:func:`plot_claims_report`) and the claims tracker's timeline
(:func:`plot_tracking`)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from ..errors import ArgumentError
from ..model.classes import PALETTE, SIDE_COLOURS, source_label
from ._base import SimpleMap, literal, new_axes, percent_formatter, side_colours
from ._captions import add_footer

__all__ = [
    "TRACK_MARKERS",
    "plot_change_table",
    "plot_claims_report",
    "plot_lag",
    "plot_series",
    "plot_tracking",
]


#: One colour per line of a chart, in order (the sides' colours first).
_LINE_COLOURS = (*SIDE_COLOURS, PALETTE["orange"], PALETTE["purple"], PALETTE["black"])


@literal
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

    note = ""
    grey = None
    if hasattr(shares_df, "frame"):  # a ShareSeries
        series = shares_df
        grey = getattr(series, "grey", None)
        shares_df = series.frame
        ylabel = f"share held by {series.side}"
        title = title or f"{source_label(series)}: share of each place held by {series.side}"
        note = f"grey zone counted as: {series.policy}"
        if getattr(series, "grey_note", None):
            note = "this source has no grey-zone class: the policies cannot differ"
        if any(getattr(series, "approximate", ())):
            approx = [p for p, a in zip(series.places, series.approximate, strict=False) if a]
            note += f"; approximate footprints: {', '.join(approx)}"
    ax = new_axes(ax, figsize=(9, 4.5))
    x = np.asarray(shares_df.index)
    for i, col in enumerate(shares_df.columns):
        ax.plot(
            x,
            np.asarray(shares_df[col], dtype=float),
            marker="o",
            ms=3,
            lw=1.6,
            color=_LINE_COLOURS[i % len(_LINE_COLOURS)],
            label=str(col),
        )
        if grey is not None and col in grey.columns:  # the grey zone's share, beside the held share
            ax.plot(
                x,
                np.asarray(grey[col], dtype=float),
                ls=":",
                lw=1.4,
                color=_LINE_COLOURS[i % len(_LINE_COLOURS)],
                label=f"{col}: grey zone",
            )
    if threshold is not None:
        ax.axhline(threshold, ls="--", lw=1, color="black")
        ax.text(ax.get_xlim()[0], threshold, f" {threshold:.0%}", va="bottom", fontsize=8)
    ax.set_ylim(0.0, 1.0)
    ax.yaxis.set_major_formatter(percent_formatter())
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if len(x) and isinstance(x[0], dt.date | np.datetime64):
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if title:
        ax.set_title(title, fontsize=11)
    if note:
        add_footer(ax, note, y=-0.12)
    return ax


@literal
def plot_change_table(table, ax=None, *, side: str | None = None, **style):
    """Net change per day and its rolling mean for one side (a ChangeTable).

    Examples
    --------
    >>> ax = table.plot(side="RU")   # doctest: +SKIP
    """
    import matplotlib.dates as mdates

    side = side or (table.sides[0] if table.sides else None)
    ax = new_axes(ax, figsize=(9, 4))
    colour = side_colours(table.sides or ()).get(side, PALETTE["vermillion"])
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
        f"{source_label(SimpleMap(table.source))}: net change{' in ' + table.aoi if table.aoi else ''}",
        fontsize=11,
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8, frameon=False)
    return ax


def _lines(ax, frame, **style):
    """One line per column of ``frame`` against its index, in :data:`_LINE_COLOURS`."""
    for i, col in enumerate(frame.columns):
        colour = _LINE_COLOURS[i % len(_LINE_COLOURS)]
        kw = {"marker": "o", "ms": 3, "lw": 1.6, "color": colour, "label": str(col), **style}
        ax.plot(np.asarray(frame.index), np.asarray(frame[col], dtype=float), **kw)


@literal
def plot_lag(lag, ax=None, **style):
    """Mean squared share difference against shift, one line per place (a SourceLag).

    Examples
    --------
    >>> ax = mapdiff.source_lag(deepstate, nzz).plot()   # doctest: +SKIP
    """

    ax = new_axes(ax, figsize=(7, 4))
    _lines(ax, lag.curves, **{"marker": None, **style})
    ax.axvline(0, color=PALETTE["grey"], lw=0.8)
    ax.set_xlabel(f"days {lag.follower} trails {lag.leader}")
    ax.set_ylabel("mean squared share difference")
    ax.set_title(f"Lag of {lag.follower} behind {lag.leader}", fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8, frameon=False)
    return ax


@literal
def plot_claims_report(report, ax=None, **style):
    """Share held (bars) against the claimed share (ticks), per claim and map (a ClaimChecks).

    Examples
    --------
    >>> ax = ledger.check(maps).plot()   # doctest: +SKIP
    """
    import html as _html

    rows = [r for r in report.rows if r["share"] is not None]
    ax = new_axes(ax, figsize=(8, 0.8 + 0.45 * max(len(rows), 1)))
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


@literal
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
    import matplotlib.pyplot as plt

    prim = [r for r in rows if r.get("primary", True)]
    places = _tracked_places(prim, curves, places)
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
    for ax, place in zip(axes, places, strict=False):
        _track_panel(ax, place, prim, curves, colour, threshold, window_days)
    kinds = list(dict.fromkeys(r["kind"] for r in prim if r["place"] in places))
    fig.legend(
        handles=_tracking_handles(sources, colour, kinds, threshold),
        loc="outside lower center",
        ncol=3,
        fontsize=8,
        frameon=False,
    )
    return fig


def _tracked_places(prim, curves, places) -> list[str]:
    """The towns :func:`plot_tracking` draws: those given, else every town with a claim (most
    claims first); each must have a share curve."""
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
    return places


def _track_panel(ax, place, prim, curves, colour, threshold, window_days) -> None:
    """One town's panel: each source's share curve, the claims marked, the axes labelled."""
    import matplotlib.dates as mdates

    day = np.timedelta64(1, "D")
    claims = [r for r in prim if r["place"] == place]
    dates = [np.datetime64(r["date"]) for r in claims]
    dates += [
        np.datetime64(r["first_shown"]) for r in claims if r.get("first_shown") and r["status"] == "confirmed"
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
    nudge = (hi - lo) / 120 if lo is not None else np.timedelta64(0, "D")
    _claim_marks(ax, place, claims, curves, colour, nudge)
    ax.set_ylim(-3, 108)
    if lo is not None:
        ax.set_xlim(lo, hi)
    ax.set_ylabel("share held (%)")
    rung = ", ".join(dict.fromkeys(r for r in rungs if r))
    ax.set_title(
        f"{place} (approximate footprint)" if approx else f"{place} (footprint: {rung})" if rung else place,
        fontsize=10,
        loc="left",
    )
    ax.grid(alpha=0.25)
    loc = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))


def _claim_marks(ax, place, claims, curves, colour, nudge) -> None:
    """Each claim as a line in the claimant's colour with a marker per kind (markers of one
    date side by side), and an arrow to the first release of each source that showed it."""
    seen_claims = set()
    per_day: dict = {}  # markers already drawn on a date: the next one moves right
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


def _tracking_handles(sources, colour, kinds, threshold) -> list:
    """The legend of :func:`plot_tracking`: sources, claimants, claim kinds, threshold, arrow."""
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=colour[s], lw=1.5, label=f"{s} (RU share solid, UA dotted)") for s in sources
    ]
    handles += [
        Line2D([], [], color=_CLAIMANT_COLOURS[k], lw=0.8, label=f"claim by {k} side") for k in ("RU", "UA")
    ]
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
    return handles
