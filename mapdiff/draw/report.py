"""The release report as one self-contained HTML page, drawn from the report's dict only.

:func:`render_html` takes what :meth:`mapdiff.history.report.Report.to_dict` returns (plain JSON
data, no analysis object) and the figures already saved beside the page, and returns the
page: no script, no web font, no network (images are linked relatively), every string
from data escaped, and a layout that reads on a phone (viewport meta, fluid tables and
images).
"""

from __future__ import annotations

import numpy as np
import shapely

from ..model.classes import PALETTE, SIDE_COLOURS
from ..model.measure import to_equal_area
from ..places import admin
from ..places.footprints import footprint
from ._base import add_legend, fill_polygons, new_axes, north_arrow, outline, scale_bar, set_extent
from ._html import CSS, claim_words, esc, km2, pct, table
from .placement import place_label

__all__ = ["plot_settlements_changed", "render_html"]


_SOURCE_TITLES = {"deepstate": "DeepStateMap", "nzz": "NZZ / Liveuamap", "isw": "ISW"}


def _pp(x) -> str:
    return "–" if x is None else f"{x:+.2f} pp"


def _where(area: dict) -> str:
    """ "7.8 km W of Novohrodivka" (or "in Pokrovsk" within half a km)."""
    name, km, direction = area.get("near"), area.get("near_km"), area.get("direction")
    if name is None or km is None:
        return f"{area.get('lat', 0):.4f} N, {area.get('lon', 0):.4f} E"
    text = f"in {name}" if km < 0.5 else f"{km:.1f} km {direction} of {name}"
    town, town_km = area.get("town"), area.get("town_km")
    if town and town != name and town_km is not None:
        text += f" ({town} {town_km:.1f} km)"
    return text


def _status_text(status: str | None) -> str:
    """ "held:RU" -> "held by RU"."""
    if not status:
        return "–"
    return f"held by {status.split(':', 1)[1]}" if status.startswith("held:") else status


def _status_colour(status: str, sides: list) -> str:
    if status.startswith("held:"):
        side = status.split(":", 1)[1]
        k = sides.index(side) if side in sides else len(sides)
        return SIDE_COLOURS[k % len(SIDE_COLOURS)]
    return {"grey": PALETTE["grey"], "contested": PALETTE["yellow"]}.get(status, PALETTE["light"])


def plot_settlements_changed(report: dict, ax=None):
    """Locator map of the settlements that changed hands in a release report.

    The oblasts at war (``report["regions"]``) outlined, every settlement of
    ``report["settlements_changed"]`` filled (its polygon or its approximate disc) and
    marked in the colour of its new status, and labelled with its name; true to scale.

    Parameters
    ----------
    report : dict
        :meth:`mapdiff.history.report.Report.to_dict`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        Empty list of settlements: an :class:`ValueError` (nothing to locate).
    """
    moved = report.get("settlements_changed") or []
    if not moved:
        raise ValueError("no settlement changed status between the two releases: nothing to locate")
    sides = list(report.get("sides") or {})
    ax = new_axes(ax, figsize=(8, 7))
    geoms = [footprint(r["id"]).geometry for r in moved]
    oblasts = admin.geometries("oblast")
    outlines = [oblasts[r["id"]] for r in report.get("regions") or [] if r.get("id") in oblasts]
    view = shapely.union_all([*geoms, *[shapely.simplify(g, 0.01) for g in outlines]])
    centre = tuple(np.round(shapely.centroid(shapely.envelope(view)).coords[0], 3))
    for g in outlines:
        outline(ax, shapely.simplify(g, 0.005), centre, colour="#777777", lw=0.8, zorder=2)
    colours = [_status_colour(r["to"], sides) for r in moved]
    fill_polygons(ax, geoms, colours, centre, edgecolor="black", linewidth=0.6, zorder=4)
    pts = to_equal_area(shapely.points([(r["lon"], r["lat"]) for r in moved]), centre)
    set_extent(ax, view, centre, margin=0.06)
    for pt, c in zip(pts, colours, strict=True):
        ax.plot(pt.x, pt.y, "o", ms=6, mfc=c, mec="black", mew=0.8, zorder=6)
    for r, pt in zip(moved, pts, strict=True):  # labels placed clear of each other
        place_label(
            ax,
            r["name"] + (" *" if r.get("approximate") else ""),
            (pt.x, pt.y),
            fontsize=8,
            zorder=7,
            gid="settlement-label",
            bbox={"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 0.5},
        )
    scale_bar(ax)
    north_arrow(ax)
    seen = list(dict.fromkeys(r["to"] for r in moved))
    entries = [(f"now {_status_text(s)}", _status_colour(s, sides), None) for s in seen]
    add_legend(ax, entries, title="Settlements that changed status", lines=[("oblast", "#777777", "-", 0.8)])
    old, new = report.get("old", {}), report.get("new", {})
    ax.set_title(
        f"Settlements that changed status, {old.get('as_of') or 'old'} → {new.get('as_of') or 'new'}"
        + (" (* approximate footprint)" if any(r.get("approximate") for r in moved) else ""),
        fontsize=10,
    )
    return ax


def render_html(report: dict, *, figures=(), title: str | None = None) -> str:
    """The report page (HTML text) from a report's dict and its saved figures.

    Parameters
    ----------
    report : dict
        :meth:`mapdiff.history.report.Report.to_dict` (``type`` "release_report").
    figures : sequence of dict
        Each ``{"src": relative path, "alt": text, "caption": text}`` and optionally
        ``"svg"`` (relative path of the same figure as SVG).
    title : str, optional

    Returns
    -------
    str

    Examples
    --------
    >>> page = render_html({"type": "release_report", "old": {"source": "x", "as_of": "2025-11-20"},
    ...                     "new": {"source": "x", "as_of": "2025-11-27"}, "side": "RU",
    ...                     "sides": {"RU": {"gained_km2": 1.5, "lost_km2": 0.5, "net_km2": 1.0}}})
    >>> "RU gained 1.50 km²" in page and '<meta name="viewport"' in page
    True
    """
    if report.get("type") != "release_report":
        raise ValueError(f"render_html() takes a release report's dict, got type {report.get('type')!r}")
    old, new = report.get("old", {}), report.get("new", {})
    title, headline, cards = _heading(report, title)
    area_table = _areas_table(report)
    place_table = _places_table(report)
    claim_table = _claims_table(report)
    settle_table = _settlements_table(report)
    region_table = _regions_table(report)
    figs = _figures(figures)
    notes = "".join(f"<li>{esc(n)}</li>" for n in report.get("notes", []))
    prov = _provenance(old, new)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="mapdiff">
<title>{esc(title)}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<h1>{esc(title)}</h1>
<p class="headline" id="headline">{esc(headline)}</p>
<div class="cards">{cards}</div>
<h2>Largest changed areas</h2>
{area_table}
<h2>Watched towns</h2>
{place_table}
<h2>Settlements that changed hands</h2>
<p class="muted">Status of each settlement: held by a side at 50% or more of the land the map covers,
grey zone at 50% or more, else contested.</p>
{settle_table}
<h2>Region shares of the oblasts at war</h2>
<p class="muted">Share of each oblast held on {esc(new.get("as_of") or "the new release")}, and the change
in percentage points since {esc(old.get("as_of") or "the old release")}.</p>
{region_table}
<h2>Claims dated between the two releases</h2>
{claim_table}
<h2>Figures</h2>
{figs or '<p class="muted">No figure.</p>'}
<h2>Notes</h2>
<ul class="notes">{notes}</ul>
<footer>
<h2>Provenance</h2>
<ul>{prov}</ul>
<p>Areas in km² in a local equal-area projection. Built by mapdiff from
<a href="report.json">report.json</a> (the data on this page).</p>
</footer>
</main>
</body>
</html>
"""


def _heading(report: dict, title: str | None) -> tuple[str, str, str]:
    """The page's title, headline (what the lead side gained and lost) and one card per side."""
    old, new = report.get("old", {}), report.get("new", {})
    src = _SOURCE_TITLES.get(new.get("source"), new.get("source") or "map")
    side = report.get("side")
    sides = report.get("sides", {})
    days = report.get("days")
    period = f"{old.get('as_of') or 'undated'} → {new.get('as_of') or 'undated'}"
    title = title or f"{src}: what changed {period}"
    main_side = sides.get(side, {})
    headline = (
        f"{side} gained {km2(main_side.get('gained_km2'))}, lost {km2(main_side.get('lost_km2'))}, "
        f"net {km2(main_side.get('net_km2'), signed=True)}"
        + (f" in {days} days" if days is not None else "")
        + "."
        if side
        else "No side holds ground on either map."
    )
    cards = "".join(
        f'<div class="card" data-side="{esc(s)}"><span>{esc(s)} net</span>'
        f'<b class="net">{esc(km2(v.get("net_km2"), signed=True))}</b>'
        f"<span>gained {esc(km2(v.get('gained_km2')))} · lost {esc(km2(v.get('lost_km2')))}</span></div>"
        for s, v in sides.items()
    )
    return title, headline, cards


def _areas_table(report: dict) -> str:
    """The largest changed areas: who gained each, how much, and where."""
    areas = [
        [
            str(i),
            esc(a.get("side")),
            esc(km2(a.get("area_km2"))),
            esc(_where(a)),
            esc(f"{a.get('lat', 0):.4f} N, {a.get('lon', 0):.4f} E"),
        ]
        for i, a in enumerate(report.get("areas", []), start=1)
    ]
    return table(
        [("#", "num"), ("gained by", ""), ("area", "num"), ("where", ""), ("point", "hide-narrow")],
        areas,
        "No land changed hands between the two releases.",
    )


def _places_table(report: dict) -> str:
    """The watched towns: the share held at each release and the change."""
    old, new = report.get("old", {}), report.get("new", {})
    places = []
    for p in report.get("places", []):
        flag = ' <span class="flag">approximate footprint</span>' if p.get("approximate") else ""
        change = p.get("change_pp")
        places.append(
            [
                esc(p.get("place")) + flag,
                esc(p.get("side")),
                esc(pct(p.get("share_old"))),
                esc(pct(p.get("share_new"))),
                esc("–" if change is None else f"{change:+.1f} pp"),
                esc(f"{p.get('footprint_kind')}, {p.get('footprint_km2', 0):,.1f} km²"),
            ]
        )
    return table(
        [
            ("town", ""),
            ("side", ""),
            (f"held {old.get('as_of') or 'old'}", "num"),
            (f"held {new.get('as_of') or 'new'}", "num"),
            ("change", "num"),
            ("footprint", "hide-narrow"),
        ],
        places,
        "No town watched.",
    )


def _claims_table(report: dict) -> str:
    """The ledger's claims dated between the two releases, each with its verdict."""
    claims = []
    for c in report.get("claims", []):
        claims.append(
            [
                esc(c.get("who")) + f'<br><span class="muted">{esc(c.get("date"))}</span>',
                esc(claim_words(c)),
                esc(pct(c.get("share"))),
                f'<span class="verdict">{esc(c.get("verdict"))}</span>'
                + (f'<br><span class="muted">{esc(c.get("note"))}</span>' if c.get("note") else ""),
            ]
        )
    return table(
        [("who, when", ""), ("claim", ""), ("map shows", "num"), ("verdict on the release of its date", "")],
        claims,
        "No ledger claim falls between the two releases.",
    )


def _settlements_table(report: dict) -> str:
    """The settlements that changed status, by oblast."""
    settle = []
    by_oblast: dict = {}
    for r in report.get("settlements_changed", []) or []:
        by_oblast.setdefault(r.get("oblast") or "(no oblast)", []).append(r)
    for obl, rows in by_oblast.items():
        for k, r in enumerate(rows):
            flag = ' <span class="flag">approximate footprint</span>' if r.get("approximate") else ""
            parents = [p for p in r.get("parents") or [] if p != obl][:2]
            side = report.get("side")
            a, b = (r.get(w) or {} for w in ("before", "after"))
            settle.append(
                [
                    f"<b>{esc(obl)}</b>" if k == 0 else "",
                    esc(r.get("name")) + flag + f'<br><span class="muted">{esc(", ".join(parents))}</span>',
                    esc(_status_text(r.get("from"))),
                    esc(_status_text(r.get("to"))),
                    esc(f"{pct(a.get(side))} → {pct(b.get(side))}" if side else "–"),
                    f"<code>{esc(r.get('id'))}</code>",
                ]
            )
    side = report.get("side") or "side"
    return table(
        [("oblast", ""), ("settlement", ""), ("was", ""), ("now", ""), (f"{side} share", "num"),
         ("id", "hide-narrow")],
        settle,
        "No settlement changed status between the two releases.",
    )  # fmt: skip


def _regions_table(report: dict) -> str:
    """The share of each oblast at war held on the new release, and its change."""
    regions = []
    rsides = [k.removesuffix("_share") for k in (report.get("regions") or [{}])[0] if k.endswith("_share")]
    rsides = [s for s in rsides if s != "covered"]
    for r in report.get("regions", []) or []:
        cells = [esc(r.get("name"))]
        for s in rsides:
            pp = r.get(f"{s}_change_pp")
            cells.append(esc(pct(r.get(f"{s}_share"))) + f'<br><span class="muted">{esc(_pp(pp))}</span>')
        regions.append(cells)
    return table(
        [("oblast", "")] + [(f"{'grey zone' if s == 'grey' else s} (change)", "num") for s in rsides],
        regions,
        "No oblast has land held by RU on either release.",
    )


def _figures(figures) -> str:
    """The figures saved beside the page, each with its caption (and its SVG when there is one)."""
    return "".join(
        f'<figure><img src="{esc(f["src"])}" alt="{esc(f.get("alt", ""))}" loading="lazy">'
        f"<figcaption>{esc(f.get('caption', ''))}"
        + (f' (<a href="{esc(f["svg"])}">SVG</a>)' if f.get("svg") else "")
        + "</figcaption></figure>"
        for f in figures
    )


def _provenance(old: dict, new: dict) -> str:
    """The two releases: source, date, path and SHA-256."""
    return "".join(
        f"<li>{esc(role)}: {esc(m.get('source'))} {esc(m.get('as_of'))}"
        + (f" — <code>{esc(m.get('path'))}</code>" if m.get("path") else "")
        + (f" sha256 <code>{esc(m.get('sha256'))}</code>" if m.get("sha256") else "")
        + "</li>"
        for role, m in (("old", old), ("new", new))
    )
