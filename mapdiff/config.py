"""mapdiff's settings in one place: environment variables, shared defaults, input limits
and the in-process caches.

**Environment variables.** Every ``MAPDIFF_*`` variable mapdiff reads is declared once in
:data:`SETTINGS` (name, type, default, meaning) and read through :func:`setting`, at each
call (a change of ``os.environ`` takes effect at once). The table is on the guide's
"Settings" page.

**Shared defaults.** :data:`TOLERANCE`, how far below a claimed share a map may be for the
claim to be "within tolerance".

**Input limits.** How big a file, and how many vertices, mapdiff reads before refusing.
A control-map release is small (the DeepState archive file is ~84 KB and ~50,000
vertices; an ISW day ~2.7 MB). A file hundreds of times larger is a mistake or an attack
(a multi-GB upload, a single ring of tens of millions of vertices that would stall every
overlay). :func:`mapdiff.read_map` and :func:`mapdiff.io.read.read_raw` check every input
against a :class:`Limits` and refuse with :class:`~mapdiff.errors.InputLimitError`,
whose message says which limit was hit and how to raise it. Where the limits come from,
first match wins:

1. the ``limits=`` argument of ``read_map`` / ``read_raw``;
2. a process-wide value set with :func:`set_limits` (or, temporarily, :func:`raised`);
3. the environment variables ``MAPDIFF_MAX_BYTES``, ``MAPDIFF_MAX_VERTICES``,
   ``MAPDIFF_MAX_FEATURE_VERTICES``, ``MAPDIFF_MAX_FEATURES`` and
   ``MAPDIFF_MAX_PROPERTIES`` (integers; ``0`` means no limit), read at each call;
4. the defaults of :class:`Limits`.

The check is cheap: the byte size comes from ``stat`` before anything is read (a stream
is read at most one byte past the limit), the vertex counts from one vectorised
``shapely.get_num_coordinates``. KMZ archives have their own unpacking guards in
:mod:`mapdiff.io.kml` (zip bombs).

**Caches.** Every in-process cache (the ``functools.lru_cache`` of a function, a module's
memo dict) is made with :func:`cached` or registered with :func:`register_cache`, so
:func:`clear_caches` empties them all (after editing a shipped data file in place, or
to bound a long process's memory). Files on disk (the read and results caches) are not
touched: see :mod:`mapdiff.io.cache`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from .errors import ArgumentError, FormatError, InputLimitError, quote

__all__ = [
    "SETTINGS",
    "TOLERANCE",
    "Limits",
    "Setting",
    "cached",
    "clear_caches",
    "current_limits",
    "raised",
    "register_cache",
    "set_limits",
    "setting",
]

#: Default tolerance of a share claim: the map's share may be this much (absolute, 0.05 =
#: 5 percentage points) below the claimed share and the claim still holds.
TOLERANCE = 0.05

# ---------------------------------------------------------------------------- the caches

_CACHES: list = []


def register_cache(cache):
    """Register an in-process cache (anything with ``cache_clear()`` or ``clear()``, e.g. a
    module's memo dict) for :func:`clear_caches`; returns it.

    >>> _MEMO = register_cache({})
    """
    if not (callable(getattr(cache, "cache_clear", None)) or callable(getattr(cache, "clear", None))):
        raise TypeError(f"a cache needs cache_clear() or clear(), not {type(cache).__name__}")
    _CACHES.append(cache)
    return cache


def cached(*, maxsize: int | None = 128) -> Callable:
    """``functools.lru_cache(maxsize)``, registered for :func:`clear_caches`.

    >>> @cached(maxsize=1)
    ... def answer():
    ...     return 42
    >>> answer(), answer(), answer.cache_info().hits
    (42, 42, 1)
    """

    def wrap(func):
        return register_cache(functools.lru_cache(maxsize=maxsize)(func))

    return wrap


def clear_caches() -> None:
    """Empty every in-process cache of mapdiff (:func:`cached` functions, registered memos).

    Results stay the same; the next calls rebuild what they need (the gazetteer, the
    footprints, the administrative map, the equal-area projections...).

    >>> import mapdiff
    >>> mapdiff.config.clear_caches()
    """
    for cache in _CACHES:
        (cache.cache_clear if hasattr(cache, "cache_clear") else cache.clear)()


# ------------------------------------------------------------------------- the settings


@dataclass(frozen=True)
class Setting:
    """One environment variable mapdiff reads.

    Attributes
    ----------
    name : str
        The variable, ``MAPDIFF_...``.
    type : type
        What its text is read as: ``bool`` (set to anything but empty or ``0``), ``int``
        (``_`` allowed between digits), ``float``, ``str`` or ``Path`` (``~`` expanded).
    default : object
        The value when the variable is unset or empty.
    doc : str
        What it sets.
    """

    name: str
    type: type
    default: object
    doc: str

    def parse(self, text: str | None):
        """The value of ``text`` (the variable's text, None when unset); raises ValueError."""
        if text is None or not text.strip():
            return self.default
        if self.type is bool:
            return text.strip() != "0"
        if self.type is int:
            return int(text.strip().replace("_", ""))
        if self.type is Path:
            return Path(text).expanduser()
        return self.type(text)


def _limit(field: str, doc: str) -> Setting:
    return Setting(f"MAPDIFF_{field.upper()}", int, getattr(Limits, field), f"{doc}; 0 = no limit")


def setting(name: str):
    """The value of the environment variable ``name`` now, read as its :data:`SETTINGS`
    entry says (its default when unset or empty).

    Raises :class:`~mapdiff.errors.ArgumentError` for a text that is not of its type.

    Examples
    --------
    >>> setting("MAPDIFF_SCHEDULER_TIMEOUT")
    30.0
    """
    spec = SETTINGS[name]
    text = os.environ.get(name)
    try:
        return spec.parse(text)
    except ValueError:
        raise ArgumentError(
            f"environment variable {name}={quote(text)} is not a {spec.type.__name__}; "
            f"set it to one ({spec.doc}) or unset it"
        ) from None


# ---------------------------------------------------------------------------- the limits


@dataclass(frozen=True)
class Limits:
    """Largest input mapdiff reads. ``None`` (or ``0`` in the environment) means no limit.

    Attributes
    ----------
    max_bytes : int or None
        Size of one input file or stream, in bytes (default 512 MiB).
    max_vertices : int or None
        Vertices (coordinate pairs) in one input, all features together (default 20 million).
    max_feature_vertices : int or None
        Vertices in one feature (default 5 million).
    max_features : int or None
        Features in one input (default 50,000; a real release has a few hundred).
    max_properties : int or None
        Distinct property (attribute) names in one input, all features together (default
        1,000; a real release has at most 14). Properties become the columns of one table,
        a row per feature: names unique to each feature would make it dense and quadratic
        (a 1.8 MB GeoJSON would need 2.6 GB).

    Examples
    --------
    >>> Limits().max_vertices
    20000000
    >>> Limits(max_vertices=None).max_vertices is None
    True
    """

    max_bytes: int | None = 512 * 2**20
    max_vertices: int | None = 20_000_000
    max_feature_vertices: int | None = 5_000_000
    max_features: int | None = 50_000
    max_properties: int | None = 1_000

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {"schema_version": 1, **dataclasses.asdict(self)}


#: Every environment variable mapdiff reads, by name (here, after :class:`Limits`: the
#: limits' defaults are its fields'). The guide's "Settings" page lists them.
SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting(
            "MAPDIFF_CACHE_DIR",
            Path,
            None,
            "cache root (parsed releases, results, fetched boundaries); default: the user cache "
            "folder (platformdirs)",
        ),
        Setting("MAPDIFF_NO_CACHE", bool, False, "turns the read cache of whole releases off"),
        Setting("MAPDIFF_CACHE_MAX_MB", float, 2048.0, "size bound of the cache folder, in MB"),
        Setting(
            "MAPDIFF_DATA_DIR",
            Path,
            None,
            "where fetched archive releases are kept; default: the user data folder (platformdirs)",
        ),
        Setting("MAPDIFF_OFFLINE", bool, False, "forbids any network access"),
        Setting(
            "MAPDIFF_FETCH_BASE_URL", str, None, "base URL of archive releases; default: each archive's own"
        ),
        Setting(
            "MAPDIFF_NOMINATIM_URL",
            str,
            "https://nominatim.openstreetmap.org",
            "Nominatim server for place boundaries",
        ),
        Setting("MAPDIFF_SCHEDULER_TIMEOUT", float, 30.0, "seconds to connect to a dask scheduler"),
        _limit("max_bytes", "bytes of one input"),
        _limit("max_vertices", "vertices in one input"),
        _limit("max_feature_vertices", "vertices in one feature"),
        _limit("max_features", "features in one input"),
        _limit("max_properties", "distinct property names in one input"),
    )
}

#: The environment variable of each limit.
_ENV = {f.name: f"MAPDIFF_{f.name.upper()}" for f in dataclasses.fields(Limits)}

_override: Limits | None = None


def _from_env() -> Limits:
    # asked for every feature and file: parsed once per set of values, looked up each time
    return _parse_env(tuple(os.environ.get(var) for var in _ENV.values()))


@cached(maxsize=8)
def _parse_env(texts: tuple) -> Limits:
    values = {}
    for (field, var), text in zip(_ENV.items(), texts, strict=True):
        try:
            n = SETTINGS[var].parse(text)
        except ValueError:
            raise InputLimitError(
                f"environment variable {var}={text!r} is not an integer; "
                "set it to a number (0 for no limit) or unset it"
            ) from None
        values[field] = n if n > 0 else None
    return Limits(**values)


def current_limits(limits: Limits | None = None) -> Limits:
    """The limits in force: ``limits`` if given, else :func:`set_limits`, else env, else defaults."""
    if limits is not None:
        if not isinstance(limits, Limits):
            raise InputLimitError(f"limits= takes a mapdiff.config.Limits, not {type(limits).__name__}")
        return limits
    return _override if _override is not None else _from_env()


def set_limits(limits: Limits | None = None, **changes) -> Limits | None:
    """Set the process-wide limits; returns the previous setting (None: env/defaults).

    Pass a :class:`Limits`, or field changes applied to the limits now in force
    (``set_limits(max_vertices=50_000_000)``), or nothing (or None) to go back to the
    environment variables and defaults. ``set_limits(previous)`` restores a setting.

    Examples
    --------
    >>> old = set_limits(max_vertices=1000)
    >>> current_limits().max_vertices
    1000
    >>> _ = set_limits(old)
    """
    global _override
    previous = _override
    if limits is None and not changes:
        _override = None
    else:
        _override = dataclasses.replace(limits if limits is not None else current_limits(), **changes)
    return previous


@contextlib.contextmanager
def raised(**changes) -> Iterator[Limits]:
    """Change some limits inside a ``with`` block only.

    Examples
    --------
    >>> with raised(max_bytes=None) as lim:
    ...     lim.max_bytes is None
    True
    """
    global _override
    saved = _override
    _override = dataclasses.replace(current_limits(), **changes)
    try:
        yield _override
    finally:
        _override = saved


def _resolve(limits: Limits | None, name: str) -> Limits:
    try:
        return current_limits(limits)
    except InputLimitError as exc:
        raise InputLimitError(f"{name}: {exc}") from None


def _how(field: str) -> str:
    return (
        f"raise it with read_map(..., limits=Limits({field}=...)), "
        f"mapdiff.config.set_limits({field}=...) or the environment variable {_ENV[field]} "
        "(0 = no limit)"
    )


def check_bytes(n: int, name: str, limits: Limits | None = None) -> None:
    """Refuse an input of ``n`` bytes over ``max_bytes``."""
    lim = _resolve(limits, name).max_bytes
    if lim is not None and n > lim:
        raise InputLimitError(
            f"{name}: {n:,} bytes is over the limit of {lim:,} bytes for one "
            f"input; if the file is genuine, {_how('max_bytes')}"
        )


def check_features(n: int, name: str, limits: Limits | None = None) -> None:
    """Refuse an input of ``n`` features over ``max_features`` (checked before building them)."""
    lim = _resolve(limits, name).max_features
    if lim is not None and n > lim:
        raise InputLimitError(
            f"{name}: {n:,} features is over the limit of {lim:,} for one input (a release has "
            f"a few hundred); merge or simplify them, or {_how('max_features')}"
        )


def check_properties(rows, name: str, limits: Limits | None = None) -> None:
    """Refuse rows (dicts of properties, one per feature) naming more distinct keys than
    ``max_properties``, before they become a table (one column per distinct name).

    ``rows`` may also be a collection of the names themselves (a layer's fields).

    Examples
    --------
    >>> check_properties([{"a": 1}, {"b": 2}], "x.geojson", Limits(max_properties=1))
    Traceback (most recent call last):
    ...
    mapdiff.errors.InputLimitError: x.geojson: at least 2 distinct property names...
    """
    lim = _resolve(limits, name).max_properties
    if lim is None:
        return
    keys: set = set()
    for row in rows:
        if isinstance(row, dict):
            keys.update(row)
        else:
            keys.add(row)
        if len(keys) > lim:
            raise InputLimitError(
                f"{name}: at least {len(keys):,} distinct property names, over the limit of "
                f"{lim:,} for one input (a release has a few; names unique to each feature "
                f"would build a dense table of features × names); {_how('max_properties')}"
            )


MAX_JSON_DEPTH = 128  # GeoJSON needs 8 (a MultiPolygon in a FeatureCollection), 2 more a collection


def check_json_depth(data: bytes, name: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Refuse JSON text nested deeper than ``limit`` brackets, before any parser sees it.

    Parsers recurse: Python's ``json`` raises RecursionError, GEOS's GeoJSON reader
    (``shapely.from_geojson``) crashes the process. The depth is counted from the bytes
    in C-speed chunks (brackets inside strings count too, so the count is an upper bound;
    a real file is nowhere near the limit).

    Examples
    --------
    >>> check_json_depth(b"[[[1]]]", "x.json", limit=3)
    >>> check_json_depth(b"[[[[1]]]]", "x.json", limit=3)
    Traceback (most recent call last):
    ...
    mapdiff.errors.FormatError: x.json: JSON nested too deeply (over 3 levels...
    """
    depth = 0
    view = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) else data
    for start in range(0, len(view), 1 << 22):
        chunk = view[start : start + (1 << 22)]
        step = (chunk == 0x5B).astype(np.int32) + (chunk == 0x7B)
        step -= (chunk == 0x5D).astype(np.int32) + (chunk == 0x7D)
        if not step.any():
            continue
        run = np.cumsum(step, dtype=np.int64) + depth
        if int(run.max()) > limit:
            raise FormatError(
                f"{name}: JSON nested too deeply (over {limit} levels; GeoJSON needs under 10); "
                "a polygon or collection nested this deep is not a map: flatten it"
            )
        depth = int(run[-1])


def check_text_vertices(data: bytes, name: str, kind: str, limits: Limits | None = None) -> None:
    """Refuse GeoJSON or KML text that must hold more vertices than allowed, before parsing it.

    Parsing builds every coordinate as Python objects (GeoJSON peaks at ~8 times the file
    size), so the count comes first, from the bytes, in all and per feature (a GeoJSON
    ``"Feature"``, a KML ``<coordinates>`` element): a GeoJSON vertex opens a ``[``
    (rings, polygons and parts add at most 3 per 4 vertices), a KML vertex holds a comma.
    The estimate is a lower bound on the vertices, so a file within the limits is never
    refused.
    """
    lim = _resolve(limits, name)
    if lim.max_vertices is None and lim.max_feature_vertices is None:
        return
    if kind == "geojson":
        total, worst = _spans(data, b'"Feature"', None, b"[")
        total, worst = int(total / 1.75), int(worst / 1.75)
    else:
        total, worst = _spans(data, b"coordinates>", b"<", b",")  # coordinate text holds no '<'
        total, worst = total // 2, worst // 2
    if lim.max_feature_vertices is not None and worst > lim.max_feature_vertices:
        raise InputLimitError(
            f"{name}: one feature (or member) has at least {worst:,} vertices (counted before "
            f"parsing), over the limit of {lim.max_feature_vertices:,} for one feature; simplify it, or "
            f"{_how('max_feature_vertices')}"
        )
    if lim.max_vertices is not None and total > lim.max_vertices:
        raise InputLimitError(
            f"{name}: at least {total:,} vertices (counted before parsing) is over the limit of "
            f"{lim.max_vertices:,} for one input; {_how('max_vertices')}"
        )


def _spans(data: bytes, opening: bytes, closing: bytes | None, mark: bytes) -> tuple[int, int]:
    """(marks in all, most marks in one span): a span runs from each ``opening`` to the next
    ``closing`` (or to the next ``opening``). Counted in C (``bytes.count``), no copies."""
    total = data.count(mark)
    worst, pos = 0, data.find(opening)
    if pos < 0:
        return total, total
    while pos >= 0:
        nxt = data.find(opening, pos + len(opening))
        end = len(data) if nxt < 0 else nxt
        if closing is not None:
            close = data.find(closing, pos + len(opening), end)
            end = end if close < 0 else close
        worst = max(worst, data.count(mark, pos, end))
        pos = nxt
    return total, worst


def check_vertices(geoms, name: str, limits: Limits | None = None) -> None:
    """Refuse geometries with more vertices than allowed, per feature or in all.

    Examples
    --------
    >>> import shapely
    >>> check_vertices([shapely.box(0, 0, 1, 1)], "x.geojson", Limits(max_vertices=4))
    Traceback (most recent call last):
    ...
    mapdiff.errors.InputLimitError: x.geojson: 5 vertices is over the limit of 4 ...
    """
    lim = _resolve(limits, name)
    check_features(len(geoms), name, lim)
    if lim.max_vertices is None and lim.max_feature_vertices is None:
        return
    counts = shapely.get_num_coordinates(np.asarray(geoms, dtype=object))
    if lim.max_feature_vertices is not None and counts.size:
        worst = int(np.argmax(counts))
        if counts[worst] > lim.max_feature_vertices:
            raise InputLimitError(
                f"{name}: feature {worst} has {int(counts[worst]):,} vertices, over the limit of "
                f"{lim.max_feature_vertices:,} for one feature; simplify it, or "
                f"{_how('max_feature_vertices')}"
            )
    total = int(counts.sum())
    if lim.max_vertices is not None and total > lim.max_vertices:
        raise InputLimitError(
            f"{name}: {total:,} vertices is over the limit of {lim.max_vertices:,} "
            f"for one input; {_how('max_vertices')}"
        )
