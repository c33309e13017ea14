"""A line less what lies within r of a zone (lines and polygons), without buffering the zone.

The front-line displacement (:attr:`mapdiff.comparison.core.Comparison.displacement`)
measures each map's boundary of a side less its parts within 1 m of the AOI's edge or of
a scope piece. :func:`cut_near_reference` makes that cut the plain GEOS way: a 1 m
buffer of the edge and of the union of the scope pieces, and the line's difference with
each. :func:`cut_near` gives the same line without the buffers, the union or the overlay:

- each segment of the line that is also a segment of the zone (a boundary running along
  the AOI's edge or a scope piece's border: most of the zone's neighbourhood) is dropped
  whole, found by its end points;
- for every other segment, the zone segments within ``r`` (one STRtree query) give the
  interval of the segment within ``r`` of each (a capsule: two discs and a strip, solved
  in closed form with numpy); what is left of the segment outside all of them is kept,
  unless it lies inside a zone polygon (a point-in-polygon query of its middle);
- the kept pieces are joined into lines as GEOS's overlay joins them: along each part of
  the line, split where the zone cuts it, at the part's own ends and where three or more
  segments meet; a segment drawn twice is kept once.

The two differ only in the zone's shape: a buffer is a polygon whose round ends and
corners have 8 segments per quarter circle, so its border lies up to
``r (1 - cos(pi / 32))`` (4.8 mm for r = 1 m) inside the true distance ``r``; the cut
points move by as much (more where a line meets the zone at a grazing angle).
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["NearZone", "NearZoneReference", "capsule_t", "cut_near", "cut_near_reference"]


def _dot(u, v):
    return np.einsum("ij,ij->i", u, v)


def capsule_t(p0, d, q0, q1, r: float):
    """For each pair (segment ``p0 + t d``, segment ``q0``-``q1``): the interval
    ``[lo, hi]`` of t in [0, 1] where the point lies within ``r`` of ``q0``-``q1`` (a
    capsule: convex, so one interval), and whether there is one. Arrays of shape (n, 2)."""
    n = len(p0)
    lo, hi = np.full(n, np.inf), np.full(n, -np.inf)
    a = _dot(d, d)
    for q in (q0, q1):  # the discs at both ends: |p0 + t d - q|^2 <= r^2
        w = p0 - q
        b = 2.0 * _dot(d, w)
        disc = b * b - 4.0 * a * (_dot(w, w) - r * r)
        ok = disc >= 0
        s = np.sqrt(np.where(ok, disc, 0.0))
        lo = np.where(ok, np.minimum(lo, (-b - s) / (2.0 * a)), lo)
        hi = np.where(ok, np.maximum(hi, (-b + s) / (2.0 * a)), hi)
    # the strip: 0 <= (x - q0).e <= |e|^2 and |(x - q0) x e| <= r |e|, each linear in t
    e = q1 - q0
    ee = _dot(e, e)
    w = p0 - q0
    s_lo, s_hi = np.zeros(n), np.ones(n)
    across = (e[:, 0] * w[:, 1] - e[:, 1] * w[:, 0], e[:, 0] * d[:, 1] - e[:, 1] * d[:, 0])
    for (f0, f1), b0, b1 in (
        ((_dot(w, e), _dot(d, e)), 0.0, ee),
        (across, -r * np.sqrt(ee), r * np.sqrt(ee)),
    ):
        flat = f1 == 0
        g = np.where(flat, 1.0, f1)
        t1, t2 = (b0 - f0) / g, (b1 - f0) / g
        inside = (f0 >= b0) & (f0 <= b1)
        s_lo = np.where(flat, np.where(inside, s_lo, np.inf), np.maximum(s_lo, np.minimum(t1, t2)))
        s_hi = np.where(flat, np.where(inside, s_hi, -np.inf), np.minimum(s_hi, np.maximum(t1, t2)))
    strip = (s_lo <= s_hi) & (ee > 0)
    lo = np.where(strip, np.minimum(lo, s_lo), lo)
    hi = np.where(strip, np.maximum(hi, s_hi), hi)
    ok = (lo <= hi) & (hi >= 0.0) & (lo <= 1.0)
    return np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0), ok


def _segs(geoms):
    """(start, end, part) of every segment of (multi)line geometries, zero-length ones left out."""
    parts = shapely.get_parts(np.asarray(geoms, dtype=object))
    parts = parts[~shapely.is_empty(parts)]
    xy, part = shapely.get_coordinates(parts, return_index=True)
    i = np.flatnonzero(part[1:] == part[:-1])
    i = i[np.any(xy[i] != xy[i + 1], axis=1)]
    return xy[i], xy[i + 1], part[i]


def _keys(p0, p1):
    """One hashable row per segment, the same for both directions (end points ordered)."""
    swap = (p0[:, 0] > p1[:, 0]) | ((p0[:, 0] == p1[:, 0]) & (p0[:, 1] > p1[:, 1]))
    lo, hi = np.where(swap[:, None], p1, p0), np.where(swap[:, None], p0, p1)
    rows = np.ascontiguousarray(np.hstack([lo, hi]) + 0.0)  # + 0.0: -0.0 becomes 0.0
    return rows.view(np.dtype((np.void, rows.dtype.itemsize * 4))).ravel()


def _merged(li, lo, hi):
    """The union of each segment's intervals: (segment, lo, hi), disjoint and sorted."""
    o = np.lexsort((lo, li))
    li, lo, hi = li[o], lo[o] + 2.0 * li[o], hi[o] + 2.0 * li[o]  # offsets keep segments apart
    if len(li) == 0:
        return li, lo, hi
    first = np.flatnonzero(np.r_[True, lo[1:] > np.maximum.accumulate(hi)[:-1]])
    seg = li[first]
    return seg, lo[first] - 2.0 * seg, np.maximum.reduceat(hi, first) - 2.0 * seg


def _kept(n, m_seg, m_lo, m_hi):
    """Each segment's [0, 1] less its merged intervals: (segment, t0, t1) of the pieces left."""
    b_seg = np.concatenate([np.arange(n), m_seg, m_seg, np.arange(n)])
    b_t = np.concatenate([np.zeros(n), m_lo, m_hi, np.ones(n)])
    kind = np.repeat([0, 1, 2, 3], [n, len(m_seg), len(m_seg), n])
    o = np.lexsort((kind, b_t, b_seg))  # 0, lo1, hi1, ..., 1 per segment, taken in pairs
    g_seg, g_s, g_e = b_seg[o][0::2], b_t[o][0::2], b_t[o][1::2]
    good = g_e > g_s
    return g_seg[good], g_s[good], g_e[good]


def _point_keys(xy):
    rows = np.ascontiguousarray(xy + 0.0)
    return rows.view(np.dtype((np.void, rows.dtype.itemsize * 2))).ravel()


def _joined(p0, p1, part, seg, t0, t1):
    """The kept pieces joined into a MultiLineString (see the module's text)."""
    d = p1 - p0

    def at(t):
        pt = p0[seg] + t[:, None] * d[seg]
        pt[t == 0.0] = p0[seg[t == 0.0]]  # the vertices themselves, not recomputed
        pt[t == 1.0] = p1[seg[t == 1.0]]
        return pt

    start, end = at(t0), at(t1)
    cont = np.r_[
        False,
        (t0[1:] == 0.0)
        & (t1[:-1] == 1.0)
        & (seg[1:] == seg[:-1] + 1)
        & (part[seg[1:]] == part[seg[:-1]])
        & np.all(start[1:] == end[:-1], axis=1),
    ]
    first = ~cont
    run = np.cumsum(first) - 1
    coords = np.concatenate([start[first], end])  # each line's start, then every piece's end
    rid = np.concatenate([run[first], run])
    pos = np.concatenate([np.flatnonzero(first) - 0.5, np.arange(len(run))])
    o = np.lexsort((pos, rid))
    return shapely.multilinestrings(shapely.linestrings(coords[o], indices=rid[o]))


class NearZone:
    """A zone (lines and polygons, projected) that lines are cut by: its segments, their
    keys and their STRtree made once for every line cut (:meth:`cut`)."""

    def __init__(self, zone_lines, zone_polys, r: float = 1.0):
        self.polys = np.asarray(zone_polys, dtype=object).ravel()
        lines = np.asarray(zone_lines, dtype=object).ravel()
        rings = shapely.boundary(self.polys) if len(self.polys) else np.array([], dtype=object)
        self.q0, self.q1, _ = _segs(np.concatenate([lines, rings]))
        self.keys = np.unique(_keys(self.q0, self.q1))
        self.tree = (
            shapely.STRtree(shapely.linestrings(np.stack([self.q0, self.q1], axis=1)))
            if len(self.q0)
            else None
        )
        self.r = float(r)

    def cut(self, line):
        """``line`` less what lies within ``r`` of the zone (see :func:`cut_near`)."""
        q0, q1, r = self.q0, self.q1, self.r
        # noded as GEOS's overlay nodes it: split where it touches or crosses itself
        p0, p1, part = _segs(shapely.node(line))
        keys = _keys(p0, p1)
        _, once = np.unique(keys, return_index=True)  # a segment drawn twice is kept once
        keep = np.zeros(len(p0), bool)
        keep[once] = True
        pos = np.searchsorted(self.keys, keys)  # along the zone: within 0 of it, dropped whole
        on_zone = np.zeros(len(keys), bool)
        if len(self.keys):
            on_zone = (pos < len(self.keys)) & (self.keys[np.minimum(pos, len(self.keys) - 1)] == keys)
        idx = np.flatnonzero(keep & ~on_zone)
        p0, p1, part = p0[idx], p1[idx], part[idx]
        if len(p0) and self.tree is not None:  # envelopes grown by r: the capsules decide
            lo, hi = np.minimum(p0, p1) - r, np.maximum(p0, p1) + r
            li, zi = self.tree.query(shapely.box(lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1]))
        else:
            li = zi = np.array([], dtype=np.intp)
        lo, hi, ok = capsule_t(p0[li], (p1 - p0)[li], q0[zi], q1[zi], r)
        seg, t0, t1 = _kept(len(p0), *_merged(li[ok], lo[ok], hi[ok]))
        if len(seg) and len(self.polys):  # a piece lies wholly inside or outside each zone polygon
            mid = shapely.points(p0[seg] + ((t0 + t1) / 2.0)[:, None] * (p1 - p0)[seg])
            _, inside = shapely.STRtree(mid).query(self.polys, predicate="intersects")
            out = np.ones(len(seg), bool)
            out[inside] = False
            seg, t0, t1 = seg[out], t0[out], t1[out]
        if len(seg) == 0:
            return shapely.MultiLineString()
        return _joined(p0, p1, part, seg, t0, t1)


def cut_near(line, zone_lines, zone_polys, r: float = 1.0):
    """``line`` (projected (multi)line) less what lies within ``r`` of ``zone_lines`` or of
    the polygons ``zone_polys`` (their inside included), as a MultiLineString: the same
    line as :func:`cut_near_reference` to within the buffer's 4.8 mm (r = 1 m), with no
    buffer, union or overlay (see the module's text). Several lines cut by one zone:
    :class:`NearZone`."""
    return NearZone(zone_lines, zone_polys, r).cut(line)


class NearZoneReference:
    """:class:`NearZone` the plain GEOS way, the reference the tests and ``make bench`` hold
    it to: an ``r`` buffer of the union of the zone's lines and one of the union of its
    polygons, and each line's difference with both (``shapely.difference``)."""

    def __init__(self, zone_lines, zone_polys, r: float = 1.0):
        polys = np.asarray(zone_polys, dtype=object).ravel()
        lines = np.asarray(zone_lines, dtype=object).ravel()
        self.cuts = [shapely.buffer(shapely.union_all(g), r) for g in (lines, polys) if len(g)]

    def cut(self, line):
        """``line`` less the two buffers."""
        for zone in self.cuts:
            line = shapely.difference(line, zone)
        return line


def cut_near_reference(line, zone_lines, zone_polys, r: float = 1.0):
    """:func:`cut_near` the plain GEOS way (:class:`NearZoneReference`)."""
    return NearZoneReference(zone_lines, zone_polys, r).cut(line)
