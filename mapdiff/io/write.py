"""Writing geodata atomically, with provenance: every geodata output of mapdiff goes through here.

Formats, from the file's suffix (or ``driver=``): GeoPackage (``.gpkg``), GeoJSON
(``.geojson``/``.json``), FlatGeobuf (``.fgb``), GeoParquet (``.parquet``, needs the
``parquet`` extra) and Shapefile (``.shp``, kept for old tools; it carries no provenance).
The same columns are written whatever the format.

Where the provenance goes (a JSON object: which maps, which footprint, mapdiff version):

- GeoPackage: ``gpkg_contents.description`` of the layer, and the GeoPackage metadata
  extension (``gpkg_metadata``, as GDAL writes layer metadata, key ``mapdiff_provenance``);
- GeoParquet: the file's key-value metadata, key ``mapdiff_provenance`` (beside ``geo``);
- GeoJSON: a top-level foreign member ``"provenance"`` of the FeatureCollection (RFC 7946
  §6.1 allows it; readers that do not know it ignore it);
- FlatGeobuf: the header's ``description``.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

from .. import config
from .._json import jsonable
from .._version import __version__
from ..errors import ArgumentError, MissingDependencyError, bounded_text
from .atomic import atomic_path, refuse_overwrite, write_text
from .gate import ogr_driver, read_input_bytes, safe_gdal

__all__ = [
    "PROVENANCE_KEY",
    "csv_text",
    "export_provenance",
    "map_row",
    "one_map_provenance",
    "read_provenance",
    "write_gdf",
    "write_result",
]

#: Metadata key of the provenance in GeoPackage and GeoParquet files.
PROVENANCE_KEY = "mapdiff_provenance"

_EXT_DRIVERS = {
    ".gpkg": "GPKG",
    ".shp": "ESRI Shapefile",
    ".fgb": "FlatGeobuf",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".parquet": "Parquet",
    ".geoparquet": "Parquet",
}


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A text cell made safe for CSV: control characters and line breaks become spaces
    (a name cannot forge a row when the file is printed), and a cell a spreadsheet would
    run as a formula (starting with ``= + - @``, tab or CR) gets a leading ``'``.
    Numbers and missing values pass unchanged.

    Examples
    --------
    >>> csv_cell("=HYPERLINK(1)"), csv_cell("Pokrovsk\x1b[2J"), csv_cell(-0.5)
    ("'=HYPERLINK(1)", 'Pokrovsk[2J', -0.5)
    """
    if not isinstance(value, str):
        return value

    text = bounded_text(value, limit=10_000).replace("\t", " ")
    text = "".join(c if c.isprintable() else " " for c in text) if not text.isprintable() else text
    return "'" + text if text.startswith(_FORMULA) else text


def csv_text(frame, **kwargs) -> str:
    """``frame`` as CSV text (pandas' writer, ``kwargs`` passed on) with every text cell,
    index label and column name through :func:`csv_cell`: the one CSV writer of the
    command line (``--csv``)."""
    import io

    import pandas as pd

    out = frame.copy(deep=False)  # a column replaced below replaces it in this copy only
    for col, dtype in list(out.dtypes.items()):
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            out[col] = out[col].map(csv_cell)
    out.columns = [csv_cell(str(c)) for c in out.columns]
    if out.index.dtype == object or pd.api.types.is_string_dtype(out.index.dtype):
        out.index = out.index.map(csv_cell)
    if out.index.name is not None:
        out.index.name = csv_cell(str(out.index.name))
    buf = io.StringIO()
    if _plain_floats(out, kwargs):
        # a table of floats under plain text labels (history --csv: 769 dates x 1,466 places):
        # the header as pandas writes it, the rows formatted one row per call, as pandas
        # formats them (``float_format % value``; NaN an empty cell)
        import numpy as np

        out.iloc[:0].to_csv(buf, lineterminator="\n", **kwargs)
        values = out.to_numpy(dtype=float)
        fixed = _FIXED.fullmatch(kwargs["float_format"])
        rows = _fixed_rows(values, int(fixed.group(1))) if fixed else None
        if rows is not None:  # a table of shares: every cell's digits made at once
            buf.write("".join(f"{label},{text}" for label, text in zip(out.index, rows, strict=True)))
            return buf.getvalue()
        row = ",".join([kwargs["float_format"]] * out.shape[1])
        blank = np.isnan(values).any(axis=1).tolist()
        for label, v, nan in zip(out.index, values.tolist(), blank, strict=True):
            text = row % tuple(v)
            # "nan" is only ever a missing value's text (a number's never holds an "n")
            buf.write(f"{label},{text.replace('nan', '') if nan else text}\n")
        return buf.getvalue()
    out.to_csv(buf, lineterminator="\n", **kwargs)
    return buf.getvalue()


#: a fixed-point ``float_format`` :func:`_fixed_rows` writes: ``%.6f`` (1 to 9 decimals)
_FIXED = re.compile(r"%\.([1-9])f")


def _fixed_rows(values, decimals: int) -> list[str] | None:
    r"""Each row of the float array ``values`` as ``%.<decimals>f`` cells joined by commas and
    ended by a newline, a NaN an empty cell, as ``float_format % value`` writes each; None
    unless every number is in [0, 9.5) (not -0.0 nor inf), as shares are.

    The cells are made in numpy, not one ``%`` per value: the value times 10**decimals
    rounded to an integer, whose digits are read from tables of 3-digit groups. Python's
    ``%`` rounds the exact binary value correctly; the product's own rounding error (under
    1e-6 of a unit here) could only change that integer where the product lies that close
    to a half, so the values within 1e-3 of one are formatted by ``%`` itself.

    Examples
    --------
    >>> import numpy as np
    >>> _fixed_rows(np.array([[0.5, np.nan, 1 / 3], [0.0, 0.0078125, 0.9999999]]), 6)
    ['0.500000,,0.333333\n', '0.000000,0.007812,1.000000\n']
    """

    if values.size == 0:
        return None
    rows, cols = values.shape
    step = max(1, 65536 // cols)  # blocks of rows: their arrays stay small (no page faults)
    out: list[str] = []
    for start in range(0, rows, step):
        block = _fixed_block(values[start : start + step], decimals, *_digit_tables(decimals))
        if block is None:
            return None
        out += block
    return out


@config.cached(maxsize=4)
def _digit_tables(decimals: int) -> tuple:
    """(the head "d.d[d[d]]" of each integer below 10**(h + 1), the three digits of each
    integer below 1000) as uint8 rows, for ``%.<decimals>f`` cells."""
    import numpy as np

    h = decimals - 3 * ((decimals - 1) // 3)
    head = "".join(f"{i // 10**h}.{i % 10**h:0{h}d}" for i in range(10 ** (h + 1)))
    three = "".join(f"{i:03d}" for i in range(1000))
    return (
        np.frombuffer(head.encode(), dtype=np.uint8).reshape(-1, 2 + h),
        np.frombuffer(three.encode(), dtype=np.uint8).reshape(1000, 3),
    )


def _fixed_block(values, decimals: int, head, three) -> list[str] | None:
    """:func:`_fixed_rows` of a block of rows."""
    import numpy as np

    present = ~np.isnan(values)
    v = np.where(present, values, 0.0)
    if not ((v >= 0) & (v < 9.5) & ~np.signbit(v)).all():
        return None
    rows, cols = v.shape
    x = v.ravel() * 10**decimals
    n = np.rint(x).astype(np.int64)
    near = np.abs(x - np.floor(x) - 0.5) < 1e-3  # near a half: rounded as ``%`` rounds it
    if near.any():
        fmt = f"%.{decimals}f"
        n[near] = [int((fmt % y).replace(".", "")) for y in v.ravel()[near].tolist()]
    groups = (decimals - 1) // 3  # whole 3-digit groups after the head
    h = decimals - 3 * groups
    width = decimals + 3  # the digits, the point and the separator
    cells = np.empty((n.size, width), dtype=np.uint8)
    cells[:, : 2 + h] = head[n // 1000**groups]
    for j in range(groups):
        at = 2 + h + 3 * j
        cells[:, at : at + 3] = three[(n // 1000 ** (groups - 1 - j)) % 1000]
    cells[:, -1] = ord(",")
    cells = cells.reshape(rows, cols * width)
    cells[:, -1] = ord("\n")
    if present.all():
        return [r.tobytes().decode("ascii") for r in cells]
    keep = np.ones((rows, cols, width), dtype=bool)
    keep[:, :, :-1] = present[:, :, None]  # a missing value keeps only its separator
    keep = keep.reshape(rows, cols * width)
    return [c[k].tobytes().decode("ascii") for c, k in zip(cells, keep, strict=True)]


def _plain_floats(frame, kwargs) -> bool:
    """A frame :func:`csv_text` writes without pandas' row writer: only ``float_format`` (a
    ``%`` format) given, every column float64, every index label a non-empty text that
    needs no quoting."""
    import pandas as pd

    fmt = kwargs.get("float_format")
    if set(kwargs) != {"float_format"} or not isinstance(fmt, str) or not fmt.startswith("%"):
        return False
    if frame.shape[0] == 0 or frame.shape[1] == 0 or not (frame.dtypes == "float64").all():
        return False
    if isinstance(frame.index, pd.MultiIndex) or not pd.api.types.is_string_dtype(frame.index.dtype):
        return False
    labels = frame.index.tolist()
    return all(isinstance(x, str) and x and not any(c in x for c in ',"\r\n') for x in labels)


def map_row(role: str, source: str, as_of, provenance=None) -> dict:
    """One map of an export's provenance: role, source, as_of, file name, sha256.

    ``provenance`` is the map's :class:`~mapdiff.model.control_map.Provenance` (or None).
    """
    path = getattr(provenance, "path", None)
    return {
        "role": role,
        "source": source,
        "as_of": as_of,
        "file": Path(path).name if path else None,
        "sha256": getattr(provenance, "sha256", None),
    }


def export_provenance(result_type: str, maps=(), footprint=None) -> dict:
    """The provenance of an export: the maps (role, source, as_of, file name, sha256),
    the footprint (name, kind, provenance, approximate) and the mapdiff version.

    Parameters
    ----------
    result_type : str
        The result's ``type`` (as in its ``to_dict()``).
    maps : iterable of (role, ControlMap-like) or dict
        Objects with ``source``, ``as_of`` and ``provenance.path``/``provenance.sha256``,
        or ready dicts.
    footprint : Footprint-like or dict, optional

    Examples
    --------
    >>> p = export_provenance("comparison")
    >>> p["type"], p["maps"], p["footprint"]
    ('comparison', [], None)
    """
    rows = []
    for item in maps:
        if isinstance(item, dict):
            rows.append(item)
            continue
        role, m = item
        rows.append(map_row(role, m.source, m.as_of, getattr(m, "provenance", None)))
    fp = footprint
    if fp is not None and not isinstance(fp, dict):
        fp = {
            "name": getattr(fp, "name", None),
            "footprint_kind": getattr(fp, "kind", None),
            "provenance": getattr(fp, "provenance", None),
            "approximate": bool(getattr(fp, "approximate", False)),
            "upper_bound": bool(getattr(fp, "upper_bound", False)),
        }
    return jsonable({"type": result_type, "mapdiff_version": __version__, "maps": rows, "footprint": fp})


def one_map_provenance(result_type: str, result) -> dict:
    """:func:`export_provenance` of a result about one map and one place (a claim check, an
    encirclement): its ``source``, ``as_of`` and ``map_provenance``, and its ``footprint``
    (else what it states of it: ``place``, ``footprint_kind``, ``approximate``)."""
    maps = [map_row("map", result.source, result.as_of, getattr(result, "map_provenance", None))]
    fp = getattr(result, "footprint", None) or {
        "name": result.place,
        "footprint_kind": result.footprint_kind,
        "provenance": result.provenance if isinstance(getattr(result, "provenance", None), str) else None,
        "approximate": result.approximate,
    }
    return export_provenance(result_type, maps=maps, footprint=fp)


def _driver(path: Path, driver: str | None) -> str:
    driver = driver or _EXT_DRIVERS.get(path.suffix.lower())
    if driver is None:
        raise ArgumentError(
            f"{path}: cannot tell the format from the suffix; use .gpkg, .geojson, .fgb, "
            ".parquet or .shp, or pass driver="
        )
    return driver


def write_gdf(
    gdf, path, *, driver: str | None = None, inputs=(), provenance: dict | None = None, style=None
) -> Path:
    """Write a GeoDataFrame atomically (temporary file, then rename), with its provenance.

    Parameters
    ----------
    gdf : GeoDataFrame
    path : str or Path
        ``.gpkg``, ``.geojson``/``.json``, ``.fgb``, ``.parquet`` or ``.shp``.
    driver : str, optional
        OGR driver name, or ``"Parquet"``; inferred from the suffix by default.
    inputs : iterable of paths, optional
        Files this output must never replace (the inputs it was computed from).
    provenance : dict, optional
        Written as the file's metadata (see the module's notes), e.g. from
        :func:`export_provenance`.
    style : dict, optional
        ``{class: (colour, legend label[, "fill" | "line"])}``: a GeoPackage gets a QGIS
        style keyed on the ``class`` column (``layer_styles`` table). Ignored by other formats.

    Examples
    --------
    >>> import tempfile, pathlib, geopandas as gpd, shapely
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "a.geojson"
    >>> _ = write_gdf(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)], crs=4326), out)
    >>> out.exists()
    True
    """
    import pyogrio

    path = Path(path)
    refuse_overwrite(path, inputs)
    driver = _driver(path, driver)
    meta = json.dumps(provenance, ensure_ascii=False) if provenance is not None else None
    if driver == "ESRI Shapefile":
        return _write_multifile(gdf, path, driver)
    if driver == "Parquet":
        return _write_parquet(gdf, path, meta)
    if driver == "GeoJSON":
        return _write_geojson(gdf, path, provenance)
    layer = path.stem
    kwargs = {}
    if meta is not None and driver == "GPKG":
        kwargs = {"layer_options": {"DESCRIPTION": meta}, "layer_metadata": {PROVENANCE_KEY: meta}}
    elif meta is not None and driver == "FlatGeobuf":
        kwargs = {"layer_options": {"TITLE": layer, "DESCRIPTION": meta}}
    with atomic_path(path) as tmp:
        # the layer is named after the target, not the temporary file
        pyogrio.write_dataframe(gdf, tmp, driver=driver, layer=layer, **kwargs)
        if driver == "GPKG" and style and "class" in gdf.columns:
            from .qgis import add_layer_style  # xml.sax.saxutils pulls urllib, http, email, ssl

            cats = {k: tuple(v[:2]) for k, v in style.items()}
            kinds = {k: v[2] for k, v in style.items() if len(v) > 2}
            add_layer_style(tmp, layer, cats, kinds=kinds, description="mapdiff classes, project palette")
    return path


def _write_geojson(gdf, path: Path, provenance: dict | None) -> Path:
    """GeoJSON (RFC 7946, lon/lat) with the provenance as a foreign member."""
    gdf = gdf.to_crs(4326) if gdf.crs is not None and gdf.crs.to_epsg() != 4326 else gdf
    doc = {"type": "FeatureCollection", "name": path.stem}
    if provenance is not None:
        doc["provenance"] = provenance
    doc["features"] = gdf.to_geo_dict(na="null", drop_id=True)["features"]
    write_text(path, json.dumps(jsonable(doc), ensure_ascii=False, allow_nan=False))
    return path


def _write_parquet(gdf, path: Path, meta: str | None) -> Path:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingDependencyError(
            f"{path}: GeoParquet needs pyarrow: pip install 'mapdiff[parquet]' "
            "(or write .gpkg, .geojson or .fgb)"
        ) from None
    with atomic_path(path) as tmp:
        gdf.to_parquet(tmp, index=False)
        if meta is not None:  # add ours beside geopandas' "geo" key-value metadata
            table = pq.read_table(tmp)
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), PROVENANCE_KEY: meta})
            pq.write_table(table, tmp)
    return path


def read_provenance(path) -> dict | None:
    """The provenance mapdiff wrote into a GeoPackage, GeoParquet, GeoJSON or FlatGeobuf file.

    Returns None when the file carries none.

    Examples
    --------
    >>> import pathlib, tempfile, mapdiff
    >>> old, new = (mapdiff.read_map(mapdiff.sample_path(d)) for d in ("2025-11-20", "2025-11-27"))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = mapdiff.changes(old, new, aoi="Pokrovsk").to_file(pathlib.Path(tmp) / "changes.geojson")
    ...     pv = mapdiff.read_provenance(path)
    >>> pv["type"], [m["as_of"] for m in pv["maps"]], pv["footprint"]["name"]
    ('changes', ['2025-11-20', '2025-11-27'], 'Pokrovsk')
    """
    import io

    path = Path(path)
    driver = _driver(path, None)
    data = read_input_bytes(path)  # the input gate: a local regular file, read with a cap
    if driver == "Parquet":
        import pyarrow.parquet as pq

        raw = (pq.read_schema(io.BytesIO(data)).metadata or {}).get(PROVENANCE_KEY.encode())
    elif driver == "GeoJSON":
        return json.loads(data.decode("utf-8")).get("provenance")
    else:
        ogr_driver(data, path.name)  # GDAL sees only a signature-checked file
        layer = path.stem if driver == "GPKG" else None  # beside it: the layer_styles table
        with safe_gdal() as pyogrio, warnings.catch_warnings():  # GDAL frets over /vsimem names
            warnings.filterwarnings("ignore", "File /vsimem", RuntimeWarning)
            meta = pyogrio.read_info(io.BytesIO(data), layer=layer).get("layer_metadata") or {}
        raw = meta.get(PROVENANCE_KEY) or meta.get("DESCRIPTION")
    return json.loads(raw) if raw else None


def write_result(
    result, path, *, driver: str | None = None, style: bool = True, inputs=(), **gdf_kwargs
) -> Path:
    """Write a result's ``to_gdf(**gdf_kwargs)`` with its provenance and (GeoPackage) its
    style: the one implementation behind every result's ``to_file``.

    The result provides ``to_gdf()``, ``_export_provenance()`` and ``_class_style()``
    (``{class: (colour, label[, kind])}`` or None). The files of the maps it names are
    never overwritten (nor are ``inputs``).
    """
    gdf = result.to_gdf(**gdf_kwargs)
    classes = result._class_style() if style else None
    if classes is not None and "class" in gdf.columns:  # only the classes present, in palette order
        present = set(gdf["class"].dropna())
        classes = {k: v for k, v in classes.items() if k in present}
    return write_gdf(
        gdf,
        path,
        driver=driver,
        inputs=[*inputs, *_input_paths(result)],
        provenance=result._export_provenance(),
        style=classes,
    )


def _input_paths(result) -> list[str]:
    """The files of the maps a result was computed from (its own, or its maps ``a``/``b``)."""
    out = []
    for obj in (result, getattr(result, "a", None), getattr(result, "b", None)):
        for name in ("provenance", "map_provenance"):
            value = getattr(obj, name, None)
            for prov in value if isinstance(value, tuple) else (value,):
                path = getattr(prov, "path", None)
                if path:
                    out.append(path)
    return out


def _write_multifile(gdf, path: Path, driver: str) -> Path:
    """Shapefiles are several files: write them in a temporary folder beside the target,
    then move each into place, the .shp last (each rename is atomic; a reader never sees
    a .shp without its sidecars)."""
    import os
    import shutil
    import tempfile

    import pyogrio

    path.parent.mkdir(parents=True, exist_ok=True)
    tmpdir = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        pyogrio.write_dataframe(gdf, tmpdir / path.name, driver=driver, layer=path.stem)
        parts = sorted(tmpdir.iterdir(), key=lambda f: f.suffix.lower() == ".shp")
        for part in parts:
            os.replace(part, path.parent / part.name)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return path
