"""The four new sources: DeepState's API (English names and raw trilingual form),
Creamy Caprice's KML, Project Owl's JSON. Synthetic fixtures built here, and every real
file of each folder checked against geodesic areas computed here from the raw file."""

from __future__ import annotations

import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pyproj
import pytest
import shapely
from conftest import GREY, RU, SHARED_DATA, UA
from shapely.geometry import shape

import mapdiff
from mapdiff.errors import ProfileError
from mapdiff.io.profiles import get_profile, profile_from_dict
from mapdiff.places.regions import drawn_extent, region

GEOD = pyproj.Geod(ellps="WGS84")
NB = "\u00a0"
ADVANCED_RU = mapdiff.Label("advanced", "RU")


def geod_km2(geom) -> float:
    """Geodesic area computed here, independently of mapdiff.measure (edges are straight in
    lon/lat, so long ones are densified to 0.01° before pyproj.Geod measures them)."""
    if geom.is_empty:
        return 0.0
    geom = shapely.segmentize(shapely.orient_polygons(geom), 0.01)
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6


def polygons(geoms):
    """Polygonal parts of the valid union of ``geoms`` (for the independent reference)."""
    parts = []
    for g in geoms:
        g = shapely.make_valid(shapely.force_2d(g))
        parts += [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def feature(geom, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)}


def as_bytes(obj, name: str) -> io.BytesIO:
    buf = io.BytesIO(json.dumps(obj, ensure_ascii=False).encode())
    buf.name = name
    return buf


# ---------------------------------------------------------------- synthetic: raw API
KARELIA = shapely.box(30.5, 61.5, 34.0, 64.0)
# a strip over Transnistria that grazes Ukraine (most of it lies in Moldova)
TRANSNISTRIA = shapely.box(28.9, 46.6, 29.45, 47.9)
HELD = shapely.box(37.00, 48.0, 37.10, 48.3)
GREY_STRIP = shapely.box(37.10, 48.0, 37.13, 48.3)
LIBERATED = shapely.box(36.50, 49.5, 36.60, 49.6)
CRIMEA = shapely.box(34.00, 45.0, 34.50, 45.3)


def raw_name(uk: str, en: str, key: str, tail: str = "\n") -> str:
    return f"{uk}{NB}///{NB}{en}{NB}/// geoJSON.{key}{tail}"


def raw_api(z: bool = True) -> dict:
    """DeepState's ``/api/history/last`` form: trilingual names, styles, 3-D, points, satire."""

    def z3(g):
        return shapely.force_3d(g, 0.0) if z else g

    style = {"styleUrl": "#poly-A52714-1000-101", "fill": "#a52714", "fill-opacity": 0.3, "stroke": "#a52714"}
    features = [
        feature(z3(HELD), name=raw_name("Окупована", "Occupied", "status.occupied"), **style),
        feature(
            z3(GREY_STRIP), name=raw_name("Статус невідомий", "Unknown status", "status.unknown", "\n\n")
        ),
        feature(LIBERATED, name=raw_name("Звільнено", "Liberated 25.03", "status.dismissed_at {{at:25.03}}")),
        feature(CRIMEA, name=raw_name("Окупований Крим", "Occupied Crimea", "territories.crimea", "")),
        feature(z3(KARELIA), name=raw_name("Карелія", "Karelia", "territories.karelia")),
        feature(TRANSNISTRIA, name=raw_name("Придністров'я", "Transnistria", "territories.transnistria")),
        feature(shapely.Point(37.2, 48.2, 0.0), name="geoJSON.status.attack_direction"),
        feature(shapely.Point(37.3, 48.3, 0.0), name="geoJSON.units.brigade.1-motorized-rifle"),
        feature(shapely.Point(37.6, 55.7), name=raw_name("Москва", "Moscow", "territories.moscow")),
    ]
    return {
        "id": 4321,
        "datetime": "2025-11-27T03:00:00.000Z",
        "map": {"type": "FeatureCollection", "features": features},
    }


def test_raw_api_form_classified_on_its_key():
    ukraine = region("ukraine")
    assert 0 < shapely.intersection(TRANSNISTRIA, ukraine).area / TRANSNISTRIA.area < 0.5
    m = mapdiff.read_map(as_bytes(raw_api(), "snapshot.geojson"))
    assert m.source == "deepstate_raw" and m.as_of == dt.date(2025, 11, 27)
    assert set(m.labels) == {RU, GREY, UA} and m.has_grey and m.grey_note is None
    ru = shapely.intersection(shapely.union(HELD, CRIMEA), ukraine)
    assert m.area(RU) == pytest.approx(geod_km2(ru), rel=1e-3)
    assert m.area(GREY) == pytest.approx(geod_km2(GREY_STRIP), rel=1e-3)
    rep = {r.kind: r for r in m.report.repairs}
    # the satire abroad: dropped by rule, counted, measured, named (the Transnistria strip
    # grazes Ukraine, yet nothing of it counts)
    satire = rep["dropped_by_profile"]
    assert satire.count == 2
    assert satire.area_km2 == pytest.approx(geod_km2(KARELIA) + geod_km2(TRANSNISTRIA), rel=1e-2)
    assert "territories.karelia" in satire.detail and "territories.transnistria" in satire.detail
    assert rep["z_dropped"].count == 2  # the labelled 3-D polygons (Karelia is dropped before)
    assert rep["unlabelled_dropped"].count == 3  # arrow, unit marker, the Moscow point
    assert m.report.n_features == 9 and m.report.n_used == 4


def test_raw_api_collection_alone_dates_from_a_unix_file_name():
    obj = raw_api(z=False)["map"]  # /api/history/{id}/geojson: the collection itself
    m = mapdiff.read_map(as_bytes(obj, "1764212400.geojson"))
    assert m.source == "deepstate_raw" and m.as_of == dt.date(2025, 11, 27)
    assert "z_dropped" not in {r.kind for r in m.report.repairs}


def test_api_polygons_by_english_name():
    names = [
        ("Occupied", HELD),
        ("Unknown status", GREY_STRIP),
        ("Liberated 31.03 - 02.04", LIBERATED),
        ("Occupied Crimea", CRIMEA),
        ("The temporarily occupied territory of Karelia.", KARELIA),
        ("Transnistria", TRANSNISTRIA),
    ]
    obj = {
        "type": "FeatureCollection",
        "name": "deepstatemap_data_20251127_polygons",
        "features": [feature(g, name=n) for n, g in names],
    }
    m = mapdiff.read_map(as_bytes(obj, "deepstatemap_data_20251127_polygons.geojson"))
    assert m.source == "deepstate_api" and m.as_of == dt.date(2025, 11, 27)
    assert m.classes == ("controlled", "contested", "retaken", "pre2022")
    assert m.area(GREY) == pytest.approx(geod_km2(GREY_STRIP), rel=1e-3)
    assert m.area(UA, aoi=LIBERATED) == pytest.approx(geod_km2(LIBERATED), rel=1e-3)
    rep = {r.kind: r for r in m.report.repairs}
    assert rep["dropped_by_profile"].count == 2 and "Karelia" in rep["dropped_by_profile"].detail


# ---------------------------------------------------------------- synthetic: Owl
def test_owl_rings_are_lat_lon_and_unioned():
    a = shapely.box(37.0, 48.0, 37.2, 48.2)
    b = shapely.box(37.1, 48.1, 37.3, 48.3)  # overlaps a: counted once
    russia = shapely.box(40.5, 50.0, 40.6, 50.1)  # Ukrainian-held land inside Russia

    def ring(g):
        return [[y, x] for x, y in g.exterior.coords]

    obj = {
        "areas": [ring(a), ring(b)],
        "areas_ua": [ring(russia)],
        "frontline": [[[48.0, 37.0], [48.3, 37.3]]],
        "geos": {"ru": [{"c": [37.1, 48.1], "d": "x"}], "ua": []},
        "units": {},
    }
    m = mapdiff.read_map(as_bytes(obj, "20251127.json"))
    assert m.source == "owl" and m.as_of == dt.date(2025, 11, 27)
    assert not m.has_grey and "no grey-zone class" in m.grey_note
    assert m.area(RU) == pytest.approx(geod_km2(shapely.union(a, b)), rel=1e-3)
    rep = {r.kind: r for r in m.report.repairs}
    assert rep["outside_coverage_dropped"].count == 1  # areas_ua lies in Russia
    line = mapdiff.io.owl.front_line(obj)
    assert line.geom_type == "MultiLineString" and line.bounds == (37.0, 48.0, 37.3, 48.3)


# ---------------------------------------------------------------- synthetic: Creamy Caprice
KML = """<?xml version='1.0' encoding='UTF-8' ?>
<kml><Document><name>1</name>
<Style id="ru"><PolyStyle><color>230000ff</color></PolyStyle></Style>
<Style id="ua"><PolyStyle><color>23ff0000</color></PolyStyle></Style>
<Folder><name>Polygon</name>
<Placemark><name> </name><styleUrl>#ru</styleUrl><Polygon><outerBoundaryIs><LinearRing>
<coordinates>{ru}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
<Placemark><name> </name><styleUrl>#ua</styleUrl><Polygon><outerBoundaryIs><LinearRing>
<coordinates>{ua}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
</Folder></Document></kml>"""


def kml_coords(g) -> str:
    return " ".join(f"{x},{y},0.0" for x, y in g.exterior.coords)


def test_creamy_caprice_keeps_only_ukraine(tmp_path):
    ru = shapely.box(37.5, 47.5, 41.0, 49.0)  # reaches far into Russia
    ua = shapely.box(36.0, 47.5, 37.5, 49.0)
    path = tmp_path / "Control_25_11_26.kml"
    path.write_text(KML.format(ru=kml_coords(ru), ua=kml_coords(ua)))
    m = mapdiff.read_map(path)
    assert m.source == "creamy_caprice" and m.as_of == dt.date(2025, 11, 26)
    assert not m.has_grey
    ukraine = drawn_extent("ukraine")  # drawn land counts on land and coastal water
    assert m.area(RU) == pytest.approx(geod_km2(shapely.intersection(ru, ukraine)), rel=1e-3)
    clipped = {r.kind: r for r in m.report.repairs}["outside_coverage_clipped"]
    assert clipped.area_km2 > 0


def test_creamy_caprice_advances_detected_by_file_name(tmp_path):
    adv = shapely.box(37.1, 48.2, 37.12, 48.22)
    path = tmp_path / "ProgressRuAF_25_11_26.kml"
    path.write_text(
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name> </name>'
        f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{kml_coords(adv)}</coordinates>"
        "</LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>"
    )
    m = mapdiff.read_map(path)
    assert m.source == "creamy_caprice_advances_ru" and m.as_of == dt.date(2025, 11, 26)
    assert m.labels == (ADVANCED_RU,) and m.background is None
    assert m.area(ADVANCED_RU) == pytest.approx(geod_km2(adv), rel=1e-3)


# ---------------------------------------------------------------- the profile language
def test_profile_language_extensions():
    p = profile_from_dict(
        {
            "name": "t",
            "classes": ["controlled"],
            "detect": [{"file_name": "^mine_"}],
            "as_of": {"file_name": r"(\d{2}-\d{2}-\d{2})", "format": "%d-%m-%y"},
            "rules": [
                {"property": "kind", "values": ["joke"], "label": "drop", "report": "jokes"},
                {"every": True, "label": "controlled:RU"},
            ],
        }
    )
    import pandas as pd

    table = pd.DataFrame({"kind": ["joke", "x", None]})
    labels, reported = p.label_and_reports(table)
    assert labels == [None, RU, RU] and reported == {"jokes": [0]}
    assert p.matches(table, file_name="mine_1.kml") and not p.matches(table, file_name="yours.kml")
    assert p.find_as_of(table, file_name="mine_27-11-25.kml") == dt.date(2025, 11, 27)
    assert p.has_grey is False and get_profile("deepstate_api").has_grey is True
    with pytest.raises(ProfileError, match="unknown class"):
        profile_from_dict(
            {"name": "t", "classes": ["greyish"], "rules": [{"every": True, "label": "contested"}]}
        )
    with pytest.raises(ProfileError, match="report"):
        profile_from_dict({"name": "t", "rules": [{"every": True, "label": "contested", "report": "x"}]})


# ---------------------------------------------------------------- every real file
FOLDERS = {
    "deepstate_api": ("deepstate_api", "*_polygons.geojson"),
    "deepstate_raw": ("deepstate_raw", "*.geojson"),
    "creamy_caprice": ("creamy_caprice/ControlZones", "*.kml"),
    "owl": ("owl", "*.json"),
}
GREY_KEYS = ("status.unknown",)
RU_KEYS = ("status.occupied", "territories.ordlo", "territories.crimea", "territories.tuzla")
RU_NAMES = {"Occupied", "CADR and CALR", "Occupied Crimea", "Occupied Tuzla Island"}


RU_FILLS, GREY_FILLS = {"#a52714", "#000000"}, {"#bcaaa4", "#bdbdbd"}


def raw_class(props: dict) -> str | None:
    """DeepState's raw API feature → "ru" / "grey" / None, written out by hand: the key
    (2024 on), else the English part of the name (2022-2023), else the fill (April 2022)."""
    name = props.get("name") or ""
    if "geoJSON." in name:
        key = name.split("geoJSON.")[-1].strip()
        return "ru" if key in RU_KEYS else "grey" if key in GREY_KEYS else None
    parts = [p.strip() for p in name.split("///")]
    if len(parts) > 1:
        en = parts[-1]
        if en in RU_NAMES:
            return "ru"
        if en in ("Unknown status", "Contested") or en.endswith(" Contested"):
            return "grey"
        return None
    if "Придністров" in name:
        return None
    fill = props.get("fill")
    return "ru" if fill in RU_FILLS else "grey" if fill in GREY_FILLS else None


def reference(source: str, path: Path) -> tuple:
    """(Russian-held, grey) polygons straight from the raw file, with json/ElementTree + shapely."""
    if source == "creamy_caprice":
        data = path.read_bytes()  # one file has the tail of an older one after </kml>
        root = ET.fromstring(data[: data.index(b"</kml>") + 6])
        ru = []
        for pm in root.iter("Placemark"):
            if pm.findtext("styleUrl") == "#ru":
                for c in pm.iter("coordinates"):
                    pts = [tuple(map(float, t.split(",")[:2])) for t in c.text.split()]
                    ru.append(shapely.Polygon(pts))
        return polygons(ru), shapely.Polygon()
    obj = json.loads(path.read_bytes())
    if source == "owl":
        rings = [shapely.Polygon([(lon, lat) for lat, lon, *_ in r]) for r in obj["areas"] if len(r) >= 3]
        return polygons(rings), shapely.Polygon()
    feats = obj["features"] if "features" in obj else obj["map"]["features"]
    ru, grey = [], []
    for f in feats:
        name = (f.get("properties") or {}).get("name") or ""
        if source == "deepstate_raw":
            kind = raw_class(f.get("properties") or {})
            ru_hit, grey_hit = kind == "ru", kind == "grey"
        else:
            ru_hit, grey_hit = name in RU_NAMES, name == "Unknown status"
        if ru_hit:
            ru.append(shape(f["geometry"]))
        elif grey_hit:
            grey.append(shape(f["geometry"]))
    ru_u = polygons(ru)
    return ru_u, shapely.difference(polygons(grey), ru_u)


def real_files(source: str) -> list[Path]:
    folder, glob = FOLDERS[source]
    return sorted((SHARED_DATA / folder).glob(glob))


@pytest.mark.realdata
@pytest.mark.slow
@pytest.mark.parametrize("source", list(FOLDERS))
def test_every_real_file_reads_and_measures_like_geod(source):
    files = real_files(source)
    if not files:
        pytest.skip(f"real data not available: {SHARED_DATA / FOLDERS[source][0]} is absent")
    ukraine = drawn_extent("ukraine")  # drawn land counts on land and coastal water
    for path in files:
        m = mapdiff.read_map(path)
        assert m.source == source, path.name
        assert m.as_of is not None, path.name
        d = m.to_dict()  # what `mapdiff info --json` prints
        assert d["has_grey"] == (source.startswith("deepstate"))
        ru, grey = reference(source, path)
        if ru.is_empty and source == "owl":  # a failed conversion day (20251230.json)
            assert m.coverage.is_empty and "empty_release" in {r["repair"] for r in d["report"]["repairs"]}
            assert m.areas(aoi=shapely.box(37, 48, 37.2, 48.2)).keys() == {mapdiff.NOT_COVERED}
            continue
        want_ru = geod_km2(shapely.intersection(ru, ukraine))
        assert m.area(RU) == pytest.approx(want_ru, rel=1e-3), path.name
        if source.startswith("deepstate"):
            want_grey = geod_km2(shapely.intersection(grey, ukraine))
            got = m.area(GREY) if GREY in m.labels else 0.0
            assert got == pytest.approx(want_grey, rel=1e-3, abs=1e-3), path.name


@pytest.mark.realdata
def test_satire_abroad_reported_on_a_real_api_file():
    path = SHARED_DATA / "deepstate_api" / "deepstatemap_data_20251127_polygons.geojson"
    if not path.exists():
        pytest.skip(f"real data not available: {path} is absent")
    m = mapdiff.read_map(path)
    satire = {r.kind: r for r in m.report.repairs}["dropped_by_profile"]
    assert satire.count == 12 and "Karelia" in satire.detail and "East Prussia" in satire.detail
