"""QGIS layer styles: a categorized renderer keyed on ``class``, as QML and SLD, and the
``layer_styles`` table QGIS reads from a GeoPackage (so the layer opens coloured, with
a legend).

The table has QGIS's own schema (the one QGIS creates when you "Save style → in
database"); QGIS applies the row with ``useAsDefault`` when the layer is added.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from xml.sax.saxutils import escape, quoteattr

__all__ = ["add_layer_style", "categorized_qml", "categorized_sld"]

#: QGIS's ``layer_styles`` schema (as QGIS 3 creates it in a GeoPackage).
LAYER_STYLES_SQL = """CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    f_table_catalog TEXT(256),
    f_table_schema TEXT(256),
    f_table_name TEXT(256),
    f_geometry_column TEXT(256),
    styleName TEXT(30),
    styleQML TEXT,
    styleSLD TEXT,
    useAsDefault BOOLEAN,
    description TEXT,
    owner TEXT(30),
    ui TEXT,
    update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)"""


def _rgba(colour: str, alpha: int = 255) -> str:
    """``#RRGGBB`` as QGIS's ``r,g,b,a``."""
    c = colour.lstrip("#")
    return f"{int(c[0:2], 16)},{int(c[2:4], 16)},{int(c[4:6], 16)},{alpha}"


def _symbol(i: int, colour: str, kind: str) -> str:
    if kind == "line":
        props = {"line_color": _rgba(colour), "line_width": "0.8", "line_style": "solid", "capstyle": "flat"}
        cls, stype = "SimpleLine", "line"
    else:
        props = {
            "color": _rgba(colour, 217),
            "outline_color": _rgba("#404040"),
            "outline_width": "0.1",
            "outline_style": "solid",
            "style": "solid",
        }
        cls, stype = "SimpleFill", "fill"
    options = "".join(f'<Option type="QString" name="{k}" value="{v}"/>' for k, v in props.items())
    legacy = "".join(f'<prop k="{k}" v="{v}"/>' for k, v in props.items())
    return (
        f'<symbol type="{stype}" name="{i}" alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="{cls}" enabled="1" pass="0" locked="0">'
        f'<Option type="Map">{options}</Option>{legacy}</layer></symbol>'
    )


def categorized_qml(categories: dict, field: str = "class", kinds: dict | None = None) -> str:
    """A QML document: one category per class, in the given order.

    Parameters
    ----------
    categories : dict
        ``{value: (colour "#RRGGBB", legend label)}``.
    field : str
        The attribute the renderer is keyed on.
    kinds : dict, optional
        ``{value: "fill" | "line"}``; fill by default.

    Examples
    --------
    >>> qml = categorized_qml({"held": ("#D55E00", "held by RU")})
    >>> 'value="held"' in qml and "213,94,0" in qml
    True
    """
    kinds = kinds or {}
    cats, syms = [], []
    for i, (value, (colour, label)) in enumerate(categories.items()):
        cats.append(
            f'<category render="true" symbol="{i}" value={quoteattr(str(value))} '
            f'label={quoteattr(str(label))} type="string"/>'
        )
        syms.append(_symbol(i, colour, kinds.get(value, "fill")))
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        '<qgis version="3.28.0" styleCategories="Symbology">'
        f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(field)} symbollevels="0" '
        'enableorderby="0" forceraster="0">'
        f"<categories>{''.join(cats)}</categories><symbols>{''.join(syms)}</symbols>"
        "</renderer-v2></qgis>\n"
    )


def categorized_sld(layer: str, categories: dict, field: str = "class", kinds: dict | None = None) -> str:
    """The same style as an OGC SLD 1.1 document (for tools other than QGIS)."""
    kinds = kinds or {}
    rules = []
    for value, (colour, label) in categories.items():
        if kinds.get(value) == "line":
            sym = (
                "<se:LineSymbolizer><se:Stroke>"
                f'<se:SvgParameter name="stroke">{colour}</se:SvgParameter>'
                '<se:SvgParameter name="stroke-width">2</se:SvgParameter>'
                "</se:Stroke></se:LineSymbolizer>"
            )
        else:
            sym = (
                "<se:PolygonSymbolizer><se:Fill>"
                f'<se:SvgParameter name="fill">{colour}</se:SvgParameter>'
                "</se:Fill></se:PolygonSymbolizer>"
            )
        rules.append(
            f"<se:Rule><se:Name>{escape(str(value))}</se:Name>"
            f"<se:Description><se:Title>{escape(str(label))}</se:Title></se:Description>"
            '<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc"><ogc:PropertyIsEqualTo>'
            f"<ogc:PropertyName>{escape(field)}</ogc:PropertyName>"
            f"<ogc:Literal>{escape(str(value))}</ogc:Literal>"
            f"</ogc:PropertyIsEqualTo></ogc:Filter>{sym}</se:Rule>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<StyledLayerDescriptor version="1.1.0" xmlns="http://www.opengis.net/sld" '
        'xmlns:se="http://www.opengis.net/se">'
        f"<NamedLayer><se:Name>{escape(layer)}</se:Name><UserStyle><se:Name>{escape(layer)}</se:Name>"
        f"<se:FeatureTypeStyle>{''.join(rules)}</se:FeatureTypeStyle></UserStyle></NamedLayer>"
        "</StyledLayerDescriptor>"
    )


def add_layer_style(
    gpkg_path,
    layer: str,
    categories: dict,
    *,
    field: str = "class",
    kinds: dict | None = None,
    geometry_column: str = "geom",
    description: str = "",
) -> None:
    """Add (or replace) the default style of ``layer`` in a GeoPackage's ``layer_styles``.

    GDAL lists the table as a second layer (as for a style QGIS saves): name the layer
    when reading, ``geopandas.read_file(path, layer=...)``, or let the first one be read.
    """
    qml = categorized_qml(categories, field, kinds)
    sld = categorized_sld(layer, categories, field, kinds)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    con = sqlite3.connect(gpkg_path)
    try:
        with con:
            con.execute(LAYER_STYLES_SQL)
            con.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (layer,))
            con.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
                "VALUES ('', '', ?, ?, ?, ?, ?, 1, ?, 'mapdiff', NULL, ?)",
                (layer, geometry_column, f"{layer} (mapdiff)", qml, sld, description, now),
            )
    finally:
        con.close()
