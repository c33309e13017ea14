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
from ..model.shapes import polygonal
from ._dask import dask_client, dask_workers, run_dask
from ._kernel import Footprints, measure_footprints, rounded_centre

log = logging.getLogger("mapdiff")

__all__ = ["measure_footprints", "rounded_centre"]

_Footprints = Footprints  # the name the tests know

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
    return _cache.cache_dir(ctx.cache_dir) / f"{h.hexdigest()}{_cache.RESULTS_SUFFIX}"


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


def _index(ctx: Context) -> Footprints:
    key = (hashlib.sha256(b"".join(ctx.fps_wkb)).hexdigest(), len(ctx.fps_wkb), ctx.centre)
    ix = _INDEXES.get(key)
    if ix is None:
        if len(_INDEXES) >= 4:
            _INDEXES.pop(next(iter(_INDEXES)))
        ix = _INDEXES[key] = Footprints(shapely.from_wkb(np.asarray(ctx.fps_wkb, dtype=object)), ctx.centre)
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


def _batches(items: list, n_batches: int, overlap: bool, workers: int = 0) -> list[list]:
    """``items`` cut into runs of consecutive items (with ``overlap``, each run shares its
    last item with the next run's first).

    ``workers``: the runs shrink as the work left does (each a quarter of what is left per
    worker, none shorter than a 16th of an even share; ``n_batches`` is then not used): the
    first are long (a worker pays once for what its memo lacks at a run's start), the last
    short, so that no worker is left alone with a long run while the others wait."""
    n = len(items)
    size = max(1, math.ceil(n / max(1, n_batches)))
    sizes = [size] * math.ceil(n / size) if n else []
    if workers > 1 and n:
        least, sizes, left = math.ceil(n / (16 * workers)), [], n
        while left > 0:
            s = min(left, max(least, math.ceil(left / (2 * workers))))
            sizes.append(s)
            left -= s
        if len(sizes) > 1 and sizes[-1] < least / 2:  # no run of a few items at the end
            sizes[-2:] = [sizes[-2] + sizes[-1]]
    out, start = [], 0
    for s in sizes:
        stop = min(n, start + s + (1 if overlap else 0))
        chunk = items[start:stop]
        if overlap and len(chunk) < 2:
            break
        out.append(chunk)
        start += s
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
    batches = _batches(items, n_batches, overlap, 0 if serial else workers)
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
