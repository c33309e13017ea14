"""Interactive maps (optional extra ``mapdiff[web]``: folium, mapclassify) for notebooks.

Same classes (the comparison's ``class`` column) and colours as the figures
(:mod:`mapdiff.model.classes`); one toggleable layer per class, named with its km². No tiles by
default (no network); pass ``tiles="OpenStreetMap"`` when online. Every result's
``explore()`` delegates to :func:`explore_result`, built on :meth:`geopandas.GeoDataFrame.explore`.
"""

from __future__ import annotations

import html
import json

import shapely

from ..errors import MissingDependencyError
from ..model.classes import CLASS_COLOURS
from .comparisons import class_entries, comparison_classes

__all__ = ["explore_comparison", "explore_result"]


def explore_comparison(
    comparison, *, side_a: str | None = None, side_b: str | None = None, tiles: str | None = None
):
    """A folium map of a Comparison: one layer per disagreement class.

    Parameters
    ----------
    comparison : Comparison
        As for :func:`mapdiff.draw.plot.plot_comparison`.
    side_a, side_b : str, optional
    tiles : str, optional
        A folium tile set (needs network when viewed); default none.

    Returns
    -------
    folium.Map

    Raises
    ------
    MapdiffError
        folium is not installed.

    Examples
    --------
    >>> m = explore_comparison(mapdiff.compare(a, b, aoi=footprint("Pokrovsk")))  # doctest: +SKIP
    """
    try:
        import folium
    except ImportError:
        raise MissingDependencyError("interactive maps need folium: pip install 'mapdiff[web]'") from None
    pieces = comparison.pieces
    aoi = getattr(comparison.aoi, "geometry", comparison.aoi)
    xmin, ymin, xmax, ymax = shapely.bounds(aoi)
    fmap = folium.Map(tiles=tiles, control_scale=True)
    fmap.fit_bounds([[ymin, xmin], [ymax, xmax]])
    _, _, classes = comparison_classes(comparison, side_a, side_b)
    for cls, text, _colour, km2 in class_entries(comparison, side_a, side_b):
        colour = CLASS_COLOURS[cls]
        sel = classes == cls
        # folium puts layer names and tooltips into the page as HTML: escape what came from a map
        name = html.escape(f"{text}: {km2:,.1f} km²")
        geom = shapely.union_all(pieces.geometry.to_numpy()[sel])
        feature = {
            "type": "Feature",
            "properties": {"class": name},
            "geometry": json.loads(shapely.to_geojson(geom)),
        }
        folium.GeoJson(
            feature,
            name=name,
            tooltip=name,
            style_function=lambda _f, c=colour: {
                "fillColor": c,
                "color": c,
                "weight": 0.5,
                "fillOpacity": 0.75,
            },
        ).add_to(fmap)
    folium.GeoJson(
        json.loads(shapely.to_geojson(aoi)),
        name="area of interest",
        style_function=lambda _f: {"fill": False, "color": "black", "weight": 2},
    ).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap


def explore_result(result, *, tiles: str | None = None, column: str | None = None, **kwargs):
    """An interactive map of a result's ``to_gdf()``, coloured by its ``class`` in the palette.

    Built on :meth:`geopandas.GeoDataFrame.explore`; every feature's columns show in its
    tooltip. The legend names each class as the figures do.

    Parameters
    ----------
    result : object with ``to_gdf()``
        A ControlMap, Comparison, ClaimCheck, Encirclement, Changes or Footprint.
    tiles : str, optional
        A basemap (``"OpenStreetMap"``, ``"CartoDB positron"``, ...), which needs the
        network when the map is viewed. Default: none, so the map works offline.
    column : str, optional
        Colour by this column instead of ``class``.
    **kwargs
        Passed to :meth:`geopandas.GeoDataFrame.explore` (``m=``, ``style_kwds=``, ...).

    Returns
    -------
    folium.Map

    Raises
    ------
    MissingDependencyError
        folium or mapclassify is not installed.

    Examples
    --------
    >>> m = mapdiff.check_claim(cmap, "Pokrovsk", "RU", claimed=0.7).explore()  # doctest: +SKIP
    """
    try:
        import folium  # noqa: F401
        import mapclassify  # noqa: F401
    except ImportError:
        raise MissingDependencyError(
            "interactive maps need folium and mapclassify: pip install 'mapdiff[web]'"
        ) from None
    gdf = result.to_gdf()
    style = result._class_style() if hasattr(result, "_class_style") else None
    if column is None and "class" in gdf.columns and style:
        present = [k for k in style if k in set(gdf["class"])]
        extra = sorted(set(gdf["class"]) - set(present))
        order = present + extra
        # the legend reads "class: label"; colours in the palette's order
        kwargs.setdefault("categories", [html.escape(str(k)) for k in order])
        kwargs.setdefault("cmap", [style[k][0] if k in style else "#888888" for k in order])
        kwargs.setdefault("categorical", True)
        column = "class"
    kwargs.setdefault("style_kwds", {"weight": 0.5, "fillOpacity": 0.7})
    # folium writes legend entries, tooltips and column names into the page as HTML: every
    # text that came from a map (a side, a name, a class label) is escaped first
    return _escaped(gdf).explore(column=column and html.escape(str(column)), tiles=tiles, **kwargs)


def _escaped(gdf):
    """``gdf`` with every text cell and column name HTML-escaped (geometry untouched)."""
    out = gdf.copy()
    geom = out.geometry.name
    for col in out.columns:
        if col != geom and (out[col].dtype == object or str(out[col].dtype).startswith("str")):
            out[col] = out[col].map(lambda v: html.escape(v) if isinstance(v, str) else v)
    return out.rename(columns={c: html.escape(str(c)) for c in out.columns if c != geom})
