"""``mapdiff lag A B --place NAME``: how many days one source trails another, with the releases
that bracket each crossing.

A and B are folders or globs of releases (``NAME=PATH`` names a source). For each place and
threshold, each source's first crossing is a range (its last release below, its first at or
above); the lag is bracketed by those ranges (B's range minus A's), and the best shift of
B's daily share series onto A's is given beside it (:func:`mapdiff.source_lag`).
"""

from __future__ import annotations

import datetime as dt

from ..errors import ArgumentError
from . import command, emit, ranged, split_named


def _series(arg: str, source, start, end):
    from ..history.releases import Releases

    name, path = split_named(arg)
    s = Releases(path, source=source)
    if start or end:
        s = s.between(start, end)
        if not len(s):
            raise ArgumentError(
                f"no release of {path} between {start or 'the first'} and {end or 'the last'}"
            )
    return name, s


def _bracket(a: dict, b: dict) -> dict:
    """B's lag behind A from their crossing ranges: [earliest, latest] in days, or None."""
    if a["date"] is None or b["date"] is None or a["already"] or b["already"]:
        return {"lag_min_days": None, "lag_max_days": None}
    d = dt.date.fromisoformat
    lo = (d(b["previous_date"]) - d(a["date"])).days
    hi = (d(b["date"]) - d(a["previous_date"])).days
    return {"lag_min_days": lo, "lag_max_days": hi}


def _run(args) -> int:
    from ..claims.check import parse_claimed
    from ..history.lag import crossings, source_lag
    from ..model.classes import source_label
    from ..places.footprints import footprint

    if not args.place:
        raise ArgumentError("give at least one --place NAME")
    thresholds = [parse_claimed(t) for t in args.threshold] if args.threshold else [0.5]
    fps = [footprint(p) for p in args.place]
    (na, sa), (nb, sb) = (_series(x, args.source, args.start, args.end) for x in (args.a, args.b))
    kw = {"cache": not args.no_cache, "quiet": True, "workers": args.workers}
    fa, fb = (s.shares(fps, args.side, **kw) for s in (sa, sb))
    lag = source_lag(fa, fb, thresholds=thresholds, max_shift_days=args.max_shift_days)
    label_a, label_b = source_label(na or sa.source), source_label(nb or sb.source)
    ca = {(c["place"], c["threshold"]): c for c in crossings(fa.frame, thresholds)}
    cb = {(c["place"], c["threshold"]): c for c in crossings(fb.frame, thresholds)}
    brackets = [
        {"place": p, "threshold": t, "a": ca[(p, t)], "b": cb[(p, t)], **_bracket(ca[(p, t)], cb[(p, t)])}
        for (p, t) in ca
    ]
    d = lag.to_dict()
    d.update(a=label_a, b=label_b, side=args.side, brackets=brackets)

    def rng(c):
        if c["date"] is None:
            return "never"
        if c["already"]:
            return f"already at its first release ({c['date']})"
        return f"{c['previous_date']} -> {c['date']}"

    lines = [f"{label_b} against {label_a}: share held by {args.side} (positive lag: B trails A)"]
    for b in brackets:
        lines.append(
            f"  {b['place']} >= {b['threshold']:.0%}: A {rng(b['a'])}; B {rng(b['b'])}; "
            + (
                f"lag {b['lag_min_days']}..{b['lag_max_days']} d"
                if b["lag_min_days"] is not None
                else "lag not bracketed (a crossing not observed between two releases)"
            )
        )
    for place, row in lag.table.iterrows():
        best = row.get("best_shift_days")
        lines.append(f"  {place}: best shift of B onto A {best if best == best else 'n/a'} d")
    emit(d, args.json, "\n".join(lines))
    return 0


def _configure(p) -> None:
    p.add_argument("a", metavar="A", help="releases of the leading source: folder, glob or NAME=PATH")
    p.add_argument("b", metavar="B", help="releases of the other source: folder, glob or NAME=PATH")
    p.add_argument("--place", action="append", default=[], metavar="NAME", help="place; repeatable")
    p.add_argument("--side", default="RU", help="side whose share is compared (default RU)")
    p.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="T",
        help="share crossed (default 50%%); repeatable",
    )
    p.add_argument("--start", help="first release date to read (YYYY-MM-DD)")
    p.add_argument("--end", help="last release date to read (YYYY-MM-DD)")
    p.add_argument(
        "--max-shift-days",
        dest="max_shift_days",
        type=ranged(int, 1, 365),
        default=30,
        help="largest shift tried (default 30)",
    )
    p.add_argument("--source", help="profile name of both (default: recognised from content)")
    p.add_argument("--workers", type=ranged(int, 1, 256), help="parallel processes (default: cores)")
    p.add_argument("--no-cache", action="store_true", help="do not use the on-disk release cache")
    p.add_argument("--json", action="store_true", help="print JSON")


_run.configure = _configure
command(
    "lag",
    "How many days one source trails another at each place, bracketed by their releases.",
    "example:\n  mapdiff lag deepstate_api=deepstate_api/ owl=owl/ --place Pokrovsk --threshold 50% "
    "--start 2025-11-01 --end 2025-12-31",
)(_run)
