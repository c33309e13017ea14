"""Geodata out (mapdiff/io/write.py, io/qgis.py, _geo.py): every result with geometry
writes GeoPackage, GeoJSON, FlatGeobuf and GeoParquet with the same columns, states the
maps and footprint it comes from, and a GeoPackage opens in QGIS coloured by class."""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET

import geopandas as gpd
import pyogrio
import pytest

import mapdiff
from mapdiff.cli import main
from mapdiff.io.write import PROVENANCE_KEY, read_provenance
from mapdiff.model.classes import CLAIM_COLOURS, CLASS_COLOURS, ENCIRCLEMENT_COLOURS

FORMATS = ("gpkg", "geojson", "fgb", "parquet")


@pytest.fixture(scope="module")
def maps():
    return mapdiff.read_map(mapdiff.sample_path("2025-11-01")), mapdiff.read_map(
        mapdiff.sample_path("2025-11-27")
    )


@pytest.fixture(scope="module")
def results(maps):
    old, new = maps
    return {
        "map_info": new,
        "comparison": mapdiff.compare(old, new, aoi="Pokrovsk"),
        "claim_check": mapdiff.check_claim(new, "Pokrovsk", "RU", claimed=0.7),
        "encirclement": mapdiff.encirclement(new, "Myrnohrad", by="RU"),
        "changes": mapdiff.changes(old, new, aoi="Pokrovsk"),
        "footprint": mapdiff.footprint("Pokrovsk"),
        "many_comparison": mapdiff.compare_many(
            [old, new, mapdiff.read_map(mapdiff.sample_path("2025-12-15"))], aoi="Pokrovsk"
        ),
    }


def _read(path):
    if path.suffix == ".parquet":
        return gpd.read_parquet(path)
    return gpd.read_file(path, layer=path.stem if path.suffix == ".gpkg" else None)


@pytest.mark.parametrize(
    "kind",
    ["map_info", "comparison", "claim_check", "encirclement", "changes", "footprint", "many_comparison"],
)
def test_every_format_same_columns_crs_and_provenance(results, kind, tmp_path):
    r = results[kind]
    gdf = r.to_gdf()
    assert gdf.crs.to_epsg() == 4326 and len(gdf)
    if kind != "footprint":
        assert gdf.columns[0] == "class" and gdf["class"].notna().all()
    seen = {}
    for ext in FORMATS:
        out = r.to_file(tmp_path / f"{kind}.{ext}")
        back = _read(out)
        seen[ext] = list(back.columns)
        assert len(back) == len(gdf) and back.crs.to_epsg() == 4326
        # the same areas come back, whatever the format
        assert back["area_km2"].sum() == pytest.approx(gdf["area_km2"].sum(), rel=1e-9)
        prov = read_provenance(out)
        assert prov["type"] == kind and prov["mapdiff_version"] == mapdiff.__version__
        assert not list(tmp_path.glob(".*tmp*"))
    assert all(cols == list(gdf.columns) for cols in seen.values()), seen
    # __geo_interface__ is the same FeatureCollection, plain JSON
    gi = json.loads(json.dumps(r.__geo_interface__, allow_nan=False))
    assert gi["type"] == "FeatureCollection" and len(gi["features"]) == len(gdf)


def test_provenance_names_the_maps_and_footprint(results, maps, tmp_path):
    old, new = maps
    c = results["comparison"]
    for ext in FORMATS:
        prov = read_provenance(c.to_file(tmp_path / f"c.{ext}"))
        got = [(m["role"], m["source"], m["as_of"], m["file"], m["sha256"]) for m in prov["maps"]]
        assert got == [
            ("a", "deepstate", "2025-11-01", old.provenance.path.split("/")[-1], old.provenance.sha256),
            ("b", "deepstate", "2025-11-27", new.provenance.path.split("/")[-1], new.provenance.sha256),
        ]
        assert len(prov["maps"][0]["sha256"]) == 64
        fp = prov["footprint"]
        pokrovsk = mapdiff.footprint("Pokrovsk")
        assert fp["name"] == "Pokrovsk" and fp["footprint_kind"] == pokrovsk.kind
        assert fp["approximate"] is pokrovsk.approximate and fp["upper_bound"] is pokrovsk.upper_bound
        assert fp["provenance"] == mapdiff.footprint("Pokrovsk").provenance
    claim = read_provenance(results["claim_check"].to_file(tmp_path / "k.gpkg"))
    assert claim["maps"][0]["sha256"] == new.provenance.sha256 and claim["footprint"]["name"] == "Pokrovsk"


def test_provenance_where_each_format_keeps_it(results, tmp_path):
    c = results["comparison"]
    gj = json.loads(c.to_file(tmp_path / "c.geojson").read_text())
    assert gj["type"] == "FeatureCollection" and gj["provenance"]["type"] == "comparison"  # foreign member
    gpkg = c.to_file(tmp_path / "c.gpkg")
    con = sqlite3.connect(gpkg)
    (desc,) = con.execute("SELECT description FROM gpkg_contents WHERE table_name = 'c'").fetchone()
    (md,) = con.execute("SELECT metadata FROM gpkg_metadata").fetchone()
    con.close()
    assert json.loads(desc)["maps"][1]["as_of"] == "2025-11-27"
    assert PROVENANCE_KEY in md  # the GeoPackage metadata extension, as GDAL writes layer metadata
    import pyarrow.parquet as pq

    meta = pq.read_schema(c.to_file(tmp_path / "c.parquet")).metadata
    assert b"geo" in meta and json.loads(meta[PROVENANCE_KEY.encode()])["type"] == "comparison"
    assert pyogrio.read_info(c.to_file(tmp_path / "c.fgb"))["layer_metadata"]["DESCRIPTION"].startswith("{")


def _style(path, layer):
    con = sqlite3.connect(path)
    rows = con.execute(
        "SELECT f_table_name, f_geometry_column, styleName, styleQML, styleSLD, useAsDefault "
        "FROM layer_styles WHERE f_table_name = ?",
        (layer,),
    ).fetchall()
    cols = [r[1] for r in con.execute("PRAGMA table_info(layer_styles)")]
    con.close()
    return rows, cols


def _categories(qml: str) -> dict:
    """{value: (r, g, b)} of a categorized QML renderer."""
    root = ET.fromstring(qml.split("\n", 1)[1])  # past the DOCTYPE line
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "class"
    symbols = {s.get("name"): s for s in renderer.find("symbols")}
    out = {}
    for cat in renderer.find("categories"):
        sym = symbols[cat.get("symbol")]
        opts = {o.get("name"): o.get("value") for o in sym.iter("Option") if o.get("name")}
        colour = opts.get("color") or opts.get("line_color")
        out[cat.get("value")] = tuple(int(x) for x in colour.split(",")[:3])
        assert cat.get("label")
    return out


def _rgb(hex_colour: str) -> tuple:
    h = hex_colour.lstrip("#")
    return tuple(int(h[i : i + 2], 16) for i in (0, 2, 4))


@pytest.mark.parametrize(
    ("kind", "palette"),
    [("comparison", CLASS_COLOURS), ("claim_check", CLAIM_COLOURS), ("encirclement", ENCIRCLEMENT_COLOURS)],
)
def test_gpkg_has_a_qgis_style_with_one_category_per_class(results, kind, palette, tmp_path):
    r = results[kind]
    out = r.to_file(tmp_path / f"{kind}.gpkg")
    rows, cols = _style(out, kind)
    assert cols == [
        "id",
        "f_table_catalog",
        "f_table_schema",
        "f_table_name",
        "f_geometry_column",
        "styleName",
        "styleQML",
        "styleSLD",
        "useAsDefault",
        "description",
        "owner",
        "ui",
        "update_time",
    ]
    ((table, geom_col, _, qml, sld, default),) = rows
    assert table == kind and default == 1
    assert geom_col == pyogrio.read_info(out, layer=kind)["geometry_name"]
    cats = _categories(qml)
    assert set(cats) == set(r.to_gdf()["class"])  # one category per class present
    assert cats == {k: _rgb(palette[k]) for k in cats}  # in the project's palette
    ET.fromstring(sld)  # well-formed


def test_no_style_when_asked_or_no_classes(results, tmp_path):
    out = results["comparison"].to_file(tmp_path / "c.gpkg", style=False)
    con = sqlite3.connect(out)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    con.close()
    assert "layer_styles" not in tables
    out = results["footprint"].to_file(tmp_path / "f.gpkg")  # a footprint has no classes
    assert "layer_styles" not in {
        r[0] for r in sqlite3.connect(out).execute("SELECT name FROM sqlite_master")
    }


def test_cli_compare_out_gpkg_acceptance(maps, tmp_path, capsys):
    """`mapdiff compare A B --out x.gpkg`: read back, it names both maps with dates and sha256,
    and it carries a style table."""
    a, b = (str(mapdiff.sample_path(d)) for d in ("2025-11-01", "2025-11-27"))
    out = tmp_path / "x.gpkg"
    assert main(["compare", a, b, "--place", "Pokrovsk", "--out", str(out)]) == 0
    capsys.readouterr()
    back = gpd.read_file(out, layer="x")
    assert {"class", "a_label", "b_label", "cause", "area_km2"} <= set(back.columns)
    assert set(back["cause"]) <= {"scope", "noise", "real"}  # the disagreement only, by default
    info = pyogrio.read_info(out, layer="x")
    prov = json.loads(info["layer_metadata"][PROVENANCE_KEY])
    assert [(m["as_of"], m["sha256"]) for m in prov["maps"]] == [
        (x.as_of.isoformat(), x.provenance.sha256) for x in maps
    ]
    assert _style(out, "x")[0]


def test_shapefile_and_unknown_suffix(results, tmp_path):
    out = results["map_info"].to_file(tmp_path / "m.shp")
    assert list(gpd.read_file(out).columns)[:2] == ["class", "status"]
    with pytest.raises(mapdiff.errors.ArgumentError, match=r"\.parquet"):
        results["map_info"].to_file(tmp_path / "m.xyz")


def test_parquet_without_pyarrow_names_the_extra(results, tmp_path, monkeypatch):
    import builtins

    real = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name.startswith("pyarrow"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    with pytest.raises(mapdiff.errors.MapdiffError, match=r"pip install 'mapdiff\[parquet\]'"):
        results["map_info"].to_file(tmp_path / "m.parquet")
    assert not (tmp_path / "m.parquet").exists()


def test_comparison_components_have_a_crs(results):
    comps = results["comparison"].components
    assert isinstance(comps, gpd.GeoDataFrame) and comps.crs.to_epsg() == 4326


def test_explore_is_offline_by_default_and_coloured_by_class(results):
    pytest.importorskip("folium")
    pytest.importorskip("mapclassify")
    for kind in ("comparison", "claim_check", "encirclement", "map_info"):
        html = results[kind].explore().get_root().render()
        assert "tile.openstreetmap" not in html and "cartocdn" not in html  # no network
        classes = set(results[kind].to_gdf()["class"])
        style = results[kind]._class_style()
        for cls in classes:
            assert style[cls][0].lower() in html.lower()  # the palette colour reaches the map
    html = results["footprint"].explore(tiles="OpenStreetMap").get_root().render()
    assert "tile.openstreetmap" in html
