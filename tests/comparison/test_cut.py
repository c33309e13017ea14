"""The displacement's line cut (:mod:`mapdiff.comparison.cut`): the closed-form capsule
intervals and the buffer-free cut against the GEOS buffers and differences it replaces."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from conftest import shared_file

import mapdiff
import mapdiff.comparison.core as C
from mapdiff.comparison.cut import NearZone, NearZoneReference, capsule_t, cut_near, cut_near_reference

#: a buffer's border lies up to r (1 - cos(pi / 32)) inside the true distance r (8 segments
#: per quarter circle): 4.8 mm for r = 1 m; a cut point moves by that over the sine of the
#: angle the line meets the zone at, so 5 cm bounds it for the angles below
CUT_TOL_M = 0.05


def test_capsule_intervals_match_sampled_distances():
    """Each interval holds exactly the sampled points of the segment within r of the other."""
    rng = np.random.default_rng(7)
    n = 400
    p0, d = rng.uniform(-3, 3, (n, 2)), rng.uniform(-4, 4, (n, 2))
    q0, q1 = rng.uniform(-3, 3, (n, 2)), rng.uniform(-3, 3, (n, 2))
    q1[:20] = q0[:20]  # a zone segment of no length: its disc only
    d[20:40] = q1[20:40] - q0[20:40]  # parallel to the zone segment
    lo, hi, ok = capsule_t(p0, d, q0, q1, 1.0)
    t = np.linspace(0.0, 1.0, 801)
    for i in range(n):
        pts = shapely.points(p0[i] + t[:, None] * d[i])
        near = (
            shapely.distance(
                pts, shapely.LineString([q0[i], q1[i]]) if (q0[i] != q1[i]).any() else shapely.Point(q0[i])
            )
            <= 1.0
        )
        inside = ok[i] & (t >= lo[i] - 1e-9) & (t <= hi[i] + 1e-9)
        # samples within 1e-6 m of the distance r may fall either way
        edge = (
            np.abs(
                shapely.distance(
                    pts,
                    shapely.LineString([q0[i], q1[i]]) if (q0[i] != q1[i]).any() else shapely.Point(q0[i]),
                )
                - 1.0
            )
            < 1e-6
        )
        assert np.array_equal(near[~edge], inside[~edge]), i


def _random_case(rng):
    """A wavy line of three parts (one closed), a zone line and two zone polygons."""
    parts = []
    for k in range(3):
        xy = np.cumsum(rng.normal(0, 3, (30, 2)), axis=0)
        if k == 0:
            xy = np.vstack([xy, xy[:1]])
        parts.append(xy)
    line = shapely.MultiLineString(parts)
    zone_line = shapely.LineString(np.cumsum(rng.normal(0, 4, (20, 2)), axis=0))
    polys = [
        shapely.buffer(shapely.Point(rng.normal(0, 6, 2)), rng.uniform(1, 4), quad_segs=3) for _ in range(2)
    ]
    return line, zone_line, polys


def _long(g, at_least):
    parts = shapely.get_parts(g)
    return shapely.multilinestrings(parts[shapely.length(parts) >= at_least])


@pytest.mark.parametrize("seed", range(25))
def test_cut_equals_the_geos_buffer_cut(seed):
    """The same parts as the GEOS buffers and differences, to within the buffer's error:
    where a line grazes the zone between the polygon's border and the true distance r,
    GEOS keeps a piece of a few millimetres that the exact cut drops, so parts shorter
    than 10 cm are left out of the comparison (and none longer may differ)."""
    line, zone_line, polys = _random_case(np.random.default_rng(seed))
    fast, ref = cut_near(line, [zone_line], polys), cut_near_reference(line, [zone_line], polys)
    fast, ref = _long(fast, 2 * CUT_TOL_M), _long(ref, 2 * CUT_TOL_M)
    assert not ref.is_empty and not fast.is_empty
    assert shapely.get_num_geometries(fast) == shapely.get_num_geometries(ref)
    assert shapely.hausdorff_distance(fast, ref) <= 2 * CUT_TOL_M


def test_cut_of_a_line_along_the_zone_and_inside_a_polygon():
    """A boundary running along the zone line is dropped whole; inside a zone polygon too,
    and a part crossing a polygon keeps what lies more than r outside it."""
    zone = shapely.LineString([(0, 0), (10, 0), (10, 10)])
    box = shapely.box(20, -5, 30, 5)
    line = shapely.MultiLineString([[(0, 0), (10, 0), (10, 5)], [(15, 0), (35, 0)], [(22, -2), (28, 2)]])
    cut = cut_near(line, [zone], [box], 1.0)
    assert sorted(np.round(shapely.length(shapely.get_parts(cut)), 9)) == [4.0, 4.0]
    assert shapely.hausdorff_distance(cut, cut_near_reference(line, [zone], [box], 1.0)) <= CUT_TOL_M


def test_cut_splits_where_the_line_touches_itself():
    """As GEOS's overlay does: the line is noded where it crosses itself and split at its
    ends (a figure eight from a corner: in to the crossing, the loop, back out)."""
    eight = shapely.LineString([(0, 0), (10, 10), (10, 0), (0, 10), (0, 0)])
    zone = shapely.LineString([(100, 100), (101, 100)])
    fast, ref = cut_near(eight, [zone], []), cut_near_reference(eight, [zone], [])
    assert shapely.get_num_geometries(fast) == shapely.get_num_geometries(ref) == 3
    assert shapely.hausdorff_distance(fast, ref) == 0.0


@pytest.mark.realdata
def test_real_whole_front_displacement_equals_the_geos_cut(monkeypatch):
    """DeepState vs NZZ (2025-11-27), whole front: the displacement from the buffer-free cut
    has the same point counts as from the GEOS buffers and differences, and its median,
    p90 and max within 1 cm (the cut points move by millimetres)."""
    a, b = (
        mapdiff.read_map(shared_file(r))
        for r in ("deepstate/deepstatemap_data_20251127.geojson", "nzz/2025-11-27.json")
    )
    c = mapdiff.compare(a, b)
    fast = c.displacement
    c.__dict__.pop("_displacement"), c.__dict__.pop("displacement")
    with monkeypatch.context() as m:
        m.setattr(C, "near_zone", NearZoneReference)
        ref = c.displacement
    assert C.near_zone is NearZone
    assert list(fast.side) == list(ref.side) and (ref.n_points > 10_000).all()
    assert list(fast.n_points) == list(ref.n_points)
    for k in ("median_km", "p90_km", "max_km"):
        assert np.allclose(fast[k], ref[k], rtol=0, atol=1e-5), k


def test_cut_with_nothing_to_cut_or_nothing_left():
    """No zone: the line as it is; an empty line or one wholly along the zone: empty."""
    line = shapely.LineString([(0, 0), (10, 0)])
    assert shapely.equals(cut_near(line, [], []), line)
    assert cut_near(shapely.MultiLineString(), [line], []).is_empty
    assert cut_near(line, [line], []).is_empty
    assert NearZone([], [shapely.box(-1, -1, 11, 1)]).cut(line).is_empty
