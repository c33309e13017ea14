"""Fetchers for the public archives of control maps, with a verified on-disk cache.

Design
------
* **Declared archives only.** Each source names one archive (a public GitHub repository
  served by ``raw.githubusercontent.com``) and the file name of a release for a date.
  :func:`fetch` talks to that host and nothing else: redirects to other hosts are
  refused. A base URL may be overridden (``base_url=`` or env ``MAPDIFF_FETCH_BASE_URL``)
  for mirrors and tests, but only to a declared host (https) or to a loopback address.
* **Cache.** Releases live under ``MAPDIFF_DATA_DIR`` (default: the platform's user data
  folder, ``platformdirs.user_data_dir("mapdiff")``) as ``<source>/<file name>``. On
  first download the file's sha256 is recorded in ``registry.json`` beside them; every
  later use re-hashes the file. A cached file that no longer matches is corrupted: it
  is downloaded again (with a :class:`~mapdiff.errors.MapdiffWarning`) or, offline,
  reported with a :class:`~mapdiff.errors.FetchError` that says what to do.
* **Atomic.** Downloads go to a temporary file beside the target and are renamed into
  place only when complete (:mod:`mapdiff.io.atomic`): never a half file in the cache.
* **Offline mode** never opens a socket and says exactly which file is missing where.

Downloads go through :mod:`mapdiff._http` (the one client: host checks, size cap,
deadline). Not pooch: pooch wants a registry of known hashes up front, whereas archive
releases appear daily and are hashed on first sight.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import urllib.parse
import warnings
from dataclasses import dataclass
from pathlib import Path

from .. import _dirs, config
from .._dates import as_date
from .._http import check_url, download, offline as _offline_env
from ..errors import (
    ArgumentError,
    DownloadError,
    FetchError,
    MapdiffError,
    MapdiffWarning,
    UnknownSourceError,
)
from ..io.atomic import write_text
from ..io.read import read_input_bytes, read_raw_bytes
from ..profiles import get_profile

__all__ = ["ARCHIVES", "Archive", "cache_dir", "cached_path", "fetch"]

_MAX_BYTES = 512 * 1024 * 1024  # refuse absurd responses
_TIMEOUT_S = 60  # per read
_DEADLINE_S = 900  # per download, overall
log = logging.getLogger("mapdiff")


@dataclass(frozen=True)
class Archive:
    """One public archive of releases.

    Attributes
    ----------
    source : str
        Profile name of the releases (``read_map(path, source=...)``).
    base_url : str
        URL of the folder holding the releases (ends with ``/``).
    pattern : str
        File name of a release; ``{ymd}`` is YYYYMMDD, ``{iso}`` is YYYY-MM-DD,
        ``{yy_mm_dd}`` is YY_MM_DD.
    licence : str
    content_lag_days : int
        How many days the date a release's content states may lie before the date it is
        filed under (NZZ's archive files the newspaper's latest weekly window every day:
        the file of 27 Nov holds data to 26 Nov, or to a few days before). A content date
        after the file's date, or further before it, is refused.
    """

    source: str
    base_url: str
    pattern: str
    licence: str
    content_lag_days: int = 0

    @property
    def host(self) -> str:
        return urllib.parse.urlsplit(self.base_url).hostname or ""

    def filename(self, date: dt.date) -> str:
        return self.pattern.format(
            ymd=date.strftime("%Y%m%d"), iso=date.isoformat(), yy_mm_dd=date.strftime("%y_%m_%d")
        )


_RAW = "https://raw.githubusercontent.com"
ARCHIVES: dict[str, Archive] = {
    "deepstate": Archive(
        "deepstate",
        f"{_RAW}/cyterat/deepstate-map-data/HEAD/data/",
        "deepstatemap_data_{ymd}.geojson",
        "GPL-3.0 (archive repository)",
    ),
    "nzz": Archive(
        "nzz",
        f"{_RAW}/conflict-investigations/nzz-maps/HEAD/data/",
        "{iso}.json",
        "none stated; attribute NZZ and Liveuamap",
        content_lag_days=14,
    ),
    "isw": Archive(
        "isw",
        f"{_RAW}/Nikkei-Visual-Data-Journalism/ISW/HEAD/data/",
        "{ymd}.geojson",
        "MIT (archive repository)",
    ),
    "deepstate_api": Archive(
        "deepstate_api",
        f"{_RAW}/rsparks3/deepstate-map-data/HEAD/data/",
        "deepstatemap_data_{ymd}_polygons.geojson",
        "repository GPL-3.0 (code); DeepState's terms forbid redistributing its API data",
    ),
    "creamy_caprice": Archive(
        "creamy_caprice",
        f"{_RAW}/creamy-caprice/dataviewer/HEAD/kml/ControlZones/",
        "Control_{yy_mm_dd}.kml",
        "none stated (a pro-Russian Telegram channel's map)",
    ),
    "owl": Archive(
        "owl",
        f"{_RAW}/owlmaps/map-data/HEAD/data/",
        "{ymd}.json",
        "none stated; attribute Project Owl / UA Control Map",
    ),
}
_DECLARED_HOSTS = frozenset(a.host for a in ARCHIVES.values())


def cache_dir() -> Path:
    """The cache folder: ``$MAPDIFF_DATA_DIR`` or the platform's user data folder.

    Examples
    --------
    >>> cache_dir().name  # doctest: +SKIP
    'mapdiff'
    """
    return _dirs.data_dir()


def _archive(source: str) -> Archive:
    try:
        return ARCHIVES[str(source).lower()]
    except KeyError:
        raise UnknownSourceError(
            f"no archive to fetch {source!r} from; known: {', '.join(sorted(ARCHIVES))}"
        ) from None


def _check_url(url: str) -> None:
    check_url(url, _DECLARED_HOSTS, what="archive host")


def _base_url(archive: Archive, base_url: str | None) -> str:
    base = base_url or config.setting("MAPDIFF_FETCH_BASE_URL")
    if not base:
        return archive.base_url
    base = base if base.endswith("/") else base + "/"
    if "{source}" in base:
        base = base.format(source=archive.source)
    _check_url(base)
    return base


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _registry_path(root: Path) -> Path:
    return root / "registry.json"


def _load_registry(root: Path) -> dict:
    path = _registry_path(root)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DownloadError(
            f"cache registry {path} is unreadable ({type(exc).__name__}); delete it to start afresh"
        ) from None
    return data if isinstance(data, dict) else {}


@contextlib.contextmanager
def _registry_lock(root: Path):
    """An exclusive lock on the registry (a ``.registry.lock`` file beside it, ``flock``)
    for its read-modify-write: fetches into one data folder from several processes at
    once each kept only their own entry before."""
    root.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no flock; the rename is still atomic
        yield
        return
    with open(root / ".registry.lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _record(root: Path, key: str, entry: dict) -> None:
    with _registry_lock(root):
        reg = _load_registry(root)
        reg[key] = entry
        write_text(_registry_path(root), json.dumps(reg, indent=1, sort_keys=True))


def _validate_release(tmp: Path, archive: Archive, name: str, url: str, day=None) -> None:
    """Read the downloaded file as a map before its hash is recorded (an HTML error page
    served with status 200, gzip bytes, a truncated body are refused, nothing kept), and
    refuse a release whose content states another date than the one asked for: stored
    under the asked date's name, it would be dated by that name from then on."""
    try:
        raw = read_raw_bytes(read_input_bytes(tmp), name, None, None)
    except MapdiffError as exc:
        raise DownloadError(
            f"{url}: the server sent something that is not a readable {archive.source} release "
            f"({exc}); nothing was kept or recorded: retry later"
        ) from None
    if day is None:
        return
    try:
        profile = get_profile(archive.source)
    except MapdiffError:  # an archive without a profile of its name: nothing to compare
        return
    stated = profile.find_as_of(
        raw.table, collection_name=raw.collection_name, file_name=None, top_level=raw.top_level
    )
    if stated is not None and not 0 <= (day - stated).days <= archive.content_lag_days:
        raise DownloadError(
            f"{url}: the server sent the {archive.source} release of {stated.isoformat()} (its content "
            f"says so) when {day.isoformat()} was asked for; nothing was kept or recorded: the archive "
            "may not have published that date yet, retry later"
        )


def cached_path(source: str, date) -> Path:
    """Where the release of ``source`` for ``date`` lives in the cache (present or not).

    Examples
    --------
    >>> cached_path("nzz", "2025-11-27").name
    '2025-11-27.json'
    """
    archive = _archive(source)
    return cache_dir() / archive.source / archive.filename(as_date(date, where="fetch date "))


def fetch(
    source: str, date, *, offline: bool = False, base_url: str | None = None, refresh: bool = False
) -> Path:
    """The local path of one archived release, downloading and verifying it if needed.

    Parameters
    ----------
    source : {"deepstate", "deepstate_api", "creamy_caprice", "owl", "nzz", "isw"}
    date : datetime.date or str
        Release date, ``YYYY-MM-DD`` or ``YYYYMMDD``.
    offline : bool, default False
        Never touch the network: return the cached file or raise, naming what is missing.
        ``MAPDIFF_OFFLINE=1`` in the environment sets it too.
    base_url : str, optional
        Mirror of the archive's data folder (``{source}`` is replaced by the source name);
        must be a declared archive host over https or a loopback address. Env
        ``MAPDIFF_FETCH_BASE_URL`` sets the same.
    refresh : bool, default False
        Download again even when a verified copy is cached (``--refresh``); the new
        file replaces the old one and its hash, once it has been read as a release.

    Returns
    -------
    pathlib.Path
        The verified file in the cache (``MAPDIFF_DATA_DIR``).

    Raises
    ------
    FetchError
        Not cached while offline, corrupted while offline, not in the archive (404),
        network failure, or a URL outside the declared hosts.
    UnknownSourceError
        No archive for ``source``.

    Examples
    --------
    >>> import mapdiff
    >>> path = mapdiff.fetch("deepstate", "2025-11-27")        # doctest: +SKIP
    >>> m = mapdiff.read_map(path)                              # doctest: +SKIP
    """
    archive = _archive(source)
    day = as_date(date, where="fetch date ")
    offline = offline or _offline_env()
    root = cache_dir()
    name = archive.filename(day)
    target = root / archive.source / name
    key = f"{archive.source}/{name}"
    recorded = _load_registry(root).get(key, {}).get("sha256")
    corrupted = False
    if refresh and offline:
        raise ArgumentError("--refresh needs the network; drop --offline (or MAPDIFF_OFFLINE)")
    if target.exists() and not refresh:
        actual = _sha256(target)
        if recorded is None:
            # a file placed in the cache by hand: trust it on first sight and record it
            _record(root, key, {"sha256": actual, "url": None, "fetched": None})
            log.debug("fetch %s: cache hit %s (placed by hand; sha256 recorded)", key, target)
            return target
        if actual == recorded:
            log.debug("fetch %s: cache hit %s (sha256 verified)", key, target)
            return target
        corrupted = True
        if offline:
            raise DownloadError(
                f"cached {archive.source} release for {day} is corrupted: {target} has sha256 "
                f"{actual[:12]}…, recorded {recorded[:12]}… at download; run without --offline "
                "to download it again"
            )
        warnings.warn(
            f"cached {target} does not match its recorded sha256; downloading it again",
            MapdiffWarning,
            stacklevel=2,
        )
    if offline:
        raise FetchError(
            f"offline: the {archive.source} release for {day} is not in the cache; missing "
            f"{target} (run `mapdiff fetch {archive.source} {day}` online to download it)"
        )
    url = urllib.parse.urljoin(_base_url(archive, base_url), name)
    log.debug("fetch %s: cache miss, downloading %s", key, url)
    digest = download(
        url,
        target,
        hosts=_DECLARED_HOSTS,
        what="archive host",
        max_bytes=_MAX_BYTES,
        timeout_s=_TIMEOUT_S,
        deadline_s=_DEADLINE_S,
        hint="retry later or use --offline with a cached copy",
        not_found="the archive has no release for that date",
        validate=lambda tmp: _validate_release(tmp, archive, name, url, day),
    )
    if corrupted and recorded and digest != recorded:
        warnings.warn(
            f"{url} now serves different content than when first downloaded "
            f"(sha256 {digest[:12]}…, was {recorded[:12]}…); the new file is kept",
            MapdiffWarning,
            stacklevel=2,
        )
    _record(
        root,
        key,
        {"sha256": digest, "url": url, "fetched": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")},
    )
    return target
