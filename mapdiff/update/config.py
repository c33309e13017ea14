"""The watch file of ``mapdiff update``: one TOML file naming the site, the places and the sources.

Example::

    site = "site"                        # output folder (relative to this file)
    places = ["Pokrovsk", "Myrnohrad"]   # watched places
    ledger = "data/claims/claims.csv"    # optional; false for none; default the shipped ledger
    title = "Every side's map"           # optional

    [sources.deepstate]
    path = "/data/deepstate"             # a folder of releases ...

    [sources.owl]
    archive = "owl"                      # ... or a public archive, fetched into the verified cache
    start = "2025-11-01"                 # first release date to look for (archives)

Every key is checked: an unknown key, source, archive or place is an error that lists
what is known (:class:`~mapdiff.errors.ArgumentError`, exit 2 on the command line).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .._dates import as_date
from ..errors import ArgumentError, MapdiffError
from ..places.footprints import as_footprint
from ..profiles import get_profile
from ..sources.archives import ARCHIVES

__all__ = ["SourceConfig", "WatchConfig", "read_config"]

TOP_KEYS = ("site", "places", "ledger", "title", "aoi_km", "sources")
SOURCE_KEYS = ("path", "archive", "source", "start", "base_url")
_NAME_OK = set("abcdefghijklmnopqrstuvwxyz0123456789_-")


@dataclass(frozen=True)
class SourceConfig:
    """One watched source: a folder of releases (``path``) or a public archive (``archive``)."""

    name: str
    profile: str | None
    path: Path | None = None
    archive: str | None = None
    start: dt.date | None = None
    base_url: str | None = None

    @property
    def kind(self) -> str:
        return "path" if self.path is not None else "archive"


@dataclass(frozen=True)
class WatchConfig:
    """What one ``mapdiff update`` run watches and where it writes (from :func:`read_config`)."""

    file: Path
    site: Path
    places: tuple[str, ...]
    ledger: object  # True (shipped ledger), False (none) or a Path
    sources: tuple[SourceConfig, ...]
    title: str = "Every side's map"
    aoi_km: float = 5.0


def _bad(file, message: str) -> ArgumentError:
    return ArgumentError(f"{file}: {message}")


def _known(keys) -> str:
    return ", ".join(keys)


def read_config(path) -> WatchConfig:
    """Read and check a watch file.

    Raises
    ------
    ArgumentError
        The file is missing or not TOML, a key is unknown (the message lists the known
        ones), a source names no or two origins, an archive, profile or place is unknown.
    """
    file = Path(path)
    if not file.is_file():
        raise ArgumentError(f"{file}: no such watch file; write one (see docs/guide/update.md)")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _bad(file, f"not a valid TOML file ({exc})") from None
    base = file.resolve().parent
    unknown = sorted(set(data) - set(TOP_KEYS))
    if unknown:
        raise _bad(file, f"unknown key {unknown[0]!r}; known keys: {_known(TOP_KEYS)}")
    site = data.get("site")
    if not isinstance(site, str) or not site.strip():
        raise _bad(file, 'give site = "FOLDER" (where the site is written)')
    places = data.get("places", [])
    if isinstance(places, str):
        places = [places]
    if not isinstance(places, list) or not all(isinstance(p, str) and p.strip() for p in places):
        raise _bad(file, 'places must be a list of place names, e.g. places = ["Pokrovsk", "Myrnohrad"]')
    names = []
    for p in places:
        try:
            names.append(as_footprint(p).name)
        except MapdiffError as exc:
            raise _bad(file, f"places: {exc}") from None
    if len(set(names)) != len(names):
        raise _bad(file, "places: a place is listed twice")
    ledger = data.get("ledger", True)
    if isinstance(ledger, str):
        ledger = (base / ledger).resolve()
        if not ledger.is_file():
            raise _bad(file, f"ledger: {ledger} does not exist; give a claims CSV or ledger = false")
    elif not isinstance(ledger, bool):
        raise _bad(file, 'ledger must be a path ("claims.csv"), true (the shipped ledger) or false')
    title = data.get("title", "Every side's map")
    if not isinstance(title, str):
        raise _bad(file, "title must be a string")
    aoi_km = data.get("aoi_km", 5.0)
    if not isinstance(aoi_km, int | float) or isinstance(aoi_km, bool) or not 0 <= aoi_km <= 100:
        raise _bad(file, "aoi_km (the margin around the watched places in figures) must be 0..100")
    table = data.get("sources")
    if not isinstance(table, dict) or not table:
        raise _bad(
            file,
            "no [sources.NAME] table; add one with path = FOLDER or archive = NAME "
            f"(archives: {_known(sorted(ARCHIVES))})",
        )
    sources = [_read_source(file, base, name, spec) for name, spec in table.items()]
    site_dir = (base / site).resolve()
    for src in sources:
        if src.path is not None and (
            site_dir == src.path or src.path in site_dir.parents or site_dir in src.path.parents
        ):
            raise _bad(
                file,
                f"site {site_dir} and the releases of [sources.{src.name}] ({src.path}) overlap: "
                "the site would be written among the releases; choose another site folder",
            )
    return WatchConfig(
        file=file.resolve(),
        site=site_dir,
        places=tuple(names),
        ledger=ledger,
        sources=tuple(sources),
        title=title,
        aoi_km=float(aoi_km),
    )


def _read_source(file: Path, base: Path, name: str, spec) -> SourceConfig:
    """One ``[sources.NAME]`` table, checked."""
    where = f"[sources.{name}]"
    if not set(name) <= _NAME_OK:
        raise _bad(file, f"{where}: name a source with lower-case letters, digits, _ and - only")
    if not isinstance(spec, dict):
        raise _bad(file, f"{where} must be a table with path = FOLDER or archive = NAME")
    unknown = sorted(set(spec) - set(SOURCE_KEYS))
    if unknown:
        raise _bad(file, f"{where}: unknown key {unknown[0]!r}; known keys: {_known(SOURCE_KEYS)}")
    if ("path" in spec) == ("archive" in spec):
        raise _bad(file, f"{where}: give exactly one of path = FOLDER or archive = NAME")
    folder = archive = start = None
    if "path" in spec:
        if not isinstance(spec["path"], str):
            raise _bad(file, f"{where}: path must be a string")
        folder = (base / spec["path"]).resolve()
        if not folder.is_dir():
            raise _bad(file, f"{where}: path {folder} is not a folder of releases")
    else:
        archive = spec["archive"]
        if archive not in ARCHIVES:
            raise _bad(
                file, f"{where}: unknown archive {archive!r}; known archives: {_known(sorted(ARCHIVES))}"
            )
    if "start" in spec:
        try:
            start = as_date(spec["start"], where=f"{where} start ")
        except MapdiffError as exc:
            raise _bad(file, str(exc)) from None
    elif archive is not None:
        raise _bad(file, f'{where}: an archive needs start = "YYYY-MM-DD" (the first release to fetch)')
    profile = spec.get("source", archive)
    if profile is None:
        try:
            profile = get_profile(name).name
        except MapdiffError:
            profile = None  # recognised from the files' content
    if profile is not None:
        try:
            profile = get_profile(profile).name
        except MapdiffError as exc:
            raise _bad(file, f"{where}: source: {exc}") from None
    base_url = spec.get("base_url")
    if base_url is not None and not isinstance(base_url, str):
        raise _bad(file, f"{where}: base_url must be a URL string")
    return SourceConfig(name, profile, folder, archive, start, base_url)
