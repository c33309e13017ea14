"""Footprints: named areas of interest (town limits, communities, approximate areas, user polygons).

The gazetteer ships in ``data/geo/`` (see its README for sources and licences):

- ``city_limits``: real OSM administrative boundaries (ODbL): six cities
  (``city_limits.geojson``) and five frontline towns (``osm_town_limits.geojson``:
  Pokrovsk, Myrnohrad, Bakhmut, Toretsk, Lyman);
- ``community``: the OSM hromada (territorial community) that contains 22 frontline towns
  (``osm_hromadas.geojson``). A town never leaves its hromada, so this is an **upper
  bound** of the town, not the town;
- ``approximate``: for a town without real limits, a geodesic disc of the official area
  around the official centre (``towns.csv``), **clipped to the town's hromada** where one
  is shipped. Every result built on an approximate footprint says so
  (``Footprint.approximate``).

That is the footprint ladder, best first: ``city_limits`` → ``community`` →
``approximate``; a boundary fetched with :func:`mapdiff.fetch_footprint` (``osm_boundary``,
cached on disk, see :mod:`mapdiff.places.boundaries`) comes before them all. The default
footprint of a place is its best estimate of the town itself: ``osm_boundary``, else
``city_limits``, else ``approximate`` (a community is an upper bound, never the default
when a town estimate exists). ``user`` footprints come from a polygon file
(:func:`footprint_from_file`, or ``footprint(path)``) or a geometry. Any kind can be grown
by a buffer, written ``"<kind>+2km"``.

Names are matched case-insensitively across English, Ukrainian, Russian and former
names (Pokrovsk = Покровськ = Krasnoarmeysk = Красноармейск), optionally with the oblast
(``"Lyman, Donetsk"`` or ``"Lyman (Donetsk)"``). Villages named Lyman, Kostiantynivka and
Dobropillia exist in Kharkiv oblast too; the gazetteer holds only the Donetsk-oblast towns
of those names, so the plain name means them (``mapdiff place --list`` shows each
place's oblast). A name two places share is an error listing both.

This module is the resolver: :func:`footprint` and :func:`as_footprint` (a name, an id of
the administrative map, a file or a geometry), the kinds a place has, and sets of places
(:func:`place_set`). The :class:`Footprint` value and the shapes it is built from are in
:mod:`mapdiff.places.shapes`; the gazetteer's tables and names in :mod:`mapdiff.places.names`.
"""

from __future__ import annotations

import csv
import dataclasses
import os
import re
from pathlib import Path

import shapely

from .. import _dirs, config
from ..errors import ArgumentError, FormatError, UnknownPlaceError
from ..model.measure import area_km2
from . import admin, names
from ._cache import OSM_BOUNDARY, cached_boundary
from .names import norm, place_names, place_oblast, resolve_name
from .shapes import (
    APPROXIMATE,
    CITY_LIMITS,
    COMMUNITY,
    USER,
    Footprint,
    approximate_shape,
    footprint_from_file,
    footprint_from_geometry,
    parse_buffer_km,
)

__all__ = [
    "Footprint",
    "as_footprint",
    "available_kinds",
    "default_kind",
    "footprint",
    "footprint_from_file",
    "footprint_from_geometry",
    "gazetteer_table",
    "place_names",
    "place_oblast",
    "resolve_name",
]


def footprint(name: str, *, kind: str | None = None) -> Footprint:
    """The footprint of a named place.

    Parameters
    ----------
    name : str or path
        Any name or alias in any script ("Pokrovsk", "Покровськ", "Krasnoarmeysk"),
        optionally with the oblast ("Lyman, Donetsk"), or the path of a polygon file
        (GeoJSON, GeoPackage, ...).
    kind : str, optional
        A rung of the ladder: ``"osm_boundary"`` (fetched and cached by
        :func:`mapdiff.fetch_footprint`), ``"city_limits"``, ``"community"`` (the hromada,
        an upper bound) or ``"approximate"`` (a disc of the official area, clipped to the
        hromada), optionally with a buffer suffix (``"city_limits+2km"``). By default
        the best estimate of the town: a fetched boundary, else real city limits where
        shipped, else the approximate footprint.
        A ``name`` that is a polygon file path gives a ``"user"`` footprint.

    Returns
    -------
    Footprint

    Raises
    ------
    UnknownPlaceError
        For a name not in the gazetteer (naming the closest matches) or an ambiguous name
        (naming the candidates).
    ArgumentError
        For a kind the place does not have (naming the kinds it has).

    Examples
    --------
    >>> fp = footprint("Покровськ")
    >>> fp.kind, round(fp.area_km2, 2)
    ('city_limits', 31.17)
    >>> footprint("Kupiansk").kind
    'approximate'
    """
    labelled = _LABELLED_RE.match(str(name)) if isinstance(name, str) else None
    if labelled:  # "<id> <name>", as a set names its places (CSV columns, report rows)
        return labelled_footprint(footprint(labelled.group(1), kind=kind))
    if isinstance(name, os.PathLike) or (looks_like_path(name) and not names.is_alias(name)):
        return _file_footprint(name, kind)
    canon, unit = _place(name)
    if canon is None:
        return _admin_footprint(unit, kind)
    fp = _town_footprint(canon, kind)  # a frontline town: its ladder, its numbers
    if unit is None:
        return fp
    # named by an id of the administrative map: that unit's parents, and its id when the
    # town has no OSM limits (a GeoNames point)
    return dataclasses.replace(fp, id=fp.id or unit.id, parents=fp.parents or _parents(unit))


def _place(name, *, unit: bool = True) -> tuple[str | None, admin.AdminUnit | None]:
    """(frontline town, unit of the administrative map) that ``name`` means: a gazetteer
    name is a town alone; an id or name of the administrative map is its unit, and the town
    that unit is (None when none). UnknownPlaceError when it means neither. ``unit=False``:
    the unit is not wanted when the name is a town, so a town's own limits id is that town
    without the administrative map's index (0.3 s to read)."""
    try:
        return resolve_name(name), None
    except UnknownPlaceError as exc:  # not one of the frontline towns: the administrative map
        text = str(name).strip()
        if not unit and (own := _town_of_limits().get(text)) is not None:
            return own, None
        legacy = _legacy_by_id().get(text)  # a town's own OSM id (a city's limits)
        if legacy is not None:
            try:
                return legacy, admin.find(text)
            except UnknownPlaceError:  # a city's limits the administrative map lacks
                return legacy, None
        unit = _admin_unit(name, exc)
        if unit is None:
            raise
        return _legacy_by_id().get(unit.id), unit


def _file_footprint(path, kind: str | None) -> Footprint:
    """A polygon file's ``user`` footprint, grown by the buffer ``kind`` may carry."""
    fp = footprint_from_file(path)
    base, _, buf = (kind or "").partition("+")
    if base not in ("", USER):
        raise ArgumentError(f"a polygon file gives a 'user' footprint, not {base!r}")
    return fp.buffer(parse_buffer_km(buf, kind)) if buf else fp


def _town_footprint(canon: str, kind: str | None) -> Footprint:
    """A frontline town's footprint on a rung of its ladder (by default its best estimate)."""
    entries = names.tables()[0]
    base, _, buf = (kind or "").partition("+")
    kinds = available_kinds(canon)
    base = base or default_kind(canon)
    if base not in kinds:
        raise ArgumentError(f"{canon} has no {base!r} footprint; it has: {', '.join(kinds)}")
    key = (canon, base, buf)
    if base != OSM_BOUNDARY and (hit := _recall(key, entries)) is not None:
        return hit  # shipped geography: built once per gazetteer (a fetch is on disk)
    e = entries[canon]
    row = e["row"]
    geom, prov = _town_shape(canon, base, e)
    if row:
        centre = (float(row["lon"]), float(row["lat"]))
    else:
        c = geom.centroid
        centre = (c.x, c.y)
    fp = Footprint(
        canon,
        geom,
        base,
        float(area_km2(geom)),
        prov,
        tuple(n for n in e["names"] if n != canon),
        centre,
        notes=(row or {}).get("notes", "") or "",
        oblast=e["oblast"],
        id=_legacy_ids().get(canon, ""),
        level=TOWN,
    )
    if buf:
        fp = fp.buffer(parse_buffer_km(buf, kind))
    return fp if base == OSM_BOUNDARY else _remember(key, entries, fp)


def _town_shape(canon: str, base: str, entry: dict) -> tuple:
    """(geometry, provenance) of a town's rung: fetched, shipped, or the approximate disc."""
    if base == OSM_BOUNDARY:
        geom, p = cached_boundary(canon)
        return geom, (
            f"OpenStreetMap {p.get('osm_type')} {p.get('osm_id')} ({p.get('display_name')}), "
            f"fetched {p.get('fetched_at')} from {p.get('url')}; {p.get('licence')}; "
            f"cached in {p.get('cache_file')}"
        )
    if base in (CITY_LIMITS, COMMUNITY):
        return entry["polygons"][base]
    return approximate_shape(entry["row"], entry["polygons"].get(COMMUNITY))


#: (name, kind, buffer) -> (the gazetteer it was built from, Footprint): footprints are
#: immutable, and a claim asks for the same few several times (its sensitivity table)
_BUILT: dict = config.register_cache({})


def _recall(key: tuple, source) -> Footprint | None:
    """The footprint built for ``key`` from this ``source`` (the tables, or the admin map)."""
    hit = _BUILT.get(key)
    return hit[1] if hit is not None and hit[0] is source else None


def _remember(key: tuple, source, fp: Footprint) -> Footprint:
    if len(_BUILT) > 512:
        _BUILT.clear()
    _BUILT[key] = (source, fp)
    return fp


#: level of the frontline gazetteer's towns (``towns.csv`` and the shipped city limits)
TOWN = "town"
#: footprint kind of an oblast, raion or hromada: its OSM administrative boundary
ADMIN_BOUNDARY = "admin_boundary"
_LIMITS_RE = re.compile(r"^OpenStreetMap ((?:relation|way)/\d+) \((?:city|town) limits")


@config.cached(maxsize=1)
def _legacy_ids() -> dict:
    """{canonical town name: OSM id of its shipped limits} (read from the provenance)."""
    out = {}
    for canon, e in names.tables()[0].items():
        limits = e["polygons"].get(CITY_LIMITS)
        m = _LIMITS_RE.match(limits[1]) if limits else None
        if m:
            out[canon] = m.group(1)
    return out


@config.cached(maxsize=1)
def _town_of_limits() -> dict:
    """{OSM id of shipped city limits: canonical town name}, from the provenance alone."""
    return {v: k for k, v in _legacy_ids().items()}


@config.cached(maxsize=1)
def _legacy_by_id() -> dict:
    """{id: canonical town name}: an id of the administrative map that is a frontline town
    is that town (its footprint ladder and numbers): its OSM limits' relation, or the
    GeoNames point of the same name within about 5 km of its official centre."""
    out = dict(_town_of_limits())
    points: dict[str, list] = {}
    for u in admin.points():
        for n in u.names:
            points.setdefault(norm(n), []).append(u)
    for canon, e in names.tables()[0].items():
        row = e["row"]
        if row is None:
            continue
        lon, lat = float(row["lon"]), float(row["lat"])
        near = {
            u.id: u
            for n in [canon, *e["names"]]
            for u in points.get(norm(n), ())
            if abs(u.point[0] - lon) < 0.07 and abs(u.point[1] - lat) < 0.05
        }
        for uid in near:
            out.setdefault(uid, canon)
    return out


def _admin_unit(name, legacy_error):
    """The administrative unit ``name`` names, None when it names none (then the frontline
    gazetteer's error stands), or UnknownPlaceError when it names several or an unknown id."""
    if admin.is_id(str(name)):
        return admin.find(str(name).strip())
    if "ambiguous" in str(legacy_error):  # two frontline towns: their error, not a third place
        return None
    found = admin.candidates(str(name))
    if not found:
        try:  # the administrative map's close names too
            admin.find(str(name))
        except UnknownPlaceError as exc:
            close = str(exc).partition("did you mean ")[2].rstrip("?")
            if close:
                raise UnknownPlaceError(
                    f"{str(legacy_error).removesuffix(' (or pass the path of a polygon file)')}; "
                    f"or, on the administrative map: {close}? (or pass the path of a polygon file)"
                ) from None
        return None
    return admin.find(str(name))


def admin_kinds(unit) -> list[str]:
    """Footprint kinds of an administrative unit: a settlement has its limits and its
    hromada (``community``, an upper bound); an oblast, raion or hromada its boundary."""
    if unit.point is not None:  # a GeoNames point: a disc, clipped to its hromada
        return [APPROXIMATE, COMMUNITY] if unit.hromada_id else [APPROXIMATE]
    if unit.level == "settlement":
        return [CITY_LIMITS, COMMUNITY] if unit.hromada_id else [CITY_LIMITS]
    return [ADMIN_BOUNDARY]


def _parents(unit) -> tuple:
    return tuple((p.id, p.level, p.name) for p in unit.parents())


def _admin_footprint(unit, kind: str | None = None) -> Footprint:
    """The footprint of a unit of the administrative map (oblast, raion, hromada, settlement)."""
    base, _, buf = (kind or "").partition("+")
    kinds = admin_kinds(unit)
    base = base or kinds[0]
    if base not in kinds:
        raise ArgumentError(f"{unit.describe()} has no {base!r} footprint; it has: {', '.join(kinds)}")
    key = (unit.id, base, buf)
    if (hit := _recall(key, admin)) is not None:
        return hit
    geom, prov, centre = _point_shape(unit) if base == APPROXIMATE else _unit_shape(unit, base)
    fp = Footprint(
        unit.name,
        geom,
        base,
        float(area_km2(geom)),
        prov,
        tuple(n for n in unit.names if n != unit.name),
        centre,
        oblast=unit.oblast.removesuffix(" Oblast"),
        id=unit.id,
        level=unit.level,
        parents=_parents(unit),
    )
    if buf:
        fp = fp.buffer(parse_buffer_km(buf, kind))
    return _remember(key, admin, fp)


def _unit_shape(unit, base: str) -> tuple:
    """(geometry, provenance, centre) of a unit's shipped polygon, or of its hromada's."""
    src = unit if base != COMMUNITY else admin.find(unit.hromada_id)
    geom = admin.geometry(src)
    what = {"settlement": "settlement limits, admin_level 10", "hromada": "hromada, admin_level 7"}.get(
        src.level, f"{src.level}, {'union of its raions' if src.level == 'oblast' else 'admin_level 6'}"
    )
    shipped = (
        f"simplified as a coverage, area {src.area_km2:,.2f} km² vs {src.area_km2_osm:,.2f} before (geodesic)"
        if src.level != "settlement"
        else "not simplified"
    )
    prov = f"OpenStreetMap {src.id} ({src.name}; {what}) as exported in {src.source}; "
    prov += f"{shipped}; {admin.LICENCE}"
    if base == COMMUNITY:
        prov += f"; the hromada of {unit.name}: an upper bound of the settlement"
    c = shapely.point_on_surface(geom)
    return geom, prov, (c.x, c.y)


def _point_shape(unit) -> tuple:
    """(geometry, provenance, centre) of a GeoNames point: a geodesic disc of
    :data:`~mapdiff.places.shapes.DEFAULT_APPROX_KM2` (no official area is known) around the
    point, clipped to its hromada."""
    lon, lat = unit.point
    row = {"lon": lon, "lat": lat, "area_km2": "", "source": f"GeoNames {unit.id} ({unit.source})"}
    community = None
    if unit.hromada_id:
        h = admin.find(unit.hromada_id)
        community = (admin.geometry(h), f"OpenStreetMap {h.id} ({h.name})")
    geom, prov = approximate_shape(row, community)
    return geom, prov, (lon, lat)


def gazetteer_table() -> list[dict]:
    """Every gazetteer place: name, oblast, kinds available (best first), area per kind.

    The default kind is marked; ``approximate`` areas are those of the disc after it is
    clipped to the hromada. A fetched ``osm_boundary`` (cached) is listed too.

    Examples
    --------
    >>> row = next(r for r in gazetteer_table() if r["name"] == "Lyman")
    >>> row["oblast"], row["default_kind"], round(row["area_km2"]["city_limits"], 2)
    ('Donetsk', 'city_limits', 20.6)
    """
    out = []
    for name in place_names():
        kinds = available_kinds(name)
        out.append(
            {
                "name": name,
                "oblast": place_oblast(name),
                "default_kind": default_kind(name),
                "kinds": kinds,
                "area_km2": {k: footprint(name, kind=k).area_km2 for k in kinds},
            }
        )
    return out


def available_kinds(name: str) -> list[str]:
    """Footprint kinds (rungs of the ladder) a place has, best first.

    A boundary fetched with :func:`mapdiff.fetch_footprint` (``osm_boundary``, cached)
    comes first, then shipped ``city_limits``, then the ``community`` (hromada, an upper
    bound), then the ``approximate`` footprint.

    Examples
    --------
    >>> available_kinds("Pokrovsk")
    ['city_limits', 'community', 'approximate']
    >>> available_kinds("Kharkiv")
    ['city_limits']
    """
    canon, unit = _place(name, unit=False)
    if canon is None:
        return admin_kinds(unit)
    e = names.tables()[0][canon]
    kinds = [OSM_BOUNDARY] if cached_boundary(canon) is not None else []
    kinds += [k for k in (CITY_LIMITS, COMMUNITY) if k in e["polygons"]]
    if e["row"] is not None:
        kinds.append(APPROXIMATE)
    return kinds


def default_kind(name: str) -> str:
    """The kind :func:`footprint` gives by default: the best estimate of the town itself.

    Examples
    --------
    >>> default_kind("Bakhmut"), default_kind("Kupiansk")
    ('city_limits', 'approximate')
    """
    kinds = available_kinds(name)
    return next((k for k in kinds if k != COMMUNITY), kinds[0])


_POLYGON_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip", ".fgb", ".kml", ".kmz", ".parquet")


def looks_like_path(text: str) -> bool:
    """True when ``text`` names a polygon file rather than a place (a path separator or file suffix)."""
    t = str(text)
    if admin.is_id(t) or _LABELLED_RE.match(t):  # a place's id, not a path
        return False
    return "/" in t or "\\" in t or t.lower().endswith(_POLYGON_SUFFIXES)


_LABELLED_RE = re.compile(r"^((?:relation|way|node)/\d+|oblast/[a-z_]+|geonames/\d+) \S.*$")


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
        raise ArgumentError(f"{fp.name} is a {fp.kind} footprint; it has no {base!r} kind")
    if not buf:
        return fp
    return fp.buffer(parse_buffer_km(buf, kind))


def sensitivity_footprints(fp, buffers_km=(2.0,)) -> list:
    """The footprints a claim's sensitivity table covers, so a reader sees how far a verdict moves.

    For a gazetteer place: every rung of the ladder it has (``osm_boundary``,
    ``city_limits``, ``community``, ``approximate``), each also grown by ``buffers_km``
    except the community (already an upper bound). For a user polygon: it and its buffers.
    The footprint checked comes first when it is none of those (e.g. ``+5km``).

    Examples
    --------
    >>> [f.kind for f in sensitivity_footprints(footprint("Pokrovsk"))]
    ['city_limits', 'city_limits+2km', 'community', 'approximate', 'approximate+2km']
    """
    if fp.level in ("settlement", "oblast", "raion", "hromada") and fp.id:
        base_fps = [footprint(fp.id, kind=k) for k in available_kinds(fp.id)]
    elif fp.rung == USER or fp.name not in place_names():
        base_fps = [_base_of(fp)]
    else:
        base_fps = [footprint(fp.name, kind=k) for k in available_kinds(fp.name)]
    out = []
    for b in base_fps:
        out.append(b)
        # an oblast, raion or hromada grown by 2 km says nothing a reader needs
        if not b.upper_bound and b.rung != ADMIN_BOUNDARY:
            out += [b.buffer(km) for km in buffers_km]
    if not any(o.kind == fp.kind for o in out):
        out.insert(0, fp)
    return out


def _base_of(fp):
    return fp.base if getattr(fp, "base", None) is not None else fp


# ---------------------------------------------------------------------- place sets
_SET_RE = re.compile(
    r"^\s*(?:every|all|each)?\s*(?P<level>[^\s]+?)\s*(?:\s(?:of|in)\s(?P<parent>.+))?\s*$", re.IGNORECASE
)


def _set_level(text: str):
    """(level, parent) when ``text`` names a set (``"hromadas"``, ``"every hromada of Donetsk
    Oblast"``, ``"settlements in Pokrovsk raion"``), else None."""
    m = _SET_RE.match(str(text))
    if m is None:
        return None
    word = m.group("level").lower()
    plural = (
        word.endswith("s") or m.group("parent") is not None or str(text).lower().startswith(("every", "all"))
    )
    if not plural:
        return None
    try:
        level = admin.parse_level(word)
    except UnknownPlaceError:
        return None
    return level, m.group("parent")


def is_place_set(spec) -> bool:
    """True when ``spec`` names a set of places rather than one place.

    Examples
    --------
    >>> is_place_set("hromadas"), is_place_set("every hromada of Donetsk Oblast"), is_place_set("Pokrovsk")
    (True, True, False)
    """
    if isinstance(spec, str):
        return _set_level(spec) is not None
    return not isinstance(spec, Footprint | shapely.Geometry | Path)


def labelled_footprint(fp: Footprint) -> Footprint:
    """The footprint named ``"<id> <name>"`` (a set's names repeat: the id tells them apart)."""
    if not fp.id or fp.name.startswith(f"{fp.id} "):
        return fp
    return dataclasses.replace(fp, name=f"{fp.id} {fp.name}")


def place_set(spec, *, cache: bool = True) -> list[Footprint]:
    """The footprints of a set of places, each named ``"<id> <name>"``.

    Parameters
    ----------
    spec : str, list, GeoDataFrame or path
        A level (``"oblasts"``, ``"raions"``, ``"hromadas"``, ``"settlements"``), a level
        below a parent (``"every hromada of Donetsk Oblast"``, ``"settlements of Pokrovsk
        raion"``), a list of places (names, ids, paths, Footprints), a GeoDataFrame (one
        user footprint per row, named by its ``name`` or ``id`` column), or a file: a text or
        CSV file with one place per line (an ``id`` or ``name`` column, or the first column).

    ``settlements`` are the settlement polygons and the GeoNames points (towns and
    villages of 1,000 inhabitants and more) no polygon holds; a point's footprint is its
    ladder's ``approximate`` rung, flagged in every output.

    A level's set (``"hromadas"``, ``"hromadas of Donetsk Oblast"``) is kept in the cache
    folder (:mod:`mapdiff.io.cache`, ``.mdf``), keyed by the words, mapdiff's version and the
    shipped geography files: the next run reads it instead of parsing and measuring every
    outline again. ``cache=False`` (or ``MAPDIFF_NO_CACHE=1``) neither reads nor keeps it.

    Examples
    --------
    >>> [f.name for f in place_set("every raion of Donetsk Oblast")][:2]
    ['relation/11958110 Mariupol Raion', 'relation/11970387 Bakhmut Raion']
    >>> len(place_set("oblasts"))
    25
    """
    if isinstance(spec, str | os.PathLike) and not (isinstance(spec, str) and _set_level(spec)):
        p = Path(spec)
        if p.is_file() and p.suffix.lower() in (".csv", ".txt", ".tsv"):
            return [labelled_footprint(as_footprint(x)) for x in _places_in_file(p)]
        if isinstance(spec, str) and not looks_like_path(spec):
            raise UnknownPlaceError(
                f"{spec!r} is not a set of places; give a level (oblasts, raions, hromadas, settlements), "
                "'every hromada of <place>', a list, or a file of places"
            )
        return [as_footprint(spec)]
    if isinstance(spec, str):
        level, parent = _set_level(spec)
        keep = cache and _dirs.cache_enabled()
        if keep:  # 1,466 hromadas: a second of outlines parsed and measured, or a file read
            from ..io import cache as _cache

            kept = _cache.load_places(spec)
            if kept is not None:
                try:
                    return [Footprint(geometry=g, **fields) for fields, g in kept]
                except TypeError:  # fields of another Footprint: made again below
                    pass
        units = admin.units(level, parent=parent)
        out = [labelled_footprint(footprint(u.id)) for u in units]
        if level == "settlement":
            out += [labelled_footprint(footprint(u.id)) for u in admin.points(parent=parent)]
        if not out:
            raise UnknownPlaceError(f"no {level} in {spec!r}")
        if keep:
            _cache.store_places(spec, out)
        return out
    try:
        import geopandas as gpd  # pandas: only for a GeoDataFrame of places

        if isinstance(spec, gpd.GeoDataFrame):
            gdf = spec.to_crs(4326) if spec.crs is not None else spec
            col = next((c for c in ("name", "id") if c in gdf.columns), None)
            out = [
                footprint_from_geometry(g, name=str(gdf[col].iloc[i]) if col else f"polygon {i}")
                for i, g in enumerate(gdf.geometry)
            ]
            return out
    except ImportError:  # pragma: no cover
        pass
    out = [labelled_footprint(as_footprint(x)) for x in spec]
    if not out:
        raise ArgumentError("an empty set of places; give at least one")
    return out


def _places_in_file(path: Path) -> list[str]:
    """The places a CSV or text file lists: its ``id`` column, else ``name``, else the first."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        text = fh.read()
    lines = [x for x in text.splitlines() if x.strip() and not x.lstrip().startswith("#")]
    if not lines:
        raise FormatError(f"{path}: no place listed (one id or name a line, or a CSV with an id column)")
    rows = list(csv.reader(lines, delimiter="\t" if path.suffix.lower() == ".tsv" else ","))
    head = [h.strip().lower() for h in rows[0]]
    for col in ("id", "name", "place"):
        if col in head:
            k = head.index(col)
            return [r[k].strip() for r in rows[1:] if len(r) > k and r[k].strip()]
    if path.suffix.lower() == ".txt":
        return [x.strip() for x in lines]
    return [r[0].strip() for r in rows if r and r[0].strip()]
