"""The gazetteer's tables and names: which places it holds and what each is called.

:func:`tables` reads ``data/geo/`` once (``towns.csv``, ``city_limits.geojson``,
``osm_town_limits.geojson``, ``osm_hromadas.geojson``): the entry of each place under its
canonical name, and the canonical names of every normalised alias. :func:`resolve_name`
turns any name, alias or ``"Name, Oblast"`` into the canonical name; the footprints
(:mod:`mapdiff.places.footprints`) and the index of named points
(:mod:`mapdiff.places.gazetteer`) read these tables.
"""

from __future__ import annotations

import csv
import difflib
import json
import unicodedata
from pathlib import Path

import orjson
import shapely

from .. import config
from .._resources import data_dir
from ..errors import UnknownPlaceError
from . import admin
from .shapes import CITY_LIMITS, COMMUNITY

__all__ = ["place_names", "place_oblast", "resolve_name", "tables"]

_OSM_LICENCE = "ODbL 1.0, © OpenStreetMap contributors"


def is_alias(name) -> bool:
    """True when ``name`` is a name or alias of a gazetteer place (as written, no oblast)."""
    return isinstance(name, str) and norm(name) in tables()[1]


def norm(name: str) -> str:
    """A name as the tables key it: NFKC, case-folded, one apostrophe, ``ё`` as ``е``."""
    text = unicodedata.normalize("NFKC", str(name)).casefold().strip()
    return text.replace("’", "'").replace("ʼ", "'").replace("`", "'").replace("ё", "е")


def _export_of(props) -> str:
    """``"as exported in <repo>@<commit> <file>"`` from a shipped feature's ``source``."""
    return props.get("source", "").replace(f"OpenStreetMap {props.get('osm_id')} ", "")


def _osm_polygon(feat) -> tuple:
    built = feat.get("_geometry")  # built with the whole file by _features()
    return built if built is not None else shapely.from_geojson(json.dumps(feat["geometry"]))


def _features(path: Path) -> list:
    """The features of a shipped GeoJSON file, each geometry built with the others (one
    pass of the GEOS reader over the file, no re-encoding per feature) as ``_geometry``."""
    raw = path.read_bytes()
    feats = orjson.loads(raw)["features"]
    geoms = shapely.get_parts(shapely.from_geojson(raw))
    if len(geoms) == len(feats) and all(f.get("geometry") for f in feats):
        for f, g in zip(feats, geoms, strict=True):
            f["_geometry"] = g
    return feats


@config.cached(maxsize=1)
def tables() -> tuple[dict, dict]:
    """(entries by canonical name, canonical names by normalised alias).

    An entry is ``{"row", "names", "oblast", "polygons": {kind: (geometry, provenance)}, "city"}``
    (``city``: its limits ship in ``city_limits.geojson``).
    """
    geo = data_dir() / "geo"
    with open(geo / "towns.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))

    return build_tables(
        rows,
        _features(geo / "city_limits.geojson"),
        _features(geo / "osm_town_limits.geojson"),
        _features(geo / "osm_hromadas.geojson"),
    )


def build_tables(rows, cities, towns, hromadas) -> tuple[dict, dict]:
    """:func:`tables` from the rows of ``towns.csv`` and the features of the shipped files."""
    entries: dict[str, dict] = {}
    # a name that places in several oblasts share is written "Name, Oblast" for all of them
    seen: dict[str, set] = {}
    for n, o in [(r["name_en"], r["oblast"]) for r in rows] + [
        (f["properties"]["name_en"], f["properties"].get("oblast", "")) for f in cities
    ]:
        seen.setdefault(norm(n), set()).add(norm_oblast(o))
    by_name_oblast: dict[tuple[str, str], str] = {}

    def add(name_en: str, oblast: str, names, row=None) -> str:
        key = (norm(name_en), norm_oblast(oblast))
        canon = by_name_oblast.get(key)
        if canon is None:
            canon = f"{name_en}, {oblast}" if len(seen.get(key[0], ())) > 1 else name_en
            by_name_oblast[key] = canon
            entries[canon] = {
                "row": None,
                "names": [name_en],
                "oblast": oblast,
                "polygons": {},
                "city": False,
            }
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
        entries[canon]["city"] = True
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
            cands = [c for c in cands if slug.startswith(norm_oblast(entries[c]["oblast"])[:5])]
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
            lst = aliases.setdefault(norm(n), [])
            if canon not in lst:
                lst.append(canon)
    return entries, {k: tuple(v) for k, v in aliases.items()}


def norm_oblast(text: str) -> str:
    t = norm(text)
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
    return sorted(tables()[0])


def place_oblast(name: str) -> str:
    """The oblast (region) of a gazetteer place.

    Examples
    --------
    >>> place_oblast("Lyman")
    'Donetsk'
    """
    return tables()[0][resolve_name(name)]["oblast"]


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
    entries, aliases = tables()
    key = norm(name)
    found = aliases.get(key)
    oblast = None
    if found is None and (split := _split_oblast(str(name))) is not None:
        base, oblast = split
        cands = aliases.get(norm(base), ())
        found = tuple(c for c in cands if norm_oblast(entries[c]["oblast"]) == norm_oblast(oblast))
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
    if admin.is_id(name):  # an id of the administrative map: no spelling to suggest (and no cost)
        raise UnknownPlaceError(f"no place {name!r} in the gazetteer")
    close = difflib.get_close_matches(key, list(aliases), n=5, cutoff=0.6)
    suggestions = list(dict.fromkeys(c for k in close for c in aliases[k]))
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
    raise UnknownPlaceError(f"no place {name!r} in the gazetteer{hint} (or pass the path of a polygon file)")
