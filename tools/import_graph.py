"""Draw the package's import graph by unit and layer: docs/img/import-graph.png and .txt.

Usage::

    python tools/import_graph.py          # writes both files
    python tools/import_graph.py --check  # exits 1 when the .txt is not the current graph

A unit is a package (``comparison``, ``history``, ...) or, for ``io``, the formats apart
from the reading pipeline; layers come from ``tests/test_layout.py`` (``LAYERS``), and so
does the graph, read from the source. Edges to ``draw`` that only ``plot``/``explore``
delegates make are dashed. ``tests/test_layout.py`` checks that the .txt is current.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_layout import DELEGATES, import_graph, layer  # noqa: E402

OUT = ROOT / "docs" / "img"


def unit(module: str) -> str:
    """The box a module is drawn in: its layer's name for the base, else its package."""
    name = layer(module)[1]
    parts = module.split(".")
    if module == "mapdiff" or name in ("base", "cli"):
        return name
    if parts[1] == "io":
        return "io (reading)" if name == "reading" else "io (formats)"
    if parts[1].startswith("_"):
        return name
    if parts[1] == "claims" and name != "analyses":
        return "claims (across sources)"
    if parts[1] == "history" and name == "analyses":
        return "history (engine)"
    return parts[1]


def edges() -> dict[tuple[str, str], bool]:
    """(from unit, to unit) -> True when only delegates make the edge."""
    out: dict[tuple[str, str], bool] = {}
    for m, es in import_graph().items():
        for t, func in es:
            a, b = unit(m), unit(t)
            if a == b:
                continue
            only_delegate = t.startswith("mapdiff.draw") and func in DELEGATES
            out[(a, b)] = out.get((a, b), True) and only_delegate
    return dict(sorted(out.items()))


def text(es) -> str:
    lines = ["# mapdiff import graph by unit (tools/import_graph.py); '..' = only plot/explore delegates"]
    lines += [f"{a} {'..>' if d else '-->'} {b}" for (a, b), d in es.items()]
    return "\n".join(lines) + "\n"


def _reduced(es) -> dict[tuple[str, str], bool]:
    """The edges a reader needs: none to ``base`` (everything uses it) and none implied by a
    longer path (transitive reduction; the .txt lists them all)."""
    solid = {(a, b) for (a, b), d in es.items() if not d and b != "base"}
    succ: dict[str, set[str]] = defaultdict(set)
    for a, b in solid:
        succ[a].add(b)

    def reach(start, skip):
        seen, todo = set(), [n for n in succ[start] if (start, n) != skip]
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(succ[n])
        return seen

    keep = {e: False for e in solid if e[1] not in reach(e[0], e)}
    keep.update({e: True for e, d in es.items() if d})
    return keep


def draw(es, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rank: dict[str, int] = {}
    for m in import_graph():
        rank[unit(m)] = min(rank.get(unit(m), 99), layer(m)[0])
    rows: dict[int, list[str]] = defaultdict(list)
    for u, r in sorted(rank.items(), key=lambda x: (x[1], x[0])):
        rows[r].append(u)
    row_of = {r: i for i, r in enumerate(sorted(rows))}  # no empty rows
    pos = {}
    for r, us in rows.items():
        for i, u in enumerate(us):
            pos[u] = ((i + 1) / (len(us) + 1), row_of[r])
    es = _reduced(es)
    fig, ax = plt.subplots(figsize=(10, 7))
    for (a, b), delegate in es.items():
        (x0, y0), (x1, y1) = pos[a], pos[b]
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops={
                "arrowstyle": "-|>",
                "color": "#999999" if delegate else "#4D4D4D",
                "lw": 0.8,
                "ls": "--" if delegate else "-",
                "shrinkA": 14,
                "shrinkB": 14,
                "connectionstyle": f"arc3,rad={0.35 if y0 == y1 else 0.08}",
            },
        )
    for u, (x, y) in pos.items():
        ax.text(
            x,
            y,
            u,
            ha="center",
            va="center",
            fontsize=9,
            bbox={"boxstyle": "round,pad=0.4", "fc": "white", "ec": "#1F4E79"},
        )
    names = {r: layer_name for m in import_graph() for r, layer_name in [layer(m)]}
    for r, name in names.items():
        ax.text(-0.02, row_of[r], name, ha="right", va="center", fontsize=9, color="#1F4E79", style="italic")
    ax.set_xlim(-0.18, 1.0)
    ax.set_ylim(len(rows) - 0.4, -0.6)
    ax.axis("off")
    ax.set_title(
        "mapdiff: who imports whom (arrow to what is imported; every unit imports base;\n"
        "edges implied by a longer path left out; dashed: only plot/explore delegates)",
        fontsize=10,
    )
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="exit 1 when docs/img/import-graph.txt is stale")
    args = p.parse_args(argv)
    es = edges()
    txt = OUT / "import-graph.txt"
    if args.check:
        ok = txt.is_file() and txt.read_text(encoding="utf-8") == text(es)
        print("import graph is current" if ok else "stale: run python tools/import_graph.py")
        return 0 if ok else 1
    OUT.mkdir(parents=True, exist_ok=True)
    txt.write_text(text(es), encoding="utf-8")
    draw(es, OUT / "import-graph.png")
    print(f"wrote {txt} and {OUT / 'import-graph.png'}: {len(es)} edges")
    return 0


if __name__ == "__main__":
    sys.exit(main())
