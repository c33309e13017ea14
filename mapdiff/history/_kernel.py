"""The measuring kernel of the history engine: the area of each label of a map inside each
of many footprints, all at once, with what a run measured before reused (coverages, parts,
cut pieces, and the footprints a redrawn part left as they were). Private: used through
:mod:`mapdiff.history._engine`."""

from __future__ import annotations

import hashlib

import numpy as np
import shapely

from ..model.control_map import ControlMap
from ..model.measure import area_km2

__all__ = ["Footprints", "measure_footprints", "rounded_centre"]


def rounded_centre(geoms) -> tuple[float, float]:
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    return (round((xmin + xmax) / 2, 1), round((ymin + ymax) / 2, 1))


_GRID_MIN = 16  # a part that may meet this many footprints finds its edges on a grid
_CUT_PAD = 0.01  # a part is cut to a footprint's box grown by this share of its size
_CUTS_MAX = 200_000  # cut pieces remembered per run (a digest and a float each)


class Footprints:
    """The footprints of a run, indexed once: STR-tree, boxes, a grid of cells about one
    footprint wide, and their areas (measured in the run's one projection)."""

    def __init__(self, fps: np.ndarray, centre):
        self.fps = fps
        self.tree = shapely.STRtree(fps)
        b = shapely.bounds(fps)
        self.bounds = b
        ok = ~np.isnan(b).any(axis=1)
        self.total = area_km2(fps, centre=centre)
        self.xy = np.nan_to_num(b[:, :2])  # a point of each box: its lower-left corner
        if not ok.any():
            self.h = 0.0
            return
        lo, hi = b[ok, :2].min(axis=0), b[ok, 2:].max(axis=0)
        size = np.maximum(b[ok, 2] - b[ok, 0], b[ok, 3] - b[ok, 1])
        self.h = float(max(np.median(size), (hi - lo).max() / 512, 1e-9))
        self.origin, self.top = lo, hi
        self.shape = (int((hi[1] - lo[1]) / self.h) + 1, int((hi[0] - lo[0]) / self.h) + 1)  # rows=y
        cells = self._cells(np.where(ok[:, None], b, 0.0))
        self.cells = cells  # (n, 4): x0, y0, x1, y1 cell indices of each footprint's box

    def _cells(self, b: np.ndarray) -> np.ndarray:
        ny, nx = self.shape
        x = np.floor((b[:, [0, 2]] - self.origin[0]) / self.h)
        y = np.floor((b[:, [1, 3]] - self.origin[1]) / self.h)
        x, y = np.clip(x, 0, nx - 1).astype(np.intp), np.clip(y, 0, ny - 1).astype(np.intp)
        return np.column_stack([x[:, 0], y[:, 0], x[:, 1], y[:, 1]])

    def near_edges(self, geom, cand: np.ndarray) -> np.ndarray:
        """Which of the footprints ``cand`` have a box within a grid cell of an edge of ``geom``.

        The others' boxes meet no edge of ``geom``: each lies wholly inside it or wholly
        outside, so one point tells which. Conservative (cells, and the segments that join
        one ring to the next count as edges): never says far for a footprint an edge meets.
        """
        xy = shapely.get_coordinates(geom)
        if len(xy) < 2 or self.h == 0.0:
            return np.ones(len(cand), dtype=bool)
        lo = np.minimum(xy[:-1], xy[1:])
        hi = np.maximum(xy[:-1], xy[1:])
        meets = (hi >= self.origin).all(axis=1) & (lo <= self.top).all(axis=1)  # no footprint beyond
        c = self._cells(np.column_stack([lo[meets], hi[meets]]))
        grid = np.zeros(self.shape, dtype=bool)
        small = ((c[:, 2] - c[:, 0]) <= 1) & ((c[:, 3] - c[:, 1]) <= 1)
        s = c[small]
        for xi, yi in ((0, 1), (2, 1), (0, 3), (2, 3)):  # the corners cover a range of 1 or 2 cells
            grid[s[:, yi], s[:, xi]] = True
        for x0, y0, x1, y1 in c[~small]:
            grid[y0 : y1 + 1, x0 : x1 + 1] = True
        acc = np.zeros((self.shape[0] + 1, self.shape[1] + 1), dtype=np.int64)
        acc[1:, 1:] = grid.cumsum(axis=0).cumsum(axis=1)
        x0, y0, x1, y1 = self.cells[cand].T
        hits = acc[y1 + 1, x1 + 1] - acc[y0, x1 + 1] - acc[y1 + 1, x0] + acc[y0, x0]
        return hits > 0

    def overlaps(self, geom, cand: np.ndarray):
        """For the footprints ``cand`` whose boxes meet ``geom``'s: which are inside ``geom``
        for certain (their boxes meet none of its edges), and which must be tested."""
        near = self.near_edges(geom, cand)
        far = cand[~near]
        inside = np.zeros(len(far), dtype=bool)
        if far.size:
            shapely.prepare(geom)
            inside = shapely.contains_xy(geom, self.xy[far, 0], self.xy[far, 1])
        return far[inside], cand[near]


def measure_footprints(
    m: ControlMap, fps: np.ndarray, centre=None, memo: dict | None = None
) -> tuple[tuple, np.ndarray, np.ndarray, np.ndarray]:
    """Area of each label of ``m`` inside each footprint, all footprints at once.

    Parameters
    ----------
    m : ControlMap
        Ideally already clipped to the footprints (see :meth:`ControlMap.clip`).
    fps : array of lon/lat geometries
    centre : (lon, lat), optional
        Centre of the one equal-area projection every piece is measured in.
    memo : dict, optional
        Reused across releases of one run (the same ``fps`` and ``centre``): footprint
        areas inside a coverage seen before, and parts seen before, are not measured
        again (consecutive releases of one source share their coverage and most parts).

    Returns
    -------
    labels, areas, covered, total
        ``areas[i, j]`` is km² of ``labels[i]`` in footprint ``j`` (drawn labels, then the
        background); ``covered[j]`` is the part of footprint ``j`` the map covers, ``total[j]``
        its whole area. Same numbers as :meth:`ControlMap.partition` per footprint.

    Notes
    -----
    A footprint whose box meets no edge of a drawn part is wholly inside the part or
    wholly outside it: one point tells which, and one inside measures as itself (no cut,
    no projection). Only footprints an edge may cross are tested and cut, always against
    the whole part: the pieces, hence their km², are those a cut of every footprint gives.
    """
    fps = np.asarray(fps, dtype=object)
    n = len(fps)
    centre = centre or rounded_centre(fps)
    memo = {} if memo is None else memo
    if "index" not in memo:
        memo["index"] = Footprints(fps, centre)
    ix = memo["index"]
    tsize = ix.total
    covs = memo.setdefault("coverages", {})
    ckey = _coverage_key(m, memo)
    if ckey not in covs:
        if len(covs) > 256:
            covs.clear()
        covs[ckey] = (
            None if m.coverage is None else _covered(ix, m.coverage, centre, memo.setdefault("cuts", {}))
        )
    csize = covs[ckey]
    drawn = m.clipped
    parts, owner = [], []
    for k, g in enumerate(drawn):
        p = shapely.get_parts(g)
        p = p[~shapely.is_empty(p)]
        parts.append(p)
        owner.append(np.full(len(p), k))
    parts = np.concatenate(parts) if parts else np.empty(0, dtype=object)
    owner = np.concatenate(owner) if owner else np.empty(0, dtype=int)
    areas = np.zeros((len(drawn) + (m.background is not None), n))
    if parts.size:
        # Consecutive releases mostly redraw the same parts: a part seen before (same WKB)
        # reuses its measures; only new parts are measured.
        seen = memo.setdefault("parts", {})
        if len(seen) > 20000:
            seen.clear()
        keys = [hashlib.blake2b(w, digest_size=16).digest() for w in shapely.to_wkb(parts)]
        new = np.flatnonzero([k not in seen for k in keys])
        if new.size:
            last = [(g, k) for g, k in memo.get("last", ()) if k in seen]
            p, f, a, c = _measure_parts(
                ix,
                parts[new],
                centre,
                memo.setdefault("cuts", {}),
                _Before(last, seen, memo),
                [keys[i] for i in new],
            )
            bounds = np.searchsorted(p, np.arange(new.size + 1))
            for k, i in enumerate(new):
                sl = slice(bounds[k], bounds[k + 1])
                seen[keys[i]] = (f[sl], a[sl], c[sl])
        for k in range(len(parts)):
            f, a, _ = seen[keys[k]]
            if len(f):
                areas[owner[k], f] += a
        memo["last"] = list(zip(parts, keys, strict=True))
    if csize is None:  # the map speaks only where it draws: no background there
        csize = areas[: len(drawn)].sum(axis=0)
    labels = list(m.labels)
    if m.background is not None:
        areas[-1] = np.maximum(csize - areas[: len(drawn)].sum(axis=0), 0.0)
        labels.append(m.background)
    return tuple(labels), areas, csize, tsize


def _coverage_key(m: ControlMap, memo: dict | None = None):
    """What the map's coverage is made of, without making it: a map read as land ∪ what it
    draws beyond the land (the reading pipeline) is keyed by those two, so the union is made
    only for a coverage not seen before (consecutive releases share theirs).

    ``memo``: digests of the geometries met before, by object (the reading pipeline hands
    every release of a run the same land outline, and the last release's drawing beyond it
    when that did not change): the object is held there, so its id is not reused."""
    byid = {} if memo is None else memo.setdefault("digests", {})

    def digest(g):
        hit = byid.get(id(g))
        if hit is not None and hit[0] is g:
            return hit[1]
        if len(byid) >= 8:
            byid.pop(next(iter(byid)))
        d = _digest(g)
        byid[id(g)] = (g, d)
        return d

    if m.domain.parts is not None:
        return tuple(b"" if g is None else digest(g) for g in m.domain.parts)
    return b"" if m.coverage is None else digest(m.coverage)


def _digest(g) -> bytes:
    return hashlib.blake2b(shapely.to_wkb(g), digest_size=16).digest()


def _cut(
    ix: Footprints, parts: np.ndarray, f: np.ndarray, centre, cuts: dict, *, whole: bool = False
) -> np.ndarray:
    """km² of ``parts[i] ∩ footprint f[i]``, each part first cut to the footprint's box.

    Cutting a whole front down to a box is a fraction of intersecting it with a footprint,
    and what is left is all the intersection sees: its km² are those of the whole part to
    ~1e-12 km² (the same pieces, less the vertices outside the box). The next releases,
    whose front moved elsewhere, cut the same piece at that footprint: remembered by its
    digest, it is not intersected or projected again. A piece that is not valid is never
    used: that footprint is intersected with the whole part.

    ``whole``: the cut piece only keys the memo, and the whole part is intersected. For the
    coverage: its cut to a box can move its edge by square metres (+2.4 m² on one of 1,000
    footprints, ``make bench`` scale row), and it changes near few footprints between
    releases, so few are intersected.
    """
    b = ix.bounds[f]
    pad = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])[:, None] * _CUT_PAD + 1e-9
    rect = b + np.hstack([-pad, -pad, pad, pad])
    try:  # the ufunc takes arrays of rectangles; shapely's wrapper only one
        local = shapely.lib.clip_by_rect(parts, rect[:, 0], rect[:, 1], rect[:, 2], rect[:, 3])
    except (AttributeError, TypeError):  # pragma: no cover - another shapely
        local = np.asarray([shapely.clip_by_rect(g, *r) for g, r in zip(parts, rect, strict=True)])
    keys = [
        (int(j), hashlib.blake2b(w, digest_size=16).digest())
        for j, w in zip(f, shapely.to_wkb(local), strict=True)
    ]
    out = np.empty(len(parts))
    todo = []
    for i, key in enumerate(keys):
        hit = cuts.get(key)
        if hit is None:
            todo.append(i)
        else:
            out[i] = hit
    if todo:
        todo = np.asarray(todo)
        ok = shapely.is_valid(local[todo])
        pieces = parts[todo] if whole else np.where(ok, local[todo], parts[todo])
        out[todo] = area_km2(shapely.intersection(pieces, ix.fps[f[todo]]), centre=centre)
        if len(cuts) > _CUTS_MAX:
            cuts.clear()
        for i in todo[ok]:
            cuts[keys[i]] = out[i]
    return out


def _covered(ix: Footprints, cov, centre, cuts: dict | None = None) -> np.ndarray:
    """km² of each footprint inside the coverage ``cov``: its own area when it lies inside
    (no edge of the coverage near it, or the coverage covers it), none when it misses the
    coverage, else the area of footprint ∩ coverage, cut as a part is (:func:`_cut`: the
    coverage's cut to the footprint's box keys the memo, and a piece seen before is not measured again:
    consecutive releases change their coverage far from most footprints)."""
    out = np.zeros(len(ix.fps))
    cand = np.sort(ix.tree.query(cov))
    inside, near = ix.overlaps(cov, cand)
    out[inside] = ix.total[inside]
    if near.size:
        shapely.prepare(cov)
        near = near[shapely.intersects(cov, ix.fps[near])]
        full = shapely.covers(cov, ix.fps[near])
        out[near[full]] = ix.total[near[full]]
        near = near[~full]
    if near.size:
        if cuts is None:
            out[near] = area_km2(shapely.intersection(ix.fps[near], cov), centre=centre)
        else:
            out[near] = _cut(ix, np.full(near.size, cov, dtype=object), near, centre, cuts, whole=True)
    return out


def _measure_parts(ix: Footprints, parts: np.ndarray, centre, cuts: dict, before=None, keys=()):
    """(part index, footprint index, km², cut) of each part in each footprint it meets, parts
    in order; ``cut`` is False where the part covers the footprint. A footprint a part covers
    measures as the footprint (no cut, no projection); the others are cut (:func:`_cut`).

    ``before`` (a :class:`_Before`): the parts of the previous release, measured, and ``keys``
    the parts' digests. A large part
    that redraws one of them in a few places tests only the footprints near what it redrew;
    the others are as they were (:meth:`_Before.unchanged`), covered or cut again."""
    qi, fi = ix.tree.query(parts)  # boxes only
    counts = np.diff(np.searchsorted(qi, np.arange(len(parts) + 1)))
    starts = np.cumsum(counts) - counts
    few = np.repeat(counts < _GRID_MIN, counts)  # pairs tested one by one
    out_p, out_f = [], []
    test_p, test_f = [qi[few]], [fi[few]]
    kept_p, kept_f = [], []  # footprints a part cuts as its predecessor did
    for k in np.flatnonzero(counts >= _GRID_MIN):  # large parts: most footprints far from an edge
        cand = fi[starts[k] : starts[k] + counts[k]]
        same = None if before is None else before.unchanged(ix, parts[k], cand, keys[k])
        if same is not None:
            cand, covered, cut = same
            out_p.append(np.full(len(covered), k))
            out_f.append(covered)
            kept_p.append(np.full(len(cut), k))
            kept_f.append(cut)
        inside, near = ix.overlaps(parts[k], cand)
        out_p.append(np.full(len(inside), k))
        out_f.append(inside)
        test_p.append(np.full(len(near), k))
        test_f.append(near)
    tp, tf = np.concatenate(test_p), np.concatenate(test_f)
    cut_p, cut_f = [np.empty(0, dtype=np.intp), *kept_p], [np.empty(0, dtype=np.intp), *kept_f]
    if tp.size:
        shapely.prepare(parts[np.unique(tp)])
        meets = shapely.intersects(parts[tp], ix.fps[tf])
        tp, tf = tp[meets], tf[meets]
        full = shapely.covers(parts[tp], ix.fps[tf])
        out_p.append(tp[full])
        out_f.append(tf[full])
        cut_p.append(tp[~full])
        cut_f.append(tf[~full])
    cut_p, cut_f = np.concatenate(cut_p).astype(np.intp), np.concatenate(cut_f).astype(np.intp)
    out_a = [ix.total[f] for f in out_f]
    out_c = [np.zeros(len(f), dtype=bool) for f in out_f]
    if cut_p.size:
        out_p.append(cut_p)
        out_f.append(cut_f)
        out_a.append(_cut(ix, parts[cut_p], cut_f, centre, cuts))
        out_c.append(np.ones(len(cut_f), dtype=bool))
    if not out_p:
        e = np.empty(0, dtype=np.intp)
        return e, e, np.empty(0), np.empty(0, dtype=bool)
    p, f = np.concatenate(out_p).astype(np.intp), np.concatenate(out_f).astype(np.intp)
    a, c = np.concatenate(out_a), np.concatenate(out_c)
    order = np.lexsort((f, p))  # by part, then footprint: the sums add in one order
    return p[order], f[order], a[order], c[order]


_SEGS_MAX = 64  # parts whose edges are remembered per run


class _Before:
    """The previous release's parts and what was measured on them, for :func:`_measure_parts`.

    A part that redraws a predecessor (a part of the previous release whose box overlaps its
    own most) in a few places leaves every footprint whose box is far from what changed as it
    was: such a footprint is covered, cut or missed by the new part exactly as by the old one.
    Why, exactly (not approximately): orient every edge of both parts so that the part lies on
    its left (a shell counter-clockwise, a hole clockwise). The edges both have in common bound
    both parts from the same side; the edges only one of them has (what was redrawn) bound
    every region where the two differ. A rectangle that meets none of those edges' boxes holds
    the same edges of both parts, so inside it the two are the same point set, whether an edge
    crosses it (the regions beside an edge lie on the same side in both) or none (then one
    point tells: it is inside both or outside both). A footprint inside such a rectangle meets
    the two parts in the same set, hence gets the same answer from every predicate; a cut one is
    still cut (:func:`_cut`, whose memo then finds the piece), so its km² are computed as before.
    Only valid parts are compared (the argument needs rings that do not cross).
    """

    def __init__(self, last: list, seen: dict, memo: dict):
        self.last = last
        self.seen = seen
        self.segs = memo.setdefault("segments", {})
        self.n = None

    def _segments(self, key, g):
        hit = self.segs.get(key)
        if hit is None:
            if len(self.segs) >= _SEGS_MAX:
                self.segs.pop(next(iter(self.segs)))
            hit = self.segs[key] = _oriented_edges(g)
        return hit

    def unchanged(self, ix: Footprints, part, cand: np.ndarray, new_key: bytes):
        """``(to test, covered, cut)``: the footprints ``cand`` (whose boxes meet the part's)
        that must be tested, and those the part covers or cuts as its predecessor did; None
        when no predecessor is near enough to help."""
        if not self.last:
            return None
        b = np.asarray(shapely.bounds(part))
        lb = shapely.bounds(np.asarray([g for g, _ in self.last], dtype=object))
        w = np.clip(np.minimum(lb[:, 2], b[2]) - np.maximum(lb[:, 0], b[0]), 0, None)
        h = np.clip(np.minimum(lb[:, 3], b[3]) - np.maximum(lb[:, 1], b[1]), 0, None)
        overlap = w * h
        j = int(np.argmax(overlap))
        if overlap[j] <= 0:
            return None
        old, key = self.last[j]
        mine, theirs = self._segments(new_key, part), self._segments(key, old)
        if mine is None or theirs is None:
            return None
        changed = np.concatenate([mine[~_among(mine, theirs)], theirs[~_among(theirs, mine)]])
        if len(changed) > len(mine) // 2:
            return None
        # footprints whose cut rectangle (_cut: the box grown by _CUT_PAD) meets a changed edge's box
        fb = ix.bounds[cand]
        pad = np.maximum(fb[:, 2] - fb[:, 0], fb[:, 3] - fb[:, 1]) * _CUT_PAD + 1e-9
        r = np.column_stack([fb[:, 0] - pad, fb[:, 1] - pad, fb[:, 2] + pad, fb[:, 3] + pad])
        near = np.zeros(len(cand), dtype=bool)
        if len(changed):
            lo = np.minimum(changed[:, :2], changed[:, 2:])
            hi = np.maximum(changed[:, :2], changed[:, 2:])
            for s0 in range(0, len(changed), 256):  # boxes meet: compared in the floats themselves
                el, eh = lo[s0 : s0 + 256], hi[s0 : s0 + 256]
                near |= (
                    (r[:, None, 0] <= eh[None, :, 0])
                    & (el[None, :, 0] <= r[:, None, 2])
                    & (r[:, None, 1] <= eh[None, :, 1])
                    & (el[None, :, 1] <= r[:, None, 3])
                ).any(axis=1)
        # a rectangle no changed edge meets lies wholly where the parts differ or wholly where
        # they agree; only one inside the changed edges' box can lie where they differ (that
        # region is enclosed by those edges): there one point tells which
        far = np.flatnonzero(~near)
        if len(changed):
            lo, hi = changed[:, :2].min(axis=0), changed[:, 2:].max(axis=0)
            lo, hi = np.minimum(lo, changed[:, 2:].min(axis=0)), np.maximum(hi, changed[:, :2].max(axis=0))
            far = far[
                (r[far, 0] >= lo[0]) & (r[far, 1] >= lo[1]) & (r[far, 2] <= hi[0]) & (r[far, 3] <= hi[1])
            ]
        else:
            far = far[:0]
        if far.size:
            shapely.prepare(part)
            shapely.prepare(old)
            x, y = r[far, 0], r[far, 1]
            near[far[shapely.contains_xy(part, x, y) != shapely.contains_xy(old, x, y)]] = True
        f_old, _, c_old = self.seen[key]
        state = np.zeros(len(ix.fps), dtype=np.int8)  # 0 missed, 1 covered, 2 cut
        state[f_old] = np.where(c_old, 2, 1)
        keep = cand[~near]
        s = state[keep]
        return cand[near], keep[s == 1], keep[s == 2]


_MIX = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5], dtype=np.uint64
)


def _among(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Which rows of ``a`` (float64, 4 columns) are rows of ``b``, bit for bit. Rows are
    matched through a hash and then compared whole: a collision can only leave a row out
    (counted as changed), never match two different rows."""
    if not len(a) or not len(b):
        return np.zeros(len(a), dtype=bool)
    ha = (a.view(np.uint64) * _MIX).sum(axis=1)  # wraps around: a hash, not a sum
    hb = (b.view(np.uint64) * _MIX).sum(axis=1)
    order = np.argsort(hb, kind="stable")
    pos = np.minimum(np.searchsorted(hb[order], ha), len(b) - 1)
    other = order[pos]
    return (hb[other] == ha) & (b[other].view(np.uint64) == a.view(np.uint64)).all(axis=1)


def _oriented_edges(g) -> np.ndarray | None:
    """Every edge of polygon ``g`` as (x0, y0, x1, y1), oriented with ``g`` on its left;
    None for a geometry that is not a valid polygon."""
    if shapely.get_type_id(g) != 3 or not shapely.is_valid(g):
        return None
    rings = shapely.get_rings(g)
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    flip = shapely.is_ccw(rings)
    flip[0] = not flip[0]  # the shell: reversed when clockwise; a hole when counter-clockwise
    same = ring[1:] == ring[:-1]
    e = np.hstack([xy[:-1], xy[1:]])[same]
    rev = flip[ring[:-1][same]]
    e[rev] = e[rev][:, [2, 3, 0, 1]]
    return np.ascontiguousarray(e, dtype=np.float64)
