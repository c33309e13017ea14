"""``mapdiff fetch SOURCE DATE``: download (or find in the cache) one archived release."""

from __future__ import annotations

from pathlib import Path

from .._json import SCHEMA_VERSION
from ..io.atomic import write_bytes
from ..sources.archives import ARCHIVES, _sha256, fetch
from . import command, emit


def _run(args) -> int:
    path = fetch(args.source, args.date, offline=args.offline, refresh=args.refresh)
    digest = _sha256(path)
    if args.out:
        out = Path(args.out) / path.name
        write_bytes(out, path.read_bytes())
        path = out
    d = {
        "schema_version": SCHEMA_VERSION,
        "type": "fetch",
        "source": args.source,
        "date": args.date,
        "path": str(path),
        "sha256": digest,
        "bytes": path.stat().st_size,
    }
    emit(d, args.json, str(path))
    return 0


def _configure(p) -> None:
    p.add_argument("source", choices=sorted(ARCHIVES), help="archive to fetch from")
    p.add_argument("date", help="release date (YYYY-MM-DD or YYYYMMDD)")
    p.add_argument("--out", help="also copy the file into this folder")
    p.add_argument(
        "--offline",
        action="store_true",
        help="never touch the network; fail naming what is missing from the cache",
    )
    p.add_argument(
        "--refresh", action="store_true", help="download again even when a verified copy is cached"
    )
    p.add_argument("--json", action="store_true", help="print JSON")


_run.configure = _configure
command(
    "fetch",
    "Fetch one release from a public archive into the verified cache (MAPDIFF_DATA_DIR).",
    "examples:\n  mapdiff fetch deepstate 2025-11-27\n  mapdiff fetch nzz 2025-11-27 --out data/ --json\n"
    "  mapdiff fetch isw 20230519 --offline",
)(_run)
