"""Projection choice and areas in km².

Areas are measured in a Lambert azimuthal equal-area projection centred on what is
being measured (an equal-area projection gives exact areas wherever its centre is;
centring keeps shapes, and so distances, nearly true as well). Geodesic areas on the
WGS84 ellipsoid (:class:`pyproj.Geod`) are the yardstick the tests hold these to.
"""

from __future__ import annotations

import numpy as np
import pyproj
import shapely

from .. import config

__all__ = ["area_km2", "equal_area_crs", "from_equal_area", "geodesic_area_km2", "to_equal_area"]

_WGS84 = pyproj.CRS.from_epsg(4326)
#: the ellipsoid every geodesic area and distance is measured on (WGS84)
GEOD = pyproj.Geod(ellps="WGS84")
_MAX_SEGMENT_DEG = 0.01  # ~1 km: longer edges are densified before projecting


def _centre(geoms) -> tuple[float, float]:
    arr = np.atleast_1d(np.asarray(geoms, dtype=object))
    arr = arr[~shapely.is_empty(arr) & ~shapely.is_missing(arr)] if arr.size else arr
    if arr.size == 0:
        return 0.0, 0.0
    xmin, ymin, xmax, ymax = shapely.total_bounds(arr)
    return (xmin + xmax) / 2.0, (ymin + ymax) / 2.0


bounds_centre = _centre  # public name: (lon, lat) of the middle of the bounds, where a frame is centred


@config.cached(maxsize=256)
def _laea(lon: float, lat: float) -> pyproj.CRS:
    return pyproj.CRS.from_proj4(
        f"+proj=laea +lat_0={lat} +lon_0={lon} +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
    )


# The operation PROJ finds for EPSG:4326 -> the LAEA CRS above (no datum shift: both on
# WGS84), written out: ``from_pipeline`` skips PROJ's search of its database (~12 ms per
# centre, paid by every process that measures near a new centre); the results are
# bit-identical to ``from_crs`` (tests/model/test_transformers.py).
_LAEA_STEP = "+proj=laea +lat_0={lat} +lon_0={lon} +x_0=0 +y_0=0 +ellps=WGS84"


@config.cached(maxsize=256)
def _transformer(lon: float, lat: float) -> pyproj.Transformer:
    return pyproj.Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step "
        + _LAEA_STEP.format(lat=lat, lon=lon)
    )


@config.cached(maxsize=256)
def _inverse_transformer(lon: float, lat: float) -> pyproj.Transformer:
    return pyproj.Transformer.from_pipeline(
        "+proj=pipeline +step +inv "
        + _LAEA_STEP.format(lat=lat, lon=lon)
        + " +step +proj=unitconvert +xy_in=rad +xy_out=deg"
    )


#: the LAEA centred on (lon, lat) back to lon/lat, cached (for a shape built round a point)
inverse_transformer = _inverse_transformer


@config.cached(maxsize=512)
def cached_transformer(src, dst) -> pyproj.Transformer:
    """A cached ``pyproj.Transformer.from_crs(src, dst, always_xy=True)``.

    Building a transformer costs about 12 ms (PROJ searches its database for the
    operation); a claim check builds several for the same few CRSs, so they are kept.
    ``src`` and ``dst`` must be hashable: an EPSG code, a PROJ string or a ``pyproj.CRS``.

    Examples
    --------
    >>> cached_transformer(4326, "EPSG:3857") is cached_transformer(4326, "EPSG:3857")
    True
    """
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


def equal_area_crs(geoms) -> pyproj.CRS:
    """The local equal-area CRS mapdiff measures ``geoms`` (lon/lat) in.

    A Lambert azimuthal equal-area projection on WGS84, centred on the middle of the
    geometries' bounds rounded to 0.1° (so that nearby calls share one projection).

    Examples
    --------
    >>> import shapely
    >>> equal_area_crs(shapely.box(37.1, 48.2, 37.3, 48.4)).coordinate_operation.method_name
    'Lambert Azimuthal Equal Area'
    """
    lon, lat = _centre(geoms)
    return _laea(round(lon, 1), round(lat, 1))


def to_equal_area(geoms, centre: tuple[float, float] | None = None):
    """Project lon/lat geometries into the local equal-area CRS (metres).

    Parameters
    ----------
    geoms : shapely geometry or array of them, in EPSG:4326
    centre : (lon, lat), optional
        Centre of the projection; by default the middle of ``geoms``' bounds.

    Returns
    -------
    geometry or ndarray of geometries in metres, same shape as ``geoms``.

    Examples
    --------
    >>> import shapely
    >>> sq = to_equal_area(shapely.box(37.0, 48.0, 37.01, 48.01))
    >>> round(sq.area / 1e6, 4)
    0.8297
    """
    lon, lat = centre if centre is not None else _centre(geoms)
    tr = _transformer(round(lon, 1), round(lat, 1))

    def _fwd(coords: np.ndarray) -> np.ndarray:
        x, y = tr.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    # Edges are straight lines in lon/lat (as GeoJSON draws them): densify long ones
    # so that they stay (nearly) straight in lon/lat once projected.
    return shapely.transform(densify(geoms), _fwd)


def from_equal_area(geoms, centre: tuple[float, float]):
    """Project geometries in metres back from the local equal-area CRS to lon/lat.

    The inverse of :func:`to_equal_area` with the same ``centre`` (vertices are not
    removed: a densified edge stays densified).

    Parameters
    ----------
    geoms : shapely geometry or array of them, in metres
    centre : (lon, lat)
        The centre :func:`to_equal_area` projected them with.

    Returns
    -------
    geometry or ndarray of geometries in EPSG:4326, same shape as ``geoms``.

    Examples
    --------
    >>> import shapely
    >>> sq = shapely.box(37.0, 48.0, 37.01, 48.01)
    >>> back = from_equal_area(to_equal_area(sq, (37.0, 48.0)), (37.0, 48.0))
    >>> [round(v, 6) for v in back.bounds]
    [37.0, 48.0, 37.01, 48.01]
    """
    tr = _inverse_transformer(round(centre[0], 1), round(centre[1], 1))
    return shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def densify(geoms, max_segment_deg: float = _MAX_SEGMENT_DEG):
    """Insert vertices so that no edge is longer than ``max_segment_deg`` (same shape).

    ``shapely.segmentize`` on polygons can re-node a polygon whose edges nearly touch
    (GEOS 3.14 turned such a valid polygon into a MultiPolygon 20% larger); rings are
    densified one by one instead wherever that happens, which only ever adds points on
    the existing edges.

    Examples
    --------
    >>> import shapely
    >>> int(shapely.get_num_coordinates(densify(shapely.box(37.0, 48.0, 37.1, 48.1))))
    45
    """
    single = isinstance(geoms, shapely.Geometry)
    arr = np.asarray([geoms] if single else geoms, dtype=object)
    out = np.empty(arr.shape, dtype=object)
    present = ~shapely.is_missing(arr)
    out[~present] = arr[~present]
    types = shapely.get_type_id(arr)
    polygonal = present & ((types == 3) | (types == 6))
    # GEOS densifies a polygon and, when the result is invalid, repairs it with buffer(0),
    # which takes quadratic time in the parts (a MultiPolygon of 20,000 bow-ties: 29 s):
    # many-part ones, and any that GEOS re-nodes, are densified ring by ring as lines, in
    # linear time (the same vertices; nothing repaired)
    many = np.zeros(arr.shape, dtype=bool)
    many[polygonal] = shapely.get_num_geometries(arr[polygonal]) > _RINGWISE_PARTS
    by_rings = many
    plain = present & ~by_rings
    out[plain] = shapely.segmentize(arr[plain], max_segment_deg)
    renoded = np.flatnonzero(plain & polygonal)
    renoded = renoded[~_same_shape(arr[renoded], out[renoded])]
    by_rings[renoded] = True
    if by_rings.any():
        out[by_rings] = _densify_rings(arr[by_rings], max_segment_deg)
    return out[0] if single else out.reshape(np.shape(geoms))


_RINGWISE_PARTS = 64


def _same_shape(before, after):
    """Same type, part count, hole count and planar area (vectorised): points added on the
    edges change none of them, a re-noded polygon (a near-touching spike cut off) does."""
    a0, a1 = shapely.area(before), shapely.area(after)
    return (
        (shapely.get_type_id(before) == shapely.get_type_id(after))
        & (shapely.get_num_geometries(before) == shapely.get_num_geometries(after))
        & (shapely.get_num_interior_rings(before) == shapely.get_num_interior_rings(after))
        & (np.abs(a1 - a0) <= 1e-9 * np.abs(a0) + 1e-18)
    )


def _densify_rings(geoms: np.ndarray, d: float) -> np.ndarray:
    """Densify each ring of (Multi)Polygons on its own, as a line (points are only added on
    edges; nothing is repaired), vectorised: linear in the number of rings."""
    geoms = np.asarray(geoms, dtype=object)
    polys, poly_of = shapely.get_parts(geoms, return_index=True)
    rings, ring_of = shapely.get_rings(polys, return_index=True)
    out = np.array([shapely.Polygon()] * len(polys), dtype=object)
    if len(rings):
        shapely.polygons(shapely.segmentize(rings, d), indices=ring_of, out=out)
    multi = shapely.get_type_id(geoms) == 6
    result = np.array([shapely.Polygon()] * len(geoms), dtype=object)
    single = ~multi[poly_of]
    result[poly_of[single]] = out[single]
    if multi.any():
        renumber = np.cumsum(multi) - 1  # the multi geometries numbered 0..k-1
        made = np.array([shapely.MultiPolygon()] * int(multi.sum()), dtype=object)
        if (~single).any():
            shapely.multipolygons(out[~single], indices=renumber[poly_of[~single]], out=made)
        result[multi] = made
    return result


def _segments(lines):
    """Every segment of (multi)line geometries as an array of 2-point LineStrings."""
    parts = shapely.get_parts(lines)
    if len(parts) == 0:
        return np.array([], dtype=object)
    coords, ring = shapely.get_coordinates(parts, return_index=True)
    same = ring[1:] == ring[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    return shapely.linestrings(np.stack([a, b], axis=1))


#: every segment of (multi)line geometries as 2-point LineStrings (used by mapdiff.places.scope)
segments = _segments


def area_km2(geoms, *, centre: tuple[float, float] | None = None):
    """Area in km² of lon/lat geometries, measured in a local equal-area projection.

    Parameters
    ----------
    geoms : shapely geometry or array-like of them, in EPSG:4326
    centre : (lon, lat), optional
        Projection centre; by default the middle of all ``geoms``' bounds.

    Returns
    -------
    float or ndarray of float
        km²; missing or empty geometries measure 0.

    Examples
    --------
    >>> import shapely
    >>> round(area_km2(shapely.box(37.0, 48.0, 38.0, 49.0)), 1)
    8217.7
    """
    scalar = isinstance(geoms, shapely.Geometry) or geoms is None
    arr = np.atleast_1d(np.asarray(geoms, dtype=object))
    out = np.zeros(arr.shape, dtype=float)
    ok = ~shapely.is_missing(arr)
    ok[ok] &= ~shapely.is_empty(arr[ok])
    if ok.any():
        out[ok] = shapely.area(to_equal_area(arr[ok], centre)) / 1e6
    return float(out[0]) if scalar else out


def geodesic_area_km2(geom) -> float:
    """Geodesic area on the WGS84 ellipsoid (km²) of a lon/lat geometry.

    The yardstick: slower than :func:`area_km2`, independent of any projection.

    Examples
    --------
    >>> import shapely
    >>> round(geodesic_area_km2(shapely.box(37.0, 48.0, 38.0, 49.0)), 1)
    8217.6
    """
    if geom is None or geom.is_empty:
        return 0.0
    return abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(geom))[0]) / 1e6
