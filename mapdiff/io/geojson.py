"""GeoJSON (and JSON wrapping a FeatureCollection) into a :class:`~mapdiff.io.formats.RawMap`:
parsed with orjson, refused when a key is duplicated, geometries built quickly for the
common Polygon/MultiPolygon case, the file's CRS member honoured."""

from __future__ import annotations

import itertools
import json
import re

import numpy as np
import orjson
import shapely
from shapely.geometry import shape

from ..config import (
    check_features,
    check_json_depth,
    check_properties,
    check_text_vertices,
    check_vertices,
    register_cache,
)
from ..errors import CRSError, FormatError, quote
from .crs import safe_crs, to_lonlat
from .formats import RawMap
from .owl import COLLECTION_NAME, is_owl, read_owl

__all__ = ["read_geojson"]


def read_geojson(data: bytes, name: str, crs, limits=None) -> RawMap:
    check_text_vertices(data, name, "geojson", limits)  # before json builds every coordinate
    check_json_depth(data, name)  # before any parser recurses
    try:
        obj = orjson.loads(data)  # several times faster than json on a whole front
    except (orjson.JSONDecodeError, RecursionError):
        obj = _loads(data, name)  # the standard parser says where and why
    else:
        if not _surely_no_duplicate_keys(data, obj):
            obj = _loads(data, name)  # refuses a duplicate key, naming it
    top_level = None

    if is_owl(obj):
        table, geoms = read_owl(obj, name)
        return RawMap(table, geoms, name, COLLECTION_NAME)
    if (
        isinstance(obj, dict)
        and obj.get("type") not in ("FeatureCollection", "Feature")
        and not _is_geometry(obj)
    ):
        inner = next(
            (v for v in obj.values() if isinstance(v, dict) and v.get("type") == "FeatureCollection"), None
        )
        if inner is None:
            raise FormatError(
                f"{name}: JSON but not GeoJSON: no FeatureCollection found "
                f"(top-level keys: {', '.join(map(str, list(obj)[:8]))})"
            )
        top_level = {k: v for k, v in obj.items() if not isinstance(v, dict | list)}
        obj = inner
    if isinstance(obj, list):
        obj = {"type": "FeatureCollection", "features": obj}
    if obj.get("type") == "Feature":
        obj = {"type": "FeatureCollection", "features": [obj]}
    elif _is_geometry(obj):
        obj = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": obj}]}
    features = obj.get("features")
    if not isinstance(features, list):
        raise FormatError(f"{name}: a FeatureCollection without a 'features' list")
    check_features(len(features), name, limits)  # before building a geometry per feature
    props, geoms = [], np.empty(len(features), dtype=object)
    for i, f in enumerate(features):
        if not isinstance(f, dict):
            raise FormatError(f"{name}: feature {i} is not a JSON object")
        p = f.get("properties")
        props.append(p if isinstance(p, dict) else {})
        geoms[i] = _geometry(f.get("geometry"), name, i)
    check_properties(props, name, limits)  # before a table of features x distinct names
    import pandas as pd  # here, not at import: a read from the cache needs no pandas

    table = pd.DataFrame.from_records(props) if any(props) else pd.DataFrame(index=range(len(features)))
    file_crs = _geojson_crs(obj, name)
    geoms = to_lonlat(
        geoms, crs if crs is not None else file_crs, name, default_lonlat=crs is None and file_crs is None
    )
    coll = obj.get("name") if isinstance(obj.get("name"), str) else None
    cover = _geometry(obj["coverage"], name, "coverage") if _is_geometry(obj.get("coverage")) else None
    if cover is not None:  # the coverage member is input too: the same limits
        check_vertices([cover], f"{name} (its 'coverage' member)", limits)
    return RawMap(table, geoms, name, coll, top_level, coverage=cover)


def _loads(data: bytes, name: str):
    """The standard parser: exact messages, and duplicate keys refused."""
    try:
        return json.loads(data, object_pairs_hook=_no_duplicate_keys)
    except _DuplicateKey as exc:
        raise FormatError(
            f"{name}: a JSON object names {exc.args[0]!r} twice; JSON readers disagree on which "
            "value wins, so mapdiff refuses it: keep one"
        ) from None
    except UnicodeDecodeError:
        raise FormatError(f"{name}: not UTF-8 text; GeoJSON must be UTF-8") from None
    except RecursionError:
        raise FormatError(f"{name}: JSON nested too deeply to be GeoJSON") from None
    except json.JSONDecodeError as exc:
        hint = " (the file looks truncated)" if exc.pos >= len(data.rstrip()) - 1 else ""
        raise FormatError(
            f"{name}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}{hint}"
        ) from None


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs):
    d = dict(pairs)
    if len(d) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise _DuplicateKey(k)
            seen.add(k)
    return d


_ESCAPED_COLON = re.compile(rb"\\u003[aA]")


def _surely_no_duplicate_keys(data: bytes, obj) -> bool:
    """True when the parsed ``obj`` provably kept every key of ``data`` (orjson keeps the
    last of duplicate keys silently).

    Outside strings, a colon in JSON text follows a key: so the colons of ``data`` number
    the key/value pairs written plus the colons inside strings. The parsed tree gives the
    pairs kept plus the colons in its strings; equal counts mean no key was lost. Lists
    that start with numbers (coordinates) are not walked: any object hidden in one makes
    the counts differ, and so does an escaped colon (backslash-u003a, checked up front). On any
    difference the caller parses again with the standard parser, which decides exactly.
    """
    if b"\\u00" in data and _ESCAPED_COLON.search(data):  # a plain find first: far faster
        return False
    counted = 0
    stack = [obj]
    while stack:
        o = stack.pop()
        items = o.items() if isinstance(o, dict) else ((None, v) for v in o)
        if isinstance(o, dict):
            counted += len(o)
        elif o and not isinstance(o[0], dict | str) and _numbers_first(o):
            continue
        for k, v in items:
            if k is not None:
                counted += k.count(":")
            if isinstance(v, str):
                counted += v.count(":")
            elif isinstance(v, dict | list):
                stack.append(v)
    return counted == data.count(b":")


def _numbers_first(o: list) -> bool:
    x = o
    while isinstance(x, list) and x:
        x = x[0]
    return isinstance(x, int | float) and not isinstance(x, bool)


def _is_geometry(obj) -> bool:
    return isinstance(obj, dict) and obj.get("type") in (
        "Polygon",
        "MultiPolygon",
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "GeometryCollection",
    )


def _geometry(g, name: str, i: int):
    if g is None:
        return None
    try:
        with np.errstate(invalid="ignore"):  # NaN coordinates are refused just below
            geom = _fast_shape(g)
    except OverflowError:
        raise FormatError(
            f"{name}: feature {i} has a coordinate too large for a number; fix or remove that feature"
        ) from None
    except (shapely.errors.ShapelyError, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise FormatError(
            f"{name}: feature {i} has a geometry GEOS cannot read "
            f"({str(exc).splitlines()[0][:120]}); fix or remove that feature"
        ) from None
    if geom is not None and not geom.is_empty:
        coords = shapely.get_coordinates(geom, include_z=False)
        if not np.isfinite(coords).all():
            raise FormatError(
                f"{name}: feature {i} has NaN or infinite coordinates; fix or remove that feature"
            )
    return geom


def _fast_shape(g):
    """``shapely.geometry.shape`` for GeoJSON, with (Multi)Polygons built from arrays.

    ``shape`` copies polygon coordinates one Python tuple at a time, which costs more
    than parsing the JSON; here numpy converts all of a geometry's positions in one call
    and GEOS builds every ring and polygon of it at once (``shapely.linearrings`` and
    ``shapely.polygons`` with indices). Anything unusual (other types, ragged or malformed
    coordinates) goes through ``shape`` unchanged, so results and error messages stay
    those of shapely.
    """
    kind = g.get("type") if isinstance(g, dict) else None
    try:
        if kind == "Polygon":
            return _fast_polygons([g["coordinates"]])[0]
        if kind == "MultiPolygon" and g["coordinates"]:
            return shapely.multipolygons(_fast_polygons(g["coordinates"]))
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, shapely.errors.GEOSException):
        pass
    return shape(g)


def _fast_polygons(polys) -> np.ndarray:
    """Polygons from GeoJSON polygon coordinates (a list of lists of rings), vectorised."""
    if not isinstance(polys, list) or not all(isinstance(p, list) and p for p in polys):
        raise ValueError("empty polygon")
    rings = [r for p in polys for r in p]
    sizes = np.fromiter((len(r) for r in rings), dtype=np.intp, count=len(rings))
    if sizes.min() < 4:
        raise ValueError("not a polygon ring")
    coords = np.array(list(itertools.chain.from_iterable(rings)), dtype=float)
    if coords.ndim != 2 or coords.shape[1] not in (2, 3):
        raise ValueError("not a polygon ring")
    ring_of = np.repeat(np.arange(len(rings)), sizes)
    lines = shapely.linearrings(coords, indices=ring_of)
    per_poly = np.fromiter((len(p) for p in polys), dtype=np.intp, count=len(polys))
    return shapely.polygons(lines, indices=np.repeat(np.arange(len(polys)), per_poly))


def _geojson_crs(obj: dict, name: str):
    member = obj.get("crs")
    if not member:
        return None
    try:
        text = member["properties"]["name"]
    except (KeyError, TypeError):
        raise CRSError(
            f"{name}: cannot read its 'crs' member {quote(member)}; remove it (GeoJSON is lon/lat) "
            "or pass crs="
        ) from None
    if isinstance(text, str) and text in _CRS_NAMED:  # every file of an archive names one
        return _CRS_NAMED[text]
    crs = safe_crs(text, name)  # an allow-list: no file, grid or URL reaches PROJ
    if len(_CRS_NAMED) > 64:
        _CRS_NAMED.clear()
    _CRS_NAMED[text] = crs
    return crs


_CRS_NAMED: dict = register_cache({})
