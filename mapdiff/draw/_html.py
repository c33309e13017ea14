"""What every mapdiff web page shares: one stylesheet, escaping, numbers and tables as text.

A private module: its names are for :mod:`mapdiff.draw.report` and :mod:`mapdiff.draw.site`.
Every string that came from data goes through :func:`esc`.
"""

from __future__ import annotations

import html
import math

CSS = """
:root { --ink: #1d1d1d; --muted: #5b5b5b; --rule: #d9d9d9; --ru: #D55E00; --ua: #0072B2; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: #fff; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: 0.5rem 0; }
h2 { font-size: 1.15rem; margin: 1.75rem 0 0.5rem; border-bottom: 1px solid var(--rule); }
.headline { font-size: 1.15rem; margin: 0.5rem 0 1rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: 0.75rem; }
.card { border: 1px solid var(--rule); border-radius: 6px; padding: 0.6rem 0.8rem; }
.card b { display: block; font-size: 1.35rem; }
.card span { color: var(--muted); font-size: 0.9rem; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-size: 0.95rem; }
th, td { text-align: left; padding: 0.35rem 0.5rem; border-bottom: 1px solid var(--rule);
  vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.verdict { font-weight: 600; white-space: nowrap; }
.flag { color: #8a4b00; font-size: 0.85rem; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption, .muted, footer { color: var(--muted); font-size: 0.9rem; }
ul.notes li { margin: 0.3rem 0; }
code { font-size: 0.85rem; word-break: break-all; }
@media (max-width: 40rem) {
  body { font-size: 15px; }
  main { padding: 0.6rem; }
  th, td { padding: 0.3rem 0.35rem; }
  .hide-narrow { display: none; }
}
"""


def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def km2(x, signed=False) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{x:+,.2f} km²" if signed else f"{x:,.2f} km²"


def claim_words(c: dict) -> str:
    """A ledger claim row (a ``report.json`` claim) in words, as every page prints it.

    Examples
    --------
    >>> claim_words({"kind": "share", "side": "RU", "claimed": 0.7, "place": "Pokrovsk"})
    'RU holds 70.0% of Pokrovsk'
    >>> claim_words({"kind": "not_captured", "side": "RU", "place": "Pokrovsk"})
    'Pokrovsk not captured by RU'
    """
    kind = c.get("kind")
    if kind == "share":
        return f"{c.get('side')} holds {pct(c.get('claimed'))} of {c.get('place')}"
    return f"{c.get('place')} {str(kind).replace('_', ' ')} by {c.get('side')}"


def pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def table(head: list[tuple[str, str]], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f'<p class="muted">{esc(empty)}</p>'
    th = "".join(f'<th class="{c}">{esc(h)}</th>' for h, c in head)
    body = "".join(
        "<tr>" + "".join(f'<td class="{c}">{v}</td>' for v, (_h, c) in zip(r, head, strict=True)) + "</tr>"
        for r in rows
    )
    return f'<div class="scroll"><table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table></div>'
