"""The way out: how wide is the narrowest point on the widest way from the holding to the rear.

The diameter of the largest disc that can travel from the holding to the rear without
overlapping blocking land, found by bisection on the erosion radius *r*: passable land eroded
by *r* still joins the holding to the rear when the way is wider than ``2 r``. Measured in a
local equal-area frame (metres) inside a window of ``search_km`` around the footprint
(:func:`measure_corridor`); the narrowest point is drawn as a line through the pinch.
"""

from __future__ import annotations

import math

import numpy as np
import shapely

from ._geometry import difference, intersection, polygons, union

__all__ = ["measure_corridor"]


def measure_corridor(
    frame, fp_m, passable, rear_geom, rear, parts, rear_parts, holding, search_km, resolution_m
):
    """Corridor width (m), lower-bound flag and line (metres) inside the search window."""
    r_max = search_km * 1000.0 / 2
    window_m = shapely.buffer(fp_m, search_km * 1000.0, quad_segs=8)
    if rear is not None:
        window_m = union(window_m, shapely.buffer(frame.to_m(rear_geom), 2000.0))
    big_m = shapely.buffer(window_m, r_max + 1000.0, quad_segs=8)
    big_ll = frame.to_lonlat(big_m)
    xmin, ymin, xmax, ymax = big_ll.bounds
    passable_m = intersection(frame.to_m(shapely.clip_by_rect(passable, xmin, ymin, xmax, ymax)), big_m)
    passable_m = shapely.make_valid(passable_m) if not shapely.is_valid(passable_m) else passable_m
    blocking_m = difference(big_m, passable_m)
    holding_m = frame.to_m(holding)
    # No step of the bisection erodes by more than ``bound``. With the default rear, a way
    # out reaches the rear where it first leaves the window, so the band beyond the window
    # need be only that wide (plus the same 1 km). A rear the caller gives may be reached
    # only by a way that leaves the window: then the band keeps its full width.
    bound = _skip_bound(holding_m, blocking_m)
    if rear is None and bound + 1000.0 < r_max:
        big_m = shapely.buffer(window_m, bound + 1000.0, quad_segs=8)
        passable_m = intersection(passable_m, big_m)
        blocking_m = difference(big_m, passable_m)
    if rear is not None:
        target_m = frame.to_m(rear_geom)
    else:
        comp = union([parts[i] for i in rear_parts])
        band = difference(big_m, window_m)
        target_m = intersection(frame.to_m(shapely.clip_by_rect(comp, xmin, ymin, xmax, ymax)), band)
        if target_m.is_empty or shapely.area(target_m) <= 0:
            target_m = None  # the rear lies inside the window: its largest eroded piece
        passable_m = intersection(passable_m, window_m) if target_m is None else passable_m
    return _corridor(passable_m, blocking_m, holding_m, target_m, r_max, resolution_m, bound)


def _connected(passable_m, blocking_m, holding_m, target_m, r: float):
    """(connected?, eroded parts, index of the joining part) at erosion radius ``r`` metres."""
    eroded = passable_m if r <= 0 else difference(passable_m, shapely.buffer(blocking_m, r, quad_segs=4))
    parts = polygons(eroded)
    if parts.size == 0:
        return False, parts, None
    near_h = shapely.intersects(parts, holding_m)
    if target_m is None:
        near_t = np.zeros(parts.size, dtype=bool)
        near_t[int(np.argmax(shapely.area(parts)))] = True
    else:
        near_t = shapely.dwithin(parts, target_m, r + 1e-6)
    both = np.flatnonzero(near_h & near_t)
    return bool(both.size), parts, (int(both[0]) if both.size else None)


#: ``shapely.buffer(g, r, quad_segs=4)`` covers every point within ``r * _BUFFER_COVER`` of
#: ``g``: its arcs are 16-gons inscribed in the circle (inner radius ``r cos(pi/16)``), and
#: GEOS may simplify the input by up to 1% of ``r`` before offsetting.
_BUFFER_COVER = math.cos(math.pi / 16) - 0.01


def _holding_clearance(holding_m, blocking_m) -> float:
    """An upper bound (m) on the distance from any point of the holding to blocking land.

    Cell centres of a grid over the holding: every point of the holding lies within half
    a cell diagonal of a centre kept, so the farthest centre's distance plus that half
    diagonal bounds the holding's clearance from above.
    """
    xmin, ymin, xmax, ymax = holding_m.bounds
    step = max(math.sqrt(max((xmax - xmin) * (ymax - ymin), 1.0) / 400.0), 1.0)
    xs = np.arange(xmin + step / 2, xmax + step, step)
    ys = np.arange(ymin + step / 2, ymax + step, step)
    gx, gy = np.meshgrid(xs, ys)
    pts = shapely.points(gx.ravel(), gy.ravel())
    half = step * math.sqrt(0.5)
    shapely.prepare(holding_m)
    pts = pts[shapely.dwithin(holding_m, pts, half * 1.000001)]
    if pts.size == 0:
        return math.inf
    return float(np.max(shapely.distance(pts, blocking_m))) + half


def _skip_bound(holding_m, blocking_m) -> float:
    """The erosion radius (m) beyond which the buffered blocking land covers the holding."""
    return (_holding_clearance(holding_m, blocking_m) + 1.0) / _BUFFER_COVER


def _corridor(
    passable_m, blocking_m, holding_m, target_m, r_max: float, resolution_m: float, bound: float | None = None
):
    """Bisection on the erosion radius: (width m, lower-bound flag, line in metres or None).

    Radii so large that the buffered blocking land covers the whole holding cannot join
    it to anything: those steps are known to fail and are not computed (the same steps,
    the same answer, fewer erosions). The bound is the holding's clearance from blocking
    land (:func:`_holding_clearance`) over what a 16-gon buffer covers, plus 1 m.
    """
    lo, hi = resolution_m / 4, r_max
    at_lo = _connected(passable_m, blocking_m, holding_m, target_m, lo)
    if not at_lo[0]:
        return 0.0, False, None
    bound = _skip_bound(holding_m, blocking_m) if bound is None else bound

    def connected(r):  # None: known not to connect (not computed)
        return None if r > bound else _connected(passable_m, blocking_m, holding_m, target_m, r)

    at_hi = connected(hi)
    if at_hi is not None and at_hi[0]:
        return 2 * r_max, True, None
    while hi - lo > resolution_m / 2:
        mid = (lo + hi) / 2
        at_mid = connected(mid)
        if at_mid is not None and at_mid[0]:
            lo, at_lo = mid, at_mid
        else:
            hi, at_hi = mid, at_mid
    if at_hi is None:  # the last failing step was skipped: the line needs its pieces
        at_hi = _connected(passable_m, blocking_m, holding_m, target_m, hi)
    return lo + hi, False, _corridor_line(blocking_m, holding_m, target_m, at_lo, at_hi, hi)


def _corridor_line(blocking_m, holding_m, target_m, at_lo, at_hi, hi: float):
    """The narrowest crossing, drawn through the pinch between blocking land on both sides.

    ``at_lo`` and ``at_hi`` are :func:`_connected` at the last radii of the bisection: at
    ``lo`` one eroded piece still joins the holding to the rear; at ``hi`` it has split
    (or no longer reaches the holding). The pinch is the point of that piece where it
    splits: the middle of the gap between its holding side and its rear side, and the
    line runs from the nearest blocking point through the pinch to the blocking point
    nearest on the other side; or, when the holding itself is where the way narrows,
    the centre of the widest disc in it, and the line is that disc's diameter.
    """
    _, parts_lo, k = at_lo
    joining = parts_lo[k]
    _, parts_hi, _ = at_hi
    inside = parts_hi[shapely.intersects(parts_hi, joining)] if parts_hi.size else parts_hi
    near_h = shapely.intersects(inside, holding_m) if inside.size else np.zeros(0, bool)
    side_h = inside[near_h]
    if target_m is None:
        side_t = inside[~near_h]
    else:
        side_t = inside[shapely.dwithin(inside, target_m, hi + 1e-6)] if inside.size else inside
    if side_h.size and side_t.size:
        seg = shapely.shortest_line(union(list(side_h)), union(list(side_t)))
        pinch = shapely.line_interpolate_point(seg, 0.5, normalized=True)
    else:  # the holding itself is the narrowest part: the widest disc centred in it
        pinch = shapely.centroid(intersection(joining, holding_m))
        q1 = shapely.get_point(shapely.shortest_line(pinch, blocking_m), 1)
        return shapely.LineString([q1, (2 * pinch.x - q1.x, 2 * pinch.y - q1.y)])
    q1 = shapely.get_point(shapely.shortest_line(pinch, blocking_m), 1)
    far = difference(blocking_m, shapely.buffer(q1, max(hi, 1.0)))
    if far.is_empty:
        return shapely.LineString([q1, pinch])
    q2 = shapely.get_point(shapely.shortest_line(pinch, far), 1)
    if shapely.distance(pinch, shapely.LineString([q1, q2])) < 0.05 * hi:
        return shapely.LineString([q1, q2])
    return shapely.LineString([q1, pinch, q2])
