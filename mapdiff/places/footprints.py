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
"""

from __future__ import annotations

import csv
import difflib
import html
import json
import math
import os
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
import shapely.affinity

from .._geo import GeoResult
from .._json import SCHEMA_VERSION
from .._resources import data_dir
from ..errors import ArgumentError, CRSError, FormatError, UnknownPlaceError
from ..measure import _inverse_transformer, area_km2, cached_transformer, equal_area_crs
from ._cache import OSM_BOUNDARY, cached_boundary

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

CITY_LIMITS = "city_limits"
COMMUNITY = "community"
APPROXIMATE = "approximate"
USER = "user"
#: Area used for a town whose official area is unknown (flagged as approximate).
DEFAULT_APPROX_KM2 = 5.0


@dataclass(frozen=True)
class Footprint(GeoResult):
    """A named area of interest.

    Attributes
    ----------
    name : str
        Canonical (English) name.
    geometry : shapely geometry
        (Multi)Polygon in EPSG:4326.
    kind : str
        The rung of the ladder: ``osm_boundary``, ``city_limits``, ``community``
        (hromada: an upper bound), ``approximate``, ``user``, or one of those with a
        buffer (``city_limits+2km``).
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
    ('Pokrovsk', 'city_limits', False)
    >>> footprint("Kupiansk").approximate
    True
    """

    name: str
    geometry: object
    kind: str
    area_km2: float
    provenance: str = ""
    aliases: tuple[str, ...] = ()
    centre: tuple[float, float] | None = None
    notes: str = field(default="", compare=False)
    #: oblast of a gazetteer place ("" for a user polygon)
    oblast: str = field(default="", compare=False)
    #: the unbuffered footprint a buffered one was grown from (None when not buffered)
    base: Footprint | None = field(default=None, compare=False, repr=False)
    #: the place's stable id (``relation/N``, ``oblast/<slug>``; "" for a user polygon)
    id: str = field(default="", compare=False)
    #: ``oblast``, ``raion``, ``hromada``, ``settlement`` or ``town`` (the frontline
    #: gazetteer's towns); "" for a user polygon
    level: str = field(default="", compare=False)
    #: the parents, nearest first, as ``(id, level, name)``
    parents: tuple = field(default=(), compare=False)

    @property
    def approximate(self) -> bool:
        """True when the geometry is a stand-in built from facts, not a real boundary."""
        return self.kind.startswith(APPROXIMATE)

    @property
    def rung(self) -> str:
        """The kind without its buffer (``city_limits``, ``community``, ``approximate``, ``user``, ...)."""
        return self.kind.partition("+")[0]

    @property
    def upper_bound(self) -> bool:
        """True for a ``community`` (hromada) footprint: it holds the town and more."""
        return self.rung == COMMUNITY

    @property
    def caveat(self) -> str:
        """What a reader must know about this footprint ("" for a real boundary).

        Examples
        --------
        >>> footprint("Kupiansk").caveat
        'APPROXIMATE footprint (disc of the official area, clipped to the hromada)'
        """
        if self.approximate and "no official area known" in self.provenance:
            clipped = ", clipped to the hromada" if "clipped to its hromada" in self.provenance else ""
            area = f"a default {DEFAULT_APPROX_KM2:g} km²"
            return f"APPROXIMATE footprint (disc of {area} round the point{clipped})"
        if self.approximate:
            clipped = ", clipped to the hromada" if "clipped to its hromada" in self.provenance else ""
            return f"APPROXIMATE footprint (disc of the official area{clipped})"
        if self.upper_bound:
            return "UPPER BOUND footprint (the whole hromada, not the town)"
        return ""

    def buffer(self, km: float) -> Footprint:
        """This footprint grown by ``km`` kilometres (kind becomes e.g. ``city_limits+2km``).

        The buffer is taken in the local equal-area projection. Buffering a buffered
        footprint adds up (``+1km`` then ``.buffer(2)`` gives ``+3km``, grown from the base).

        Examples
        --------
        >>> fp = footprint("Pokrovsk").buffer(2)
        >>> fp.kind
        'city_limits+2km'
        >>> fp.buffer(1).kind
        'city_limits+3km'
        """
        try:
            km = float(km)
        except (TypeError, ValueError):
            raise ArgumentError(f"a buffer must be a distance in km, got {km!r}") from None
        if not (math.isfinite(km) and km >= 0):
            raise ArgumentError(f"a buffer must be a distance >= 0 km, got {km!r}")
        base = self.base or self
        _, _, done = self.kind.partition("+")
        total = km + (parse_buffer_km(done) if done else 0.0)
        geom, km2 = _grown(base.geometry, total)
        kind = f"{base.kind}+{total:g}km"
        return Footprint(
            self.name,
            geom,
            kind,
            km2,
            f"{base.provenance}; buffered by {total:g} km",
            self.aliases,
            self.centre,
            notes=self.notes,
            base=base,
            oblast=self.oblast,
            id=self.id,
            level=self.level,
            parents=self.parents,
        )

    def to_gdf(self):
        """The footprint as a one-row GeoDataFrame (EPSG:4326): ``name``, ``oblast``,
        ``footprint_kind``, ``approximate``, ``upper_bound``, ``area_km2``, ``provenance``, ``geometry``.

        A footprint has no classes, so no ``class`` column (and no embedded style).
        """
        import geopandas as gpd

        return gpd.GeoDataFrame(
            {
                "name": [self.name],
                "oblast": [self.oblast],
                "footprint_kind": [self.kind],
                "approximate": [self.approximate],
                "upper_bound": [self.upper_bound],
                "area_km2": [float(self.area_km2)],
                "provenance": [self.provenance],
            },
            geometry=[self.geometry],
            crs="EPSG:4326",
        )

    def _export_provenance(self) -> dict:
        from ..io.write import export_provenance

        return export_provenance("footprint", footprint=self)

    def to_dict(self) -> dict:
        """JSON-ready dict (geometry as GeoJSON)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "type": "footprint",
            "name": self.name,
            "oblast": self.oblast,
            "footprint_kind": self.kind,
            "rung": self.rung,
            "approximate": self.approximate,
            "upper_bound": self.upper_bound,
            "area_km2": self.area_km2,
            "provenance": self.provenance,
            "aliases": list(self.aliases),
            "centre": self.centre,
            "id": self.id,
            "level": self.level,
            "parents": [{"id": i, "level": lv, "name": n} for i, lv, n in self.parents],
            "geometry": json.loads(shapely.to_geojson(self.geometry)),
        }

    def to_geojson(self) -> str:
        """A GeoJSON Feature of the footprint."""
        d = self.to_dict()
        geom = d.pop("geometry")
        del d["schema_version"], d["type"]
        return json.dumps({"type": "Feature", "properties": d, "geometry": geom}, ensure_ascii=False)

    def plot(self, ax=None, **kwargs):
        """The outline with context, true to scale (:func:`mapdiff.draw.plot.plot_footprint`)."""
        from ..draw.plot import plot_footprint

        return plot_footprint(self, ax=ax, **kwargs)

    def _repr_html_(self) -> str:
        flag = f" <i>({html.escape(self.caveat)})</i>" if self.caveat else ""
        return (
            f"<b>{html.escape(self.name)}</b>: {html.escape(self.kind)}{flag}, "
            f"{self.area_km2:,.1f} km²<br><small>{html.escape(self.provenance)}</small>"
        )


def _is_alias(name) -> bool:
    return isinstance(name, str) and _norm(name) in _gazetteer()[1]


def _norm(name: str) -> str:
    text = unicodedata.normalize("NFKC", str(name)).casefold().strip()
    return text.replace("’", "'").replace("ʼ", "'").replace("`", "'").replace("ё", "е")


@lru_cache(maxsize=256)
def _grown(geom, km: float):
    """``geom`` buffered by ``km`` in its local equal-area projection, and its km² (cached:
    geometries are immutable, and a claim check asks for the same buffers again)."""
    crs = equal_area_crs(geom)
    fwd, inv = cached_transformer(4326, crs), cached_transformer(crs, 4326)
    proj = shapely.transform(geom, lambda c: np.column_stack(fwd.transform(c[:, 0], c[:, 1])))
    grown = shapely.buffer(proj, km * 1000.0, quad_segs=16)
    out = shapely.transform(grown, lambda c: np.column_stack(inv.transform(c[:, 0], c[:, 1])))
    return out, float(area_km2(out))


@lru_cache(maxsize=1024)
def _disc(lon: float, lat: float, km2: float):
    """A geodesic disc of ``km2`` around (lon, lat) (cached: geometries are immutable)."""
    inv = _inverse_transformer(lon, lat)  # the LAEA centred here, back to lon/lat
    r = math.sqrt(km2 * 1e6 / math.pi)
    circle = shapely.Point(0, 0).buffer(r, quad_segs=32)
    # the 128-gon is a little smaller than the circle: scale it to the stated area
    circle = shapely.affinity.scale(circle, *(2 * [math.sqrt(km2 * 1e6 / circle.area)]), origin=(0, 0))
    return shapely.transform(circle, lambda c: np.column_stack(inv.transform(c[:, 0], c[:, 1])))


_OSM_LICENCE = "ODbL 1.0, © OpenStreetMap contributors"


def _export_of(props) -> str:
    """``"as exported in <repo>@<commit> <file>"`` from a shipped feature's ``source``."""
    return props.get("source", "").replace(f"OpenStreetMap {props.get('osm_id')} ", "")


def _osm_polygon(feat) -> tuple:
    built = feat.get("_geometry")  # built with the whole file by _features()
    return built if built is not None else shapely.from_geojson(json.dumps(feat["geometry"]))


def _features(path: Path) -> list:
    """The features of a shipped GeoJSON file, each geometry built with the others (one
    pass of the GEOS reader over the file, no re-encoding per feature) as ``_geometry``."""
    import orjson

    raw = path.read_bytes()
    feats = orjson.loads(raw)["features"]
    geoms = shapely.get_parts(shapely.from_geojson(raw))
    if len(geoms) == len(feats) and all(f.get("geometry") for f in feats):
        for f, g in zip(feats, geoms, strict=True):
            f["_geometry"] = g
    return feats


@lru_cache(maxsize=1)
def _gazetteer() -> tuple[dict, dict]:
    """(entries by canonical name, canonical names by normalised alias).

    An entry is ``{"row", "names", "oblast", "polygons": {kind: (geometry, provenance)}}``.
    """
    geo = data_dir() / "geo"
    with open(geo / "towns.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))

    return _build_gazetteer(
        rows,
        _features(geo / "city_limits.geojson"),
        _features(geo / "osm_town_limits.geojson"),
        _features(geo / "osm_hromadas.geojson"),
    )


def _build_gazetteer(rows, cities, towns, hromadas) -> tuple[dict, dict]:
    entries: dict[str, dict] = {}
    # a name that places in several oblasts share is written "Name, Oblast" for all of them
    seen: dict[str, set] = {}
    for n, o in [(r["name_en"], r["oblast"]) for r in rows] + [
        (f["properties"]["name_en"], f["properties"].get("oblast", "")) for f in cities
    ]:
        seen.setdefault(_norm(n), set()).add(_norm_oblast(o))
    by_name_oblast: dict[tuple[str, str], str] = {}

    def add(name_en: str, oblast: str, names, row=None) -> str:
        key = (_norm(name_en), _norm_oblast(oblast))
        canon = by_name_oblast.get(key)
        if canon is None:
            canon = f"{name_en}, {oblast}" if len(seen.get(key[0], ())) > 1 else name_en
            by_name_oblast[key] = canon
            entries[canon] = {"row": None, "names": [name_en], "oblast": oblast, "polygons": {}}
        e = entries[canon]
        e["names"] += list(names)
        if row is not None:
            e["row"] = row
        return canon

    for row in rows:
        names = [row["name_uk"], row["name_ru"]]
        names += [n for n in row["former_names"].split(";") if n.strip()]
        add(row["name_en"], row["oblast"], names, row)
    for feat in cities:
        p = feat["properties"]
        canon = add(p["name_en"], p.get("oblast", ""), [p.get("name_uk", ""), p.get("name_ru", "")])
        entries[canon]["polygons"][CITY_LIMITS] = (
            _osm_polygon(feat),
            f"OpenStreetMap {p.get('osm_type', 'relation')}/{p.get('osm_id')} (city limits) via "
            f"{p.get('source_repo')} (commit {p.get('source_commit', '')[:10]}); {_OSM_LICENCE}",
        )

    def town_entry(name_en: str, props) -> str | None:
        """The entry of a town an OSM feature names; its oblast is in the export's file name
        (``geodata/donetska_oblast.<raion>...``) when namesakes need telling apart."""
        cands = [c for c, e in entries.items() if e["row"] is not None and e["row"]["name_en"] == name_en]
        if len(cands) > 1:
            slug = props.get("source", "").partition("geodata/")[2].partition("_oblast")[0]
            cands = [c for c in cands if slug.startswith(_norm_oblast(entries[c]["oblast"])[:5])]
        return cands[0] if len(cands) == 1 else None

    for feat in towns:
        p = feat["properties"]
        canon = town_entry(p["name"], p) or add(p["name"], "", [p.get("name_uk", "")])
        entries[canon]["names"].append(p.get("name_uk", ""))
        entries[canon]["polygons"][CITY_LIMITS] = (
            _osm_polygon(feat),
            f"OpenStreetMap {p['osm_id']} (town limits, admin_level {p.get('admin_level')}, "
            f"Wikidata {p.get('wikidata')}) {_export_of(p)}; "
            f"{_OSM_LICENCE}",
        )
    for feat in hromadas:
        p = feat["properties"]
        geom = _osm_polygon(feat)
        for town in p["towns"]:
            canon = town_entry(town, p)
            if canon is None:
                raise FileNotFoundError(f"osm_hromadas.geojson names {town!r}, which towns.csv lacks")
            entries[canon]["polygons"][COMMUNITY] = (
                geom,
                f"OpenStreetMap {p['osm_id']} ({p.get('name_uk')}, hromada, admin_level "
                f"{p.get('admin_level')}, KATOTTH {p.get('katotth')}): an upper bound of the town, "
                f"{_export_of(p)}; {_OSM_LICENCE}",
            )
    aliases: dict[str, list[str]] = {}
    for canon, e in entries.items():
        e["names"] = [n.strip() for n in dict.fromkeys(e["names"]) if n and n.strip()]
        for n in [canon, *e["names"]]:
            lst = aliases.setdefault(_norm(n), [])
            if canon not in lst:
                lst.append(canon)
    return entries, {k: tuple(v) for k, v in aliases.items()}


def _norm_oblast(text: str) -> str:
    t = _norm(text)
    for suffix in (" oblast", " область", " obl.", " obl"):
        t = t.removesuffix(suffix)
    return t.strip()


def place_names() -> list[str]:
    """Canonical names of every place in the gazetteer.

    Examples
    --------
    >>> "Myrnohrad" in place_names()
    True
    """
    return sorted(_gazetteer()[0])


def place_oblast(name: str) -> str:
    """The oblast (region) of a gazetteer place.

    Examples
    --------
    >>> place_oblast("Lyman")
    'Donetsk'
    """
    return _gazetteer()[0][resolve_name(name)]["oblast"]


def _split_oblast(text: str) -> tuple[str, str] | None:
    """``"Lyman, Donetsk"`` or ``"Lyman (Donetsk oblast)"`` → (name, oblast)."""
    t = text.strip()
    if t.endswith(")") and "(" in t:
        name, _, rest = t[:-1].rpartition("(")
        return name.strip(), rest.strip()
    if "," in t:
        name, _, rest = t.rpartition(",")
        return name.strip(), rest.strip()
    return None


def resolve_name(name: str) -> str:
    """The canonical name for a name or alias; :class:`UnknownPlaceError` if unknown or ambiguous.

    A name may carry its oblast: ``"Lyman, Donetsk"`` or ``"Lyman (Donetsk)"``. A name
    that two places share, given without an oblast, is an error listing the candidates.

    Examples
    --------
    >>> resolve_name("Krasnyi Lyman"), resolve_name("Lyman (Donetsk oblast)")
    ('Lyman', 'Lyman')
    """
    entries, aliases = _gazetteer()
    key = _norm(name)
    found = aliases.get(key)
    oblast = None
    if found is None and (split := _split_oblast(str(name))) is not None:
        base, oblast = split
        cands = aliases.get(_norm(base), ())
        found = tuple(c for c in cands if _norm_oblast(entries[c]["oblast"]) == _norm_oblast(oblast))
        if cands and not found:
            have = "; ".join(f"{c} ({entries[c]['oblast']} oblast)" for c in cands)
            raise UnknownPlaceError(
                f"no place {base!r} in {oblast!r} oblast in the gazetteer; it has: {have}"
            )
    if found and len(found) == 1:
        return found[0]
    if found:
        cands = "; ".join(f"'{c}' ({entries[c]['oblast']} oblast)" for c in found)
        raise UnknownPlaceError(f"{name!r} is ambiguous: it names {cands}; add the oblast, e.g. '{found[0]}'")
    from .admin import is_id

    if is_id(name):  # an id of the administrative map: no spelling to suggest (and no cost)
        raise UnknownPlaceError(f"no place {name!r} in the gazetteer")
    close = difflib.get_close_matches(key, list(aliases), n=5, cutoff=0.6)
    suggestions = list(dict.fromkeys(c for k in close for c in aliases[k]))
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
    raise UnknownPlaceError(f"no place {name!r} in the gazetteer{hint} (or pass the path of a polygon file)")


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
        return _labelled(footprint(labelled.group(1), kind=kind))
    if isinstance(name, os.PathLike) or (looks_like_path(name) and not _is_alias(name)):
        fp = footprint_from_file(name)
        if kind:
            base, _, buf = kind.partition("+")
            if base not in ("", USER):
                raise ArgumentError(f"a polygon file gives a 'user' footprint, not {base!r}")
            if buf:
                fp = fp.buffer(parse_buffer_km(buf, kind))
        return fp
    try:
        canon = resolve_name(name)
    except UnknownPlaceError as exc:  # not one of the frontline towns: the administrative map
        legacy = _legacy_by_id().get(str(name).strip())  # a town's own OSM id (a city's limits)
        if legacy is not None:
            from . import admin

            try:
                unit = admin.find(str(name).strip())
            except UnknownPlaceError:  # a city's limits the administrative map lacks
                return footprint(legacy, kind=kind)
        else:
            unit = _admin_unit(name, exc)
            if unit is None:
                raise
            legacy = _legacy_by_id().get(unit.id)
            if legacy is None:
                return _admin_footprint(unit, kind)
        fp = footprint(legacy, kind=kind)  # a frontline town: its ladder, its numbers
        import dataclasses

        # named by an id of the administrative map: that unit's parents, and its id when the
        # town has no OSM limits (a GeoNames point)
        return dataclasses.replace(
            fp,
            id=fp.id or unit.id,
            parents=fp.parents or tuple((p.id, p.level, p.name) for p in unit.parents()),
        )
    entries, _ = _gazetteer()
    e = entries[canon]
    base, _, buf = (kind or "").partition("+")
    kinds = available_kinds(canon)
    base = base or default_kind(canon)
    if base not in kinds:
        raise ArgumentError(f"{canon} has no {base!r} footprint; it has: {', '.join(kinds)}")
    memo_key = (canon, base, buf)
    if base != OSM_BOUNDARY:  # shipped geography: built once per gazetteer (a fetch is on disk)
        hit = _BUILT.get(memo_key)
        if hit is not None and hit[0] is entries:
            return hit[1]
    row = e["row"]
    centre = (float(row["lon"]), float(row["lat"])) if row else None
    if base == OSM_BOUNDARY:
        geom, p = cached_boundary(canon)
        prov = (
            f"OpenStreetMap {p.get('osm_type')} {p.get('osm_id')} ({p.get('display_name')}), "
            f"fetched {p.get('fetched_at')} from {p.get('url')}; {p.get('licence')}; "
            f"cached in {p.get('cache_file')}"
        )
    elif base in (CITY_LIMITS, COMMUNITY):
        geom, prov = e["polygons"][base]
    else:
        geom, prov = _approximate(row, e["polygons"].get(COMMUNITY))
    if centre is None:
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
    if base != OSM_BOUNDARY:
        if len(_BUILT) > 512:
            _BUILT.clear()
        _BUILT[memo_key] = (entries, fp)
    return fp


#: (name, kind, buffer) -> (the gazetteer it was built from, Footprint): footprints are
#: immutable, and a claim asks for the same few several times (its sensitivity table)
_BUILT: dict = {}

#: level of the frontline gazetteer's towns (``towns.csv`` and the shipped city limits)
TOWN = "town"
#: footprint kind of an oblast, raion or hromada: its OSM administrative boundary
ADMIN_BOUNDARY = "admin_boundary"
_LIMITS_RE = re.compile(r"^OpenStreetMap ((?:relation|way)/\d+) \((?:city|town) limits")


@lru_cache(maxsize=1)
def _legacy_ids() -> dict:
    """{canonical town name: OSM id of its shipped limits} (read from the provenance)."""
    out = {}
    for canon, e in _gazetteer()[0].items():
        limits = e["polygons"].get(CITY_LIMITS)
        m = _LIMITS_RE.match(limits[1]) if limits else None
        if m:
            out[canon] = m.group(1)
    return out


@lru_cache(maxsize=1)
def _legacy_by_id() -> dict:
    """{id: canonical town name}: an id of the administrative map that is a frontline town
    is that town (its footprint ladder and numbers): its OSM limits' relation, or the
    GeoNames point of the same name within about 5 km of its official centre."""
    from . import admin

    out = {v: k for k, v in _legacy_ids().items()}
    points: dict[str, list] = {}
    for u in admin.points():
        for n in u.names:
            points.setdefault(_norm(n), []).append(u)
    for canon, e in _gazetteer()[0].items():
        row = e["row"]
        if row is None:
            continue
        lon, lat = float(row["lon"]), float(row["lat"])
        near = {
            u.id: u
            for n in [canon, *e["names"]]
            for u in points.get(_norm(n), ())
            if abs(u.point[0] - lon) < 0.07 and abs(u.point[1] - lat) < 0.05
        }
        for uid in near:
            out.setdefault(uid, canon)
    return out


def _admin_unit(name, legacy_error):
    """The administrative unit ``name`` names, None when it names none (then the frontline
    gazetteer's error stands), or UnknownPlaceError when it names several or an unknown id."""
    from . import admin

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


def _admin_footprint(unit, kind: str | None = None) -> Footprint:
    """The footprint of a unit of the administrative map (oblast, raion, hromada, settlement)."""
    from . import admin

    base, _, buf = (kind or "").partition("+")
    kinds = admin_kinds(unit)
    base = base or kinds[0]
    if base not in kinds:
        raise ArgumentError(f"{unit.describe()} has no {base!r} footprint; it has: {', '.join(kinds)}")
    memo_key = (unit.id, base, buf)
    hit = _BUILT.get(memo_key)
    if hit is not None and hit[0] is admin:
        return hit[1]
    if base == APPROXIMATE:
        return _point_footprint(unit, buf, kind, memo_key)
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
    parents = tuple((p.id, p.level, p.name) for p in unit.parents())
    fp = Footprint(
        unit.name,
        geom,
        base,
        float(area_km2(geom)),
        prov,
        tuple(n for n in unit.names if n != unit.name),
        (c.x, c.y),
        oblast=unit.oblast.removesuffix(" Oblast"),
        id=unit.id,
        level=unit.level,
        parents=parents,
    )
    if buf:
        fp = fp.buffer(parse_buffer_km(buf, kind))
    if len(_BUILT) > 512:
        _BUILT.clear()
    _BUILT[memo_key] = (admin, fp)
    return fp


def _point_footprint(unit, buf, kind, memo_key) -> Footprint:
    """A GeoNames point's approximate footprint: a geodesic disc of :data:`DEFAULT_APPROX_KM2`
    (no official area is known) around the point, clipped to its hromada."""
    from . import admin

    lon, lat = unit.point
    row = {"lon": lon, "lat": lat, "area_km2": "", "source": f"GeoNames {unit.id} ({unit.source})"}
    community = None
    if unit.hromada_id:
        h = admin.find(unit.hromada_id)
        community = (admin.geometry(h), f"OpenStreetMap {h.id} ({h.name})")
    geom, prov = _approximate(row, community)
    fp = Footprint(
        unit.name,
        geom,
        APPROXIMATE,
        float(area_km2(geom)),
        prov,
        tuple(n for n in unit.names if n != unit.name),
        (lon, lat),
        oblast=unit.oblast.removesuffix(" Oblast"),
        id=unit.id,
        level=unit.level,
        parents=tuple((p.id, p.level, p.name) for p in unit.parents()),
    )
    if buf:
        fp = fp.buffer(parse_buffer_km(buf, kind))
    if len(_BUILT) > 512:
        _BUILT.clear()
    _BUILT[memo_key] = (admin, fp)
    return fp


def _approximate(row, community):
    """The disc of the official area around the official centre, clipped to the hromada."""
    lon, lat = float(row["lon"]), float(row["lat"])
    stated = row["area_km2"].strip()
    km2 = float(stated) if stated else DEFAULT_APPROX_KM2
    geom = _disc(lon, lat, km2)
    prov = (
        f"approximate: geodesic disc of {km2:g} km² "
        f"({'official area' if stated else 'no official area known; default'}) around the "
        f"official centre {lat:.5f} N, {lon:.5f} E; facts from {row['source']}"
    )
    if community is not None:
        hromada, hprov = community
        clipped = shapely.intersection(geom, hromada)
        lost = 1.0 - float(area_km2(clipped)) / float(area_km2(geom))
        geom = _polygonal(clipped)
        prov += f"; clipped to its hromada ({hprov.split(' (')[0]}; {lost:.1%} of the disc lay outside)"
    return geom, prov


def _polygonal(geom):
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


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
    entries, _ = _gazetteer()
    try:
        canon = resolve_name(name)
    except UnknownPlaceError as exc:
        canon = _legacy_by_id().get(str(name).strip())  # a town's own OSM id (a city's limits)
        if canon is None:
            unit = _admin_unit(name, exc)
            if unit is None:
                raise
            canon = _legacy_by_id().get(unit.id)
            if canon is None:
                return admin_kinds(unit)
    e = entries[canon]
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
        raise ArgumentError(f"bad footprint kind {kind or text!r}; write e.g. 'city_limits+2km'") from None
    if not (math.isfinite(km) and km >= 0):
        raise ArgumentError(f"bad buffer in footprint kind {kind or text!r}: give a distance >= 0 km")
    return km


_POLYGON_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip", ".fgb", ".kml", ".kmz", ".parquet")


def looks_like_path(text: str) -> bool:
    """True when ``text`` names a polygon file rather than a place (a path separator or file suffix)."""
    t = str(text)
    if _PLACE_ID_RE.fullmatch(t.strip()) or _LABELLED_RE.match(t):  # a place's id, not a path
        return False
    return "/" in t or "\\" in t or t.lower().endswith(_POLYGON_SUFFIXES)


_PLACE_ID_RE = re.compile(r"(relation|way|node)/\d+|oblast/[a-z_]+|geonames/\d+")
_LABELLED_RE = re.compile(r"^((?:relation|way|node)/\d+|oblast/[a-z_]+|geonames/\d+) \S.*$")


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
        raise ArgumentError(f"{name}: expected a shapely polygon in lon/lat, got {type(geom).__name__}")
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    if geom.geom_type == "GeometryCollection":
        parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
        geom = shapely.union_all(parts) if parts else shapely.Polygon()
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise ArgumentError(f"{name}: a footprint must be a polygon with area, got {geom.geom_type}")
    xmin, ymin, xmax, ymax = geom.bounds
    if xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90:
        raise CRSError(
            f"{name}: coordinates are not lon/lat degrees (bounds {geom.bounds}); reproject to EPSG:4326"
        )
    c = geom.centroid
    return Footprint(name, geom, USER, float(area_km2(geom)), provenance or "user polygon", (), (c.x, c.y))


def footprint_from_file(path, *, name: str | None = None) -> Footprint:
    """A footprint of kind ``user`` from a polygon file (GeoJSON, GeoPackage, Shapefile, …).

    All polygons in the file are unioned; the file is reprojected to lon/lat when it
    states another CRS.

    Parameters
    ----------
    path : str or Path
    name : str, optional
        Name of the place. Default: the features' ``name`` property when they share one
        value, else ``"user polygon"`` (never the file name: a file called
        ``pokrovsk.geojson`` may hold anything). The file is named in ``provenance``.

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
    if not p.is_file():
        raise FormatError(
            f"polygon file {str(p)!r} does not exist (or is not a file); "
            "pass a gazetteer name or the path of a polygon file"
        )
    from ..errors import MapdiffError
    from ..io.gate import read_named_geometries

    try:  # the one input gate: local regular files, GDAL allow-listed, limits
        geoms, names = read_named_geometries(p)
        geoms = np.asarray(geoms, dtype=object)
    except MapdiffError as exc:
        raise FormatError(f"cannot read polygon file {str(p)!r}: {exc}") from None
    from ..model import polygonal_parts

    geoms = geoms[~shapely.is_missing(geoms)]
    # every polygon, at any depth of a GeometryCollection (the second one is half the place)
    geoms = polygonal_parts(geoms) if geoms.size else geoms
    geoms = geoms[~shapely.is_empty(geoms)] if geoms.size else geoms
    if not geoms.size:
        raise FormatError(f"polygon file {str(p)!r} holds no polygon")
    geoms = shapely.make_valid(geoms)
    if not name:
        from ..labels import clean_text

        # a name is one line of plain text: a newline in it would forge an output line
        named = {clean_text(v)[:200] for v in names if v is not None and clean_text(v)}
        name = named.pop() if len(named) == 1 else "user polygon"
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
    from . import admin

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


def _labelled(fp: Footprint) -> Footprint:
    """The footprint named ``"<id> <name>"`` (a set's names repeat: the id tells them apart)."""
    import dataclasses

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
    folder (:mod:`mapdiff.cache`, ``.mdf``), keyed by the words, mapdiff's version and the
    shipped geography files: the next run reads it instead of parsing and measuring every
    outline again. ``cache=False`` (or ``MAPDIFF_NO_CACHE=1``) neither reads nor keeps it.

    Examples
    --------
    >>> [f.name for f in place_set("every raion of Donetsk Oblast")][:2]
    ['relation/11958110 Mariupol Raion', 'relation/11970387 Bakhmut Raion']
    >>> len(place_set("oblasts"))
    25
    """
    from . import admin

    if isinstance(spec, str | os.PathLike) and not (isinstance(spec, str) and _set_level(spec)):
        p = Path(spec)
        if p.is_file() and p.suffix.lower() in (".csv", ".txt", ".tsv"):
            return [_labelled(as_footprint(x)) for x in _places_in_file(p)]
        if isinstance(spec, str) and not looks_like_path(spec):
            raise UnknownPlaceError(
                f"{spec!r} is not a set of places; give a level (oblasts, raions, hromadas, settlements), "
                "'every hromada of <place>', a list, or a file of places"
            )
        return [as_footprint(spec)]
    if isinstance(spec, str):
        level, parent = _set_level(spec)
        keep = cache and not os.environ.get("MAPDIFF_NO_CACHE")
        if keep:  # 1,466 hromadas: a second of outlines parsed and measured, or a file read
            from .. import cache as _cache

            kept = _cache.load_places(spec)
            if kept is not None:
                try:
                    return [Footprint(geometry=g, **fields) for fields, g in kept]
                except TypeError:  # fields of another Footprint: made again below
                    pass
        units = admin.units(level, parent=parent)
        out = [_labelled(footprint(u.id)) for u in units]
        if level == "settlement":
            out += [_labelled(footprint(u.id)) for u in admin.points(parent=parent)]
        if not out:
            raise UnknownPlaceError(f"no {level} in {spec!r}")
        if keep:
            _cache.store_places(spec, out)
        return out
    try:
        import geopandas as gpd

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
    out = [_labelled(as_footprint(x)) for x in spec]
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
