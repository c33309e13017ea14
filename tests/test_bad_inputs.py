"""The bad-input corpus: every row of tests/data/bad/README.md, checked.

The table is the specification; this module only knows how to build each input (files in
``tests/data/bad`` or the ``gen_*`` generators below), how to make each call, and how to
judge the outcome. A raw GEOS, pyogrio, JSON or Python error fails the row.

Every row runs through the Python API (:func:`test_bad_input`) and, where the call has a
command-line form, through ``mapdiff`` in process as well (:func:`test_bad_input_cli`):
exit 0 with the same answer, or exit 2 with one line naming the file, no traceback.
Each row is bounded by an alarm (no hang passes) and checks that no input file changed.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
import shapely.affinity

import mapdiff
import mapdiff.profiles
from mapdiff import errors
from mapdiff.config import Limits

BAD = Path(__file__).parent / "data" / "bad"
SQUARE = shapely.box(37.1, 48.2, 37.2, 48.3)
_KML_BODY = (
    '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
    "<Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>"
    "37.1,48.2 37.2,48.2 37.2,48.3 37.1,48.2</coordinates></LinearRing>"
    "</outerBoundaryIs></Polygon></Placemark></Document></kml>"
)


pytestmark = pytest.mark.usefixtures("bounded")  # conftest: a hang fails the test


# ------------------------------------------------------------------ the table
def _rows() -> list[dict]:
    rows = []
    for line in (BAD / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] in ("case", "") or set(cells[0]) <= {"-"}:
            continue
        rows.append(dict(zip(("case", "input", "call", "expect", "fragment"), cells, strict=True)))
    return rows


ROWS = _rows()


def test_table_is_large_and_names_real_files():
    assert len(ROWS) >= 100
    cases = [r["case"] for r in ROWS]
    assert len(set(cases)) == len(cases), "case names must be unique"
    used = set()
    for r in ROWS:
        src = r["input"]
        if src.startswith("path:"):
            continue
        if src.startswith("gen:"):
            assert callable(globals().get("gen_" + src[4:])), f"no generator gen_{src[4:]}"
        elif src != "-" and not src.startswith("sample:"):
            assert (BAD / src).is_file(), f"{src} is in the table but not in tests/data/bad"
            used.add(src)
    on_disk = {p.name for p in BAD.iterdir() if p.name != "README.md"}
    assert on_disk <= used, f"files in tests/data/bad that no row uses: {sorted(on_disk - used)}"


# ------------------------------------------------------------------ generators
def gen_zip_without_map(d: Path) -> Path:
    p = d / "notes.zip"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("readme.txt", "no map in here")
    return p


def gen_shapefile_no_prj(d: Path) -> Path:
    p = d / "front.shp"
    gdf = gpd.GeoDataFrame({"status": ["controlled"], "side": ["RU"]}, geometry=[SQUARE], crs=4326)
    gdf.to_file(p)  # test fixture, not library output
    p.with_suffix(".prj").unlink()
    return p


def _kmz(d: Path, name: str, member: str, body: bytes) -> Path:
    p = d / name
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(member, body)
    return p


def gen_kmz_traversal(d: Path) -> Path:
    return _kmz(d, "climb.kmz", "../../outside/doc.kml", _KML_BODY.encode())


def gen_kmz_absolute(d: Path) -> Path:
    return _kmz(d, "absolute.kmz", "/tmp/doc.kml", _KML_BODY.encode())


def gen_kmz_bomb(d: Path) -> Path:
    p = _kmz(d, "bomb.kmz", "doc.kml", b"\0" * (8 * 2**20))
    assert p.stat().st_size < 20_000  # small on disk
    return p


def gen_huge_ring(d: Path) -> Path:
    ring = shapely.segmentize(SQUARE, 0.4 / 200_000)  # ~200,000 vertices, same area
    assert shapely.get_num_coordinates(ring) > 150_000
    p = d / "huge_ring.geojson"
    p.write_text(
        gpd.GeoDataFrame({"status": ["controlled"], "side": ["RU"]}, geometry=[ring], crs=4326).to_json()
    )
    return p


_VRT = (
    '<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>CSV:/etc/passwd</SrcDataSource>'
    '</OGRVRTLayer><OGRVRTLayer name="y"><SrcDataSource>/vsicurl/http://127.0.0.1:9/x.csv'
    "</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>\n"
)


def gen_vrt_named_shp(d: Path) -> Path:
    p = d / "front.shp"
    p.write_text(_VRT)
    return p


def gen_vrt_named_gpkg(d: Path) -> Path:
    p = d / "front.gpkg"
    p.write_bytes(b"\x00" + _VRT.encode())
    return p


def gen_vrt_named_fgb(d: Path) -> Path:
    p = d / "front.fgb"
    p.write_bytes(b"x" + _VRT.encode())
    return p


def gen_vrt_in_zip(d: Path) -> Path:
    p = d / "front.zip"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("front.shp", _VRT)
        zf.writestr("front.dbf", b"\x03" + b"\0" * 40)
    return p


def gen_shapefile_vrt_dbf(d: Path) -> Path:
    p = gen_shapefile_no_prj(d)
    p.with_suffix(".dbf").write_text(_VRT)
    return p


def gen_sqlite_not_geopackage(d: Path) -> Path:
    p = d / "front.gpkg"
    with contextlib.closing(sqlite3.connect(p)) as db:
        db.execute("create table t (a int)")
        db.commit()
    return p


def gen_fifo(d: Path) -> Path:
    p = d / "front.geojson"
    os.mkfifo(p)
    return p


def gen_fifo_toml(d: Path) -> Path:
    p = d / "mine.toml"
    os.mkfifo(p)
    return p


def gen_fifo_json(d: Path) -> Path:
    p = d / "20251127.json"
    os.mkfifo(p)
    return p


def gen_fifo_csv(d: Path) -> Path:
    p = d / "claims.csv"
    os.mkfifo(p)
    return p


def gen_symlink_to_dev_zero(d: Path) -> Path:
    p = d / "front.geojson"
    p.symlink_to("/dev/zero")
    return p


def gen_folder_named_geojson(d: Path) -> Path:
    p = d / "front.geojson"
    p.mkdir()
    return p


def _square_fc(props=None) -> dict:
    ring = [[37.1, 48.2], [37.2, 48.2], [37.2, 48.3], [37.1, 48.3], [37.1, 48.2]]
    props = props or {"status": "controlled", "side": "RU"}
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}}
        ],
    }


def gen_utf16(d: Path) -> Path:
    p = d / "front.geojson"
    p.write_bytes(json.dumps(_square_fc()).encode("utf-16"))
    return p


def gen_utf16_no_bom(d: Path) -> Path:
    p = d / "front.geojson"
    p.write_bytes(json.dumps(_square_fc()).encode("utf-16-le"))
    return p


def _gpkg(d: Path, layers: dict) -> Path:
    p = d / "layers.gpkg"
    for name, geom in layers.items():
        gdf = gpd.GeoDataFrame({"status": ["controlled"], "side": ["RU"]}, geometry=[geom], crs=4326)
        gdf.to_file(p, layer=name, driver="GPKG")  # test fixture, not library output
    return p


def gen_gpkg_two_layers(d: Path) -> Path:
    return _gpkg(d, {"front": shapely.box(37.1, 48.2, 37.15, 48.3), "front_b": SQUARE})


def gen_gpkg_non_spatial(d: Path) -> Path:
    p = _gpkg(d, {"front": SQUARE})
    with contextlib.closing(sqlite3.connect(p)) as db:  # keep only a plain attribute table
        db.execute("create table notes (a text)")
        db.execute(
            "insert into gpkg_contents (table_name, data_type, identifier) "
            "values ('notes', 'attributes', 'notes')"
        )
        db.execute("delete from gpkg_contents where table_name = 'front'")
        db.execute("delete from gpkg_geometry_columns where table_name = 'front'")
        db.execute("drop table front")
        db.commit()
    return p


def gen_gpkg_one_layer(d: Path) -> Path:
    return _gpkg(d, {"front": SQUARE})


def gen_flatgeobuf(d: Path) -> Path:
    p = d / "front.fgb"
    gpd.GeoDataFrame({"status": ["controlled"], "side": ["RU"]}, geometry=[SQUARE], crs=4326).to_file(
        p, driver="FlatGeobuf"
    )  # test fixture
    return p


def gen_zipped_shapefile(d: Path) -> Path:
    parts = d / "parts"
    parts.mkdir()
    shp = gen_shapefile_no_prj(parts)
    shp.with_suffix(".prj").write_text(pyproj_wkt())
    p = d / "front_shp.zip"
    with zipfile.ZipFile(p, "w") as zf:
        for part in parts.iterdir():
            zf.write(part, part.name)
    return p


def pyproj_wkt() -> str:
    import pyproj

    return pyproj.CRS.from_epsg(4326).to_wkt("WKT1_ESRI")


def gen_tiny_features(d: Path) -> Path:
    """100,000 tiny triangles (the default feature limit is 50,000)."""
    p = d / "tiny.geojson"
    feat = (
        '{"type":"Feature","properties":{"status":"controlled","side":"RU"},'
        '"geometry":{"type":"Polygon","coordinates":[[[37.1,48.2],[37.1001,48.2],[37.1,48.2001],[37.1,48.2]]]}}'
    )
    p.write_text('{"type":"FeatureCollection","features":[' + ",".join([feat] * 100_000) + "]}")
    return p


def gen_coverage_member_huge(d: Path) -> Path:
    obj = _square_fc()
    obj["coverage"] = json.loads(shapely.to_geojson(shapely.segmentize(shapely.box(36, 47, 39, 49), 0.00005)))
    p = d / "covered.geojson"
    p.write_text(json.dumps(obj))
    return p


def gen_kml_many_vertices(d: Path) -> Path:
    coords = " ".join(f"{37.1 + i * 1e-6},48.2" for i in range(5000)) + " 37.1,48.2"
    p = d / "dense.kml"
    p.write_text(_KML_BODY.replace("37.1,48.2 37.2,48.2 37.2,48.3 37.1,48.2", coords))
    return p


def gen_kmz_member_over_byte_limit(d: Path) -> Path:
    body = _KML_BODY.replace("<Document>", "<Document>" + "<!-- padding -->" * 500).encode()
    return _kmz(d, "padded.kmz", "doc.kml", body)


def _profile_beside(d: Path, coverage: str) -> Path:
    (d / "cover.toml").write_text(
        f'name = "covered"\ncoverage = "{coverage}"\n'
        '[[rules]]\nstatus_column = "status"\nside_column = "side"\n'
    )
    p = d / "front.geojson"
    p.write_text(json.dumps(_square_fc()))
    return p


def gen_profile_coverage_dev_zero(d: Path) -> Path:
    return _profile_beside(d, "/dev/zero")


def gen_profile_coverage_fifo(d: Path) -> Path:
    os.mkfifo(d / "cover.fifo")
    return _profile_beside(d, str(d / "cover.fifo"))


def gen_profile_coverage_vrt(d: Path) -> Path:
    (d / "cover.shp").write_text(_VRT)
    return _profile_beside(d, str(d / "cover.shp"))


def gen_profile_renamed_columns(d: Path) -> Path:
    (d / "mine.toml").write_text('name = "mine"\n[[rules]]\nstatus_column = "kind"\nside_column = "owner"\n')
    p = d / "front.geojson"
    p.write_text(json.dumps(_square_fc({"kind": "controlled", "owner": "RU"})))
    return p


def _release_folder(d: Path, extra: str | None = None) -> Path:
    folder = d / "releases"
    folder.mkdir()
    for date in ("2025-11-20", "2025-11-27"):
        shutil.copy(mapdiff.sample_path(date), folder)
    if extra == "vrt":
        (folder / "deepstatemap_data_20251130.shp").write_text(_VRT)
    elif extra == "fifo":
        os.mkfifo(folder / "deepstatemap_data_20251130.geojson")
    elif extra == "toml":
        (d / "ds.toml").write_text(
            (Path(mapdiff.profiles.__file__).parent / "deepstate.toml")
            .read_text(encoding="utf-8")
            .replace('name = "deepstate"', 'name = "my_deepstate"')
        )
    return folder


def gen_history_folder(d: Path) -> Path:
    return _release_folder(d)


def gen_history_folder_with_vrt(d: Path) -> Path:
    return _release_folder(d, "vrt")


def gen_history_folder_with_fifo(d: Path) -> Path:
    return _release_folder(d, "fifo")


def gen_history_folder_custom_profile(d: Path) -> Path:
    return _release_folder(d, "toml")


def _shares_cached(path, then: str, monkeypatch):
    """Run shares through the cache, change something (``then``: edit the profile's rules, or
    flip one bit in every cache file), and run again: the second answer must be fresh."""
    cache_root = Path(path).parent / "cache"
    monkeypatch.setenv("MAPDIFF_CACHE_DIR", str(cache_root))
    prof = Path(path).parent / "cached.toml"

    def run():
        files = sorted(Path(path).iterdir())
        s = mapdiff.Releases(files, source=str(prof), dates=["2025-11-01", "2025-11-08"])
        return s.shares(["Pokrovsk"], "RU", workers=1, quiet=True, cache=True)

    assert run().frame.iloc[:, 0].tolist() == [1.0, 1.0]
    if then == "edit_rules":
        _cached_profile(Path(path).parent, "UA")
    else:  # flip one bit in every cache file
        for f in (p for p in cache_root.rglob("*") if p.is_file()):
            data = bytearray(f.read_bytes())
            data[len(data) // 2] ^= 0x01
            f.write_bytes(bytes(data))
    return run()


def _cached_profile(d: Path, side: str) -> Path:
    (d / "cached.toml").write_text(
        f'name = "cached"\n[[rules]]\nproperty = "status"\nvalues = ["held"]\nlabel = "controlled:{side}"\n'
        '[[rules]]\nproperty = "status"\nvalues = ["far"]\nlabel = "controlled:RU"\n'
    )
    return d / "cached.toml"


def gen_cache_folder(d: Path) -> Path:
    """Two releases (RU holds Pokrovsk under the profile's first rule) and the profile."""
    folder = d / "cached"
    folder.mkdir()
    near = _square_fc({"status": "held"})["features"][0]
    near["geometry"]["coordinates"] = [[[37.1, 48.2], [37.3, 48.2], [37.3, 48.4], [37.1, 48.4], [37.1, 48.2]]]
    far = json.loads(json.dumps(near).replace("37.", "36.").replace('"held"', '"far"'))
    for day in ("20251101", "20251108"):
        body = {"type": "FeatureCollection", "features": [near, far]}
        (folder / f"front_{day}.geojson").write_text(json.dumps(body))
    _cached_profile(d, "RU")
    return folder


def gen_symlink_to_sample(d: Path) -> Path:
    p = d / "alias.geojson"
    p.symlink_to(_sample_copies(d)["s1"])
    return p


def gen_generic_copy_of_sample(d: Path) -> Path:
    m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    gdf = m.to_gdf()
    p = d / "generic.geojson"
    p.write_text(gdf[gdf["side"].notna()][["status", "side", "geometry"]].to_json())
    return p


# ------------------------------------------------------------------ issue 26: bounded reads, the CRS gate
def _fc(features, **top) -> dict:
    return {"type": "FeatureCollection", **top, "features": features}


def _square_feature(props=None, dx: float = 0.0) -> dict:
    ring = [[37.1 + dx, 48.2], [37.1001 + dx, 48.2], [37.1 + dx, 48.2001], [37.1 + dx, 48.2]]
    return {
        "type": "Feature",
        "properties": {"status": "controlled", "side": "RU", **(props or {})},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def gen_unique_property_names(d: Path) -> Path:
    """2,000 features, each with a property name of its own (a dense 2,000 x 2,000 table)."""
    p = d / "names.geojson"
    p.write_text(json.dumps(_fc([_square_feature({f"k{i}": 1}, i * 1e-4) for i in range(2000)])))
    return p


def gen_kml_unique_extended_data(d: Path) -> Path:
    """1,500 placemarks, each with an ExtendedData name of its own."""
    mark = (
        '<Placemark><ExtendedData><Data name="k{i}"><value>1</value></Data></ExtendedData>'
        "<Polygon><outerBoundaryIs><LinearRing><coordinates>37.1,48.2 37.2,48.2 37.2,48.3 37.1,48.2"
        "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
    )
    body = "".join(mark.format(i=i) for i in range(1500))
    p = d / "extended.kml"
    p.write_text(
        f'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>{body}</Document></kml>'
    )
    return p


def gen_parquet_many_rows(d: Path) -> Path:
    """60,000 rows in a few KB: refused from the footer, before any row is decoded."""
    n = 60_000
    gdf = gpd.GeoDataFrame(
        {"status": ["controlled"] * n, "side": ["RU"] * n}, geometry=[SQUARE] * n, crs=4326
    )
    p = d / "many.parquet"
    gdf.to_parquet(p, compression="zstd")  # test fixture, not library output
    assert p.stat().st_size < 100_000
    return p


def gen_parquet_expands(d: Path) -> Path:
    """A small file whose rows decode to ~2 MB (one long repeated string per row)."""
    n = 1000
    gdf = gpd.GeoDataFrame(
        {"status": ["controlled"] * n, "side": ["RU"] * n, "note": ["x" * 2000] * n},
        geometry=[SQUARE] * n,
        crs=4326,
    )
    p = d / "expands.parquet"
    gdf.to_parquet(p, compression="zstd")  # test fixture, not library output
    assert p.stat().st_size < 100_000
    return p


def gen_parquet_ok(d: Path) -> Path:
    p = d / "ok.parquet"
    gpd.GeoDataFrame({"status": ["controlled"], "side": ["RU"]}, geometry=[SQUARE], crs=4326).to_parquet(p)
    return p


def _crs_member(d: Path, name: str, crs_name: str) -> Path:
    p = d / name
    feature = {**_square_feature(), "geometry": json.loads(shapely.to_geojson(SQUARE))}
    p.write_text(json.dumps(_fc([feature], crs={"type": "name", "properties": {"name": crs_name}})))
    return p


def _fifo_grid(d: Path) -> Path:
    grid = d / "grid.gsb"
    os.mkfifo(grid)  # opening it blocks forever: the read must never reach it
    return grid


def gen_crs_member_nadgrids_fifo(d: Path) -> Path:
    return _crs_member(d, "grid.geojson", f"+proj=longlat +ellps=WGS84 +nadgrids={_fifo_grid(d)} +no_defs")


def gen_crs_member_wkt_parameterfile(d: Path) -> Path:
    import pyproj

    wkt = pyproj.CRS.from_user_input(f"+proj=longlat +ellps=WGS84 +nadgrids={_fifo_grid(d)}").to_wkt()
    assert "PARAMETERFILE" in wkt
    return _crs_member(d, "wkt_grid.geojson", wkt)


def gen_crs_member_init_file(d: Path) -> Path:
    return _crs_member(d, "init.geojson", "+init=/etc/passwd:root")


def gen_crs_member_url(d: Path) -> Path:
    return _crs_member(d, "url.geojson", "+proj=longlat +nadgrids=@https://127.0.0.1:9/grid.tif")


def gen_crs_member_proj_string(d: Path) -> Path:
    return _crs_member(d, "projstring.geojson", "+proj=longlat +datum=WGS84")


def gen_crs_member_urn(d: Path) -> Path:
    return _crs_member(d, "urn.geojson", "urn:ogc:def:crs:OGC:1.3:CRS84")


def gen_shapefile_prj_nadgrids_fifo(d: Path) -> Path:
    p = gen_shapefile_no_prj(d)
    p.with_suffix(".prj").write_text(f"+proj=longlat +ellps=WGS84 +nadgrids={_fifo_grid(d)} +no_defs")
    return p


def gen_shapefile_prj_wkt_parameterfile(d: Path) -> Path:
    import pyproj

    p = gen_shapefile_no_prj(d)
    crs = pyproj.CRS.from_user_input(f"+proj=longlat +ellps=WGS84 +nadgrids={_fifo_grid(d)}")
    p.with_suffix(".prj").write_text(crs.to_wkt())
    return p


def gen_gpkg_view_layer(d: Path) -> Path:
    """The only layer is a view over an endless recursive query: reading it would never end."""
    p = gen_gpkg_one_layer(d)
    with contextlib.closing(sqlite3.connect(p)) as db:
        (layer,) = next(iter(db.execute("SELECT table_name FROM gpkg_contents")))
        db.execute(
            "CREATE VIEW endless AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
            f'SELECT f.* FROM "{layer}" f, (SELECT max(x) FROM c)'
        )
        db.execute("UPDATE gpkg_contents SET table_name = 'endless', identifier = 'endless'")
        db.execute("UPDATE gpkg_geometry_columns SET table_name = 'endless'")
        db.commit()
    return p


def gen_gpkg_generated_column(d: Path) -> Path:
    p = gen_gpkg_one_layer(d)
    with contextlib.closing(sqlite3.connect(p)) as db:
        (layer,) = next(iter(db.execute("SELECT table_name FROM gpkg_contents")))
        db.execute(f'ALTER TABLE "{layer}" ADD COLUMN junk BLOB GENERATED ALWAYS AS (zeroblob(1000000000))')
        db.commit()
    return p


def _grid_of(n: int, ring) -> list:
    """``n`` copies of ``ring`` (unit square coordinates) on a grid of 1/1000°, 0.8/1000° wide."""
    out = []
    for i in range(n):
        x, y = 37.0 + (i % 200) * 0.001, 48.0 + (i // 200) * 0.001
        out.append([[x + 0.0008 * u, y + 0.0008 * v] for u, v in ring])
    return out


def gen_bowties_20000(d: Path) -> Path:
    """One MultiPolygon of 20,000 bow-ties (29 s once, quadratic; now linear)."""
    rings = _grid_of(20_000, [(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    geom = {"type": "MultiPolygon", "coordinates": [[r] for r in rings]}
    p = d / "bowties.geojson"
    p.write_text(json.dumps(_fc([{**_square_feature(), "geometry": geom}])))
    return p


def gen_squares_20000(d: Path) -> Path:
    """20,000 separate squares of one label (a pairwise test of their boxes needed 6.5 GB)."""
    rings = _grid_of(20_000, [(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)])
    feats = [{**_square_feature(), "geometry": {"type": "Polygon", "coordinates": [r]}} for r in rings]
    p = d / "squares.geojson"
    p.write_text(json.dumps(_fc(feats)))
    return p


def gen_polygon_file_two_in_collection(d: Path) -> Path:
    """A polygon file whose feature is a GeometryCollection of two squares (the second was dropped)."""
    second = shapely.affinity.translate(SQUARE, 0.2, 0.0)
    gc = {
        "type": "GeometryCollection",
        "geometries": [json.loads(shapely.to_geojson(g)) for g in (SQUARE, second)],
    }
    p = d / "two.geojson"
    p.write_text(json.dumps(_fc([{"type": "Feature", "properties": {}, "geometry": gc}])))
    return p


def _nested_collections(depth: int) -> dict:
    g = json.loads(shapely.to_geojson(SQUARE))
    for _ in range(depth):
        g = {"type": "GeometryCollection", "geometries": [g]}
    return g


def gen_polygon_file_deep_collections(d: Path) -> Path:
    """GeometryCollections 20,000 deep: GEOS's GeoJSON reader crashed the process on it."""
    p = d / "deep.geojson"
    n = 20_000
    inner = shapely.to_geojson(SQUARE)
    p.write_text('{"type":"GeometryCollection","geometries":[' * n + inner + "]}" * n)
    return p


def gen_map_collections_300_deep(d: Path) -> Path:
    """300 nested collections (under orjson's own limit): bounded before any parser recurses."""
    p = d / "deep300.geojson"
    p.write_text(json.dumps(_fc([{**_square_feature(), "geometry": _nested_collections(300)}])))
    return p


def _three_squares(n: int = 3):
    geoms = [shapely.affinity.translate(SQUARE, 0.2 * i, 0.0) for i in range(n)]
    return gpd.GeoDataFrame({"status": ["controlled"] * n, "side": ["RU"] * n}, geometry=geoms, crs=4326)


def _shapefile_with_short(d: Path, part: str) -> Path:
    (d / "full").mkdir()
    (d / "short").mkdir()
    p = d / "full" / "front.shp"
    _three_squares(3).to_file(p)  # test fixture
    _three_squares(2).to_file(d / "short" / "front.shp")
    shutil.copy(d / "short" / f"front{part}", p.with_suffix(part))
    return p


def gen_shapefile_short_dbf(d: Path) -> Path:
    return _shapefile_with_short(d, ".dbf")


def gen_shapefile_short_shx(d: Path) -> Path:
    return _shapefile_with_short(d, ".shx")


def gen_flatgeobuf_count_understated(d: Path) -> Path:
    """Three features, a header (features_count) saying two: GDAL reads two, silently."""
    import struct

    from mapdiff.io.gate import _fgb_header

    p = d / "front.fgb"
    _three_squares(3).to_file(p, driver="FlatGeobuf", SPATIAL_INDEX="NO")  # test fixture
    data = bytearray(p.read_bytes())
    count, _, _, at = _fgb_header(bytes(data))
    assert count == 3 and at > 0
    struct.pack_into("<Q", data, at, 2)
    p.write_bytes(bytes(data))
    return p


def gen_flatgeobuf_indexed(d: Path) -> Path:
    p = d / "front.fgb"
    _three_squares(3).to_file(p, driver="FlatGeobuf", SPATIAL_INDEX="YES")  # test fixture
    return p


def gen_flatgeobuf_truncated(d: Path) -> Path:
    """A FlatGeobuf whose header promises three features and whose last one is cut off."""
    p = d / "front.fgb"
    _three_squares(3).to_file(p, driver="FlatGeobuf", SPATIAL_INDEX="NO")  # test fixture
    data = p.read_bytes()
    p.write_bytes(data[: len(data) - 120])
    return p


def gen_shapefile_prj_3857_on_degrees(d: Path) -> Path:
    """Degrees with a .prj of Web Mercator: transformed, the map measured 0 km²."""
    import pyproj

    p = gen_shapefile_no_prj(d)
    p.with_suffix(".prj").write_text(pyproj.CRS.from_epsg(3857).to_wkt("WKT1_ESRI"))
    return p


def gen_ledger_huge_field(d: Path) -> Path:
    """A quote of 200,000 characters (exited 3: the csv module's own field limit)."""
    p = d / "claims.csv"
    p.write_text(
        "who,date,place,side,kind,value,quote,source_url\nX,2025-11-27,Pokrovsk,RU,share,70%,"
        + "q" * 200_000
        + ",\n"
    )
    return p


def gen_huge_property_name(d: Path) -> Path:
    """A 5 MB property name and no recognisable columns: the error lists the columns."""
    p = d / "huge_name.geojson"
    feat = {**_square_feature(), "properties": {"x" * 5_000_000: 1}}
    p.write_text(json.dumps(_fc([feat])))
    return p


# ------------------------------------------------------------------ calls
@functools.cache
def _samples():
    return tuple(mapdiff.read_map(p) for p in mapdiff.sample_paths())


_SAMPLES = {"s1": "2025-11-20", "s2": "2025-11-27"}
_TMP: list[Path] = [Path(".")]  # the running row's folder


def _sample_copies(d: Path) -> dict[str, Path]:
    """Copies of two shipped samples in the test's folder (outputs aimed at them hurt nothing)."""
    folder = d / "inputs"
    folder.mkdir(exist_ok=True)
    out = {}
    for key, date in _SAMPLES.items():
        src = mapdiff.sample_path(date)
        out[key] = folder / src.name
        if not out[key].exists():
            shutil.copy(src, out[key])
    return out


def _input(src: str, tmp_path: Path):
    if src == "-":
        return None
    if src.startswith("path:"):
        return src[5:]
    if src.startswith("gen:"):
        return globals()["gen_" + src[4:]](tmp_path)
    if src.startswith("sample:"):
        return mapdiff.sample_path(src[7:])
    return BAD / src


def _value(text: str):
    if text in ("True", "False"):
        return text == "True"
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return text


def _beside(path, value):
    """A ``.toml`` or ``s1``/``s2`` argument: the file beside the input / the sample copy."""
    if isinstance(value, str) and value in _SAMPLES:
        return str(_sample_copies(_TMP[0])[value])
    if isinstance(value, str) and value.endswith(".toml") and path is not None:
        for folder in (Path(path).parent, Path(path).parent.parent):
            if (folder / value).is_file():
                return str(folder / value)
    return value


def _parse_call(spec: str, path, monkeypatch):
    name, *args = spec.split()
    kwargs = {}
    for a in args:
        key, _, val = a.partition("=")
        if key.startswith("env:"):
            monkeypatch.setenv(key[4:], val)
        elif key.startswith("limits."):
            kwargs["limits"] = Limits(**{key[7:]: int(val)})
        else:
            kwargs[key] = _beside(path, _value(val))
    return name, kwargs


def _call(spec: str, path, monkeypatch):
    name, kwargs = _parse_call(spec, path, monkeypatch)
    if name == "read_map":
        return mapdiff.read_map(path, **kwargs)
    if name == "footprint_from_file":
        return mapdiff.footprint_from_file(path)
    if name == "context_layer":  # a figure drawn over the caller's own context layer
        import matplotlib.pyplot as plt

        try:
            return mapdiff.read_map(mapdiff.sample_path("2025-11-27")).plot(context=str(path))
        finally:
            plt.close("all")
    if name == "read_provenance":
        return mapdiff.read_provenance(path)
    if name == "read_front_line":
        from mapdiff.io.lines import read_front_line

        return read_front_line(path)
    if name == "shares":
        series = mapdiff.Releases(path, source=kwargs.get("source"))
        return series.shares([kwargs["place"]], "RU", workers=1, quiet=True, cache=False)
    if name == "shares_cached":
        return _shares_cached(path, kwargs["then"], monkeypatch)
    if name == "compare_out":
        a, b = (mapdiff.read_map(kwargs[k]) for k in ("a", "b"))
        return mapdiff.compare(a, b).to_file(kwargs.get("out", path))
    if name == "changes":
        return mapdiff.changes(kwargs["old"], kwargs.get("new", path))
    if name == "load_profile":
        return mapdiff.profiles.load_profile(path)
    if name == "read_ledger":
        return mapdiff.read_ledger(path)
    if name == "footprint":
        return mapdiff.footprint(kwargs["name"])
    if name == "check_claim":
        return mapdiff.check_claim(mapdiff.read_map(path), kwargs.pop("place"), **kwargs)
    if name == "encirclement":
        return mapdiff.encirclement(mapdiff.read_map(path), kwargs.pop("place"), **kwargs)
    if name == "check_claims":
        assert kwargs.pop("maps") == "samples"
        return mapdiff.check_claims(path, list(_samples()), **kwargs)
    if name == "validate_ledger":
        return mapdiff.validate_ledger(path)
    if name == "compare_disjoint":  # two maps 200 km apart, each with its own coverage
        ua, ru = mapdiff.labels.Label("controlled", "UA"), mapdiff.labels.Label("controlled", "RU")
        a, b = (
            mapdiff.normalise(
                [(ru, shapely.box(x, 48.0, x + 0.1, 48.2))],
                source=src,
                coverage=shapely.box(x, 48.0, x + 0.2, 48.2),
                background=ua,
            )
            for x, src in ((37.0, "a"), (40.0, "b"))
        )
        return mapdiff.compare(a, b)
    if name == "source_lag_disjoint":
        import numpy as np
        import pandas as pd

        def series(start):
            return pd.DataFrame(
                {"Pokrovsk": np.linspace(0, 1, 30)}, index=pd.date_range(start, periods=30, freq="D")
            )

        return mapdiff.source_lag(series("2024-01-01"), series("2025-06-01"))
    raise AssertionError(f"the table names an unknown call {name!r}")


def _held_km2(m) -> float:
    """km² drawn under the map's own labels (not its background)."""
    return sum(m.area(lab) for lab in m.labels)


def _check_result(row, result):
    key, _, want = row["fragment"].partition("=")
    if key == "releases":
        assert len(result.frame) == int(want)
    elif key == "shares":
        assert result.frame.iloc[:, 0].tolist() == [float(v) for v in want.split(",")]
    elif key == "changes":
        assert set(result.sides) >= {want}
    elif key == "footprint_km2":
        assert result.area_km2 == pytest.approx(float(want), rel=1e-3)
    elif key == "area":
        assert _held_km2(result) == pytest.approx(float(want), rel=1e-3)
    elif key == "claims":
        assert len(result.claims) == int(want)
        assert all("\u2028" in c.quote or not c.quote for c in result.claims)
    elif key == "labels":  # labels=controlled:RU@82.58: exactly these labels, with these km²
        got = {str(lab): result.area(lab) for lab in result.labels}
        items = [w.partition("@") for w in want.split(",")]
        assert set(got) == {lab for lab, _, _ in items}, got
        for lab, _, km2 in items:
            assert got[lab] == pytest.approx(float(km2), rel=1e-3), (lab, got)
    elif key == "disagreement":
        d = result.disagreement_km2
        assert want == "scope" and d["real"] == 0.0 and d["noise"] == 0.0
        assert d["scope"] == pytest.approx(result.aoi_km2, rel=1e-6) and d["total"] > 0
    elif key == "verdict":
        verdicts = set(result.to_frame()["verdict"])
        assert verdicts == {want}, verdicts
    else:
        raise AssertionError(f"result rows need area= or verdict=, not {row['fragment']!r}")


def _digests(tmp_path: Path, path) -> dict:
    """SHA-256 of every regular input file of a row (FIFOs and devices are not read)."""
    files = [p for p in tmp_path.rglob("*") if not p.is_symlink()] + list(BAD.iterdir())
    if path is not None and Path(path).is_file() and not str(path).startswith("/dev/"):
        files.append(Path(path))
    out = {}
    # the cache rows edit their profile and cache files on purpose; the releases still count
    files = [f for f in files if f.name != "cached.toml" and "cache" not in f.relative_to(f.anchor).parts]
    for f in files:
        with contextlib.suppress(OSError):
            if f.is_file() and not f.is_symlink() and os.stat(f).st_size < 50 * 2**20:
                out[str(f)] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def _names_input(path, msg: str) -> bool:
    """The message names the input (for a folder of releases: the file in it at fault)."""
    p = Path(path)
    return p.name in msg or (p.is_dir() and any(f.name in msg for f in p.iterdir()))


API_ROWS = [r for r in ROWS if not r["call"].startswith("cli:")]


@pytest.mark.parametrize("row", API_ROWS, ids=[r["case"] for r in API_ROWS])
def test_bad_input(row, tmp_path, monkeypatch):
    expect = row["expect"]
    if expect == "pending":
        pytest.skip(row["fragment"])
    _TMP[0] = tmp_path
    path = _input(row["input"], tmp_path)
    _sample_copies(tmp_path)
    before = _digests(tmp_path, path)
    try:
        _judge_api(row, path, monkeypatch)
    finally:
        assert _digests(tmp_path, path) == before, "an input file was changed"


def _judge_api(row, path, monkeypatch):
    expect = row["expect"]
    frag = row["fragment"].lower()
    if expect in ("ok", "warn") or expect.startswith("repair:"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = _call(row["call"], path, monkeypatch)
        ours = [w for w in caught if issubclass(w.category, errors.MapdiffWarning)]
        if expect == "warn":
            assert ours and any(frag in str(w.message).lower() for w in ours), caught
            return
        assert not caught, [f"{w.category.__name__}: {w.message}" for w in caught]
        if expect.startswith("repair:"):
            kinds = {r.kind for r in result.report.repairs}
            assert expect[7:] in kinds, kinds
        _check_result(row, result)
        return
    cls = getattr(errors, expect)
    assert issubclass(cls, errors.MapdiffError)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no stray warnings on the way to the error either
        with pytest.raises(errors.MapdiffError) as info:
            _call(row["call"], path, monkeypatch)
    assert isinstance(info.value, cls), f"{type(info.value).__name__}: {info.value}"
    msg = str(info.value)
    assert frag in msg.lower(), msg
    if path is not None and not row["input"].startswith("sample:"):
        assert _names_input(path, msg), f"the message does not name the file: {msg}"
    assert "Traceback" not in msg and "\n" not in msg.strip()


# ------------------------------------------------------------------ the same rows, through the CLI
_ENV_OF_LIMIT = {
    "max_bytes": "MAPDIFF_MAX_BYTES",
    "max_vertices": "MAPDIFF_MAX_VERTICES",
    "max_feature_vertices": "MAPDIFF_MAX_FEATURE_VERTICES",
    "max_features": "MAPDIFF_MAX_FEATURES",
    "max_properties": "MAPDIFF_MAX_PROPERTIES",
}
_OPTION = {"source": "--source", "as_of": "--as-of", "crs": "--crs", "layer": "--layer"}


def _cli_argv(row, path, tmp_path, monkeypatch) -> list[str] | None:
    """The command line of a row, or None where the call has no command-line form."""
    import shlex

    spec = row["call"]
    if spec.startswith("cli:"):
        subs = {"in": str(path), "tmp": str(tmp_path)}
        subs.update({k: str(v) for k, v in _sample_copies(tmp_path).items()})
        return [a.format(**subs) for a in shlex.split(spec[4:])]
    for a in spec.split()[1:]:
        key, _, val = a.partition("=")
        if key.startswith("limits."):
            monkeypatch.setenv(_ENV_OF_LIMIT[key[7:]], val)
    name, kwargs = _parse_call(
        " ".join(a for a in spec.split() if not a.startswith("limits.")), path, monkeypatch
    )
    if name == "read_map":
        argv = ["info", str(path), "--json"]
        for key, val in kwargs.items():
            argv += ["--swap-xy"] if key == "swap_xy" else [_OPTION[key], str(val)]
        return argv
    if name == "load_profile":
        return ["info", str(_sample_copies(tmp_path)["s1"]), "--source", str(path)]
    if name == "footprint":
        return ["place", kwargs["name"]]
    if name == "footprint_from_file":
        s = _sample_copies(tmp_path)
        return ["compare", str(s["s1"]), str(s["s2"]), "--aoi", str(path)]
    if name == "shares":
        extra = ["--source", kwargs["source"]] if "source" in kwargs else []
        return [
            "history",
            str(path),
            "--place",
            kwargs["place"],
            "--workers",
            "1",
            "--no-cache",
            "--quiet",
            *extra,
        ]
    if name == "shares_cached":
        return _shares_cached(path, kwargs["then"], monkeypatch)
    if name == "compare_out":
        return ["compare", kwargs["a"], kwargs["b"], "--out", str(kwargs.get("out", path))]
    if name == "changes":
        return ["changes", kwargs["old"], str(kwargs.get("new", path))]
    if name == "check_claim":
        return [
            "claim",
            str(path),
            "--place",
            kwargs["place"],
            "--side",
            kwargs["side"],
            "--claimed",
            str(kwargs["claimed"]),
        ]
    if name == "encirclement":
        argv = ["encircle", str(path), "--place", kwargs["place"], "--by", kwargs["by"]]
        for key in ("rear", "fire_range_km"):
            if key in kwargs:
                argv += ["--" + key.replace("_", "-"), str(kwargs[key])]
        return argv
    return None  # read_ledger, check_claims and the maps built in code: library only


CLI_ROWS = [
    r
    for r in ROWS
    if r["expect"] != "pending"
    and r["call"].split()[0]
    not in (
        *("read_ledger", "validate_ledger", "check_claims", "compare_disjoint", "source_lag_disjoint"),
        *("context_layer", "read_provenance", "read_front_line"),  # library only
        "shares_cached",  # two runs with a change between: its CLI test is in test_hostile.py
    )
]


@pytest.mark.parametrize("row", CLI_ROWS, ids=[r["case"] for r in CLI_ROWS])
def test_bad_input_cli(row, tmp_path, monkeypatch, capsys):
    from mapdiff.cli import cli_syntax, main

    _TMP[0] = tmp_path
    path = _input(row["input"], tmp_path)
    argv = _cli_argv(row, path, tmp_path, monkeypatch)
    before = _digests(tmp_path, path)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse refuses a bad option value with exit 2
        code = exc.code
    out, err = capsys.readouterr()
    assert _digests(tmp_path, path) == before, "an input file was changed"
    assert "Traceback" not in err, err
    expect, frag = row["expect"], row["fragment"]
    if expect.startswith("exit:"):
        assert code == int(expect[5:]), (code, err)
        assert frag.lower() in (out + err).lower(), out + err
        return
    if expect in ("ok", "warn") or expect.startswith("repair:"):
        assert code == 0, err
        if expect == "warn":
            assert frag.lower() in err.lower(), err
        elif frag.startswith("area=") and argv[0] == "info":
            d = json.loads(out)
            held = sum(lab["area_km2"] for lab in d["labels"] if lab["drawn"])
            assert held == pytest.approx(float(frag[5:]), rel=1e-3)
        elif frag.startswith("labels=") and argv[0] == "info":
            d = json.loads(out)
            drawn = {
                lab["status"] + (":" + lab["side"] if lab["side"] else "")
                for lab in d["labels"]
                if lab["drawn"]
            }
            assert drawn == {w.partition("@")[0] for w in frag[7:].split(",")}, d["labels"]
        return
    assert code == 2, (code, out, err)
    lines = [ln for ln in err.splitlines() if ln.startswith("mapdiff ")]
    assert len(lines) == 1, err
    forms = {cli_syntax(frag).lower(), frag.lower().replace("_", "-")}  # argparse names --fire-range-km
    assert any(f in lines[0].lower() for f in forms), lines[0]
    if path is not None and not row["input"].startswith("sample:"):
        assert _names_input(path, lines[0]), f"the message does not name the file: {lines[0]}"


# ------------------------------------------------------------------ beyond the table
def test_stream_over_the_byte_limit_is_not_read_whole():
    class Stream(io.BytesIO):
        name = "upload.geojson"
        asked = None

        def read(self, n=-1):
            Stream.asked = n
            return super().read(n)

    with pytest.raises(errors.InputLimitError, match=r"upload\.geojson: .* over the limit of 1,000 bytes"):
        mapdiff.read_map(Stream(b" " * 2000), limits=Limits(max_bytes=1000))
    assert Stream.asked == 1001


def test_set_limits_and_raised_are_restored(tmp_path):
    p = gen_huge_ring(tmp_path)
    old = mapdiff.config.set_limits(max_vertices=1000)
    try:
        with pytest.raises(errors.InputLimitError, match="set_limits"):
            mapdiff.read_map(p)
        with mapdiff.config.raised(max_vertices=None, max_feature_vertices=None):
            assert _held_km2(mapdiff.read_map(p)) == pytest.approx(82.58, rel=1e-3)
        with pytest.raises(errors.InputLimitError):
            mapdiff.read_map(p)
    finally:
        mapdiff.config.set_limits(old)
    assert mapdiff.config._override is old


def test_profiles_are_data_not_code():
    """Profile loading never evaluates, executes or imports anything a profile names."""
    src = Path(mapdiff.profiles.__file__).read_text(encoding="utf-8")
    for word in (
        "eval(",
        "exec(",
        "__import__",
        "import_module",
        "getattr(",
        "pickle",
        "subprocess",
        "os.system",
        "compile(source",
    ):
        assert word not in src, f"mapdiff/profiles/__init__.py uses {word}"
    toml_text = "\n".join(
        p.read_text(encoding="utf-8") for p in Path(mapdiff.profiles.__file__).parent.glob("*.toml")
    )
    assert not re.search(r"\b(import|lambda|eval|exec)\b", toml_text)


def test_profile_keys_cannot_name_code(tmp_path):
    """Whatever key a profile tries, the loader knows only its data keys."""
    for key in ("function", "module", "callable", "python", "script", "plugin"):
        p = tmp_path / f"{key}.toml"
        p.write_text(f'name = "x"\n{key} = "os:system"\n[[rules]]\nstatus_column = "status"\n')
        with pytest.raises(errors.ProfileError, match=rf"unknown key\(s\) \['{key}'\]"):
            mapdiff.profiles.load_profile(p)
        r = tmp_path / f"rule_{key}.toml"
        r.write_text(f'name = "x"\n[[rules]]\nstatus_column = "status"\n{key} = "os:system"\n')
        with pytest.raises(errors.ProfileError, match=r"rules\[0\]"):
            mapdiff.profiles.load_profile(r)


def test_kml_reader_never_resolves_entities(tmp_path):
    """Even without a DOCTYPE check, nothing from the file system reaches the result."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    kml = (BAD / "kml_xxe.kml").read_text().replace("file:///etc/passwd", secret.as_uri())
    p = tmp_path / "xxe.kml"
    p.write_text(kml)
    with pytest.raises(errors.FormatError) as info:
        mapdiff.read_map(p)
    assert "TOPSECRET" not in str(info.value)


def test_fetchers_talk_only_to_declared_hosts():
    from mapdiff.sources import archives as sources

    hosts = {a.host for a in sources.ARCHIVES.values()}
    assert hosts and all(hosts)
    for url in (
        "https://evil.example.com/x.geojson",
        "http://" + next(iter(hosts)) + "/x",
        "file:///etc/passwd",
        "ftp://" + next(iter(hosts)) + "/x",
        "https://" + next(iter(hosts)) + ".evil.example.com/x",
    ):
        with pytest.raises(errors.ArgumentError, match="declared list of archive hosts"):
            sources._check_url(url)
    sources._check_url("https://" + next(iter(hosts)) + "/data/x.geojson")
    sources._check_url("http://127.0.0.1:8000/x.geojson")


def test_env_var_limits_are_honoured(monkeypatch, tmp_path):
    p = gen_huge_ring(tmp_path)
    monkeypatch.setenv("MAPDIFF_MAX_FEATURE_VERTICES", "1000")
    with pytest.raises(errors.InputLimitError, match="MAPDIFF_MAX_FEATURE_VERTICES"):
        mapdiff.read_map(p)
    monkeypatch.setenv("MAPDIFF_MAX_FEATURE_VERTICES", "0")  # 0 = no limit
    assert _held_km2(mapdiff.read_map(p)) == pytest.approx(82.58, rel=1e-3)


def test_limits_to_dict():
    d = Limits().to_dict()
    assert d["schema_version"] == 1 and d["max_bytes"] == 512 * 2**20
    assert os.environ.get("MAPDIFF_MAX_BYTES") is None


@pytest.mark.parametrize(
    "name", ["truncated.geojson", "kml_xxe.kml", "deep_nesting.json", "unknown_geometry_type.geojson"]
)
def test_cli_bad_input_exits_2_without_traceback(name, cli):
    proc = cli("info", BAD / name)  # an uncaught exception would fail here: the traceback
    assert proc.returncode == 2, proc.stderr
    assert name in proc.stderr


def test_history_reads_obey_the_limits(tmp_path, monkeypatch):
    """Releases/history read release bytes themselves; the limits still apply."""
    from mapdiff.io.detect import read_raw_bytes

    p = gen_huge_ring(tmp_path)
    monkeypatch.setenv("MAPDIFF_MAX_VERTICES", "1000")
    with pytest.raises(errors.InputLimitError, match=r"huge_ring\.geojson"):
        read_raw_bytes(p.read_bytes(), p.name, None, str(p))
