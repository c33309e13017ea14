"""The pages of the ``mapdiff update`` site, drawn from its plain JSON data only.

:func:`render_index` (the front page: every source's newest map), :func:`render_archive`
(every processed release) and :func:`render_feed` (Atom) take the dict the command
writes as ``index.json``; nothing here reads a map or a clock. Like the release report
(:mod:`mapdiff.draw.report`): no script, no web font, no network, every string from data
escaped, a layout that reads on a phone.
"""

from __future__ import annotations

from xml.sax.saxutils import escape as _xml

from .report import _CSS, _e, _km2, _pct, _table, claim_words

__all__ = ["render_archive", "render_feed", "render_index"]

_SITE_CSS = (
    _CSS
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
<title>{_e(title)}</title>
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
    lean = f' <span class="muted">({_e(s["lean"])})</span>' if s.get("lean") else ""
    return f"{_e(s.get('display') or s.get('name'))}{lean}"


def _stale(s: dict) -> str:
    st = s.get("stale")
    if not st:
        return ""
    since = st.get("since") or "its first release"
    return (
        f'<br><span class="stale">stale since {_e(since)}</span>: '
        f'<span class="muted">{_e(st.get("reason"))}</span>'
    )


def _claim_rows(claims) -> list[list[str]]:
    rows = []
    for c in claims:
        rows.append(
            [
                _e(c.get("who")) + f'<br><span class="muted">{_e(c.get("date"))}</span>',
                _e(claim_words(c)),
                f'<a href="{_e(c.get("page"))}">{_e(c.get("display"))} {_e(c.get("release"))}</a>',
                _e(_pct(c.get("share"))),
                f'<span class="verdict">{_e(c.get("verdict"))}</span>',
            ]
        )
    return rows


def render_index(doc: dict) -> str:
    """The front page (HTML text) from the site's ``index.json`` dict."""
    title = doc.get("title") or "Every side's map"
    sources = doc.get("sources", [])
    rows = []
    for s in sources:
        newest = s.get("newest")
        link = f'<a href="{_e(s["page"])}">{_e(newest)}</a>' if s.get("page") else _e(newest or "none yet")
        net = s.get("net_km2")
        rows.append(
            [
                _source_label(s) + _stale(s),
                link,
                _e(s.get("previous") or "–"),
                _e("–" if net is None else _km2(net, signed=True)),
                _e(str(s.get("releases", 0))),
            ]
        )
    src_table = _table(
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
    summ = doc.get("summary") or {}
    display = {s["name"]: s.get("display") or s["name"] for s in sources}
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
            else _e(r.get("note") or "not covered")
        )
        share_rows.append(
            [
                _e(r.get("place")) + flag,
                _e(display.get(r.get("source"), r.get("source")))
                + f'<br><span class="muted">{_e(r.get("as_of"))}</span>',
                f'<span class="share" data-place="{_e(r.get("place"))}" data-source="{_e(r.get("source"))}">'
                f"{_e(_pct(held))}</span>",
                _e(_pct(grey))
                if grey is not None
                else f'<span class="flag">{_e(r.get("note") or "–")}</span>',
                _e(_pct(other)),
                bar,
            ]
        )
    share_table = _table(
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
    cons = summ.get("consensus")
    if cons:
        pair_rows = [
            [_e(display.get(p["a"], p["a"])), _e(display.get(p["b"], p["b"])), _e(_km2(p["km2"]))]
            for p in cons.get("pairwise_km2", [])
        ]
        n = len(cons.get("sources", []))
        agree = [
            [_e(a["label"]), _e(f"{a['k']} of {n}"), _e(_km2(a["km2"]))]
            for a in sorted(cons.get("agreement", []), key=lambda a: (a["label"], -a["k"]))
        ]
        cons_html = (
            f'<p class="muted">Over the watched places grown by {cons.get("aoi_km", 0):g} km '
            f"({_e(_km2(cons.get('aoi_km2')))}), each source's newest map.</p>"
            + _table([("label", ""), ("said by", "num"), ("area", "num")], agree, "")
            + "<h3>Pairwise disagreement</h3>"
            + _table([("map", ""), ("against", ""), ("disagree over", "num")], pair_rows, "")
        )
    else:
        cons_html = f'<p class="muted">{_e(summ.get("consensus_note") or "Nothing to compare.")}</p>'
    fig = doc.get("figure")
    fig_html = (
        f'<figure><img src="{_e(fig["src"])}" alt="{_e(fig.get("alt"))}" loading="lazy">'
        f'<figcaption>{_e(fig.get("caption"))} (<a href="{_e(fig["svg"])}">SVG</a>)</figcaption></figure>'
        if fig
        else '<p class="muted">No figure: no watched place, or no map yet.</p>'
    )
    hfig = doc.get("history_figure")
    if hfig:
        fig_html += (
            f'<figure><img src="{_e(hfig["src"])}" alt="{_e(hfig.get("alt"))}" loading="lazy">'
            f"<figcaption>{_e(hfig.get('caption'))} "
            f'(<a href="{_e(hfig["svg"])}">SVG</a>)</figcaption></figure>'
        )
    claims = _table(
        [("who, when", ""), ("claim", ""), ("checked on", ""), ("map shows", "num"), ("verdict", "")],
        _claim_rows(doc.get("claims", [])),
        "No ledger claim decided yet.",
    )
    track_rows = [
        [
            _e(r.get("name")),
            _e(display.get(r.get("source"), r.get("source"))),
            _e(f"{r.get('tracked', 0)} of {r.get('claims', 0)}"),
            _e("–" if r.get("lead_median") is None else f"{r['lead_median']:+.0f} d"),
            _e(_pct(r.get("within_7d"))),
            _e(str(r.get("never", 0))),
        ]
        for r in summ.get("tracking") or []
        if r.get("tracked")
    ]
    tracking = (
        '<p class="muted">Each claim of the ledger against every release processed: how many days '
        "before the map showed it the claimant said it (the lead; negative: the map showed it first).</p>"
        + _table(
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
    notes = "".join(f"<li>{_e(n)}</li>" for n in doc.get("notes", []))
    asof = f" — the newest of {_e(doc['updated'])}" if doc.get("updated") else ""
    body = f"""<h1>{_e(title)}</h1>
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
    parts = [f"<h1>{_e(title)}</h1>"]
    for s in doc.get("sources", []):
        rows = []
        for r in reversed(s.get("history", [])):
            link = f'<a href="{_e(r["page"])}">{_e(r["date"])}</a>' if r.get("page") else _e(r["date"])
            net = r.get("net_km2")
            rows.append(
                [
                    link,
                    _e(r.get("previous") or "first release (no comparison)"),
                    _e("–" if net is None else _km2(net, signed=True)),
                    _e(str(r.get("claims", 0))),
                ]
            )
        parts.append(f"<h2>{_source_label(s)}{_stale(s)}</h2>")
        parts.append(
            _table(
                [("release", ""), ("compared with", ""), ("RU net", "num"), ("claims decided", "num")],
                rows,
                "No release processed yet.",
            )
        )
        for sk in s.get("skipped", []):
            parts.append(f'<p class="flag">Skipped {_e(sk.get("date"))}: {_e(sk.get("reason"))}</p>')
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
                "" if net is None else f": RU net {_km2(net, signed=True)}"
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
