"""The one rule of "nearest" and "how far" for places.

Which is nearest is decided in local, cos-latitude-scaled degrees (longitudes times the
cosine of the latitude: nearly isotropic over a country); how far is the geodesic
distance (WGS84) to the nearest point, 0 inside. :class:`~mapdiff.places.gazetteer.PointIndex`
and :func:`mapdiff.places.admin.nearest` both measure with it.
"""

from __future__ import annotations

import numpy as np
import shapely

from ..model.measure import GEOD

__all__ = ["GEOD", "reach", "scaled"]


def scaled(geoms, sx: float):
    """``geoms`` with their longitudes multiplied by ``sx`` (the cosine of a latitude)."""
    scale = np.array([sx, 1.0])
    return shapely.transform(geoms, lambda c: c * scale)


def reach(lon, lat, geoms, sx: float) -> tuple[np.ndarray, np.ndarray]:
    """Geodesic metres and azimuth from each point ``(lon[i], lat[i])`` to the nearest point
    of ``geoms[i]`` (already :func:`scaled` by ``sx``, where that nearest point is found).

    A point inside its geometry is 0 m away, with no azimuth (NaN).

    Examples
    --------
    >>> sx = float(np.cos(np.radians(48.0)))
    >>> box = scaled(np.array([shapely.box(37.0, 48.0, 37.1, 48.1)]), sx)
    >>> m, az = reach([37.2, 37.05], [48.05, 48.05], np.concatenate([box, box]), sx)
    >>> [round(float(x)) for x in m], round(float(az[0])), bool(np.isnan(az[1]))
    ([7455, 0], 270, True)
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    pts = shapely.points(lon * sx, lat)
    ends = shapely.get_coordinates(shapely.shortest_line(pts, geoms)).reshape(-1, 2, 2)[:, 1]
    az, _, dist = GEOD.inv(lon, lat, ends[:, 0] / sx, ends[:, 1])
    inside = shapely.intersects(pts, geoms)
    return np.where(inside, 0.0, dist), np.where(inside, np.nan, np.asarray(az) % 360.0)
