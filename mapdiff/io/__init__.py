"""Reading and writing maps.

- :mod:`mapdiff.io.read` — the one reading pipeline (limits → format → profile → clip →
  normalise), :func:`~mapdiff.read_map`;
- :mod:`mapdiff.io.detect` — which format a file is in, read into features
  (:mod:`mapdiff.io.geojson`, :mod:`mapdiff.io.formats`); :mod:`mapdiff.io.crs` — the CRS
  gate and the transformation to lon/lat;
- :mod:`mapdiff.io.gate` — the one gate every input file passes (local regular files only,
  read with a cap; GDAL only for signature-checked GeoPackage/FlatGeobuf/Shapefile bytes);
- :mod:`mapdiff.io.kml` — KML/KMZ without extraction or entity expansion;
- :mod:`mapdiff.profiles` — source profiles (TOML data);
- :mod:`mapdiff.config` — input size, feature and vertex limits;
- :mod:`mapdiff.io.atomic` and :mod:`mapdiff.io.write` — atomic writes of every output,
  never over an input.

This package imports nothing itself (its names load on first use), so the model can use
its writers without a cycle.
"""

from .._lazy import exports, stub

__all__, __getattr__, __dir__ = exports(
    __name__,
    stub(__file__),
)
