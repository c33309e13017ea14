"""The CRS gate: which coordinate reference systems an input may name.

A CRS definition is input like any other, and PROJ acts on some of what it can say:
``+init=FILE`` reads a file, ``+nadgrids=``/``+geoidgrids=`` and WKT's
``PARAMETERFILE[...]`` open a grid (a FIFO there hangs the read), and with
``PROJ_NETWORK=ON`` a grid may be fetched over HTTP. So every CRS that comes from a file
(a GeoJSON ``crs`` member, a Shapefile's ``.prj``, a GeoPackage's or GeoParquet's
definition) passes :func:`safe_crs` before PROJ sees it:

- allowed forms: an EPSG code (``4326``, ``"EPSG:3857"``), an OGC name or URN
  (``"OGC:CRS84"``, ``"urn:ogc:def:crs:EPSG::3857"``), WKT (1 or 2), PROJJSON; a PROJ
  string (``+proj=...``) only when the caller gives it (``crs=``, ``--crs``), never from
  a file;
- refused anywhere in the text or in the CRS it parses to: a file or grid reference
  (``init``, ``nadgrids``, ``geoidgrids``, ``PARAMETERFILE``, ``PROJ4_GRIDS``,
  ``tinshift``, ``deformation``), a URL, and definitions over 64 KB;
- transformations of input are built with PROJ's network access switched off
  (:func:`no_proj_network`), whatever ``PROJ_NETWORK`` says; :func:`to_lonlat` makes
  input lon/lat, refusing degrees stated as metres.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator

import numpy as np
import pyproj
import shapely

from .. import config
from ..errors import CRSError, MissingCRSError
from ..model.measure import cached_transformer

__all__ = ["is_lonlat", "no_proj_network", "safe_crs", "to_lonlat"]

_MAX_CHARS = 64 * 1024
# what makes PROJ open a file or a URL; matched on the lowercased text
_REFERENCES = re.compile(
    r"init\s*=|nadgrids|geoidgrids|\bgrids\s*=|parameterfile|proj4_grids|tinshift|deformation"
    r"|xyzgridshift|hgridshift|vgridshift|://|\bfile\s*:|\\\\|@"
)
_EPSG = re.compile(r"(?:epsg|esri|iau_\d+)\s*:\s*:?\s*\d{1,9}", re.I)
_URN = re.compile(
    r"urn:ogc:def:crs:(?:epsg|ogc|esri):[0-9.]*:(?:\d{1,9}|crs84|crs83|crs27)|ogc:crs(?:84|83|27)", re.I
)
_WKT = re.compile(
    r"(?:projcs|geogcs|geoccs|compd_cs|vert_cs|local_cs|projcrs|geogcrs|geodcrs|compoundcrs|"
    r"boundcrs|vertcrs|engcrs|projectedcrs|geographiccrs|geodeticcrs|baseprojcrs|derivedprojcrs)\s*\[",
    re.I,
)


def _quote(text: str, n: int = 80) -> str:
    text = "".join(c if c.isprintable() else "?" for c in text)
    return repr(text[:n] + ("…" if len(text) > n else ""))


def safe_crs(value, name: str, *, caller: bool = False) -> pyproj.CRS:
    """``value`` as a :class:`pyproj.CRS` if it is an allowed form without any file, grid
    or network reference; otherwise :class:`~mapdiff.errors.CRSError` naming ``name``.

    ``caller=True`` for a CRS the caller gives (``crs=``, ``--crs``): PROJ strings are
    then allowed too (still without references).

    Examples
    --------
    >>> safe_crs("EPSG:3857", "x.geojson").to_epsg()
    3857
    >>> safe_crs("+proj=longlat +nadgrids=/tmp/fifo", "x.geojson")
    Traceback (most recent call last):
    ...
    mapdiff.errors.CRSError: x.geojson: its CRS '+proj=longlat +nadgrids=/tmp/fifo' names a file, ...
    """
    if isinstance(value, pyproj.CRS):
        crs = value
    else:
        text = _text(value, name)
        _check_text(text, name, caller)
        try:
            with no_proj_network():
                crs = pyproj.CRS.from_user_input(text)
        except pyproj.exceptions.CRSError:
            raise CRSError(
                f"{name}: its CRS {_quote(text)} is not one PROJ knows; name it by EPSG code "
                "(e.g. 'EPSG:3857') or pass crs="
            ) from None
    try:
        wkt = crs.to_wkt() or ""
    except pyproj.exceptions.CRSError:
        wkt = ""
    if _REFERENCES.search((crs.srs or "").lower()) or _REFERENCES.search(wkt.lower()):
        raise CRSError(
            f"{name}: its CRS {_quote(crs.srs or crs.name)} names a file, grid or URL (PROJ would open "
            "or fetch it); mapdiff refuses such definitions: name the CRS by EPSG code or pass crs="
        )
    return crs


def _text(value, name: str) -> str:
    if isinstance(value, bool):
        raise CRSError(f"{name}: its CRS {value!r} is not a CRS; name it by EPSG code or pass crs=")
    if isinstance(value, int):
        return f"EPSG:{value}"
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            value = json.loads(value)
        except ValueError:
            raise CRSError(
                f"{name}: its CRS is not valid PROJJSON; name it by EPSG code or pass crs="
            ) from None
    if isinstance(value, dict):  # PROJJSON; its "$schema" URL is a label, not a reference
        value = {k: v for k, v in value.items() if k != "$schema"}
        try:
            return json.dumps(value)
        except (TypeError, ValueError):
            raise CRSError(
                f"{name}: its CRS is not valid PROJJSON; name it by EPSG code or pass crs="
            ) from None
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise CRSError(f"{name}: its CRS definition is not UTF-8 text; pass crs=") from None
    if hasattr(value, "to_wkt") and not isinstance(value, str):  # a pyproj-like CRS object
        value = value.to_wkt()
    if not isinstance(value, str):
        raise CRSError(
            f"{name}: its CRS is a {type(value).__name__}, not a name or definition; "
            "name it by EPSG code (e.g. 'EPSG:3857') or pass crs="
        )
    return value.strip().lstrip("\ufeff")


def _check_text(text: str, name: str, caller: bool) -> None:
    if len(text) > _MAX_CHARS:
        raise CRSError(
            f"{name}: its CRS definition is {len(text):,} characters (over {_MAX_CHARS:,}); pass crs="
        )
    low = text.lower()
    if _REFERENCES.search(low):
        raise CRSError(
            f"{name}: its CRS {_quote(text)} names a file, grid or URL (PROJ would open or fetch it); "
            "mapdiff refuses such definitions: name the CRS by EPSG code or pass crs="
        )
    if _EPSG.fullmatch(text) or _URN.fullmatch(text) or _WKT.match(text) or low.startswith("{"):
        return
    if caller and (low.startswith("+proj=") or low.startswith("proj=")):
        return
    raise CRSError(
        f"{name}: its CRS {_quote(text)} is not an EPSG code, OGC URN, WKT or PROJJSON; "
        "mapdiff reads only those from a file: name it by EPSG code (e.g. 'EPSG:3857') or pass crs="
    )


@contextlib.contextmanager
def no_proj_network() -> Iterator[None]:
    """PROJ's network access off inside the block (grids are never fetched for input),
    the previous setting restored afterwards."""
    import pyproj.network

    before = pyproj.network.is_network_enabled()
    if before:
        pyproj.network.set_network_enabled(False)
    try:
        yield
    finally:
        if before:
            pyproj.network.set_network_enabled(True)


_WGS84 = pyproj.CRS.from_epsg(4326)


def is_lonlat(crs: pyproj.CRS) -> bool:
    """True when ``crs`` is lon/lat degrees on WGS 84 (either axis order)."""
    key = (crs.srs, crs.name)  # a CRS hashes by its WKT, which costs more than the test
    if key not in _LONLAT:
        _LONLAT[key] = _lonlat_test(crs)
    return _LONLAT[key]


_LONLAT: dict = config.register_cache({})


def _lonlat_test(crs: pyproj.CRS) -> bool:
    return (
        crs.equals(_WGS84, ignore_axis_order=True)
        or crs.to_epsg() == 4326
        or crs.name.upper().startswith("WGS 84 (CRS84)")
    )


def to_lonlat(geoms: np.ndarray, crs, name: str, default_lonlat: bool = False) -> np.ndarray:
    """Transform to EPSG:4326 lon/lat (axis order x=lon, y=lat)."""
    if crs is None:
        if default_lonlat:
            return geoms
        raise MissingCRSError(
            f"{name}: the input states no CRS; pass crs= (for example crs='EPSG:4326' for lon/lat degrees)"
        )
    # a CRS object came from the file (checked again: its WKT may name a grid); anything
    # else is the caller's crs=, where PROJ strings are allowed too
    crs = safe_crs(crs, name, caller=not isinstance(crs, pyproj.CRS))
    if is_lonlat(crs):
        return geoms
    if crs.is_projected and not default_lonlat:
        _refuse_degrees_as_metres(geoms, crs, name)
    with no_proj_network():  # a grid is never fetched for input, whatever PROJ_NETWORK says
        tr = cached_transformer(crs, _WGS84)

        def fwd(c):
            x, y = tr.transform(c[:, 0], c[:, 1])
            return np.column_stack([x, y])

        out = shapely.transform(geoms, fwd)
    coords = shapely.get_coordinates(out)
    if coords.size and not np.isfinite(coords).all():
        raise CRSError(
            f"{name}: coordinates do not transform from {crs.name} to lon/lat; "
            "is the stated CRS right? pass crs= to override it"
        )
    return out


def _refuse_degrees_as_metres(geoms: np.ndarray, crs: pyproj.CRS, name: str) -> None:
    """A projected CRS over coordinates that all lie within ±180/±90 (degrees, not metres):
    transformed, the whole map would shrink to a few hundred metres off Africa and measure
    0 km². Such a map is a lon/lat file with a wrong CRS."""
    present = geoms[~shapely.is_missing(geoms)] if len(geoms) else geoms
    present = present[~shapely.is_empty(present)] if len(present) else present
    if not len(present):
        return
    b = shapely.bounds(present)
    x0, y0, x1, y1 = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    if -180 <= x0 and x1 <= 180 and -90 <= y0 and y1 <= 90:
        raise CRSError(
            f"{name}: the file states {crs.name} (a projected CRS, in {crs.axis_info[0].unit_name}s), but "
            f"every coordinate lies within ({x0:.4g}..{x1:.4g}, {y0:.4g}..{y1:.4g}): they look like "
            "longitude/latitude degrees, which would measure about 0 km²; if they are, pass crs='EPSG:4326'"
        )
