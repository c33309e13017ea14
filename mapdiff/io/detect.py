"""Which format a map file is in, and reading it into a :class:`~mapdiff.io.formats.RawMap`.

:func:`read_raw` takes a path, a binary file-like object or a GeoDataFrame; :func:`read_raw_bytes`
sniffs the bytes (the signature, not the name, decides: a suffix promising a binary format
must be backed by its signature) and hands them to the format's reader.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from ..config import check_bytes, check_vertices, current_limits
from ..errors import FormatError
from .formats import RawMap, from_gdf, from_table, read_ogr, read_parquet, read_shapefile_parts, read_zip
from .gate import FGB_MAGIC, OGR_SUFFIXES, check_input_path, read_input_bytes, shapefile_parts
from .geojson import read_geojson
from .kml import read_kml

__all__ = ["read_raw", "read_raw_bytes"]


# ------------------------------------------------------------------ raw reading
def read_raw(src, crs=None, limits=None, *, layer: str | None = None) -> RawMap:
    """Read features (properties + lon/lat geometries) from any supported input.

    Parameters
    ----------
    src : str, Path, binary file-like or GeoDataFrame
    crs : optional
        CRS to assume when the input states none, or to override it.
    limits : mapdiff.config.Limits, optional
        Input size and vertex limits (default :func:`mapdiff.config.current_limits`).
    layer : str, optional
        Layer of a multi-layer GeoPackage.

    Returns
    -------
    RawMap

    Raises
    ------
    InputLimitError
        The input is larger, or has more vertices, than the limits allow.
    """
    raw = _read_raw(src, crs, limits, layer)
    check_vertices(raw.geoms, raw.name, limits)
    return raw


def _read_raw(src, crs=None, limits=None, layer=None) -> RawMap:
    gpd = sys.modules.get("geopandas")  # a GeoDataFrame exists only once geopandas is imported
    if gpd is not None and isinstance(src, gpd.GeoDataFrame):
        return from_gdf(src, crs, "<GeoDataFrame>", None, None)
    if isinstance(src, str) and src.split(":", 1)[0].lower() in ("http", "https", "ftp"):
        raise FormatError(
            f"{src}: read_map does not fetch URLs; download it with mapdiff.fetch() or pass a local file"
        )
    if isinstance(src, str | Path):
        path = check_input_path(src)
        if path.suffix.lower() == ".shp":
            parts = shapefile_parts(path, limits)
            return read_shapefile_parts(parts, path.name, crs, str(path), layer, limits)
        data = read_input_bytes(path, limits)
        return read_raw_bytes(data, path.name, crs, str(path), limits, layer=layer)
    if hasattr(src, "read"):
        name = getattr(src, "name", "<stream>")
        check_bytes(0, name, limits)  # a bad limit setting fails before reading
        cap = current_limits(limits).max_bytes
        data = src.read() if cap is None else src.read(cap + 1)
        check_bytes(len(data), name, limits)
        if isinstance(data, str):
            data = data.encode("utf-8")
        return read_raw_bytes(data, name, crs, None, limits, layer=layer)
    raise FormatError(
        f"cannot read a map from {type(src).__name__}: pass a path, a binary file object or a GeoDataFrame"
    )


def read_raw_bytes(data: bytes, name: str, crs, path: str | None, limits=None, *, layer=None) -> RawMap:
    check_bytes(len(data), name, limits)  # also for callers that read the bytes themselves
    digest = hashlib.sha256(data).hexdigest()
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise FormatError(f"{name}: the file is empty")
    _refuse_wide_text(data, name)
    low = name.lower()
    if Path(low).suffix in OGR_SUFFIXES:  # the suffix promises a binary format: its signature or nothing
        raw = read_ogr(data, name, crs, path, layer, limits)
    elif head[:1] in (b"{", b"["):
        raw = read_geojson(data, name, crs, limits)
    elif head.startswith(b"PK"):
        raw = read_zip(data, name, crs, path, limits)
    elif head[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise FormatError(
            f"{name}: an HTML page, not a map (a saved error or login page?); download the map file itself"
        )
    elif head[:1] == b"<" or low.endswith(".kml"):
        raw = from_table(*read_kml(data, name, limits), name=name)
    elif head.startswith(b"PAR1"):
        raw = read_parquet(data, name, crs, limits)
    elif data.startswith((b"SQLite format 3\0", FGB_MAGIC)) or Path(low).suffix in OGR_SUFFIXES:
        raw = read_ogr(data, name, crs, path, layer, limits)
    else:
        raise FormatError(
            f"{name}: unknown format; mapdiff reads GeoJSON, GeoPackage, "
            "Shapefile, KML/KMZ, FlatGeobuf and GeoParquet"
        )
    check_vertices(raw.geoms, name, limits)
    return RawMap(
        raw.table, raw.geoms, raw.name, raw.collection_name, raw.top_level, digest, path, raw.coverage
    )


def _refuse_wide_text(data: bytes, name: str) -> None:
    """UTF-16/UTF-32 text (a BOM, or NULs between ASCII characters): ask for UTF-8."""
    bom = data[:4]
    wide = bom.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff"))
    sample = data[:64]
    if not wide and len(sample) >= 8 and not sample.startswith((b"SQLite", b"PK", b"PAR1", b"fgb")):
        wide = sample.count(0) * 3 >= len(sample) and any(c in sample for c in b"{[<")
    if wide:
        raise FormatError(
            f"{name}: UTF-16 or UTF-32 text; mapdiff reads GeoJSON and KML as UTF-8: save the file as UTF-8"
        )
