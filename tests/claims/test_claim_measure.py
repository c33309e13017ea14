"""claims._measure (the fast path) gives the numbers of ControlMap.partition (the reference)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings, strategies as st

import mapdiff
from mapdiff.claims.check import _measure
from mapdiff.labels import CONTESTED, NOT_COVERED
from mapdiff.model.measure import area_km2
from mapdiff.places.footprints import footprint


def _reference(cmap, geom, side):
    labels, geoms = cmap.partition(geom)
    sizes = area_km2(np.asarray([*geoms, geom], dtype=object))
    parts, total = sizes[:-1], float(sizes[-1])
    held = sum(a for lab, a in zip(labels, parts, strict=True) if lab.holds and lab.side == side)
    grey = sum(a for lab, a in zip(labels, parts, strict=True) if lab.status == CONTESTED)
    nc = sum(a for lab, a in zip(labels, parts, strict=True) if lab == NOT_COVERED)
    return held, grey, total - nc, total


_MAP = {}


def _sample():
    if "m" not in _MAP:
        _MAP["m"] = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    return _MAP["m"]


@pytest.mark.parametrize("place", ["Pokrovsk", "Myrnohrad"])
@pytest.mark.parametrize("side", ["RU", "UA"])
def test_measure_equals_partition(place, side):
    m = _sample()
    geom = footprint(place).geometry
    fast = _measure(m, geom, side)
    held, grey, covered, total = _reference(m, geom, side)
    assert fast["held"] == pytest.approx(held, abs=1e-9)
    assert fast["grey"] == pytest.approx(grey, abs=1e-9)
    assert fast["covered"] == pytest.approx(covered, abs=1e-9)
    assert fast["total"] == pytest.approx(total, abs=1e-9)


@settings(max_examples=20, deadline=None)
@given(
    x=st.floats(37.0, 37.35),
    y=st.floats(48.1, 48.45),
    r=st.floats(0.005, 0.1),
    side=st.sampled_from(["RU", "UA"]),
)
def test_any_disc_measures_as_partition(x, y, r, side):
    """Discs inside, across and outside the sample's coverage edge."""
    m = _sample()
    geom = shapely.Point(x, y).buffer(r)
    if not shapely.intersects(geom, m.coverage):
        return
    fast = _measure(m, geom, side)
    held, grey, covered, total = _reference(m, geom, side)
    assert abs(fast["held"] - held) <= 1e-9 and abs(fast["grey"] - grey) <= 1e-9
    assert abs(fast["covered"] - covered) <= 1e-9 and abs(fast["total"] - total) <= 1e-9
