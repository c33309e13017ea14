"""``mapdiff claims LEDGER --maps deepstate=DIR``: every claim of a ledger on the release of its date.

One release per claim and source: the newest on or before the claim (``--release
on_or_before``, the default) or the nearest either way (``--release nearest``). The gap
is printed on every row; a gap longer than ``--max-gap-days`` (default 7) is warned about
on stderr, naming a nearer later release when one exists.
"""

from __future__ import annotations

import warnings

from ..claims.check import POLICIES
from ..claims.ledger import MAX_GAP_DAYS, RELEASE_RULES
from . import EXIT_INTERNAL, EXIT_OK, EXIT_UNSUPPORTED, command, emit, parse_maps


def _run(args) -> int:
    from ..claims.ledger import check_claims
    from ..history.releases import Releases

    if args.max_gap_days is not None and args.max_gap_days < 0:
        from ..errors import ArgumentError

        raise ArgumentError(f"--max-gap-days {args.max_gap_days}: give a whole number of days >= 0")
    maps = {
        name: Releases(path, source=name if _is_profile(name) else None)
        for name, path in parse_maps(args.maps).items()
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rep = check_claims(
            args.ledger,
            maps,
            policy=args.policy,
            release=args.release,
            max_gap_days=None if args.no_gap_warning else args.max_gap_days,
        )
    import sys

    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    d = rep.to_dict()
    d["type"] = "claims_report"
    d["release_rule"] = args.release
    emit(d, args.json, str(rep))
    from ..claims.ledger import ERROR

    failed = [r for r in rep.rows if r["verdict"] == ERROR]
    if failed:  # the other rows are printed: a partial answer, and an exit code that says so
        print(
            f"mapdiff claims: error: {len(failed)} of {len(rep.rows)} rows failed with an internal "
            "error (verdict 'error', the note names it); the other rows stand",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    unsupported = any(r["verdict"] == "not supported" for r in rep.rows)
    return EXIT_UNSUPPORTED if args.strict and unsupported else EXIT_OK


def _is_profile(name: str) -> bool:
    from ..profiles import available_profiles

    return name in available_profiles()


def _configure(p) -> None:
    p.add_argument("ledger", metavar="LEDGER", help="claims ledger CSV (e.g. data/claims/claims.csv)")
    p.add_argument(
        "--maps",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="a source's releases: folder or glob; repeat for several (NAME a profile, e.g. deepstate)",
    )
    p.add_argument(
        "--release",
        choices=RELEASE_RULES,
        default="on_or_before",
        help="which release a claim is checked on: the newest on or before its date (default) "
        "or the nearest either way",
    )
    p.add_argument(
        "--max-gap-days",
        dest="max_gap_days",
        type=int,
        default=MAX_GAP_DAYS,
        help=f"warn when the release used is more than this many days from the claim "
        f"(default {MAX_GAP_DAYS})",
    )
    p.add_argument("--no-gap-warning", action="store_true", help="never warn about the gap")
    p.add_argument("--policy", choices=POLICIES, default="nobody", help="what grey land counts as")
    p.add_argument("--strict", action="store_true", help="exit 1 when any claim is not supported")
    p.add_argument("--json", action="store_true", help="print the report as JSON")


_run.configure = _configure
command(
    "claims",
    "Check every claim of a ledger on each source's release of the claim's date (gap stated).",
    "examples:\n  mapdiff claims data/claims/claims.csv --maps deepstate=../shared/data/deepstate\n"
    "  mapdiff claims claims.csv --maps owl=../shared/data/owl --release nearest --max-gap-days 3",
)(_run)
