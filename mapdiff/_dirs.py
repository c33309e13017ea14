"""The one place that decides where mapdiff keeps files on the user's disk.

=====================  ===============================================  ==========================
what                   folder                                           written by
=====================  ===============================================  ==========================
parsed, clipped        ``<cache root>/releases/``                       :mod:`mapdiff.io.cache`
releases
fetched boundaries     ``<cache root>/footprints/``                     :mod:`mapdiff.places`
downloaded archive     ``<data root>/<source>/`` (+ ``registry.json``)  :func:`mapdiff.fetch`
releases
=====================  ===============================================  ==========================

The cache root is ``$MAPDIFF_CACHE_DIR``, else ``platformdirs.user_cache_dir("mapdiff")``:
anything in it can be deleted and is rebuilt. ``MAPDIFF_NO_CACHE=1`` turns the read cache
(normalised whole releases, :func:`mapdiff.read_map` ``cache=True``, used by the CLI) off.
The data root is ``$MAPDIFF_DATA_DIR``, else
``platformdirs.user_data_dir("mapdiff")``: downloads are kept (they may vanish upstream).

Examples
--------
>>> import os
>>> os.environ["MAPDIFF_CACHE_DIR"] = "/tmp/md"
>>> cache_dir("releases").as_posix(), cache_dir("footprints").as_posix()
('/tmp/md/releases', '/tmp/md/footprints')
>>> del os.environ["MAPDIFF_CACHE_DIR"]
"""

from __future__ import annotations

from pathlib import Path

from . import config

__all__ = ["CACHE_ENV", "CACHE_SUBDIRS", "DATA_ENV", "NO_CACHE_ENV", "cache_dir", "cache_enabled", "data_dir"]

CACHE_ENV = "MAPDIFF_CACHE_DIR"
NO_CACHE_ENV = "MAPDIFF_NO_CACHE"
DATA_ENV = "MAPDIFF_DATA_DIR"
CACHE_SUBDIRS = ("releases", "footprints")


def cache_dir(sub: str) -> Path:
    """``<cache root>/<sub>`` for ``sub`` in :data:`CACHE_SUBDIRS` (not created here)."""
    if sub not in CACHE_SUBDIRS:
        raise ValueError(f"unknown cache folder {sub!r}; known: {', '.join(CACHE_SUBDIRS)}")
    root = config.setting(CACHE_ENV)
    if not root:
        import platformdirs

        root = platformdirs.user_cache_dir("mapdiff", appauthor=False)
    return Path(root).expanduser() / sub


def data_dir() -> Path:
    """The data root: ``$MAPDIFF_DATA_DIR`` or the user data folder (not created here)."""
    root = config.setting(DATA_ENV)
    if not root:
        import platformdirs

        root = platformdirs.user_data_dir("mapdiff", appauthor=False)
    return Path(root).expanduser()


def cache_enabled() -> bool:
    """False when ``MAPDIFF_NO_CACHE`` is set (to anything but empty or ``0``): the read
    cache is then neither read nor written (the history runner's own switch is ``cache=``)."""
    return not config.setting(NO_CACHE_ENV)
