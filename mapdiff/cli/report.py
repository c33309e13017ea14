"""``mapdiff report OLD NEW --out DIR``: a self-contained release report (HTML, figures, JSON)."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import ArgumentError
from . import command, emit

_EPILOG = """\
Writes DIR/index.html (no script, no network, readable on a phone), DIR/report.json (the
data the page shows) and DIR/figures/*.png and *.svg (true-scale maps with context).

example:
  mapdiff report deepstatemap_data_20251120.geojson deepstatemap_data_20251127.geojson \\
      --place Pokrovsk --place Myrnohrad --out report/
"""


def write_report(
    old, new, out, *, places=None, top: int = 8, ledger=True, buffer_km: float = 5.0, formats=("png", "svg")
) -> dict:
    """Build the report of two releases and write it to ``out``; returns what was written.

    Parameters
    ----------
    old, new : ControlMap
    out : path
        Folder (created) for ``index.html``, ``report.json`` and ``figures/``.
    places, top, ledger
        As for :func:`mapdiff.history.report.build_report`.
    buffer_km : float, default 5
        The before/after figure of each watched town shows the town grown by this much.
    formats : sequence of "png", "svg", default ("png", "svg")
        The formats each figure is drawn in; the page shows the first and links the SVG
        when it is not the first. ``("svg",)`` draws each figure once (``mapdiff update``).

    Returns
    -------
    dict
        ``{"html": path, "json": path, "figures": [paths], "report": the report's dict}``
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..draw.plot import plot_changes, save_figure
    from ..draw.report import plot_settlements_changed, render_html
    from ..history.report import build_report
    from ..io.atomic import refuse_overwrite, write_text
    from ..places.footprints import as_footprint

    out = Path(out)
    figdir = out / "figures"
    json_path, html_path = out / "report.json", out / "index.html"
    # every file written here, checked against every input before the first is written
    inputs = [m.provenance.path for m in (old, new) if getattr(m.provenance, "path", None)]
    if isinstance(ledger, str | Path):
        inputs.append(ledger)
    for target in (json_path, html_path):
        refuse_overwrite(target, inputs, "--out")
    for src in inputs:
        if Path(src).resolve().parent == figdir.resolve():
            raise ArgumentError(
                f"--out {out}: an input of this run ({src}) lies in {figdir}, where the figures are "
                "written; choose another output folder"
            )
    figdir.mkdir(parents=True, exist_ok=True)
    rep = build_report(old, new, places=places, top=top, ledger=ledger)
    d = rep.to_dict()
    figures, written = [], []

    formats = tuple(formats)
    if not formats or set(formats) - {"png", "svg"}:
        raise ArgumentError(f"formats={formats!r}: choose one or both of 'png' and 'svg'")

    def save(fig, stem, alt, caption):
        for fmt in formats:
            kw = {"dpi": 130} if fmt == "png" else {}  # (the SVG at save_figure's default, as before)
            written.append(save_figure(fig, figdir / f"{stem}.{fmt}", **kw))
        plt.close(fig)
        entry = {"src": f"figures/{stem}.{formats[0]}"}
        if formats[0] != "svg" and "svg" in formats:
            entry["svg"] = f"figures/{stem}.svg"
        figures.append(entry | {"alt": alt, "caption": caption})

    side = rep.side
    if side is not None and (
        rep.changes.sides[side]["gained_km2"] > 0 or rep.changes.sides[side]["lost_km2"] > 0
    ):
        ax = rep.changes.plot(side=side)
        save(
            ax.figure,
            "changes",
            f"Map of land {side} gained and lost",
            f"Land {side} gained (vermillion) and lost (blue) between {d['old']['as_of']} and "
            f"{d['new']['as_of']}, true to scale.",
        )
    if d.get("settlements_changed"):
        n = len(d["settlements_changed"])
        save(
            plot_settlements_changed(d).figure,
            "settlements",
            f"Locator map of the {n} settlements that changed status",
            f"The {n} settlements whose status changed between {d['old']['as_of']} and "
            f"{d['new']['as_of']}, coloured by their new status, within the oblasts at war.",
        )
    for i, row in enumerate(d["places"]):  # every watched place gets its figure
        fp = as_footprint(row["place"]).buffer(buffer_km)
        axes = plot_changes(old, new, fp, side=side)
        save(
            axes[0].figure,
            f"place_{i + 1}",
            f"Before, after and change around {row['place']}",
            f"{row['place']} +{buffer_km:g} km: the old release, the new one, and what changed hands.",
        )
    write_text(json_path, json.dumps(d, indent=2, ensure_ascii=False), inputs=inputs)
    write_text(html_path, render_html(d, figures=figures), inputs=inputs)
    return {"html": html_path, "json": json_path, "figures": written, "report": d}


def _run(args) -> int:
    from ..io.read import read_map

    old, new = (
        read_map(f, source=args.source, swap_xy=args.swap_xy, layer=args.layer) for f in (args.old, args.new)
    )
    if args.top < 1:
        raise ArgumentError(f"--top {args.top}: give at least 1")
    ledger = False if args.no_ledger else (args.ledger or True)
    places = args.place or None
    if args.places:  # a set: every oblast of a parent, a file of places ... (one row each)
        from ..places.footprints import place_set

        if args.place:
            raise ArgumentError("give --place NAME (repeatable) or --places SET, not both")
        places = place_set(args.places)
    res = write_report(old, new, args.out, places=places, top=args.top, ledger=ledger)
    d = res["report"]
    s = d["sides"].get(d["side"] or "", {})
    text = [
        f"{d['new']['source']}: {d['old']['as_of']} -> {d['new']['as_of']}",
        f"  {d['side']} gained {s.get('gained_km2', 0):,.2f} km², lost {s.get('lost_km2', 0):,.2f} km², "
        f"net {s.get('net_km2', 0):+,.2f} km²"
        if d["side"]
        else "  no side holds ground",
        f"wrote {res['html']} ({len(res['figures'])} figure files, {res['json'].name})",
    ]
    emit(
        {
            "schema_version": d["schema_version"],
            "type": "report_written",
            "html": str(res["html"]),
            "json": str(res["json"]),
            "figures": [str(p) for p in res["figures"]],
            "report": d,
        },
        args.json,
        "\n".join(text),
    )
    return 0


def _configure(p) -> None:
    p.add_argument("old", help="the last release (file)")
    p.add_argument("new", help="the new release (file)")
    p.add_argument(
        "--place",
        action="append",
        metavar="NAME",
        help="town to watch (repeat; default: the towns nearest the largest changes)",
    )
    p.add_argument(
        "--places",
        metavar="SET",
        help="places to watch as a set: 'raions of Donetsk Oblast', oblasts, a FILE of ids or names",
    )
    p.add_argument("--out", required=True, help="folder for index.html, report.json and figures/")
    p.add_argument("--source", help="profile name (default: recognised from content)")
    p.add_argument(
        "--swap-xy", dest="swap_xy", action="store_true", help="both files are (lat, lon): swap the axes"
    )
    p.add_argument("--layer", help="layer of both files (multi-layer GeoPackages)")
    p.add_argument("--top", type=int, default=8, help="largest changed areas to list (default 8)")
    p.add_argument("--ledger", help="claims ledger CSV (default: the shipped one)")
    p.add_argument("--no-ledger", dest="no_ledger", action="store_true", help="do not check ledger claims")
    p.add_argument("--json", action="store_true", help="print JSON")


_run.configure = _configure
command(
    "report", "Write a release report (HTML page, figures, JSON) of a new release against the last.", _EPILOG
)(_run)
