"""``mapdiff history DIR_OR_GLOB --place NAME ...``: a side's share of each place, release by release.

The CSV (``--csv FILE``, written atomically) has a ``date`` column of ISO dates, then one
column per place, named as given on the command line, holding the side's share 0..1.
"""

from __future__ import annotations

from ..errors import ArgumentError
from ..io.atomic import write_text
from ..places.footprints import footprint
from ..series import Series
from . import command, emit, ranged


def _run(args) -> int:
    if not args.place:
        raise ArgumentError("give at least one --place NAME")
    if len(set(args.place)) != len(args.place):
        raise ArgumentError("a place is given twice; give each --place once")
    fps = [footprint(p) for p in args.place]
    series = Series(args.releases, source=args.source, cache=not args.no_cache)
    backend = "dask" if args.scheduler else args.backend
    client = None
    if backend == "dask":
        from .._runner import dask_client

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
    frame.columns = list(args.place)  # as given on the command line
    frame.index = [d.date().isoformat() for d in frame.index]
    frame.index.name = "date"
    if args.csv:
        from ..io.write import csv_text

        write_text(args.csv, csv_text(frame, float_format="%.6f"))
    d = shares.to_dict()
    d["places"] = [{**p, "given_as": g} for p, g in zip(d["places"], args.place, strict=True)]
    d["first_crossing"] = {
        str(t): {
            g: (None if r["date"] is None or str(r["date"]) == "NaT" else r["date"].date().isoformat())
            for g, (_, r) in zip(args.place, shares.first_crossing(threshold=t).iterrows(), strict=True)
        }
        for t in (0.5, 0.9)
    }
    if series.duplicates:
        d["duplicates_dropped"] = list(series.duplicates)
    approx = [f.name for f in fps if f.approximate]
    lines = [
        f"{series.source}: {len(series)} releases {series.dates[0]}..{series.dates[-1]}, "
        f"share held by {args.side} (grey counts for {args.policy})"
    ]
    if approx:
        lines.append(
            f"APPROXIMATE footprints (disc of the official area, clipped to the hromada): {', '.join(approx)}"
        )
    lines.append("footprints: " + ", ".join(f"{f.name} {f.kind}" for f in fps))
    lines.append(frame.to_string(float_format=lambda v: f"{v:6.1%}"))
    for t in (0.5, 0.9):
        lines.append(
            f"first release at >= {t:.0%}: "
            + ", ".join(f"{g} {v or 'never'}" for g, v in d["first_crossing"][str(t)].items())
        )
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
    p.add_argument("--side", default="RU", help="side whose share is measured (default RU)")
    p.add_argument(
        "--policy",
        default="nobody",
        choices=["nobody", "half", "claimant", "excluded"],
        help="what grey land counts as (default: nobody)",
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
    "--side RU --csv shares.csv\n\n"
    "Cache folder: $MAPDIFF_CACHE_DIR (default: the user cache directory).",
)(_run)
