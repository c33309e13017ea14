"""``mapdiff claim MAP [MAP ...] --place X --side S --claimed 70%``: check one claim.

One MAP: the claim on that map. Several (files, folders of releases, or ``NAME=PATH``),
or ``--maps NAME=PATH``: the claim on every source's release on or before ``--date``
(:func:`mapdiff.check_claim_all`), one line per source; a release more than
``--max-gap-days`` before the date is warned and marked stale. ``--out FILE`` (PNG, SVG,
PDF) draws the claim figure: for several sources the every-side panel grid
(:func:`mapdiff.draw.panels.plot_claim_panels`), with the methods note in its metadata.
"""

from __future__ import annotations

from ..claims.check import KINDS, POLICIES, check_claim
from ..config import TOLERANCE
from ..errors import ArgumentError
from . import (
    EXIT_OK,
    EXIT_UNSUPPORTED,
    add_map_options,
    command,
    emit,
    parse_maps,
    ranged,
    read_map_option,
    split_named,
)


def map_sources(args) -> dict:
    """{name: folder/file path or [ControlMap]} from MAP arguments and --maps (claim, encircle)."""
    import os

    from ..io.read import read_map

    out: dict = dict(parse_maps(args.maps, required=False))
    for arg in [args.map, *args.more]:
        name, path = split_named(arg)
        if name is not None:
            out[name] = path
        elif os.path.isdir(arg):
            out[os.path.basename(os.path.normpath(arg))] = arg
        else:
            m = read_map(
                arg, source=args.source, as_of=args.as_of, swap_xy=args.swap_xy, layer=args.layer, cache=True
            )
            out.setdefault(m.source, []).append(m)
    return out


def save_with_methods(fig, args, title: str, methods: str) -> str:
    """Save ``fig`` to ``--out`` (methods note in its metadata); the line that says where."""
    import matplotlib.pyplot as plt

    from ..draw.plot import save_figure

    path = save_figure(fig, args.out, dpi=args.dpi, metadata={"Title": title, "Description": methods})
    plt.close(getattr(fig, "figure", fig))
    return f"\nFigure: {path}"


def _run_all(args) -> int:
    from ..claims.across import check_claim_all

    res = check_claim_all(
        map_sources(args),
        args.place,
        args.side,
        args.claimed,
        date=args.date,
        kind=args.kind,
        tolerance=args.tolerance,
        footprint_kind=args.footprint_kind,
        policy=args.policy,
        max_gap_days=args.max_gap_days,
    )
    text = res.summary()
    if args.out:
        axes = res.plot(places=args.labels, context=False)
        text += save_with_methods(axes[0].figure, args, f"Claim: {res.claim_text()}", res.methods())
    emit(res.to_dict(), args.json, text)
    if args.strict and not all(c.supported for c in res.checks.values()):
        return EXIT_UNSUPPORTED
    return EXIT_OK


def _releases(arg: str) -> bool:
    """A MAP argument naming a source's releases (a folder, or NAME=PATH) rather than one file."""
    import os

    return os.path.isdir(arg) or split_named(arg)[0] is not None


def _run_places(args) -> int:
    """``claim MAP [MAP ...] --places SET --side S --claimed X``: the side's share of every
    place of the set on every map, and whether it reaches the claim (grey counts for nobody)."""
    from ..claims.check import parse_claimed
    from ..history.regions import region_shares
    from ..io.read import read_map
    from ..labels import canonical_side

    if args.kind != "share" or args.claimed is None:
        raise ArgumentError("with --places give a share claim: --claimed 50% (kind share)")
    claimed = parse_claimed(args.claimed)
    side = canonical_side(args.side)
    maps = [
        read_map(p, source=args.source, as_of=args.as_of, swap_xy=args.swap_xy, layer=args.layer)
        for p in [args.map, *args.more]
    ]
    res = region_shares(maps, "settlement", places=args.places)
    f = res.frame
    if f"{side}_share" not in f.columns:
        raise ArgumentError(f"no map draws side {side!r}; the maps draw: {', '.join(res.sides) or 'none'}")
    share = f[f"{side}_share"]
    f["claimed"] = claimed
    f["verdict"] = [
        "not covered"
        if v != v or v is None
        else "supported"
        if v >= claimed
        else "within tolerance"
        if v >= claimed - args.tolerance
        else "not supported"
        for v in share
    ]
    d = res.to_dict()
    d["claim"] = {"side": side, "claimed": claimed, "tolerance": args.tolerance, "policy": "nobody"}
    counts = f["verdict"].value_counts().to_dict()
    lines = [
        f"Claim: {side} holds {claimed:.1%} of each of {f['id'].nunique()} places ({args.places}), "
        f"on {f['source'].nunique()} map(s); grey counts for nobody",
        "Verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
    ]
    shown = f[["source", "date", "id", "name", f"{side}_share", "verdict"]].head(40).copy()
    shown[f"{side}_share"] = shown[f"{side}_share"].map(lambda v: "-" if v != v or v is None else f"{v:.1%}")
    lines.append(shown.to_string(index=False))
    if len(f) > 40:
        lines.append(f"... {len(f) - 40} more rows (--json for all)")
    lines += list(res.notes)
    emit(d, args.json, "\n".join(lines))
    if args.strict and (f["verdict"] != "supported").any():
        return EXIT_UNSUPPORTED
    return EXIT_OK


def _release_gap(args, m):
    """(claim date, days from the release to it) for one map and ``--date``; None without it.

    The date is never ignored: a release after it is refused (it cannot be what the
    claimant saw), an undated map too, and a release over ``--max-gap-days`` before it is warned.
    """
    import warnings

    from .._dates import as_date
    from ..errors import StaleReleaseWarning

    if not args.date:
        return None
    when = as_date(args.date, where="--date ")
    if m.as_of is None:
        raise ArgumentError(
            f"{args.map} states no release date, so --date {when} cannot be checked: pass --as-of YYYY-MM-DD"
        )
    days = (when - m.as_of).days
    if days < 0:
        raise ArgumentError(
            f"{args.map} is the release of {m.as_of}, {-days} d after the claim's date {when}: "
            "pass a release on or before --date (a later map is not what the claimant saw)"
        )
    if args.max_gap_days is not None and days > args.max_gap_days:
        warnings.warn(
            f"STALE: the release used ({m.as_of}) is {days} d before {when} "
            f"(over --max-gap-days {args.max_gap_days}): not what the map said then",
            StaleReleaseWarning,
            stacklevel=2,
        )
    return when, days


def _run(args) -> int:
    if args.places:
        if args.place:
            raise ArgumentError("give --place NAME or --places SET, not both")
        return _run_places(args)
    if not args.place:
        raise ArgumentError("give --place NAME (or --places SET: oblasts, hromadas, settlements, FILE)")
    if len(args.place) > 1 and args.kind != "encircled":
        raise ArgumentError(
            "several --place are one pocket, for --kind encircled only; check a share claim once per place"
        )
    args.place = args.place if len(args.place) > 1 else args.place[0]
    if args.more or args.maps or _releases(args.map):
        return _run_all(args)
    m = read_map_option(args)
    gap = _release_gap(args, m)
    chk = check_claim(
        m,
        args.place,
        args.side,
        args.claimed,
        kind=args.kind,
        tolerance=args.tolerance,
        footprint_kind=args.footprint_kind,
        policy=args.policy,
    )
    text = chk.summary()
    doc = chk.to_dict()
    if gap is not None:
        when, days = gap
        stale = args.max_gap_days is not None and days > args.max_gap_days
        doc.update(claim_date=when.isoformat(), gap_days=days, stale=stale)
        text += f"\nRelease {m.as_of.isoformat()}: {days} d before the claim's date {when.isoformat()}"
        text += " (STALE)" if stale else ""
    table = chk.sensitivity_text()
    if table:
        text += "\n\nSensitivity (share of the footprint; yes = supported, ~ = within tolerance):\n" + table
    if args.out:
        from ..draw.plot import plot_claim

        ax = plot_claim(chk, places=args.labels)
        text += save_with_methods(ax, args, ax.get_title(), text)
    emit(doc, args.json, text)
    return EXIT_UNSUPPORTED if args.strict and not chk.supported else EXIT_OK


def _configure(p) -> None:
    add_map_options(p)
    p.add_argument(
        "--places",
        metavar="SET",
        help="every place of a set: oblasts, raions, hromadas, settlements, "
        "'hromadas of Donetsk Oblast', FILE",
    )
    p.add_argument(
        "--place",
        action="append",
        default=[],
        help="gazetteer name or alias (any script), or a polygon file; with --kind encircled repeat "
        "it for one pocket of several towns (--place Pokrovsk --place Myrnohrad)",
    )
    p.add_argument(
        "more",
        nargs="*",
        metavar="MAP",
        help="more maps (files, folders of releases, NAME=PATH): the claim on every source",
    )
    p.add_argument(
        "--maps",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="a source's folder (or file) of releases; repeatable",
    )
    p.add_argument("--date", help="the claim's date: each source's release on or before it (YYYY-MM-DD)")
    p.add_argument("--side", required=True, help="the claimant's side, e.g. RU")
    p.add_argument("--claimed", help="claimed share for --kind share: 0.7, 70 or 70%%")
    p.add_argument("--kind", choices=KINDS, default="share", help="claim kind (default: share)")
    p.add_argument(
        "--policy",
        choices=POLICIES,
        default="nobody",
        help="grey-zone policy that decides the verdict (default: nobody)",
    )
    p.add_argument(
        "--footprint-kind",
        dest="footprint_kind",
        help="footprint kind, e.g. city_limits, approximate, approximate+2km",
    )
    p.add_argument(
        "--tolerance",
        type=ranged(float, 0, 1),
        default=TOLERANCE,
        help=f"absolute share below the claim still 'within tolerance' (default {TOLERANCE})",
    )
    p.add_argument(
        "--max-gap-days",
        dest="max_gap_days",
        type=ranged(int, 0, 100000),
        default=7,
        help="warn and mark a release more than this many days before --date as stale (default 7)",
    )
    p.add_argument("--out", help="draw the figure to this file (.png, .svg or .pdf)")
    p.add_argument("--dpi", type=ranged(int, 30, 1200), default=200, help="PNG resolution (default 200)")
    p.add_argument(
        "--labels", action="store_true", help="label gazetteer places in the figure (off: small panels)"
    )
    p.add_argument("--strict", action="store_true", help="exit 1 when the claim is not supported")
    p.add_argument("--json", action="store_true", help="print the ClaimCheck as JSON")


_run.configure = _configure
command(
    "claim",
    "Check a claim (a share of a place, captured, encircled) on one map.",
    "examples:\n  mapdiff claim ds_20251127.geojson --place Pokrovsk --side RU --claimed 70%\n"
    "  mapdiff claim ds=deepstate_api/ owl=owl/ --place Pokrovsk --side RU --claimed 70% --date 2025-11-27\n"
    "  mapdiff claim ds=deepstate_api/ cc=creamy_caprice/ControlZones/ owl=owl/ nzz=nzz/ --place Pokrovsk\n"
    "      --side RU --claimed 70% --date 2025-11-27 --out pokrovsk_every_side.png\n"
    "  mapdiff claim map.geojson --place my_town.geojson --side RU --kind captured --strict",
)(_run)
