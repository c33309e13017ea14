"""Gazetteer: aliases in both scripts, kinds, buffers, user polygons, and the boundary fetch
(served from a loopback http.server with a recorded-format Nominatim answer)."""

from __future__ import annotations

import http.server
import json
import math
import socket
import threading
from pathlib import Path

import pytest
import shapely

import mapdiff
from mapdiff import footprint, footprint_from_file
from mapdiff.errors import ArgumentError, CRSError, DownloadError, FetchError, FormatError, UnknownPlaceError
from mapdiff.model.measure import geodesic_area_km2
from mapdiff.places.boundaries import cache_dir, fetch_footprint
from mapdiff.places.footprints import available_kinds, footprint_from_geometry, resolve_name

NOMINATIM = Path(__file__).parents[1] / "data" / "nominatim"


# ------------------------------------------------------------------ aliases
@pytest.mark.parametrize(
    "alias, canon",
    [
        ("Pokrovsk", "Pokrovsk"),
        ("pokrovsk", "Pokrovsk"),
        ("Покровськ", "Pokrovsk"),  # uk
        ("Покровск", "Pokrovsk"),  # ru
        ("Krasnoarmeysk", "Pokrovsk"),
        ("Krasnoarmiisk", "Pokrovsk"),  # Soviet, Latin
        ("Красноармейск", "Pokrovsk"),
        ("Красноармійськ", "Pokrovsk"),  # Soviet, ru/uk
        ("Myrnohrad", "Myrnohrad"),
        ("Мирноград", "Myrnohrad"),
        ("Dimitrov", "Myrnohrad"),
        ("Димитров", "Myrnohrad"),
        ("Artemovsk", "Bakhmut"),
        ("Артёмовск", "Bakhmut"),
        ("Артемовск", "Bakhmut"),  # ё written as е
        ("Артемівськ", "Bakhmut"),
        ("Dzerzhinsk", "Toretsk"),
        ("Дзержинськ", "Toretsk"),
        ("Харків", "Kharkiv"),
        ("Харьков", "Kharkiv"),
    ],
)
def test_alias_lookup_in_both_scripts(alias, canon):
    assert resolve_name(alias) == canon
    assert footprint(alias).name == canon


def test_unknown_place_names_closest_matches():
    with pytest.raises(UnknownPlaceError, match="did you mean Pokrovsk"):
        footprint("Pokrovskk")
    with pytest.raises(UnknownPlaceError, match="no place 'Atlantis'"):
        footprint("Atlantis")


def test_kinds_and_approximate_flag():
    assert available_kinds("Kharkiv") == ["city_limits"]
    assert available_kinds("Pokrovsk") == ["city_limits", "community", "approximate"]
    assert available_kinds("Kupiansk") == ["community", "approximate"]
    assert available_kinds("Marinka") == ["approximate"]
    fp = footprint("Marinka")  # no hromada shipped: the plain disc of the official area
    assert fp.approximate and fp.kind == "approximate" and fp.rung == "approximate"
    assert fp.area_km2 == pytest.approx(2.3, rel=1e-6)
    assert fp.area_km2 == pytest.approx(geodesic_area_km2(fp.geometry), rel=1e-3)
    assert not footprint("Kharkiv").approximate
    with pytest.raises(ArgumentError, match="has no 'city_limits'"):
        footprint("Kupiansk", kind="city_limits")


def test_buffer_grows_by_the_distance():
    fp = footprint("Marinka")
    r = math.sqrt(fp.area_km2 / math.pi)
    grown = footprint("Marinka", kind="approximate+2km")
    assert grown.kind == "approximate+2km" and grown.approximate
    assert grown.area_km2 == pytest.approx(math.pi * (r + 2) ** 2, rel=5e-3)
    assert grown.area_km2 == pytest.approx(geodesic_area_km2(grown.geometry), rel=1e-3)
    assert shapely.covers(grown.geometry.buffer(1e-9), fp.geometry)
    with pytest.raises(ArgumentError, match="bad footprint kind"):
        footprint("Pokrovsk", kind="approximate+two")


# ------------------------------------------------------------------ user polygons
def _write_geojson(path: Path, geom, crs=None) -> Path:
    coll = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {}, "geometry": json.loads(shapely.to_geojson(geom))}],
    }
    if crs:
        coll["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(coll))
    return path


def test_user_polygon_from_file(tmp_path):
    box = shapely.box(37.1, 48.25, 37.25, 48.32)
    path = _write_geojson(tmp_path / "my_town.geojson", box)
    fp = footprint_from_file(path)
    assert (fp.name, fp.kind, fp.approximate) == ("user polygon", "user", False)  # never the file stem
    assert "my_town.geojson" in fp.provenance
    assert fp.area_km2 == pytest.approx(geodesic_area_km2(box), rel=1e-4)
    # footprint() accepts the path too, and buffers apply
    assert footprint(str(path)).area_km2 == pytest.approx(fp.area_km2)
    assert footprint(str(path), kind="user+1km").area_km2 > fp.area_km2 + 10
    assert footprint_from_file(path, name="Town").name == "Town"


def test_user_polygon_takes_its_name_property(tmp_path):
    path = tmp_path / "pokrovsk.geojson"
    feats = [
        {
            "type": "Feature",
            "properties": {"name": "Hromada X"},
            "geometry": json.loads(shapely.to_geojson(g)),
        }
        for g in (shapely.box(37.1, 48.2, 37.15, 48.25), shapely.box(37.15, 48.2, 37.2, 48.25))
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    assert footprint_from_file(path).name == "Hromada X"
    assert footprint_from_file(path, name="Mine").name == "Mine"
    assert footprint(str(path)).name == "Hromada X"
    feats[1]["properties"]["name"] = "Other"  # two names: neither is the polygon's
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    assert footprint_from_file(path).name == "user polygon"


def test_user_polygon_reprojected_from_web_mercator(tmp_path):
    import geopandas as gpd

    box = shapely.box(37.1, 48.25, 37.25, 48.32)
    path = tmp_path / "merc.gpkg"
    gpd.GeoDataFrame(geometry=[box], crs=4326).to_crs(3857).to_file(path)
    assert footprint_from_file(path).area_km2 == pytest.approx(geodesic_area_km2(box), rel=1e-3)


def test_user_polygon_bad_inputs(tmp_path):
    with pytest.raises(FormatError, match="does not exist"):
        footprint_from_file(tmp_path / "missing.geojson")
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    with pytest.raises(FormatError, match="cannot read polygon file"):
        footprint_from_file(bad)
    line = _write_geojson(tmp_path / "line.geojson", shapely.LineString([(37, 48), (37.1, 48.1)]))
    with pytest.raises(FormatError, match="holds no polygon"):
        footprint_from_file(line)
    with pytest.raises(CRSError, match="not lon/lat"):
        footprint_from_geometry(shapely.box(4e6, 6e6, 4.1e6, 6.1e6))


def test_footprint_to_geojson_and_repr():
    fp = footprint("Myrnohrad", kind="approximate")
    feat = json.loads(fp.to_geojson())
    assert feat["type"] == "Feature" and feat["properties"]["approximate"] is True
    assert feat["properties"]["rung"] == "approximate"
    assert shapely.from_geojson(json.dumps(feat["geometry"])).equals_exact(fp.geometry, 1e-9)
    assert "approximate" in fp._repr_html_()


# ------------------------------------------------------------------ fetch
class _Server:
    """A loopback http.server answering every GET with one recorded body; counts requests."""

    def __init__(self, body: bytes, status: int = 200):
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MAPDIFF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MAPDIFF_OFFLINE", raising=False)
    monkeypatch.delenv("MAPDIFF_NOMINATIM_URL", raising=False)
    return tmp_path / "cache"


def test_fetch_caches_with_licence_and_gazetteer_prefers_it(cache):
    body = (NOMINATIM / "kherson_search.json").read_bytes()
    assert footprint("Kherson").kind == "city_limits"
    with _Server(body) as srv:
        fp = fetch_footprint("Херсон", base_url=srv.url)
        assert len(srv.requests) == 1
        assert "format=jsonv2" in srv.requests[0] and "polygon_geojson=1" in srv.requests[0]
        assert "q=Kherson" in srv.requests[0]
        assert fp.kind == "osm_boundary" and not fp.approximate
        assert "ODbL" in fp.provenance and "2175078" in fp.provenance
        # the cache file: a GeoJSON Feature with the licence, written atomically (no temp left)
        files = sorted(p.name for p in (cache / "footprints").iterdir())
        assert files == ["kherson.geojson"]
        props = json.loads((cache / "footprints" / "kherson.geojson").read_text())["properties"]
        assert props["licence"].startswith("Data © OpenStreetMap contributors, ODbL 1.0")
        assert props["osm_id"] == 2175078 and len(props["response_sha256"]) == 64
        # the gazetteer now prefers the fetched boundary
        assert available_kinds("Kherson") == ["osm_boundary", "city_limits"]
        assert footprint("Kherson").kind == "osm_boundary"
        assert footprint("Kherson", kind="city_limits").kind == "city_limits"
        assert footprint("Kherson").area_km2 == pytest.approx(
            geodesic_area_km2(footprint("Kherson").geometry), rel=1e-3
        )
        # cache hit: no second request; refresh asks again
        assert fetch_footprint("Kherson", base_url=srv.url).kind == "osm_boundary"
        assert len(srv.requests) == 1
        fetch_footprint("Kherson", base_url=srv.url, refresh=True)
        assert len(srv.requests) == 2
    assert cache_dir() == cache / "footprints"


def test_fetch_rejects_a_boundary_away_from_the_official_centre(cache):
    body = (NOMINATIM / "kherson_search.json").read_bytes()
    with _Server(body) as srv, pytest.raises(DownloadError, match="no boundary polygon containing"):
        fetch_footprint("Pokrovsk", base_url=srv.url)
    assert not (cache / "footprints" / "pokrovsk.geojson").exists()
    assert footprint("Pokrovsk").kind == "city_limits"


def test_fetch_offline_errors(cache, monkeypatch):
    # nothing listens on this loopback port: a clear FetchError, no traceback from urllib
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchError, match=r"cannot reach .* are you offline"):
        fetch_footprint("Kherson", base_url=f"http://127.0.0.1:{port}", timeout=5)
    with pytest.raises(ArgumentError, match="not in mapdiff's declared list"):
        fetch_footprint("Kherson", base_url="http://example.com")
    monkeypatch.setenv("MAPDIFF_OFFLINE", "1")
    with pytest.raises(FetchError, match="offline"):
        fetch_footprint("Kherson")


def test_fetch_bad_answers(cache):
    with _Server(b"<html>not json</html>") as srv, pytest.raises(DownloadError, match="not JSON"):
        fetch_footprint("Kherson", base_url=srv.url)
    with _Server(b"{}", status=503) as srv, pytest.raises(FetchError, match="HTTP 503"):
        fetch_footprint("Kherson", base_url=srv.url)
    with _Server(b'{"error": "x"}') as srv, pytest.raises(DownloadError, match="expected a JSON list"):
        fetch_footprint("Kherson", base_url=srv.url)


def test_damaged_cache_entry_is_ignored(cache):
    (cache / "footprints").mkdir(parents=True)
    (cache / "footprints" / "kherson.geojson").write_text("{broken")
    assert footprint("Kherson").kind == "city_limits"


def test_public_names():
    for name in ("footprint", "footprint_from_file", "fetch_footprint", "Footprint", "place_names"):
        assert name in mapdiff.__all__


def test_buffers_add_up_and_keep_their_base():
    base = footprint_from_geometry(shapely.box(37.1, 48.2, 37.2, 48.3), name="b")
    twice = base.buffer(1).buffer(2)
    assert twice.kind == "user+3km" and twice.base is base
    assert twice.area_km2 == pytest.approx(base.buffer(3).area_km2, rel=1e-9)
    with pytest.raises(ArgumentError, match="distance >= 0"):
        base.buffer(-1)


def test_fetch_prefers_the_town_over_its_municipality(cache):
    """Synthetic answer built in code (two polygons around Pokrovsk's official centre, a
    ~200 km² 'hromada' listed first and a ~30 km² 'town'): the one closest to the official
    area (29.57 km²) is kept, and both are listed as candidates in the cache."""
    lon, lat = footprint("Pokrovsk").centre

    def box(half_km):
        dlat, dlon = half_km / 111.2, half_km / (111.2 * math.cos(math.radians(lat)))
        return json.loads(shapely.to_geojson(shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat)))

    answer = [
        {
            "osm_type": "relation",
            "osm_id": 1,
            "licence": "Data © OpenStreetMap contributors, ODbL 1.0.",
            "display_name": "hromada",
            "geojson": box(7.1),
        },
        {
            "osm_type": "relation",
            "osm_id": 2,
            "licence": "Data © OpenStreetMap contributors, ODbL 1.0.",
            "display_name": "town",
            "geojson": box(2.7),
        },
    ]
    with _Server(json.dumps(answer).encode()) as srv:
        fp = fetch_footprint("Pokrovsk", base_url=srv.url)
    assert fp.kind == "osm_boundary" and "relation 2 (town)" in fp.provenance
    assert fp.area_km2 == pytest.approx(5.4**2, rel=0.02)
    props = json.loads((cache / "footprints" / "pokrovsk.geojson").read_text())["properties"]
    assert [c["osm_id"] for c in props["candidates"]] == [1, 2]


def test_fetch_refuses_a_redirect_to_an_undeclared_host(cache):
    class Redirect(_Server):
        def __init__(self):
            super().__init__(b"")
            outer = self

            class Handler(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    outer.requests.append(self.path)
                    self.send_response(302)
                    self.send_header("Location", "http://example.com/search")
                    self.send_header("Content-Length", "0")
                    self.end_headers()

                def log_message(self, *args):
                    pass

            self.httpd.RequestHandlerClass = Handler

    with Redirect() as srv, pytest.raises(DownloadError, match="declared list"):
        fetch_footprint("Kherson", base_url=srv.url)
    assert len(srv.requests) == 1


# ------------------------------------------------------------------ the ladder
TOWN_LIMITS = {  # OSM relation ids and geodesic areas stated in data/geo/README.md
    "Pokrovsk": ("relation/2506125", 31.17),
    "Myrnohrad": ("relation/2910227", 22.87),
    "Bakhmut": ("relation/3313703", 37.24),
    "Toretsk": ("relation/2383991", 21.48),
    "Lyman": ("relation/2718821", 20.60),
}


@pytest.mark.parametrize("name", sorted(TOWN_LIMITS))
def test_town_limits_are_the_default(name):
    osm_id, km2 = TOWN_LIMITS[name]
    fp = footprint(name)
    assert (fp.kind, fp.rung, fp.approximate, fp.upper_bound) == ("city_limits", "city_limits", False, False)
    assert osm_id in fp.provenance and "ODbL" in fp.provenance
    assert geodesic_area_km2(fp.geometry) == pytest.approx(km2, abs=0.006)
    assert fp.area_km2 == pytest.approx(km2, abs=0.006)
    # a town never leaves its hromada
    community = footprint(name, kind="community")
    assert community.upper_bound and not community.approximate and community.caveat.startswith("UPPER")
    assert shapely.area(shapely.difference(fp.geometry, community.geometry)) < 1e-3 * shapely.area(
        fp.geometry
    )
    assert community.area_km2 > fp.area_km2


def test_every_hromada_town_is_in_the_gazetteer():
    data = json.loads((Path(mapdiff.__file__).parent.parent / "data/geo/osm_hromadas.geojson").read_text())
    towns = [t for f in data["features"] for t in f["properties"]["towns"]]
    assert len(towns) == 22
    for t in towns:
        assert "community" in available_kinds(t)


def test_approximate_is_clipped_to_the_hromada():
    from mapdiff.places.names import tables
    from mapdiff.places.shapes import _disc

    fp = footprint("Kupiansk")
    assert (
        fp.approximate and fp.caveat.startswith("APPROXIMATE") and "clipped to its hromada" in fp.provenance
    )
    community = footprint("Kupiansk", kind="community")
    row = tables()[0]["Kupiansk"]["row"]
    disc = _disc(float(row["lon"]), float(row["lat"]), float(row["area_km2"]))
    expected = geodesic_area_km2(shapely.intersection(disc, community.geometry))
    assert fp.area_km2 == pytest.approx(expected, rel=1e-3)
    assert fp.area_km2 < float(row["area_km2"])  # part of the disc lay outside the hromada
    assert shapely.area(shapely.difference(fp.geometry, community.geometry)) < 1e-9


def test_names_with_an_oblast():
    from mapdiff.places.footprints import place_oblast

    for text in ("Lyman, Donetsk", "Lyman (Donetsk)", "lyman, donetsk oblast", "Лиман (Donetsk)"):
        assert resolve_name(text) == "Lyman"
    assert place_oblast("Lyman") == "Donetsk"
    with pytest.raises(
        UnknownPlaceError, match=r"no place 'Lyman' in 'Kharkiv' oblast.*Lyman \(Donetsk oblast\)"
    ):
        resolve_name("Lyman, Kharkiv")


def test_a_shared_name_is_ambiguous_and_lists_the_candidates(monkeypatch):
    """Add a Kharkiv-oblast village Lyman to a copy of the gazetteer: the plain name becomes
    an error naming both, and the oblast picks one."""
    import csv

    from mapdiff._resources import data_dir
    from mapdiff.places import names

    geo = data_dir() / "geo"
    with open(geo / "towns.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    village = dict(next(r for r in rows if r["name_en"] == "Lyman"))
    village.update(oblast="Kharkiv", lat="49.5", lon="36.4", area_km2="3", former_names="")

    def feats(name):
        return json.loads((geo / name).read_text(encoding="utf-8"))["features"]

    built = names.build_tables(
        [*rows, village],
        feats("city_limits.geojson"),
        feats("osm_town_limits.geojson"),
        feats("osm_hromadas.geojson"),
    )
    monkeypatch.setattr(names, "tables", lambda: built)
    with pytest.raises(UnknownPlaceError, match=r"ambiguous.*'Lyman, Donetsk'.*'Lyman, Kharkiv'"):
        resolve_name("Lyman")
    assert resolve_name("Lyman (Kharkiv)") == "Lyman, Kharkiv"
    assert footprint("Lyman, Donetsk").kind == "city_limits"
    assert footprint("Lyman, Kharkiv").kind == "approximate"
    assert resolve_name("Krasnyi Lyman") == "Lyman, Donetsk"  # a former name only one of them had


def test_gazetteer_geometries_read_in_one_pass_equal_the_per_feature_reading():
    import json as _json

    from mapdiff._resources import data_dir
    from mapdiff.places import names

    for name in ("city_limits.geojson", "osm_town_limits.geojson", "osm_hromadas.geojson"):
        path = data_dir() / "geo" / name
        fast = names._features(path)
        slow = _json.loads(path.read_text(encoding="utf-8"))["features"]
        assert len(fast) == len(slow) > 0
        for a, b in zip(fast, slow, strict=True):
            assert a["properties"] == b["properties"]
            g = shapely.from_geojson(_json.dumps(b["geometry"]))
            assert names._osm_polygon(a).geom_type == g.geom_type and names._osm_polygon(a).equals_exact(g, 0)


def test_shipped_footprints_are_built_once_per_gazetteer():
    """A claim asks for the same footprints several times (its sensitivity table): the
    immutable Footprint is built once, and again when the gazetteer is reloaded."""
    from mapdiff.places import footprints as F, names

    a = F.footprint("Pokrovsk")
    assert F.footprint("Покровськ") is a  # any alias, the same object
    assert F.footprint("Pokrovsk", kind="approximate") is F.footprint("Pokrovsk", kind="approximate")
    grown = F.footprint("Pokrovsk", kind="city_limits+2km")
    assert grown is not a and grown.area_km2 > a.area_km2
    names.tables.cache_clear()
    try:
        b = F.footprint("Pokrovsk")
        assert b is not a and b.area_km2 == a.area_km2 and shapely.equals(b.geometry, a.geometry)
    finally:
        names.tables.cache_clear()


@pytest.mark.parametrize(("kind", "half_m"), [("a 3 m square", 1.5), ("a raion", 40_000.0)])
def test_fetch_refuses_an_implausible_boundary(cache, kind, half_m):
    """A polygon around the centre is not the town whatever its size: a 3 m square or a
    raion-sized one is refused and nothing is cached (the gazetteer keeps its own)."""
    lon, lat = footprint("Kherson").centre
    deg = half_m / 111_000.0
    square = shapely.box(lon - deg * 1.5, lat - deg, lon + deg * 1.5, lat + deg)
    answer = [
        {
            "osm_type": "relation",
            "osm_id": 1,
            "addresstype": "city",
            "geojson": json.loads(shapely.to_geojson(square)),
        }
    ]
    with (
        _Server(json.dumps(answer).encode()) as srv,
        pytest.raises(DownloadError, match="not plausibly the town"),
    ):
        fetch_footprint("Kherson", base_url=srv.url)
    assert not (cache / "footprints" / "kherson.geojson").exists()
    assert footprint("Kherson").kind == "city_limits"


def test_fetch_skips_a_district_by_its_type(cache):
    body = json.loads((NOMINATIM / "kherson_search.json").read_bytes())
    for place in body:
        place["addresstype"] = "district"
    with _Server(json.dumps(body).encode()) as srv, pytest.raises(DownloadError, match="no boundary polygon"):
        fetch_footprint("Kherson", base_url=srv.url)


def test_the_resolver_module_keeps_the_names_it_had():
    """footprints.py was split (names.py: the tables; shapes.py: the value): every name other
    modules, the docs and 0.1 code import from mapdiff.places.footprints is still there."""
    from mapdiff.places import footprints, names, shapes

    kept = (
        "ADMIN_BOUNDARY APPROXIMATE CITY_LIMITS COMMUNITY Footprint TOWN USER admin_kinds as_footprint "
        "available_kinds default_kind footprint footprint_from_file footprint_from_geometry gazetteer_table "
        "is_place_set labelled_footprint looks_like_path parse_buffer_km place_names place_oblast place_set "
        "resolve_name sensitivity_footprints"
    ).split()
    assert [n for n in kept if not hasattr(footprints, n)] == []
    assert footprints.Footprint is shapes.Footprint and footprints.resolve_name is names.resolve_name
