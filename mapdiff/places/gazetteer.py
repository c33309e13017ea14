"""One index of named points, and the nearest of them to any point: what every "near X" uses.

Distances follow the one rule of :mod:`mapdiff.places.distance`. Two sets of points ship
with mapdiff:

- :func:`towns` — every gazetteer place (the footprints' official centres, ``data/geo/``);
- :func:`settlements` — the GeoNames settlements of the figures' context layer
  (``data/geo/settlements.csv``, CC BY 4.0).

:meth:`PointIndex.nearest` answers for many points at once: candidates by a local,
cos-latitude-scaled distance in degrees, then the exact geodesic distance (WGS84) to each
candidate, the smallest kept, with the bearing from the place to the point. Components of
a disagreement, changed pieces of a release and settlements that changed hands are all
named by it, so one place is never "nearest" by two different rules.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np
import shapely

from .. import config
from .._resources import data_dir
from .distance import GEOD, reach, scaled
from .footprints import footprint
from .names import tables

__all__ = ["COMPASS", "Nearest", "PointIndex", "compass", "settlements", "towns"]

#: the eight compass points, clockwise from north
COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
_CANDIDATES = 8  # nearest by scaled degrees, then geodesic among them
#: inhabitants from which a place is large (labelled on a view of a whole front)
LARGE_POPULATION = 100_000


def compass(bearing_deg):
    """The compass point (``"N"``, ``"NE"``, ...) of a bearing in degrees, or an array of them
    (``None`` where the bearing is NaN).

    Examples
    --------
    >>> compass(44.0), compass(-90.0)
    ('NE', 'W')
    """
    b = np.asarray(bearing_deg, dtype=float)
    k = np.where(np.isfinite(b), ((np.nan_to_num(b) % 360.0) + 22.5) // 45.0 % 8, 8).astype(int)
    out = np.asarray((*COMPASS, None), dtype=object)[k]  # no bearing (no place): None
    return out


@dataclass(frozen=True)
class Nearest:
    """The nearest place of each query point: ``name`` (``None`` where the index is empty),
    geodesic ``km`` and ``bearing`` (degrees clockwise from north, from the place to the point)."""

    name: np.ndarray
    km: np.ndarray
    bearing: np.ndarray

    @property
    def direction(self) -> np.ndarray:
        """The compass point of each bearing: where the point lies seen from its place."""
        return compass(self.bearing)


@dataclass(frozen=True, eq=False)
class PointIndex:
    """Named points (lon/lat, WGS84) and the nearest of them to any point.

    Examples
    --------
    >>> idx = PointIndex(("A", "B"), np.array([37.0, 38.0]), np.array([48.0, 48.0]))
    >>> near = idx.nearest([37.1], [48.0])
    >>> near.name[0], round(float(near.km[0]), 2), near.direction[0]
    ('A', 7.46, 'E')
    """

    names: tuple[str, ...]
    lon: np.ndarray
    lat: np.ndarray
    #: inhabitants of each place (NaN where unknown), or None
    population: np.ndarray | None = None
    #: True for a large place, labelled even on a view of a whole front (see :func:`towns`), or None
    large: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.names)

    def nearest(self, lon, lat) -> Nearest:
        """The nearest place to each point ``(lon[i], lat[i])``."""
        qx = np.atleast_1d(np.asarray(lon, dtype=float))
        qy = np.atleast_1d(np.asarray(lat, dtype=float))
        m = len(qx)
        name = np.full(m, None, dtype=object)
        km = np.full(m, np.nan)
        bearing = np.full(m, np.nan)
        if m == 0 or len(self) == 0:
            return Nearest(name, km, bearing)
        k = min(_CANDIDATES, len(self))
        names = np.asarray(self.names, dtype=object)
        for s in range(0, m, 512):  # bounded memory: 512 points x N places at a time
            x, y = qx[s : s + 512, None], qy[s : s + 512, None]
            d2 = ((self.lon[None, :] - x) * np.cos(np.radians(y))) ** 2 + (self.lat[None, :] - y) ** 2
            cand = (
                np.argpartition(d2, k - 1, axis=1)[:, :k]
                if k < len(self)
                else np.tile(np.arange(k), (len(x), 1))
            )
            px, py = self.lon[cand], self.lat[cand]
            az, _, dist = GEOD.inv(px, py, np.broadcast_to(x, px.shape), np.broadcast_to(y, py.shape))
            best = np.argmin(dist, axis=1)
            rows = np.arange(len(best))
            pick = cand[rows, best]
            name[s : s + 512] = names[pick]
            km[s : s + 512] = dist[rows, best] / 1000.0
            bearing[s : s + 512] = az[rows, best] % 360.0
        return Nearest(name, km, bearing)

    def nearest_to(self, geoms) -> Nearest:
        """The place nearest to each geometry (0 km when its centre lies inside it).

        The place is the nearest in cos-latitude-scaled degrees (a local, nearly isotropic
        measure); ``km`` is the geodesic distance from it to the geometry's point nearest
        in those degrees (within 1e-4 of the distance to the geodesically nearest point for
        a geometry within a degree or so), and ``bearing`` points from the place to that
        point.
        """
        arr = np.asarray(geoms, dtype=object).ravel()
        m = len(arr)
        name = np.full(m, None, dtype=object)
        km = np.full(m, np.nan)
        bearing = np.full(m, np.nan)
        ok = ~(shapely.is_missing(arr) | shapely.is_empty(arr)) if m else np.zeros(0, bool)
        if not ok.any() or len(self) == 0:
            return Nearest(name, km, bearing)
        sx = float(np.cos(np.radians(np.mean(shapely.bounds(arr[ok])[:, [1, 3]]))))
        places = shapely.points(self.lon * sx, self.lat)
        flat = scaled(arr[ok], sx)
        (iq, ip), _ = shapely.STRtree(places).query_nearest(flat, return_distance=True, all_matches=False)
        dist, az = reach(self.lon[ip], self.lat[ip], flat[iq], sx)  # from each place to its geometry
        rows = np.flatnonzero(ok)[iq]
        name[rows] = np.asarray(self.names, dtype=object)[ip]
        km[rows] = dist / 1000.0
        bearing[rows] = az  # inside: none
        return Nearest(name, km, bearing)


@config.cached(maxsize=1)
def towns() -> PointIndex:
    """Every gazetteer place at its official centre (a footprint's centroid where it has none).

    ``population`` is the 2022 population of ``towns.csv`` (NaN where unknown); ``large``
    is a population of 100,000 or more, or a city whose limits ship in
    ``city_limits.geojson``.

    Examples
    --------
    >>> near = towns().nearest([37.18], [48.28])
    >>> str(near.name[0])
    'Pokrovsk'
    """
    names, lon, lat, pop, city = [], [], [], [], []
    for name, entry in sorted(tables()[0].items()):
        row = entry["row"]
        if row and row.get("lon") and row.get("lat"):
            c = (float(row["lon"]), float(row["lat"]))
        else:  # no centre in towns.csv: build the footprint (rare, slower)
            fp = footprint(name)
            c = fp.centre if fp.centre is not None else shapely.centroid(fp.geometry).coords[0]
        names.append(name)
        lon.append(c[0])
        lat.append(c[1])
        pop.append(float((row or {}).get("population_2022") or "nan"))
        city.append(entry["city"])
    population = np.asarray(pop, dtype=float)
    large = (np.nan_to_num(population) >= LARGE_POPULATION) | np.asarray(city, dtype=bool)
    return PointIndex(
        tuple(names), np.asarray(lon, dtype=float), np.asarray(lat, dtype=float), population, large
    )


@config.cached(maxsize=1)
def settlements() -> PointIndex:
    """The shipped GeoNames settlements (empty when ``data/geo/settlements.csv`` is absent),
    with their ``population`` (``large``: 100,000 or more).

    Examples
    --------
    >>> len(settlements()) > 1000
    True
    """
    path = data_dir() / "geo" / "settlements.csv"
    if not path.is_file():
        return PointIndex((), np.array([]), np.array([]), np.array([]), np.zeros(0, bool))
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    population = np.array([float(r["population"]) for r in rows])
    return PointIndex(
        tuple(r["name"] for r in rows),
        np.array([float(r["lon"]) for r in rows]),
        np.array([float(r["lat"]) for r in rows]),
        population,
        population >= LARGE_POPULATION,
    )
