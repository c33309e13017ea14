"""The engine under :class:`~mapdiff.Releases`: read releases clipped to an area, measure
footprints on them in one vectorised pass, and run batches over a process pool or
dask.distributed with a progress bar. Private: the public face is :mod:`mapdiff.history.releases`
and :mod:`mapdiff.history.change`."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import logging
import math
import os
import stat
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from .. import config
from .._version import __version__
from ..errors import ArgumentError, MapdiffWarning
from ..io import cache as _cache
from ..io.atomic import write_bytes
from ..io.read import map_from_raw, read_input_bytes, read_raw_bytes
from ..labels import Label
from ..model.control_map import ControlMap
from ..model.coverage import Coverage
from ..model.measure import area_km2
from ..model.shapes import polygonal
from ._dask import dask_client, dask_workers, run_dask

log = logging.getLogger("mapdiff")

__all__ = ["measure_footprints"]

_AOI_PAD_DEG = 0.01  # ~1 km margin around the union of the areas of interest


# ======================================================================= releases
@dataclass(frozen=True)
class Release:
    path: str | None
    map: ControlMap | None
    as_of: dt.date | None
    name: str


# ======================================================================= clipped reading
@dataclass(frozen=True)
class Context:
    aoi_wkb: bytes | None
    fps_wkb: tuple
    centre: tuple | None
    profile: str | None
    cache: bool
    cache_dir: str | None
    clip: object = None  # exact AOI (changes), the padded one is aoi_wkb
    check_source: bool = True  # the profile was recognised, not given: check every file
    # Cache clipped releases (mapdiff.io.cache). Shares keep their measured results by file
    # identity instead (measure_releases): a release entry would be keyed by the same
    # footprints' boxes, so it would only ever serve the same run, at ~100x the size.
    store_releases: bool = True


def aoi_geometry_of(geoms: np.ndarray):
    """Union of the areas of interest's bounding boxes, padded by ``_AOI_PAD_DEG``.

    Boxes rather than the exact outlines: clipping a front against a few axis-parallel
    edges is several times cheaper than against hundreds of curved ones, and measuring
    cuts the exact footprints out afterwards. Rounded to 1e-6° so the cache key is stable.
    """
    b = shapely.bounds(np.asarray(geoms, dtype=object))
    pad = np.array([-_AOI_PAD_DEG, -_AOI_PAD_DEG, _AOI_PAD_DEG, _AOI_PAD_DEG])
    boxes = shapely.box(*(np.round(b + pad, 6)).T)
    return shapely.union_all(boxes)


def rounded_centre(geoms) -> tuple[float, float]:
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    return (round((xmin + xmax) / 2, 1), round((ymin + ymax) / 2, 1))


def _read_clipped(data: bytes, path: str, aoi, source: str | None, check_source: bool = False) -> ControlMap:
    """One release read from its bytes through THE reading pipeline, clipped to ``aoi``."""

    raw = read_raw_bytes(data, Path(path).name, None, path)
    return map_from_raw(raw, source, clip=aoi, check_source=check_source and source is not None)


def load_release(r: Release, ctx: Context) -> ControlMap:
    """One release clipped to the context's area of interest, through the cache."""
    aoi = None if ctx.aoi_wkb is None else shapely.from_wkb(ctx.aoi_wkb)
    if r.map is not None:
        return r.map if aoi is None else _clip_map(r.map, aoi)

    data = read_input_bytes(r.path)
    key = None
    if ctx.cache and ctx.store_releases:
        key = _cache.release_key(hashlib.sha256(data).hexdigest(), aoi, ctx.profile)
        hit = _cache.load(key, ctx.cache_dir)
        log.debug("release cache %s for %s (key %s…)", "miss" if hit is None else "hit", r.path, key[:12])
        if hit is not None:
            return _dated(hit, r.as_of)
    m = _dated(_read_clipped(data, r.path, aoi, ctx.profile, ctx.check_source), r.as_of)
    if key is not None:
        try:
            stored = _cache.store(key, m, ctx.cache_dir)
            log.debug("release cache: stored %s as %s", r.path, stored)
        except OSError as exc:
            import warnings

            warnings.warn(
                f"cannot write the release cache in {_cache.cache_dir(ctx.cache_dir)} ({exc}); "
                f"going on without it (set {_cache.CACHE_ENV} to a writable folder)",
                MapdiffWarning,
                stacklevel=2,
            )
    return m


def _clip_map(m: ControlMap, aoi) -> ControlMap:
    """``m`` restricted to ``aoi``; unlike :meth:`ControlMap.clip` a map without coverage keeps none."""
    shapely.prepare(aoi)
    geoms = tuple(
        g if shapely.covers(aoi, g) else polygonal(shapely.intersection(g, aoi)) for g in m.geometries
    )
    cov = None if m.coverage is None else polygonal(shapely.intersection(m.coverage, aoi))
    return dataclasses.replace(m, geometries=geoms, domain=Coverage.whole(cov))


def _dated(m: ControlMap, as_of) -> ControlMap:
    """``m`` with the release's date (the one the series dated it by, e.g. its file name)."""
    return m if as_of is None or m.as_of == as_of else dataclasses.replace(m, as_of=as_of)


# ======================================================================= measuring
@dataclass(frozen=True)
class Measured:
    as_of: dt.date
    name: str
    labels: tuple  # Label per row of areas (drawn labels, then background)
    areas: np.ndarray  # (len(labels), n_places) km²
    covered: np.ndarray  # (n_places,) km² of each footprint inside the map's coverage
    total: np.ndarray  # (n_places,) km² of each footprint


_GRID_MIN = 16  # a part that may meet this many footprints finds its edges on a grid
_CUT_PAD = 0.01  # a part is cut to a footprint's box grown by this share of its size
_CUTS_MAX = 200_000  # cut pieces remembered per run (a digest and a float each)


class _Footprints:
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
        memo["index"] = _Footprints(fps, centre)
    ix = memo["index"]
    tsize = ix.total
    covs = memo.setdefault("coverages", {})
    ckey = _coverage_key(m)
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
            p, f, a = _measure_parts(ix, parts[new], centre, memo.setdefault("cuts", {}))
            bounds = np.searchsorted(p, np.arange(new.size + 1))
            for k, i in enumerate(new):
                sl = slice(bounds[k], bounds[k + 1])
                seen[keys[i]] = (f[sl], a[sl])
        for k in range(len(parts)):
            f, a = seen[keys[k]]
            if len(f):
                areas[owner[k], f] += a
    if csize is None:  # the map speaks only where it draws: no background there
        csize = areas[: len(drawn)].sum(axis=0)
    labels = list(m.labels)
    if m.background is not None:
        areas[-1] = np.maximum(csize - areas[: len(drawn)].sum(axis=0), 0.0)
        labels.append(m.background)
    return tuple(labels), areas, csize, tsize


def _coverage_key(m: ControlMap):
    """What the map's coverage is made of, without making it: a map read as land ∪ what it
    draws beyond the land (the reading pipeline) is keyed by those two, so the union is made
    only for a coverage not seen before (consecutive releases share theirs)."""
    if m.domain.parts is not None:
        return tuple(b"" if g is None else _digest(g) for g in m.domain.parts)
    return b"" if m.coverage is None else _digest(m.coverage)


def _digest(g) -> bytes:
    return hashlib.blake2b(shapely.to_wkb(g), digest_size=16).digest()


def _cut(
    ix: _Footprints, parts: np.ndarray, f: np.ndarray, centre, cuts: dict, *, whole: bool = False
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


def _covered(ix: _Footprints, cov, centre, cuts: dict | None = None) -> np.ndarray:
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


def _measure_parts(ix: _Footprints, parts: np.ndarray, centre, cuts: dict):
    """(part index, footprint index, km²) of each part in each footprint it meets, parts
    in order. A footprint a part covers measures as the footprint (no cut, no projection);
    the others are cut (:func:`_cut`)."""
    qi, fi = ix.tree.query(parts)  # boxes only
    counts = np.diff(np.searchsorted(qi, np.arange(len(parts) + 1)))
    starts = np.cumsum(counts) - counts
    few = np.repeat(counts < _GRID_MIN, counts)  # pairs tested one by one
    out_p, out_f = [], []
    test_p, test_f = [qi[few]], [fi[few]]
    for k in np.flatnonzero(counts >= _GRID_MIN):  # large parts: most footprints far from an edge
        inside, near = ix.overlaps(parts[k], fi[starts[k] : starts[k] + counts[k]])
        out_p.append(np.full(len(inside), k))
        out_f.append(inside)
        test_p.append(np.full(len(near), k))
        test_f.append(near)
    tp, tf = np.concatenate(test_p), np.concatenate(test_f)
    cut_p = cut_f = np.empty(0, dtype=np.intp)
    if tp.size:
        shapely.prepare(parts[np.unique(tp)])
        meets = shapely.intersects(parts[tp], ix.fps[tf])
        tp, tf = tp[meets], tf[meets]
        full = shapely.covers(parts[tp], ix.fps[tf])
        out_p.append(tp[full])
        out_f.append(tf[full])
        cut_p, cut_f = tp[~full], tf[~full]
    out_a = [ix.total[f] for f in out_f]
    if cut_p.size:
        out_p.append(cut_p)
        out_f.append(cut_f)
        out_a.append(_cut(ix, parts[cut_p], cut_f, centre, cuts))
    if not out_p:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp), np.empty(0)
    p, f, a = np.concatenate(out_p), np.concatenate(out_f), np.concatenate(out_a)
    order = np.lexsort((f, p))  # by part, then footprint: the sums add in one order
    return p[order], f[order], a[order]


# ======================================================================= results by file identity
_RESULTS_FORMAT = 4  # 3: JSON, km² as base64 of float64; 4: a JSON header and one float64 array
_RESULTS_MAGIC = b"MAPDIFF-RESULTS-4\n"
_RESULTS_MAX = 50000  # entries kept per results file


def _identity(path: str) -> str | None:
    """A file's identity without reading it: real path, size, inode and change times.

    A rewritten file changes its mtime/ctime (and usually its size), so its old results
    are never used; a file that is only renamed or copied is read again (cheap).
    """
    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            real, st = os.path.realpath(path), os.stat(path)
        else:  # not a link: its real path is its folder's (resolved once per folder)
            head, tail = os.path.split(os.path.abspath(path))
            real = os.path.join(_real_dir(head), tail)
    except OSError:
        return None
    return f"{real}|{st.st_size}|{st.st_ino}|{st.st_mtime_ns}|{st.st_ctime_ns}"


@config.cached(maxsize=64)
def _real_dir(path: str) -> str:
    return os.path.realpath(path)


def _results_file(ctx: Context) -> Path:

    h = hashlib.sha256()
    for part in (
        f"results={_RESULTS_FORMAT}",
        f"version={__version__}",
        f"profile={_cache.profile_fingerprint(ctx.profile)}",  # its rules, not its name
        f"check={ctx.check_source}",
        f"centre={ctx.centre}",
    ):
        h.update(part.encode() + b"\0")
    for w in ctx.fps_wkb:
        h.update(w + b"\0")
    return _cache.cache_dir(ctx.cache_dir) / f"{h.hexdigest()}{_cache._RESULTS_SUFFIX}"


def _load_results(path: Path) -> dict:
    """``{file identity: (labels, km²)}`` of a results file, ``km²`` one release's
    ``(len(labels) + 2, n_places)`` float64 rows (areas, then covered, then total), a
    read-only view of the file's one array; ``{}`` for a file missing, damaged or foreign
    (measured again and rewritten).

    The file: a magic line, the SHA-256 of the rest (hex) and a newline, the length of a
    JSON header (8 bytes, little-endian), the header (``{"n": places, "entries":
    {identity: [labels, offset]}}``) and every entry's float64 rows, one after the other:
    a warm run of 769 releases x 1,466 places reads it in one go, no number parsed.
    """
    import orjson

    try:
        data = path.read_bytes()
    except OSError:
        return {}
    head = len(_RESULTS_MAGIC) + 65
    if not data.startswith(_RESULTS_MAGIC) or len(data) < head + 8:
        return {}
    body = memoryview(data)[head:]
    if hashlib.sha256(body).hexdigest().encode() != data[len(_RESULTS_MAGIC) : head - 1]:
        return {}  # a flipped bit or a truncated file
    try:
        size = int.from_bytes(body[:8], "little")
        meta = orjson.loads(body[8 : 8 + size])
        n = int(meta["n"])
        values = np.frombuffer(body[8 + size :], dtype="<f8")
        if not values.flags.aligned:  # a file of another writer: copied once, aligned
            values = values.copy()
        out = {}
        for key, (labels, offset) in meta["entries"].items():
            rows = len(labels) + 2
            if offset < 0 or offset + rows * n > values.size:
                return {}
            out[key] = (labels, values[offset : offset + rows * n].reshape(rows, n))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        return {}
    with contextlib.suppress(OSError):
        os.utime(path)  # used: kept by cache.prune()
    return out


def _encode(m: Measured) -> tuple:
    labels = [[lab.status, lab.side] for lab in m.labels]
    return labels, np.vstack([m.areas, m.covered[None, :], m.total[None, :]])


def _decode(e: tuple, r: Release, n: int) -> Measured | None:

    try:
        labels = tuple(Label(st, sd) for st, sd in e[0])
        km2 = e[1]
        if km2.shape != (len(labels) + 2, n):
            return None
    except (TypeError, ValueError, AttributeError, IndexError):
        return None
    return Measured(r.as_of, r.name, labels, km2[:-2], km2[-2], km2[-1])


def measure_releases(ctx: Context, releases: list, run) -> list[Measured]:
    """Measure every release, taking what a run over the same files already measured.

    ``run(todo)`` measures the releases not found (a :func:`run` call). With the cache on,
    results are kept in one file per set of footprints, keyed by each file's identity
    (:func:`_identity`): a warm run reads that one file and no release at all. Writes are
    atomic (temporary file + rename); a concurrent run loses at most its own additions.
    """
    if not ctx.cache:
        return run(releases)
    n = len(ctx.fps_wkb)
    path = _results_file(ctx)
    entries = _load_results(path)
    ids = [None if r.path is None else _identity(r.path) for r in releases]
    found: dict[int, Measured] = {}
    for i, (r, key) in enumerate(zip(releases, ids, strict=True)):
        if key is not None and key in entries:
            m = _decode(entries[key], r, n)
            if m is not None:
                found[i] = m
    todo = [i for i in range(len(releases)) if i not in found]
    if todo:
        new = run([releases[i] for i in todo])
        for i, m in zip(todo, new, strict=True):
            found[i] = m
            if ids[i] is not None:
                entries[ids[i]] = _encode(m)
        if len(entries) > _RESULTS_MAX:
            entries = dict(list(entries.items())[-_RESULTS_MAX:])
        _write_results(path, entries, ctx)
    return [found[i] for i in range(len(releases))]


def _write_results(path: Path, entries: dict, ctx: Context) -> None:
    import orjson

    try:
        meta, offset = {}, 0
        for key, (labels, km2) in entries.items():
            meta[key] = [labels, offset]
            offset += km2.size
        values = [np.ascontiguousarray(km2, dtype="<f8") for _, km2 in entries.values()]
        header = orjson.dumps({"n": len(ctx.fps_wkb), "entries": meta})
        # the numbers start at a multiple of 8 bytes: read in place, aligned (numpy is
        # several times slower on float64 that are not)
        header += b" " * (-(len(_RESULTS_MAGIC) + 65 + 8 + len(header)) % 8)
        body = len(header).to_bytes(8, "little") + header + b"".join(v.tobytes() for v in values)
        digest = hashlib.sha256(body).hexdigest().encode()
        write_bytes(path, _RESULTS_MAGIC + digest + b"\n" + body, fsync=False)
    except OSError as exc:
        import warnings

        warnings.warn(
            f"cannot write the results cache in {path.parent} ({exc}); going on without it "
            f"(set {_cache.CACHE_ENV} to a writable folder)",
            MapdiffWarning,
            stacklevel=3,
        )


# per process: the footprints of the last runs, indexed (a worker runs many batches)
_INDEXES: dict = config.register_cache({})
# per process and thread: measure_footprints' memo of the last footprints measured
_MEMOS: dict = config.register_cache({})


def _index(ctx: Context) -> _Footprints:
    key = (hashlib.sha256(b"".join(ctx.fps_wkb)).hexdigest(), len(ctx.fps_wkb), ctx.centre)
    ix = _INDEXES.get(key)
    if ix is None:
        if len(_INDEXES) >= 4:
            _INDEXES.pop(next(iter(_INDEXES)))
        ix = _INDEXES[key] = _Footprints(shapely.from_wkb(np.asarray(ctx.fps_wkb, dtype=object)), ctx.centre)
    return ix


def measure_batch(ctx: Context, batch: Sequence[Release]) -> list[Measured]:
    ix = _index(ctx)
    # what earlier batches of this process measured (coverages, parts, cut pieces) serves
    # this one too: a worker's batches are runs of consecutive releases of one source
    # (one memo per thread: a dask worker may run batches in several threads at once)
    import threading

    key = (id(ix), threading.get_ident())
    memo = _MEMOS.get(key)
    if memo is None or memo["index"] is not ix:
        if len(_MEMOS) >= 8:
            _MEMOS.clear()
        memo = _MEMOS[key] = {"index": ix}
    fps, out = ix.fps, []
    for r in batch:
        m = load_release(r, ctx)
        labels, areas, cov, tot = measure_footprints(m, fps, ctx.centre, memo)
        out.append(Measured(r.as_of, r.name, labels, areas, cov, tot))
    return out


# ======================================================================= running
def _warm(ctx: Context, items: list) -> None:
    """Per-process work done once here, before the pool forks, so that every worker
    inherits it instead of doing it again: the region's outlines and drawn extent, their
    cut to the places' boxes, the footprints' index. One release is read for it (nothing
    is measured or stored). Only where workers are forked; whatever goes wrong is left for
    the workers to meet and report."""
    import multiprocessing

    if multiprocessing.get_start_method() != "fork":
        return
    try:
        r = items[0] if items else None
        if isinstance(r, Release) and r.path is not None and r.map is None:
            aoi = None if ctx.aoi_wkb is None else shapely.from_wkb(ctx.aoi_wkb)
            _read_clipped(read_input_bytes(r.path), r.path, aoi, ctx.profile, False)
        if ctx.fps_wkb:
            _index(ctx)
    except Exception:  # a warm-up only: the workers do the real work
        log.debug("warm-up before the pool failed", exc_info=True)


def _progress(total: int, desc: str, quiet: bool):
    """A tqdm bar on stderr, or None when quiet, for one item, or when stderr is no terminal."""
    if quiet or total < 2 or not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="release", file=sys.stderr, leave=False)


def _batches(items: list, n_batches: int, overlap: bool) -> list[list]:
    n = len(items)
    size = max(1, math.ceil(n / max(1, n_batches)))
    out = []
    for start in range(0, n, size):
        stop = min(n, start + size + (1 if overlap else 0))
        chunk = items[start:stop]
        if overlap and len(chunk) < 2:
            break
        out.append(chunk)
    return out


def run(
    fn,
    ctx: Context,
    items: list,
    workers,
    backend: str,
    client,
    quiet: bool,
    desc: str,
    overlap: bool = False,
) -> list:
    """Run ``fn(ctx, batch)`` over batches of ``items``; returns the concatenated results in order."""
    if backend not in ("local", "dask"):
        raise ArgumentError(f"unknown backend {backend!r}; use 'local' or 'dask'")
    if backend == "dask":
        client = client if client is not None else dask_client(workers=workers)
        where = dask_workers(client)
        workers = len(where) or workers or 1
    workers = workers or os.cpu_count() or 1
    n_items = len(items) - (1 if overlap else 0)
    serial = backend == "local" and (workers <= 1 or len(items) <= 4)
    n_batches = 1 if serial else max(workers * 4, math.ceil(len(items) / 64))
    batches = _batches(items, n_batches, overlap)
    bar = _progress(n_items, desc, quiet)
    results: list = [None] * len(batches)

    def done(i, res):
        results[i] = res
        if bar is not None:
            bar.update(len(batches[i]) - (1 if overlap else 0))

    try:
        if serial:
            for i, b in enumerate(batches):
                done(i, fn(ctx, b))
        elif backend == "local":
            from concurrent.futures import ProcessPoolExecutor, as_completed

            _warm(ctx, items)
            with ProcessPoolExecutor(
                max_workers=min(workers, len(batches)), initializer=_die_with, initargs=(os.getpid(),)
            ) as ex:
                futs = {ex.submit(fn, ctx, b): i for i, b in enumerate(batches)}
                for f in as_completed(futs):
                    done(futs[f], f.result())
        else:
            run_dask(fn, ctx, batches, client, done, where)
    finally:
        if bar is not None:
            bar.close()
    return [x for res in results for x in res]


def _die_with(parent: int) -> None:
    """Pool worker initializer: end this worker when the process that started the run dies,
    even by ``kill -9`` (a pool's workers otherwise live on, holding memory). Linux: the
    kernel's parent-death signal (``PR_SET_PDEATHSIG``); everywhere: a daemon thread that
    checks once a second that ``parent`` is still there."""
    import signal
    import threading

    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG = 1

    def watch():
        while True:
            time.sleep(1.0)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)
            except OSError:  # alive but not ours to signal
                pass
            if os.getppid() == 1 and parent != 1:  # re-parented to init: the run is gone
                os._exit(1)

    threading.Thread(target=watch, name="mapdiff-parent-watch", daemon=True).start()
