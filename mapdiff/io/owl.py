"""Project Owl's "UA Control Map" JSON (owlmaps/map-data, ``data/YYYYMMDD.json``).

Not GeoJSON: a JSON object whose ``areas`` is a list of rings of Russian-held land,
each a list of **[lat, lon]** pairs (latitude first), outer rings only (the converter
drops holes); ``areas_ua`` the same for Ukrainian-held land in Russia; ``frontline`` a
list of polylines of [lat, lon]; ``geos`` and ``units`` (events and unit markers,
ignored here). This module turns it into the table + lon/lat geometries every reader
produces: one Polygon per ring, property ``layer`` = ``areas`` / ``areas_ua``. The
rings of one layer are unioned when the map is normalised (overlapping rings count
once). The front line is read by :func:`front_line`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely

from ..errors import FormatError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["COLLECTION_NAME", "front_line", "is_owl", "read_owl"]

#: The collection name given to an Owl file (what the ``owl`` profile detects).
COLLECTION_NAME = "owlmaps UA Control Map"
_LAYERS = ("areas", "areas_ua")


def is_owl(obj) -> bool:
    """True for a JSON object shaped like an Owl file (``areas`` list, no ``type``)."""
    return isinstance(obj, dict) and "type" not in obj and isinstance(obj.get("areas"), list)


def _lonlat(points, name: str, where: str) -> np.ndarray:
    try:
        arr = np.asarray(points, dtype=float)
    except (ValueError, TypeError):
        raise FormatError(f"{name}: {where} is not a list of [lat, lon] pairs") from None
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise FormatError(f"{name}: {where} is not a list of [lat, lon] pairs")
    if not np.isfinite(arr[:, :2]).all():
        raise FormatError(f"{name}: {where} has NaN or infinite coordinates")
    return arr[:, [1, 0]]  # [lat, lon] -> (lon, lat)


def read_owl(obj: dict, name: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Table (``layer``, ``ring``) and lon/lat Polygons of an Owl file's rings.

    Examples
    --------
    >>> table, geoms = read_owl({"areas": [[[48.0, 37.0], [48.0, 37.1], [48.1, 37.1], [48.0, 37.0]]],
    ...                          "areas_ua": []}, "x.json")
    >>> table.layer.tolist(), geoms[0].bounds
    (['areas'], (37.0, 48.0, 37.1, 48.1))
    """
    layers, rings, geoms = [], [], []
    for layer in _LAYERS:
        items = obj.get(layer) or []
        if not isinstance(items, list):
            raise FormatError(f"{name}: '{layer}' is not a list of rings")
        for i, ring in enumerate(items):
            xy = _lonlat(ring, name, f"{layer}[{i}]")
            if len(xy) < 3:
                geom = shapely.Polygon()  # a degenerate ring: counted as empty when normalised
            else:
                if not np.array_equal(xy[0], xy[-1]):
                    xy = np.vstack([xy, xy[:1]])
                geom = shapely.Polygon(xy) if len(xy) >= 4 else shapely.Polygon()
            layers.append(layer)
            rings.append(i)
            geoms.append(geom)
    import pandas as pd  # here, not at import: a read from the cache needs no pandas

    table = pd.DataFrame({"layer": layers, "ring": rings})
    if not geoms and not obj.get("frontline"):
        # the converter failed that day: the release says nothing (not "all Ukrainian")
        table.attrs["empty_release"] = "areas, areas_ua and frontline are all empty"
    return table, np.asarray(geoms, dtype=object)


def front_line(obj: dict, name: str = "<owl>"):
    """The ``frontline`` polylines of an Owl file as one lon/lat MultiLineString."""
    lines = obj.get("frontline") or []
    if not isinstance(lines, list):
        raise FormatError(f"{name}: 'frontline' is not a list of polylines")
    parts = []
    for i, line in enumerate(lines):
        xy = _lonlat(line, name, f"frontline[{i}]")
        if len(xy) >= 2:
            parts.append(shapely.LineString(xy))
    return shapely.MultiLineString(parts)
