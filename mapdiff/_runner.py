"""The engine under :class:`~mapdiff.Series`: read releases clipped to an area, measure
footprints on them in one vectorised pass, and run batches over a process pool or
dask.distributed with a progress bar. Private: the public face is :mod:`mapdiff.series`
and :mod:`mapdiff.change`."""

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
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely

from .errors import ArgumentError, MissingDependencyError
from .measure import area_km2
from .model import ControlMap, _polygonal

log = logging.getLogger("mapdiff")

__all__ = ["dask_client", "measure_footprints"]

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
    # Cache clipped releases (mapdiff.cache). Shares keep their measured results by file
    # identity instead (measure_releases): a release entry would be keyed by the same
    # footprints' boxes, so it would only ever serve the same run, at ~100x the size.
    store_releases: bool = True


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


def _read_clipped(data: bytes, path: str, aoi, source: str | None, check_source: bool = False) -> ControlMap:
    """One release read from its bytes through THE reading pipeline, clipped to ``aoi``."""
    from .io.read import _read_bytes, _read_map

    raw = _read_bytes(data, Path(path).name, None, path)
    return _read_map(raw, source, clip=aoi, check_source=check_source and source is not None)


def _load_release(r: _Release, ctx: _Context) -> ControlMap:
    """One release clipped to the context's area of interest, through the cache."""
    aoi = None if ctx.aoi_wkb is None else shapely.from_wkb(ctx.aoi_wkb)
    if r.map is not None:
        return r.map if aoi is None else _clip_map(r.map, aoi)
    from . import cache as _cache
    from .io.read import read_input_bytes

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

            from .errors import MapdiffWarning

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
        g if shapely.covers(aoi, g) else _polygonal(shapely.intersection(g, aoi)) for g in m.geometries
    )
    cov = None if m.coverage is None else _polygonal(shapely.intersection(m.coverage, aoi))
    return dataclasses.replace(m, geometries=geoms, coverage=cov, _land=None)


def _dated(m: ControlMap, as_of) -> ControlMap:
    """``m`` with the release's date (the one the series dated it by, e.g. its file name)."""
    return m if as_of is None or m.as_of == as_of else dataclasses.replace(m, as_of=as_of)


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


# ======================================================================= results by file identity
_RESULTS_FORMAT = 2  # 2: with the sha256 of its entries
_RESULTS_MAX = 50000  # entries kept per results file (a few MB)


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


@lru_cache(maxsize=64)
def _real_dir(path: str) -> str:
    return os.path.realpath(path)


def _results_file(ctx: _Context) -> Path:
    from . import cache as _cache
    from ._version import __version__

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
    import orjson

    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}  # missing, damaged or foreign: measured again and rewritten
    if not isinstance(data, dict) or data.get("format") != _RESULTS_FORMAT:
        return {}
    entries = data.get("entries", {})
    try:  # a flipped bit in a number would still parse: the checksum catches it
        if hashlib.sha256(orjson.dumps(entries, option=orjson.OPT_SORT_KEYS)).hexdigest() != data.get(
            "sha256"
        ):
            return {}
    except TypeError:
        return {}
    with contextlib.suppress(OSError):
        os.utime(path)  # used: kept by cache.prune()
    return entries if isinstance(entries, dict) else {}


def _encode(m: _Measured) -> dict:
    return {
        "labels": [[lab.status, lab.side] for lab in m.labels],
        "areas": m.areas.tolist(),
        "covered": m.covered.tolist(),
        "total": m.total.tolist(),
    }


def _decode(e: dict, r: _Release, n: int) -> _Measured | None:
    from .labels import Label

    try:
        labels = tuple(Label(st, sd) for st, sd in e["labels"])
        areas = np.asarray(e["areas"], dtype=float).reshape(len(labels), n)
        covered = np.asarray(e["covered"], dtype=float).reshape(n)
        total = np.asarray(e["total"], dtype=float).reshape(n)
    except (KeyError, TypeError, ValueError):
        return None
    return _Measured(r.as_of, r.name, labels, areas, covered, total)


def measure_releases(ctx: _Context, releases: list, run) -> list[_Measured]:
    """Measure every release, taking what a run over the same files already measured.

    ``run(todo)`` measures the releases not found (a :func:`_run` call). With the cache on,
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
    found: dict[int, _Measured] = {}
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


def _write_results(path: Path, entries: dict, ctx: _Context) -> None:
    import orjson

    from .io.atomic import write_bytes

    try:
        digest = hashlib.sha256(orjson.dumps(entries, option=orjson.OPT_SORT_KEYS)).hexdigest()
        body = {"format": _RESULTS_FORMAT, "entries": entries, "sha256": digest}
        write_bytes(path, orjson.dumps(body), fsync=False)
    except OSError as exc:
        import warnings

        from . import cache as _cache
        from .errors import MapdiffWarning

        warnings.warn(
            f"cannot write the results cache in {path.parent} ({exc}); going on without it "
            f"(set {_cache.CACHE_ENV} to a writable folder)",
            MapdiffWarning,
            stacklevel=3,
        )


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
    if backend == "dask":
        client = client if client is not None else dask_client(workers=workers)
        workers = len(client.scheduler_info().get("workers", ())) or workers or 1
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
            _run_dask(fn, ctx, batches, client, done)
    finally:
        if bar is not None:
            bar.close()
    return [x for res in results for x in res]


_CLIENTS: dict = {}  # one dask client per scheduler address (or "local"), kept for the process


def dask_client(scheduler: str | None = None, *, workers: int | None = None):
    """The dask.distributed client runs use: made once per process and scheduler, then reused.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``). Without it: the active
        client if there is one, else a LocalCluster of ``workers`` processes (default: the
        cores), started on first use and closed when the process exits.
    workers : int, optional
        Worker processes of the LocalCluster.

    Returns
    -------
    distributed.Client

    Examples
    --------
    >>> import mapdiff
    >>> client = mapdiff.dask_client("tcp://scheduler:8786")  # doctest: +SKIP
    >>> s = mapdiff.Series(mapdiff.sample_paths())
    >>> sh = s.shares(["Pokrovsk"], "RU", backend="dask", client=client)  # doctest: +SKIP
    """
    try:
        from distributed import Client, LocalCluster, get_client
    except ImportError:
        raise MissingDependencyError(
            "backend='dask' needs dask.distributed: pip install 'mapdiff[dask]'"
        ) from None
    key = scheduler or f"local:{workers or os.cpu_count() or 1}"
    client = _CLIENTS.get(key)
    if client is not None and client.status == "running":
        return client
    if scheduler is not None:
        client = Client(scheduler)
    else:
        try:
            return get_client()
        except ValueError:
            cluster = LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            client = Client(cluster)
            import atexit

            atexit.register(_close, client)
    _CLIENTS[key] = client
    return client


def _close(client) -> None:
    cluster = getattr(client, "cluster", None)
    with contextlib.suppress(Exception):
        client.close()
        if cluster is not None:
            cluster.close()


def _run_dask(fn, ctx, batches, client, done) -> None:
    from distributed import as_completed

    ctx_f = client.scatter(ctx, broadcast=True)
    futs = [client.submit(fn, ctx_f, b, pure=False) for b in batches]
    index = {f.key: i for i, f in enumerate(futs)}
    for f in as_completed(futs):
        done(index[f.key], f.result())
