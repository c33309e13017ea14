"""KML and KMZ: hand-made maps whose classes live in styles and folders.

Analysts draw control maps in Google My Maps, Google Earth or QGIS and export KML (or
KMZ, a zip holding ``doc.kml``). The class of a polygon is then only in its style (the
fill colour) or in the folder it sits in. This module turns such a file into a table of
properties and an array of lon/lat geometries, the same shape every other reader
produces, so a TOML profile can label it::

    [[rules]]
    property = "fill"               # "#rrggbb", lower case
    values = ["#ff0000"]
    label = "controlled:RU"

    [[rules]]
    property = "folder"             # "/"-joined folder path, e.g. "Front/Grey zone"
    pattern = "(?i)grey"
    label = "contested"

Properties per placemark: ``name``, ``description``, ``folder``, ``style_url``,
``fill`` (``#rrggbb`` from the PolyStyle colour; KML writes ``aabbggrr``),
``fill_opacity`` (0..1; 0 when the PolyStyle says ``<fill>0</fill>``), ``stroke``
(``#rrggbb`` of the LineStyle), plus any ``ExtendedData`` values. Shared ``Style``\\ s
and ``StyleMap``\\ s (their ``normal`` pair) are resolved through ``styleUrl``; an
inline style overrides the shared one field by field.

Geometries: Polygon with outer and inner rings, MultiGeometry (nested too), Point,
LineString, LinearRing. Points and lines are kept here so that
:func:`mapdiff.model.normalisation.normalise` drops and counts them in its report. Altitudes are
ignored (KML is always WGS84 lon/lat[/alt]).

Safety: XML is parsed with :mod:`defusedxml` and refuses any DTD, entity declaration
or external reference (an XML external entity or an entity-expansion bomb raises
:class:`~mapdiff.errors.FormatError`; nothing is resolved). A KMZ member whose path
climbs out of the archive (``../``, absolute paths) is refused, and so is an archive
whose members would unpack to more than :data:`MAX_UNCOMPRESSED` bytes or that
compresses more than :data:`MAX_RATIO` times (a zip bomb):
:class:`~mapdiff.errors.InputLimitError`.
"""

from __future__ import annotations

import io as _io
import re
import zipfile
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as DET
import numpy as np
import shapely

from ..config import check_bytes, check_features, check_properties, check_text_vertices, current_limits
from ..errors import FormatError, InputLimitError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MAX_RATIO", "MAX_UNCOMPRESSED", "read_kml", "read_kmz"]

#: Largest total uncompressed size of a KMZ's members, in bytes.
MAX_UNCOMPRESSED = 200 * 1024 * 1024
#: Largest compression ratio of a KMZ member above 1 MB uncompressed (zip-bomb guard).
MAX_RATIO = 200

_COLUMNS = ["name", "description", "folder", "style_url", "fill", "fill_opacity", "stroke"]
_COMMA_SPACE = re.compile(r"\s*,\s*")


def _local(tag) -> str:
    """Tag name without its namespace (KML 2.0/2.1/2.2 and gx all read alike)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(el: Element, name: str) -> Element | None:
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _children(el: Element, name: str) -> list[Element]:
    return [c for c in el if _local(c.tag) == name]


def _text(el: Element | None, name: str | None = None) -> str | None:
    if el is not None and name is not None:
        el = _child(el, name)
    if el is None or el.text is None:
        return None
    text = el.text.strip()
    return text or None


# ---------------------------------------------------------------- styles
def _colour(abgr: str | None) -> tuple[str | None, float | None]:
    """KML ``aabbggrr`` -> (``#rrggbb``, opacity 0..1).

    >>> _colour("7f0000ff")
    ('#ff0000', 0.498)
    """
    if not abgr:
        return None, None
    text = abgr.strip().lstrip("#").lower()
    if len(text) == 6:  # some writers drop the alpha byte
        text = "ff" + text
    if not re.fullmatch(r"[0-9a-f]{8}", text):
        return None, None
    a, b, g, r = text[0:2], text[2:4], text[4:6], text[6:8]
    return f"#{r}{g}{b}", round(int(a, 16) / 255, 3)


def _style_fields(style: Element | None) -> dict:
    """fill, fill_opacity, stroke of one <Style> (only the fields it sets)."""
    out: dict = {}
    if style is None:
        return out
    poly = _child(style, "PolyStyle")
    if poly is not None:
        fill, opacity = _colour(_text(poly, "color"))
        if fill is not None:
            out["fill"], out["fill_opacity"] = fill, opacity
        if _text(poly, "fill") == "0":
            out["fill_opacity"] = 0.0
    line = _child(style, "LineStyle")
    if line is not None:
        stroke, _ = _colour(_text(line, "color"))
        if stroke is not None:
            out["stroke"] = stroke
    return out


def _fragment(url: str | None) -> str | None:
    """``#id`` or ``file.kml#id`` -> ``id``."""
    if not url:
        return None
    return url.rsplit("#", 1)[-1].strip() or None


def _collect_styles(root: Element) -> tuple[dict, dict]:
    """Shared styles by id, and style maps by id (their ``normal`` pair's style)."""
    styles: dict[str, dict] = {}
    maps: dict[str, object] = {}
    for el in root.iter():
        tag = _local(el.tag)
        sid = el.get("id")
        if not sid:
            continue
        if tag == "Style":
            styles[sid] = _style_fields(el)
        elif tag == "StyleMap":
            for pair in _children(el, "Pair"):
                if (_text(pair, "key") or "normal") == "normal":
                    inline = _child(pair, "Style")
                    maps[sid] = (
                        _style_fields(inline) if inline is not None else _fragment(_text(pair, "styleUrl"))
                    )
                    break
    return styles, maps


def _resolve(url: str | None, styles: dict, maps: dict, depth: int = 0) -> dict:
    sid = _fragment(url)
    if sid is None or depth > 4:
        return {}
    if sid in styles:
        return styles[sid]
    target = maps.get(sid)
    if isinstance(target, dict):
        return target
    if isinstance(target, str):
        return _resolve("#" + target, styles, maps, depth + 1)
    return {}


# ---------------------------------------------------------------- geometry
def _coords(el: Element | None, where: str) -> np.ndarray:
    """Parse a <coordinates> text into an (n, 2) lon/lat array."""
    text = _text(el, "coordinates") if el is not None else None
    if not text:
        return np.empty((0, 2))
    tuples = _COMMA_SPACE.sub(",", text).split()
    dims = {t.count(",") for t in tuples}
    try:
        if len(dims) == 1:
            arr = np.array(",".join(tuples).split(","), dtype=float).reshape(len(tuples), -1)
        else:
            arr = np.array([[float(v) for v in t.split(",")[:2]] for t in tuples])
    except ValueError:
        raise FormatError(
            f"{where}: coordinates are not numbers ({text[:60]!r}...); "
            "KML coordinates are 'lon,lat[,alt]' separated by spaces"
        ) from None
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise FormatError(f"{where}: coordinates need at least lon,lat per point ({text[:60]!r})")
    arr = arr[:, :2]
    if not np.isfinite(arr).all():
        raise FormatError(f"{where}: NaN or infinite coordinates; fix or remove that placemark")
    return arr


def _ring(coords: np.ndarray):
    """A closed ring from coordinates, or None when fewer than 3 distinct points."""
    if len(coords) and not np.array_equal(coords[0], coords[-1]):
        coords = np.vstack([coords, coords[:1]])
    if len(coords) < 4:
        return None
    return coords


def _polygon(el: Element, where: str):
    outer = _child(el, "outerBoundaryIs")
    shell = _ring(_coords(_child(outer, "LinearRing") if outer is not None else None, where))
    if shell is None:
        return shapely.Polygon()
    holes = []
    for inner in _children(el, "innerBoundaryIs"):
        for lr in _children(inner, "LinearRing"):
            ring = _ring(_coords(lr, where))
            if ring is not None:
                holes.append(ring)
    return shapely.Polygon(shell, holes)


def _geometries(el: Element, where: str) -> list:
    """All simple geometries under a geometry element (MultiGeometry flattened)."""
    tag = _local(el.tag)
    if tag == "Polygon":
        return [_polygon(el, where)]
    if tag == "MultiGeometry":
        out = []
        for c in el:
            out.extend(_geometries(c, where))
        return out
    if tag == "Point":
        xy = _coords(el, where)
        return [shapely.Point(xy[0]) if len(xy) else shapely.Point()]
    if tag in ("LineString", "LinearRing"):
        xy = _coords(el, where)
        return [shapely.LineString(xy) if len(xy) >= 2 else shapely.LineString()]
    return []  # gx:Track, Model and other non-areal things: nothing here


def _combine(parts: list):
    parts = [p for p in parts if not p.is_empty]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    types = {p.geom_type for p in parts}
    if types == {"Polygon"}:
        return shapely.MultiPolygon(parts)
    return shapely.GeometryCollection(parts)


_GEOM_TAGS = {"Polygon", "MultiGeometry", "Point", "LineString", "LinearRing"}


# ---------------------------------------------------------------- reading
def _parse(data: bytes, name: str) -> Element:
    try:
        return DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden:
        raise FormatError(
            f"{name}: the KML carries a DTD (<!DOCTYPE>); mapdiff refuses DTDs "
            "for safety: remove the DOCTYPE line"
        ) from None
    except defusedxml.EntitiesForbidden:
        raise FormatError(
            f"{name}: the KML declares XML entities (a possible entity-expansion "
            "bomb); mapdiff refuses them: remove the <!ENTITY> declarations"
        ) from None
    except defusedxml.ExternalReferenceForbidden:
        raise FormatError(
            f"{name}: the KML refers to an external entity; mapdiff never "
            "resolves those: remove the reference"
        ) from None
    except ParseError as exc:
        end = data.find(b"</kml>")
        if "junk after document element" in str(exc) and 0 <= end < len(data) - 6:
            # a file overwritten in place by a shorter one keeps the old tail after
            # </kml>: read the document, report the tail (read_kml's table.attrs)
            root = _parse(data[: end + 6], name)
            root.attrib["{mapdiff}junk_bytes"] = str(len(data) - end - 6)
            return root
        raise FormatError(f"{name}: not well-formed XML ({exc}); is it a KML file?") from None


def read_kml(data: bytes, name: str, limits=None) -> tuple[pd.DataFrame, np.ndarray]:
    """Read KML bytes into a property table and lon/lat geometries, one row per placemark.

    Parameters
    ----------
    data : bytes
        The KML document.
    name : str
        File name, used in error messages.

    Returns
    -------
    table : pandas.DataFrame
        Columns ``name``, ``description``, ``folder``, ``style_url``, ``fill``,
        ``fill_opacity``, ``stroke`` and any ``ExtendedData`` names.
    geometries : numpy.ndarray of shapely geometries (or None for a placemark without one)

    Raises
    ------
    FormatError
        Not XML, not KML, no placemark, a DTD or entity declaration, bad coordinates.

    Examples
    --------
    >>> kml = b'''<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
    ... <Style id="ru"><PolyStyle><color>7f0000ff</color></PolyStyle></Style>
    ... <Folder><name>Front</name><Placemark><name>A</name><styleUrl>#ru</styleUrl>
    ... <Polygon><outerBoundaryIs><LinearRing><coordinates>
    ... 37,48 37.1,48 37.1,48.1 37,48.1 37,48</coordinates></LinearRing></outerBoundaryIs>
    ... </Polygon></Placemark></Folder></Document></kml>'''
    >>> table, geoms = read_kml(kml, "front.kml")
    >>> table.loc[0, ["name", "folder", "fill"]].tolist(), float(table.fill_opacity[0])
    (['A', 'Front', '#ff0000'], 0.498)
    >>> geoms[0].geom_type
    'Polygon'
    """
    check_text_vertices(data, name, "kml", limits)  # before the parser builds anything
    root = _parse(data, name)
    if _local(root.tag) not in ("kml", "Document", "Folder", "Placemark"):
        raise FormatError(
            f"{name}: XML but not KML (root element <{_local(root.tag)}>); "
            "mapdiff reads KML/KMZ, GeoJSON, GeoPackage, Shapefile, FlatGeobuf "
            "and GeoParquet"
        )
    styles, maps = _collect_styles(root)
    rows: list[dict] = []
    geoms: list = []

    def walk(el: Element, folders: tuple[str, ...]) -> None:
        for c in el:
            tag = _local(c.tag)
            if tag == "Folder":
                walk(c, (*folders, _text(c, "name") or ""))
            elif tag == "Document":
                walk(c, folders)
            elif tag == "Placemark":
                rows.append(_placemark(c, folders, styles, maps, name, len(rows)))
                parts = []
                for g in c:
                    if _local(g.tag) in _GEOM_TAGS:
                        parts.extend(
                            _geometries(
                                g, f"{name}: placemark {len(geoms)} ({rows[-1]['name'] or 'unnamed'})"
                            )
                        )
                geoms.append(_combine(parts))

    top = _local(root.tag)
    if top in ("Placemark", "Folder"):  # a bare placemark or folder: wrap it
        wrapper = Element("kml")
        wrapper.append(root)
        root = wrapper
    try:
        walk(root, ())
    except RecursionError:
        raise FormatError(
            f"{name}: folders or MultiGeometries nested too deeply to read; flatten the document"
        ) from None
    if not rows:
        raise FormatError(f"{name}: a KML document without any Placemark; nothing to read")
    check_features(len(rows), name, limits)
    check_properties(rows, name, limits)  # ExtendedData names become columns
    import pandas as pd  # here, not at import: a read from the cache needs no pandas

    table = pd.DataFrame.from_records(rows)
    for col in _COLUMNS:
        if col not in table.columns:
            table[col] = None
    out = np.empty(len(geoms), dtype=object)
    out[:] = geoms
    junk = root.attrib.get("{mapdiff}junk_bytes")
    if junk:
        table.attrs["repairs"] = [("trailing_junk_dropped", 1, f"{junk} bytes after </kml> ignored")]
    return table, out


def _placemark(el: Element, folders: tuple[str, ...], styles: dict, maps: dict, name: str, i: int) -> dict:
    url = _text(el, "styleUrl")
    style = dict(_resolve(url, styles, maps))
    inline = _child(el, "Style")
    if inline is not None:
        style.update(_style_fields(inline))
    row = {
        "name": _text(el, "name"),
        "description": _text(el, "description"),
        "folder": "/".join(f for f in folders) if folders else None,
        "style_url": url,
        "fill": style.get("fill"),
        "fill_opacity": style.get("fill_opacity"),
        "stroke": style.get("stroke"),
    }
    ext = _child(el, "ExtendedData")
    if ext is not None:
        for d in ext.iter():
            tag = _local(d.tag)
            key = d.get("name")
            if not key or key in row:
                continue
            if tag == "Data":
                row[key] = _text(d, "value")
            elif tag == "SimpleData":
                row[key] = (d.text or "").strip() or None
    return row


def read_kmz(data: bytes, name: str, limits=None) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a KMZ (zipped KML): ``doc.kml``, else the first ``.kml`` member.

    Parameters
    ----------
    data : bytes
        The zip archive.
    name : str
        File name, used in error messages.

    Returns
    -------
    table, geometries
        As :func:`read_kml`.

    Raises
    ------
    FormatError
        A damaged archive, no ``.kml`` inside, a member path that climbs out of the
        archive (``../`` or absolute).
    InputLimitError
        Members that would unpack beyond :data:`MAX_UNCOMPRESSED` bytes or compress
        more than :data:`MAX_RATIO` times (zip bomb).
    """
    try:
        zf = zipfile.ZipFile(_io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise FormatError(f"{name}: a damaged KMZ (zip) archive") from None
    for info in infos:
        member = info.filename.replace("\\", "/")
        if member.startswith("/") or re.match(r"^[A-Za-z]:", member) or ".." in member.split("/"):
            raise FormatError(
                f"{name}: member {info.filename!r} climbs out of the archive "
                "(absolute path or '..'); mapdiff refuses such KMZ files"
            )
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED:
        raise InputLimitError(
            f"{name}: the KMZ would unpack to {total / 2**20:,.0f} MB, over "
            f"the {MAX_UNCOMPRESSED / 2**20:,.0f} MB limit "
            "(raise mapdiff.io.kml.MAX_UNCOMPRESSED to read it anyway)"
        )
    kmls = [i for i in infos if i.filename.lower().endswith(".kml") and not i.is_dir()]
    if not kmls:
        raise FormatError(f"{name}: a KMZ without a .kml member inside")
    chosen = next((i for i in kmls if i.filename.lower() == "doc.kml"), kmls[0])
    ratio = chosen.file_size / max(chosen.compress_size, 1)
    if chosen.file_size > 2**20 and ratio > MAX_RATIO:
        raise InputLimitError(
            f"{name}: member {chosen.filename!r} compresses {ratio:,.0f}"
            f" times (limit {MAX_RATIO}); this looks like a zip bomb "
            "(raise mapdiff.io.kml.MAX_RATIO to read it anyway)"
        )
    cap = MAX_UNCOMPRESSED
    byte_limit = current_limits(limits).max_bytes
    if byte_limit is not None:  # the unpacked KML is the input the byte limit is about
        check_bytes(chosen.file_size, f"{name}!{chosen.filename}", limits)
        cap = min(cap, byte_limit)
    try:
        with zf.open(chosen) as fh:
            text = fh.read(cap + 1)  # headers can lie: never read past the cap
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise FormatError(f"{name}: cannot unpack {chosen.filename!r}: {exc}") from None
    if len(text) > cap:
        raise InputLimitError(f"{name}: {chosen.filename!r} unpacks beyond the {cap / 2**20:,.0f} MB limit")
    return read_kml(text, f"{name}!{chosen.filename}", limits)
