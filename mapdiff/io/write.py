"""Writing GeoDataFrames atomically: every geodata output of mapdiff goes through here."""

from __future__ import annotations

from pathlib import Path

from ..errors import ArgumentError
from .atomic import atomic_path

_EXT_DRIVERS = {
    ".gpkg": "GPKG",
    ".shp": "ESRI Shapefile",
    ".fgb": "FlatGeobuf",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
}


def write_gdf(gdf, path, *, driver: str | None = None, inputs=()) -> Path:
    """Write a GeoDataFrame atomically (temporary file, then rename).

    Parameters
    ----------
    gdf : GeoDataFrame
    path : str or Path
        ``.gpkg``, ``.geojson``/``.json``, ``.fgb`` or ``.shp``.
    driver : str, optional
        OGR driver name; inferred from the suffix by default.
    inputs : iterable of paths, optional
        Files this output must never replace (the inputs it was computed from).

    Examples
    --------
    >>> import tempfile, pathlib, geopandas as gpd, shapely
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "a.geojson"
    >>> _ = write_gdf(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)], crs=4326), out)
    >>> out.exists()
    True
    """
    import pyogrio

    from .atomic import refuse_overwrite

    path = Path(path)
    refuse_overwrite(path, inputs)
    driver = driver or _EXT_DRIVERS.get(path.suffix.lower())
    if driver is None:
        raise ArgumentError(
            f"{path}: cannot tell the format from the suffix; use .gpkg, "
            ".geojson, .fgb or .shp, or pass driver="
        )
    if driver == "ESRI Shapefile":
        return _write_multifile(gdf, path, driver)
    with atomic_path(path) as tmp:
        # the layer is named after the target, not the temporary file
        pyogrio.write_dataframe(gdf, tmp, driver=driver, layer=path.stem)
    return path


def _write_multifile(gdf, path: Path, driver: str) -> Path:
    """Shapefiles are several files: write them in a temporary folder beside the target,
    then move each into place, the .shp last (each rename is atomic; a reader never sees
    a .shp without its sidecars)."""
    import os
    import shutil
    import tempfile

    import pyogrio

    path.parent.mkdir(parents=True, exist_ok=True)
    tmpdir = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        pyogrio.write_dataframe(gdf, tmpdir / path.name, driver=driver, layer=path.stem)
        parts = sorted(tmpdir.iterdir(), key=lambda f: f.suffix.lower() == ".shp")
        for part in parts:
            os.replace(part, path.parent / part.name)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return path
