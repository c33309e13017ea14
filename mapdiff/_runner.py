"""The engine under :class:`~mapdiff.Series`: read releases clipped to an area, measure
footprints on them in one vectorised pass, and run batches over a process pool or
dask.distributed with a progress bar. Private: the public face is :mod:`mapdiff.series`
and :mod:`mapdiff.change`."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely

from .errors import ArgumentError, MissingDependencyError, UnknownSourceError
from .measure import area_km2
from .model import ControlMap, Provenance, Repair, _polygonal, normalise, polygonal_parts

log = logging.getLogger("mapdiff")

__all__ = ["measure_footprints"]

_AOI_PAD_DEG = 0.01  # ~1 km margin around the union of the areas of interest


# ======================================================================= releases
@dataclass(frozen=True)
class _Release:
    path: str | None
    map: ControlMap | None
    as_of: dt.date | None
    name: str


# ======================================================================= clipped reading
@dataclass(frozen=True)
class _Context:
    aoi_wkb: bytes | None
    fps_wkb: tuple
    centre: tuple | None
    profile: str | None
    cache: bool
    cache_dir: str | None
    clip: object = None  # exact AOI (changes), the padded one is aoi_wkb
    check_source: bool = True  # the profile was recognised, not given: check every file


def _aoi(geoms: np.ndarray):
    """Union of the areas of interest's bounding boxes, padded by ``_AOI_PAD_DEG``.

    Boxes rather than the exact outlines: clipping a front against a few axis-parallel
    edges is several times cheaper than against hundreds of curved ones, and measuring
    cuts the exact footprints out afterwards. Rounded to 1e-6° so the cache key is stable.
    """
    b = shapely.bounds(np.asarray(geoms, dtype=object))
    pad = np.array([-_AOI_PAD_DEG, -_AOI_PAD_DEG, _AOI_PAD_DEG, _AOI_PAD_DEG])
    boxes = shapely.box(*(np.round(b + pad, 6)).T)
    return shapely.union_all(boxes)


def _centre(geoms) -> tuple[float, float]:
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    return (round((xmin + xmax) / 2, 1), round((ymin + ymax) / 2, 1))


@lru_cache(maxsize=16)
def _profile_coverage_in(profile_name: str, aoi_wkb: bytes | None):
    from .io.profiles import get_profile
    from .io.read import _coverage

    cov = _coverage(get_profile(profile_name), profile_name)
    if cov is not None and aoi_wkb is not None:
        cov = _polygonal(shapely.intersection(cov, shapely.from_wkb(aoi_wkb)))
    if cov is not None:
        shapely.prepare(cov)
    return cov


def _read_clipped(
    data: bytes, path: str, aoi, aoi_wkb, source: str | None, as_of, check_source: bool = False
) -> ControlMap:
    """Read one release and keep only what lies in ``aoi`` (clipping before any repair)."""
    from .io.profiles import detect_profile, get_profile
    from .io.read import _check_lonlat, _read_bytes, _resolve_as_of

    name = Path(path).name
    raw = _read_bytes(data, name, None, path)
    found = detect_profile(raw.table, raw.collection_name) if (check_source or not source) else None
    if source and check_source and found is not None and found.name != source:
        raise UnknownSourceError(
            f"{name}: looks like a {found.name} release, but the series is {source}; keep one source "
            f"per Series (or pass source={source!r} to read every file with that profile)"
        )
    profile = get_profile(source) if source else found
    if profile is None:
        raise UnknownSourceError(f"{name}: not recognised as any known source; pass source=")
    cover = _profile_coverage_in(source or profile.name, aoi_wkb)  # a TOML path stays a path
    if raw.coverage is not None:
        own = raw.coverage if aoi is None else shapely.intersection(raw.coverage, aoi)
        cover = own if cover is None else shapely.intersection(cover, own)
    elif cover is None and aoi is not None:
        cover = None  # the map speaks where it draws; the aoi clips the drawing below
    geoms = raw.geoms
    _check_lonlat(geoms, cover, name, False)
    date, origin = _resolve_as_of(profile, raw, None)
    labels = profile.label_features(raw.table)
    keep = np.array([lab is not None for lab in labels], dtype=bool)
    keep &= ~shapely.is_missing(geoms)
    if aoi is not None:
        shapely.prepare(aoi)
        idx = np.flatnonzero(keep)
        keep[idx[~shapely.intersects(aoi, geoms[idx])]] = False
    idx = np.flatnonzero(keep)
    sub = geoms[idx].copy()
    repairs = []
    n_unlabelled = sum(lab is None for lab in labels)
    if n_unlabelled:
        repairs.append(
            Repair(
                "unlabelled_dropped",
                n_unlabelled,
                0.0,
                f"features no rule of profile {profile.name!r} labels",
            )
        )
    if aoi is not None and sub.size:
        # clip to (coverage ∩ aoi) at once: what is cached is what will be measured
        region = aoi if cover is None else cover
        sub = shapely.force_2d(sub)
        bad = ~shapely.is_valid(sub)
        if bad.any():
            sub[bad] = polygonal_parts(shapely.make_valid(sub[bad], method="structure", keep_collapsed=False))
            repairs.append(
                Repair(
                    "invalid_geometry",
                    int(bad.sum()),
                    0.0,
                    "repaired with make_valid (structure) inside the area of interest",
                )
            )
        sub = polygonal_parts(shapely.intersection(sub, region))
    feats = [(labels[i], g) for i, g in zip(idx, sub, strict=True) if not shapely.is_empty(g)]
    prov = Provenance(profile.name, profile.name, path, raw.sha256, origin)
    if as_of is not None and date != as_of:
        date = as_of
    if not feats:
        from .model import NormalisationReport

        return ControlMap(
            (),
            (),
            cover if cover is not None else aoi,
            profile.background,
            profile.name,
            date,
            profile.scope,
            prov,
            NormalisationReport(len(labels), 0, tuple(repairs)),
        )
    return normalise(
        feats,
        precedence=profile.order(labels),
        coverage=cover,
        background=profile.background,
        source=profile.name,
        as_of=date,
        scope=profile.scope,
        provenance=prov,
        repairs=repairs,
        n_features=len(labels),
    )


def _load_release(r: _Release, ctx: _Context) -> ControlMap:
    """One release clipped to the context's area of interest, through the cache."""
    aoi = None if ctx.aoi_wkb is None else shapely.from_wkb(ctx.aoi_wkb)
    if r.map is not None:
        return r.map if aoi is None else _clip_map(r.map, aoi)
    from . import cache as _cache
    from .io.read import read_input_bytes

    data = read_input_bytes(r.path)
    key = None
    if ctx.cache:
        key = _cache.release_key(hashlib.sha256(data).hexdigest(), aoi, ctx.profile)
        hit = _cache.load(key, ctx.cache_dir)
        log.debug("release cache %s for %s (key %s…)", "miss" if hit is None else "hit", r.path, key[:12])
        if hit is not None:
            hit = hit if hit.as_of == r.as_of else _with_date(hit, r.as_of)
            return _inside_coverage(hit) if aoi is not None else hit
    m = _read_clipped(data, r.path, aoi, ctx.aoi_wkb, ctx.profile, r.as_of, ctx.check_source)
    if key is not None:
        try:
            stored = _cache.store(key, m, ctx.cache_dir)
            log.debug("release cache: stored %s as %s", r.path, stored)
        except OSError as exc:
            import warnings

            from .errors import MapdiffWarning

            warnings.warn(
                f"cannot write the release cache in {_cache.cache_dir(ctx.cache_dir)} ({exc}); "
                f"going on without it (set {_cache.CACHE_ENV} to a writable folder)",
                MapdiffWarning,
                stacklevel=2,
            )
    return _inside_coverage(m) if aoi is not None else m


def _inside_coverage(m: ControlMap) -> ControlMap:
    """Mark a map read by :func:`_read_clipped` as already clipped to its coverage.

    Its drawn geometries were cut with (coverage ∩ aoi) itself; a ``covers`` test can still
    fail on the last bit of a coordinate and cut them again for nothing.
    """
    m.__dict__["_clipped"] = m.geometries  # the cached_property's slot
    return m


def _clip_map(m: ControlMap, aoi) -> ControlMap:
    """``m`` restricted to ``aoi``; unlike :meth:`ControlMap.clip` a map without coverage keeps none."""
    shapely.prepare(aoi)
    geoms = tuple(
        g if shapely.covers(aoi, g) else _polygonal(shapely.intersection(g, aoi)) for g in m.geometries
    )
    cov = None if m.coverage is None else _polygonal(shapely.intersection(m.coverage, aoi))
    return ControlMap(
        m.labels, geoms, cov, m.background, m.source, m.as_of, m.scope, m.provenance, m.report_base
    )


def _with_date(m: ControlMap, as_of) -> ControlMap:
    return ControlMap(
        m.labels,
        m.geometries,
        m.coverage,
        m.background,
        m.source,
        as_of,
        m.scope,
        m.provenance,
        m.report_base,
    )


# ======================================================================= measuring
@dataclass(frozen=True)
class _Measured:
    as_of: dt.date
    name: str
    labels: tuple  # Label per row of areas (drawn labels, then background)
    areas: np.ndarray  # (len(labels), n_places) km²
    covered: np.ndarray  # (n_places,) km² of each footprint inside the map's coverage
    total: np.ndarray  # (n_places,) km² of each footprint


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
        Reused across releases: footprint areas inside a coverage seen before are not
        measured again (consecutive releases of one source share their coverage).

    Returns
    -------
    labels, areas, covered, total
        ``areas[i, j]`` is km² of ``labels[i]`` in footprint ``j`` (drawn labels, then the
        background); ``covered[j]`` is the part of footprint ``j`` the map covers, ``total[j]``
        its whole area. Same numbers as :meth:`ControlMap.partition` per footprint.
    """
    fps = np.asarray(fps, dtype=object)
    n = len(fps)
    centre = centre or _centre(fps)
    cov = m.coverage
    drawn = [g for g in m._clipped]
    parts, owner = [], []
    for k, g in enumerate(drawn):
        p = shapely.get_parts(g)
        p = p[~shapely.is_empty(p)]
        parts.append(p)
        owner.append(np.full(len(p), k))
    parts = np.concatenate(parts) if parts else np.empty(0, dtype=object)
    owner = np.concatenate(owner) if owner else np.empty(0, dtype=int)
    memo = {} if memo is None else memo
    ckey = b"" if cov is None else shapely.to_wkb(cov)
    if ckey not in memo:
        covered_geoms = fps if cov is None else shapely.intersection(fps, cov)
        sizes = area_km2(np.concatenate([covered_geoms, fps]), centre=centre)
        memo[ckey] = (sizes[:n], sizes[n:])
    csize, tsize = memo[ckey]
    areas = np.zeros((len(drawn) + (m.background is not None), n))
    if parts.size:
        # Consecutive releases mostly redraw the same parts: a part seen before (same WKB)
        # reuses its measures; only new parts are cut and projected.
        seen = memo.setdefault("parts", {})
        if len(seen) > 20000:
            seen.clear()
        if "tree" not in memo:
            memo["tree"] = shapely.STRtree(fps)
        keys = shapely.to_wkb(parts)
        new = np.flatnonzero([k not in seen for k in keys])
        if new.size:
            qi, fi = memo["tree"].query(parts[new], predicate="intersects")
            psize = np.empty(len(qi))
            if len(qi):
                # a town wholly inside one drawn part measures as the town: no cut, no projection
                shapely.prepare(parts[new[np.unique(qi)]])
                full = shapely.covers(parts[new[qi]], fps[fi])
                psize[full] = tsize[fi[full]]
                cut = ~full
                if cut.any():
                    psize[cut] = area_km2(
                        shapely.intersection(parts[new[qi[cut]]], fps[fi[cut]]), centre=centre
                    )
            bounds = np.searchsorted(qi, np.arange(new.size + 1))
            for k, i in enumerate(new):
                sl = slice(bounds[k], bounds[k + 1])
                seen[keys[i]] = (fi[sl], psize[sl])
        for k in range(len(parts)):
            f, a = seen[keys[k]]
            if len(f):
                areas[owner[k], f] += a
    if cov is None:  # the map speaks only where it draws: no background there
        csize = areas[: len(drawn)].sum(axis=0)
    labels = list(m.labels)
    if m.background is not None:
        areas[-1] = np.maximum(csize - areas[: len(drawn)].sum(axis=0), 0.0)
        labels.append(m.background)
    return tuple(labels), areas, csize, tsize


def _measure_batch(ctx: _Context, batch: Sequence[_Release]) -> list[_Measured]:
    fps = shapely.from_wkb(np.asarray(ctx.fps_wkb, dtype=object))
    out, memo = [], {}
    for r in batch:
        m = _load_release(r, ctx)
        labels, areas, cov, tot = measure_footprints(m, fps, ctx.centre, memo)
        out.append(_Measured(r.as_of, r.name, labels, areas, cov, tot))
    return out


# ======================================================================= running
def _progress(total: int, desc: str, quiet: bool):
    if quiet or total < 2 or not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        return None
    try:
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=desc, unit="release", file=sys.stderr, leave=False)
    except ImportError:
        return _LineProgress(total, desc)


class _LineProgress:
    def __init__(self, total: int, desc: str):
        self.total, self.desc, self.n = total, desc, 0

    def update(self, k: int) -> None:
        self.n += k
        print(f"\r{self.desc}: {self.n}/{self.total}", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        print(file=sys.stderr)


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


def _run(
    fn,
    ctx: _Context,
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

            with ProcessPoolExecutor(max_workers=min(workers, len(batches))) as ex:
                futs = {ex.submit(fn, ctx, b): i for i, b in enumerate(batches)}
                for f in as_completed(futs):
                    done(futs[f], f.result())
        else:
            _run_dask(fn, ctx, batches, workers, client, done)
    finally:
        if bar is not None:
            bar.close()
    return [x for res in results for x in res]


def _run_dask(fn, ctx, batches, workers, client, done) -> None:
    try:
        from distributed import Client, LocalCluster, as_completed, get_client
    except ImportError:
        raise MissingDependencyError(
            "backend='dask' needs dask.distributed: pip install 'mapdiff[dask]'"
        ) from None
    own = None
    if client is None:
        try:
            client = get_client()
        except ValueError:
            cluster = LocalCluster(
                n_workers=min(workers, 4), threads_per_worker=1, processes=True, dashboard_address=None
            )
            own = client = Client(cluster)
    try:
        ctx_f = client.scatter(ctx, broadcast=True)
        futs = [client.submit(fn, ctx_f, b, pure=False) for b in batches]
        index = {f.key: i for i, f in enumerate(futs)}
        for f in as_completed(futs):
            done(index[f.key], f.result())
    finally:
        if own is not None:
            cluster = own.cluster
            own.close()
            cluster.close()
