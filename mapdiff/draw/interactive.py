"""Interactive maps (optional extra ``mapdiff[web]``: folium) of a Comparison, for notebooks.

Same classes and colours as :mod:`mapdiff.draw.plot`; one toggleable layer per class, named
with its km². No tiles by default (no network); pass ``tiles="OpenStreetMap"`` when online.
"""

from __future__ import annotations

import html
import json

import numpy as np
import shapely

from ..errors import MissingDependencyError

__all__ = ["explore_comparison"]


def explore_comparison(
    comparison, side_a: str | None = None, side_b: str | None = None, tiles: str | None = None
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
    from .plot import CLASS_COLOURS, _class_text, _comparison_sides, classify_pieces

    a, b = comparison.a, comparison.b
    side_a, side_b = _comparison_sides(a, b, side_a, side_b)
    pieces = comparison.pieces
    aoi = getattr(comparison.aoi, "geometry", comparison.aoi)
    xmin, ymin, xmax, ymax = shapely.bounds(aoi)
    fmap = folium.Map(tiles=tiles, control_scale=True)
    fmap.fit_bounds([[ymin, xmin], [ymax, xmax]])
    classes = classify_pieces(pieces, side_a, side_b)
    area = np.asarray(pieces["area_km2"], dtype=float)
    for cls, colour in CLASS_COLOURS.items():
        sel = classes == cls
        if not sel.any():
            continue
        # folium puts layer names and tooltips into the page as HTML: escape what came from a map
        name = html.escape(f"{_class_text(cls, a, b, side_a, side_b)}: {area[sel].sum():,.1f} km²")
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
