"""Footprints: named areas of interest (city limits, approximate town areas, user polygons).

The gazetteer ships in ``data/geo/``: real OSM city limits for six cities
(``city_limits.geojson``, ODbL) and facts for 30 frontline towns (``towns.csv``). For a
town without a polygon the footprint is **approximate**: a geodesic disc whose area is
the official area, centred on the official centre. Every result built on an
approximate footprint says so (``Footprint.approximate``).

Names are matched case-insensitively across English, Ukrainian, Russian and former
names (Pokrovsk = Покровськ = Krasnoarmeysk = Красноармейск).

Footprint kinds, best first: ``osm_boundary`` (a real boundary fetched once with
:func:`mapdiff.fetch_footprint` and cached on disk, see :mod:`mapdiff.places.boundaries`),
``city_limits`` (shipped OSM polygons), ``approximate`` (the disc). ``user`` footprints
come from a polygon file (:func:`footprint_from_file`, or ``footprint(path)``) or a
geometry. Any kind can be grown by a buffer, written ``"<kind>+2km"``.
There is no ``community`` or built-up-area kind: no such polygons are available offline
and none is invented.
"""

from __future__ import annotations

import csv
import difflib
import html
import json
import math
import os
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyproj
import shapely
import shapely.affinity

from .._resources import data_dir
from ..errors import UnknownPlaceError
from ..measure import area_km2
from ._cache import OSM_BOUNDARY, cached_boundary

__all__ = [
    "Footprint",
    "as_footprint",
    "available_kinds",
    "footprint",
    "footprint_from_file",
    "footprint_from_geometry",
    "place_names",
    "resolve_name",
]

CITY_LIMITS = "city_limits"
APPROXIMATE = "approximate"
USER = "user"
#: Area used for a town whose official area is unknown (flagged as approximate).
DEFAULT_APPROX_KM2 = 5.0


@dataclass(frozen=True)
class Footprint:
    """A named area of interest.

    Attributes
    ----------
    name : str
        Canonical (English) name.
    geometry : shapely geometry
        (Multi)Polygon in EPSG:4326.
    kind : str
        ``city_limits``, ``approximate``, ``user``, or one of those with a buffer
        (``city_limits+2km``).
    area_km2 : float
        Equal-area measure of ``geometry``.
    provenance : str
        Where the geometry comes from, with its licence.
    aliases : tuple of str
        Other names of the place.
    centre : (lon, lat) or None

    Examples
    --------
    >>> fp = footprint("Krasnoarmeysk")
    >>> fp.name, fp.kind, fp.approximate
    ('Pokrovsk', 'approximate', True)
    """

    name: str
    geometry: object
    kind: str
    area_km2: float
    provenance: str = ""
    aliases: tuple[str, ...] = ()
    centre: tuple[float, float] | None = None
    notes: str = field(default="", compare=False)
    #: the unbuffered footprint a buffered one was grown from (None when not buffered)
    base: Footprint | None = field(default=None, compare=False, repr=False)

    @property
    def approximate(self) -> bool:
        """True when the geometry is a stand-in built from facts, not a real boundary."""
        return self.kind.startswith(APPROXIMATE)

    def buffer(self, km: float) -> Footprint:
        """This footprint grown by ``km`` kilometres (kind becomes e.g. ``city_limits+2km``).

        The buffer is taken in the local equal-area projection. Buffering a buffered
        footprint adds up (``+1km`` then ``.buffer(2)`` gives ``+3km``, grown from the base).

        Examples
        --------
        >>> fp = footprint("Pokrovsk").buffer(2)
        >>> fp.kind
        'approximate+2km'
        >>> fp.buffer(1).kind
        'approximate+3km'
        """
        from ..measure import equal_area_crs

        try:
            km = float(km)
        except (TypeError, ValueError):
            raise UnknownPlaceError(f"a buffer must be a distance in km, got {km!r}") from None
        if not (math.isfinite(km) and km >= 0):
            raise UnknownPlaceError(f"a buffer must be a distance >= 0 km, got {km!r}")
        base = self.base or self
        _, _, done = self.kind.partition("+")
        total = km + (parse_buffer_km(done) if done else 0.0)
        crs = equal_area_crs(base.geometry)
        fwd = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
        inv = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
        proj = shapely.transform(base.geometry, lambda c: np.column_stack(fwd.transform(c[:, 0], c[:, 1])))
        grown = shapely.buffer(proj, total * 1000.0, quad_segs=16)
        geom = shapely.transform(grown, lambda c: np.column_stack(inv.transform(c[:, 0], c[:, 1])))
        kind = f"{base.kind}+{total:g}km"
        return Footprint(
            self.name,
            geom,
            kind,
            float(area_km2(geom)),
            f"{base.provenance}; buffered by {total:g} km",
            self.aliases,
            self.centre,
            notes=self.notes,
            base=base,
        )

    def to_dict(self) -> dict:
        """JSON-ready dict (geometry as GeoJSON)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "approximate": self.approximate,
            "area_km2": self.area_km2,
            "provenance": self.provenance,
            "aliases": list(self.aliases),
            "centre": self.centre,
            "geometry": json.loads(shapely.to_geojson(self.geometry)),
        }

    def to_geojson(self) -> str:
        """A GeoJSON Feature of the footprint."""
        d = self.to_dict()
        geom = d.pop("geometry")
        return json.dumps({"type": "Feature", "properties": d, "geometry": geom}, ensure_ascii=False)

    def plot(self, ax=None, **kwargs):
        """The outline with context, true to scale (:func:`mapdiff.draw.plot.plot_footprint`)."""
        from ..draw.plot import plot_footprint

        return plot_footprint(self, ax=ax, **kwargs)

    def _repr_html_(self) -> str:
        flag = " <i>(approximate)</i>" if self.approximate else ""
        return (
            f"<b>{html.escape(self.name)}</b>: {html.escape(self.kind)}{flag}, "
            f"{self.area_km2:,.1f} km²<br><small>{html.escape(self.provenance)}</small>"
        )


def _is_alias(name) -> bool:
    return isinstance(name, str) and _norm(name) in _gazetteer()[1]


def _norm(name: str) -> str:
    text = unicodedata.normalize("NFKC", str(name)).casefold().strip()
    return text.replace("’", "'").replace("ʼ", "'").replace("`", "'").replace("ё", "е")


def _disc(lon: float, lat: float, km2: float):
    crs = pyproj.CRS.from_proj4(f"+proj=laea +lat_0={lat} +lon_0={lon} +ellps=WGS84 +units=m")
    inv = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
    r = math.sqrt(km2 * 1e6 / math.pi)
    circle = shapely.Point(0, 0).buffer(r, quad_segs=32)
    # the 128-gon is a little smaller than the circle: scale it to the stated area
    circle = shapely.affinity.scale(circle, *(2 * [math.sqrt(km2 * 1e6 / circle.area)]), origin=(0, 0))
    return shapely.transform(circle, lambda c: np.column_stack(inv.transform(c[:, 0], c[:, 1])))


@lru_cache(maxsize=1)
def _gazetteer() -> tuple[dict, dict]:
    """(entries by canonical name, canonical name by normalised alias)."""
    entries: dict[str, dict] = {}
    geo = data_dir() / "geo"
    with open(geo / "towns.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            names = [row["name_en"], row["name_uk"], row["name_ru"]]
            names += [n for n in row["former_names"].split(";") if n.strip()]
            entries[row["name_en"]] = {"row": row, "names": names, "polygons": {}}
    data = json.loads((geo / "city_limits.geojson").read_text(encoding="utf-8"))
    for feat in data["features"]:
        p = feat["properties"]
        e = entries.setdefault(p["name_en"], {"row": None, "names": [p["name_en"]], "polygons": {}})
        e["names"] += [p.get("name_uk", ""), p.get("name_ru", "")]
        e["polygons"][CITY_LIMITS] = (
            shapely.from_geojson(json.dumps(feat["geometry"])),
            f"OpenStreetMap relation {p.get('osm_id')} via {p.get('source_repo')} "
            f"(commit {p.get('source_commit', '')[:10]}); ODbL 1.0, © OpenStreetMap contributors",
        )
    aliases = {}
    for canon, e in entries.items():
        e["names"] = [n.strip() for n in dict.fromkeys(e["names"]) if n and n.strip()]
        for n in e["names"]:
            aliases.setdefault(_norm(n), canon)
    return entries, aliases


def place_names() -> list[str]:
    """Canonical names of every place in the gazetteer.

    Examples
    --------
    >>> "Myrnohrad" in place_names()
    True
    """
    return sorted(_gazetteer()[0])


def resolve_name(name: str) -> str:
    """The canonical name for a name or alias; :class:`UnknownPlaceError` if unknown."""
    _, aliases = _gazetteer()
    key = _norm(name)
    if key in aliases:
        return aliases[key]
    close = difflib.get_close_matches(key, list(aliases), n=5, cutoff=0.6)
    suggestions = list(dict.fromkeys(aliases[c] for c in close))
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
    raise UnknownPlaceError(f"no place {name!r} in the gazetteer{hint} (or pass the path of a polygon file)")


def footprint(name: str, kind: str | None = None) -> Footprint:
    """The footprint of a named place.

    Parameters
    ----------
    name : str or path
        Any name or alias in any script ("Pokrovsk", "Покровськ", "Krasnoarmeysk"), or
        the path of a polygon file (GeoJSON, GeoPackage, ...).
    kind : str, optional
        ``"osm_boundary"`` (fetched and cached by :func:`mapdiff.fetch_footprint`),
        ``"city_limits"`` or ``"approximate"``, optionally with a buffer suffix
        (``"city_limits+2km"``). By default the best available: a fetched boundary,
        else real city limits where shipped, else the approximate disc.
        A ``name`` that is a polygon file path gives a ``"user"`` footprint.

    Returns
    -------
    Footprint

    Raises
    ------
    UnknownPlaceError
        For a name not in the gazetteer (naming the closest matches) or a kind the
        place does not have.

    Examples
    --------
    >>> round(footprint("Покровськ").area_km2, 2)
    29.57
    >>> footprint("Kharkiv").kind
    'city_limits'
    """
    if isinstance(name, os.PathLike) or (looks_like_path(name) and not _is_alias(name)):
        fp = footprint_from_file(name)
        if kind:
            base, _, buf = kind.partition("+")
            if base not in ("", USER):
                raise UnknownPlaceError(f"a polygon file gives a 'user' footprint, not {base!r}")
            if buf:
                fp = fp.buffer(parse_buffer_km(buf, kind))
        return fp
    canon = resolve_name(name)
    entries, _ = _gazetteer()
    e = entries[canon]
    base, _, buf = (kind or "").partition("+")
    kinds = available_kinds(canon)
    base = base or kinds[0]
    if base not in kinds:
        raise UnknownPlaceError(f"{canon} has no {base!r} footprint; it has: {', '.join(kinds)}")
    row = e["row"]
    centre = (float(row["lon"]), float(row["lat"])) if row else None
    if base == OSM_BOUNDARY:
        geom, p = cached_boundary(canon)
        prov = (
            f"OpenStreetMap {p.get('osm_type')} {p.get('osm_id')} ({p.get('display_name')}), "
            f"fetched {p.get('fetched_at')} from {p.get('url')}; {p.get('licence')}; "
            f"cached in {p.get('cache_file')}"
        )
        if centre is None:
            c = geom.centroid
            centre = (c.x, c.y)
    elif base == CITY_LIMITS:
        geom, prov = e["polygons"][CITY_LIMITS]
        if centre is None:
            c = geom.centroid
            centre = (c.x, c.y)
    else:
        stated = row["area_km2"].strip()
        km2 = float(stated) if stated else DEFAULT_APPROX_KM2
        geom = _disc(centre[0], centre[1], km2)
        prov = (
            f"approximate: geodesic disc of {km2:g} km² "
            f"({'official area' if stated else 'no official area known; default'}) around the "
            f"official centre {centre[1]:.5f} N, {centre[0]:.5f} E; facts from {row['source']}"
        )
    fp = Footprint(
        canon,
        geom,
        base,
        float(area_km2(geom)),
        prov,
        tuple(n for n in e["names"] if n != canon),
        centre,
        notes=(row or {}).get("notes", "") or "",
    )
    if buf:
        fp = fp.buffer(parse_buffer_km(buf, kind))
    return fp


def available_kinds(name: str) -> list[str]:
    """Footprint kinds a place has, best first.

    A boundary fetched with :func:`mapdiff.fetch_footprint` (``osm_boundary``, cached)
    comes first, then shipped ``city_limits``, then the ``approximate`` disc.

    Examples
    --------
    >>> available_kinds("Kharkiv")[-1]
    'city_limits'
    """
    entries, _ = _gazetteer()
    canon = resolve_name(name)
    e = entries[canon]
    kinds = [OSM_BOUNDARY] if cached_boundary(canon) is not None else []
    kinds += [k for k in (CITY_LIMITS,) if k in e["polygons"]]
    if e["row"] is not None:
        kinds.append(APPROXIMATE)
    return kinds


def parse_buffer_km(text: str, kind: str = "") -> float:
    """Kilometres from a buffer suffix such as ``"2km"`` or ``"2"``.

    Examples
    --------
    >>> parse_buffer_km("2km")
    2.0
    """
    try:
        km = float(str(text).strip().lower().removesuffix("km"))
    except ValueError:
        raise UnknownPlaceError(
            f"bad footprint kind {kind or text!r}; write e.g. 'city_limits+2km'"
        ) from None
    if not (math.isfinite(km) and km >= 0):
        raise UnknownPlaceError(f"bad buffer in footprint kind {kind or text!r}: give a distance >= 0 km")
    return km


_POLYGON_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip", ".fgb", ".kml", ".kmz", ".parquet")


def looks_like_path(text: str) -> bool:
    """True when ``text`` names a polygon file rather than a place (a path separator or file suffix)."""
    t = str(text)
    return "/" in t or "\\" in t or t.lower().endswith(_POLYGON_SUFFIXES)


def footprint_from_geometry(geom, name: str = "user polygon", provenance: str = "") -> Footprint:
    """A footprint of kind ``user`` from a lon/lat (Multi)Polygon.

    Examples
    --------
    >>> import shapely
    >>> fp = footprint_from_geometry(shapely.box(37.1, 48.2, 37.2, 48.3), name="box")
    >>> fp.kind, round(fp.area_km2, 1)
    ('user', 82.6)
    """
    if not isinstance(geom, shapely.Geometry):
        raise UnknownPlaceError(f"{name}: expected a shapely polygon in lon/lat, got {type(geom).__name__}")
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    if geom.geom_type == "GeometryCollection":
        parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
        geom = shapely.union_all(parts) if parts else shapely.Polygon()
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise UnknownPlaceError(f"{name}: a footprint must be a polygon with area, got {geom.geom_type}")
    xmin, ymin, xmax, ymax = geom.bounds
    if xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90:
        raise UnknownPlaceError(
            f"{name}: coordinates are not lon/lat degrees (bounds {geom.bounds}); reproject to EPSG:4326"
        )
    c = geom.centroid
    return Footprint(name, geom, USER, float(area_km2(geom)), provenance or "user polygon", (), (c.x, c.y))


def footprint_from_file(path, name: str | None = None) -> Footprint:
    """A footprint of kind ``user`` from a polygon file (GeoJSON, GeoPackage, Shapefile, …).

    All polygons in the file are unioned; the file is reprojected to lon/lat when it
    states another CRS.

    Parameters
    ----------
    path : str or Path
    name : str, optional
        Name of the place (default: the file's stem).

    Raises
    ------
    UnknownPlaceError
        When the file is missing, unreadable or holds no polygon.

    Examples
    --------
    >>> fp = footprint_from_file("my_town.geojson")          # doctest: +SKIP
    """
    from pathlib import Path

    p = Path(path)
    name = name or p.stem
    if not p.is_file():
        raise UnknownPlaceError(
            f"polygon file {str(p)!r} does not exist (or is not a file); "
            "pass a gazetteer name or the path of a polygon file"
        )
    try:
        import pyogrio

        gdf = pyogrio.read_dataframe(p)
    except Exception as exc:  # pyogrio/GDAL raise many kinds
        raise UnknownPlaceError(f"cannot read polygon file {str(p)!r}: {exc}") from None
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs(4326)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    geoms = geoms[~shapely.is_missing(geoms)]
    geoms = geoms[np.isin(shapely.get_type_id(geoms), (3, 6))] if geoms.size else geoms
    if not geoms.size:
        raise UnknownPlaceError(f"polygon file {str(p)!r} holds no polygon")
    geoms = shapely.make_valid(geoms)
    return footprint_from_geometry(shapely.union_all(geoms), name=name, provenance=f"user polygon file {p}")


# ---------------------------------------------------------------------- the one resolver
def as_footprint(place, *, kind: str | None = None) -> Footprint:
    """The one resolver: a Footprint from a Footprint, a name or alias, a polygon file or a geometry.

    Parameters
    ----------
    place : Footprint, str, Path or shapely.Geometry
        A gazetteer name or alias (any script), the path of a polygon file, a polygon in
        lon/lat, or a Footprint (returned as it is, re-kinded if ``kind`` is given).
    kind : str, optional
        Footprint kind (``"city_limits"``, ``"approximate"``, …), optionally with a
        buffer (``"city_limits+2km"``).

    Returns
    -------
    Footprint

    Raises
    ------
    UnknownPlaceError
        A name the gazetteer does not know (the message lists close matches).

    Examples
    --------
    >>> as_footprint("Pokrovsk").name
    'Pokrovsk'
    >>> as_footprint("Pokrovsk", kind="approximate+2km").kind
    'approximate+2km'
    """
    if isinstance(place, Footprint):
        return place if kind is None else _rekind(place, kind)
    if isinstance(place, shapely.Geometry):
        fp = footprint_from_geometry(place, name="user polygon")
        return fp if kind is None else _rekind(fp, kind)
    if isinstance(place, Path) or (isinstance(place, str) and looks_like_path(place)):
        fp = footprint_from_file(place)
        return fp if kind is None else _rekind(fp, kind)
    return footprint(str(place), kind=kind)


def _rekind(fp, kind: str):
    base, _, buf = kind.partition("+")
    if base and base != fp.kind.split("+")[0]:
        raise UnknownPlaceError(f"{fp.name} is a {fp.kind} footprint; it has no {base!r} kind")
    if not buf:
        return fp
    return fp.buffer(parse_buffer_km(buf, kind))


def sensitivity_footprints(fp, buffers_km=(2.0,)) -> list:
    """The footprints a sensitivity table covers: every base kind of the place, each also buffered."""
    base_fps = []
    if fp.kind.split("+")[0] == USER or fp.name not in place_names():
        base_fps = [_base_of(fp)]
    else:
        base_fps = [footprint(fp.name, kind=k) for k in available_kinds(fp.name)]
    out = []
    for b in base_fps:
        out.append(b)
        out += [b.buffer(km) for km in buffers_km]
    if not any(o.kind == fp.kind for o in out):
        out.insert(0, fp)
    return out


def _base_of(fp):
    return fp.base if getattr(fp, "base", None) is not None else fp
