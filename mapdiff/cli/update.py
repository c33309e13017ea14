"""``mapdiff update WATCH.toml``: process every new release of every watched source, rewrite the site.

One run: take the site's lock, read ``state.json``, find per source the releases newer
than the last processed (:mod:`mapdiff.update.discover`), write each one's release report
(``SOURCE/DATE/index.html``, ``report.json``, figures: ``mapdiff report`` against the
source's previous release) in date order, then the front page, the archive, the feed and
``index.json``, and ``state.json`` last. Every file is written atomically and is a
function of the inputs only (no clock), so a run killed at any moment and run again
gives the same site as one clean run.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from pathlib import Path

from .._dates import as_date
from .._json import iso
from ..errors import MapdiffError
from . import EXIT_OK, EXIT_PARTIAL, command, emit, ranged

_EPILOG = """\
The watch file (TOML):
  site = "site"                          # output folder (relative to the watch file)
  places = ["Pokrovsk", "Myrnohrad"]     # watched places
  ledger = "claims.csv"                  # optional (default: the shipped ledger; false: none)
  [sources.deepstate]
  path = "/data/deepstate"               # a folder of releases ...
  [sources.owl]
  archive = "owl"                        # ... or a public archive (fetched, verified, cached)
  start = "2025-11-01"                   # the first release date to fetch

Exit codes: 0 done (or nothing new), 2 bad watch file, 5 partial: some source could not be
reached or served a bad file (the page says which is stale since when).

example:
  mapdiff update watch.toml && rsync -a site/ web:/var/www/maps/
"""


def _sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _read(path, profile, date):
    from ..io.read import read_map

    m = read_map(path, source=profile, cache=True)  # a release read by an earlier run: a cache hit
    if m.as_of is None:
        m = read_map(path, source=profile, as_of=date)
    return m


#: verdicts of claims the release could not decide (left off the "decided claims")
_UNDECIDED = ("no release", "not covered", "not checked")


def _claim(c: dict) -> dict:
    row = {
        k: c.get(k)
        for k in ("who", "date", "place", "side", "kind", "claimed", "share", "verdict", "release")
    }
    key = "|".join(str(row[k]) for k in ("who", "date", "place", "side", "kind", "claimed"))
    row["id"] = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return row


@contextlib.contextmanager
def _deterministic_matplotlib():
    """Figures that are a function of their data: no date in SVG/PDF, fixed SVG ids (for the
    run only: the environment and rcParams are put back after it)."""
    import os

    import matplotlib

    matplotlib.use("Agg")
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "0"  # matplotlib writes no wall-clock date in SVG/PDF
    try:
        with matplotlib.rc_context({"svg.hashsalt": "mapdiff-site"}):
            yield
    finally:
        if before is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


def _displays(cfg) -> dict:
    """{source name: (what readers call it, its lean)}; two sources that readers call alike
    (DeepState's archive and its API) are told apart by their names in the watch file."""
    out = {src.name: _profile_text(src.profile, src.name) for src in cfg.sources}
    seen = [d for d, _ in out.values()]
    return {k: ((f"{d} ({k})" if seen.count(d) > 1 else d), lean) for k, (d, lean) in out.items()}


def _profile_text(profile: str | None, name: str) -> tuple[str, str]:
    from ..profiles import get_profile

    try:
        p = get_profile(profile or name)
    except MapdiffError:
        return name, ""
    return p.source_name or name, p.lean or ""


def _process(cfg, src, st: dict, disc, say, figures=lambda: None):
    """Write the report of each new release of one source; returns the newest map read (or None).
    ``figures()`` is called before the first report is drawn (it sets matplotlib up)."""
    from .report import write_report

    hist = st["history"]
    added = False
    prev = None
    for found in sorted(disc.new, key=lambda f: f.date):
        try:
            new = _read(found.path, src.profile, found.date)
        except MapdiffError as exc:
            disc.failures.append((found.date, f"{Path(found.path).name}: {exc}"))
            continue
        entry = {
            "date": iso(found.date),
            "file": str(found.path),
            "sha256": _sha256(found.path),
            "previous": None,
            "page": None,
            "net_km2": None,
            "claims": [],
        }
        if hist:
            if prev is None:
                last = hist[-1]
                prev = _read(last["file"], src.profile, as_date(last["date"]))
            rel = f"{src.name}/{iso(found.date)}/"
            t0 = time.perf_counter()
            figures()
            try:
                res = write_report(
                    prev,
                    new,
                    cfg.site / rel,
                    places=list(cfg.places) or None,
                    ledger=cfg.ledger,
                    formats=("svg",),  # drawn once: a vector page figure, no PNG beside it
                )
            except MapdiffError as exc:  # this pair cannot be reported: said, and skipped
                disc.failures.append((found.date, f"no report against {hist[-1]['date']}: {exc}"))
                continue
            _link_home(res["html"])
            d = res["report"]
            side = d["sides"].get("RU") or {}
            entry.update(
                previous=hist[-1]["date"],
                page=rel + "index.html",
                net_km2=side.get("net_km2"),
                claims=[_claim(c) for c in d["claims"] if c.get("verdict") not in _UNDECIDED],
            )
            say(f"  {src.name} {entry['previous']} -> {entry['date']}: {time.perf_counter() - t0:.1f} s")
        else:
            say(f"  {src.name} {entry['date']}: first release (the baseline of the next report)")
        hist.append(entry)
        prev = new
        added = True
    return prev if added else None


_NAV = (
    '<nav><a href="../../index.html">Every side\'s newest map</a> · '
    '<a href="../../archive.html">Archive</a> · <a href="../../feed.xml">Feed</a></nav>\n'
)


def _link_home(page: Path) -> None:
    """Links from a release's page (SOURCE/DATE/index.html) back to the site's front page."""
    from ..io.atomic import write_text

    text = Path(page).read_text(encoding="utf-8")
    if _NAV not in text:
        write_text(page, text.replace("<main>\n", "<main>\n" + _NAV, 1))


def _stale(st: dict, disc) -> None:
    newest = st["history"][-1]["date"] if st["history"] else None
    ahead = [(d, r) for d, r in disc.failures if d is None or newest is None or iso(d) > newest]
    behind = [(d, r) for d, r in disc.failures if (d, r) not in ahead]
    skipped = {s["date"]: s for s in st.get("skipped", [])}
    for d, r in behind:  # a bad release left behind by a later good one: said, not retried
        skipped[iso(d)] = {"date": iso(d), "reason": r}
    st["skipped"] = [skipped[k] for k in sorted(skipped)]
    st["stale"] = {"since": newest, "reason": ahead[-1][1]} if ahead else None


def _figure(cfg, maps: dict, names: dict):
    """The every-side panel figure over the watched places (PNG and SVG), or None."""
    if not cfg.places or not maps:
        return None
    import matplotlib.pyplot as plt
    import shapely

    from ..draw.panels import plot_panels
    from ..draw.plot import save_figure
    from ..update.summary import watched_area

    # the box around the watched places: the front between places far apart is shown too
    area = shapely.envelope(watched_area(cfg.places, cfg.aoi_km))
    figdir = cfg.site / "figures"
    figdir.mkdir(parents=True, exist_ok=True)
    axes = plot_panels(
        list(maps.values()),
        aoi=area,
        titles=[f"{names[k]} {iso(m.as_of)}" for k, m in maps.items()],
        context=False,
    )
    fig = axes[0].figure
    save_figure(fig, figdir / "panels.png", dpi=110)
    save_figure(fig, figdir / "panels.svg")
    plt.close(fig)
    return {
        "src": "figures/panels.png",
        "svg": "figures/panels.svg",
        "alt": "Every source's newest map of the watched places, side by side",
        "caption": "Each source's newest map around "
        + ", ".join(cfg.places)
        + f" (the box around them grown by {cfg.aoi_km:g} km), same extent and colours.",
    }


def _history_figure(cfg, history: dict, names: dict):
    """Each watched place's share held by RU over time, one line per source and place."""
    if not history:
        return None
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    import pandas as pd

    from ..draw.plot import save_figure

    n = len(cfg.places)
    fig, axes = plt.subplots(n, 1, figsize=(8, 2.6 * n + 0.6), layout="constrained", squeeze=False)
    for ax, place in zip(axes[:, 0], cfg.places, strict=True):
        for name, h in history.items():
            values = [float("nan") if v is None else 100 * v for v in h["shares"].get(place, [])]
            ax.plot(pd.to_datetime(h["dates"]), values, marker="o", ms=3, label=names.get(name, name))
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
        ax.set_title(f"{place}: share held by RU", fontsize=10, loc="left")
        ax.set_ylim(-2, 102)
        ax.set_ylabel("%")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    figdir = cfg.site / "figures"
    figdir.mkdir(parents=True, exist_ok=True)
    save_figure(fig, figdir / "history.png", dpi=110)
    save_figure(fig, figdir / "history.svg")
    plt.close(fig)
    return {
        "src": "figures/history.png",
        "svg": "figures/history.svg",
        "alt": "Share of each watched place held by RU over time, one line per source",
        "caption": "Share of each watched place held by RU, release by release, on every source's map "
        "(grey zone counted for nobody).",
    }


def _site_doc(cfg, state: dict, *, maps: dict, summary: dict, figure) -> dict:
    from .._json import SCHEMA_VERSION, jsonable

    sources, all_claims, notes = [], [], []
    displays = _displays(cfg)
    for src in cfg.sources:
        st = state["sources"].get(src.name, {"history": [], "skipped": [], "stale": None})
        display, lean = displays[src.name]
        hist = st["history"]
        last = hist[-1] if hist else {}
        sources.append(
            {
                "name": src.name,
                "profile": src.profile,
                "display": display,
                "lean": lean,
                "newest": last.get("date"),
                "previous": last.get("previous"),
                "page": last.get("page"),
                "net_km2": last.get("net_km2"),
                "releases": len(hist),
                "stale": st.get("stale"),
                "skipped": st.get("skipped", []),
                "history": [
                    {k: r.get(k) for k in ("date", "previous", "page", "net_km2")}
                    | {"claims": len(r.get("claims", []))}
                    for r in hist
                ],
            }
        )
        for r in hist:
            for c in r.get("claims", []):
                all_claims.append(
                    # release: the map the claim was checked on (the newest on or before the claim's
                    # date); report: the release whose report decided it
                    {
                        **c,
                        "source": src.name,
                        "display": display,
                        "release": c.get("release") or r["date"],
                        "report": r["date"],
                        "page": r["page"],
                    }
                )
        if st.get("stale"):
            since = st["stale"]["since"] or "its first release"
            notes.append(f"{display} is stale since {since}: {st['stale']['reason']}")
        for sk in st.get("skipped", []):
            notes.append(f"{display}: the release of {sk['date']} was skipped: {sk['reason']}")
    all_claims.sort(key=lambda c: (c["report"], c["source"], str(c.get("id"))), reverse=True)
    dates = [s["newest"] for s in sources if s["newest"]]
    if dates and min(dates) != max(dates):
        notes.append(
            f"The newest releases span {min(dates)} to {max(dates)}: the maps compared are not of one day."
        )
    notes += sorted(
        {
            f"{r['place']}: approximate footprint (a disc of the official area)"
            for r in summary.get("shares", [])
            if r.get("approximate")
        }
    )
    return jsonable(
        {
            "schema_version": SCHEMA_VERSION,
            "type": "update_site",
            "title": cfg.title,
            "updated": max(dates) if dates else None,
            "places": list(cfg.places),
            "sources": sources,
            "summary": summary,
            "figure": figure,
            "claims": all_claims[:20],
            "all_claims": all_claims,
            "notes": notes,
        }
    )


def _write_site(cfg, state: dict, say, read: dict) -> dict:
    from ..draw.site import render_archive, render_feed, render_index
    from ..io.atomic import write_text
    from ..update.state import dumps
    from ..update.summary import share_history, summarise, tracking

    maps, names = {}, {}
    for src in cfg.sources:
        hist = state["sources"].get(src.name, {}).get("history", [])
        if hist:
            try:
                m = read.get(src.name)  # the newest release, read by this run already
                if m is None:
                    m = _read(hist[-1]["file"], src.profile, as_date(hist[-1]["date"]))
                maps[src.name] = m
                names[src.name] = _displays(cfg)[src.name][0]
            except (MapdiffError, OSError) as exc:
                say(f"  {src.name}: newest release unreadable now ({exc}); left off the front page")
    t0 = time.perf_counter()
    summary = summarise(maps, cfg.places, aoi_km=cfg.aoi_km)
    figure = _figure(cfg, maps, names)
    say(f"  front page numbers and figure: {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    histories = {
        src.name: (src.profile, [r["file"] for r in state["sources"].get(src.name, {}).get("history", [])])
        for src in cfg.sources
    }
    summary["history"] = share_history(histories, cfg.places)
    history_figure = _history_figure(cfg, summary["history"], names)
    track = tracking(cfg.ledger, histories)
    summary["tracking"] = None if track is None else [r for r in track["summary"] if r["group"] == "claimant"]
    say(f"  share history and claims tracking (engine's cache): {time.perf_counter() - t0:.1f} s")
    doc = _site_doc(cfg, state, maps=maps, summary=summary, figure=figure)
    doc["history_figure"] = history_figure
    site = cfg.site
    if track is not None:
        write_text(site / "tracking.json", dumps(track))
    write_text(site / "index.json", dumps(doc))
    write_text(site / "index.html", render_index(doc))
    write_text(site / "archive.html", render_archive(doc))
    write_text(site / "feed.xml", render_feed(doc))
    return doc


def _sweep(site: Path) -> None:
    """Remove the temporary files a killed run left (``.NAME.*.tmp*``; we hold the lock)."""
    for p in site.rglob(".*.tmp*"):
        if p.is_file() and not p.is_symlink():
            p.unlink(missing_ok=True)


def run_update(cfg, *, since=None, until=None, wait_s: float = 0.0, say=print) -> dict:
    """One update of the site ``cfg`` describes; returns what was done (a JSON-ready dict)."""
    from ..update.discover import discover
    from ..update.state import dumps, load_state, lock, save_state

    with contextlib.ExitStack() as stack, lock(cfg.site, wait_s):
        # matplotlib is set up (and imported) only when a figure is drawn: "nothing new" costs
        # an import of mapdiff and reading state.json
        ready = []

        def figures():
            if not ready:
                stack.enter_context(_deterministic_matplotlib())
                ready.append(True)

        _sweep(cfg.site)
        state = load_state(cfg.site)
        before = dumps(state)
        known = {s.name for s in cfg.sources}
        state["sources"] = {k: v for k, v in state["sources"].items() if k in known}
        if since is not None:
            for st in state["sources"].values():
                st["history"] = [r for r in st["history"] if r["date"] < iso(since)]
                st["skipped"] = [r for r in st.get("skipped", []) if r["date"] < iso(since)]
        processed, failed, read = {}, {}, {}
        for src in cfg.sources:
            st = state["sources"].setdefault(src.name, {"history": [], "skipped": [], "stale": None})
            last = as_date(st["history"][-1]["date"]) if st["history"] else None
            disc = discover(src, last, until=until)
            n0 = len(st["history"])
            newest = _process(cfg, src, st, disc, say, figures)
            if newest is not None:
                read[src.name] = newest
            _stale(st, disc)
            processed[src.name] = [r["date"] for r in st["history"][n0:]]
            if disc.failures:
                failed[src.name] = [{"date": iso(d), "reason": r} for d, r in disc.failures]
        state["sources"] = {k: state["sources"][k] for k in sorted(state["sources"])}
        # what the front page is made of besides the releases: a change to it rewrites the site
        state["watch"] = {
            "places": list(cfg.places),
            "title": cfg.title,
            "aoi_km": cfg.aoi_km,
            "ledger": cfg.ledger if isinstance(cfg.ledger, bool) else str(cfg.ledger),
            "ledger_sha256": None if isinstance(cfg.ledger, bool) else _sha256(cfg.ledger),
        }
        new = any(processed.values())
        changed = dumps(state) != before or since is not None or not (cfg.site / "index.html").exists()
        if changed:
            figures()
            _write_site(cfg, state, say, read)
            save_state(cfg.site, state)  # last: a run killed before this point is redone
    return {
        "schema_version": 1,
        "type": "update",
        "site": str(cfg.site),
        "nothing_new": not new,
        "rewritten": changed,
        "processed": processed,
        "failed": failed,
        "partial": bool(failed),
        "stale": {k: v["stale"] for k, v in state["sources"].items() if v.get("stale")},
    }


def _run(args) -> int:
    from ..update.config import read_config

    cfg = read_config(args.watch)
    since = as_date(args.since, where="--since ") if args.since else None
    until = as_date(args.until, where="--until ") if args.until else None
    quiet = args.json
    res = run_update(
        cfg, since=since, until=until, wait_s=args.wait, say=(lambda s: None) if quiet else print
    )
    lines = []
    for name, dates in res["processed"].items():
        if dates:
            lines.append(f"{name}: {len(dates)} new release(s), {dates[0]} .. {dates[-1]}")
    for name, fails in res["failed"].items():
        lines += [f"{name}: {f['date'] or 'failed'}: {f['reason']}" for f in fails]
    for name, st in res["stale"].items():
        lines.append(f"{name}: STALE since {st['since'] or 'its first release'}")
    if res["nothing_new"] and not res["failed"]:
        lines.append("nothing new")
    if res["rewritten"]:
        lines.append(f"wrote {cfg.site / 'index.html'}")
    emit(res, args.json, "\n".join(lines))
    return EXIT_PARTIAL if res["partial"] else EXIT_OK


def _configure(p) -> None:
    p.add_argument("watch", help="the watch file (TOML): site folder, places, sources")
    p.add_argument("--since", metavar="DATE", help="rebuild the releases from DATE on (YYYY-MM-DD)")
    p.add_argument(
        "--until", metavar="DATE", help="take no release after DATE (default: today, UTC, for archives)"
    )
    p.add_argument(
        "--wait",
        type=ranged(float, 0, 86400),
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another run on the same site to finish (default: exit at once)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


_run.configure = _configure
command("update", "Process every new release of the watched sources and rewrite the static site.", _EPILOG)(
    _run
)
