"""Ukraine's administrative map as places (issue 23): the shipped layers, the one gazetteer
(names in any script, ids, paths, ambiguity), and claims on oblasts, hromadas and
settlements checked against a geodesic computation on the raw polygons."""

from __future__ import annotations

import gzip
import importlib.util
import json

import pytest
import shapely
from conftest import ROOT, SHARED, geodesic_km2, shared_file

from mapdiff._resources import data_dir
from mapdiff.errors import UnknownPlaceError
from mapdiff.places import admin
from mapdiff.places.footprints import available_kinds, footprint, sensitivity_footprints

OSM_ADMIN = SHARED / "footprints" / "osm_admin"
GEO = data_dir() / "geo"


def _tool():
    spec = importlib.util.spec_from_file_location(
        "make_admin_places", ROOT / "tools" / "make_admin_places.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _raw_feature(level: str, osm_id: str):
    """(geometry, properties) of a unit in the OSM export as it is (not simplified)."""
    path = OSM_ADMIN / f"osm_{level}s.geojson"
    if not path.is_file():
        pytest.skip(f"real data not available: {path} is absent (needs ../shared/footprints)")
    for f in json.loads(path.read_text(encoding="utf-8"))["features"]:
        p = f["properties"]
        key = p.get("osm_id") or f"oblast/{p['oblast_slug']}"
        if key == osm_id:
            return shapely.make_valid(shapely.from_geojson(json.dumps(f["geometry"]))), p
    raise AssertionError(f"{osm_id} not in {path}")


# ---------------------------------------------------------------- the shipped data
@pytest.mark.slow
def test_shipped_layers_are_what_the_tool_makes():
    if not (OSM_ADMIN / "osm_hromadas.geojson").is_file():
        pytest.skip(f"real data not available: {OSM_ADMIN} is absent (needs ../shared/footprints)")
    made = _tool().build(OSM_ADMIN)
    assert set(made) == {p.name for p in GEO.glob("osm_admin_*")}
    for name, blob in made.items():
        shipped = (GEO / name).read_bytes()
        if name.endswith(".gz"):
            blob, shipped = gzip.decompress(blob), gzip.decompress(shipped)
        assert blob == shipped, f"data/geo/{name} is stale: run tools/make_admin_places.py"


def test_every_level_is_complete_and_linked():
    counts = {lv: len(admin.units(lv)) for lv in admin.LEVELS}
    assert counts == {"oblast": 25, "raion": 136, "hromada": 1466, "settlement": 884}
    by_id = {u.id: u for u in admin.units()}
    for u in admin.units():
        want = {"oblast": (), "raion": ("oblast",), "hromada": ("raion", "oblast")}.get(
            u.level, ("hromada", "raion", "oblast")
        )
        assert tuple(by_id[p].level for p in u.parent_ids) == want, u.describe()
    # a hromada's raion lies in the hromada's oblast
    for u in admin.units("hromada"):
        assert by_id[u.raion_id].oblast_id == u.oblast_id


def test_hromadas_still_tile_after_simplification():
    """The shipped hromadas of an oblast add up to its area (coverage simplification kept
    the tiling) and each moved little from OSM's area."""
    geoms = [admin.geometry(u) for u in admin.units("hromada", parent="Donetsk Oblast")]
    total = sum(geodesic_km2(g) for g in geoms)
    union = geodesic_km2(shapely.union_all(geoms))
    # overlaps: OSM's own hromadas of Donetsk Oblast overlap by 3.51 km² (sum 26,531.26, union
    # 26,527.75 km² geodesic); the simplified ones by no more than that and a little
    assert 0 <= total - union < 3.6
    oblast = geodesic_km2(admin.geometry("Donetsk Oblast"))
    assert union == pytest.approx(oblast, rel=2e-3)  # and no gaps to speak of
    for u in admin.units("hromada"):
        assert u.area_km2 == pytest.approx(u.area_km2_osm, rel=2e-3), u.describe()


def test_shipped_areas_are_geodesic_areas_of_the_shipped_polygons():
    for uid in ("oblast/donetska_oblast", "relation/13631487", "relation/3944631"):
        u = admin.find(uid)
        assert u.area_km2 == pytest.approx(geodesic_km2(admin.geometry(u)), rel=1e-6, abs=5e-5)  # 4 decimals
        # and the package's equal-area measure agrees within 0.1 %
        assert footprint(uid).area_km2 == pytest.approx(u.area_km2, rel=1e-3)


# ---------------------------------------------------------------- naming
@pytest.mark.parametrize(
    "name",
    ["Donetsk Oblast", "Донецька область", "Донецкая область", "donetsk oblast", "oblast/donetska_oblast"],
)
def test_an_oblast_is_named_in_any_script_or_by_id(name):
    fp = footprint(name)
    assert (fp.id, fp.level, fp.name, fp.kind) == (
        "oblast/donetska_oblast",
        "oblast",
        "Donetsk Oblast",
        "admin_boundary",
    )


@pytest.mark.parametrize(
    "name",
    [
        "relation/13285838",
        "Pokrovsk urban hromada",
        "Покровська міська громада, Donetsk Oblast",
        "Pokrovska miska hromada, Pokrovsk raion",
    ],
)
def test_a_hromada_is_named_by_id_and_names(name):
    fp = footprint(name)
    assert fp.id == "relation/13285838" and fp.level == "hromada"
    assert [p[1] for p in fp.parents] == ["raion", "oblast"]
    assert fp.parents[1][2] == "Donetsk Oblast"


def test_paths_name_a_place_by_its_parents():
    assert admin.find("Pokrovsk raion").id == "relation/11984324"
    assert admin.find("Leontovychi, Pokrovsk urban hromada").id == "relation/3937108"
    assert admin.find("Leontovychi, Pokrovsk raion, Donetsk Oblast").id == "relation/3937108"
    assert admin.find("Lyman, Donetsk Oblast").id == "relation/2718821"
    with pytest.raises(UnknownPlaceError):
        admin.find("Leontovychi, Kharkiv Oblast")


def test_an_ambiguous_name_lists_the_candidates_with_their_parents():
    with pytest.raises(UnknownPlaceError) as exc:
        footprint("Покровський район")
    msg = str(exc.value)
    assert "ambiguous" in msg and "relation/11984324" in msg and "relation/1827710" in msg
    assert "Donetsk Oblast" in msg and "Dnipropetrovsk Oblast" in msg


def test_unknown_ids_and_levels_are_errors():
    with pytest.raises(UnknownPlaceError, match="no place with id 'relation/1'"):
        footprint("relation/1")
    with pytest.raises(UnknownPlaceError, match="known levels"):
        admin.units("village-council")


def test_the_frontline_towns_keep_their_names_numbers_and_ladder():
    """Pokrovsk by name or by its OSM id is the gazetteer's town, with the same footprint."""
    by_name, by_id = footprint("Pokrovsk"), footprint("relation/2506125")
    assert by_id is by_name or by_id == by_name
    assert by_id.kind == "city_limits" and by_id.level == "town" and by_id.id == "relation/2506125"
    assert round(by_name.area_km2, 2) == 31.17
    assert available_kinds("relation/2506125") == ["city_limits", "community", "approximate"]


def test_a_settlement_has_its_limits_and_its_hromada():
    fp = footprint("relation/3944631")  # Torske, Lyman hromada
    assert fp.level == "settlement" and fp.kind == "city_limits" and not fp.approximate
    assert [f.kind for f in sensitivity_footprints(fp)] == ["city_limits", "city_limits+2km", "community"]
    hromada = footprint("relation/3944631", kind="community")
    assert hromada.upper_bound and hromada.geometry.covers(shapely.point_on_surface(fp.geometry))


def test_nearest_finds_the_unit_holding_a_point():
    (u, km), *_ = admin.nearest(37.18, 48.28, "hromada")
    assert u.id == "relation/13285838" and km == 0.0
    near = admin.nearest(37.18, 48.28, "settlement", n=3)
    assert near[0][0].id == "relation/2506125"
    assert [d for _, d in near] == sorted(d for _, d in near)


# ---------------------------------------------------------------- acceptance: claims
CASES = [
    # (place as given, level of the raw file, its OSM id)
    ("Donetsk Oblast", "oblast", "oblast/donetska_oblast"),
    ("relation/13631487", "hromada", "relation/13631487"),  # Kostiantynivka urban hromada
    ("relation/3944631", "settlement", "relation/3944631"),  # Torske
]


@pytest.mark.realdata
@pytest.mark.parametrize(("place", "level", "osm_id"), CASES)
def test_claim_share_matches_a_geodesic_computation_on_the_raw_polygons(place, level, osm_id):
    """DeepState 2025-12-15: the share UA holds (everything DeepState does not show occupied)
    within 0.1 pp of pyproj.Geod on the raw DeepState polygons and the raw OSM polygon."""
    from mapdiff import check_claim, read_map

    path = shared_file("deepstate/deepstatemap_data_20251215.geojson")
    raw, _ = _raw_feature(level, osm_id)
    occupied = shapely.from_geojson(path.read_text(encoding="utf-8"))
    occupied = shapely.make_valid(shapely.union_all(shapely.get_parts(occupied)))
    expected = 1.0 - geodesic_km2(shapely.intersection(raw, occupied)) / geodesic_km2(raw)
    chk = check_claim(read_map(path), place, "UA", 0.226)
    assert chk.share == pytest.approx(expected, abs=0.001)
    assert chk.footprint.id == osm_id


@pytest.mark.realdata
def test_cli_claim_on_donetsk_oblast_quotes_deepstates_figure(cli):
    path = shared_file("deepstate/deepstatemap_data_20251215.geojson")
    r = cli("claim", str(path), "--place", "Donetsk Oblast", "--side", "UA", "--claimed", "22.6%", "--json")
    assert r.returncode == 0
    doc = json.loads(r.stdout)
    assert round(doc["share"] * 100, 1) == 22.6  # DeepState's own figure for 15 Dec 2025


@pytest.mark.parametrize("place", ["Novoselivkaa Oblast", "relation/1", "Покровський район"])
def test_cli_bad_places_exit_2(cli, place):
    sample = str(ROOT / "data" / "samples" / "deepstatemap_data_20251127_pokrovsk.geojson")
    r = cli("claim", sample, "--place", place, "--side", "RU", "--claimed", "50%")
    assert r.returncode == 2 and "Traceback" not in r.stderr


# ---------------------------------------------------------------- mapdiff place
def test_cli_place_names_an_oblast_and_an_id(cli):
    r = cli("place", "Donetsk Oblast")
    assert r.returncode == 0 and "oblast/donetska_oblast" in r.stdout and "admin_boundary" in r.stdout
    r = cli("place", "relation/3944631")
    assert r.returncode == 0 and "Torske" in r.stdout and "Lyman urban hromada (relation/9228065)" in r.stdout


def test_cli_place_list_level_json_validates(cli):
    from test_json_schemas import validate

    r = cli("place", "--list", "--level", "raion", "--parent", "Donetsk Oblast", "--json")
    doc = json.loads(r.stdout)
    assert validate(doc) == "admin_places" and len(doc["places"]) == 8
    assert {p["parents"][0]["name"] for p in doc["places"]} == {"Donetsk Oblast"}
    r = cli("place", "relation/13285838", "--json")
    doc = json.loads(r.stdout)
    assert validate(doc) == "footprint" and doc["level"] == "hromada" and len(doc["parents"]) == 2


def test_cli_place_unknown_level_exits_2(cli):
    r = cli("place", "--list", "--level", "village")
    assert r.returncode == 2 and "known levels" in r.stderr


# ---------------------------------------------------------------- GeoNames points and place sets
def test_geonames_points_are_the_shipped_settlements_no_polygon_holds():
    import csv

    with open(GEO / "settlements.csv", encoding="utf-8", newline="") as fh:
        ua = {(r["name"], r["lat"], r["lon"]) for r in csv.DictReader(fh) if r["country"] == "UA"}
    pts = admin.points()
    assert len({u.id for u in pts}) == len(pts) and all(u.id.startswith("geonames/") for u in pts)
    assert {(u.name, f"{u.point[1]:g}", f"{u.point[0]:g}") for u in pts} <= {
        (n, f"{float(a):g}", f"{float(o):g}") for n, a, o in ua
    }
    polys = shapely.STRtree([admin.geometry(u) for u in admin.units("settlement")])
    inside = polys.query(shapely.points([u.point for u in pts]), predicate="intersects")
    assert inside.size == 0  # a point a polygon holds is that polygon
    # and each point lies in the hromada it names
    for u in pts[::50]:
        if u.hromada_id:
            assert admin.geometry(u.hromada_id).intersects(shapely.Point(u.point)), u.describe()


def test_a_point_settlement_is_approximate_and_says_so():
    u = next(p for p in admin.points() if p.name == "Urzuf")
    fp = footprint(u.id)
    assert fp.approximate and fp.kind == "approximate" and "default 5 km²" in fp.caveat
    assert fp.geometry.intersects(shapely.Point(u.point)) and fp.area_km2 <= 5.0 + 1e-6
    assert admin.geometry(u.hromada_id).covers(fp.geometry.buffer(-1e-6))


def test_a_frontline_town_named_by_its_geonames_id_is_the_town():
    fp = footprint("geonames/703656")
    assert fp.name == "Kupiansk" and fp.level == "town" and fp.id == "geonames/703656"
    assert fp.area_km2 == pytest.approx(footprint("Kupiansk").area_km2)


def test_place_sets():
    from mapdiff.places.footprints import is_place_set, place_set

    assert is_place_set("hromadas") and is_place_set("every hromada of Donetsk Oblast")
    assert not is_place_set("Pokrovsk") and not is_place_set("Donetsk Oblast")
    raions = place_set("raions of Donetsk Oblast")
    assert len(raions) == 8 and raions[0].name.startswith("relation/")
    assert len({f.name for f in place_set("hromadas")}) == 1466  # id + name: never twice
    sets = place_set("settlements in Pokrovsk urban hromada")
    assert "relation/2506125 Pokrovsk" in {f.name for f in sets}
    assert all(f.approximate == f.id.startswith("geonames/") for f in sets if f.level == "settlement")
    with pytest.raises(UnknownPlaceError):
        place_set("hromadas of Atlantis")


def test_place_set_from_a_file(tmp_path):
    from mapdiff.places.footprints import place_set

    f = tmp_path / "places.csv"
    f.write_text("id,note\nrelation/13285838,x\noblast/donetska_oblast,y\n", encoding="utf-8")
    assert [p.name for p in place_set(str(f))] == [
        "relation/13285838 Pokrovsk urban hromada",
        "oblast/donetska_oblast Donetsk Oblast",
    ]


@pytest.mark.realdata
def test_history_places_hromadas_matches_geodesic_shares(cli, tmp_path, monkeypatch):
    """history --places over three DeepState releases: each hromada's RU share within 0.1 pp
    of pyproj.Geod on the raw DeepState polygon and the raw OSM hromada."""
    import csv
    import glob

    files = sorted(glob.glob(str(shared_file("deepstate") / "deepstatemap_data_2025121*.geojson")))[:3]
    folder = tmp_path / "ds"
    folder.mkdir()
    for p in files:
        (folder / p.rpartition("/")[2]).symlink_to(p)
    monkeypatch.setenv("MAPDIFF_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "h.csv"
    r = cli(
        "history", str(folder), "--places", "every hromada of Donetsk Oblast", "--csv", str(out),
        "--quiet", "--workers", "1", "--side", "RU",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 3 and len(rows[0]) == 1 + 66
    occupied = shapely.from_geojson(open(files[-1], encoding="utf-8").read())
    occupied = shapely.make_valid(shapely.union_all(shapely.get_parts(occupied)))
    for osm_id in ("relation/13631487", "relation/13285838", "relation/13629943", "relation/9228065"):
        col = next(c for c in rows[-1] if c.startswith(osm_id + " "))
        raw, _ = _raw_feature("hromada", osm_id)
        expected = geodesic_km2(shapely.intersection(raw, occupied)) / geodesic_km2(raw)
        assert float(rows[-1][col]) == pytest.approx(expected, abs=0.001), col


def test_a_labelled_name_is_the_place_it_labels():
    """A set names its places "<id> <name>" (CSV columns, report rows): that name resolves."""
    fp = footprint("relation/13285838 Pokrovsk urban hromada")
    assert fp.id == "relation/13285838" and fp.name == "relation/13285838 Pokrovsk urban hromada"
    assert footprint("relation/2506125 Pokrovsk").area_km2 == footprint("Pokrovsk").area_km2


def test_history_places_on_the_samples_names_ids(cli, tmp_path, monkeypatch):
    from test_json_schemas import validate

    monkeypatch.setenv("MAPDIFF_CACHE_DIR", str(tmp_path))
    samples = str(ROOT / "data" / "samples" / "*.geojson")
    r = cli("history", samples, "--places", "raions of Donetsk Oblast", "--json", "--workers", "1")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert validate(doc) == "share_series" and len(doc["places"]) == 8
    assert all(p["name"].startswith(p["id"] + " ") and p["level"] == "raion" for p in doc["places"])
    assert "places_changed" in doc and "monthly_changed_hands" in doc
    r = cli("history", samples, "--places", "raions of Atlantis")
    assert r.returncode == 2
