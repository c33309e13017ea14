"""The one gate every input file passes: local regular files only, read with a cap, and
GDAL only for allow-listed formats whose signature is checked.

:func:`check_input_path` and :func:`read_input_bytes` are used by every reader (maps,
``--aoi``/``--place`` polygon files, ``--rear``, history folders, profile coverages).
:func:`ogr_frame` opens GeoPackage, FlatGeobuf and Shapefile bytes with pyogrio.
This module imports nothing from the model, so places and analyses can use it.
"""

from __future__ import annotations

import contextlib
import io as _io
import warnings
from pathlib import Path

from ..config import (
    check_bytes,
    check_features,
    check_properties,
    current_limits,
)
from ..errors import FormatError, InputLimitError, quote

__all__ = [
    "check_input_path",
    "ogr_frame",
    "read_geometries",
    "read_input_bytes",
    "read_named_geometries",
    "shapefile_frame",
    "shapefile_parts",
]


# ------------------------------------------------------------------ the input gate
_VSI_PREFIXES = ("/vsi",)


def check_input_path(src, what: str = "map file") -> Path:
    """The one gate for a path mapdiff is asked to read: a local, regular file.

    Refuses URLs (``http://`` and any other scheme), GDAL virtual file systems
    (``/vsicurl/``, ``/vsizip/``, any ``/vsi*``), XML given as a "path", missing files,
    folders and anything that is not a regular file (``/dev/zero``, ``/dev/urandom``, a
    FIFO or socket), which would otherwise be read until memory runs out or wait
    forever. Every reader (maps, ``--aoi``/``--place`` polygon files, ``--rear``,
    history folders, profile coverages) passes through here and then through
    :func:`read_input_bytes`.

    Examples
    --------
    >>> check_input_path("/vsicurl/http://example.com/x.shp")
    Traceback (most recent call last):
    ...
    mapdiff.errors.FormatError: /vsicurl/http://example.com/x.shp: a GDAL virtual file system path; ...
    """
    import os
    import stat

    text = os.fspath(src)
    if text.lstrip().startswith("<"):
        raise FormatError(f"{what} {text[:40]!r}...: XML given as a path; pass the path of a file")
    if text.replace("\\", "/").lower().startswith(_VSI_PREFIXES):
        raise FormatError(
            f"{text}: a GDAL virtual file system path; mapdiff opens only local files "
            "(pass the path of a file)"
        )
    scheme = text.split(":", 1)[0].lower() if "://" in text else ""
    if scheme:
        raise FormatError(
            f"{text}: a URL; mapdiff reads only local files: download it with `mapdiff fetch` "
            "(mapdiff.fetch()) or pass a local file"
        )
    path = Path(text)
    try:
        st = path.stat()  # follows symlinks; does not open (a FIFO would block)
    except FileNotFoundError:
        raise FormatError(f"{path}: no such file") from None
    except OSError as exc:
        raise FormatError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise FormatError(f"{path}: is a folder; pass one {what}")
    if not stat.S_ISREG(st.st_mode):
        raise FormatError(
            f"{path}: not a regular file (a device, FIFO or socket); mapdiff reads only regular "
            f"files: save the data to a file and pass that"
        )
    return path


def read_input_bytes(path, limits=None, what: str = "map file") -> bytes:
    """The bytes of a local regular file, read at most one byte past the byte limit.

    The file is opened non-blocking and checked again on the open descriptor (so a file
    swapped for a FIFO or a device after :func:`check_input_path` is still refused).

    Raises
    ------
    FormatError
        Not a local regular file (see :func:`check_input_path`).
    InputLimitError
        Larger than the byte limit (:class:`mapdiff.config.Limits`).
    """
    import os
    import stat

    path = check_input_path(path, what)
    check_bytes(0, path.name, limits)  # a bad limit setting fails before reading
    cap = current_limits(limits).max_bytes
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise FormatError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FormatError(f"{path}: not a regular file; mapdiff reads only regular files")
        check_bytes(st.st_size, path.name, limits)
        chunks, n = [], 0
        want = None if cap is None else cap + 1
        while want is None or n < want:
            chunk = os.read(fd, 1 << 20 if want is None else min(1 << 20, want - n))
            if not chunk:
                break
            chunks.append(chunk)
            n += len(chunk)
    except OSError as exc:
        raise FormatError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    check_bytes(len(data), path.name, limits)
    return data


# ------------------------------------------------------------------ GDAL, allow-listed
# GDAL picks a driver by content, with every driver enabled: a text file named .shp
# holding an OGR VRT would read /etc/passwd or fetch /vsicurl/ URLs. mapdiff therefore
# hands GDAL only bytes whose signature it has checked for one allow-listed driver
# (GeoPackage, FlatGeobuf, ESRI Shapefile), copied to GDAL's in-memory or a private
# temporary folder (never a path or name from the input), with network access and
# SQL functions in views switched off.
FGB_MAGIC = b"fgb\x03"
OGR_SUFFIXES = {".gpkg": "GPKG", ".fgb": "FlatGeobuf", ".shp": "ESRI Shapefile"}
_GPKG_APP_IDS = (b"GPKG", b"GP10", b"GP11")
_SHP_MAGIC = b"\x00\x00\x27\x0a"
_DBF_VERSIONS = frozenset(b"\x02\x03\x04\x05\x30\x31\x32\x43\x63\x83\x8b\x8e\xcb\xf5\xfb")
_SHP_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_GDAL_SAFE = {
    "CPL_VSIL_CURL_ALLOWED_FILENAME": "/vsicurl/mapdiff-refuses-network-access",
    "GDAL_HTTP_MAX_RETRY": "0",
    "ALLOW_OGR_SQL_FUNCTIONS_FROM_TRIGGER_AND_VIEW": "NO",
    "OGR_SQLITE_LOAD_EXTENSIONS": "",
    "PROJ_NETWORK": "OFF",  # GDAL's PROJ fetches no grid for a file's CRS
}


@contextlib.contextmanager
def safe_gdal(extra: dict | None = None):
    """pyogrio with mapdiff's GDAL options set for the block only (no network, no SQL
    functions in views), and the caller's own settings restored afterwards."""
    import pyogrio

    options = {**_GDAL_SAFE, **(extra or {})}
    saved = {k: pyogrio.get_gdal_config_option(k) for k in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield pyogrio
    finally:
        pyogrio.set_gdal_config_options(saved)


def ogr_driver(data: bytes, name: str) -> str:
    """The allow-listed driver whose signature ``data`` carries, or a refusal."""
    if data.startswith(b"SQLite format 3\0"):
        if data[68:72] in _GPKG_APP_IDS:
            return "GPKG"
        raise FormatError(
            f"{name}: an SQLite database that is not a GeoPackage (no GeoPackage application id); "
            "export the layer as GeoPackage or GeoJSON"
        )
    if data.startswith(FGB_MAGIC):
        return "FlatGeobuf"
    if data.startswith(_SHP_MAGIC):
        return "ESRI Shapefile"
    kind = OGR_SUFFIXES.get(Path(name.lower()).suffix, "GeoPackage, FlatGeobuf or Shapefile")
    kind = {"GPKG": "GeoPackage", "ESRI Shapefile": "Shapefile"}.get(kind, kind)
    raise FormatError(
        f"{name}: not a {kind}: the file does not start with the {kind} signature, and mapdiff "
        "hands GDAL only files it has recognised; check the file or give it its right suffix"
    )


def ogr_frame(data: bytes, name: str, layer=None, limits=None):
    """A GeoDataFrame from GeoPackage/FlatGeobuf/Shapefile bytes whose signature is checked."""
    driver = ogr_driver(data, name)
    if driver == "ESRI Shapefile":
        return shapefile_frame({".shp": data}, name, layer, limits)
    if driver == "GPKG":
        _check_gpkg_tables(data, name)
    return _ogr_frame(_io.BytesIO(data), name, layer, driver, limits)


def _check_gpkg_tables(data: bytes, name: str) -> None:
    """Refuse a GeoPackage whose layers are anything but plain tables, before GDAL opens it.

    A view (or a generated column) is SQL the file defines, run by SQLite when the layer
    is read: a recursive view never ends. The schema is read with Python's sqlite3 from a
    private in-memory copy (``sqlite_master`` only: nothing the file defines is run).
    """
    import sqlite3

    try:
        con = sqlite3.connect(":memory:")
    except sqlite3.Error:  # pragma: no cover - sqlite3 always opens :memory:
        return
    try:
        con.deserialize(data)
        kinds = dict(con.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')"))
        layers = [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")]
        for layer in layers:
            kind = kinds.get(layer)
            if kind != "table":
                raise FormatError(
                    f"{name}: GeoPackage layer {quote(layer)} is {'a view' if kind else 'missing'}, "
                    "not a plain table (a view is SQL the file runs when read); export the layer "
                    "as a table"
                )
            hidden = [r for r in con.execute(f"PRAGMA table_xinfo({_sql_name(layer)})") if r[6] in (2, 3)]
            if hidden:
                raise FormatError(
                    f"{name}: GeoPackage layer {quote(layer)} has generated column(s) "
                    f"({', '.join(quote(r[1]) for r in hidden[:5])}: SQL the file runs when read); "
                    "export the layer with plain columns"
                )
    except sqlite3.DatabaseError:
        raise FormatError(
            f"{name}: not a readable GeoPackage (its SQLite schema or gpkg_contents cannot be read); "
            "export the layer again"
        ) from None
    finally:
        con.close()


def _sql_name(text: str) -> str:
    return '"' + str(text).replace('"', '""') + '"'


def _ogr_frame(src, name: str, layer, driver: str, limits=None, options: dict | None = None):
    """Read one layer with pyogrio from a checked buffer or a private temporary path."""
    kind = {"GPKG": "GeoPackage", "ESRI Shapefile": "Shapefile"}.get(driver, driver)
    try:
        with safe_gdal(options) as pyogrio, warnings.catch_warnings():  # GDAL frets over /vsimem names
            warnings.filterwarnings("ignore", "File /vsimem", RuntimeWarning)
            layers = pyogrio.list_layers(src)
            if hasattr(src, "seek"):
                src.seek(0)
            spatial = [str(n) for n, g in layers if g is not None]
            if layer is not None:
                if str(layer) not in [str(n) for n, _ in layers]:
                    names = ", ".join(map(str, layers[:, 0]))
                    raise FormatError(f"{name}: no layer {layer!r}; its layers are {names}; pass one of them")
                if str(layer) not in spatial:
                    raise FormatError(
                        f"{name}: layer {layer!r} holds no geometries (a non-spatial table); "
                        f"pass a map layer ({', '.join(spatial) or 'there is none'})"
                    )
            elif len(spatial) > 1:
                raise FormatError(
                    f"{name}: holds {len(spatial)} map layers ({', '.join(spatial[:12])}); "
                    f"say which, e.g. layer={spatial[0]!r}"
                )
            elif not spatial:
                raise FormatError(
                    f"{name}: a {kind} without any layer with geometries (a non-spatial table); "
                    "export the map layer with its geometries"
                )
            else:
                layer = spatial[0]
            info = pyogrio.read_info(src, layer=layer)
            if hasattr(src, "seek"):
                src.seek(0)
            check_features(int(info.get("features", -1)), name, limits)  # before reading them
            check_properties(list(info.get("fields", ())), name, limits)
            gdf = pyogrio.read_dataframe(src, layer=layer)
            if driver == "FlatGeobuf":
                _check_fgb_count(src, len(gdf), name)
    except (FormatError, InputLimitError):
        raise
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, ...
        # GDAL's own text can quote the file: name only the kind of failure
        raise FormatError(
            f"{name}: GDAL cannot read it as a {kind} ({type(exc).__name__}); "
            "the file is damaged or not what its suffix says"
        ) from None
    return gdf


def _shp_records(shp: bytes) -> int | None:
    """Records in a .shp, walked from their headers (None when the walk breaks off)."""
    import struct

    n, pos = 0, 100
    while pos + 8 <= len(shp):
        (length,) = struct.unpack(">i", shp[pos + 4 : pos + 8])
        if length < 0:
            return None
        pos += 8 + 2 * length
        n += 1
    return n if pos == len(shp) else None


def _check_shapefile_counts(parts: dict[str, bytes], name: str) -> None:
    """A .dbf or .shx holding fewer records than the .shp drops features silently: refuse it."""
    import struct

    shp = parts.get(".shp", b"")
    n = _shp_records(shp)
    if n is None:
        raise FormatError(
            f"{name}: the .shp is truncated or damaged (its records do not add up to its length)"
        )
    counts = {}
    if len(parts.get(".shx", b"")) >= 100:
        counts[".shx"] = (len(parts[".shx"]) - 100) // 8
    if len(parts.get(".dbf", b"")) >= 8:
        counts[".dbf"] = struct.unpack("<I", parts[".dbf"][4:8])[0]
        # the records the header promises must be in the file too
        header, record = struct.unpack("<HH", parts[".dbf"][8:12]) if len(parts[".dbf"]) >= 12 else (0, 0)
        if record and len(parts[".dbf"]) < header + record * counts[".dbf"]:
            counts[".dbf"] = max(0, (len(parts[".dbf"]) - header) // record)
    for part, count in counts.items():
        if count != n:
            raise FormatError(
                f"{name}: its {part} holds {count:,} records but the .shp {n:,}; features would be dropped "
                "or misattributed: export the Shapefile again with all its parts"
            )


def _fgb_header(data: bytes) -> tuple[int, int, int, int]:
    """``(features_count, index_node_size, data_start, count_offset)`` of a FlatGeobuf,
    from its FlatBuffers header (fields 8 and 9 of the ``Header`` table)."""
    import struct

    (size,) = struct.unpack_from("<I", data, 8)
    base = 12
    (root,) = struct.unpack_from("<I", data, base)
    table = base + root
    (back,) = struct.unpack_from("<i", data, table)
    vtable = table - back
    (vsize,) = struct.unpack_from("<H", data, vtable)

    def field(i: int) -> int:
        at = 4 + 2 * i
        return struct.unpack_from("<H", data, vtable + at)[0] if at < vsize else 0

    off8, off9 = field(8), field(9)
    count = struct.unpack_from("<Q", data, table + off8)[0] if off8 else 0
    node = struct.unpack_from("<H", data, table + off9)[0] if off9 else 16
    return count, node, base + size, (table + off8 if off8 else -1)


def _fgb_tree_bytes(count: int, node: int) -> int:
    """Size of the packed Hilbert R-tree a FlatGeobuf stores after its header."""
    if node == 0 or count == 0:
        return 0
    node = min(max(node, 2), 65535)
    n, nodes = count, count
    while True:  # the reference implementation's do-while: a root level even over one item
        n = -(-n // node)
        nodes += n
        if n == 1:
            return nodes * 40


def _check_fgb_count(src, read: int, name: str) -> None:
    """The features a FlatGeobuf holds (walked from their size prefixes) must be the count
    its header states and GDAL read: a header that understates it drops features silently."""
    import struct

    data = src.getvalue() if hasattr(src, "getvalue") else Path(src).read_bytes()
    try:
        count, node, start, _ = _fgb_header(data)
        pos, held = start + _fgb_tree_bytes(count, node), 0
        while pos + 4 <= len(data):
            (size,) = struct.unpack_from("<I", data, pos)
            pos += 4 + size
            held += 1
    except struct.error:
        raise FormatError(f"{name}: its FlatGeobuf header cannot be read; export the file again") from None
    if pos != len(data) or held != count or read != count:
        raise FormatError(
            f"{name}: its header states {count:,} features, the file holds "
            f"{held if pos == len(data) else 'a broken run of'} {'' if pos == len(data) else held} "
            f"and {read:,} were read; features would be dropped: export the FlatGeobuf again"
        )


def _check_dbf(data: bytes, name: str) -> None:
    if not data or data[0] not in _DBF_VERSIONS:
        raise FormatError(f"{name}: its .dbf is not a dBASE table; check the Shapefile's parts")


def shapefile_parts(path: Path, limits=None) -> dict[str, bytes]:
    """A Shapefile's parts from disk, each through the input gate."""
    parts = {}
    for suffix in _SHP_SIDECARS:
        for cand in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
            if cand.exists() or suffix == ".shp":
                parts[suffix] = read_input_bytes(cand if suffix != ".shp" else path, limits)
                break
    check_bytes(sum(len(v) for v in parts.values()), path.name, limits)
    return parts


def shapefile_frame(parts: dict[str, bytes], name: str, layer=None, limits=None):
    """Read a Shapefile from checked parts copied into a private temporary folder."""
    import tempfile

    if not parts.get(".shp", b"").startswith(_SHP_MAGIC):
        ogr_driver(parts.get(".shp", b""), name if name.lower().endswith(".shp") else name + ".shp")
    if ".shx" in parts and not parts[".shx"].startswith(_SHP_MAGIC):
        raise FormatError(f"{name}: its .shx is not a Shapefile index; check the Shapefile's parts")
    if ".dbf" in parts:
        _check_dbf(parts[".dbf"], name)
    _check_shapefile_counts(parts, name)
    if parts.get(".prj", b"").strip():  # before GDAL parses it: no file, grid or URL in it
        from .crs import safe_crs  # crs imports the model (pyproj): the gate stays light

        safe_crs(parts[".prj"], f"{name} (its .prj)")
    with tempfile.TemporaryDirectory(prefix="mapdiff-shp-") as tmp:
        for suffix, blob in parts.items():
            tmp_part = Path(tmp) / f"map{suffix}"  # a private temporary folder, removed after
            tmp_part.write_bytes(blob)
        return _ogr_frame(
            Path(tmp) / "map.shp", name, layer, "ESRI Shapefile", limits, {"SHAPE_RESTORE_SHX": "NO"}
        )


def _zip(data: bytes, name: str):
    import zipfile

    try:
        zf = zipfile.ZipFile(_io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise FormatError(f"{name}: a damaged zip archive") from None
    return zf, infos


def zip_holds_kml(data: bytes, name: str) -> bool:
    """Whether a zip archive holds a ``.kml`` (a KMZ) rather than a Shapefile."""
    return any(i.filename.lower().endswith(".kml") for i in _zip(data, name)[1])


def zip_shapefile_parts(data: bytes, name: str, limits=None) -> dict[str, bytes]:
    """The parts of the one Shapefile in a zip archive, read in memory (never extracted)."""
    import zipfile

    zf, infos = _zip(data, name)
    shps = [i for i in infos if i.filename.lower().endswith(".shp")]
    if not shps:
        raise FormatError(f"{name}: a zip archive with neither a .kml nor a .shp inside")
    if len(shps) > 1:
        raise FormatError(
            f"{name}: a zip archive with {len(shps)} Shapefiles ({', '.join(i.filename for i in shps[:8])}); "
            "unzip it and pass one .shp"
        )
    stem = shps[0].filename[:-4]
    cap = current_limits(limits).max_bytes
    parts = {}
    for info in infos:
        base, dot, ext = info.filename.rpartition(".")
        if base == stem and dot and "." + ext.lower() in _SHP_SIDECARS:
            total = sum(len(v) for v in parts.values()) + info.file_size
            check_bytes(total, name, limits)
            try:
                with zf.open(info) as fh:
                    blob = fh.read(None if cap is None else cap + 1)
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
                raise FormatError(f"{name}: a damaged zip archive (member {info.filename!r})") from None
            check_bytes(len(blob), name, limits)
            parts["." + ext.lower()] = blob
    return parts


def read_geometries(path, limits=None) -> list:
    """The geometries of a polygon file (``--aoi``, ``--place FILE``, ``--rear``, a
    figure's context layer): :func:`mapdiff.io.read.read_geometries`, the map reader."""
    return read_named_geometries(path, limits)[0]


def read_named_geometries(path, limits=None) -> tuple[list, list]:
    """``(geometries, names)`` of a polygon file, read exactly as a map is
    (:func:`mapdiff.io.read.read_named_geometries`; looked up at call time: the reader
    builds on this gate)."""
    import importlib

    return importlib.import_module(".read", __package__).read_named_geometries(path, limits)
