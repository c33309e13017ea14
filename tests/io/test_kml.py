"""KML/KMZ reader: styles, style maps, folders, geometries, and refusal of unsafe input."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import GREY, ROOT, RU, UA

import mapdiff
from mapdiff.errors import FormatError, InputLimitError
from mapdiff.io import kml

PROFILE = ROOT / "docs" / "profiles" / "handmade_kml.toml"


def ring(x0, y0, x1, y1) -> str:
    return f"{x0},{y0},0 {x1},{y0},0 {x1},{y1},0 {x0},{y1},0 {x0},{y0},0"


def polygon(outer, *holes) -> str:
    inner = "".join(
        f"<innerBoundaryIs><LinearRing><coordinates>{h}</coordinates></LinearRing></innerBoundaryIs>"
        for h in holes
    )
    return (
        f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{outer}</coordinates>"
        f"</LinearRing></outerBoundaryIs>{inner}</Polygon>"
    )


# A My Maps-like export: shared styles, a StyleMap (normal/highlight), an inline style,
# nested folders, a MultiGeometry with a hole, a pin and an arrow.
HANDMADE = f"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">
<Document><name>Front 27 Nov</name>
  <Style id="poly-FF0000-normal"><LineStyle><color>ff000000</color></LineStyle>
    <PolyStyle><color>4c0000ff</color></PolyStyle></Style>
  <Style id="poly-FF0000-highlight"><PolyStyle><color>ff00ff00</color></PolyStyle></Style>
  <StyleMap id="poly-FF0000">
    <Pair><key>normal</key><styleUrl>#poly-FF0000-normal</styleUrl></Pair>
    <Pair><key>highlight</key><styleUrl>#poly-FF0000-highlight</styleUrl></Pair>
  </StyleMap>
  <Style id="blue"><PolyStyle><color>80ff0000</color><fill>1</fill></PolyStyle></Style>
  <Folder><name>Russian</name>
    <Placemark><name>Occupied west</name><styleUrl>#poly-FF0000</styleUrl>
      {polygon(ring(37.0, 48.0, 37.1, 48.2))}</Placemark>
    <Folder><name>Pockets</name>
      <Placemark><name>Pocket</name><styleUrl>#poly-FF0000</styleUrl>
        <MultiGeometry>{polygon(ring(37.3, 48.0, 37.4, 48.1), ring(37.33, 48.03, 37.37, 48.07))}
        {polygon(ring(37.5, 48.0, 37.55, 48.05))}</MultiGeometry></Placemark>
    </Folder>
  </Folder>
  <Folder><name>Grey zone</name>
    <Placemark><name>Strip</name><styleUrl>#blue</styleUrl>
      {polygon(ring(37.09, 48.0, 37.12, 48.2))}</Placemark>
  </Folder>
  <Placemark><name>Ukrainian east</name>
    <Style><PolyStyle><color>ffd18802</color></PolyStyle></Style>
    {polygon(ring(37.12, 48.0, 37.2, 48.2))}
    <ExtendedData><Data name="source_note"><value>analyst A</value></Data></ExtendedData>
  </Placemark>
  <Placemark><name>HQ</name><Point><coordinates>37.15,48.1,0</coordinates></Point></Placemark>
  <Placemark><name>Arrow</name><styleUrl>#poly-FF0000</styleUrl>
    <LineString><coordinates>37.05,48.1 37.15,48.1</coordinates></LineString></Placemark>
</Document></kml>
""".encode()


def test_properties_styles_and_folders():
    table, geoms = kml.read_kml(HANDMADE, "front.kml")
    assert list(table["name"]) == ["Occupied west", "Pocket", "Strip", "Ukrainian east", "HQ", "Arrow"]
    assert list(table["folder"].fillna("")) == ["Russian", "Russian/Pockets", "Grey zone", "", "", ""]
    # StyleMap resolved through its normal pair; KML aabbggrr -> #rrggbb
    assert table.loc[0, "fill"] == "#ff0000"
    assert table.loc[0, "fill_opacity"] == pytest.approx(0x4C / 255, abs=1e-3)
    assert table.loc[0, "stroke"] == "#000000"
    assert table.loc[0, "style_url"] == "#poly-FF0000"
    assert table.loc[2, "fill"] == "#0000ff"
    assert table.loc[3, "fill"] == "#0288d1"  # inline style
    assert table.loc[3, "source_note"] == "analyst A"
    assert pd.isna(table.loc[4, "fill"])
    assert [g.geom_type for g in geoms] == [
        "Polygon",
        "MultiPolygon",
        "Polygon",
        "Polygon",
        "Point",
        "LineString",
    ]
    pocket = geoms[1].geoms[0]
    assert len(pocket.interiors) == 1
    expected = shapely.difference(
        shapely.box(37.3, 48.0, 37.4, 48.1), shapely.box(37.33, 48.03, 37.37, 48.07)
    )
    assert pocket.symmetric_difference(expected).area < 1e-12


def test_handmade_map_labelled_by_toml_profile():
    m = mapdiff.read_map(io.BytesIO(HANDMADE), source=str(PROFILE), as_of="2025-11-27")
    assert m.source == "handmade_kml"
    assert set(m.labels) == {GREY, RU, UA}
    # The grey strip wins where it overlaps the red and blue polygons (profile precedence).
    ru_expected = shapely.union_all(
        [
            shapely.box(37.0, 48.0, 37.09, 48.2),
            shapely.difference(shapely.box(37.3, 48.0, 37.4, 48.1), shapely.box(37.33, 48.03, 37.37, 48.07)),
            shapely.box(37.5, 48.0, 37.55, 48.05),
        ]
    )
    assert m.area(RU) == pytest.approx(mapdiff.model.geodesic_area_km2(ru_expected), rel=1e-3)
    assert m.area(GREY) == pytest.approx(
        mapdiff.model.geodesic_area_km2(shapely.box(37.09, 48.0, 37.12, 48.2)), rel=1e-3
    )
    kinds = {r.kind: r for r in m.report.repairs}
    assert kinds["unlabelled_dropped"].count == 1  # the pin: dropped by the profile's "drop" rule
    assert kinds["non_areal_dropped"].count == 1  # the red arrow: labelled, but a line
    assert kinds["overlap_resolved"].area_km2 > 0


def test_kmz_reads_doc_kml():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("files/icon.png", b"\x89PNG")
        zf.writestr("other.kml", b"<kml><Document/></kml>")
        zf.writestr("doc.kml", HANDMADE)
    m = mapdiff.read_map(io.BytesIO(buf.getvalue()), source=str(PROFILE))
    assert RU in m.labels
    table, _ = kml.read_kmz(buf.getvalue(), "front.kmz")
    assert len(table) == 6


def test_kmz_takes_first_kml_without_doc_kml():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("maps/front.kml", HANDMADE)
    table, _ = kml.read_kmz(buf.getvalue(), "front.kmz")
    assert table.loc[0, "name"] == "Occupied west"


@pytest.mark.parametrize("member", ["../evil.kml", "/etc/evil.kml", "a/../../evil.kml", "C:/evil.kml"])
def test_kmz_member_climbing_out_is_refused(member):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("doc.kml", HANDMADE)
        zf.writestr(member, HANDMADE)
    with pytest.raises(FormatError, match="climbs out"):
        kml.read_kmz(buf.getvalue(), "evil.kmz")


def test_kmz_zip_bomb_ratio_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("doc.kml", b"<kml>" + b" " * (5 * 2**20) + b"</kml>")
    with pytest.raises(InputLimitError, match="zip bomb"):
        mapdiff.read_map(io.BytesIO(buf.getvalue()))


def test_kmz_total_size_cap(monkeypatch):
    monkeypatch.setattr(kml, "MAX_UNCOMPRESSED", 1000)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("doc.kml", HANDMADE)
    with pytest.raises(InputLimitError, match="MAX_UNCOMPRESSED"):
        kml.read_kmz(buf.getvalue(), "big.kmz")


def test_damaged_kmz():
    with pytest.raises(FormatError, match="damaged"):
        kml.read_kmz(b"PK\x03\x04 not really a zip", "bad.kmz")


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE kml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<kml><Placemark><name>&xxe;</name><Point><coordinates>0,0</coordinates></Point></Placemark></kml>"""

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>
<kml><Placemark><name>&lol2;</name></Placemark></kml>"""

ENTITY_NO_DTD_LINE = b"""<kml><Placemark><name>&amp; fine</name>
<Point><coordinates>0,0</coordinates></Point></Placemark></kml>"""


@pytest.mark.parametrize("doc", [XXE, BOMB], ids=["external-entity", "entity-expansion"])
def test_entities_and_dtds_are_refused(doc):
    with pytest.raises(FormatError, match="refuse") as err:
        mapdiff.read_map(io.BytesIO(doc))
    assert "passwd" not in str(err.value) and "lollol" not in str(err.value)


def test_predefined_entities_still_read():
    table, _ = kml.read_kml(ENTITY_NO_DTD_LINE, "amp.kml")
    assert table.loc[0, "name"] == "& fine"


@pytest.mark.parametrize(
    "doc, match",
    [
        (b"<kml><Document><name>x</name></Document></kml>", "without any Placemark"),
        (b"<gpx><trk/></gpx>", "not KML"),
        (b"<kml><Placemark><name>x</name>", "not well-formed"),
        (b"<kml><Placemark><Point><coordinates>a,b</coordinates></Point></Placemark></kml>", "not numbers"),
    ],
)
def test_bad_kml_says_what_is_wrong(doc, match):
    with pytest.raises(FormatError, match=match):
        kml.read_kml(doc, "bad.kml")


def test_degenerate_ring_and_sloppy_coordinates():
    doc = f"""<kml><Folder><name>F</name>
      <Placemark><name>line-like</name>{polygon("37,48 37.1,48")}</Placemark>
      <Placemark><name>spaced</name>{polygon("37, 48  37.1, 48  37.1, 48.1  37, 48.1")}</Placemark>
    </Folder></kml>""".encode()
    table, geoms = kml.read_kml(doc, "sloppy.kml")
    assert geoms[0] is None  # nothing areal left: normalise counts it as empty
    assert geoms[1].equals(shapely.box(37, 48, 37.1, 48.1))  # ring closed, spaces after commas
    assert table.loc[1, "folder"] == "F"


def test_unrecognised_kml_asks_for_a_profile():
    with pytest.raises(mapdiff.errors.UnknownSourceError, match="TOML profile") as err:
        mapdiff.read_map(io.BytesIO(HANDMADE))
    # the message lists the fills and folders a profile's rules could use
    assert "'#ff0000' (3)" in str(err.value) and "'Russian/Pockets' (1)" in str(err.value)


def test_colour_conversion():
    assert kml._colour("ff0000ff") == ("#ff0000", 1.0)
    assert kml._colour("00ff0000") == ("#0000ff", 0.0)
    assert kml._colour("zzzz") == (None, None)
    assert np.isclose(kml._colour("80ffffff")[1], 128 / 255, atol=1e-3)


def test_absurd_nesting_is_a_format_error():
    depth = 5000
    doc = (
        "<kml>"
        + "<Folder><name>f</name>" * depth
        + "<Placemark><name>x</name></Placemark>"
        + "</Folder>" * depth
        + "</kml>"
    ).encode()
    with pytest.raises(FormatError, match="nested too deeply"):
        kml.read_kml(doc, "deep.kml")
