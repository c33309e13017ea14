"""Which releases of a watched source are new since the last run.

A folder source lists its files (dates from the profile: file name or content, as
:class:`mapdiff.Releases` reads them). An archive source asks its public archive for every
date after the last processed one, up to ``until`` (today by default), through
:func:`mapdiff.sources.archives.fetch` and its verified cache: a date the archive has no file
for (404) is simply not published (yet); an unreachable host stops that source for this
run; a file that is not a readable release is skipped and reported.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DownloadError, FetchError, MapdiffError
from ..history.releases import Releases
from ..sources.archives import fetch
from .config import SourceConfig

__all__ = ["Discovery", "Found", "discover"]

#: At most this many dates are asked of an archive in one run (a watch left alone for
#: years catches up over several runs instead of sending thousands of requests at once).
MAX_ARCHIVE_DAYS = 400


@dataclass(frozen=True)
class Found:
    date: dt.date
    path: Path


@dataclass
class Discovery:
    """New releases of one source (oldest first) and what could not be had."""

    source: SourceConfig
    new: list[Found] = field(default_factory=list)
    #: (date or None, reason): releases refused or a source that could not be reached
    failures: list[tuple[dt.date | None, str]] = field(default_factory=list)
    unreachable: bool = False


def _folder(src: SourceConfig, after: dt.date | None, until: dt.date | None, out: Discovery) -> None:
    try:
        series = Releases(src.path, source=src.profile)
    except MapdiffError as exc:
        out.failures.append((None, f"cannot list {src.path}: {exc}"))
        out.unreachable = True
        return
    for date, name in zip(series.dates, series.names, strict=True):
        if (after is None or date > after) and (until is None or date <= until):
            if src.start is None or date >= src.start:
                out.new.append(Found(date, Path(src.path) / name))


def _archive(src: SourceConfig, after: dt.date | None, until: dt.date, out: Discovery) -> None:
    day = max(src.start, after + dt.timedelta(days=1)) if after is not None else src.start
    asked = 0
    while day <= until and asked < MAX_ARCHIVE_DAYS:
        asked += 1
        try:
            out.new.append(Found(day, fetch(src.archive, day, base_url=src.base_url)))
        except DownloadError as exc:  # a damaged or wrong file: this day is bad, the next may be good
            out.failures.append((day, str(exc)))
        except FetchError as exc:
            text = str(exc)
            if "not found (404)" in text:
                pass  # not published (yet): a late release is fetched by a later run
            elif "cannot reach" in text or "offline" in text or "not complete after" in text:
                out.failures.append((day, text))
                out.unreachable = True
                return
            else:
                out.failures.append((day, text))
        day += dt.timedelta(days=1)


def discover(src: SourceConfig, after: dt.date | None, *, until: dt.date | None = None) -> Discovery:
    """The releases of ``src`` dated after ``after`` (all when None) and up to ``until``."""
    out = Discovery(src)
    if src.path is not None:
        _folder(src, after, until, out)
    else:
        _archive(src, after, until or dt.datetime.now(dt.UTC).date(), out)
    return out
