"""The pages of the ``mapdiff update`` site, drawn from its plain JSON data only.

:func:`render_index` (the front page: every source's newest map), :func:`render_archive`
(every processed release) and :func:`render_feed` (Atom) take the dict the command
writes as ``index.json``; nothing here reads a map or a clock. Like the release report
(:mod:`mapdiff.draw.report`): no script, no web font, no network, every string from data
escaped, a layout that reads on a phone.
"""

from __future__ import annotations

from xml.sax.saxutils import escape as _xml

from ._html import CSS, claim_words, esc, km2, pct, table

__all__ = ["render_archive", "render_feed", "render_index"]

_SITE_CSS = (
    CSS
    + """
.stale { color: #8a1c00; font-weight: 600; }
nav a { margin-right: 1rem; }
.bar { display: flex; height: 0.8rem; min-width: 6rem; border: 1px solid var(--rule); }
.bar i { display: block; height: 100%; }
.bar .ru { background: var(--ru); } .bar .grey { background: #b0b0b0; } .bar .rest { background: var(--ua); }
"""
)


def _page(title: str, body: str, *, root: str = "") -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="mapdiff">
<title>{esc(title)}</title>
<link rel="alternate" type="application/atom+xml" title="New releases and decided claims"
 href="{root}feed.xml">
<style>{_SITE_CSS}</style>
</head>
<body>
<main>
<nav><a href="{root}index.html">Newest maps</a><a href="{root}archive.html">Archive</a>
<a href="{root}feed.xml">Feed</a></nav>
{body}
</main>
</body>
</html>
"""


def _source_label(s: dict) -> str:
    lean = f' <span class="muted">({esc(s["lean"])})</span>' if s.get("lean") else ""
    return f"{esc(s.get('display') or s.get('name'))}{lean}"


def _stale(s: dict) -> str:
    st = s.get("stale")
    if not st:
        return ""
    since = st.get("since") or "its first release"
    return (
        f'<br><span class="stale">stale since {esc(since)}</span>: '
        f'<span class="muted">{esc(st.get("reason"))}</span>'
    )


def _claim_rows(claims) -> list[list[str]]:
    rows = []
    for c in claims:
        rows.append(
            [
                esc(c.get("who")) + f'<br><span class="muted">{esc(c.get("date"))}</span>',
                esc(claim_words(c)),
                f'<a href="{esc(c.get("page"))}">{esc(c.get("display"))} {esc(c.get("release"))}</a>',
                esc(pct(c.get("share"))),
                f'<span class="verdict">{esc(c.get("verdict"))}</span>',
            ]
        )
    return rows


def render_index(doc: dict) -> str:
    """The front page (HTML text) from the site's ``index.json`` dict."""
    title = doc.get("title") or "Every side's map"
    sources = doc.get("sources", [])
    summ = doc.get("summary") or {}
    display = {s["name"]: s.get("display") or s["name"] for s in sources}
    src_table = _sources_table(sources)
    share_table = _shares_table(summ, display)
    cons_html = _consensus(summ, display)
    fig_html = _figures(doc)
    claims = table(
        [("who, when", ""), ("claim", ""), ("checked on", ""), ("map shows", "num"), ("verdict", "")],
        _claim_rows(doc.get("claims", [])),
        "No ledger claim decided yet.",
    )
    tracking = _tracking(summ, display)
    notes = "".join(f"<li>{esc(n)}</li>" for n in doc.get("notes", []))
    asof = f" — the newest of {esc(doc['updated'])}" if doc.get("updated") else ""
    body = f"""<h1>{esc(title)}</h1>
<p class="headline">Every source's newest release{asof}.</p>
<h2>Sources</h2>
{src_table}
<h2>Watched places on every map</h2>
{share_table}
<h2>Every side's map</h2>
{fig_html}
<h2>Where the maps agree</h2>
{cons_html}
<h2>Latest decided claims</h2>
{claims}
<h2>Claims and the maps: who said it first</h2>
{tracking}
<h2>Notes</h2>
<ul class="notes">{notes}</ul>
<footer><p>Areas in km² in a local equal-area projection. The data of this page:
<a href="index.json">index.json</a>; what was processed: <a href="state.json">state.json</a>.</p></footer>"""
    return _page(title, body)


def render_archive(doc: dict) -> str:
    """The archive page: every processed release of every source, newest first."""
    title = (doc.get("title") or "Every side's map") + ": archive"
    parts = [f"<h1>{esc(title)}</h1>"]
    for s in doc.get("sources", []):
        rows = []
        for r in reversed(s.get("history", [])):
            link = f'<a href="{esc(r["page"])}">{esc(r["date"])}</a>' if r.get("page") else esc(r["date"])
            net = r.get("net_km2")
            rows.append(
                [
                    link,
                    esc(r.get("previous") or "first release (no comparison)"),
                    esc("–" if net is None else km2(net, signed=True)),
                    esc(str(r.get("claims", 0))),
                ]
            )
        parts.append(f"<h2>{_source_label(s)}{_stale(s)}</h2>")
        parts.append(
            table(
                [("release", ""), ("compared with", ""), ("RU net", "num"), ("claims decided", "num")],
                rows,
                "No release processed yet.",
            )
        )
        for sk in s.get("skipped", []):
            parts.append(f'<p class="flag">Skipped {esc(sk.get("date"))}: {esc(sk.get("reason"))}</p>')
    return _page(title, "\n".join(parts))


def render_feed(doc: dict, *, base_url: str = "") -> str:
    """An Atom feed of the processed releases and the claims they decided (newest first)."""
    title = doc.get("title") or "Every side's map"
    entries = []
    for s in doc.get("sources", []):
        for r in s.get("history", []):
            if not r.get("page"):
                continue
            net = r.get("net_km2")
            summary = f"{s.get('display')} release {r['date']} against {r.get('previous')}" + (
                "" if net is None else f": RU net {km2(net, signed=True)}"
            )
            entries.append(
                (
                    r["date"],
                    f"release/{s['name']}/{r['date']}",
                    f"{s.get('display')} {r['date']}",
                    r["page"],
                    summary,
                )
            )
    for c in doc.get("all_claims", []):
        text = (
            f"{c.get('who')} {c.get('date')}: {c.get('place')} {str(c.get('kind')).replace('_', ' ')} "
            f"({c.get('side')}) — {c.get('verdict')} on the {c.get('display')} map of {c.get('release')}"
        )
        day = c.get("report") or c["release"]  # the release whose report decided it
        entries.append((day, f"claim/{c['source']}/{day}/{c.get('id')}", text, c["page"], text))
    entries.sort(key=lambda e: (e[0], e[1]), reverse=True)
    entries = entries[:100]
    updated = entries[0][0] if entries else "1970-01-01"
    items = "".join(
        f"<entry><id>tag:mapdiff,2025:{_xml(eid)}</id><title>{_xml(t)}</title>"
        f'<link href="{_xml(base_url + href)}"/><updated>{_xml(day)}T00:00:00Z</updated>'
        f"<summary>{_xml(summ)}</summary></entry>\n"
        for day, eid, t, href, summ in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"<id>tag:mapdiff,2025:{_xml(title)}</id><title>{_xml(title)}</title>"
        f"<updated>{updated}T00:00:00Z</updated><author><name>mapdiff</name></author>\n{items}</feed>\n"
    )


def _sources_table(sources) -> str:
    """One row per source: its newest release (linked), what it was compared with, RU's net change."""
    rows = []
    for s in sources:
        newest = s.get("newest")
        link = f'<a href="{esc(s["page"])}">{esc(newest)}</a>' if s.get("page") else esc(newest or "none yet")
        net = s.get("net_km2")
        rows.append(
            [
                _source_label(s) + _stale(s),
                link,
                esc(s.get("previous") or "–"),
                esc("–" if net is None else km2(net, signed=True)),
                esc(str(s.get("releases", 0))),
            ]
        )
    return table(
        [
            ("source", ""),
            ("newest release", ""),
            ("compared with", "hide-narrow"),
            ("RU net", "num"),
            ("releases", "num hide-narrow"),
        ],
        rows,
        "No release processed yet.",
    )


def _shares_table(summ: dict, display: dict) -> str:
    """Each watched place on each source's newest map: held, grey zone, the rest, and a bar."""
    share_rows = []
    for r in summ.get("shares", []):
        flag = ' <span class="flag">approximate footprint</span>' if r.get("approximate") else ""
        held, grey, other = r.get("held"), r.get("grey"), r.get("other")
        bar = (
            '<div class="bar" aria-hidden="true">'
            + "".join(
                f'<i class="{c}" style="width:{100 * v:.1f}%"></i>'
                for c, v in (("ru", held), ("grey", grey), ("rest", other))
                if v
            )
            + "</div>"
            if held is not None
            else esc(r.get("note") or "not covered")
        )
        share_rows.append(
            [
                esc(r.get("place")) + flag,
                esc(display.get(r.get("source"), r.get("source")))
                + f'<br><span class="muted">{esc(r.get("as_of"))}</span>',
                f'<span class="share" data-place="{esc(r.get("place"))}" '
                f'data-source="{esc(r.get("source"))}">'
                f"{esc(pct(held))}</span>",
                esc(pct(grey))
                if grey is not None
                else f'<span class="flag">{esc(r.get("note") or "–")}</span>',
                esc(pct(other)),
                bar,
            ]
        )
    return table(
        [
            ("place", ""),
            ("map", ""),
            (f"held by {summ.get('side', 'RU')}", "num"),
            ("grey zone", "num"),
            ("rest", "num"),
            ("", "hide-narrow"),
        ],
        share_rows,
        "No place watched.",
    )


def _consensus(summ: dict, display: dict) -> str:
    """Where the newest maps agree: the km² each label is said by k sources, and each pair's disagreement."""
    cons = summ.get("consensus")
    if cons:
        pair_rows = [
            [esc(display.get(p["a"], p["a"])), esc(display.get(p["b"], p["b"])), esc(km2(p["km2"]))]
            for p in cons.get("pairwise_km2", [])
        ]
        n = len(cons.get("sources", []))
        agree = [
            [esc(a["label"]), esc(f"{a['k']} of {n}"), esc(km2(a["km2"]))]
            for a in sorted(cons.get("agreement", []), key=lambda a: (a["label"], -a["k"]))
        ]
        return (
            f'<p class="muted">Over the watched places grown by {cons.get("aoi_km", 0):g} km '
            f"({esc(km2(cons.get('aoi_km2')))}), each source's newest map.</p>"
            + table([("label", ""), ("said by", "num"), ("area", "num")], agree, "")
            + "<h3>Pairwise disagreement</h3>"
            + table([("map", ""), ("against", ""), ("disagree over", "num")], pair_rows, "")
        )
    return f'<p class="muted">{esc(summ.get("consensus_note") or "Nothing to compare.")}</p>'


def _figures(doc: dict) -> str:
    """The every-side figure (and the history figure when there is one)."""
    fig = doc.get("figure")
    fig_html = (
        f'<figure><img src="{esc(fig["src"])}" alt="{esc(fig.get("alt"))}" loading="lazy">'
        f'<figcaption>{esc(fig.get("caption"))} (<a href="{esc(fig["svg"])}">SVG</a>)</figcaption></figure>'
        if fig
        else '<p class="muted">No figure: no watched place, or no map yet.</p>'
    )
    hfig = doc.get("history_figure")
    if hfig:
        fig_html += (
            f'<figure><img src="{esc(hfig["src"])}" alt="{esc(hfig.get("alt"))}" loading="lazy">'
            f"<figcaption>{esc(hfig.get('caption'))} "
            f'(<a href="{esc(hfig["svg"])}">SVG</a>)</figcaption></figure>'
        )
    return fig_html


def _tracking(summ: dict, display: dict) -> str:
    """Who said it first: per claimant and map, the median lead of the claims over the map."""
    track_rows = [
        [
            esc(r.get("name")),
            esc(display.get(r.get("source"), r.get("source"))),
            esc(f"{r.get('tracked', 0)} of {r.get('claims', 0)}"),
            esc("–" if r.get("lead_median") is None else f"{r['lead_median']:+.0f} d"),
            esc(pct(r.get("within_7d"))),
            esc(str(r.get("never", 0))),
        ]
        for r in summ.get("tracking") or []
        if r.get("tracked")
    ]
    return (
        '<p class="muted">Each claim of the ledger against every release processed: how many days '
        "before the map showed it the claimant said it (the lead; negative: the map showed it first).</p>"
        + table(
            [
                ("claimant", ""),
                ("map", ""),
                ("tracked", "num"),
                ("median lead", "num"),
                ("shown within 7 d", "num"),
                ("never shown", "num"),
            ],
            track_rows,
            "No claim could be tracked on these releases.",
        )
        + '<p class="muted">Every row: <a href="tracking.json">tracking.json</a>.</p>'
        if summ.get("tracking") is not None
        else '<p class="muted">No ledger.</p>'
    )
