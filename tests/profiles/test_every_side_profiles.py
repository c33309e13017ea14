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
from mapdiff.places.regions import drawn_extent, region
from mapdiff.profiles import get_profile, profile_from_dict

GEOD = pyproj.Geod(ellps="WGS84")
NB = "\u00a0"
ADVANCED_RU = mapdiff.labels.Label("advanced", "RU")


def geod_km2(geom) -> float:
    """Geodesic area computed here, independently of mapdiff.model.measure (edges are straight in
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
    ru = shapely.intersection(
        shapely.union(HELD, CRIMEA), drawn_extent("ukraine")
    )  # the boundary the code clips to
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


def every_real_file() -> list:
    """(source, path) of every real file, one test each (a failure names its file, and the
    others still run); a source whose folder is absent or empty is one test that skips."""
    params = []
    for source in FOLDERS:
        files = real_files(source)
        params += [pytest.param(source, p, id=f"{source}-{p.name}") for p in files]
        if not files:
            params.append(pytest.param(source, None, id=f"{source}-absent"))
    return params


@pytest.mark.realdata
@pytest.mark.slow
@pytest.mark.parametrize(("source", "path"), every_real_file())
def test_every_real_file_reads_and_measures_like_geod(source, path):
    if path is None:
        pytest.skip(f"real data not available: {SHARED_DATA / FOLDERS[source][0]} is absent")
    ukraine = drawn_extent("ukraine")  # drawn land counts on land and coastal water
    m = mapdiff.read_map(path)
    assert m.source == source, path.name
    assert m.as_of is not None, path.name
    d = m.to_dict()  # what `mapdiff info --json` prints
    assert d["has_grey"] == (source.startswith("deepstate"))
    ru, grey = reference(source, path)
    if ru.is_empty and source == "owl":  # a failed conversion day (20251230.json)
        assert m.coverage.is_empty and "empty_release" in {r["repair"] for r in d["report"]["repairs"]}
        assert m.areas(aoi=shapely.box(37, 48, 37.2, 48.2)).keys() == {mapdiff.labels.NOT_COVERED}
        return
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


# ---------------------------------------------------------------- one claim, every map
def _square_map(source, as_of, ru_east, grey_east=None, classes_grey=True):
    cov = shapely.box(37.0, 48.0, 37.2, 48.2)
    feats = [(RU, shapely.box(37.0, 48.0, ru_east, 48.2))]
    if grey_east is not None:
        feats.append((GREY, shapely.box(ru_east, 48.0, grey_east, 48.2)))
    return mapdiff.normalise(
        feats, coverage=cov, background=UA, source=source, as_of=dt.date.fromisoformat(as_of)
    )


def test_check_claim_all_picks_the_release_on_or_before_and_states_the_gap():
    square = shapely.box(37.0, 48.0, 37.2, 48.2)
    maps = {
        "a": [_square_map("a", "2025-11-20", 37.05, 37.1), _square_map("a", "2025-11-26", 37.1, 37.15)],
        "b": [_square_map("b", "2025-11-27", 37.16), _square_map("b", "2025-11-28", 37.2)],
        "late": [_square_map("late", "2025-12-01", 37.2)],
    }
    r = mapdiff.check_claim_all(maps, square, "Russia", "70%", date="2025-11-27")
    assert r.side == "RU" and r.releases == {"a": (dt.date(2025, 11, 26), 1), "b": (dt.date(2025, 11, 27), 0)}
    assert "no release on or before 2025-11-27" in r.missing["late"]
    a, b = r.checks["a"], r.checks["b"]
    assert a.share == pytest.approx(0.5, abs=1e-3) and a.policies["claimant"] == pytest.approx(0.75, abs=1e-3)
    assert b.share == pytest.approx(0.8, abs=1e-3) and b.verdict == "supported"
    frame = r.to_frame()
    assert set(frame.source) == {"a", "b"} and set(frame.policy) == set(mapdiff.claims.POLICIES)
    assert frame[frame.decides].set_index("source").loc["a", "grey_share"] == pytest.approx(0.25, abs=1e-3)
    d = r.to_dict()
    assert d["type"] == "claim_across_maps" and d["sources"]["b"]["gap_days"] == 0
    # a map without a grey class says so, in text and JSON, instead of "grey zone 0.00 km²"
    assert "this map draws no grey zone" in (d["sources"]["b"]["grey_note"] or "")
    assert "grey zone: 0.00" not in str(r) and "policies cannot differ" in str(r)
    with pytest.raises(mapdiff.errors.UnknownSideError, match="RU, UA"):
        mapdiff.check_claim_all(maps, square, "XX", "70%", date="2025-11-27")


def test_claim_panels_one_per_source_same_extent():
    square = shapely.box(37.0, 48.0, 37.2, 48.2)
    maps = [_square_map("a", "2025-11-26", 37.1, 37.15), _square_map("b", "2025-11-27", 37.16)]
    r = mapdiff.check_claim_all(maps, square, "RU", "70%", date="2025-11-27")
    axes = r.plot()
    assert len(axes) == 2 and axes[0].get_xlim() == axes[1].get_xlim()
    assert axes[0].get_title() == "a\nrelease 2025-11-26 (1 d before)"
    boxes = [[t.get_text() for t in ax.texts if t.get_gid() == "verdict"] for ax in axes]
    assert boxes[0][0].startswith("RU 50%: NOT SUPPORTED\ngrey zone 25% of")
    assert boxes[1][0].endswith("draws no grey zone")
    import matplotlib.pyplot as plt

    plt.close(axes[0].figure)


TOWNS = ("Pokrovsk", "Myrnohrad")
DAY = {
    "deepstate_api": "deepstate_api/deepstatemap_data_20251127_polygons.geojson",
    "creamy_caprice": "creamy_caprice/ControlZones/Control_25_11_26.kml",
    "owl": "owl/20251127.json",
}


@pytest.mark.realdata
def test_pokrovsk_and_myrnohrad_27_nov_2025_on_every_map():
    paths = {s: SHARED_DATA / rel for s, rel in DAY.items()}
    if not all(p.exists() for p in paths.values()):
        pytest.skip(f"real data not available under {SHARED_DATA}")
    maps = {s: [mapdiff.read_map(p)] for s, p in paths.items()}
    ukraine = drawn_extent("ukraine")  # the boundary the code clips drawn land to
    for town in TOWNS:
        r = mapdiff.check_claim_all(maps, town, "RU", "70%", date="2025-11-27")
        fp = shapely.intersection(mapdiff.footprint(town).geometry, ukraine)
        for source, path in paths.items():
            ru, grey = reference(source, path)
            chk = r.checks[source]
            want = geod_km2(shapely.intersection(ru, fp)) / geod_km2(fp)
            assert chk.share == pytest.approx(want, abs=1e-3), (town, source)
            if source == "deepstate_api":
                want_grey = geod_km2(shapely.intersection(grey, fp)) / geod_km2(fp)
                assert chk.grey_km2 / chk.covered_km2 == pytest.approx(want_grey, abs=1e-3), town
                assert chk.policies["claimant"] > chk.policies["half"] > chk.policies["nobody"]
            else:
                assert not chk.has_grey and len(set(chk.policies.values())) == 1
    assert r.releases["creamy_caprice"] == (dt.date(2025, 11, 26), 1)


def test_cli_one_claim_every_map(tmp_path):
    import os
    import subprocess
    import sys

    from conftest import ROOT

    kml = tmp_path / "Control_25_11_26.kml"
    ru, ua = shapely.box(37.0, 47.5, 41.0, 49.0), shapely.box(36.0, 47.5, 37.0, 49.0)
    kml.write_text(KML.format(ru=kml_coords(ru), ua=kml_coords(ua)))
    sample = mapdiff.sample_path("2025-11-27")
    args = [sys.executable, "-m", "mapdiff", "claim", str(sample), str(kml), "--place", "Pokrovsk"]
    args += ["--side", "Russia", "--claimed", "70%", "--date", "2025-11-27", "--json"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    assert d["type"] == "claim_across_maps" and d["side"] == "RU"
    assert d["sources"]["creamy_caprice"]["share"] == pytest.approx(1.0)
    assert d["sources"]["creamy_caprice"]["gap_days"] == 1
    assert d["sources"]["deepstate"]["verdict"] == "not supported"
    bad = subprocess.run([*args[:-1], "--side", "XX"], capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "its sides: RU, UA" in bad.stderr


@pytest.mark.realdata
def test_grey_zone_in_compare_and_encirclement_on_real_api_maps():
    paths = {s: SHARED_DATA / rel for s, rel in DAY.items()}
    if not all(p.exists() for p in paths.values()):
        pytest.skip(f"real data not available under {SHARED_DATA}")
    api, owl = mapdiff.read_map(paths["deepstate_api"]), mapdiff.read_map(paths["owl"])
    c = mapdiff.compare(api, owl, aoi="Pokrovsk")
    ct = c.crosstab
    # grey is its own class: a row of DeepState's, where the other map has none
    assert "contested" in ct.index and ct.loc["contested"].sum() == pytest.approx(
        api.area(GREY, aoi=c.aoi), rel=1e-3
    )
    assert ct["contested"].sum() == 0 if "contested" in ct.columns else True
    # grey passable or blocking changes the way out of Myrnohrad on DeepState's map
    passable = mapdiff.encirclement(api, "Myrnohrad", by="RU", grey="passable")
    blocking = mapdiff.encirclement(api, "Myrnohrad", by="Russia", grey="blocking")
    assert passable.verdict != blocking.verdict


def test_encircled_on_every_map_gives_a_corridor_per_source():
    import matplotlib.pyplot as plt

    maps = {
        "early": [mapdiff.read_map(mapdiff.sample_path("2025-11-20"))],
        "late": [mapdiff.read_map(mapdiff.sample_path("2025-11-27"))],
    }
    r = mapdiff.check_claim_all(maps, "Myrnohrad", "Russia", kind="encircled", date="2025-11-27")
    assert set(r.encirclements) == {"early", "late"} and r.releases["early"][1] == 7
    for source, enc in r.encirclements.items():
        assert enc.by == "RU" and enc.verdict in str(r)
        assert r.checks[source].detail["corridor_km"] == pytest.approx(enc.corridor_km)
    axes = r.plot()
    boxes = [next(t.get_text() for t in ax.texts if t.get_gid() == "verdict") for ax in axes]
    assert [b.splitlines()[1] for b in boxes] == [e.verdict for e in r.encirclements.values()]
    plt.close("all")


@pytest.mark.realdata
def test_consensus_of_four_sources_round_pokrovsk():
    paths = {s: SHARED_DATA / rel for s, rel in DAY.items()}
    if not all(p.exists() for p in paths.values()):
        pytest.skip(f"real data not available under {SHARED_DATA}")
    maps = {s: mapdiff.read_map(p) for s, p in paths.items()}
    aoi = mapdiff.footprint("Pokrovsk").buffer(5)
    c = mapdiff.consensus(maps, aoi=aoi)
    t = c.to_frame()
    aoi_km2 = float(c.pieces.area_km2.sum())
    assert float((t * t.columns.to_numpy()).to_numpy().sum()) == pytest.approx(3 * aoi_km2, rel=1e-6)
    # only DeepState draws a grey zone: it stands alone on all of it
    grey = maps["deepstate_api"].area(GREY, aoi=c.aoi)
    alone = c.alone().set_index(["source", "label"]).km2
    assert alone["deepstate_api", "contested"] == pytest.approx(grey, rel=1e-3)
    assert c.pairwise.loc["owl", "creamy_caprice"] > 0


# ---------------------------------------------------------------- front lines as lines
def test_front_lines_read_and_compared(tmp_path):
    from mapdiff.comparison import line_displacement
    from mapdiff.io.lines import read_front_line

    west = shapely.LineString([(37.0, 48.0), (37.0, 48.2)])
    kml = tmp_path / "FrontLine_25_11_26.kml"
    coords = " ".join(f"{x},{y},0.0" for x, y in west.coords)
    kml.write_text(
        "<kml><Document><Folder><name>Line</name><Placemark><name> </name><LineString>"
        f"<coordinates>{coords}</coordinates></LineString></Placemark></Folder></Document></kml>"
    )
    owl = tmp_path / "20251127.json"
    owl.write_text(json.dumps({"areas": [], "frontline": [[[48.0, 37.02], [48.2, 37.02]]]}))
    a, b = read_front_line(kml), read_front_line(owl)
    assert (a.source, a.as_of, b.source, b.as_of) == (
        "creamy_caprice",
        dt.date(2025, 11, 26),
        "owl",
        dt.date(2025, 11, 27),
    )
    d = line_displacement(a, b).iloc[0]
    # 0.02° of longitude at 48.0-48.2° N, measured here with pyproj.Geod
    lo = GEOD.inv(37.0, 48.2, 37.02, 48.2)[2] / 1000
    hi = GEOD.inv(37.0, 48.0, 37.02, 48.0)[2] / 1000
    assert lo - 0.01 <= d.median_km <= hi + 0.01 and d.max_km == pytest.approx(hi, rel=2e-3)
    assert d.a == "creamy_caprice" and d.b == "owl" and d.n_points > 100
    with pytest.raises(mapdiff.errors.ArgumentError, match="front lines"):
        line_displacement(a, shapely.box(0, 0, 1, 1))


@pytest.mark.realdata
def test_every_real_front_line_file_reads():
    from mapdiff.io.lines import read_front_line

    files = sorted((SHARED_DATA / "creamy_caprice" / "FrontLine").glob("*.kml"))
    if not files:
        pytest.skip(f"real data not available: {SHARED_DATA / 'creamy_caprice/FrontLine'}")
    for path in files:
        fl = read_front_line(path)
        assert fl.source == "creamy_caprice" and fl.as_of is not None and fl.length_km > 500, path.name
