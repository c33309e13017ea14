"""Features as read, before labelling (:class:`RawMap`), from the formats read through
pyogrio/geopandas (GeoPackage, Shapefile, FlatGeobuf), pyarrow (GeoParquet) or
:mod:`mapdiff.io.kml` (KMZ)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

from ..config import check_bytes, check_features, check_properties, current_limits
from ..errors import FormatError, InputLimitError, MissingCRSError, quote
from .crs import safe_crs, to_lonlat
from .gate import ogr_frame, shapefile_frame, zip_holds_kml, zip_shapefile_parts
from .kml import read_kmz

__all__ = ["RawMap", "from_gdf", "from_table", "read_ogr", "read_parquet", "read_shapefile_parts", "read_zip"]

if TYPE_CHECKING:  # pandas is imported where a file is parsed: a read from the cache needs none
    import pandas as pd


@dataclass(frozen=True)
class RawMap:
    """Features as read, before labelling: properties, lon/lat geometries and context."""

    table: pd.DataFrame
    geoms: np.ndarray
    name: str
    collection_name: str | None = None
    top_level: dict | None = None
    sha256: str | None = None
    path: str | None = None
    coverage: object = None  # a coverage the file itself declares (GeoJSON member "coverage")


def from_gdf(gdf, crs, name: str, path: str | None, digest: str | None) -> RawMap:
    if gdf.geometry.name not in gdf.columns:
        raise FormatError(f"{name}: the frame has no geometry column")
    import pandas as pd  # here, not at import: a read from the cache needs no pandas

    table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    geoms = to_lonlat(geoms, crs if crs is not None else gdf.crs, name)
    return RawMap(table.reset_index(drop=True), geoms, name, None, None, digest, path)


def from_table(table: pd.DataFrame, geoms, name: str) -> RawMap:
    return RawMap(table, np.asarray(geoms, dtype=object), name)


def read_ogr(data: bytes, name: str, crs, path: str | None, layer=None, limits=None) -> RawMap:
    return from_gdf(ogr_frame(data, name, layer, limits), crs, name, path, None)


def read_shapefile_parts(parts: dict[str, bytes], name: str, crs, path, layer=None, limits=None) -> RawMap:
    return from_gdf(shapefile_frame(parts, name, layer, limits), crs, name, path, None)


def read_zip(data: bytes, name: str, crs, path: str | None, limits=None) -> RawMap:
    if zip_holds_kml(data, name):
        return from_table(*read_kmz(data, name, limits), name=name)
    return read_shapefile_parts(zip_shapefile_parts(data, name, limits), name, crs, path, None, limits)


def read_parquet(data: bytes, name: str, crs, limits=None) -> RawMap:
    """GeoParquet, bounded: the row count and columns come from the footer before any row
    is read, rows are decoded in batches whose decoded size counts against the byte limit
    (a compressed column can expand a thousandfold), and the CRS passes the CRS gate."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise FormatError(
            f"{name}: reading GeoParquet needs pyarrow: pip install 'mapdiff[parquet]'"
        ) from None
    try:
        pf = pq.ParquetFile(pa.BufferReader(data))
        meta = pf.metadata
        geo = json.loads((pf.schema_arrow.metadata or {}).get(b"geo", b"null"))
    except Exception as exc:
        raise FormatError(f"{name}: not a readable GeoParquet file ({type(exc).__name__})") from None
    if not isinstance(geo, dict) or not isinstance(geo.get("columns"), dict) or not geo["columns"]:
        raise FormatError(
            f"{name}: a Parquet file without GeoParquet metadata ('geo'); write it with geopandas"
        )
    column = geo.get("primary_column") or next(iter(geo["columns"]))
    spec = geo["columns"].get(column)
    if not isinstance(spec, dict) or column not in pf.schema_arrow.names:
        raise FormatError(f"{name}: its GeoParquet metadata names a geometry column {quote(column)} it lacks")
    if spec.get("encoding", "WKB") != "WKB":
        raise FormatError(
            f"{name}: geometry encoding {quote(spec.get('encoding'))} is not WKB; write WKB geometries"
        )
    check_features(meta.num_rows, name, limits)  # from the footer, before reading any row
    check_properties(pf.schema_arrow.names, name, limits)
    cap = current_limits(limits).max_bytes
    batches, decoded = [], 0
    try:
        for batch in pf.iter_batches(batch_size=4096):
            decoded += batch.nbytes
            if cap is not None and decoded > cap:
                check_bytes(decoded, f"{name} (decoded)", limits)
            batches.append(batch)
        table = pa.Table.from_batches(batches, schema=pf.schema_arrow).to_pandas()
    except InputLimitError:
        raise
    except Exception as exc:
        raise FormatError(f"{name}: not a readable GeoParquet file ({type(exc).__name__})") from None
    try:
        geoms = shapely.from_wkb(table.pop(column).to_numpy(dtype=object))
    except (shapely.errors.ShapelyError, TypeError, ValueError):
        raise FormatError(f"{name}: its geometry column holds WKB GEOS cannot read; fix the file") from None
    # GeoParquet: no "crs" key means OGC:CRS84; an explicit null means unknown
    file_crs = spec.get("crs", "OGC:CRS84")
    if crs is None and file_crs is None:
        raise MissingCRSError(f"{name}: the input states no CRS; pass crs= (for example crs='EPSG:4326')")
    crs_ = crs if crs is not None else safe_crs(file_crs, name)
    geoms = to_lonlat(np.asarray(geoms, dtype=object), crs_, name)
    return RawMap(table.reset_index(drop=True), geoms, name)
