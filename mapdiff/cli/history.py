"""``mapdiff history DIR_OR_GLOB --place NAME ...``: a side's share of each place, release by release.

The CSV (``--csv FILE``, written atomically) has a ``date`` column of ISO dates, then one
column per place, named as given on the command line, holding the side's share 0..1.
"""

from __future__ import annotations

from ..errors import ArgumentError
from ..history.releases import Releases
from ..io.atomic import write_text
from ..places.footprints import footprint, place_set
from . import command, emit, ranged

#: a set of more places than this prints a summary, not the date x place table
_SHOWN = 12


def _run(args) -> int:
    if not args.place and not args.places:
        raise ArgumentError("give at least one --place NAME, or --places hromadas (a set of places)")
    if args.place and args.places:
        raise ArgumentError("give --place NAME (repeatable) or --places SET, not both")
    if len(set(args.place)) != len(args.place):
        raise ArgumentError("a place is given twice; give each --place once")
    from ..claims.check import parse_claimed
    from ..history.lag import crossings, reversals

    thresholds = [parse_claimed(t) for t in args.threshold] if args.threshold else [0.5, 0.9]
    if args.places:
        fps = place_set(args.places, cache=not args.no_cache)
        args.place = [f.name for f in fps]  # "<id> <name>": a set's names repeat
    else:
        fps = [footprint(p) for p in args.place]
    series = Releases(args.releases, source=args.source, cache=not args.no_cache)
    if args.start or args.end:
        series = series.between(args.start, args.end)
        if not len(series):
            raise ArgumentError(
                f"no release of {args.releases} between {args.start or 'the first'} and "
                f"{args.end or 'the last'}: widen --start/--end"
            )
    backend = "dask" if args.scheduler else args.backend
    client = None
    if backend == "dask":
        from ..history._dask import dask_client

        client = dask_client(args.scheduler, workers=args.workers)
    shares = series.shares(
        fps,
        args.side,
        policy=args.policy,
        workers=args.workers,
        backend=backend,
        client=client,
        cache=not args.no_cache,
        quiet=args.quiet or args.json,
    )
    frame = shares.to_frame()
    dates = frame.index
    frame.columns = list(args.place)  # as given on the command line
    frame.index = [d.date().isoformat() for d in frame.index]
    frame.index.name = "date"
    if args.csv:
        from ..io.write import csv_text

        write_text(args.csv, csv_text(frame, float_format="%.6f"))
    d = {}
    if args.json:  # every share of every place: for the JSON only
        d = shares.to_dict()
        d["places"] = [
            {**p, "given_as": g, "id": f.id, "level": f.level}
            for p, g, f in zip(d["places"], args.place, fps, strict=True)
        ]
    given = dict(zip(frame.columns, args.place, strict=True))
    named = frame.set_axis(dates, axis=0)  # the given names, the dates as dates
    crossed = crossings(named, thresholds)  # per threshold, a row per place in column order
    n = len(args.place)
    d["first_crossing"] = {
        str(t): {g: r["date"] for g, r in zip(args.place, crossed[i * n : (i + 1) * n], strict=True)}
        for i, t in enumerate(thresholds)
    }
    d["crossings"] = crossed
    d["reversals"] = reversals(named, args.reversal_drop)
    for row in d["crossings"] + d["reversals"]:
        row["place"] = given.get(row["place"], row["place"])
    if args.places:  # the ledger: each place's changes of status, first release showing each
        from ..history.regions import changed_hands, monthly_counts, place_changes

        ch = place_changes(shares).sort_values(["date", "place"], kind="stable")
        counts = monthly_counts({series.source: changed_hands(ch)}, {f.name: f.oblast for f in fps})
        d["monthly_changed_hands"] = [
            {"month": r["month"], "oblast": r["oblast"], "to": r["to"], "places": int(r["places"])}
            for r in counts.to_dict("records")
        ]
        d["places_changed"] = [
            {
                **{k: r[k] for k in ("place", "from", "to")},
                "date": r["date"].date().isoformat(),
                "previous_date": r["previous_date"].date().isoformat(),
                "share_before": None
                if r["share_before"] != r["share_before"]
                else round(float(r["share_before"]), 6),
                "share_after": None
                if r["share_after"] != r["share_after"]
                else round(float(r["share_after"]), 6),
            }
            for r in ch.to_dict("records")
        ]
    if series.duplicates:
        d["duplicates_dropped"] = list(series.duplicates)
    approx = [f.name for f in fps if f.approximate]
    lines = [
        f"{series.source}: {len(series)} release{'s' if len(series) != 1 else ''} "
        f"{series.dates[0]}..{series.dates[-1]}, "
        f"share held by {args.side} (grey counts for {args.policy})"
    ]
    if series.duplicates:
        n = len(series.duplicates)
        lines.append(
            f"{n} file{'s' if n > 1 else ''} left out, each dated like a later file (the last file of a date "
            f"is that date's release; all named in --json): {', '.join(series.duplicates[:3])}"
            + (", ..." if n > 3 else "")
        )
    if approx and len(fps) > _SHOWN:
        lines.append(
            f"APPROXIMATE footprints for {len(approx)} of the {len(fps)} places (discs round a town's "
            "centre or a GeoNames point, clipped to the hromada; flagged per place in --json)"
        )
    elif approx:
        lines.append(
            f"APPROXIMATE footprints (disc of the official area, clipped to the hromada): {', '.join(approx)}"
        )
    if len(fps) <= _SHOWN:
        lines.append("footprints: " + ", ".join(f"{f.name} {f.kind}" for f in fps))
        lines.append(frame.to_string(float_format=lambda v: f"{v:6.1%}"))
        for c in d["crossings"]:
            head = f"{c['place']} >= {c['threshold']:.0%}: "
            if c["date"] is None:
                lines.append(head + f"never (last {frame[c['place']].iloc[-1]:.0%})")
            elif c["already"]:
                lines.append(head + f"already at the first release ({c['date']}, {c['share_at']:.0%})")
            else:
                lines.append(
                    head + f"between {c['previous_date']} ({c['share_before']:.0%}) and {c['date']} "
                    f"({c['share_at']:.0%}), a {c['gap_days']} d gap between releases"
                )
        for r in d["reversals"]:
            lines.append(
                f"REVERSAL {r['place']}: {r['share_from']:.0%} -> {r['share_to']:.0%} between "
                f"{r['from_date']} and {r['to_date']}"
            )
    else:  # a set of places: what a terminal can show; the CSV or JSON has every place
        kinds = sorted({f.kind for f in fps})
        lines.append(f"{len(fps)} places ({args.places}), footprints: {', '.join(kinds)}")
        last = frame.iloc[-1]
        held = int((last >= 0.5).sum())
        lines.append(f"on {frame.index[-1]}: {held} of {len(fps)} places at >= 50% {args.side}")
        for t in thresholds:
            crossed = {g: v for g, v in d["first_crossing"][str(t)].items() if v}
            lines.append(f"at >= {t:.0%} in some release of this window: {len(crossed)} places")
        if d["reversals"]:
            lines.append(
                f"{len(d['reversals'])} reversals (falls of >= {args.reversal_drop:.0%}; --json lists them)"
            )
        if not args.csv:
            lines.append("(--csv FILE or --json for every place's shares)")
    if args.places:
        moved = d["places_changed"]
        lines.append(
            f"{len(moved)} changes of status (held by a side at >= 50%, grey, contested), "
            "first release showing each:"
        )
        lines += [f"  {x['date']} {x['place']}: {x['from']} -> {x['to']}" for x in moved[:30]]
        if len(moved) > 30:
            lines.append(f"  ... {len(moved) - 30} more (--json for all)")
        if d["monthly_changed_hands"]:
            lines.append("places that passed to a side, per month and oblast:")
            lines += [
                f"  {x['month']} {x['oblast'] or '-':<16} {x['to']:<10} {x['places']}"
                for x in d["monthly_changed_hands"]
            ]
    if args.csv:
        lines.append(f"wrote {args.csv}")
    emit(d, args.json, "\n".join(lines))
    return 0


def _configure(p) -> None:
    p.add_argument("releases", metavar="DIR_OR_GLOB", help="folder or glob of releases of one source")
    p.add_argument(
        "--place",
        action="append",
        default=[],
        metavar="NAME",
        help="place (gazetteer name or alias); repeat for several",
    )
    p.add_argument(
        "--places",
        metavar="SET",
        help="a set of places: oblasts, raions, hromadas, settlements, 'every hromada of Donetsk Oblast', "
        "or a CSV/text FILE of ids or names (columns are named '<id> <name>')",
    )
    p.add_argument("--side", default="RU", help="side whose share is measured (default RU)")
    p.add_argument(
        "--policy",
        default="nobody",
        choices=["nobody", "half", "claimant", "excluded"],
        help="what grey land counts as (default: nobody)",
    )
    p.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="T",
        help="share whose first crossing is reported (0.7, 70 or 70%%); repeatable (default 50%% and 90%%)",
    )
    p.add_argument("--start", help="first release date to read (YYYY-MM-DD)")
    p.add_argument("--end", help="last release date to read (YYYY-MM-DD)")
    p.add_argument(
        "--reversal-drop",
        dest="reversal_drop",
        type=ranged(float, 0, 1, lo_open=True),
        default=0.2,
        help="list falls of at least this share between consecutive releases (default 0.2)",
    )
    p.add_argument("--source", help="profile name (default: recognised from the first file)")
    p.add_argument("--csv", metavar="FILE", help="write date x place shares (0..1) to FILE")
    p.add_argument("--workers", type=ranged(int, 1, 256), help="parallel processes (default: cores)")
    p.add_argument(
        "--backend",
        choices=["local", "dask"],
        default="local",
        help="local: a process pool on this machine (default); dask: dask.distributed workers",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="dask scheduler to run on (tcp://host:8786; implies --backend dask); without it "
        "--backend dask starts a LocalCluster of --workers processes",
    )
    p.add_argument("--no-cache", action="store_true", help="do not use the on-disk release cache")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print JSON")


_run.configure = _configure
command(
    "history",
    "Share of each place held by a side, release by release (cached, parallel).",
    "example:\n  mapdiff history 'data/deepstate/*.geojson' --place Pokrovsk --place Myrnohrad "
    "--side RU --csv shares.csv\n"
    "  mapdiff history 'data/deepstate/*.geojson' --places hromadas --csv hromadas.csv\n\n"
    "  mapdiff history owl/ --place Pokrovsk --threshold 70% --start 2025-11-01 --end 2025-12-31\n\n"
    "Cache folder: $MAPDIFF_CACHE_DIR (default: the user cache directory).",
)(_run)
