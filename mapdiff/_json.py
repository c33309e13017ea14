"""The one JSON contract: a schema version for every ``to_dict()`` and ``--json``, and one
cleaner that turns results into plain JSON (ISO dates, no NaN, numpy scalars as numbers,
geometries as GeoJSON objects). The shapes themselves are defined once, by the JSON Schema
files shipped in ``mapdiff/schemas/`` (``<type>.schema.json``)."""

from __future__ import annotations

import datetime as dt
import math
import sys

#: Version of every ``to_dict()``/``--json`` shape; bump on an incompatible change.
SCHEMA_VERSION = 1


def jsonable(obj):
    """A plain-JSON copy of ``obj``: dates ISO, NaN/inf as None, geometries as GeoJSON.

    Examples
    --------
    >>> import datetime as dt
    >>> import numpy as np
    >>> jsonable({"as_of": dt.date(2025, 11, 27), "share": float("nan"), "n": np.int64(3)})
    {'as_of': '2025-11-27', 'share': None, 'n': 3}
    """
    # numpy and shapely are not imported here (the command line imports this module at its
    # start): a value can only be one of theirs when they have been imported
    return _plain(obj, sys.modules.get("numpy"), sys.modules.get("shapely"))


def _plain(obj, np, shapely):
    """:func:`jsonable` with numpy and shapely (or None: not imported) looked up once."""
    if isinstance(obj, dict):
        return {str(k): _plain(v, np, shapely) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v, np, shapely) for v in obj]
    if isinstance(obj, dt.date):
        return obj.isoformat()
    if np is not None and isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, int | str | bool) or obj is None:
        return obj
    if shapely is not None and isinstance(obj, shapely.Geometry):
        return _plain(obj.__geo_interface__, np, shapely) if not obj.is_empty else None
    if hasattr(obj, "to_dict"):  # a result: its JSON shape, not its geometry
        return jsonable(obj.to_dict())  # (which may have imported numpy)
    if hasattr(obj, "__geo_interface__"):
        return jsonable(obj.__geo_interface__)
    return str(obj)


def iso(date, default: str | None = None) -> str | None:
    """``date.isoformat()``, or ``default`` (None, or e.g. ``"undated"`` in text) for no date.

    >>> import datetime as dt
    >>> iso(dt.date(2025, 11, 27)), iso(None), iso(None, "undated")
    ('2025-11-27', None, 'undated')
    """
    return date.isoformat() if date is not None else default
