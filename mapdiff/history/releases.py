"""Release history: series of releases, changes, share series, first crossings, source lag.

A :class:`Releases` is an ordered set of releases of one source (a folder or glob of files,
a list of files or of :class:`~mapdiff.model.control_map.ControlMap`), read lazily. Its dates come
from the cheapest place that states them: the file name where the source's profile dates
releases by name (the DeepState archive), a scan of the raw bytes for the dating property
(NZZ's ``_dateto``), and only failing both a full read.

Speed (what a run over hundreds of releases and places does)
--------------------------------------------------------------
1. Each release is read once, and its labelled features are clipped to the union of the
   areas of interest (buffered by ``_AOI_PAD_DEG``) before anything else: repair,
   overlap resolution and measuring then touch a few km² instead of a whole front.
2. The clipped release is cached on disk (:mod:`mapdiff.io.cache`, keyed by the file's
   content hash, the area of interest, the profile and the version), so a second run
   only reads small WKB entries.
3. All footprints are measured at once: an STRtree over the parts of every drawn label
   finds the (part, footprint) pairs that meet, one vectorised ``intersection`` cuts
   them, and one :func:`~mapdiff.model.measure.area_km2` call (one equal-area projection for
   the whole run) measures every piece; ``np.bincount`` sums them per footprint.
4. Releases run in parallel, in batches: ``backend="local"`` uses a
   :class:`concurrent.futures.ProcessPoolExecutor` (``workers=``), ``backend="dask"``
   the same batch function on dask.distributed. Each batch returns only a small area
   table, so memory stays flat however long the history.

Scale-out with dask
-------------------
Install the extra (``pip install 'mapdiff[dask]'``) and pass a client::

    from dask.distributed import Client
    client = Client("tcp://scheduler-host:8786")      # a real cluster
    s = mapdiff.Releases("/data/deepstate/*.geojson")
    shares = s.shares(["Pokrovsk", "Myrnohrad"], "RU", backend="dask", client=client)

Without ``client=`` an active client (``distributed.get_client()``) is used, or a
LocalCluster of ``workers`` processes is started on the first call and reused by every
later call of the process (closed at exit): its workers keep their imports and caches
warm, so from the second call on the dask path starts no process at all. Workers need
mapdiff installed and the files at the same paths (a shared filesystem), and
``MAPDIFF_CACHE_DIR`` pointing at shared or local storage. Work is parallel over releases
(shares) and over runs of consecutive releases (changes): dask-geopandas has no overlay,
and one release is small.

Grey zone policy for shares
---------------------------
``policy="nobody"`` (default): grey (``contested``) land counts for no side: the share
is held / covered area. ``"half"``: half of the grey land counts for the side.
``"claimant"``: grey counts for the side asked about (an upper bound). ``"excluded"``:
grey land is left out of the denominator. (``"side"`` and ``"exclude"`` are accepted
as older spellings.) The names are those of :func:`mapdiff.check_claim`.
"""

from __future__ import annotations

import datetime as dt
import glob as _glob
import html
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from .. import config
from .._dates import as_date, find_date
from .._json import SCHEMA_VERSION
from ..claims.check import CAPTURED_THRESHOLD, POLICIES, POLICY_ALIASES
from ..errors import ArgumentError, EmptyMapError, FormatError, UnknownSourceError
from ..io import cache as _cache
from ..io.gate import check_input_path, read_input_bytes
from ..io.read import read_map, read_raw
from ..labels import CONTESTED, canonical_side, resolve_side
from ..model.classes import source_lean, source_name
from ..model.control_map import ControlMap
from ..places.footprints import Footprint, footprint, is_place_set, place_set
from ..profiles import MAX_MATCH_CHARS, detect_profile, get_profile, parse_format
from ._dask import dask_client
from ._engine import (
    Context,
    Measured,
    Release,
    aoi_geometry_of,
    measure_batch,
    measure_footprints,
    measure_releases,
    rounded_centre,
    run,
)
from .change import aoi_geometry, assemble_changes, changes_batch
from .lag import first_crossing

if TYPE_CHECKING:
    from .change import ChangeTable

__all__ = [
    "CAPTURED",
    "Releases",
    "ShareSeries",
    "dask_client",
    "measure_footprints",
]

#: Share at or above which a town counts as captured by :meth:`ShareSeries.first_crossing`:
#: the same threshold as a "captured" claim (:data:`mapdiff.claims.check.CAPTURED_THRESHOLD`).
CAPTURED = CAPTURED_THRESHOLD


def _cheap_date(path: Path, profile) -> dt.date | None:
    """The release date without parsing the file, if the profile allows it."""
    spec = profile.as_of if profile is not None else {}
    if spec.get("file_name"):
        m = re.search(spec["file_name"], path.name[:MAX_MATCH_CHARS])
        if m:
            # in the profile's own format when it states one (Creamy Caprice: %y_%m_%d), as
            # reading the file would: without it such a date reads as none and every file
            # was parsed whole just to be dated
            fmt = spec.get("format")
            d = parse_format(m.group(1), fmt) if fmt else find_date(m.group(1))
            if d is not None:
                return d
    prop = spec.get("property")
    if prop:
        head = read_input_bytes(path)
        rx = re.compile(rb'"' + re.escape(prop.encode()) + rb'"\s*:\s*"([^"]{8,32})"')
        dates = [d for d in (find_date(v.decode("ascii", "replace")) for v in rx.findall(head)) if d]
        if dates:
            return max(dates)
        return None
    if profile is None:
        return find_date(path.name)
    return None


_MAP_SUFFIXES = {
    ".geojson",
    ".json",
    ".gpkg",
    ".kml",
    ".kmz",
    ".fgb",
    ".parquet",
    ".geoparquet",
    ".shp",
    ".zip",
}


def _expand(src) -> list[Path]:
    text = str(src)
    p = Path(text)
    if p.is_dir():
        paths = [
            q
            for q in p.iterdir()
            if q.is_file() and not q.name.startswith(".") and q.suffix.lower() in _MAP_SUFFIXES
        ]
    elif any(ch in text for ch in "*?["):
        paths = [Path(q) for q in _glob.glob(text) if os.path.isfile(q)]
    elif p.is_file():
        paths = [p]
    elif p.exists():  # a FIFO, a device: refused by the gate, never opened
        paths = [check_input_path(p, "release file")]
    else:
        raise FormatError(
            f"{text}: no such file, folder or glob match; pass a folder, a glob "
            "such as 'data/deepstate/*.geojson', or a list of files"
        )
    if not paths:
        raise FormatError(f"{text}: no map files found there")
    return sorted(paths)


class Releases:
    """An ordered series of releases of one source, read lazily.

    Parameters
    ----------
    releases : str, Path, or sequence of paths / ControlMaps
        A folder, a glob (``"data/deepstate/*.geojson"``), a list of files, a list of
        :class:`ControlMap`, or any iterable of these (for example what a fetcher returns).
    source : str, optional
        Profile name; by default recognised from the first file.
    dates : sequence of date, optional
        Release dates, one per release, for files that state none.
    cache : bool, default True
        Remember in the cache root which source the first file was recognised as (by
        its content hash), so the next run parses nothing to recognise it, and read
        whole releases (``s[i]``, iteration) through the read cache
        (:func:`mapdiff.read_map` ``cache=True``); False does neither.

    Notes
    -----
    Releases are ordered by date. Several files with the same date (NZZ republishes a
    weekly window daily) keep the last one; :attr:`duplicates` names the others.

    Examples
    --------
    >>> import mapdiff
    >>> s = mapdiff.Releases(mapdiff.sample_paths(), cache=False)
    >>> len(s), s.dates[0].isoformat()
    (5, '2025-10-01')
    >>> sh = s.shares(["Pokrovsk"], "RU", cache=False, workers=1, quiet=True)
    >>> float(sh.frame["Pokrovsk"].iloc[-1]) > float(sh.frame["Pokrovsk"].iloc[0])
    True
    """

    def __init__(self, releases, *, source: str | None = None, dates=None, cache: bool = True):

        if isinstance(releases, str | Path):
            items: list = _expand(releases)
        elif isinstance(releases, ControlMap):
            items = [releases]
        else:
            items = []
            for r in releases:
                items.extend(_expand(r) if isinstance(r, str | Path) and not Path(r).is_file() else [r])
        if not items:
            raise EmptyMapError("the series holds no release; pass files, a folder, a glob or maps")
        if dates is not None and len(dates) != len(items):
            raise ArgumentError(f"{len(dates)} dates for {len(items)} releases; give one date per release")
        self.source = source
        self._source_given = source is not None
        self._cache = cache
        profile = get_profile(source) if source else None
        first_path = next((Path(x) for x in items if not isinstance(x, ControlMap)), None)
        if profile is None and first_path is not None:
            profile = _detect(first_path, cache)
            self.source = profile.name
        if self.source is None:
            self.source = items[0].source
        # a TOML profile travels to worker processes by its path (they know no such name)
        toml = isinstance(source, str | Path) and str(source).lower().endswith(".toml")
        self._profile_name = (
            str(Path(source).resolve()) if toml else profile.name if profile is not None else None
        )
        if toml:
            self.source = profile.name
        rel = []
        for i, x in enumerate(items):
            given = as_date(dates[i], where="dates=") if dates is not None else None
            if isinstance(x, ControlMap):
                rel.append(Release(None, x, given or x.as_of, f"{x.source} {x.as_of}"))
            else:
                p = check_input_path(x, "release file")  # a local regular file, or a clear refusal
                d = given or _cheap_date(p, profile)
                if d is None:
                    m = read_map(p, source=self._profile_name if self._source_given else None)
                    if m.source != self.source:
                        raise UnknownSourceError(
                            f"{p.name}: looks like a {m.source} release, but the series is {self.source}; "
                            f"keep one source per Releases (or pass source={self.source!r})"
                        )
                    d = m.as_of
                rel.append(Release(str(p), None, d, p.name))
        undated = [r.name for r in rel if r.as_of is None]
        if undated:
            raise FormatError(f"{undated[0]}: the release states no date; pass dates= (one per release)")
        rel.sort(key=lambda r: (r.as_of, r.name))
        by_date: dict = {}
        dups = []
        for r in rel:
            if r.as_of in by_date:
                dups.append(by_date[r.as_of].name)
            by_date[r.as_of] = r
        self._releases: list[Release] = list(by_date.values())
        #: Names of releases dropped because a later one has the same date.
        self.duplicates: tuple[str, ...] = tuple(dups)

    # ------------------------------------------------------------ container
    @property
    def dates(self) -> list[dt.date]:
        """Release dates, oldest first."""
        return [r.as_of for r in self._releases]

    @property
    def names(self) -> list[str]:
        """File (or map) names of the releases, oldest first."""
        return [r.name for r in self._releases]

    def __len__(self) -> int:
        return len(self._releases)

    def __getitem__(self, i):
        """The i-th release as a ControlMap (read now), or a sub-Releases for a slice."""
        if isinstance(i, slice):
            out = self.between()
            out._releases = self._releases[i]
            return out
        return _read_full(self._releases[i], self._profile_name, getattr(self, "_cache", True))

    def __iter__(self):
        for r in self._releases:
            yield _read_full(r, self._profile_name, getattr(self, "_cache", True))

    def __repr__(self) -> str:
        span = f"{self.dates[0]}..{self.dates[-1]}" if self._releases else "empty"
        return f"<Releases {self.source}: {len(self)} releases {span}>"

    def between(self, start=None, end=None) -> Releases:
        """The releases dated from ``start`` to ``end`` (inclusive), as a new Releases."""
        lo = as_date(start, where="start=") if start is not None else dt.date.min
        hi = as_date(end, where="end=") if end is not None else dt.date.max
        out = object.__new__(Releases)
        out.source, out._profile_name, out.duplicates = self.source, self._profile_name, self.duplicates
        out._source_given = self._source_given
        out._cache = getattr(self, "_cache", True)
        out._releases = [r for r in self._releases if lo <= r.as_of <= hi]
        return out

    # ------------------------------------------------------------ analyses
    def shares(
        self,
        places,
        side: str,
        *,
        policy: str = "nobody",
        workers: int | None = None,
        backend: str = "local",
        client=None,
        cache: bool = True,
        cache_dir=None,
        quiet: bool = False,
    ) -> ShareSeries:
        """The side's share of each place's footprint, release by release.

        Parameters
        ----------
        places : str, Footprint, sequence of them, or a set of places
            Gazetteer names (any alias, any script), ids (``relation/13285838``) or
            :class:`~mapdiff.places.footprints.Footprint` objects; or a set
            (:func:`~mapdiff.places.footprints.place_set`): a level (``"hromadas"``), a level
            below a parent (``"every hromada of Donetsk Oblast"``) or a GeoDataFrame. A set's
            places are named ``"<id> <name>"``.
        side : str
            The side whose held land (labels for which ``Label.holds``) is measured.
        policy : {"nobody", "half", "claimant", "excluded"}
            What grey (``contested``) land counts as (module docstring).
        workers : int, optional
            Parallel processes (local) or dask workers for a LocalCluster; default: cores.
        backend : {"local", "dask"}
        client : dask.distributed.Client, optional
        cache : bool, default True
            Use the on-disk cache of clipped releases (:mod:`mapdiff.io.cache`).
        cache_dir : path, optional
            Cache folder (default ``releases/`` in the cache root: ``$MAPDIFF_CACHE_DIR`` or
            the user cache directory).
        quiet : bool
            No progress bar (it is also off when stderr is not a terminal).

        Returns
        -------
        ShareSeries
        """
        # grey-zone policies: those of mapdiff.claims.check (one vocabulary for the library)
        policy = POLICY_ALIASES.get(policy, policy)
        if policy not in POLICIES:
            raise ArgumentError(f"unknown policy {policy!r}; use one of {', '.join(POLICIES)}")
        side = canonical_side(side)
        fps = _footprints(places)
        results = self._measure(
            fps, workers, backend, client, cache, cache_dir, quiet, f"{self.source} shares"
        )
        known = self._sides(results)
        if side not in known:
            resolve_side(side, sorted(known), what=f"the {self.source} maps")
        return assemble_shares(results, fps, side, policy, self.source, self._has_grey(results))

    def _has_grey(self, results) -> bool:
        """Does the source have a grey-zone class (its profile's classes, or grey drawn)?"""

        if any(lab.status == CONTESTED for r in results for lab in r.labels):
            return True
        if any(r.map is not None and r.map.has_grey for r in self._releases):
            return True
        if self._profile_name:
            declared = get_profile(self._profile_name).has_grey
            return True if declared is None else declared
        return True

    def _measure(
        self, fps, workers, backend, client, cache, cache_dir, quiet, desc, stats: dict | None = None
    ) -> list[Measured]:
        """Every release read once (clipped, cached) and every footprint measured on it:
        the km² per label behind :meth:`shares`, for any number of sides
        (:func:`assemble_shares` turns them into one side's shares). ``stats``, if given,
        receives ``releases`` and ``read`` (those not answered by the results cache)."""
        names = tuple(f.name for f in fps)
        if len(set(names)) != len(names):
            raise ArgumentError(f"places named twice: {', '.join(names)}; give each place once")
        geoms = np.asarray([f.geometry for f in fps], dtype=object)
        aoi = aoi_geometry_of(geoms)
        ctx = Context(
            shapely.to_wkb(aoi),
            tuple(shapely.to_wkb(geoms)),
            rounded_centre(geoms),
            self._profile_name,
            bool(cache),
            None if cache_dir is None else str(cache_dir),
            check_source=not self._source_given,
            store_releases=False,
        )

        def measure(todo):
            if stats is not None:
                stats["read"] = stats.get("read", 0) + len(todo)
            return run(measure_batch, ctx, todo, workers, backend, client, quiet, desc)

        if stats is not None:
            stats["releases"] = len(self._releases)
        return measure_releases(ctx, self._releases, measure)

    def _sides(self, results) -> set[str]:
        """Sides the releases draw here, the profile's labels give, or the maps hold."""

        known = {lab.side for r in results for lab in r.labels if lab.side}
        if self._profile_name:
            prof = get_profile(self._profile_name)
            labels = [r.label for r in prof.rules if r.label is not None] + [prof.background]
            known |= {lab.side for lab in labels if lab is not None and lab.side}
        for r in self._releases:
            if r.map is not None:
                known |= {lab.side for lab in r.map.all_labels if lab.side}
        return known

    def changes(
        self,
        *,
        aoi=None,
        window: int = 7,
        workers: int | None = None,
        backend: str = "local",
        client=None,
        cache: bool = True,
        cache_dir=None,
        quiet: bool = False,
    ) -> ChangeTable:
        """Gains and losses per side between consecutive releases, with rolling averages.

        Parameters
        ----------
        aoi : place name, Footprint or shapely geometry (lon/lat), optional
            Area to look at; by default the whole front (everything the maps cover).
        window : int
            Releases in the rolling mean of the net change per day.
        workers, backend, client, cache, cache_dir, quiet
            As for :meth:`shares`.

        Returns
        -------
        ChangeTable
        """
        if len(self) < 2:
            raise EmptyMapError("changes need at least two releases")

        geom = None if aoi is None else aoi_geometry(aoi)
        area = None if geom is None else aoi_geometry_of(np.asarray([geom], dtype=object))
        ctx = Context(
            None if area is None else shapely.to_wkb(area),
            (),
            None,
            self._profile_name,
            bool(cache),
            None if cache_dir is None else str(cache_dir),
            clip=geom,
            check_source=not self._source_given,
        )
        rows = run(
            changes_batch,
            ctx,
            self._releases,
            workers,
            backend,
            client,
            quiet,
            f"{self.source} changes",
            overlap=True,
        )
        return assemble_changes(
            rows, window, self.source, None if aoi is None else getattr(aoi, "name", str(aoi))
        )


def _detect(path: Path, cache: bool = True):
    """The profile recognised from ``path``'s content; with ``cache``, remembered in the
    cache root by content hash (:func:`mapdiff.io.cache.detected`): a warm run parses nothing."""
    import hashlib

    digest = None
    if cache:
        digest = hashlib.sha256(read_input_bytes(path)).hexdigest()
        name = _cache.detected(digest)
        if name is not None:
            return get_profile(name)
    raw = read_raw(path)
    prof = detect_profile(raw.table, raw.collection_name, raw.name)
    if prof is None:
        raise UnknownSourceError(f"{path.name}: not recognised as any known source; pass source=")
    if digest is not None and raw.sha256 == digest:
        _cache.remember_detected(digest, prof.name)
    return prof


def _read_full(r: Release, profile: str | None, cache: bool = True) -> ControlMap:
    if r.map is not None:
        return r.map

    m = read_map(r.path, source=profile, cache=cache)  # through the read cache
    if m.as_of != r.as_of:
        m = replace(m, as_of=r.as_of)  # its coverage kept as read
    return m


# ======================================================================= share series
@config.cached(maxsize=1024)
def _footprint(name: str):

    return footprint(name)


def _footprints(places) -> list:

    if isinstance(places, str) and is_place_set(places):  # "hromadas", "every raion of X"
        return place_set(places)
    if type(places).__name__ == "GeoDataFrame":
        return place_set(places)
    if isinstance(places, str | Footprint):
        places = [places]
    out = []
    for p in places:
        out.append(p if isinstance(p, Footprint) else _footprint(p))
    if not out:
        raise ArgumentError("no place given; pass at least one place name or Footprint")
    return out


def assemble_shares(
    results: list[Measured], fps, side: str, policy: str, source: str, has_grey: bool = True
) -> ShareSeries:
    names = [f.name for f in fps]
    dates = [r.as_of for r in results]
    held = np.zeros((len(results), len(fps)))
    grey = np.zeros((len(results), len(fps)))
    covered = np.zeros((len(results), len(fps)))
    ev_date, ev_label, ev_area = [], [], []
    for i, r in enumerate(results):
        for lab, a in zip(r.labels, r.areas, strict=True):
            if lab.holds and lab.side == side:
                held[i] += a
            elif lab.status == CONTESTED:
                grey[i] += a
        covered[i] = r.covered
        ev_date += [r.as_of] * (len(r.labels) + 1)
        ev_label += [str(lab) for lab in r.labels] + ["not_covered"]
        ev_area.append(r.areas)
        ev_area.append(np.maximum(r.total - r.covered, 0.0)[None, :])
    # every release at once (the same arithmetic, element by element)
    num = held + {"claimant": grey, "half": grey / 2.0}.get(policy, 0.0)
    den = covered - (grey if policy == "excluded" else 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(den > 0, np.clip(num / np.where(den > 0, den, 1), 0.0, 1.0), np.nan)
        grey_share = np.where(covered > 0, grey / np.where(covered > 0, covered, 1), np.nan)

    def evidence() -> pd.DataFrame:
        """km² per (date, place, label), zero rows left out: millions of rows for thousands
        of places, made when first asked for (few runs look at it)."""
        stacked = np.vstack(ev_area) if ev_area else np.zeros((0, len(fps)))
        ri, ci = np.nonzero(stacked > 0)
        return pd.DataFrame(
            {
                "date": np.asarray(ev_date, dtype=object)[ri],
                # the few distinct strings converted once (the dtype pandas infers), taken per row
                "place": pd.Series(np.asarray(names, dtype=object)).array.take(ci),
                "label": pd.Series(np.asarray(ev_label, dtype=object)).array.take(ri),
                "km2": stacked[ri, ci],
            }
        )

    index = pd.DatetimeIndex(pd.to_datetime(dates), name="date")
    frame = pd.DataFrame(share, index=index, columns=names)
    grey_frame = pd.DataFrame(grey_share, index=index, columns=names) if has_grey else None
    note = None if has_grey else f"{source}: this source has no grey-zone class: the policies cannot differ"
    return ShareSeries(
        frame,
        side,
        policy,
        source,
        tuple(f.kind for f in fps),
        tuple(f.approximate for f in fps),
        _Later(evidence),
        grey_frame,
        note,
    )


def _rounded(frame: pd.DataFrame) -> dict:
    """``{column: [value rounded to 6 decimals, or None]}``, a column's values taken at once."""
    values = frame.to_numpy(dtype=float)
    return {
        p: [None if v != v else round(v, 6) for v in values[:, j].tolist()]
        for j, p in enumerate(frame.columns)
    }


class _Later:
    """A value made when first read: ``_Later(make)`` given to a :class:`_Lazy` field."""

    __slots__ = ("make",)

    def __init__(self, make):
        self.make = make


class _Lazy:
    """A dataclass field (a descriptor-typed field) whose value may be a :class:`_Later`:
    made on first access, then kept. Default None."""

    def __set_name__(self, owner, name):
        self.slot = f"_{name}_value"

    def __get__(self, obj, objtype=None):
        if obj is None:
            return None  # the field's default
        value = obj.__dict__.get(self.slot)
        if isinstance(value, _Later):
            value = obj.__dict__[self.slot] = value.make()
        return value

    def __set__(self, obj, value):
        obj.__dict__[self.slot] = None if isinstance(value, _Lazy) else value  # the default: None


@dataclass(frozen=True, eq=False)
class ShareSeries:
    """A side's share (0..1) of each place, release by release.

    Attributes
    ----------
    frame : DataFrame
        Index ``date`` (release dates), one column per place.
    side, policy, source : str
    kinds : tuple of str
        Footprint kind per place (``approximate`` ones are stand-ins: results say so).
    approximate : tuple of bool
    areas : DataFrame
        The evidence: km² per (date, place, label), including ``not_covered``.
    grey : DataFrame or None
        The grey zone's share (0..1) of each place's covered footprint, release by release,
        beside the held share (same index and columns as ``frame``); None when the source
        has no grey-zone class (:attr:`grey_note` says so).
    grey_note : str or None
        "this source has no grey-zone class: the policies cannot differ", or None.

    Examples
    --------
    >>> import mapdiff
    >>> s = mapdiff.Releases(mapdiff.sample_paths(), cache=False)
    >>> sh = s.shares(["Pokrovsk"], "RU", cache=False, workers=1, quiet=True)
    >>> type(sh).__name__, sh.kinds, sh.frame["Pokrovsk"].round(2).tolist()
    ('ShareSeries', ('city_limits',), [0.0, 0.07, 0.4, 0.45, 0.62])
    """

    frame: pd.DataFrame
    side: str
    policy: str
    source: str
    kinds: tuple = ()
    approximate: tuple = ()
    areas: pd.DataFrame = field(default=_Lazy(), repr=False)  # made when first read
    grey: pd.DataFrame | None = field(default=None, repr=False)
    grey_note: str | None = None

    def __getstate__(self):  # pickled or copied: the evidence made first
        _ = self.areas
        return self.__dict__

    @property
    def places(self) -> list[str]:
        """Place names, in the order asked for."""
        return list(self.frame.columns)

    def to_frame(self) -> pd.DataFrame:
        """The date × place table of shares (a copy)."""
        return self.frame.copy()

    def first_crossing(self, *, threshold=0.5) -> pd.DataFrame:
        """The first release at which each place's share reached ``threshold``.

        Parameters
        ----------
        threshold : float or "captured"
            A share in 0..1 (``0.5``, ``0.9``); ``"captured"`` means :data:`CAPTURED`.

        Returns
        -------
        DataFrame
            One row per place: ``threshold``, ``date`` (NaT if never), ``previous_date``
            (the last release below it: the crossing happened in between),
            ``share_before``, ``share_at``.

        Examples
        --------
        >>> import pandas as pd
        >>> f = pd.DataFrame({"A": [0.1, 0.6, 0.4, 0.95]},
        ...                  index=pd.to_datetime(["2025-01-01", "2025-01-05", "2025-01-06", "2025-01-09"]))
        >>> s = ShareSeries(f, "RU", "nobody", "demo")
        >>> s.first_crossing(threshold=0.5)["date"].iloc[0].date().isoformat()
        '2025-01-05'
        """

        return first_crossing(self.frame, threshold=threshold)

    def summary(self) -> str:
        """Per place: the first and the last release's share, and the last date."""
        f = self.frame
        if f.empty:
            return f"{self.source}: no release"
        first, last = f.index.min().date(), f.index.max().date()
        lines = [
            f"{self.source}: share held by {self.side} ({self.policy} grey rule), "
            f"{len(f)} releases {first}..{last}"
        ]
        kinds = self.kinds or ("",) * len(f.columns)
        for place, kind in zip(f.columns, kinds, strict=True):
            col = f[place].dropna()
            approx = " [APPROXIMATE footprint]" if kind == "approximate" else ""
            if col.empty:
                lines.append(f"  {place}: no share{approx}")
            else:
                lines.append(f"  {place}: {col.iloc[0]:.1%} -> {col.iloc[-1]:.1%}{approx}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-ready dict: side, policy, source, places, dates and shares."""
        return {
            "schema_version": SCHEMA_VERSION,
            "type": "share_series",
            "side": self.side,
            "policy": self.policy,
            "source": self.source,
            "source_name": source_name(self.source),
            "lean": source_lean(self.source),
            "places": [
                {"name": p, "footprint_kind": k, "approximate": bool(a)}
                for p, k, a in zip(self.places, self.kinds, self.approximate, strict=False)
            ],
            "dates": [d.date().isoformat() for d in self.frame.index],
            "shares": _rounded(self.frame),
            "grey_shares": None if self.grey is None else _rounded(self.grey[self.places]),
            "grey_note": self.grey_note,
        }

    def plot(self, ax=None, **kwargs):
        """Share over time, one line per place (:func:`mapdiff.draw.plot.plot_series`)."""
        from ..draw.plot import plot_series

        return plot_series(self, ax=ax, **kwargs)

    def _repr_html_(self) -> str:
        tail = self.frame.tail(10).map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
        note = " (approximate footprints)" if any(self.approximate) else ""
        return (
            f"<b>ShareSeries</b> {html.escape(self.source)}: {len(self.frame)} releases, "
            f"side {html.escape(self.side)}, grey {html.escape(self.policy)}{note}" + tail.to_html()
        )
