"""On-disk cache of parsed, clipped releases.

Reading a release and clipping it to an area of interest is most of the cost of a
history run. This module stores the result (a small :class:`~mapdiff.model.ControlMap`
restricted to the area of interest) so a second run skips the parsing and the clipping.

Design
------
- **Key**: SHA-256 of (the file's content hash, the WKB of the area of interest, the
  profile name, the mapdiff version, the cache format). A file whose content changes gets
  a new key, so the old entry is never used again (it is invalidated by construction);
  :func:`prune` removes entries not used for a while.
- **Format**: one file per entry, ``<key>.mdr``: a magic line, the length of a JSON
  header, the header (labels, background, source, date, scope, provenance, repairs,
  offsets) and the geometries as WKB. No pickle: a cache directory shared between users
  cannot run code.
- **Writes** go through :mod:`mapdiff.io.atomic` (temporary file + rename), so concurrent
  runs writing the same entry each leave a whole file and readers never see a partial
  one. A damaged or foreign entry reads as a miss and is rewritten.
- **Where**: ``$MAPDIFF_CACHE_DIR`` if set, else the user's cache directory
  (``platformdirs.user_cache_dir("mapdiff")``), subfolder ``releases``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import struct
import time
from pathlib import Path

import numpy as np
import shapely

from .io.atomic import write_bytes
from .labels import Label
from .model import ControlMap, NormalisationReport, Provenance, Repair

__all__ = ["CACHE_ENV", "cache_dir", "clear", "load", "prune", "release_key", "store"]

CACHE_ENV = "MAPDIFF_CACHE_DIR"
_MAGIC = b"MAPDIFF-RELEASE-1\n"
_FORMAT = 1
_SUFFIX = ".mdr"


def cache_dir(directory=None) -> Path:
    """The folder holding cached releases.

    Parameters
    ----------
    directory : str or Path, optional
        Explicit folder; otherwise ``$MAPDIFF_CACHE_DIR`` or the user cache directory.

    Examples
    --------
    >>> import os
    >>> os.environ["MAPDIFF_CACHE_DIR"] = "/tmp/mapdiff-doc-cache"
    >>> str(cache_dir())
    '/tmp/mapdiff-doc-cache'
    >>> del os.environ["MAPDIFF_CACHE_DIR"]
    """
    if directory is not None:
        return Path(directory)
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("mapdiff")) / "releases"


def release_key(content_sha256: str, aoi=None, profile: str | None = None) -> str:
    """The cache key of one release clipped to ``aoi`` and read with ``profile``.

    Examples
    --------
    >>> k = release_key("ab" * 32, None, "deepstate")
    >>> len(k), k == release_key("ab" * 32, None, "deepstate"), k == release_key("cd" * 32)
    (64, True, False)
    """
    from ._version import __version__
    from .places.regions import GEOGRAPHY_VERSION

    h = hashlib.sha256()
    for part in (
        f"format={_FORMAT}",
        f"version={__version__}",
        f"geography={GEOGRAPHY_VERSION}",  # the shipped outlines decide what a release covers
        f"profile={profile or 'auto'}",
        f"content={content_sha256}",
    ):
        h.update(part.encode() + b"\0")
    h.update(b"aoi=" + (b"" if aoi is None else shapely.to_wkb(aoi, hex=False, output_dimension=2)))
    return h.hexdigest()


def _path(key: str, directory) -> Path:
    return cache_dir(directory) / f"{key}{_SUFFIX}"


def store(key: str, m: ControlMap, directory=None) -> Path:
    """Write ``m`` under ``key`` (atomically); returns the entry's path."""
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
        "as_of": m.as_of.isoformat() if m.as_of else None,
        "scope": list(m.scope),
        "provenance": m.provenance.to_dict(),
        "report": m.report_base.to_dict(),
        "offsets": offsets,
    }
    head = json.dumps(header, ensure_ascii=False).encode("utf-8")
    data = _MAGIC + struct.pack("<Q", len(head)) + head + b"".join(blobs)
    return write_bytes(_path(key, directory), data)


def load(key: str, directory=None) -> ControlMap | None:
    """The cached map under ``key``, or None (missing, damaged or of another format)."""
    path = _path(key, directory)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        if not data.startswith(_MAGIC):
            return None
        start = len(_MAGIC)
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
            rep["n_features"], rep["n_used"], tuple(Repair(**r) for r in rep["repairs"])
        )
        m = ControlMap(
            labels,
            tuple(geoms[:-1]),
            geoms[-1],
            None if bg is None else Label(*bg),
            header["source"],
            dt.date.fromisoformat(header["as_of"]) if header["as_of"] else None,
            tuple(header["scope"]),
            Provenance(**header["provenance"]),
            report,
        )
    except (ValueError, KeyError, TypeError, struct.error, shapely.errors.GEOSException):
        return None
    try:  # mark as used, for prune()
        os.utime(path)
    except OSError:
        pass
    return m


def clear(directory=None) -> int:
    """Remove every cached release; returns how many entries were removed."""
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
    return n
