"""measure's written-out LAEA pipelines give exactly what pyproj's from_crs gives."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest

from mapdiff.model.measure import _inverse_transformer, _laea, _transformer

WGS84 = pyproj.CRS.from_epsg(4326)


@pytest.mark.parametrize("centre", [(37.2, 48.3), (24.0, 49.8), (-120.5, 35.1), (0.0, 0.0), (151.2, -33.9)])
def test_pipelines_equal_from_crs(centre):
    lon, lat = centre
    rng = np.random.default_rng(1)
    x, y = rng.uniform(lon - 5, lon + 5, 5000), rng.uniform(max(lat - 5, -89), min(lat + 5, 89), 5000)
    ref = pyproj.Transformer.from_crs(WGS84, _laea(lon, lat), always_xy=True)
    fx, fy = _transformer(lon, lat).transform(x, y)
    rx, ry = ref.transform(x, y)
    assert np.array_equal(fx, rx) and np.array_equal(fy, ry)
    inv = pyproj.Transformer.from_crs(_laea(lon, lat), WGS84, always_xy=True)
    bx, by = _inverse_transformer(lon, lat).transform(fx, fy)
    ix, iy = inv.transform(rx, ry)
    assert np.array_equal(bx, ix) and np.array_equal(by, iy)
