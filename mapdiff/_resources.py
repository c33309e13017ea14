"""Where the shipped data lives (``data/`` in a checkout, ``mapdiff/data`` when installed).

``setup.cfg`` maps the package ``mapdiff.data`` onto the checkout's ``data/`` folder, so
an installed copy holds the same files in ``<site-packages>/mapdiff/data``. That folder
has no ``__init__.py`` (it is data, not code), so :mod:`importlib.resources` sees it as a
namespace package whose ``files()`` is a ``MultiplexedPath``, not a filesystem path:
we resolve the folder directly instead.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir() -> Path:
    """The folder holding ``geo/``, ``samples/`` and ``claims/``."""
    for candidate in (_PACKAGE / "data", _PACKAGE.parent / "data"):
        if (candidate / "geo").is_dir():
            return candidate
    raise FileNotFoundError(
        f"mapdiff's data folder is missing (looked in {_PACKAGE / 'data'} and "
        f"{_PACKAGE.parent / 'data'}); reinstall mapdiff with 'pip install .'"
    )
