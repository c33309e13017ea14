"""On-disk cache of parsed, clipped releases.

Reading a release and clipping it to an area of interest is most of the cost of a
history run. This module stores the result (a small :class:`~mapdiff.model.control_map.ControlMap`
restricted to the area of interest) so a second run skips the parsing and the clipping.

Design
------
- **Key**: SHA-256 of (the file's content hash, the WKB of the area of interest, the
  profile's *content* (its rules, detection, dates, coverage, and the coverage file's
  bytes: :func:`profile_fingerprint`), the mapdiff version, the cache format). A file or
  a profile whose content changes gets a new key, so the old entry is never used again
  (editing a profile's rules cannot return the old result); :func:`prune` removes
  entries not used for a while.
- **Format**: one file per entry, ``<key>.mdr``: a magic line, the SHA-256 of the rest,
  the length of a JSON header, the header (labels, background, source, date, scope,
  provenance, repairs, offsets) and the geometries as WKB. No pickle: a cache directory
  shared between users cannot run code.
- **Writes** go through :mod:`mapdiff.io.atomic` (temporary file + rename, without an
  fsync per entry: a cache is rebuilt, not restored), so concurrent runs writing the
  same entry each leave a whole file and readers never see a partial one. An entry whose
  checksum does not match (a flipped bit, a file truncated by a crash), or that is
  damaged or foreign in any way, reads as a miss and is rewritten: a cache never fails
  a run.
- **Where**: subfolder ``releases`` of the cache root: ``$MAPDIFF_CACHE_DIR`` if set, else
  the user's cache directory (:mod:`mapdiff._dirs`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import struct
import time
from pathlib import Path

import numpy as np
import shapely

from .. import _dirs, config
from .._json import iso
from .._resources import data_dir
from .._version import __version__
from ..labels import Label
from ..model.control_map import ControlMap, NormalisationReport, Provenance, Repair
from ..model.coverage import Coverage
from ..places.regions import GEOGRAPHY_VERSION, region
from ..profiles import get_profile, registered_profiles
from .atomic import write_bytes
from .gate import read_input_bytes

__all__ = [
    "CACHE_ENV",
    "RESULTS_SUFFIX",
    "bound",
    "cache_dir",
    "clear",
    "detected",
    "load",
    "max_bytes",
    "profile_fingerprint",
    "prune",
    "read_key",
    "release_key",
    "remember_detected",
    "store",
]

CACHE_ENV = _dirs.CACHE_ENV
_MAGIC = b"MAPDIFF-RELEASE-2\n"
_FORMAT = 2
_SUFFIX = ".mdr"
RESULTS_SUFFIX = ".mds"  # results by file identity, written by mapdiff.history._engine
_DETECT_SUFFIX = ".mdp"  # which profile a file's content was recognised as
_PLACES_SUFFIX = ".mdf"  # the footprints of a set of places (place_set("hromadas"))
_PLACES_MAGIC = b"MAPDIFF-PLACES-1\n"


def cache_dir(directory=None) -> Path:
    """The folder holding cached releases.

    Parameters
    ----------
    directory : str or Path, optional
        Explicit folder; otherwise ``releases/`` in the cache root (``$MAPDIFF_CACHE_DIR``
        or the user cache directory; see :mod:`mapdiff._dirs`).

    Examples
    --------
    >>> import os
    >>> os.environ["MAPDIFF_CACHE_DIR"] = "/tmp/mapdiff-doc-cache"
    >>> cache_dir().as_posix()
    '/tmp/mapdiff-doc-cache/releases'
    >>> del os.environ["MAPDIFF_CACHE_DIR"]
    """
    if directory is not None:
        return Path(directory)
    return _dirs.cache_dir("releases")


def profile_fingerprint(profile=None) -> str:
    """SHA-256 of what a profile does: its content, not its name.

    ``profile`` is a name, a TOML path or a :class:`~mapdiff.profiles.Profile`; None
    (the source recognised from content) fingerprints every registered profile, since any
    of them may be the one recognised. A coverage file the profile names is hashed by
    content too.

    Examples
    --------
    >>> profile_fingerprint("deepstate") == profile_fingerprint("deepstate")
    True
    >>> profile_fingerprint("deepstate") == profile_fingerprint("nzz")
    False
    """

    if profile is None:
        profiles = registered_profiles()
    else:
        profiles = [get_profile(profile)]
    h = hashlib.sha256()
    for prof in profiles:
        h.update(_profile_text(prof).encode("utf-8") + b"\0")
        cov = prof.coverage
        if cov and cov.lower() != "ukraine" and Path(cov).is_file():
            h.update(b"coverage-file=" + _file_digest(Path(cov)).encode() + b"\0")
    return h.hexdigest()


def _profile_text(prof) -> str:
    """A canonical text of a profile (regular expressions by their source)."""

    def plain(v):
        if hasattr(v, "pattern") and hasattr(v, "flags"):
            return {"re": v.pattern, "flags": int(v.flags)}
        if dataclasses.is_dataclass(v):
            return {f.name: plain(getattr(v, f.name)) for f in dataclasses.fields(v)}
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in sorted(v.items())}
        if isinstance(v, list | tuple):
            return [plain(x) for x in v]
        return v if isinstance(v, str | int | float | bool | type(None)) else repr(v)

    return json.dumps(plain(prof), sort_keys=True, ensure_ascii=False)


def _file_digest(path: Path) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    if key not in _DIGESTS:
        _DIGESTS[key] = hashlib.sha256(read_input_bytes(path)).hexdigest()
    return _DIGESTS[key]


_DIGESTS: dict = config.register_cache({})


def release_key(content_sha256: str, aoi=None, profile=None, *, extra: str = "") -> str:
    """The cache key of one release clipped to ``aoi`` and read with ``profile``.

    ``profile`` (a name, a TOML path, a Profile or None for "recognised") enters the key
    by its content (:func:`profile_fingerprint`): editing a profile's rules changes
    every key made with it.

    Examples
    --------
    >>> k = release_key("ab" * 32, None, "deepstate")
    >>> len(k), k == release_key("ab" * 32, None, "deepstate"), k == release_key("cd" * 32)
    (64, True, False)
    """

    h = hashlib.sha256()
    for part in (
        f"format={_FORMAT}",
        f"version={__version__}",
        f"geography={GEOGRAPHY_VERSION}",  # the shipped outlines decide what a release covers
        f"profile={profile_fingerprint(profile)}",
        f"content={content_sha256}",
        *([f"extra={extra}"] if extra else []),
    ):
        h.update(part.encode() + b"\0")
    h.update(b"aoi=" + (b"" if aoi is None else shapely.to_wkb(aoi, hex=False, output_dimension=2)))
    return h.hexdigest()


def _path(key: str, directory) -> Path:
    return cache_dir(directory) / f"{key}{_SUFFIX}"


def read_key(content_sha256: str, profile=None, options: str = "") -> str:
    """The cache key of one whole release as :func:`mapdiff.read_map` reads it: its
    content, the profile's content (None: every registered profile, any of which may be
    the one recognised), the reading ``options`` that change the result (limits, layer),
    the shipped geography and the mapdiff version.

    Examples
    --------
    >>> k = read_key("ab" * 32, "deepstate")
    >>> k == read_key("ab" * 32, "deepstate"), k == release_key("ab" * 32, None, "deepstate")
    (True, False)
    """
    return release_key(content_sha256, None, profile, extra=f"read|{options}")


def store(key: str, m: ControlMap, directory=None, *, land: str | None = None) -> Path:
    """Write ``m`` under ``key`` (atomically); returns the entry's path.

    ``land``: the name of the shipped region a whole-front map speaks on (``m.domain.land``):
    the entry then keeps what the map draws beyond it instead of its coverage, and
    :func:`load` gives the map back speaking on the same outline (so
    :func:`mapdiff.compare` takes the whole-front path as it does on a fresh read).
    """
    if land is not None:  # the drawing as drawn, as cut to the drawn extent, and the beyond
        geoms = [*m.geometries, *m.clipped, m.domain.beyond]
    else:
        geoms = [*m.geometries, m.coverage]
    blobs = [b"" if g is None else shapely.to_wkb(g, output_dimension=2) for g in geoms]
    offsets, pos = [], 0
    for b in blobs:
        offsets.append([pos, len(b)])
        pos += len(b)
    header = {
        "format": _FORMAT,
        "labels": [[lab.status, lab.side] for lab in m.labels],
        "background": None if m.background is None else [m.background.status, m.background.side],
        "source": m.source,
        "as_of": iso(m.as_of),
        "scope": list(m.scope),
        "provenance": m.provenance.to_dict(),
        "report": m.report_base.to_dict(),
        "offsets": offsets,
        "land": land,
    }
    head = json.dumps(header, ensure_ascii=False).encode("utf-8")
    body = struct.pack("<Q", len(head)) + head + b"".join(blobs)
    data = _MAGIC + hashlib.sha256(body).digest() + body
    return write_bytes(_path(key, directory), data, fsync=False)


def load(key: str, directory=None, *, read_as: str | None = None) -> ControlMap | None:
    """The cached map under ``key``, or None (missing, damaged or of another format).

    ``read_as``: the file it is read for now (its provenance names it; the entry is keyed by
    content, so the same bytes may have been read under another name)."""
    path = _path(key, directory)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        if not data.startswith(_MAGIC):
            return None
        start = len(_MAGIC) + 32
        if hashlib.sha256(data[start:]).digest() != data[len(_MAGIC) : start]:
            return None  # a flipped bit, a truncated write: a miss, rewritten by the caller
        (n,) = struct.unpack("<Q", data[start : start + 8])
        header = json.loads(data[start + 8 : start + 8 + n])
        if header.get("format") != _FORMAT:
            return None
        body = start + 8 + n
        blobs = [data[body + o : body + o + ln] for o, ln in header["offsets"]]
        if body + sum(ln for _, ln in header["offsets"]) != len(data):
            return None
        geoms = shapely.from_wkb(np.asarray([b or None for b in blobs], dtype=object))
        labels = tuple(Label(s, sd) for s, sd in header["labels"])
        bg = header["background"]
        rep = header["report"]
        report = NormalisationReport(
            rep["n_features"],
            rep["n_used"],
            # Repair.to_dict() names its kind "repair": an entry with a repair never loaded
            tuple(Repair(r["repair"], r["count"], r["area_km2"], r["detail"]) for r in rep["repairs"]),
        )
        n = len(labels)
        drawn = tuple(geoms[:n])
        if header.get("land") is not None:  # a whole-front map: land ∪ what it draws beyond
            if len(geoms) != 2 * n + 1:
                return None
            # the very outline a fresh read speaks on, and the drawing cut as the read left it
            cov = Coverage.on_land(region(header["land"]), geoms[-1], drawing=(drawn, tuple(geoms[n:-1])))
        elif len(geoms) != n + 1:
            return None
        else:
            cov = Coverage.whole(geoms[-1])
        m = ControlMap(
            labels,
            drawn,
            cov,
            None if bg is None else Label(*bg),
            header["source"],
            dt.date.fromisoformat(header["as_of"]) if header["as_of"] else None,
            tuple(header["scope"]),
            Provenance(**{**header["provenance"], **({} if read_as is None else {"path": read_as})}),
            report,
        )
    except Exception:  # whatever is wrong with an entry, a cache never fails the run
        return None
    try:  # mark as used, for prune()
        os.utime(path)
    except OSError:
        pass
    return m


def _detect_path(content_sha256: str, directory) -> Path:
    h = hashlib.sha256()
    for part in (
        "detect=1",
        f"version={__version__}",
        f"profiles={profile_fingerprint(None)}",  # any profile added or edited: detected again
        f"content={content_sha256}",
    ):
        h.update(part.encode() + b"\0")
    return cache_dir(directory) / f"{h.hexdigest()}{_DETECT_SUFFIX}"


def detected(content_sha256: str, directory=None) -> str | None:
    """The profile a file of this content was recognised as (by every registered profile,
    as they are now), or None: missing, damaged, or naming a profile no longer known.

    Recognising a source means parsing the file; a Creamy Caprice KML takes ~1 s, on every
    ``history`` or ``claims`` run that names no ``--source``.
    """

    path = _detect_path(content_sha256, directory)
    try:
        entry = json.loads(path.read_bytes())
        name = entry["profile"]
        if entry.get("format") != 1 or entry.get("content") != content_sha256 or not isinstance(name, str):
            return None
        get_profile(name)  # still registered
    except Exception:  # whatever is wrong with an entry, a cache never fails the run
        return None
    try:
        os.utime(path)
    except OSError:
        pass
    return name


def remember_detected(content_sha256: str, name: str, directory=None) -> None:
    """Note that a file of this content is recognised as profile ``name`` (atomically;
    a cache that cannot be written is skipped: recognising again is only slower)."""
    entry = {"format": 1, "content": content_sha256, "profile": name}
    try:
        write_bytes(_detect_path(content_sha256, directory), json.dumps(entry).encode(), fsync=False)
    except OSError:
        pass


#: Largest size of the cache folder's entries before the least recently used go (bytes);
#: ``MAPDIFF_CACHE_MAX_MB`` sets it.
MAX_BYTES_DEFAULT = int(config.SETTINGS["MAPDIFF_CACHE_MAX_MB"].default * 1024**2)


def max_bytes() -> int:
    """The size bound of the cache folder: ``$MAPDIFF_CACHE_MAX_MB`` MB, else 2 GiB."""
    try:
        return int(config.setting("MAPDIFF_CACHE_MAX_MB") * 1024**2)
    except ValueError:  # not a number: the default (a read never fails on it)
        return MAX_BYTES_DEFAULT


def bound(directory=None, limit: int | None = None) -> int:
    """Remove the least recently used entries until the folder's entries take at most
    ``limit`` bytes (default :func:`max_bytes`); returns how many were removed."""
    limit = max_bytes() if limit is None else limit
    folder = cache_dir(directory)
    found = []
    for suffix in (_SUFFIX, RESULTS_SUFFIX, _DETECT_SUFFIX, _PLACES_SUFFIX):
        for p in folder.glob(f"*{suffix}"):
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            found.append((st.st_mtime, st.st_size, p))
    total = sum(size for _, size, _ in found)
    n = 0
    for _, size, p in sorted(found, key=lambda x: x[0]):  # oldest use first
        if total <= limit:
            break
        try:
            p.unlink()
            n += 1
        except FileNotFoundError:
            pass
        total -= size
    return n


def clear(directory=None) -> int:
    """Remove every cached release (and the measured results of runs); returns how many
    release entries were removed."""
    return prune(0.0, directory)


def prune(older_than_days: float = 30.0, directory=None) -> int:
    """Remove entries not used for ``older_than_days``; returns how many were removed."""
    folder = cache_dir(directory)
    if not folder.is_dir():
        return 0
    limit = time.time() - older_than_days * 86400.0
    n = 0
    for p in folder.glob(f"*{_SUFFIX}"):
        try:
            if older_than_days <= 0 or p.stat().st_mtime < limit:
                p.unlink()
                n += 1
        except FileNotFoundError:
            continue
    more = (RESULTS_SUFFIX, _DETECT_SUFFIX, _PLACES_SUFFIX)
    for p in [q for suffix in more for q in folder.glob(f"*{suffix}")]:
        # measured results of runs (mapdiff.history._engine), recognised sources, sets of places
        try:
            if older_than_days <= 0 or p.stat().st_mtime < limit:
                p.unlink()
        except FileNotFoundError:
            continue
    return n


# ------------------------------------------------------------------ sets of places
def _places_path(spec: str, directory) -> Path:
    """The entry of a set of places: keyed by the set's words, mapdiff's version and the
    identity (name, size, change time) of every shipped geography file."""
    h = hashlib.sha256(f"places=1\0{spec}\0{__version__}\0".encode())
    geo = data_dir() / "geo"
    for p in sorted(geo.iterdir()) if geo.is_dir() else ():
        with contextlib.suppress(OSError):
            st = p.stat()
            h.update(f"{p.name}|{st.st_size}|{st.st_mtime_ns}\0".encode())
    return cache_dir(directory) / f"{h.hexdigest()}{_PLACES_SUFFIX}"


def load_places(spec: str, directory=None) -> list | None:
    """The footprints :func:`store_places` kept for ``spec``, as ``(fields, geometry)``
    pairs (``Footprint(geometry=geometry, **fields)``), or None (missing, damaged, another
    version or other shipped data)."""
    path = _places_path(spec, directory)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    start = len(_PLACES_MAGIC) + 32
    if (
        not data.startswith(_PLACES_MAGIC)
        or hashlib.sha256(data[start:]).digest() != data[len(_PLACES_MAGIC) : start]
    ):
        return None
    try:
        (n,) = struct.unpack("<Q", data[start : start + 8])
        rows = json.loads(data[start + 8 : start + 8 + n])
        body = memoryview(data)[start + 8 + n :]
        blobs = [bytes(body[a : a + b]) for a, b in (r.pop("_wkb") for r in rows)]
        geoms = shapely.from_wkb(np.asarray(blobs, dtype=object))
        out = []
        for r, g in zip(rows, geoms, strict=True):
            r["aliases"] = tuple(r["aliases"])
            r["centre"] = None if r["centre"] is None else tuple(r["centre"])
            r["parents"] = tuple(tuple(x) for x in r["parents"])
            out.append((r, g))
    except (ValueError, TypeError, KeyError, struct.error, shapely.errors.GEOSException):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # used: kept by prune()
    return out


def store_places(spec: str, fps: list, directory=None) -> None:
    """Keep the footprints of a set of places (their geometries as WKB, the rest as JSON);
    a footprint grown from another (``base``) is not kept. Never fails a run."""
    if any(f.base is not None for f in fps):
        return
    blobs = [shapely.to_wkb(f.geometry) for f in fps]
    rows, pos = [], 0
    for f, b in zip(fps, blobs, strict=True):
        r = {k.name: getattr(f, k.name) for k in dataclasses.fields(f) if k.name not in ("geometry", "base")}
        r["_wkb"] = [pos, len(b)]
        pos += len(b)
        rows.append(r)
    try:
        head = json.dumps(rows, ensure_ascii=False).encode("utf-8")
        body = struct.pack("<Q", len(head)) + head + b"".join(blobs)
        write_bytes(
            _places_path(spec, directory), _PLACES_MAGIC + hashlib.sha256(body).digest() + body, fsync=False
        )
    except (OSError, TypeError, ValueError):
        return
