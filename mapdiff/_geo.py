"""What every result with geometry shares: ``to_file``, ``__geo_interface__`` and ``explore``,
all built on the result's own ``to_gdf()`` (one column schema whatever the output)."""

from __future__ import annotations

from pathlib import Path

from ._json import jsonable
from .io.write import write_result

__all__ = ["GeoResult"]


class GeoResult:
    """Mixin for results with geometry.

    A subclass provides ``to_gdf()`` (EPSG:4326, a ``class`` column where it has
    classes), ``_export_provenance()`` (see :func:`mapdiff.io.write.export_provenance`)
    and, when it has classes, ``_class_style()`` (``{class: (colour, label[, kind])}``).
    """

    __slots__ = ()

    def _class_style(self) -> dict | None:
        return None

    def to_file(self, path, *, driver: str | None = None, style: bool = True, **kwargs) -> Path:
        """Write ``to_gdf(**kwargs)`` atomically, with the provenance as file metadata.

        Parameters
        ----------
        path : str or Path
            ``.gpkg``, ``.geojson``, ``.fgb`` or ``.parquet`` (GeoParquet, needs
            ``pip install 'mapdiff[parquet]'``); ``.shp`` without provenance.
        driver : str, optional
            Inferred from the suffix by default.
        style : bool, default True
            Embed a QGIS style keyed on ``class`` in the project's palette (GeoPackage).

        Returns
        -------
        Path

        See :mod:`mapdiff.io.write` for where each format keeps the provenance.
        """
        return write_result(self, path, driver=driver, style=style, **kwargs)

    @property
    def __geo_interface__(self) -> dict:
        """``to_gdf()`` as a GeoJSON FeatureCollection (lon/lat; NaN as null)."""
        return jsonable(self.to_gdf().to_geo_dict(na="null", drop_id=True))

    def explore(self, **kwargs):
        """An interactive (folium) map of ``to_gdf()``, coloured by class; offline by default.

        See :func:`mapdiff.draw.interactive.explore_result` (needs ``mapdiff[web]``).
        """
        from .draw.interactive import explore_result

        return explore_result(self, **kwargs)
